#!/bin/sh
# Build the browser side of the WWSF demo's WebRTC IMS Client: JsSIP from
# npm (pinned by kamailio-cfg/wwsf-demo/package-lock.json), bundled for the
# browser by esbuild into BUILD/wwsf-demo/vendor/jssip.min.js with the
# licenses of everything in the bundle beside it. The WWSF demo server
# serves that directory as /vendor/ (make run, the browser suite).
#
# node_modules lives in BUILD/wwsf-demo/npm (never in the source tree);
# npm ci runs only when the lock file changed, the bundle is rebuilt only
# when it is older than the lock file. Needs node and npm (install-deps.sh).
#
# Usage: scripts/build-wic.sh [BUILD_DIR]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${BUILD:-$top/build}}
src=$top/kamailio-cfg/wwsf-demo
npmdir=$build/wwsf-demo/npm
out=$build/wwsf-demo/vendor

say() { printf 'build-wic: %s\n' "$*"; }
command -v node >/dev/null 2>&1 || { say "node is not installed (make deps)"; exit 1; }
command -v npm >/dev/null 2>&1 || { say "npm is not installed (make deps)"; exit 1; }

mkdir -p "$npmdir" "$out"
if ! cmp -s "$src/package-lock.json" "$npmdir/package-lock.json" \
	|| [ ! -f "$npmdir/node_modules/.package-lock.json" ]; then
	cp "$src/package.json" "$src/package-lock.json" "$npmdir/"
	say "npm ci (jssip, esbuild) in $npmdir"
	(cd "$npmdir" && npm ci --no-audit --no-fund >npm-ci.log 2>&1) \
		|| { cat "$npmdir/npm-ci.log"; say "npm ci failed"; exit 1; }
fi

bundle=$out/jssip.min.js
if [ -f "$bundle" ] && [ "$bundle" -nt "$npmdir/package-lock.json" ]; then
	exit 0
fi
nm=$npmdir/node_modules
ver=$(node -p "require('$nm/jssip/package.json').version")
"$nm/.bin/esbuild" "$nm/jssip/lib/JsSIP.js" --bundle --format=iife \
	--global-name=JsSIP --platform=browser --target=es2020 --minify \
	--log-level=warning --outfile="$out/.jssip.tmp.js"
{
	printf '/*! JsSIP %s (https://jssip.net, MIT) with debug, events, ms and\n' "$ver"
	printf ' * sdp-transform, bundled by scripts/build-wic.sh; licenses in\n'
	printf ' * LICENSES.txt beside this file. */\n'
	cat "$out/.jssip.tmp.js"
} >"$bundle.tmp"
rm -f "$out/.jssip.tmp.js"
{
	for p in jssip debug events ms sdp-transform; do
		for f in "$nm/$p"/LICENSE* "$nm/$p"/license*; do
			[ -f "$f" ] || continue
			printf '==== %s %s ====\n' "$p" \
				"$(node -p "require('$nm/$p/package.json').version")"
			cat "$f"
			printf '\n'
		done
	done
} >"$out/LICENSES.txt"
mv "$bundle.tmp" "$bundle"
say "JsSIP $ver -> $bundle"
