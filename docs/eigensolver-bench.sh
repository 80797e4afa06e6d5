#!/usr/bin/env bash
# The symmetric eigensolvers the FID could run on (docs/EigensolverBench.java): EJML (what it runs),
# LAPACK dsyev through ND4J's bundled OpenBLAS, and Hipparchus, on matrices of known spectrum at the
# given sizes; time and eigenvalue error for each. docs/performance.md has the figures.
#   docs/eigensolver-bench.sh            d = 128 512 2048
#   OPENBLAS_CORETYPE=SKYLAKEX docs/eigensolver-bench.sh 256
# Downloads hipparchus-core once (Maven Central) into target/eigensolver-bench/.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
[ $# -gt 0 ] || set -- 128 512 2048
./mvnw -q -B -DskipTests compile
touch target/.sparkgan-built
lib="$home/target/eigensolver-bench"
if [ ! -f "$lib/hipparchus-core-4.0.2.jar" ]; then
  ./mvnw -q -B dependency:copy -Dartifact=org.hipparchus:hipparchus-core:4.0.2 -DoutputDirectory="$lib"
fi
echo "processor: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -Xmx4g -cp "$home/target/classes:$(cat target/classpath.txt):$lib/hipparchus-core-4.0.2.jar" \
  docs/EigensolverBench.java "$@"
