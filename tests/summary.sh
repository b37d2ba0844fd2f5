#!/bin/sh
# tests/summary.sh - sums the results of every test program in a build tree.
# Usage: tests/summary.sh BUILDDIR...  Prints each Criterion synthesis line,
# then what failed (the failing tests' own lines from their logs), then
# "N passed, N failed" (", N skipped" when some were). Criterion suites count
# their tests (a crashed test is a failed one); any other test program counts
# as one test; a sanitizer report anywhere in a test's log counts as one more
# failure.
set -u
passed=0; failed=0; skipped=0
details=$(mktemp) || exit 1
trap 'rm -f "$details"' EXIT
# why LOG DIR: the lines of a failing log that say what failed, bounded
why() {
	{
		echo "--- ${1#$2/}"
		grep -aE -A3 '\[FAIL\]|Assertion Failed|Test (crashed|timed out)|Warning! The test|ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$1" |
			sed 's/\x1b\[[0-9;]*m//g' | head -n 60
	} >>"$details"
}
for dir in "$@"; do
	for trs in $(find "$dir" -name '*.trs' | sort); do
		log=${trs%.trs}.log
		bad=0
		# Criterion passes a test whose worker leaked or hit UBSan: the
		# sanitizers' own reports in the log count as a failure
		if grep -aqE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" 2>/dev/null; then
			echo "${log#$dir/}: sanitizer report"
			failed=$((failed + 1)); bad=1
		fi
		result=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
		syn=$(grep -a 'Synthesis: Tested:' "$log" 2>/dev/null | tail -n 1 | sed 's/\x1b\[[0-9;]*m//g')
		if [ -n "$syn" ]; then
			echo "${log#$dir/}: ${syn#*\] }"
			p=$(echo "$syn" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
			f=$(echo "$syn" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
			c=$(echo "$syn" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
			# Criterion counts a crashed test among the failing ones; a
			# synthesis without that column counts crashes on their own
			if [ "${c:-0}" -gt "${f:-0}" ]; then f=$c; fi
			passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
			[ "${f:-0}" -gt 0 ] && bad=1
			# a suite that failed outside its tests still counts as a failure
			if [ "$result" != PASS ] && [ "${f:-0}" = 0 ]; then
				failed=$((failed + 1)); bad=1
			fi
		else
			case $result in
			PASS|XFAIL) passed=$((passed + 1)) ;;
			SKIP) skipped=$((skipped + 1)) ;;
			*) failed=$((failed + 1)); bad=1; echo "${log#$dir/}: $result" ;;
			esac
		fi
		[ "$bad" = 1 ] && why "$log" "$dir"
	done
done
if [ -s "$details" ]; then
	echo "what failed:"
	cat "$details"
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
