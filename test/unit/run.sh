#!/bin/sh
# Run every cmocka test binary, show its output, and end with one summary line
# per binary (cmocka's own) plus the total. Exit status: failed binaries.
# Each binary gets UNIT_TIMEOUT seconds (default 300; all of them together
# take about 10 s here): a hang is reported as a failure, not waited out.
out=$1; shift
mkdir -p "$out/logs"
limit=${UNIT_TIMEOUT:-300}
pass=0; fail=0; bad=0; lines=
for t in "$@"; do
	name=$(basename "$t")
	timeout -k 10 "$limit" "$t" >"$out/logs/$name.log" 2>&1
	rc=$?
	cat "$out/logs/$name.log"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "$name: TIMED OUT after ${limit}s (killed; the log above ends where it hung)"
	fi
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$out/logs/$name.log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$out/logs/$name.log" | tail -n 1)
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
	if [ "$rc" -ne 0 ] || [ -z "$p$f" ]; then
		bad=$((bad + 1))
		[ -n "$f" ] || fail=$((fail + 1))   # crashed before cmocka's summary
	fi
	lines="$lines$name: [  PASSED  ] ${p:-0} test(s). [  FAILED  ] ${f:-0} test(s).
"
done
printf '%s' "$lines"
echo "unit: $pass passed, $fail failed"
[ "$bad" -eq 0 ]
