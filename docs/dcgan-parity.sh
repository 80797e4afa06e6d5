#!/usr/bin/env bash
# Quality parity with PyTorch at equal steps: sparkgan's DCGAN and its PyTorch twin
# (src/bench/torch_dcgan_twin.py --free: the same network and loop, its own initial weights, image order
# and noise) trained independently, each with the seeds SEEDS (fixed before measuring), for STEPS steps
# of a global batch of 64 on Fashion-MNIST (sparkgan: 2 workers × 32, local[2]; DCGAN-28 widths 64).
# 10,000 samples of each: sparkgan's from `bin/sparkgan sample` (the generator it hands out by default,
# trained with fid.enabled = false), PyTorch's from the twin (batch statistics of batches of 64, as
# pytorch/examples samples). Both are scored alike: `fid --images` (the evaluator's features) against
# the statistics of the 10,000 Fashion-MNIST test images, then `fid --stats`.
#   docs/dcgan-parity.sh                   seeds 1-5, one epoch (937 steps)
#   SEEDS="1 2" STEPS=300 docs/dcgan-parity.sh
#   SPARKGAN_SETS="--set train.ema-half-life=0" docs/dcgan-parity.sh     another sparkgan setting
# Needs Debian's python3-torch, python3-numpy and python3-pil for /usr/bin/python3. Writes under
# target/parity/ (PARITY_DIR); runs already made are reused.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
work="${PARITY_DIR:-$home/target/parity}"
steps="${STEPS:-937}"
seeds="${SEEDS:-1 2 3 4 5}"
python="${PYTHON:-/usr/bin/python3}"
mkdir -p "$work/stats" "$work/samples"
# shellcheck disable=SC2206
sets=(--set spark.master=local[2] --set 'spark.conf."spark.ui.enabled"=false' --set data.shards-root="$work/shards"
  --set output.dir="$work/runs" --set model.g-features=64 --set model.d-features=64 --set train.workers=2
  --set train.batch-per-worker=32 --set train.steps="$steps" --set train.checkpoint-every="$steps"
  --set train.sample-every=100000 --set train.log-every=100 --set fid.enabled=false ${SPARKGAN_SETS:-})
echo "processor: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); torch $("$python" -c 'import torch; print(torch.__version__)')"

fid_of() { # samples folder, name → the FID against the test split
  [ -f "$work/stats/$2.npz" ] || bin/sparkgan fid --images "$1" --save-stats "$work/stats/$2.npz" "${sets[@]}" \
    >/dev/null 2>"$work/stats/$2.log"
  bin/sparkgan fid --stats "$work/stats/$2.npz" --stats "$work/stats/real-test.npz" 2>/dev/null \
    | "$python" -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["fid"])'
}
[ -f "$work/stats/real-test.npz" ] || bin/sparkgan fid --images data-manifests/fashion-mnist.conf --images-split test \
  --save-stats "$work/stats/real-test.npz" "${sets[@]}" >/dev/null 2>"$work/stats/real-test.log"
[ -f "$work/inputs/settings.json" ] || SPARKGAN_MAIN=io.sparkgan.bench.TwinInputs bin/sparkgan "$work/inputs" "$steps" \
  "${sets[@]}" >/dev/null 2>"$work/inputs.log"

echo "| seed | sparkgan (sample's default generator) | PyTorch twin |"
echo "|---|---|---|"
for seed in $seeds; do
  run="$work/runs/seed-$seed"
  [ -f "$run/_SUCCESS" ] || bin/sparkgan train "${sets[@]}" --set run.id="seed-$seed" --set train.seed="$seed" \
    >/dev/null 2>"$work/train-$seed.log"
  [ -f "$work/samples/sparkgan-$seed/samples.json" ] || bin/sparkgan sample --checkpoint "$run" --n 10000 \
    --out "$work/samples/sparkgan-$seed" --frames 0 >/dev/null 2>"$work/sample-$seed.log"
  [ -f "$work/samples/torch-$seed/sample-009999.png" ] || "$python" src/bench/torch_dcgan_twin.py --free \
    --seed "$seed" --inputs "$work/inputs" --steps "$steps" --out "$work/torch-$seed" --samples 10000 \
    --samples-dir "$work/samples/torch-$seed" >/dev/null
  echo "| $seed | $(fid_of "$work/samples/sparkgan-$seed" "sparkgan-$seed") | $(fid_of "$work/samples/torch-$seed" "torch-$seed") |"
done
