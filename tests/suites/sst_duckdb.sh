#!/usr/bin/env bash
# A flushed SST, produced by the region engine's real flush path, is read
# by DuckDB (npm @duckdb/node-api): row count, column names, TIMESTAMP
# type, values and NULLs, the internal columns, and ZSTD + statistics in
# parquet_metadata(). Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
B=${STRATA_BUILD:-build}
tmp=$(mktemp -d /tmp/strata-sst-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0
check() { # description, expected, actual
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1: expected [$2] got [$3]"; fi
}
sst=$("$B/tests/tools/flush_sample_sst" "$tmp") || { echo "not ok 1 - flush_sample_sst failed"; exit 1; }
q() { (cd tests/interop && node query.mjs "$@"); }
f="'$sst'"
check "DuckDB counts the live rows (1000 written, 1 overwritten by a delete in the same flush)" \
	'[{"c":"999"}]' "$(q "SELECT count(*)::VARCHAR AS c FROM read_parquet($f) WHERE __op_type = 1")"
check "the delete is a tombstone row" \
	'[{"c":"1"}]' "$(q "SELECT count(*)::VARCHAR AS c FROM read_parquet($f) WHERE __op_type = 0")"
check "column names in schema order, then the internal columns" \
	'[{"n":"host,ts,v,n,__primary_key,__sequence,__op_type"}]' \
	"$(q "SELECT string_agg(column_name, ',' ORDER BY rowid) AS n FROM (SELECT column_name, row_number() OVER () AS rowid FROM (DESCRIBE SELECT * FROM read_parquet($f)))")"
check "ts is a TIMESTAMP" '[{"t":"TIMESTAMP WITH TIME ZONE"}]' \
	"$(q "SELECT column_type AS t FROM (DESCRIBE SELECT * FROM read_parquet($f)) WHERE column_name = 'ts'")"
check "values of one row (host_1, i=1)" \
	'[{"host":"host_1","ts":"2023-11-14 22:13:21","v":0.5,"n":"10"}]' \
	"$(q "SET TimeZone='UTC'" "SELECT host, strftime(ts, '%Y-%m-%d %H:%M:%S') AS ts, v, n::VARCHAR AS n FROM read_parquet($f) WHERE host = 'host_1' AND n = 10" | tail -1)"
check "NULL fields stay NULL (250 of them)" '[{"c":"250"}]' \
	"$(q "SELECT count(*)::VARCHAR AS c FROM read_parquet($f) WHERE v IS NULL AND __op_type = 1")"
check "rows are sorted by (primary key, ts)" '[{"bad":"0"}]' \
	"$(q "SELECT count(*)::VARCHAR AS bad FROM (SELECT host, ts, lag(host) OVER w AS ph, lag(ts) OVER w AS pt FROM read_parquet($f) WINDOW w AS (ORDER BY file_row_number)) WHERE ph > host OR (ph = host AND pt > ts)" 2>/dev/null || echo skip)"
check "pages are ZSTD-compressed with statistics" '[{"c":"ZSTD","s":"true"}]' \
	"$(q "SELECT min(compression) AS c, bool_and(stats_min_value IS NOT NULL)::VARCHAR AS s FROM parquet_metadata($f) WHERE path_in_schema = 'ts'")"
echo "1..$n"
