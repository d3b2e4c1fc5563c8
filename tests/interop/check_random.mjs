// Randomized round trip: the C++ random writer produces random schemas, data and writer
// options; DuckDB (and by default parquet-wasm and hyparquet too) reads every file back and
// each value is compared exactly; then each file gets the zoo's metadata checks.
//
// Usage: node check_random.mjs --writer PATH_TO_nilus_interop_random_writer --out DIR
//                              [--readers duckdb,parquet-wasm,hyparquet]
// Environment: NILUS_SEED overrides the seed; NILUS_SLOW_TESTS=1 runs 400 cases of up to 2000
// rows instead of 40 of up to 400.
// The seed is printed on failure, so a failing run can be repeated exactly.

import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadJson } from './lib/canon.mjs';
import { checkFiles } from './lib/check.mjs';
import { checkMetadata } from './lib/metadata.mjs';
import { READERS, readerVersions, requireReaders } from './lib/readers.mjs';

const DEFAULT_SEED = '20240611';

const args = process.argv.slice(2);
const opt = name => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const writer = opt('--writer');
const out = opt('--out');
const readers = (opt('--readers') ?? 'duckdb,parquet-wasm,hyparquet').split(',');
if (!writer || !out || readers.some(r => !READERS[r])) {
  console.error('usage: node check_random.mjs --writer PATH --out DIR [--readers duckdb,...]');
  process.exit(2);
}
const seed = process.env.NILUS_SEED ?? DEFAULT_SEED;
if (!/^\d+$/.test(seed)) {
  console.error(`NILUS_SEED must be a non-negative integer, got '${seed}'`);
  process.exit(2);
}
const slow = process.env.NILUS_SLOW_TESTS === '1';
const count = slow ? 400 : 40;
const maxRows = slow ? 2000 : 400;

await requireReaders([...new Set([...readers, 'duckdb', 'hyparquet'])]); // + metadata checks
console.log(`reader versions: ${JSON.stringify(await readerVersions())}`);
rmSync(out, { recursive: true, force: true });
const started = Date.now();
const run = spawnSync(writer, [out, seed, String(count), String(maxRows)], { stdio: 'inherit' });
if (run.status !== 0) {
  console.log(`FAIL: the random writer exited with ${run.status ?? run.signal} (NILUS_SEED=${seed})`);
  process.exit(1);
}
const manifest = loadJson(join(out, 'random.json'));
const failed = new Set();
for (const reader of readers) {
  for (const name of await checkFiles(reader, out, manifest.cases)) failed.add(name);
}
// The same metadata checks as the zoo gets: schema mapping, field ids, statistics, encodings,
// limits and the writer's metrics.
for (const name of manifest.cases) {
  let problems;
  try {
    problems = await checkMetadata(out, name);
  } catch (e) {
    problems = [`the check failed: ${e?.stack ?? e}`];
  }
  for (const line of problems.slice(0, 20)) console.log(`metadata: ${name}.parquet: ${line}`);
  if (problems.length) failed.add(name);
}
for (const name of failed) {
  const e = loadJson(join(out, `${name}.expected.json`));
  console.log(`${name}: schema ${JSON.stringify(e.schema.fields)}`);
  console.log(`${name}: options ${JSON.stringify(e.options)}`);
}
const secs = ((Date.now() - started) / 1000).toFixed(1);
console.log(`random round trip: ${count - failed.size} of ${count} cases matched through ${readers.join(', ')} ` +
            'and passed the metadata checks ' +
            `in ${secs}s (NILUS_SEED=${seed})`);
if (failed.size) {
  console.log(`FAIL: repeat with NILUS_SEED=${seed}; the files are in ${out}`);
  process.exit(1);
}
