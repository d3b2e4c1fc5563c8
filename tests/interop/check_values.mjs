// Reads every file of a manifest (zoo.json: a list of names, or random.json: {cases}) with one
// reader and compares each value exactly with <name>.expected.json.
//
// Usage: node check_values.mjs --reader duckdb|parquet-wasm|hyparquet MANIFEST.json
// Exits 1 on any mismatch, printing file, column, row, expected and actual.

import { dirname } from 'node:path';
import { loadJson } from './lib/canon.mjs';
import { checkFiles } from './lib/check.mjs';
import { READERS, readerVersions } from './lib/readers.mjs';

const args = process.argv.slice(2);
const r = args.indexOf('--reader');
if (r < 0 || args.length !== 3 || !READERS[args[r + 1]]) {
  console.error('usage: node check_values.mjs --reader duckdb|parquet-wasm|hyparquet MANIFEST.json');
  process.exit(2);
}
const reader = args[r + 1];
const manifestPath = args.filter((_, i) => i !== r && i !== r + 1)[0];
const manifest = loadJson(manifestPath);
const names = Array.isArray(manifest) ? manifest : manifest.cases;
console.log(`reader versions: ${JSON.stringify(await readerVersions())}`);
const failed = await checkFiles(reader, dirname(manifestPath), names);
console.log(`${reader}: ${names.length - failed.length} of ${names.length} files read back exactly` +
            (failed.length ? `; mismatches in ${failed.join(', ')}` : ''));
process.exit(failed.length ? 1 : 0);
