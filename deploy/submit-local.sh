#!/usr/bin/env bash
# Runs the spark-submit jar exactly as a cluster would, but on this machine: Spark's own SparkSubmit
# with only Spark and Hadoop on the classpath (what spark-submit provides), in local mode.
# Use it to check a build before shipping it to YARN/Kubernetes/standalone.
#   deploy/submit-local.sh train --set train.steps=20 --set run.id=submit-check
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar=$(ls "$home"/target/sparkgan-*-spark.jar 2>/dev/null | head -1 || true)
if [ -z "$jar" ] || [ ! -f "$home/target/spark-classpath.txt" ]; then
  (cd "$home" && ./mvnw -q -B -DskipTests package)
  jar=$(ls "$home"/target/sparkgan-*-spark.jar | head -1)
fi
# spark-submit itself passes these on Java 17 (Spark's JavaModuleOptions).
opens="--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false"
# shellcheck disable=SC2086
exec java -Xmx8g $opens -cp "$(cat "$home/target/spark-classpath.txt")" org.apache.spark.deploy.SparkSubmit \
  --master "${SPARK_MASTER:-local[4]}" --class io.sparkgan.cli.Main "$jar" "$@"
