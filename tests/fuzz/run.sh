#!/usr/bin/env bash
# Runs libFuzzer targets (built by `make -f mk/fuzz.mk fuzz-build` into
# build-fuzz/) and prints TAP, one line per target.
#
#   tests/fuzz/run.sh SECONDS [NAME...]    NAME = sql_parser, ...; default all
#
# Each target starts from its seed corpus tests/fuzz/corpus/NAME/ (read
# only; the seeds include regression inputs of past crashes, so every run
# replays them first) and writes what it discovers to build-fuzz/corpus/NAME/.
# A crash, leak, timeout (-timeout, 30 s per input), out-of-memory
# (-rss_limit_mb=2048; a single malloc over that counts too) or sanitizer
# report makes the target "not ok": the reproducer is saved under
# build-fuzz/artifacts/NAME/ and the log is build-fuzz/logs/NAME.log (its
# report is also echoed as TAP comments). Exit status 1 when any target
# failed or is missing.
#
# Environment: FUZZ_BUILD (build-fuzz), FUZZ_EXTRA_ARGS (more libFuzzer flags).
set -u
cd "$(dirname "$0")/../.."
secs=${1:-60}
shift || true
B=${FUZZ_BUILD:-build-fuzz}

# -max_len per target: a little above the largest useful input.
max_len_of() {
	case $1 in
	parquet_reader) echo 65536 ;;
	wal_replay) echo 32768 ;;
	manifest | region_schema_json | wire_session) echo 16384 ;;
	*) echo 4096 ;;
	esac
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		n=$(basename "$f" .c)
		names+=("${n#fuzz_}")
	done
fi

echo "1..${#names[@]}"
i=0
failed=0
for n in "${names[@]}"; do
	i=$((i + 1))
	bin=$B/fuzz_$n
	seeds=tests/fuzz/corpus/$n
	if [ ! -x "$bin" ]; then
		echo "not ok $i - fuzz_$n: $bin not built (make -f mk/fuzz.mk fuzz-build)"
		failed=$((failed + 1))
		continue
	fi
	if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
		echo "not ok $i - fuzz_$n: no seed corpus in $seeds"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$B/corpus/$n" "$B/artifacts/$n" "$B/logs"
	log=$B/logs/$n.log
	dict=()
	[ -f "tests/fuzz/$n.dict" ] && dict=(-dict="tests/fuzz/$n.dict")
	# shellcheck disable=SC2086
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$bin" -max_total_time="$secs" -max_len="$(max_len_of "$n")" -rss_limit_mb=2048 \
		-timeout=30 -print_final_stats=1 -artifact_prefix="$B/artifacts/$n/" \
		"${dict[@]+"${dict[@]}"}" ${FUZZ_EXTRA_ARGS:-} \
		"$B/corpus/$n" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
	if [ $rc -eq 0 ] && ! grep -qE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: ' "$log"; then
		echo "ok $i - fuzz_$n: ${runs:-?} inputs in ${secs}s, ${cov:-cov: ?}"
	else
		failed=$((failed + 1))
		what=$(grep -m1 -E '^SUMMARY: |runtime error:|^==[0-9]+==ERROR|FUZZ_CHECK failed' "$log")
		echo "not ok $i - fuzz_$n: exit $rc: ${what:-see $log}"
		grep -E -A25 '^==[0-9]+==ERROR|runtime error:|FUZZ_CHECK failed|^artifact_prefix|Test unit written' \
			"$log" | head -60 | sed 's/^/# /'
	fi
done
echo "# fuzz: $((i - failed)) of $i targets clean"
[ $failed -eq 0 ]
