#!/usr/bin/env bash
# Does a change keep training's bits? Trains the same small run with this checkout and with the commit
# BASE, in driver and in collective mode, and compares the parameters' SHA-256 after the last step
# (params_sha256 in each run's _SUCCESS). Both builds run here, one after the other: the hashes depend
# on the processor's native kernels (libnd4j's AVX2 and AVX-512 kernels sum in different orders), so
# a hash written down on one machine says nothing on another. For a refactoring that must not change
# a network (the layer library), every row must read "same".
#   docs/same-bits.sh BASE [--set key=value ...]
#   docs/same-bits.sh HEAD~3
#   docs/same-bits.sh main --set model.conditional=true --set train.loss=hinge
# Environment: STEPS [30]  SAME_BITS_DIR [target/same-bits]
# Exit status: 0 when every hash matches, 1 when one differs, 2 on a bad argument.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: docs/same-bits.sh BASE [--set key=value ...]" >&2; exit 2; }
base="$1"
shift
commit="$(git -C "$home" rev-parse --verify --quiet "$base^{commit}")" \
  || { echo "same-bits: '$base' is not a commit of $home" >&2; exit 2; }
work="${SAME_BITS_DIR:-$home/target/same-bits}"
steps="${STEPS:-30}"
rm -rf "$work/base" "$work/runs"
mkdir -p "$work/runs"
git clone -q "$home" "$work/base"
git -C "$work/base" checkout -q "$commit"
echo "processor: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); base $(git -C "$work/base" log --oneline -1 | cut -c1-60); this checkout $(git -C "$home" log --oneline -1 | cut -c1-60)$(git -C "$home" diff --quiet HEAD || echo ' + uncommitted changes')"

train() { # build folder, name, sync mode, extra settings
  local tree="$1" name="$2" sync="$3"
  shift 3
  (cd "$tree" && bin/sparkgan train --set spark.master='local[2]' --set 'spark.conf."spark.ui.enabled"=false' \
    --set data.shards-root="$work/shards-$(basename "$tree")" --set data.limit=640 --set output.dir="$work/runs" \
    --set run.id="$name" --set train.sync="$sync" --set train.steps="$steps" --set train.workers=2 \
    --set train.batch-per-worker=16 --set train.checkpoint-every="$steps" --set train.sample-every=100000 \
    --set train.log-every="$steps" --set model.g-features=16 --set model.d-features=16 --set fid.enabled=false \
    "$@" > "$work/runs/$name.log" 2>&1) || { echo "same-bits: the $name run failed: $work/runs/$name.log" >&2; exit 1; }
}
hashes() { # run name → "generator discriminator"
  sed -n 's/.*"\(generator\|discriminator\)" : "\([0-9a-f]*\)".*/\2/p' "$work/runs/$1/_SUCCESS" | tr '\n' ' '
}

status=0
echo "| sync | base G | this G | base D | this D | |"
echo "|---|---|---|---|---|---|"
for sync in driver collective; do
  train "$work/base" "base-$sync" "$sync" "$@"
  train "$home" "this-$sync" "$sync" "$@"
  read -r gb db <<< "$(hashes "base-$sync")"
  read -r gt dt <<< "$(hashes "this-$sync")"
  verdict=same
  if [ "$gb" != "$gt" ] || [ "$db" != "$dt" ]; then verdict=DIFFERENT; status=1; fi
  echo "| $sync | ${gb:0:12} | ${gt:0:12} | ${db:0:12} | ${dt:0:12} | $verdict |"
done
exit $status
