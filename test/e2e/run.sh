#!/bin/sh
# Browser suite (run by scripts/run-tests.sh): installs the pinned node
# packages (npm ci; never a browser download - Debian's chromium and
# firefox-esr are used), builds sdpu_cli and the WWSF demo's JsSIP bundle
# (scripts/build-wic.sh), runs every test_*.js here (test_wic.js: the
# WebRTC IMS Client end to end against the real stack).
# Each test runs in a network namespace with only the loopback interface
# (loopback-only.sh). Ends with 'browser: N passed, N failed' (', N skipped' when a test
# could not run here, e.g. the call tests without eimsagw_ctl).
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$here" || exit 2
fail() { echo "$1"; echo "browser: 0 passed, 1 failed"; exit 1; }
command -v node >/dev/null 2>&1 || fail "node is not installed"
if [ ! -f node_modules/.package-lock.json ] \
	|| [ package-lock.json -nt node_modules/.package-lock.json ]; then
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund >npm-ci.log 2>&1 \
		|| { cat npm-ci.log; fail "npm ci failed"; }
fi
make -s --no-print-directory -C "$top/test/bench" tools || fail "cannot build sdpu_cli"
wic=$("$top/scripts/build-wic.sh" 2>&1) \
	|| { echo "$wic"; fail "cannot build the WIC's JsSIP bundle (scripts/build-wic.sh)"; }
pass=0; failn=0; skipn=0
for t in test_*.js; do
	mkdir -p "$top/build"
	# loopback only: browsers gather 127.0.0.1/::1 candidates and nothing else
	timeout 600 ./loopback-only.sh node "$t" >"$top/build/e2e-$t.log" 2>&1
	rc=$?
	cat "$top/build/e2e-$t.log"
	line=$(grep -E '^browser: [0-9]+ passed, [0-9]+ failed' "$top/build/e2e-$t.log" | tail -n 1)
	p=$(echo "$line" | sed -n 's/^browser: \([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	if [ -z "$line" ]; then
		failn=$((failn + 1))   # crashed before its summary
	else
		sk=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
		pass=$((pass + p)); failn=$((failn + f)); skipn=$((skipn + ${sk:-0}))
		[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || failn=$((failn + 1))
	fi
done
if [ "$skipn" -gt 0 ]; then
	echo "browser: $pass passed, $failn failed, $skipn skipped"
else
	echo "browser: $pass passed, $failn failed"
fi
[ "$failn" -eq 0 ]
