#!/usr/bin/env bash
# What one slow executor costs a synchronous step, measured on a real cluster on this machine: a
# standalone master and two one-core workers (bin/spark-cluster), the -spark.jar submitted by
# deploy/standalone/submit.sh, train.sync = collective, each executor pinned to a core of its own.
#
# Runs the same short training PAIRS times in interleaved pairs:
#   quiet      nothing else on the executors' cores;
#   neighbour  a CPU-bound process shares executor 2's core (a noisy neighbour on a shared node);
# then once more with executor 2 SIGSTOPped for STOP_S seconds every few seconds (a long GC pause,
# a VM steal, a node swapping). It prints the median step time of each run, the median of the
# pairs' ratios, and what each stop cost the run. docs/performance.md ("Stragglers") has the figures
# and what a user can do about them.
#   ./mvnw -B -DskipTests package && docs/stragglers.sh
# Environment: PAIRS [3]  STEPS [150]  STOP_S [1]  SPARKGAN_STRAGGLER_DIR [target/stragglers]
# Needs 2 cores (taskset), Debian's dataset-fashion-mnist, python3.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
pairs="${PAIRS:-3}"
steps="${STEPS:-150}"
stop_s="${STOP_S:-1}"
max_stops="${STOPS:-1000}"
work="${SPARKGAN_STRAGGLER_DIR:-$home/target/stragglers}"
jar="$(ls target/sparkgan-*-spark.jar 2>/dev/null | head -1 || true)"
[ -n "$jar" ] || { echo "stragglers: no target/sparkgan-*-spark.jar: run ./mvnw -B -DskipTests package" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "stragglers: needs 2 cores, this machine has $(nproc)" >&2; exit 2; }

rm -rf "$work"
mkdir -p "$work"
export SPARKGAN_CLUSTER_DIR="$work/cluster"
neighbour=""
cleanup() {
  [ -z "$neighbour" ] || kill "$neighbour" 2>/dev/null || true
  bin/spark-cluster stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
master="$(bin/spark-cluster start 2 | tail -1)"

cat > "$work/run.conf" <<EOF
data { source = "$home/data-manifests/fashion-mnist.conf", shards = "$work/shards", limit = 4000 }
model { g-features = 32, d-features = 32 }
train { workers = 2, batch-per-worker = 64, steps = $steps, checkpoint-every = $steps, sample-every = $steps
  log-every = 1, executor-threads = 1, sync = collective, steps-per-job = 50 }
fid.enabled = false
output.dir = "$work/runs"
EOF
export SPARK_SUBMIT="$home/bin/spark-submit" SPARKGAN_MASTER="$master" SPARKGAN_GPUS_PER_EXECUTOR=0 \
  SPARKGAN_JAR="$jar" SPARKGAN_CONFIG="$work/run.conf" SPARKGAN_EXECUTORS=2 SPARKGAN_EXECUTOR_CORES=1 \
  SPARKGAN_EXECUTOR_MEMORY_GB=1 SPARKGAN_EXECUTOR_OFFHEAP_GB=1 SPARKGAN_DRIVER_MEMORY_GB=2 \
  SPARKGAN_DRIVER_OFFHEAP_GB=2 SPARK_LOCAL_IP=127.0.0.1
deploy/standalone/submit.sh shards prepare > "$work/prepare.log" 2>&1 ||
  { tail -20 "$work/prepare.log" >&2; exit 1; }

executors() { # this cluster's executor processes, oldest first
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' 2>/dev/null < "$p/cmdline" | grep -q CoarseGrainedExecutorBackend &&
       [[ "$(readlink "$p/cwd" 2>/dev/null)" == "$work/cluster/"* ]]; then
      echo "${p#/proc/}"
    fi
  done | sort -n
}

# One training run under CONDITION (quiet, neighbour, stop): its two executors pinned to cores 0
# and 1, then executor 2 slowed as the condition says, until the run ends.
run() {
  local id="$1" condition="$2" pids=() stops=0
  deploy/standalone/submit.sh "$id" train > "$work/$id.log" 2>&1 &
  local driver=$!
  for _ in $(seq 1 600); do
    mapfile -t pids < <(executors)
    [ "${#pids[@]}" -lt 2 ] || break
    sleep 0.1
  done
  [ "${#pids[@]}" -eq 2 ] || { echo "stragglers: $id: executors did not start" >&2; exit 1; }
  taskset -a -p -c 0 "${pids[0]}" > /dev/null
  taskset -a -p -c 1 "${pids[1]}" > /dev/null
  case "$condition" in
    neighbour)
      taskset -c 1 bash -c 'while :; do :; done' &
      neighbour=$!
      ;;
    stop)
      until grep -q "TrainingJob: step 1/" "$work/$id.log"; do sleep 0.2; done  # training has begun
      while kill -0 "$driver" 2>/dev/null && [ "$stops" -lt "$max_stops" ]; do
        sleep 4
        kill -STOP "${pids[1]}" 2>/dev/null || break
        sleep "$stop_s"
        kill -CONT "${pids[1]}" 2>/dev/null || break
        stops=$((stops + 1))
      done
      ;;
  esac
  wait "$driver" || { tail -30 "$work/$id.log" >&2; exit 1; }
  if [ -n "$neighbour" ]; then kill "$neighbour"; wait "$neighbour" 2>/dev/null || true; neighbour=""; fi
  echo "$id $condition $stops" >> "$work/runs.txt"
  # Executors of the finished application exit; wait so that the next run's are the only ones.
  for _ in $(seq 1 300); do [ -z "$(executors)" ] && break; sleep 0.1; done
}

