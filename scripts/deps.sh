#!/usr/bin/env bash
# Installs the Debian packages graphsyncfs needs to build, test and demo.
# Only what is missing is installed; `apt-get update` runs only then.
# Usage: scripts/deps.sh
set -euo pipefail

packages=(
    # build
    meson ninja-build pkg-config gcc libfuse3-dev libcurl4-openssl-dev libcjson-dev libssl-dev clang libclang-rt-14-dev
    # run: fusermount3
    fuse3
    # tests: pytest and its per-test timeout, the emulator's certificate checks,
    # the shell tools and editors the tests drive, gdb for stack dumps on a hang
    python3 python3-pytest python3-pytest-timeout python3-cryptography
    jq curl attr rsync mandoc vim nano emacs-nox gdb
    # the Debian package (scripts/package.sh, tests/package/): build, check, complete
    dpkg-dev debhelper fakeroot lintian bash-completion
)

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
if ! command -v node >/dev/null 2>&1; then
    missing+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
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
