#!/usr/bin/env bash
# Fuzz smoke test (TAP, one line per libFuzzer target in tests/fuzz/):
# every target replays its seed corpus tests/fuzz/corpus/<name>/ (valid
# inputs plus the regression inputs of past crashes) and then fuzzes for
# FUZZ_SMOKE_SECONDS (default 3) seconds, so that all targets together
# stay well under two minutes. A crash, leak, timeout, OOM or
# sanitizer report is "not ok" with the report as TAP comments; the full
# log is build-fuzz/logs/<name>.log, the reproducer in build-fuzz/artifacts/.
#
# The fuzz binaries are built here when missing or stale
# (make fuzz-build, the top-level Makefile so that the generated protobuf
# headers exist: clang + libFuzzer + ASan/UBSan, into
# build-fuzz/). Without clang or its libFuzzer runtime every target is
# reported "not ok" - never skipped (scripts/install-deps.sh test installs
# clang and libclang-rt-14-dev).
#
# tests/run.sh calls every suite once per build (STRATA_BUILD=build, then
# build-asan). The fuzz build is its own tree, so the smoke runs only once:
# for the first build that exists (build, else build-asan); for the other
# it prints an empty plan "1..0" and exits 0.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SMOKE_SECONDS:-3}

first=build
[ -x build/strata ] || first=build-asan
if [ -n "${STRATA_BUILD:-}" ] && [ "${STRATA_BUILD%/}" != "$first" ]; then
	echo "1..0 # fuzz smoke already runs with STRATA_BUILD=$first"
	exit 0
fi

targets=()
for f in tests/fuzz/fuzz_*.c; do
	n=$(basename "$f" .c)
	targets+=("${n#fuzz_}")
done

mkdir -p build-fuzz
blog=build-fuzz/build.log
if ! make -s -j2 fuzz-build >"$blog" 2>&1; then
	echo "1..${#targets[@]}"
	i=0
	for n in "${targets[@]}"; do
		i=$((i + 1))
		echo "not ok $i - fuzz_$n: make fuzz-build failed (needs clang and libclang-rt-14-dev)"
	done
	tail -20 "$blog" | sed 's/^/# /'
	exit 1
fi
exec tests/fuzz/run.sh "$secs" "${targets[@]}"