for i in $(seq 1 "$pairs"); do
  run "quiet-$i" quiet
  run "neighbour-$i" neighbour
done
run stopped stop

python3 - "$work" "$steps" "$stop_s" <<'EOF'
import json, statistics, sys
work, steps, stop_s = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def step_times(run_id):  # seconds per step, the first job (step 1 alone) and a warm-up left out
    rows = [json.loads(l) for l in open(f"{work}/runs/{run_id}/metrics.jsonl")]
    return [r["step_time_s"] for r in rows if r["step"] > 10], [r["compute_s"] for r in rows if r["step"] > 10]
runs = [line.split() for line in open(f"{work}/runs.txt")]
median = {}
print(f"{'run':<14}{'median step (ms)':>18}{'slowest compute (ms)':>22}")
for run_id, condition, _ in runs:
    times, compute = step_times(run_id)
    median[run_id] = statistics.median(times)
    print(f"{run_id:<14}{1000 * median[run_id]:>18.1f}{1000 * statistics.median(compute):>22.1f}")
ratios = [median[f"neighbour-{i}"] / median[f"quiet-{i}"] for i in range(1, sum(c == "quiet" for _, c, _ in runs) + 1)]
print(f"\none executor sharing its core: every step x{statistics.median(ratios):.2f}"
      f" (median of {len(ratios)} interleaved pairs: {', '.join(f'{r:.2f}' for r in ratios)})")
stopped = next(r for r in runs if r[1] == "stop")
times, _ = step_times("stopped")
quiet = statistics.median([median[r] for r, c, _ in runs if c == "quiet"])
stops = int(stopped[2])
hit = [t for t in times if t > 3 * quiet]  # the steps a stop fell into
rest = [t for t in times if t <= 3 * quiet]
print(f"executor 2 stopped {stops} times for {stop_s:g} s: {len(hit)} of the stops fell in a step"
      f" ({', '.join(f'{t:.2f}' for t in hit)} s) and cost it {statistics.mean(t - quiet for t in hit):.2f} s on"
      f" average (the others between jobs, costing nothing); the other steps' median {1000 * statistics.median(rest):.1f}"
      f" ms (quiet runs: {1000 * quiet:.1f} ms)")
EOF
