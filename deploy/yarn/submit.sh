#!/usr/bin/env bash
# Submits a sparkgan stage to YARN (Hadoop 3.1+ with GPU scheduling, yarn.io/gpu) with the CUDA
# jar: one GPU per executor, one training task per executor.
#   deploy/yarn/submit.sh nightly-20261121                          # train (resumes if it exists)
#   deploy/yarn/submit.sh nightly-20261121 prepare
#   SPARKGAN_OUTPUT_DIR=hdfs:///sparkgan/runs deploy/yarn/submit.sh nightly-20261121 fid --checkpoints all
#   deploy/yarn/submit.sh --dry-run nightly-20261121                # print the spark-submit command
# Environment (defaults in brackets; the sizes are shared by all three scripts, see deploy/README.md):
#   SPARKGAN_JAR [target/sparkgan-<version>-cuda.jar]  SPARKGAN_CONFIG [conf/cluster-gpu.conf]
#   SPARKGAN_MASTER [yarn]  SPARKGAN_DEPLOY_MODE [cluster]  SPARKGAN_YARN_QUEUE [none]
#   SPARKGAN_GPU_DISCOVERY_SCRIPT [deploy/getGpusResources.sh, shipped with --files]
#   SPARKGAN_SUBMIT_OPTS: more spark-submit options, appended (so they win)
set -euo pipefail
# shellcheck source=../lib/submit-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/submit-common.sh"
sparkgan_parse_args "$@"
sparkgan_sizes

master="${SPARKGAN_MASTER:-yarn}"
deploy_mode="${SPARKGAN_DEPLOY_MODE:-cluster}"
jar="${SPARKGAN_JAR:-$(sparkgan_default_jar)}"
config="${SPARKGAN_CONFIG:-$sparkgan_home/conf/cluster-gpu.conf}"
discovery="${SPARKGAN_GPU_DISCOVERY_SCRIPT:-$sparkgan_home/deploy/getGpusResources.sh}"
sparkgan_check_jar "$jar"

# YARN localises --files into each container's working directory: the discovery script runs there
# as ./getGpusResources.sh, and in cluster mode the driver reads the config there by its base name.
files=("$discovery")
case "$config" in
  *://*) config_arg="$config" ;;        # hdfs://, s3a://: the driver reads it through Hadoop
  *)
    if [ "$deploy_mode" = cluster ]; then
      files+=("$config")
      config_arg="$(basename "$config")"
    else
      config_arg="$config"              # client mode: the driver is this machine
    fi
    ;;
esac
discovery_in_container="./$(basename "$discovery")"

sparkgan_conf spark.executor.instances "$executors"
sparkgan_task_conf "$driver_javacpp"
sparkgan_overheads
sparkgan_conf spark.yarn.maxAppAttempts 2             # a lost driver restarts and resumes from its checkpoint
if sparkgan_uses_gpus "$master"; then  # GPU executors on a cluster (never in local[N])
  sparkgan_conf spark.executor.resource.gpu.amount 1
  sparkgan_conf spark.task.resource.gpu.amount 1
  sparkgan_conf spark.executor.resource.gpu.discoveryScript "$discovery_in_container"
  if [ "$deploy_mode" = cluster ] && [ "$driver_gpus" -gt 0 ]; then
    # The driver runs ND4J too (sample grids, checkpoints, FID statistics) and the -cuda jar has only
    # the CUDA backend, so the driver container gets a GPU as well.
    sparkgan_conf spark.driver.resource.gpu.amount "$driver_gpus"
    sparkgan_conf spark.driver.resource.gpu.discoveryScript "$discovery_in_container"
  fi
fi

sparkgan_app_args "$config_arg"
yarn_options=()
[ -n "${SPARKGAN_YARN_QUEUE:-}" ] && yarn_options+=(--queue "$SPARKGAN_YARN_QUEUE")
yarn_options+=(--files "$(IFS=,; echo "${files[*]}")")
sparkgan_submit_stage "${yarn_options[@]}"
