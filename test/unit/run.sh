#!/bin/sh
# Run every cmocka test binary, show its output, and end with one summary line
# per binary (cmocka's own) plus the total. Exit status: failed binaries.
out=$1; shift
mkdir -p "$out/logs"
pass=0; fail=0; bad=0; lines=
for t in "$@"; do
	name=$(basename "$t")
	"$t" >"$out/logs/$name.log" 2>&1
	rc=$?
	cat "$out/logs/$name.log"
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
