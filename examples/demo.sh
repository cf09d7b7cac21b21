#!/usr/bin/env bash
# The main job: builds netty-tun and runs a WireGuard VPN between two network namespaces of its own (our server
# and our server as the client peer; wireguard-go too when installed): handshake, ping and TCP throughput for
# epoll and io_uring, then a summary. Removes the namespaces again, also on Ctrl-C or failure.
# Needs root, Java 17+, Maven and iproute2. Extra arguments go to the demo (try --help); --ping runs the older
# ping-responder demo instead.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "demo.sh: run as root (it creates network namespaces and TUN devices)" >&2
    exit 1
fi

echo "building (mvn -DskipTests -pl examples -am package) ..."
if ! build_log=$(mvn -q -B -DskipTests -pl examples -am package 2>&1); then
    echo "$build_log" >&2
    exit 1
fi

jar=examples/target/netty-tun-examples.jar
java=(java -Dio.netty.machineId=02:00:00:00:00:01 --enable-native-access=ALL-UNNAMED)
if [ "${1:-}" = "--ping" ]; then
    shift
    ns="nettytun-demo-$$"
    cleanup() { ip netns del "$ns" 2>/dev/null || true; }
    trap cleanup EXIT INT TERM
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    echo "network namespace $ns created (removed on exit)"
    ip netns exec "$ns" "${java[@]}" -jar "$jar" ping-demo "$@"
    exit
fi

prefix="nettytun-demo-$$"
cleanup() { ip netns del "$prefix-a" 2>/dev/null || true; ip netns del "$prefix-b" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
"${java[@]}" -jar "$jar" vpn-demo --prefix "$prefix" "$@"
