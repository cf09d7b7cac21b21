#!/usr/bin/env bash
# Coverage-guided fuzzing (Jazzer) of every parser of untrusted input, one target at a time (Jazzer fuzzes one
# @FuzzTest per JVM). A normal `mvn verify` already runs each target in regression mode over its corpus in
# src/test/resources/.../<Class>Inputs/<method>/; this script fuzzes. libFuzzer keeps what it finds in each
# module's .cifuzz-corpus/ (not in git) and resumes from it, so repeated runs add up; a finding fails the run and
# is written where Jazzer says, to be moved into the Inputs directory as a regression input.
#
#   ./fuzz.sh                 each target once, for the duration its @FuzzTest names (10-20 s; what CI runs)
#   ./fuzz.sh --minutes M     each target for about M minutes (rounds of its duration), then a report
#   ./fuzz.sh --runs N        each target in one round until libFuzzer has tried N inputs (or --minutes M, if
#                             given, has passed); the long run by property: ./fuzz.sh --runs 10000000
#   ./fuzz.sh --only NAME     targets whose name contains NAME
#
# Ends with one line per target: runs (inputs tried), the coverage libFuzzer reports (edges, features), the
# corpus size, and the seconds spent. Coverage guides and counts every class of the project (jazzer.instrument;
# Jazzer's default is only the fuzz test's own module, which left PeerConfig's prefix parsing, in handlers-vpn,
# unguided under the wg-quick and UAPI targets). Each round is `mvn verify -pl MODULE -am` filtered to the one
# target (the modules it needs are built in the same reactor; nothing is installed). Leak detection stays PARANOID
# (every buffer tracked, a leak fails the input) but records no accesses (targetRecords=0): with 32 records, every
# get and set of a tracked buffer took a stack trace, and the segmenter target fell from 17,000 to 360 inputs a
# second once its corpus held many-segment packets. A finding replays with full records in regression mode.
set -euo pipefail
cd "$(dirname "$0")"

minutes=0
runs_goal=0
only=
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) minutes="$2"; shift 2 ;;
        --runs) runs_goal="$2"; shift 2 ;;
        --only) only="$2"; shift 2 ;;
        *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

targets=(
    "handlers-vpn WireGuardFuzzTest#datagramsToADeviceWithASession"
    "handlers-vpn WireGuardFuzzTest#groSegmentSizeOfAnyReceive"
    "codec-gro-gso OffloadFuzzTest#segmenterTakesAnyPacket"
    "codec-gro-gso OffloadFuzzTest#coalescerTakesAnyPackets"
    "examples ConfigFuzzTest#wgQuickFiles"
    "examples ConfigFuzzTest#uapiSetRequests"
)

report=()
status=0
# With --runs, libFuzzer's own flags end the round (Jazzer appends jazzer.internal.arg.1.. after the annotation's
# -max_total_time, and libFuzzer takes the last value of a flag).
limit=()
if [ "$runs_goal" -gt 0 ]; then
    seconds=$(( minutes > 0 ? minutes * 60 : 86400 ))
    limit=(-Djazzer.internal.arg.0=fuzz "-Djazzer.internal.arg.1=-runs=$runs_goal"
           "-Djazzer.internal.arg.2=-max_total_time=$seconds")
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for entry in "${targets[@]}"; do
    read -r module target <<<"$entry"
    [ -z "$only" ] || [[ "$target" == *"$only"* ]] || continue
    runs=0
    last=
    start=$SECONDS
    round=0
    while :; do
        round=$((round + 1))
        if ! JAZZER_FUZZ=1 mvn -B verify -pl "$module" -am -Dtest="$target" -Dforbiddenapis.skip \
                '-Djazzer.instrument=io.github.nettytun.**' -Dio.netty.leakDetection.targetRecords=0 ${limit[@]+"${limit[@]}"} \
                -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1; then
            echo "==== fuzz.sh: $target FAILED in round $round; its output:" >&2
            grep -a -E -A30 'FuzzTestFinding|== Java Exception|ERROR\]' "$log" | head -80 >&2
            status=1
            break
        fi
        done_line=$(grep -a -E '^Done [0-9]+ runs' "$log" | tail -1)
        runs=$((runs + $(awk '{ print $2 }' <<<"${done_line:-Done 0}")))
        last=$(grep -a -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1)
        [ "$runs_goal" -eq 0 ] && [ "$minutes" -gt 0 ] && [ $((SECONDS - start)) -lt $((minutes * 60)) ] || break
    done
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9a-zA-Z]*' <<<"${last:-}" || true)
    report+=("$target: $runs runs, ${cov:-no coverage line}, $((SECONDS - start)) s")
done
echo "==== fuzz.sh summary ($(java -version 2>&1 | head -1))"
printf '%s\n' "${report[@]}"
exit "$status"
