#!/usr/bin/env bash
# pix2pix on edge sketch → Fashion-MNIST pairs at 32×32 (docs/recipes.md, "pix2pix"): conf/recipes/pix2pix.conf
# (one epoch, 937 steps of 2 workers × 32, local[2]) for SEEDS seeds; each run's FID stage scores its last
# checkpoint on the 10,000 held-out pairs (the test split), then `fid --checkpoints all` the others.
#   docs/pix2pix-recipe.sh                 every seed
#   SEEDS=1 docs/pix2pix-recipe.sh         one run
#   TABLE_ONLY=1 docs/pix2pix-recipe.sh    the table of the runs made so far
# Then docs/pix2pix-reference-points.py scores predictors that ignore the sketch on the same held-out pairs.
# Environment: SEEDS ["1 2 3"]  SPARKGAN_RECIPES_DIR [target/pix2pix-recipe]  TABLE_ONLY; arguments go to
# train (e.g. --set train.steps=100).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
work="${SPARKGAN_RECIPES_DIR:-$home/target/pix2pix-recipe}"
mkdir -p "$work"
for seed in ${SEEDS:-1 2 3}; do
  run="pix2pix-seed-$seed"
  [ -n "${TABLE_ONLY:-}" ] && continue
  if [ ! -f "$work/$run/fid/report.json" ]; then
    bin/sparkgan train --config conf/recipes/pix2pix.conf --set output.dir="$work" --set run.id="$run" \
      --set train.seed="$seed" --set train.log-every=25 "$@" > "$work/$run.log" 2>&1
  fi
  if [ ! -f "$work/$run/fid/.all-scored" ]; then
    bin/sparkgan fid --run "$work/$run" --checkpoints all --set spark.master='local[2]' >> "$work/$run.log" 2>&1
    touch "$work/$run/fid/.all-scored"
  fi
done
python3 - "$work" ${SEEDS:-1 2 3} <<'PY'
import json, os, statistics, sys
work, seeds = sys.argv[1], sys.argv[2:]
keys = [("l1", "L1"), ("psnr", "PSNR dB"), ("ssim", "SSIM"), ("fid", "FID"), ("accuracy", "accuracy")]

def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    mean = statistics.mean(values)
    return f"{mean:.3g} ± {statistics.stdev(values):.2g}" if len(values) > 1 else f"{mean:.3g}"

rows = {}
for seed in seeds:
    run = f"{work}/pix2pix-seed-{seed}"
    if not os.path.exists(f"{run}/fid/report.json"):
        continue
    report = json.load(open(f"{run}/fid/report.json"))
    lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl") if l.strip()]
    elapsed = {l["step"]: l["wall_time_s"] for l in lines}
    for r in report["checkpoints"]:
        rows.setdefault(r["step"], []).append((r, elapsed.get(r["step"])))
print("| step | seeds | " + " | ".join(k[1] for k in keys) + " | training s |")
print("|---" * (len(keys) + 3) + "|")
for step in sorted(rows):
    got = rows[step]
    seconds = [e for _, e in got if e is not None]
    took = f"{statistics.mean(seconds):.0f}" if seconds else "–"
    print(f"| {step} | {len(got)} | " + " | ".join(spread([r.get(k) for r, _ in got]) for k, _ in keys)
          + f" | {took} |")
PY
for seed in ${SEEDS:-1 2 3}; do  # the reference points, from the dataset the first run trained on
  provenance="$work/pix2pix-seed-$seed/provenance.json"
  [ -f "$provenance" ] || continue
  shards="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["dataset"]["shards"])' "$provenance")"
  echo
  # Debian's python3 has scikit-image (python3-skimage); another python3 on the PATH may not
  "$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)" docs/pix2pix-reference-points.py "$shards"
  break
done
