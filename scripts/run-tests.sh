#!/bin/sh
# Run every test suite (called by 'make test' after deps and the module
# build). Each suite runs even when an earlier one failed; the output ends
# with every runner's summary line. Exit status is non-zero if any failed.
#
# Suites: checksrc, unit (cmocka), fuzz (libFuzzer, FUZZ_SECONDS each),
# integration (real kamailio + rtpengine + SIP clients on 127.0.0.1),
# package (make deb, lintian, dpkg -i, load by bare name, dpkg --purge).
# browser (headless Chromium/Firefox accept what the modules send them; the
# WebRTC IMS Client end to end against the real stack, test/e2e/test_wic.js).
# SUITES="unit integration" make test  runs a subset.
# Every suite has a time limit (seconds, below; SUITE_TIMEOUT=N overrides
# all): a hung suite is killed, reported as failed, and the rest still run.
# The limits add up to 65 min, inside CI's 90; a normal run takes ~6 min.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
build=${BUILD:-$top/build}
results=$build/results
rm -rf "$results"
mkdir -p "$results"
suites=${SUITES:-checksrc unit fuzz integration package browser}
failed=0
start=$(date +%s)

run_suite() {
	name=$1; shift
	echo "===== $name ====="
	t0=$(date +%s)
	"$@" 2>&1 | tee "$results/$name.out"
	# POSIX sh has no pipefail: the runner leaves its status in a file.
	rc=$(cat "$results/$name.rc" 2>/dev/null || echo 1)
	line=$(grep -E '^(\[  (PASSED|FAILED)  \]|[a-z]+: [0-9]+ passed, [0-9]+ failed)' \
		"$results/$name.out" | tail -n 1)
	[ -n "$line" ] || line="$name: no summary line (runner failed to start)"
	[ "$rc" -eq 0 ] || failed=1
	echo "$line  [$(( $(date +%s) - t0 ))s]" >>"$results/summary"
}

limit_of() {
	case $1 in
	checksrc) echo 300 ;; unit) echo 300 ;; fuzz) echo 600 ;;
	integration) echo 1200 ;; package) echo 600 ;; browser) echo 900 ;;
	*) echo 600 ;;
	esac
}

status_to() {
	lim=${SUITE_TIMEOUT:-$(limit_of "$cur")}
	timeout -k 30 "$lim" "$@"
	rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "$cur: TIMED OUT after ${lim}s: killed"
		echo "$cur: 0 passed, 1 failed (timed out after ${lim}s)"
	fi
	echo "$rc" >"$results/$cur.rc"
}

for s in $suites; do
	cur=$s
	case $s in
	checksrc)    run_suite checksrc status_to scripts/checksrc.sh ;;
	unit)        run_suite unit status_to make -s --no-print-directory unit ;;
	fuzz)        run_suite fuzz status_to make -s --no-print-directory fuzz ;;
	integration) run_suite integration status_to python3 test/integration/run.py ;;
	package)     run_suite package status_to python3 test/package/run.py ;;
	browser)     run_suite browser status_to test/e2e/run.sh ;;
	*) echo "unknown suite $s"; failed=1 ;;
	esac
done

echo "===== summary ($(( $(date +%s) - start ))s) ====="
grep -h -E '^test_[a-z_0-9]+: \[' "$results/unit.out" 2>/dev/null
cat "$results/summary"
exit $failed
