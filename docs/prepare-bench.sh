#!/usr/bin/env bash
# Prepare's throughput on a generated folder of PNGs (docs/PrepareBench.java): sparkgan's prepare
# against Spark's own image data source (spark.read.format("image")) in the same local[2] session,
# and sparkgan's prepare in local[1] against local[2]; interleaved pairs, medians of the ratios.
# docs/performance.md ("Prepare") has the figures.
#   docs/prepare-bench.sh
# Environment: IMAGES [100000]  PAIRS [3]  SPARKGAN_PREPARE_BENCH_DIR [target/prepare-bench]
# Builds with the image-source profile (spark-mllib, downloaded once, on the local classpath only).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
./mvnw -q -B -Pimage-source -DskipTests compile
touch target/.sparkgan-built
SPARKGAN_MAIN=docs/PrepareBench.java exec bin/sparkgan "${SPARKGAN_PREPARE_BENCH_DIR:-$home/target/prepare-bench}" \
  "${IMAGES:-100000}" "${PAIRS:-3}"
