#!/bin/sh
# tests/summary.sh - sums the results of every test program in a build tree.
# Usage: tests/summary.sh BUILDDIR...  Prints each Criterion synthesis line,
# then "N passed, N failed" (", N skipped" when some were). Criterion suites
# count their tests; any other test program counts as one test; a sanitizer
# report anywhere in a test's log counts as one more failure.
set -u
passed=0; failed=0; skipped=0
for dir in "$@"; do
	for trs in $(find "$dir" -name '*.trs' | sort); do
		log=${trs%.trs}.log
		# Criterion passes a test whose worker leaked or hit UBSan: the
		# sanitizers' own reports in the log count as a failure
		if grep -aqE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" 2>/dev/null; then
			echo "${log#$dir/}: sanitizer report"
			grep -aE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -3
			failed=$((failed + 1))
		fi
		result=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
		syn=$(grep -a 'Synthesis: Tested:' "$log" 2>/dev/null | tail -n 1 | sed 's/\x1b\[[0-9;]*m//g')
		if [ -n "$syn" ]; then
			echo "${log#$dir/}: ${syn#*\] }"
			p=$(echo "$syn" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
			f=$(echo "$syn" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
			c=$(echo "$syn" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
			passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
			# a suite that failed outside its tests still counts as a failure
			if [ "$result" != PASS ] && [ "${f:-0}" = 0 ] && [ "${c:-0}" = 0 ]; then
				failed=$((failed + 1))
			fi
		else
			case $result in
			PASS|XFAIL) passed=$((passed + 1)) ;;
			SKIP) skipped=$((skipped + 1)) ;;
			*) failed=$((failed + 1)); echo "${log#$dir/}: $result" ;;
			esac
		fi
	done
done
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
