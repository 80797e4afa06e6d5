# shellcheck shell=bash
# Shared by deploy/{yarn,kubernetes,standalone}/submit.sh (sourced, not run): argument parsing, the
# jar, the memory arithmetic, the sparkgan arguments and the final spark-submit (or its dry run).
# Every setting has an environment variable; deploy/README.md lists them.

sparkgan_home="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

sparkgan_die() {
  echo "$(basename "$0"): $*" >&2
  exit 2
}

sparkgan_usage() {
  cat <<EOF
usage: $0 [--dry-run] RUN_ID [STAGE] [SPARKGAN_ARGS...]

Submits one sparkgan stage (default: train) to the cluster with one GPU per executor and one
training task per executor. RUN_ID names the run (train: --set run.id=RUN_ID; fid: --run
\$SPARKGAN_OUTPUT_DIR/RUN_ID) and the Spark application (sparkgan-STAGE-RUN_ID). SPARKGAN_ARGS go to
sparkgan after the stage, e.g. --set train.steps=20000 or --fresh.

--dry-run (or SPARKGAN_DRY_RUN=1) prints the spark-submit command instead of running it.
Settings come from environment variables (deploy/README.md), e.g. SPARKGAN_JAR, SPARKGAN_CONFIG,
SPARKGAN_EXECUTORS, SPARKGAN_EXECUTOR_CORES, SPARKGAN_SUBMIT_OPTS.
EOF
}

