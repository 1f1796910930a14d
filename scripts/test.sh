#!/usr/bin/env bash
# Runs every test of graphsyncfs: installs what is missing, builds the
# sanitizer build (ASan + UBSan) in ./build, runs the C unit tests, then the
# whole pytest tree (tests/) against real mounts of that build, then the
# concurrency tests (locking, load) on a ThreadSanitizer build in ./build-tsan
# (GS_TSAN=0 skips that pass; with pytest arguments it runs only with GS_TSAN=1).
# Usage: scripts/test.sh [pytest arguments...]
#   e.g. scripts/test.sh -k mount -x
# Exits non-zero when anything fails, and also when pytest ran no test.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/deps.sh
scripts/build.sh build -Db_sanitize=address,undefined
export GS_BUILD_DIR="$root/build"
# the mixed-load test runs 60 s by default; CI keeps the whole run well under 15 min
export GS_LOAD_SECONDS="${GS_LOAD_SECONDS:-20}"

failed=()

echo "test.sh: unit tests"
if ! meson test -C build --suite unit --print-errorlogs; then
    failed+=("unit tests (meson test -C build --suite unit)")
fi

# npm ci again when package-lock.json changed since the last install (npm keeps a copy of the
# resolved tree in node_modules/.package-lock.json, written by every install)
if [[ -f tests/js/package-lock.json && ( ! -d tests/js/node_modules
        || tests/js/package-lock.json -nt tests/js/node_modules/.package-lock.json ) ]]; then
    echo "test.sh: npm ci in tests/js"
    (cd tests/js && npm ci --no-audit --no-fund)
fi

# every fuzz target for a short while (the seed corpora also run as unit tests)
echo "test.sh: fuzzing (${GS_FUZZ_SECONDS:-10} s per target)"
if ! scripts/fuzz.sh "${GS_FUZZ_SECONDS:-10}"; then
    failed+=("fuzzing (scripts/fuzz.sh)")
fi

echo "test.sh: pytest"
rc=0
/usr/bin/python3 -m pytest -q "$@" || rc=$?
case $rc in
    0) ;;
    5) failed+=("pytest: no tests were collected (exit 5)") ;;
    *) failed+=("pytest (exit $rc)") ;;
esac

# races show only where threads meet: the concurrency tests on a ThreadSanitizer build
tsan_default=1
[[ $# -eq 0 ]] || tsan_default=0
if [[ "${GS_TSAN:-$tsan_default}" != 0 ]]; then
    echo "test.sh: ThreadSanitizer pass (build-tsan: test_locking, test_load)"
    scripts/build.sh build-tsan -Db_sanitize=thread
    rc=0
    GS_BUILD_DIR="$root/build-tsan" GS_LOAD_SECONDS="${GS_TSAN_LOAD_SECONDS:-15}" \
        /usr/bin/python3 -m pytest -q -p no:cacheprovider \
        tests/integration/test_locking.py tests/integration/test_load.py || rc=$?
    [[ $rc -eq 0 ]] || failed+=("ThreadSanitizer pass (exit $rc)")
fi

if [[ ${#failed[@]} -gt 0 ]]; then
    for f in "${failed[@]}"; do
        echo "test.sh: FAILED: $f" >&2
    done
    exit 1
fi
