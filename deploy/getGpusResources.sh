#!/usr/bin/env bash
# Spark's GPU discovery script for sparkgan executors (and a driver that asks for a GPU):
#   spark.executor.resource.gpu.discoveryScript=./getGpusResources.sh
# Spark runs it when the executor starts and reads one JSON object from stdout naming the GPUs the
# container may use, e.g.
#   {"name": "gpu", "addresses": ["0","1"]}
# The addresses are the CUDA device indices a process in this container uses, which is what sparkgan
# binds each task to. nvidia-smi ignores CUDA_VISIBLE_DEVICES but CUDA renumbers the devices it
# names 0..k-1, so when it is set (some YARN setups) the script reports 0..k-1. Otherwise it reports
# nvidia-smi's GPU indices and assumes the cluster manager isolates GPUs (YARN with
# GPU isolation or Docker, Kubernetes with the NVIDIA device plugin): nvidia-smi then lists only the
# GPUs this container was given. Without isolation every executor on a node sees every GPU.
#
# Exits non-zero with the reason on stderr, and nothing on stdout, when there is no usable GPU: no
# nvidia-smi (not a GPU node, or the NVIDIA driver is not installed), nvidia-smi failing (driver not
# loaded), or no GPUs listed. Spark then fails the executor with that message instead of training
# on a GPU that is not there.
set -euo pipefail

where="${HOSTNAME:-this host}"
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "getGpusResources.sh: nvidia-smi not found on $where (PATH=$PATH): this is not a GPU node, or the" \
    "NVIDIA driver is not installed in this container; cannot discover GPUs for Spark" >&2
  exit 1
fi

if ! listing=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>&1); then
  echo "getGpusResources.sh: nvidia-smi failed on $where: $listing" >&2
  exit 1
fi

addresses=""
while IFS= read -r line; do
  index="${line//[[:space:]]/}"
  [ -n "$index" ] || continue
  if [[ ! "$index" =~ ^[0-9]+$ ]]; then
    echo "getGpusResources.sh: unexpected line from nvidia-smi --query-gpu=index on $where: '$line'" >&2
    exit 1
  fi
  addresses="${addresses:+$addresses,}\"$index\""
done <<<"$listing"

if [ -z "$addresses" ]; then
  echo "getGpusResources.sh: nvidia-smi lists no GPUs on $where" >&2
  exit 1
fi
if [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
  IFS=',' read -r -a visible <<<"$CUDA_VISIBLE_DEVICES"
  addresses=""
  for ((i = 0; i < ${#visible[@]}; i++)); do
    addresses="${addresses:+$addresses,}\"$i\""
  done
fi
printf '{"name": "gpu", "addresses": [%s]}\n' "$addresses"
