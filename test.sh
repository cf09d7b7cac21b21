#!/usr/bin/env bash
# The tests, with what they need: installs the Debian packages the real-kernel tests use when they are absent
# (iproute2; ping; wireguard-go and wg, the stock WireGuard peer; iperf3, OpenVPN and openssl for the benchmark
# harness's smoke test), then runs the build with every test.
# Run as root: the tests create TUN devices and network namespaces (and remove them).
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v wireguard-go >/dev/null 2>&1 || need+=(wireguard-go)
command -v wg >/dev/null 2>&1 || need+=(wireguard-tools)
command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)
command -v openvpn >/dev/null 2>&1 || need+=(openvpn)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: missing ${need[*]}; install them (Debian: apt-get install ${need[*]}) or run as root" >&2
    else
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
    fi
fi

exec mvn -B verify "$@"
