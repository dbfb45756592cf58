#!/usr/bin/env bash
# Runs the benchmarks and prints their results (record them in bench/RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${STRATA_BUILD:-build}
echo "== storage engine microbenchmark (one region, WAL fdatasync per batch)"
"$B/bench/storage_bench" --rows "${BENCH_ROWS:-1000000}" --batch "${BENCH_BATCH:-10000}"
echo "== Parquet decode throughput"
"$B/tests/tools/parquet_bench"
