#!/usr/bin/env bash
# A soak run of our WireGuard server (SoakRun): 10 minutes by default of a checked TCP stream through the tunnel
# to Debian's wireguard-go, with peer restarts every 60 s, a 3-second link flap every 90 s and a garbage flood;
# then a report (bytes checked, drops by reason, handshakes, peak heap, direct memory and RSS, leaks) and exit
# status 0 only when the stream stayed exact, the server lived and nothing leaked. Two namespaces of its own,
# removed afterwards. Needs root, Java 17+, Maven, iproute2, wireguard-go and wg.
#   sudo examples/soak.sh [--seconds N] [--restart-every S] [--flap-every S] [--flood-rate N]
# The suite runs a 40-second version (SoakRunTest).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
    echo "soak.sh: run as root (it creates network namespaces and TUN devices)" >&2
    exit 1
fi
echo "building (mvn -DskipTests -pl examples -am package) ..."
if ! build_log=$(mvn -q -B -DskipTests -pl examples -am package 2>&1); then
    echo "$build_log" >&2
    exit 1
fi
exec java -Dio.netty.machineId=02:00:00:00:00:01 --enable-native-access=ALL-UNNAMED \
    -jar examples/target/netty-tun-examples.jar soak "$@"
