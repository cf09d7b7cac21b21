#!/usr/bin/env bash
# End-to-end TUN benchmark: two namespaces bridged by two TunChannels, iperf3 across (see TunBridgeBenchmark).
# Needs root and iperf3 (Debian package iperf3). Writes benchmarks/results/tun-bridge-<jdk>.md and .png.
# Arguments go to the benchmark (try --help); JAVA_HOME selects the JDK.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "run-tun-benchmark.sh: run as root (it creates namespaces and TUN devices)" >&2
    exit 1
fi
command -v iperf3 >/dev/null || { echo "iperf3 is missing: apt-get install iperf3" >&2; exit 1; }

if ! build_log=$(mvn -q -B -DskipTests -pl benchmarks -am package 2>&1); then
    echo "$build_log" >&2
    exit 1
fi

java=${JAVA_HOME:+$JAVA_HOME/bin/}java
jdk=$("$java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
out=(--out "benchmarks/results/tun-bridge-jdk$jdk.md")
for arg in "$@"; do
    case "$arg" in --out|--out=*) out=() ;; esac
done
exec "$java" --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
    io.github.nettytun.benchmarks.tun.TunBridgeBenchmark "${out[@]}" "$@"
