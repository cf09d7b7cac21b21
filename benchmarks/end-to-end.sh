# Shared by the run-*-benchmark.sh scripts (sourced, not run): checks root and tools, builds the benchmarks jar
# and runs one end-to-end benchmark class with --out benchmarks/results/<name>-jdk<N>.md unless --out is given
# or the name is "-" (a benchmark that names its own report).
# Usage: run_end_to_end SCRIPT RESULT-NAME MAIN-CLASS "TOOL ..." "PACKAGES" ARGS...

run_end_to_end() {
    local script=$1 name=$2 main=$3 tools=$4 packages=$5
    shift 5
    if [ "$(id -u)" -ne 0 ]; then
        echo "$script: run as root (it creates namespaces and TUN devices)" >&2
        exit 1
    fi
    local tool
    for tool in $tools; do
        command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install $packages)" >&2; exit 1; }
    done
    local build_log
    if ! build_log=$(mvn -q -B -DskipTests -pl benchmarks -am package 2>&1); then
        echo "$build_log" >&2
        exit 1
    fi
    local java=${JAVA_HOME:+$JAVA_HOME/bin/}java
    local jdk
    jdk=$("$java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
    local out=(--out "benchmarks/results/$name-jdk$jdk.md") arg
    [ "$name" = - ] && out=()
    for arg in "$@"; do
        case "$arg" in --out|--out=*) out=() ;; esac
    done
    exec "$java" --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar "$main" "${out[@]}" "$@"
}