# Sets dry_run, run_id, stage and user_args from the script's arguments.
sparkgan_parse_args() {
  dry_run=0
  case "${SPARKGAN_DRY_RUN:-0}" in
    1 | true | yes) dry_run=1 ;;
  esac
  local rest=()
  for arg in "$@"; do
    case "$arg" in
      --dry-run) dry_run=1 ;; # anywhere: sparkgan has no such option, so never pass it on
      -h | --help)
        sparkgan_usage
        exit 0
        ;;
      *) rest+=("$arg") ;;
    esac
  done
  set -- ${rest[@]+"${rest[@]}"}
  if [ $# -lt 1 ]; then
    sparkgan_usage >&2
    exit 2
  fi
  run_id="$1"
  shift
  [[ "$run_id" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] ||
    sparkgan_die "run id '$run_id': use letters, digits, '.', '_' and '-' (it names a directory and a Spark application)"
  stage=train
  if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
    stage="$1"
    shift
  fi
  [[ "$stage" =~ ^[a-z]+$ ]] || sparkgan_die "stage '$stage': expected a sparkgan command such as prepare, train or fid"
  user_args=("$@")
}

sparkgan_has_arg() { # sparkgan_has_arg --config: whether the user passed that option
  local want="$1" arg
  for arg in ${user_args[@]+"${user_args[@]}"}; do
    [ "$arg" = "$want" ] || [[ "$arg" == "$want="* ]] && return 0
  done
  return 1
}

# The newest target/sparkgan-*-cuda.jar (./mvnw -B -DskipTests -Pcuda package), or with
# SPARKGAN_GPUS_PER_EXECUTOR=0 the CPU build's -spark.jar (./mvnw -B -DskipTests package); before one
# is built, the name that build gives it.
sparkgan_default_jar() {
  local newest version kind=cuda
  [ "${gpus_per_executor:-1}" = 0 ] && kind=spark
  newest=$(ls -t "$sparkgan_home"/target/sparkgan-*-"$kind".jar 2>/dev/null | head -1 || true)
  if [ -n "$newest" ]; then
    echo "$newest"
    return
  fi
  version=$(awk '/<artifactId>sparkgan<\/artifactId>/ { found = 1 }
                 found && /<version>/ { gsub(/.*<version>|<\/version>.*/, ""); print; exit }' "$sparkgan_home/pom.xml")
  echo "$sparkgan_home/target/sparkgan-${version}-${kind}.jar"
}

sparkgan_check_jar() {
  local jar="$1"
  [ "$dry_run" = 1 ] && return 0
  case "$jar" in
    *://* | local:*) return 0 ;; # on the cluster's filesystem or inside the container image
  esac
  local build="./mvnw -B -DskipTests -Pcuda package"
  [ "${gpus_per_executor:-1}" = 0 ] && build="./mvnw -B -DskipTests package"
  [ -f "$jar" ] || sparkgan_die "no jar at $jar: build it with $build, or set SPARKGAN_JAR"
}

sparkgan_whole() { # sparkgan_whole NAME VALUE: VALUE must be a whole number
  [[ "$2" =~ ^[0-9]+$ ]] || sparkgan_die "$1 must be a whole number, got '$2'"
}

# Sizes, in GiB. ND4J keeps its arrays off the JVM heap (JavaCPP), so a container needs heap +
# off-heap + room for the JVM and the CUDA context: the overhead is the off-heap cap + 4 GiB, and
# JavaCPP's own limits (maxbytes: off-heap arrays; maxphysicalbytes: the whole process) stop ND4J
# with a clear OutOfMemoryError before the cluster manager kills the container for its size.
sparkgan_sizes() {
  executors="${SPARKGAN_EXECUTORS:-8}"
  executor_cores="${SPARKGAN_EXECUTOR_CORES:-4}"
  executor_heap="${SPARKGAN_EXECUTOR_MEMORY_GB:-8}"
  executor_offheap="${SPARKGAN_EXECUTOR_OFFHEAP_GB:-16}"
  driver_heap="${SPARKGAN_DRIVER_MEMORY_GB:-8}"
  driver_offheap="${SPARKGAN_DRIVER_OFFHEAP_GB:-8}"
  driver_gpus="${SPARKGAN_DRIVER_GPUS:-1}"
  max_failures="${SPARKGAN_MAX_FAILURES:-8}"
  gpus_per_executor="${SPARKGAN_GPUS_PER_EXECUTOR:-1}"
  local name
  for name in executors executor_cores executor_heap executor_offheap driver_heap driver_offheap driver_gpus max_failures; do
    sparkgan_whole "$name" "${!name}"
  done
  [[ "$gpus_per_executor" =~ ^[01]$ ]] ||
    sparkgan_die "SPARKGAN_GPUS_PER_EXECUTOR must be 1 (one training task per GPU) or 0 (CPU executors), got '$gpus_per_executor'"
  [ "$executors" -ge 1 ] && [ "$executor_cores" -ge 1 ] || sparkgan_die "SPARKGAN_EXECUTORS and SPARKGAN_EXECUTOR_CORES must be at least 1"
  executor_overhead=$((executor_offheap + 4))
  driver_overhead=$((driver_offheap + 4))
  executor_javacpp="-Dorg.bytedeco.javacpp.maxbytes=${executor_offheap}g -Dorg.bytedeco.javacpp.maxphysicalbytes=$((executor_heap + executor_offheap + 2))g"
  driver_javacpp="-Dorg.bytedeco.javacpp.maxbytes=${driver_offheap}g -Dorg.bytedeco.javacpp.maxphysicalbytes=$((driver_heap + driver_offheap + 2))g"
}

# The Java 17 flags Spark's own launcher passes (JavaModuleOptions); the same set as pom.xml and
# bin/sparkgan. Spark adds them itself to every executor and to drivers started by spark-submit,
# the YARN AM and the Kubernetes driver pod; only a standalone cluster-mode driver needs them here.
sparkgan_java17_flags="--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false"

sparkgan_is_local_master() { [[ "$1" == local* ]]; }

# Whether to ask the cluster manager for GPUs: not in local[N] (resource settings hang it) and not
# for CPU executors (SPARKGAN_GPUS_PER_EXECUTOR=0).
sparkgan_uses_gpus() { ! sparkgan_is_local_master "$1" && [ "$gpus_per_executor" = 1 ]; }

# conf+=(--conf key=value)
conf=()
sparkgan_conf() {
  conf+=(--conf "$1=$2")
}

# The settings every cluster manager gets: one training task per executor holding all its cores,
# every executor for the whole run, memory for ND4J's off-heap arrays (the driver's JVM options are
# the caller's: $1), task retries. Memory overhead is YARN's and Kubernetes' only (sparkgan_overheads).
sparkgan_task_conf() {
  sparkgan_conf spark.dynamicAllocation.enabled false   # synchronous training holds every executor all run
  sparkgan_conf spark.executor.cores "$executor_cores"
  sparkgan_conf spark.task.cpus "$executor_cores"       # = executor cores: one training task per executor
  sparkgan_conf spark.executor.memory "${executor_heap}g"
  sparkgan_conf spark.executor.extraJavaOptions "$executor_javacpp"
  sparkgan_conf spark.driver.memory "${driver_heap}g"
  sparkgan_conf spark.driver.extraJavaOptions "$1"
  sparkgan_conf spark.task.maxFailures "$max_failures"  # a retried task computes the same gradient
}

# Container sizes where the cluster manager enforces them: heap + ND4J's off-heap + slack.
sparkgan_overheads() {
  sparkgan_conf spark.executor.memoryOverhead "${executor_overhead}g"
  sparkgan_conf spark.driver.memoryOverhead "${driver_overhead}g"
}

# Submits the stage: spark-submit's own options, then "$@" (e.g. YARN's --queue and --files), the
# --conf settings, SPARKGAN_SUBMIT_OPTS (last, so they win), the jar and sparkgan's arguments.
sparkgan_submit_stage() {
  local submit=("$(sparkgan_spark_submit)" --master "$master" --deploy-mode "$deploy_mode"
    --name "sparkgan-$stage-$run_id" --class io.sparkgan.cli.Main "$@" "${conf[@]}")
  # shellcheck disable=SC2206
  submit+=(${SPARKGAN_SUBMIT_OPTS:-})
  submit+=("$jar" "${app_args[@]}")
  sparkgan_run "${submit[@]}"
}

# Sets app_args: the stage, the run directory (fid) or run id (train), --config, then the user's.
sparkgan_app_args() {
  local config_arg="$1"
  app_args=("$stage")
  if [ "$stage" = fid ] && ! sparkgan_has_arg --run && ! sparkgan_has_arg --stats; then
    [ -n "${SPARKGAN_OUTPUT_DIR:-}" ] ||
      sparkgan_die "fid needs the run directory: pass --run DIR, or set SPARKGAN_OUTPUT_DIR (output.dir of the config) to use \$SPARKGAN_OUTPUT_DIR/$run_id"
    app_args+=(--run "${SPARKGAN_OUTPUT_DIR%/}/$run_id")
  fi
  if ! sparkgan_has_arg --config; then
    app_args+=(--config "$config_arg")
  fi
  if [ "$stage" = train ]; then
    app_args+=(--set "run.id=$run_id")
  fi
  app_args+=(${user_args[@]+"${user_args[@]}"})
}

sparkgan_spark_submit() {
  echo "${SPARK_SUBMIT:-${SPARK_HOME:+$SPARK_HOME/bin/}spark-submit}"
}

sparkgan_quote() { # one argument, quoted for a POSIX shell only where it needs it
  if [[ "$1" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

# Runs the command, or with --dry-run prints it on one line (shell-quoted) and exits 0.
sparkgan_run() {
  local line="" arg
  for arg in "$@"; do
    line+="${line:+ }$(sparkgan_quote "$arg")"
  done
  if [ "$dry_run" = 1 ]; then
    printf '%s\n' "$line"
    exit 0
  fi
  command -v "$1" >/dev/null 2>&1 || sparkgan_die "$1 not found: set SPARK_HOME or SPARK_SUBMIT"
  echo "sparkgan: $line" >&2
  exec "$@"
}
