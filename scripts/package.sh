#!/usr/bin/env bash
# Builds the Debian package (debian/) from a clean copy of the tree and checks
# it with lintian (an error fails the build).
# Usage: scripts/package.sh [OUTDIR]      (default ./build-deb)
#   then: apt install ./build-deb/graphsyncfs_*.deb
# DEB_BUILD_OPTIONS=nocheck skips the unit tests (and building them).
# dpkg-buildpackage writes next to the source directory, so the build runs in
# OUTDIR/src, a copy of the tracked files: the work tree is not touched.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/build-deb}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

"$root/scripts/deps.sh"

src="$out/src/graphsyncfs"
rm -rf "$out/src"
mkdir -p "$src"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # tracked files, as they are in the work tree (uncommitted edits included)
    git -C "$root" ls-files -z --cached --others --exclude-standard |
        (cd "$root" && xargs -0 cp --parents -t "$src" 2>/dev/null || true)
else
    tar -C "$root" --exclude='./build*' --exclude=node_modules --exclude=.git -cf - . | tar -C "$src" -xf -
fi
[[ -x "$src/debian/rules" ]] || { echo "package.sh: the copy has no debian/rules" >&2; exit 1; }

echo "package.sh: dpkg-buildpackage in $src"
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
    tail -n 40 "$out/build.log" >&2
    echo "package.sh: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
    exit 1
}
rm -f "$out"/graphsyncfs_*.deb "$out"/graphsyncfs-dbgsym_*.deb
mv "$out"/src/graphsyncfs_*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out"/ 2>/dev/null || true
mv "$out"/src/graphsyncfs-dbgsym_*.deb "$out"/ 2>/dev/null || true
deb="$(ls "$out"/graphsyncfs_*.deb)"

echo "package.sh: lintian $deb"
lintian --fail-on error --suppress-tags-from-file /dev/null "$deb" | tee "$out/lintian.log"
rm -rf "$out/src"
echo "package.sh: built $deb"
