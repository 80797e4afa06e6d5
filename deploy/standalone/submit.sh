#!/usr/bin/env bash
# Submits a sparkgan stage to a Spark standalone cluster with GPU workers, with the CUDA jar: one GPU
# per executor, one training task per executor. The workers announce their GPUs themselves, in
# their conf/spark-defaults.conf (or SPARK_WORKER_OPTS), before they start:
#   spark.worker.resource.gpu.amount          4        (the GPUs of that machine)
#   spark.worker.resource.gpu.discoveryScript /opt/sparkgan/getGpusResources.sh
# so the application sets only executor and task amounts (no discovery script of its own).
#   SPARKGAN_MASTER=spark://master:7077 deploy/standalone/submit.sh nightly-20261121
#   deploy/standalone/submit.sh --dry-run nightly-20261121 prepare      # print the spark-submit command
# Client mode (the default) runs the driver here: this machine needs an NVIDIA GPU and driver (the
# driver runs ND4J, and the -cuda jar has only the CUDA backend). In cluster mode the jar and the
# config must be readable from every worker (hdfs:// URIs or the same local path everywhere).
# CPU executors (no GPUs asked for, the CPU build's -spark.jar): SPARKGAN_GPUS_PER_EXECUTOR=0. On a
# machine without Spark installed, SPARK_SUBMIT=bin/spark-submit; bin/spark-cluster starts a
# standalone cluster on this machine to try it on.
# Environment (defaults in brackets; the sizes are shared by all three scripts, see deploy/README.md):
#   SPARKGAN_MASTER [spark://localhost:7077]  SPARKGAN_DEPLOY_MODE [client]  SPARKGAN_GPUS_PER_EXECUTOR [1]
#   SPARKGAN_JAR [target/sparkgan-<version>-cuda.jar]  SPARKGAN_CONFIG [conf/cluster-gpu.conf]
#   SPARKGAN_SUBMIT_OPTS: more spark-submit options, appended (so they win)
set -euo pipefail
# shellcheck source=../lib/submit-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/submit-common.sh"
sparkgan_parse_args "$@"
sparkgan_sizes

master="${SPARKGAN_MASTER:-spark://localhost:7077}"
deploy_mode="${SPARKGAN_DEPLOY_MODE:-client}"
jar="${SPARKGAN_JAR:-$(sparkgan_default_jar)}"
config="${SPARKGAN_CONFIG:-$sparkgan_home/conf/cluster-gpu.conf}"
sparkgan_check_jar "$jar"

driver_java="$driver_javacpp"
if [ "$deploy_mode" = cluster ]; then
  # A worker launches a cluster-mode driver without Spark's launcher, hence without the Java 17
  # module flags that spark-submit adds everywhere else.
  driver_java="$sparkgan_java17_flags $driver_javacpp"
fi

sparkgan_conf spark.cores.max "$((executors * executor_cores))"   # standalone's executor count
# Standalone has no memory overhead setting: leave SPARKGAN_EXECUTOR_OFFHEAP_GB + 4 GiB per executor
# outside SPARK_WORKER_MEMORY; JavaCPP's limits keep ND4J inside it.
sparkgan_task_conf "$driver_java"
if sparkgan_uses_gpus "$master"; then  # GPU executors on a cluster (never in local[N])
  sparkgan_conf spark.executor.resource.gpu.amount 1
  sparkgan_conf spark.task.resource.gpu.amount 1
  if [ "$deploy_mode" = cluster ] && [ "$driver_gpus" -gt 0 ]; then
    # The driver runs ND4J too; its worker assigns it one of the GPUs it announced.
    sparkgan_conf spark.driver.resource.gpu.amount "$driver_gpus"
  fi
fi

sparkgan_app_args "$config"
sparkgan_submit_stage
