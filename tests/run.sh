#!/usr/bin/env bash
# Runs every test suite and ends with the summary line "N passed, N failed".
#
# Suites:
#   unit    every cmocka binary in build/tests and build-asan/tests (TAP output)
#   e2e     every executable tests/suites/*.sh, given STRATA_BUILD=build and
#           STRATA_BUILD=build-asan; each prints TAP lines "ok ..." / "not ok ..."
# A suite that exits non-zero without printing "not ok" counts as one failure;
# one still running after SUITE_TIMEOUT_S (default 1200) is killed and fails.
# "ok ... # SKIP" lines are reported as skipped, never counted as passed.
set -u
cd "$(dirname "$0")/.."
unit_only=0
SUITE_TIMEOUT_S=${SUITE_TIMEOUT_S:-1200} # per unit binary or suite
[ "${1:-}" = --unit-only ] && unit_only=1
out=tests/out
mkdir -p "$out"
passed=0
failed=0
skipped=0
failures=()

run_suite() { # name, command...
	local name=$1
	shift
	local log="$out/${name//\//_}.log"
	# a hung suite is a failure, not a CI run that never ends
	timeout --kill-after=10 "$SUITE_TIMEOUT_S" "$@" >"$log" 2>&1
	local rc=$?
	[ $rc -eq 124 ] || [ $rc -eq 137 ] && echo "not ok - $name: no end after ${SUITE_TIMEOUT_S} s (timeout)" >>"$log"
	local ok nok
	ok=$(grep -E '^ok [0-9]+' "$log" | grep -cv '# SKIP' || true)
	local sk
	sk=$(grep -E '^ok [0-9]+' "$log" | grep -c '# SKIP' || true)
	skipped=$((skipped + sk))
	nok=$(grep -cE '^not ok [0-9]+' "$log" || true)
	passed=$((passed + ok))
	failed=$((failed + nok))
	if [ "$nok" -gt 0 ]; then
		while read -r line; do failures+=("$name: $line"); done < <(grep -E '^not ok' "$log")
	elif [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		failures+=("$name: exited with status $rc (see $log)")
	fi
	printf '%-40s %4d ok %4d not ok%s\n' "$name" "$ok" "$nok" "$([ $rc -ne 0 ] && echo "  (exit $rc)")"
}

for b in build build-asan; do
	[ -d "$b/tests" ] || continue
	for t in "$b"/tests/test_*; do
		[ -x "$t" ] || continue
		run_suite "unit/$(basename "$t")@$b" env CMOCKA_MESSAGE_OUTPUT=TAP STRATA_BUILD="$b" "$t"
	done
done

if [ $unit_only -eq 0 ]; then
	for s in tests/suites/*.sh; do
		[ -x "$s" ] || continue
		for b in build build-asan; do
			[ -x "$b/strata" ] || continue
			run_suite "$(basename "$s" .sh)@$b" env STRATA_BUILD="$b" "$s"
		done
	done
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo
	echo "Failures:"
	printf '  %s\n' "${failures[@]}"
fi
echo
[ $skipped -gt 0 ] && echo "($skipped skipped: not counted as passed)"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
