#!/usr/bin/env bash
# Configures (or reconfigures) a meson build directory and builds it.
# Usage: scripts/build.sh DIR [meson options...]
#   e.g. scripts/build.sh build -Db_sanitize=address,undefined
# DIR is taken relative to the current directory; the sources are this
# repository. Options given for an existing DIR are applied to it.
set -euo pipefail

if [[ $# -lt 1 || "$1" == -* ]]; then
    echo "usage: $0 DIR [meson options...]" >&2
    exit 2
fi

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$1"
shift

if [[ -f "$dir/meson-private/coredata.dat" ]]; then
    if [[ $# -gt 0 ]]; then
        echo "build.sh: reconfiguring $dir: $*"
        meson configure "$dir" "$@"
    fi
else
    echo "build.sh: setting up $dir${*:+: $*}"
    meson setup "$dir" "$src" "$@"
fi

ninja -C "$dir"
