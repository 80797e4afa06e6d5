#!/usr/bin/env bash
# `sparkgan fid --stats` against SciPy at the feature widths of real extractors, as a user runs it:
# no environment variable set. For each d, src/test/resources/eval/fid_scipy_reference.py makes two
# well-conditioned statistics files from a fixed seed and prints SciPy's FID (pytorch-fid's sqrtm
# formula, checked against a SciPy eigendecomposition); bin/sparkgan scores the same files. Prints one
# line per d with both values, their relative difference and sparkgan's wall time, and exits non-zero
# if any differs by more than 1e-6 relative.
#   docs/fid-scipy-check.sh                 d = 160 256 512 1024 2048
#   docs/fid-scipy-check.sh 160 2048        chosen widths
# Needs Debian's python3-numpy and python3-scipy (/usr/bin/python3).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dims=("$@")
[ ${#dims[@]} -gt 0 ] || dims=(160 256 512 1024 2048)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
printf 'processor: %s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
for d in "${dims[@]}"; do
  reference="$(/usr/bin/python3 src/test/resources/eval/fid_scipy_reference.py 7 "$d" "$work/$d")"
  started=$(date +%s.%N)
  ours="$(bin/sparkgan fid --stats "$work/$d/a.npz" --stats "$work/$d/b.npz" 2>"$work/$d/log")"
  ended=$(date +%s.%N)
  /usr/bin/python3 - "$d" "$reference" "$ours" "$started" "$ended" <<'EOF' || status=1
import json, sys
d, reference, ours, started, ended = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), *map(float, sys.argv[4:6])
scipy_fid, fid = reference["fid_sqrtm"], ours["fid"]
rel = abs(fid - scipy_fid) / abs(scipy_fid)
print(f"d={d:>5}  scipy {scipy_fid:.10f}  sparkgan {fid:.10f}  relative difference {rel:.2e}  "
      f"sparkgan fid --stats {ended - started:.1f} s  {'ok' if rel <= 1e-6 else 'DIFFERS'}")
sys.exit(0 if rel <= 1e-6 else 1)
EOF
done
exit $status
