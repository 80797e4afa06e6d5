#!/usr/bin/env bash
# StyleGAN2 against DCGAN and the residual GAN on Fashion-MNIST resized to 32×32 (docs/recipes.md,
# "StyleGAN2"): each architecture with its own defaults (model.architecture alone), unconditional, for
# STEPS generator steps at a global batch of 64 (2 workers × 32, local[2]), SEEDS seeds each. Every run
# checkpoints every STEPS/5 steps (a multiple of the log interval, 25: keep STEPS a multiple of 125); its FID stage scores the last one, then `fid --checkpoints all` the
# others, so the table can compare at equal images seen (the last checkpoint) and at equal wall time
# (each architecture's last checkpoint reached within the fastest architecture's training time).
#   docs/stylegan2-recipe.sh                          every architecture and seed
#   ARCHS=stylegan2 SEEDS=1 docs/stylegan2-recipe.sh  one run
#   TABLE_ONLY=1 docs/stylegan2-recipe.sh             the tables of the runs made so far
# Environment: ARCHS ["dcgan resnet stylegan2"]  SEEDS ["1 2 3"]  STEPS [1875, two epochs]
#              SPARKGAN_RECIPES_DIR [target/stylegan2-recipe]  TABLE_ONLY
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
work="${SPARKGAN_RECIPES_DIR:-$home/target/stylegan2-recipe}"
steps="${STEPS:-1875}"
every=$((steps / 5))
archs="${ARCHS:-dcgan resnet stylegan2}"
mkdir -p "$work"
for arch in $archs; do
  for seed in ${SEEDS:-1 2 3}; do
    run="$arch-seed-$seed"
    [ -n "${TABLE_ONLY:-}" ] && continue
    if [ ! -f "$work/$run/fid/report.json" ]; then
      bin/sparkgan train --set model.architecture="$arch" --set data.image-size=32 --set spark.master='local[2]' \
        --set output.dir="$work" --set run.id="$run" --set train.seed="$seed" --set train.workers=2 \
        --set train.batch-per-worker=32 --set train.steps="$steps" --set train.checkpoint-every="$every" \
        --set train.sample-every=100000 --set train.log-every=25 "$@" > "$work/$run.log" 2>&1
    fi
    if [ ! -f "$work/$run/fid/.all-scored" ]; then
      bin/sparkgan fid --run "$work/$run" --checkpoints all --set spark.master='local[2]' >> "$work/$run.log" 2>&1
      touch "$work/$run/fid/.all-scored"
    fi
  done
done
python3 - "$work" "$steps" "${SEEDS:-1 2 3}" ${ARCHS:-dcgan resnet stylegan2} <<'PY'
import json, os, statistics, sys
work, steps, seeds, archs = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4:]
keys = [("fid", 1, "FID"), ("kid_mean", 1e3, "KID×10³"), ("is_mean", 1, "IS"), ("precision", 1, "precision"),
        ("recall", 1, "recall")]

def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    mean = statistics.mean(values)
    return f"{mean:.3g} ± {statistics.stdev(values):.2g}" if len(values) > 1 else f"{mean:.3g}"

def runs(arch):
    for seed in seeds:
        run = f"{work}/{arch}-seed-{seed}"
        if os.path.exists(f"{run}/fid/report.json"):
            rows = json.load(open(f"{run}/fid/report.json"))["checkpoints"]
            lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl") if l.strip()]
            elapsed = {l["step"]: l["wall_time_s"] for l in lines}  # training's wall time up to each logged step
            last = max(elapsed)
            yield seed, rows, elapsed, 64 * last / elapsed[last]

def best(rows, step):  # the better-scored generator at a step, what sample takes by default
    at = [r for r in rows if r["step"] == step]
    return min(at, key=lambda r: r["fid"]) if at else None

made = {arch: list(runs(arch)) for arch in archs}
print(f"Equal images seen: step {steps} ({64 * steps} images), better-scored generator, mean ± sd over seeds")
print("| architecture | seeds | " + " | ".join(k[2] for k in keys) + " | images/s | training s |")
print("|---" * (len(keys) + 4) + "|")
for arch in archs:
    if not made[arch]:
        continue
    values = {k: [] for k, _, _ in keys}
    for seed, rows, elapsed, speed in made[arch]:
        row = best(rows, steps)
        for k, scale, _ in keys:
            values[k].append(row[k] * scale if row and k in row else None)
    print(f"| {arch} | {len(made[arch])} | " + " | ".join(spread(values[k]) for k, _, _ in keys)
          + f" | {statistics.mean(s for _, _, _, s in made[arch]):.0f} | "
          + f"{statistics.mean(max(e.values()) for _, _, e, _ in made[arch]):.0f} |")
times = {a: statistics.mean(max(e.values()) for _, _, e, _ in made[a]) for a in archs if made[a]}
# Two budgets: the fastest architecture's two epochs, and the slowest's. Within each, every run's last
# checkpoint reached in time; one that finished sooner is marked, its figure a bound on what it reaches.
for name, budget in (("fastest", min(times.values())), ("slowest", max(times.values()))):
    print(f"\nEqual wall time, the {name} architecture's training time: each run's last checkpoint within {budget:.0f} s")
    print("| architecture | seeds | step reached | FID | KID×10³ |")
    print("|---|---|---|---|---|")
    for arch in times:
        fids, kids, reached, first, finished = [], [], [], [], []
        for seed, rows, elapsed, speed in made[arch]:
            steps_scored = sorted({r["step"] for r in rows})
            first.append(elapsed.get(steps_scored[0], float("nan")))
            scored = [s for s in steps_scored if elapsed.get(s, 1e18) <= budget * 1.02]
            if not scored:
                continue
            row = best(rows, scored[-1])
            reached.append(scored[-1]); fids.append(row["fid"]); kids.append(row["kid_mean"] * 1e3)
            finished.append(elapsed[scored[-1]])
        if not fids:
            print(f"| {arch} | 0 | none: its first checkpoint came after {min(first):.0f} s | – | – |")
            continue
        early = f" (finished in {statistics.mean(finished):.0f} s)" if all(s == steps for s in reached) and statistics.mean(finished) < budget * 0.98 else ""
        print(f"| {arch} | {len(fids)} | {' / '.join(str(s) for s in reached)}{early} | {spread(fids)} | {spread(kids)} |")
PY
