#!/usr/bin/env bash
# WireGuard end to end: our interface (epoll, io_uring, offload on/off) against Debian's wireguard-go, iperf3 TCP
# through the tunnel between two namespaces (see WireGuardBenchmark). Needs root, iperf3, wireguard-go and wg
# (Debian packages iperf3, wireguard-go, wireguard-tools) and ping. Writes benchmarks/results/wireguard-<jdk>.md.
# Arguments go to the benchmark (try --help); JAVA_HOME selects the JDK.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/end-to-end.sh
run_end_to_end run-wireguard-benchmark.sh wireguard io.github.nettytun.benchmarks.tun.WireGuardBenchmark \
    "iperf3 wireguard-go wg ping" "iperf3 wireguard-go wireguard-tools iputils-ping" "$@"
