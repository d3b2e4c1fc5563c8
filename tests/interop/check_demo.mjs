// Checks the output of `nilus parquet demo`: every value read by each reader equals the zoo's
// sample_demo expectation (the same sample rows), and the file is zstd-compressed.
//
// Usage: node check_demo.mjs DEMO.parquet SAMPLE_DEMO.expected.json

import { basename, dirname } from 'node:path';
import { loadJson } from './lib/canon.mjs';
import { checkFiles } from './lib/check.mjs';
import { openDuckDB, sqlString } from './lib/readers.mjs';

const [demoPath, expectedPath] = process.argv.slice(2);
if (!demoPath || !expectedPath) {
  console.error('usage: node check_demo.mjs DEMO.parquet SAMPLE_DEMO.expected.json');
  process.exit(2);
}
const expected = loadJson(expectedPath);
expected.path = demoPath;
expected.file = basename(demoPath);

let failures = 0;
for (const reader of ['duckdb', 'parquet-wasm', 'hyparquet']) {
  const failed = await checkFiles(reader, dirname(demoPath), ['demo'], { expectedFor: () => expected });
  failures += failed.length;
}

const con = await openDuckDB();
const md = (await con.runAndReadAll(
  `SELECT DISTINCT compression FROM parquet_metadata(${sqlString(demoPath)})`)).getRowObjectsJS();
const codecs = md.map(r => r.compression);
if (codecs.length !== 1 || codecs[0] !== 'ZSTD') {
  console.log(`demo: compression ${JSON.stringify(codecs)}, expected ZSTD on every column chunk`);
  failures++;
}
const rows = (await con.runAndReadAll(
  `SELECT num_rows FROM parquet_file_metadata(${sqlString(demoPath)})`)).getRowObjectsJS();
if (Number(rows[0].num_rows) !== expected.num_rows) {
  console.log(`demo: footer num_rows ${rows[0].num_rows}, expected ${expected.num_rows}`);
  failures++;
}
console.log(failures ? `demo: ${failures} problems` : `demo: ${expected.num_rows} rows match with all three readers`);
process.exit(failures ? 1 : 0);
