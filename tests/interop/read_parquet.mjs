// Reads a Parquet file with DuckDB (@duckdb/node-api) and prints one JSON
// object describing it, for tests/suites/duckdb_interop.sh:
//   rows       row count
//   columns    [{name, type}] as DuckDB sees them (DESCRIBE)
//   first      the first 12 rows, ts as epoch milliseconds, big integers as strings
//   agg        aggregates over all rows (null counts, sums, distinct counts)
//   filters    counts of rows matching filters (statistics-based pruning)
//   meta       parquet_metadata(): per row group and column: compression,
//              encodings, stats_min/stats_max/stats_null_count
//   kv         parquet_kv_metadata(): key/value pairs as strings
// Usage: node read_parquet.mjs FILE.parquet
//
// The other direction: `node read_parquet.mjs --write FILE.parquet CODEC`
// has DuckDB write 5000 rows made like those of write_sample_parquet (ts as
// a TIMESTAMP, i.e. microseconds) with compression CODEC and row groups of
// 2048 rows, for our reader to decode.
import { DuckDBInstance } from '@duckdb/node-api';

const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
async function rows(sql) {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJson();
}
const quote = (s) => `'${s.replaceAll("'", "''")}'`;

if (process.argv[2] === '--write') {
  const [, , , path, codec] = process.argv;
  await conn.run(
    `COPY (SELECT 'host_' || (i % 10) AS host,
                  CASE WHEN i % 7 = 3 THEN NULL
                       ELSE ['us-east-1', 'eu-west-2', 'ap-south-1'][i % 3 + 1] END AS region,
                  epoch_ms(1700000000000 + i * 1000) AS ts,
                  CASE WHEN i % 5 = 0 THEN NULL ELSE i * 0.5 END::DOUBLE AS usage,
                  (i * 1000003 - 500000000)::BIGINT AS n,
                  i % 2 = 0 AS flag,
                  (i % 200 - 100)::INTEGER AS small,
                  CASE WHEN i = 0 THEN 18446744073709551615::UBIGINT ELSE (i * 7)::UBIGINT END AS u
           FROM range(5000) t(i) ORDER BY i)
     TO ${quote(path)} (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2048)`,
  );
  process.exit(0);
}

const file = process.argv[2];
if (!file) {
  console.error('usage: node read_parquet.mjs FILE.parquet | --write FILE.parquet CODEC');
  process.exit(2);
}
const lit = quote(file);

const out = {};
out.rows = Number((await rows(`SELECT count(*) AS c FROM read_parquet(${lit})`))[0].c);
out.columns = (await rows(`DESCRIBE SELECT * FROM read_parquet(${lit})`)).map((r) => ({
  name: r.column_name,
  type: r.column_type,
}));
out.first = await rows(
  `SELECT host, region, epoch_ms(ts) AS ts_ms, usage, n, flag, small, u::VARCHAR AS u
   FROM read_parquet(${lit}) ORDER BY ts LIMIT 12`,
);
out.agg = (
  await rows(
    `SELECT count(*) FILTER (WHERE region IS NULL) AS region_nulls,
            count(*) FILTER (WHERE usage IS NULL) AS usage_nulls,
            sum(usage) AS usage_sum, sum(n)::VARCHAR AS n_sum, sum(small) AS small_sum,
            max(u)::VARCHAR AS u_max, min(u)::VARCHAR AS u_min,
            count(DISTINCT host) AS hosts, count(*) FILTER (WHERE flag) AS flags,
            epoch_ms(min(ts)) AS ts_min, epoch_ms(max(ts)) AS ts_max
     FROM read_parquet(${lit})`,
  )
)[0];
// filters DuckDB may answer with the help of our statistics (row group
// pruning): wrong statistics would drop matching rows
out.filters = (
  await rows(
    `SELECT (SELECT count(*) FROM read_parquet(${lit}) WHERE u > 9223372036854775807) AS u_big,
            (SELECT count(*) FROM read_parquet(${lit}) WHERE small = -100) AS small_m100,
            (SELECT count(*) FROM read_parquet(${lit}) WHERE ts >= to_timestamp(1700000900)) AS ts_late,
            (SELECT count(*) FROM read_parquet(${lit}) WHERE host = 'host_3') AS host3,
            (SELECT count(*) FROM read_parquet(${lit}) WHERE usage > 400) AS usage_big,
            (SELECT count(*) FROM read_parquet(${lit}) WHERE n < -499000000) AS n_small`,
  )
)[0];
out.meta = await rows(
  `SELECT row_group_id, path_in_schema AS col, compression, encodings,
          stats_min, stats_max, stats_null_count, stats_min_value, stats_max_value
   FROM parquet_metadata(${lit}) ORDER BY row_group_id, column_id`,
);
out.kv = (await rows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${lit})`));

console.log(JSON.stringify(out, (k, v) => (typeof v === 'bigint' ? v.toString() : v)));
