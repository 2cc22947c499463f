#!/bin/sh
# Render each module's docbook (modules/<name>/doc/<name>.xml) into its
# plain-text README the way Kamailio does (xsltproc with Kamailio's
# readme.xsl and Debian's docbook-xsl, then lynx -dump).
#
# Usage: scripts/gendoc.sh [--check] [MODULE...]
#   --check  do not write; fail if a committed README differs from its XML.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
xsl=$build/ksrc/kamailio/doc/docbook/readme.xsl
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
mods=${*:-$(ls "$top/modules")}
[ -f "$xsl" ] || { echo "gendoc: no $xsl (run make deps)" >&2; exit 2; }
rc=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for m in $mods; do
	src=$top/modules/$m/doc/$m.xml
	[ -f "$src" ] || { echo "gendoc: $m has no doc/$m.xml"; rc=1; continue; }
	xsltproc --nonet --novalid --xinclude "$xsl" "$src" >"$tmp/$m.html"
	lynx -nolist -stdin -dump -display_charset=utf-8 <"$tmp/$m.html" >"$tmp/$m.README"
	if [ "$check" -eq 1 ]; then
		if ! cmp -s "$tmp/$m.README" "$top/modules/$m/README"; then
			echo "README of $m is out of date with doc/$m.xml (run make docs)"
			diff -u "$top/modules/$m/README" "$tmp/$m.README" | head -n 20 || true
			rc=1
		fi
	else
		cp "$tmp/$m.README" "$top/modules/$m/README"
	fi
done
exit $rc
