#!/bin/sh
# Build the Debian package from the working tree's tracked files
# (packaging/debian becomes debian/), then check it with lintian.
# Output: build/deb/kamailio-webrtc-ims-modules_<version>_<arch>.deb
# Lintian errors fail; the warnings we accept are listed in
# packaging/lintian-accepted.txt with the reason.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
ksrc=$build/ksrc/kamailio
[ -f "$ksrc/src/config.mak" ] || { echo "mkdeb: no Kamailio tree at $ksrc (make deps)" >&2; exit 2; }
ver=$(cat "$top/VERSION")
pkg=kamailio-webrtc-ims-modules
out=$build/deb
stage=$out/src/$pkg-$ver

rm -rf "$out"
mkdir -p "$stage"
(cd "$top" && git ls-files -z | xargs -0 cp --parents -t "$stage")
cp -a "$top/packaging/debian" "$stage/debian"
(cd "$stage" && KAMAILIO_SRC=$(readlink -f "$ksrc") \
	dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) || {
	tail -n 40 "$out/build.log"; echo "mkdeb: dpkg-buildpackage failed (log: $out/build.log)"; exit 1; }
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out"/ 2>/dev/null || true
deb=$(ls "$out"/${pkg}_*.deb | grep -v dbgsym | head -n 1)
echo "mkdeb: built $deb"

# lintian: errors fail, warnings must be listed as accepted.
lintian --tag-display-limit 0 --suppress-tags-from-file \
	"$top/packaging/lintian-accepted.txt" "$out"/${pkg}_*.changes >"$out/lintian.txt" 2>&1 || true
cat "$out/lintian.txt"
if grep -qE '^[EW]: ' "$out/lintian.txt"; then
	echo "mkdeb: lintian reported errors or unaccepted warnings"
	exit 1
fi
echo "mkdeb: lintian clean (accepted: packaging/lintian-accepted.txt)"
