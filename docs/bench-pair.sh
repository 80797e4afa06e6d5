#!/usr/bin/env bash
# Is a change as fast as the commit before it? Runs `sparkgan bench` with this checkout and with the
# commit BASE in interleaved pairs (base, this, base, this, ...) on this machine, and prints each run's
# training images/s, single-process and Spark, and the median over the pairs of this/base. Interleaving
# and the median are what make a ratio on a shared, noisy machine worth reading; name the processor
# (printed) with any figure you quote.
#   docs/bench-pair.sh BASE [--set key=value ...]
#   PAIRS=5 docs/bench-pair.sh c58e59c --set data.image-size=32
# Environment: PAIRS [3]  STEPS [30]  BENCH_PAIR_DIR [target/bench-pair]
# Exit status: 0, or 2 on a bad argument.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: docs/bench-pair.sh BASE [--set key=value ...]" >&2; exit 2; }
commit="$(git -C "$home" rev-parse --verify --quiet "$1^{commit}")" \
  || { echo "bench-pair: '$1' is not a commit of $home" >&2; exit 2; }
shift
work="${BENCH_PAIR_DIR:-$home/target/bench-pair}"
rm -rf "$work/base"
mkdir -p "$work"
git clone -q "$home" "$work/base"
git -C "$work/base" checkout -q "$commit"
echo "processor: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; base $(git -C "$work/base" log --oneline -1 | cut -c1-60); this checkout $(git -C "$home" log --oneline -1 | cut -c1-60)$(git -C "$home" diff --quiet HEAD || echo ' + uncommitted changes')"
bench() { # tree, output file
  (cd "$1" && bin/sparkgan bench --steps="${STEPS:-30}" --set spark.master='local[2]' --set train.workers=2 \
    --set 'spark.conf."spark.ui.enabled"=false' "${@:3}" > "$2" 2> "$2.log") \
    || { echo "bench-pair: a bench run failed: $2.log" >&2; exit 1; }
}
for pair in $(seq 1 "${PAIRS:-3}"); do
  bench "$work/base" "$work/base-$pair.json" "$@"
  bench "$home" "$work/this-$pair.json" "$@"
done
python3 - "$work" "${PAIRS:-3}" <<'PY'
import json, statistics, sys
work, pairs = sys.argv[1], int(sys.argv[2])
rows = []
print("| pair | base single | this single | base Spark | this Spark | this/base single | this/base Spark |")
print("|---|---|---|---|---|---|---|")
for p in range(1, pairs + 1):
    b = json.load(open(f"{work}/base-{p}.json"))
    t = json.load(open(f"{work}/this-{p}.json"))
    r1 = t["single_process_images_per_s"] / b["single_process_images_per_s"]
    r2 = t["spark_images_per_s"] / b["spark_images_per_s"]
    rows.append((r1, r2))
    print(f"| {p} | {b['single_process_images_per_s']:.1f} | {t['single_process_images_per_s']:.1f} | "
          f"{b['spark_images_per_s']:.1f} | {t['spark_images_per_s']:.1f} | {r1:.3f} | {r2:.3f} |")
print(f"median this/base: single process {statistics.median(r[0] for r in rows):.3f}, "
      f"Spark {statistics.median(r[1] for r in rows):.3f} (images/s; above 1 is faster)")
PY
