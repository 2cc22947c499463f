#!/bin/sh
# Run each libFuzzer target for a bounded time from its seed corpus.
# Ends with 'fuzz: N passed, N failed' (a target fails on any crash, leak,
# sanitizer report or timeout; its reproducer stays in OUT/artifacts/).
out=$1; secs=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
pass=0; fail=0
mkdir -p "$out/artifacts" "$out/logs"
for t in "$@"; do
	name=$(basename "$t")
	work="$out/corpus/$name"
	mkdir -p "$work"
	[ -d "$here/corpus/$name" ] && cp -n "$here/corpus/$name"/* "$work"/ 2>/dev/null
	dict=
	[ -f "$here/$name.dict" ] && dict="-dict=$here/$name.dict"
	# shellcheck disable=SC2086
	if "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 $dict \
		-artifact_prefix="$out/artifacts/$name-" "$work" \
		>"$out/logs/$name.log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/logs/$name.log")
		echo "PASS $name (${secs}s, ${execs:-?} runs)"
		pass=$((pass + 1))
	else
		echo "FAIL $name (log: $out/logs/$name.log)"
		grep -m 20 -E 'ERROR|SUMMARY|Test unit written' "$out/logs/$name.log"
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
