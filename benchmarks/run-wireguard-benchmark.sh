#!/usr/bin/env bash
# WireGuard end to end: our interface (epoll, io_uring, offload on/off) against Debian's wireguard-go, iperf3 TCP
# through the tunnel between two namespaces (see WireGuardBenchmark). Needs root, iperf3, wireguard-go and wg
# (Debian packages iperf3, wireguard-go, wireguard-tools) and ping. Writes benchmarks/results/wireguard-<jdk>.md.
# Arguments go to the benchmark (try --help); JAVA_HOME selects the JDK.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "run-wireguard-benchmark.sh: run as root (it creates namespaces and TUN devices)" >&2
    exit 1
fi
for tool in iperf3 wireguard-go wg ping; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install iperf3 wireguard-go wireguard-tools iputils-ping)" >&2; exit 1; }
done

if ! build_log=$(mvn -q -B -DskipTests -pl benchmarks -am package 2>&1); then
    echo "$build_log" >&2
    exit 1
fi

java=${JAVA_HOME:+$JAVA_HOME/bin/}java
jdk=$("$java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
out=(--out "benchmarks/results/wireguard-jdk$jdk.md")
for arg in "$@"; do
    case "$arg" in --out|--out=*) out=() ;; esac
done
exec "$java" --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
    io.github.nettytun.benchmarks.tun.WireGuardBenchmark "${out[@]}" "$@"
