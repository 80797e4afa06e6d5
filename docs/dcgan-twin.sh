#!/usr/bin/env bash
# The differential twin (issue: quality parity with PyTorch): sparkgan's DCGAN and the same network in
# PyTorch (src/bench/torch_dcgan_twin.py, the network of src/bench/torch_dcgan.py) started from
# sparkgan's step-0 parameters and fed its real batches and noise; their parameters and losses are
# compared at steps 1, 10 and 100 (and any others given in STEPS_SAVED).
#   docs/dcgan-twin.sh                        Fashion-MNIST, DCGAN-28 at widths 64, batch 64, one worker
#   TWIN_SETS="--set model.g-features=32 --set model.d-features=32" docs/dcgan-twin.sh
# One worker: batch norm sees the global batch on both sides (more workers normalise each worker's
# share). Needs Debian's python3-torch (and python3-numpy) for /usr/bin/python3. Writes under target/twin/.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
steps="${STEPS:-100}"
saved="${STEPS_SAVED:-1,10,100}"
python="${PYTHON:-/usr/bin/python3}"
out="$home/target/twin"
rm -rf "$out"
mkdir -p "$out"
# shellcheck disable=SC2206
sets=(--set spark.master=local[2] --set 'spark.conf."spark.ui.enabled"=false' --set data.shards-root="$out/shards"
  --set output.dir="$out/runs" --set run.id=twin --set model.g-features=64 --set model.d-features=64
  --set train.workers=1 --set train.batch-per-worker=64 --set train.log-every=1 --set train.sample-every=100000
  --set fid.enabled=false --set train.keep-checkpoints=0 ${TWIN_SETS:-})
echo "processor: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); torch $("$python" -c 'import torch; print(torch.__version__)')"

echo "== sparkgan's inputs for steps 1..$steps" >&2
SPARKGAN_MAIN=io.sparkgan.bench.TwinInputs bin/sparkgan "$out/inputs" "$steps" "${sets[@]}" >/dev/null
# one run stopped at each step compared, each resuming the last (resume is bit-identical)
IFS=, read -r -a stops <<<"$saved"
for s in "${stops[@]}"; do
  echo "== sparkgan: train to step $s" >&2
  bin/sparkgan train "${sets[@]}" --set train.steps="$s" --set train.checkpoint-every="$s" >/dev/null 2>"$out/train-$s.log"
done
echo "== PyTorch twin: $steps steps" >&2
"$python" src/bench/torch_dcgan_twin.py --inputs "$out/inputs" --steps "$steps" --save "$saved" --out "$out/twin"

"$python" - "$out" "$saved" <<'PY'
import json, sys
import numpy as np
out, saved = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
metrics = {m["step"]: m for m in map(json.loads, open(out + "/runs/twin/metrics.jsonl"))}
twin = {m["step"]: m for m in map(json.loads, open(out + "/twin/twin-losses.jsonl"))}
print("| step | network | max abs difference | relative L2 difference | D loss sparkgan / PyTorch | G loss sparkgan / PyTorch |")
print("|---|---|---|---|---|---|")
for s in saved:
    ours = np.load("%s/runs/twin/checkpoints/step-%08d/params.npz" % (out, s))
    theirs = np.load("%s/twin/twin-step-%08d.npz" % (out, s))
    for net in ("generator", "discriminator"):
        a, b = ours[net].astype(np.float64), theirs[net].astype(np.float64)
        rel = np.linalg.norm(a - b) / np.linalg.norm(a)
        print("| %d | %s | %.3g | %.3g | %.6f / %.6f | %.6f / %.6f |" % (s, net[0].upper(), np.abs(a - b).max(), rel,
              metrics[s]["d_loss"], twin[s]["d_loss"], metrics[s]["g_loss"], twin[s]["g_loss"]))
PY
