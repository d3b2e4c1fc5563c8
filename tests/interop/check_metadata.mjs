// Metadata checks of the zoo files, through DuckDB's parquet_metadata(), parquet_schema(),
// parquet_file_metadata() and parquet_kv_metadata(), plus hyparquet's footer, page-header and
// page decoders (exact statistics bytes, per-page encodings, rows per page):
//   - schema: names, repetition, physical/converted/logical types (Iceberg's Parquet mapping),
//     and a field id on every element that has an Iceberg id;
//   - codecs, encodings (dictionary kept / fallback to PLAIN / disabled), data page v1 only,
//     pages starting at row boundaries, page and row-group limits;
//   - statistics: min/max/null_count per row group against values computed from the expected
//     JSON (never from the writer); column orders;
//   - the writer's own metrics (for Iceberg manifests) against the file and the expectation.
//
// Usage: node check_metadata.mjs MANIFEST.json   (zoo.json, or a random run's random.json)

import { dirname } from 'node:path';
import { loadJson } from './lib/canon.mjs';
import { checkMetadata } from './lib/metadata.mjs';
import { readerVersions, requireReaders } from './lib/readers.mjs';

const manifestPath = process.argv[2];
if (!manifestPath) {
  console.error('usage: node check_metadata.mjs MANIFEST.json');
  process.exit(2);
}
await requireReaders(['duckdb', 'hyparquet']);
console.log(`reader versions: ${JSON.stringify(await readerVersions())}`);
const manifest = loadJson(manifestPath);
const names = Array.isArray(manifest) ? manifest : manifest.cases;
const LIMIT = Number(process.env.NILUS_INTEROP_MAX_LINES ?? 40);
let failed = 0;
for (const name of names) {
  let problems;
  try {
    problems = await checkMetadata(dirname(manifestPath), name);
  } catch (e) {
    problems = [`the check failed: ${e?.stack ?? e}`];
  }
  if (problems.length) {
    failed++;
    for (const line of problems.slice(0, LIMIT)) console.log(`metadata: ${name}.parquet: ${line}`);
    if (problems.length > LIMIT) console.log(`metadata: ${name}.parquet: ... ${problems.length - LIMIT} more`);
  }
}
console.log(`metadata: ${names.length - failed} of ${names.length} files as expected`);
process.exit(failed ? 1 : 0);
