#!/usr/bin/env bash
# Submits a sparkgan stage to Kubernetes (NVIDIA device plugin: nvidia.com/gpu) in cluster mode:
# one GPU per executor pod, one training task per executor, the driver pod with a GPU of its own.
# The container image holds Spark 3.5 on Java 17, the CUDA 11.6 runtime with cuDNN 8.3, the -cuda
# jar, the discovery script and (unless SPARKGAN_CONFIG is an s3a:// or hdfs:// URI) the config:
#   /opt/sparkgan/sparkgan.jar, /opt/sparkgan/getGpusResources.sh, /opt/sparkgan/conf/cluster-gpu.conf
#   deploy/kubernetes/submit.sh nightly-20261121                    # train (resumes if it exists)
#   deploy/kubernetes/submit.sh --dry-run nightly-20261121 prepare  # print the spark-submit command
# Environment (defaults in brackets; the sizes are shared by all three scripts, see deploy/README.md):
#   SPARKGAN_MASTER [k8s://https://kubernetes.default.svc:443, the API server seen from inside a pod]
#   SPARKGAN_K8S_IMAGE [sparkgan-cuda:latest]  SPARKGAN_K8S_NAMESPACE [default]
#   SPARKGAN_K8S_SERVICE_ACCOUNT [spark: may create, watch and delete pods in the namespace]
#   SPARKGAN_K8S_POD_TEMPLATE [deploy/kubernetes/gpu-pod-template.yaml]
#   SPARKGAN_JAR [local:///opt/sparkgan/sparkgan.jar]  SPARKGAN_CONFIG [/opt/sparkgan/conf/cluster-gpu.conf]
#   SPARKGAN_GPU_DISCOVERY_SCRIPT [/opt/sparkgan/getGpusResources.sh, in the image]
#   SPARKGAN_SUBMIT_OPTS: more spark-submit options, appended (so they win)
set -euo pipefail
# shellcheck source=../lib/submit-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/submit-common.sh"
sparkgan_parse_args "$@"
sparkgan_sizes

master="${SPARKGAN_MASTER:-k8s://https://kubernetes.default.svc:443}"
deploy_mode="${SPARKGAN_DEPLOY_MODE:-cluster}"
image="${SPARKGAN_K8S_IMAGE:-sparkgan-cuda:latest}"
namespace="${SPARKGAN_K8S_NAMESPACE:-default}"
service_account="${SPARKGAN_K8S_SERVICE_ACCOUNT:-spark}"
pod_template="${SPARKGAN_K8S_POD_TEMPLATE:-$sparkgan_home/deploy/kubernetes/gpu-pod-template.yaml}"
jar="${SPARKGAN_JAR:-local:///opt/sparkgan/sparkgan.jar}"
# A path inside the image, or an s3a:// / hdfs:// URI the driver reads through Hadoop.
config="${SPARKGAN_CONFIG:-/opt/sparkgan/conf/cluster-gpu.conf}"
discovery="${SPARKGAN_GPU_DISCOVERY_SCRIPT:-/opt/sparkgan/getGpusResources.sh}"
sparkgan_check_jar "$jar"
if [ "$dry_run" != 1 ] && [ ! -f "$pod_template" ]; then
  sparkgan_die "no pod template at $pod_template (SPARKGAN_K8S_POD_TEMPLATE)"
fi

sparkgan_conf spark.kubernetes.container.image "$image"
sparkgan_conf spark.kubernetes.namespace "$namespace"
sparkgan_conf spark.kubernetes.authenticate.driver.serviceAccountName "$service_account"
sparkgan_conf spark.kubernetes.driver.podTemplateFile "$pod_template"
sparkgan_conf spark.kubernetes.executor.podTemplateFile "$pod_template"
sparkgan_conf spark.executor.instances "$executors"
sparkgan_task_conf "$driver_javacpp"
sparkgan_overheads
if sparkgan_uses_gpus "$master"; then  # GPU executors on a cluster (never in local[N])
  sparkgan_conf spark.executor.resource.gpu.amount 1
  sparkgan_conf spark.executor.resource.gpu.vendor nvidia.com   # pod limit nvidia.com/gpu: 1
  sparkgan_conf spark.executor.resource.gpu.discoveryScript "$discovery"
  sparkgan_conf spark.task.resource.gpu.amount 1
  if [ "$deploy_mode" = cluster ] && [ "$driver_gpus" -gt 0 ]; then
    # The driver runs ND4J too (sample grids, checkpoints, FID statistics) and the -cuda jar has only
    # the CUDA backend, so the driver pod gets a GPU as well.
    sparkgan_conf spark.driver.resource.gpu.amount "$driver_gpus"
    sparkgan_conf spark.driver.resource.gpu.vendor nvidia.com
    sparkgan_conf spark.driver.resource.gpu.discoveryScript "$discovery"
  fi
fi

sparkgan_app_args "$config"
sparkgan_submit_stage
