#!/usr/bin/env bash
# Every JMH suite of the project from one place (see JmhSuite): builds the benchmarks jar, runs JMH with the GC
# profiler and writes a summary table to benchmarks/results/jmh-jdk<N>.md (or --summary FILE). Other arguments
# go to JMH: a regex picks suites, --quick makes a short pass that only checks they run. JAVA_HOME picks the JDK.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! build_log=$(mvn -q -B -DskipTests -pl benchmarks -am package 2>&1); then
    echo "$build_log" >&2
    exit 1
fi
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
jdk=$("$java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
summary=(--summary "benchmarks/results/jmh-jdk$jdk.md")
for arg in "$@"; do
    case "$arg" in --summary|--quick|-h) summary=() ;; esac
done
exec "$java" --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
    io.github.nettytun.benchmarks.JmhSuite "${summary[@]}" "$@"
