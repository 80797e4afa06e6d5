#!/usr/bin/env bash
# The EMA generator against the raw one after one Fashion-MNIST epoch (937 steps of 2 × 32, DCGAN-28
# widths 64), SEEDS seeds: each run's FID stage scores both generators of its last checkpoint
# (fid.score-raw), and this prints them side by side. docs/recipes.md ("The EMA generator") has the
# figures.
#   docs/ema.sh
# Environment: SEEDS ["1 2 3"]  STEPS [937]  SPARKGAN_EMA_DIR [target/ema]
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
work="${SPARKGAN_EMA_DIR:-$home/target/ema}"
steps="${STEPS:-937}"
mkdir -p "$work"
for seed in ${SEEDS:-1 2 3}; do
  bin/sparkgan train --set spark.master='local[2]' --set output.dir="$work" --set run.id="seed-$seed" \
    --set train.seed="$seed" --set train.workers=2 --set train.batch-per-worker=32 \
    --set model.g-features=64 --set model.d-features=64 --set train.steps="$steps" \
    --set train.checkpoint-every="$steps" --set train.sample-every=100000 --set train.log-every=100 \
    "$@" > "$work/seed-$seed.log" 2>&1
done
python3 - "$work" $steps ${SEEDS:-1 2 3} <<'PY'
import json, sys
work, steps, seeds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
print(f"{'seed':>4} {'EMA FID':>9} {'raw FID':>9} {'EMA KID×10³':>12} {'raw KID×10³':>12}")
for seed in seeds:
    rows = {r["generator"]: r for r in json.load(open(f"{work}/seed-{seed}/fid/report.json"))["checkpoints"]
            if r["step"] == steps}
    e, r = rows["ema"], rows["raw"]
    print(f"{seed:>4} {e['fid']:>9.2f} {r['fid']:>9.2f} {1e3 * e['kid_mean']:>12.2f} {1e3 * r['kid_mean']:>12.2f}")
PY
