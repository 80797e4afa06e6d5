#!/usr/bin/env bash
# The recipe table of docs/recipes.md: each recipe (conf/recipes/<name>.conf) trained on Fashion-MNIST for STEPS generator steps
# at the same global batch (2 workers × 32, local[2], DCGAN-28 widths 64), SEEDS seeds each, scored by
# its FID stage (evaluator features: FID, KID, IS, precision, recall, class consistency) on the raw and
# EMA generators of its last checkpoint; prints one row per recipe with the mean ± spread over seeds of
# the better-scored generator, and the median step time.
#   docs/recipes.sh                       every recipe
#   RECIPES="dcgan-ns hinge-sn" docs/recipes.sh
#   TABLE_ONLY=1 docs/recipes.sh          the table of the runs made so far, training nothing
# Environment: RECIPES [all]  SEEDS ["1 2 3"]  STEPS [937]  SPARKGAN_RECIPES_DIR [target/recipes]  TABLE_ONLY
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
work="${SPARKGAN_RECIPES_DIR:-$home/target/recipes}"
steps="${STEPS:-937}"
mkdir -p "$work"

# Each recipe is conf/recipes/<name>.conf; the settings below are common to all of them.
recipes="${RECIPES:-dcgan-ns hinge-sn hinge-sn-aug wgan-gp ns-r1 cond-hinge-sn}"
for name in $recipes; do
  for seed in ${SEEDS:-1 2 3}; do
    run="$name-seed-$seed"
    [ -f "$work/$run/fid/report.json" ] && continue # made already: rerun by deleting it
    [ -n "${TABLE_ONLY:-}" ] && continue
    [ -f "conf/recipes/$name.conf" ] || { echo "docs/recipes.sh: no conf/recipes/$name.conf" >&2; exit 2; }
    bin/sparkgan train --config "conf/recipes/$name.conf" --set spark.master='local[2]' \
      --set output.dir="$work" --set run.id="$run" --set train.seed="$seed" --set train.workers=2 --set train.batch-per-worker=32 \
      --set model.g-features=64 --set model.d-features=64 --set train.steps="$steps" \
      --set train.checkpoint-every="$steps" --set train.sample-every=100000 --set train.log-every=50 \
      "$@" > "$work/$run.log" 2>&1
  done
done
python3 - "$work" "$steps" "${SEEDS:-1 2 3}" $recipes <<'PY'
import json, os, statistics, sys
work, steps, seeds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4:]
keys = [("fid", 1, "FID"), ("kid_mean", 1e3, "KID×10³"), ("is_mean", 1, "IS"), ("precision", 1, "precision"),
        ("recall", 1, "recall"), ("class_consistency", 1, "class cons."), ("intra_fid", 1, "intra FID")]
def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    mean = statistics.mean(values)
    # the spread is the sample standard deviation over the seeds
    return f"{mean:.3g} ± {statistics.stdev(values):.2g}" if len(values) > 1 else f"{mean:.3g}"
print("| recipe | seeds | generator | " + " | ".join(k[2] for k in keys) + " | s/step |")
print("|---" * (len(keys) + 4) + "|")
for name in names:
    best, times, kinds = {k: [] for k, _, _ in keys}, [], []
    made = [seed for seed in seeds if os.path.exists(f"{work}/{name}-seed-{seed}/fid/report.json")]
    if not made:
        continue
    for seed in made:
        run = f"{work}/{name}-seed-{seed}"
        rows = [r for r in json.load(open(f"{run}/fid/report.json"))["checkpoints"] if r["step"] == steps]
        row = min(rows, key=lambda r: r["fid"])  # what sample takes by default: the better-scored generator
        kinds.append(row["generator"])
        for k, scale, _ in keys:
            best[k].append(row[k] * scale if k in row else None)
        lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl") if l.strip()]
        times.append(statistics.median(l["step_time_s"] for l in lines))
    print(f"| {name} | {len(made)} | {'/'.join(kinds)} | " + " | ".join(spread(best[k]) for k, _, _ in keys)
          + f" | {statistics.median(times):.3f} |")
PY
