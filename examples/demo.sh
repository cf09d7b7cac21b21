#!/usr/bin/env bash
# The main job: builds netty-tun and runs the demo in a network namespace of its own, which it removes again.
# Needs root, Java 17+, Maven and iproute2. Extra arguments go to the demo (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "demo.sh: run as root (it creates a network namespace and a TUN device)" >&2
    exit 1
fi

if ! build_log=$(mvn -q -B -DskipTests -pl examples -am package 2>&1); then
    echo "$build_log" >&2
    exit 1
fi

ns="nettytun-demo-$$"
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
ip netns add "$ns"
ip -n "$ns" link set lo up
echo "network namespace $ns created (removed on exit)"
ip netns exec "$ns" java -jar examples/target/netty-tun-examples.jar ping-demo "$@"
