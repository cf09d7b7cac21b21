#!/usr/bin/env bash
# The tests, with what they need: installs the Debian packages the real-kernel tests use when they are absent
# (iproute2; ping; wireguard-go and wg, the stock WireGuard peer; iperf3, OpenVPN and openssl for the benchmark
# harness's smoke test; tcpdump to read the server's captures back), then runs the build with every test once on
# JDK 17 (the bytecode level) and once on the newest JDK installed, then fuzzes every parser for a bounded time
# (fuzz.sh), and prints the results of each.
# Run as root: the tests create TUN devices and network namespaces (and remove them).
#
#   ./test.sh                      JDK 17 and the newest JDK found (JAVA_HOME, /usr/lib/jvm/*)
#   ./test.sh --jdk /path/to/jdk   that JDK only (repeatable); other arguments go to Maven
set -euo pipefail
cd "$(dirname "$0")"

jdks=()
mvn_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --jdk) jdks+=("$2"); shift 2 ;;
        --jdk=*) jdks+=("${1#--jdk=}"); shift ;;
        *) mvn_args+=("$1"); shift ;;
    esac
done

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v wireguard-go >/dev/null 2>&1 || need+=(wireguard-go)
command -v wg >/dev/null 2>&1 || need+=(wireguard-tools)
command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)
command -v openvpn >/dev/null 2>&1 || need+=(openvpn)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
apt_updated=
apt_install() {
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: missing $*; install them (Debian: apt-get install $*) or run as root" >&2
        return 1
    fi
    [ -n "$apt_updated" ] || { apt-get update -q; apt_updated=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}
if [ "${#need[@]}" -gt 0 ]; then
    apt_install "${need[@]}" || true
fi

# The feature version of the JDK at $1 (17, 25, ...), or nothing if it is no JDK.
jdk_major() {
    [ -x "$1/bin/javac" ] && [ -f "$1/release" ] || return 0
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release"
}

# Every JDK on the machine, one real path per line with its feature version: "25 /usr/lib/jvm/temurin-25...".
installed_jdks() {
    local home
    {
        [ -n "${JAVA_HOME:-}" ] && echo "$JAVA_HOME"
        command -v javac >/dev/null 2>&1 && dirname "$(dirname "$(readlink -f "$(command -v javac)")")"
        for home in /usr/lib/jvm/*; do echo "$home"; done
    } | while read -r home; do
        home=$(readlink -f "$home")
        major=$(jdk_major "$home")
        [ -n "$major" ] && echo "$major $home"
    done | sort -u -k2,2 | sort -n -k1,1
}

if [ "${#jdks[@]}" -eq 0 ]; then
    list=$(installed_jdks)
    first=$(awk '$1 == 17 { print $2; exit }' <<<"$list")
    [ -n "$first" ] || first=$(awk 'NR == 1 { print $2 }' <<<"$list")
    newest=$(awk 'END { print $2 }' <<<"$list")
    if [ -z "$first" ]; then
        echo "test.sh: no JDK found (JAVA_HOME, javac on the PATH, /usr/lib/jvm); install JDK 17+" >&2
        exit 1
    fi
    if [ "$newest" = "$first" ]; then
        # A second, newer JDK from Debian's packages when it has one (bookworm has only 17).
        for pkg in openjdk-25-jdk-headless openjdk-21-jdk-headless; do
            if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
                [ -n "$apt_updated" ] || { apt-get update -q; apt_updated=1; }
                if apt-cache show "$pkg" >/dev/null 2>&1 && apt_install "$pkg"; then
                    newest=$(installed_jdks | awk 'END { print $2 }')
                    break
                fi
            fi
        done
    fi
    jdks=("$first")
    if [ "$newest" != "$first" ]; then
        jdks+=("$newest")
    else
        echo "test.sh: only one JDK ($(jdk_major "$first")) here and no newer one in the package lists:" \
            "testing on it alone" >&2
    fi
fi

# Test counts of the run that just ended, from surefire's reports: "tests N, failures N, errors N, skipped N".
counts() {
    find . -path '*/target/surefire-reports/TEST-*.xml' -print0 | xargs -0 -r awk '
        FNR == 1 { seen = 0 }
        !seen && /<testsuite / {
            seen = 1
            for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) { gsub(/["\/>]/, "", kv[2]); sum[kv[1]] += kv[2] }
        }
        END { printf "tests %d, failures %d, errors %d, skipped %d", sum["tests"], sum["failures"], sum["errors"], sum["skipped"] }'
}

# The tests that failed or erred in that run, one line each with the start of the message, so that the summary at
# the end of a long log names them.
failed_tests() {
    find . -path '*/target/surefire-reports/TEST-*.xml' -print0 | xargs -0 -r awk '
        /<testcase / {
            name = $0; sub(/.*[ \t]name="/, "", name); sub(/".*/, "", name)
            cls = $0; sub(/.*classname="/, "", cls); sub(/".*/, "", cls); sub(/.*\./, "", cls)
        }
        /<(error|failure)[ >]/ {
            kind = ($0 ~ /<error/) ? "error" : "failure"
            msg = $0; if (msg ~ /message="/) { sub(/.*message="/, "", msg); sub(/".*/, "", msg) } else msg = ""
            if (length(msg) > 240) msg = substr(msg, 1, 240) "..."
            printf "  %s %s.%s: %s\n", kind, cls, name, msg
        }'
}

status=0
summary=()
for home in "${jdks[@]}"; do
    version=$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$home/release")
    echo "==== test.sh: mvn -B verify on JDK $version ($home)"
    find . -path '*/target/surefire-reports' -type d -prune -exec rm -rf {} +
    start=$SECONDS
    if JAVA_HOME="$home" PATH="$home/bin:$PATH" mvn -B verify "${mvn_args[@]+"${mvn_args[@]}"}"; then
        result=passed
    else
        result=FAILED
        status=1
    fi
    summary+=("JDK $version: $result in $((SECONDS - start)) s; $(counts)")
    if [ "$result" = FAILED ]; then
        while IFS= read -r line; do summary+=("$line"); done < <(failed_tests)
    fi
done
# Coverage-guided fuzzing of every parser of untrusted input, bounded (each target its @FuzzTest duration, 10-20 s),
# on the first JDK; `mvn verify` above already replayed each target's corpus. NETTY_TUN_FUZZ=0 skips it.
if [ "${NETTY_TUN_FUZZ:-1}" != 0 ] && [ "$status" -eq 0 ]; then
    home="${jdks[0]}"
    echo "==== test.sh: ./fuzz.sh on JDK $(jdk_major "$home")"
    start=$SECONDS
    if JAVA_HOME="$home" PATH="$home/bin:$PATH" ./fuzz.sh; then
        summary+=("fuzzing (JDK $(jdk_major "$home")): passed in $((SECONDS - start)) s")
    else
        summary+=("fuzzing (JDK $(jdk_major "$home")): FAILED in $((SECONDS - start)) s")
        status=1
    fi
fi
echo "==== test.sh summary"
printf '%s\n' "${summary[@]}"
exit "$status"
