#!/usr/bin/env bash
# End-to-end TUN benchmark: two namespaces bridged by two TunChannels, iperf3 across (see TunBridgeBenchmark).
# Needs root and iperf3 (Debian package iperf3). Writes benchmarks/results/tun-bridge-<jdk>.md and .png.
# Arguments go to the benchmark (try --help); JAVA_HOME selects the JDK.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/end-to-end.sh
run_end_to_end run-tun-benchmark.sh tun-bridge io.github.nettytun.benchmarks.tun.TunBridgeBenchmark \
    "iperf3" "iperf3" "$@"
