// The DuckDB side of bench/batch_jsonl: one JSON Lines file to one Parquet file (zstd) with the
// pinned @duckdb/node-api, as `COPY (SELECT * FROM read_json(...)) TO ... (FORMAT parquet)`,
// followed by an fsync of the file (nilus's commit makes its files durable, DuckDB's COPY does
// not). Prints one JSON line: rows, file bytes, wall seconds of the COPY.
//
//   node bench/batch_jsonl_duckdb.mjs IN.jsonl OUT.parquet
import { openSync, fsyncSync, closeSync, statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node bench/batch_jsonl_duckdb.mjs IN.jsonl OUT.parquet');
  process.exit(2);
}
const q = s => `'${s.replaceAll("'", "''")}'`;
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const start = process.hrtime.bigint();
const reader = await con.runAndReadAll(
  `COPY (SELECT * FROM read_json(${q(input)}, format = 'newline_delimited'))
   TO ${q(output)} (FORMAT parquet, COMPRESSION zstd)`);
const fd = openSync(output, 'r');
fsyncSync(fd);
closeSync(fd);
const wall = Number(process.hrtime.bigint() - start) / 1e9;
const rows = Number(reader.getRows()[0][0]);
console.log(JSON.stringify({ rows, file_bytes: statSync(output).size, copy_wall_s: wall }));
