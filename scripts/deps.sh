#!/usr/bin/env bash
# Installs the Debian packages graphsyncfs needs to build, test and demo.
# Only what is missing is installed; `apt-get update` runs only then.
# Usage: scripts/deps.sh [all|demo]
#   all (default): everything scripts/test.sh and scripts/package.sh use
#   demo: only what scripts/demo.sh uses (build the daemon, run the emulator)
set -euo pipefail

profile="${1:-all}"

# libc6-dev is only a Recommends of gcc, which --no-install-recommends skips
demo_packages=(
    meson ninja-build pkg-config gcc libc6-dev libfuse3-dev libcurl4-openssl-dev libcjson-dev libssl-dev
    fuse3 python3 python3-cryptography jq curl
)
packages=(
    # build
    meson ninja-build pkg-config gcc libc6-dev libfuse3-dev libcurl4-openssl-dev libcjson-dev libssl-dev clang libclang-rt-14-dev
    # run: fusermount3
    fuse3
    # tests: pytest and its per-test timeout, the emulator's certificate checks,
    # the shell tools and editors the tests drive, gdb for stack dumps on a hang
    python3 python3-pytest python3-pytest-timeout python3-cryptography
    jq curl attr rsync mandoc vim nano emacs-nox gdb
    # the Debian package (scripts/package.sh, tests/integration/test_package.py):
    # build, check, and the completion's home
    build-essential dpkg-dev debhelper fakeroot lintian bash-completion
)
case "$profile" in
    all) ;;
    demo) packages=("${demo_packages[@]}") ;;
    *) echo "usage: $0 [all|demo]" >&2; exit 2 ;;
esac

is_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing=()
for p in "${packages[@]}"; do
    if ! is_installed "$p"; then
        missing+=("$p")
    fi
done

# Node.js for the JavaScript tests: a node from anywhere (Debian's or another
# packaging that bundles npm) is kept; Debian's nodejs and npm only when absent.
if [[ "$profile" == all ]]; then
    if ! command -v node >/dev/null 2>&1; then
        missing+=(nodejs npm)
    elif ! command -v npm >/dev/null 2>&1; then
        missing+=(npm)
    fi
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "deps.sh: all dependencies are installed"
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "deps.sh: missing packages (${missing[*]}) and not root; run as root" >&2
        exit 1
    fi
    sudo=(sudo)
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps.sh: done"
