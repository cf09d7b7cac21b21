#!/usr/bin/env bash
# The VPN benchmark (see VpnBenchmark and benchmarks/README.md): raw veth, wireguard-go, OpenVPN and our
# WireGuard (epoll/io_uring x offload on/off, on the newest JDK and JDK 17, and against wireguard-go), iperf3 with
# 1 and 4 TCP streams, ping under load, CPU per GB. Needs root and the Debian packages iperf3, iputils-ping,
# wireguard-go, wireguard-tools, openvpn, openssl. Writes benchmarks/results/vpn.md with its PNG charts; a full
# run (no --smoke, no --cases, no --out) also updates the README's table. Arguments go to the benchmark (--help).
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/end-to-end.sh
readme=(--readme README.md)
for arg in "$@"; do
    case "$arg" in --smoke|--cases|--cases=*|--out|--out=*|-h|--help|-V|--version) readme=() ;; esac
done
run_end_to_end run-vpn-benchmark.sh - io.github.nettytun.benchmarks.tun.VpnBenchmark \
    "iperf3 ping" "iperf3 iputils-ping" "${readme[@]}" "$@"
