#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in ./build-fuzz and runs
# each for a while, starting from its seed corpus (tests/fuzz/corpus/<target>).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 10)
# Exits non-zero when a target crashes; the crashing input is left in build-fuzz/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-10}"
targets=(control_input names document graph_response options rules_scope)

if [[ ! -f build-fuzz/build.ninja ]]; then
    CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C build-fuzz "${targets[@]/#/tests/fuzz/fuzz_}" >/dev/null

failed=0
for t in "${targets[@]}"; do
    work="build-fuzz/corpus-$t"
    mkdir -p "$work"
    cp -n tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
    log="build-fuzz/fuzz-$t.log"
    if build-fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="build-fuzz/crash-$t-" -print_final_stats=1 "$work" >"$log" 2>&1; then
        runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
        echo "fuzz.sh: $t: $runs runs in ${seconds}s, no crash"
    else
        echo "fuzz.sh: $t: CRASH (see $log and build-fuzz/crash-$t-*)" >&2
        tail -30 "$log" >&2
        failed=1
    fi
done
exit $failed
