// Runs SQL statements with DuckDB and prints each result as one JSON line
// (rows as objects, values JSON-safe). Usage: node query.mjs "SQL" ["SQL"...]
import { DuckDBInstance } from '@duckdb/node-api';

const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
for (const sql of process.argv.slice(2)) {
  const reader = await conn.runAndReadAll(sql);
  console.log(JSON.stringify(reader.getRowObjectsJson()));
}
