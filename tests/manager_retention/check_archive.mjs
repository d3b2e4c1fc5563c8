// Checks the Manager's run archive with readers someone else wrote: icebird decodes the table
// metadata, the manifest list and the manifests (never Nilus), DuckDB reads the live Parquet
// data files. The archive must hold exactly the expected rows, each (run_id, table_name) once:
// no run archived twice (a rerun after a crash appending again), none missing.
//
// Usage: node check_archive.mjs METADATA_LOCATION EXPECTED_CSV [SNAPSHOTS]
//   METADATA_LOCATION  the archive table's current metadata file (the catalog's
//                      metadata_location)
//   EXPECTED_CSV       CSV with a header, NULL written as \N, with the columns run_id,
//                      table_name, run_status, run_started_us (run_started_at in microseconds
//                      since the epoch), extract_row_count, normalize_row_count,
//                      load_row_count, load_destination_table
//   SNAPSHOTS          when given, the number of snapshots the table must have (one per archive
//                      batch: a batch committed twice would add one)
// Prints one line "check: archive: ..." and exits 0 when everything matches, 1 otherwise, 2 on
// misuse.

import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  importReader, localPath, openDuckDB, serveLocalFilesToFetch, sqlString,
} from '../interop/lib/readers.mjs';

if (process.argv.length < 4 || process.argv.length > 5) {
  console.error('usage: node check_archive.mjs METADATA_LOCATION EXPECTED_CSV [SNAPSHOTS]');
  process.exit(2);
}
const [metadataLocation, expectedCsv, snapshotsArg] = process.argv.slice(2);

serveLocalFilesToFetch();

const failures = [];
const fail = msg => {
  failures.push(msg);
  if (failures.length <= 20) console.error(`FAIL: archive: ${msg}`);
};
const json = v => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x));

const icebird = await importReader('icebird');
const metadataPath = localPath(metadataLocation);
const tableUrl = dirname(dirname(metadataPath));
const metadataFileName = metadataPath.slice(tableUrl.length + '/metadata/'.length);
const metadata = await icebird.icebergMetadata({ tableUrl, metadataFileName });

const schema = metadata.schemas.find(s => s['schema-id'] === metadata['current-schema-id']);
const fields = new Map(schema.fields.map(f => [f.name, f]));
for (const [name, type] of [['run_id', 'string'], ['pipeline', 'string'], ['table_name', 'string'],
  ['run_status', 'string'], ['run_started_at', 'timestamptz'], ['run_full_refresh', 'boolean'],
  ['run_tables_total', 'int'], ['run_rows_loaded', 'long'], ['extract_row_count', 'long'],
  ['normalize_variant_columns', 'string'], ['load_snapshot_id', 'long'], ['archived_at', 'timestamptz']]) {
  const f = fields.get(name);
  if (!f) fail(`no column ${name} in the schema (${[...fields.keys()].join(', ')})`);
  else if (f.type !== type) fail(`column ${name} is ${json(f.type)}, expected ${type}`);
}
for (const name of ['run_id', 'pipeline', 'archived_at']) {
  if (fields.get(name) && !fields.get(name).required) fail(`column ${name} should be required`);
}
for (const [name, f] of fields) {
  if (/^(extract|normalize|load)_/.test(name) && f.required) fail(`stage column ${name} is required`);
}
const snapshots = metadata.snapshots ?? [];
if (snapshotsArg !== undefined && snapshots.length !== Number(snapshotsArg)) {
  fail(`${snapshots.length} snapshots, expected ${snapshotsArg} (one per archive batch)`);
}
const loadIds = snapshots.map(s => s.summary?.['nilus.load-id']);
if (new Set(loadIds).size !== loadIds.length || loadIds.some(x => !x)) {
  fail(`snapshot load ids are missing or repeated: ${json(loadIds)}`);
}

const live = [];
if (metadata['current-snapshot-id'] !== undefined && metadata['current-snapshot-id'] !== -1 &&
    metadata['current-snapshot-id'] !== null) {
  for (const { entries } of await icebird.icebergManifests(metadata)) {
    for (const e of entries) if (e.status !== 2) live.push(e.data_file);
  }
}
for (const df of live) {
  if (df.content !== 0) fail(`${df.file_path}: content ${df.content}; an append-only archive has only data files`);
  if (!existsSync(localPath(df.file_path))) fail(`${df.file_path}: listed in a manifest but missing`);
}
const paths = live.filter(df => df.content === 0).map(df => sqlString(localPath(df.file_path)));

const con = await openDuckDB();
const run = sql => con.run(sql);
const all = async sql => (await con.runAndReadAll(sql)).getRowObjects();
const one = async sql => (await all(sql))[0];
const cols = 'run_id, table_name, run_status, run_started_us, extract_row_count, normalize_row_count, ' +
  'load_row_count, load_destination_table';
await run(`CREATE TABLE expected AS SELECT ${cols} FROM read_csv(${sqlString(expectedCsv)}, header = true,
             nullstr = '\\N', all_varchar = true)`);
if (paths.length) {
  await run(`CREATE TABLE data AS SELECT * FROM read_parquet([${paths.join(', ')}], union_by_name = true)`);
  const types = Object.fromEntries((await all(`DESCRIBE data`)).map(r => [r.column_name, r.column_type]));
  for (const c of ['run_started_at', 'archived_at']) {
    if (types[c] !== 'TIMESTAMP WITH TIME ZONE') fail(`DuckDB reads ${c} as ${types[c]}, expected TIMESTAMP WITH TIME ZONE`);
  }
  await run(`CREATE TABLE actual AS SELECT CAST(run_id AS VARCHAR) AS run_id, CAST(table_name AS VARCHAR) AS table_name,
               CAST(run_status AS VARCHAR) AS run_status, CAST(epoch_us(run_started_at) AS VARCHAR) AS run_started_us,
               CAST(extract_row_count AS VARCHAR) AS extract_row_count,
               CAST(normalize_row_count AS VARCHAR) AS normalize_row_count,
               CAST(load_row_count AS VARCHAR) AS load_row_count,
               CAST(load_destination_table AS VARCHAR) AS load_destination_table FROM data`);
} else {
  await run(`CREATE TABLE actual AS SELECT * FROM expected WHERE false`);
}

const counts = await one(`SELECT (SELECT count(*) FROM expected)::BIGINT AS expected, (SELECT count(*) FROM actual)::BIGINT AS actual`);
const dups = await all(`SELECT run_id, table_name, count(*)::BIGINT AS n FROM actual GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL LIMIT 5`);
const dupCount = (await one(`SELECT count(*)::BIGINT AS n FROM (SELECT run_id, table_name FROM actual GROUP BY ALL HAVING count(*) > 1)`)).n;
const missing = await all(`SELECT * FROM (SELECT * FROM expected EXCEPT ALL SELECT * FROM actual) ORDER BY ALL LIMIT 5`);
const missingCount = (await one(`SELECT count(*)::BIGINT AS n FROM (SELECT * FROM expected EXCEPT ALL SELECT * FROM actual)`)).n;
const extra = await all(`SELECT * FROM (SELECT * FROM actual EXCEPT ALL SELECT * FROM expected) ORDER BY ALL LIMIT 5`);
const extraCount = (await one(`SELECT count(*)::BIGINT AS n FROM (SELECT * FROM actual EXCEPT ALL SELECT * FROM expected)`)).n;
if (BigInt(dupCount) > 0n) fail(`${dupCount} (run_id, table_name) pairs appear more than once, e.g. ${json(dups)}`);
if (BigInt(missingCount) > 0n) fail(`${missingCount} expected rows are missing, e.g. ${json(missing)}`);
if (BigInt(extraCount) > 0n) fail(`${extraCount} rows were not expected, e.g. ${json(extra)}`);
if (counts.expected !== counts.actual) fail(`${counts.actual} rows, expected ${counts.expected}`);
const nullArchivedAt = paths.length ? (await one(`SELECT count(*)::BIGINT AS n FROM data WHERE archived_at IS NULL`)).n : 0n;
if (BigInt(nullArchivedAt) > 0n) fail(`${nullArchivedAt} rows without archived_at`);

console.log(`check: archive: ${failures.length ? 'MISMATCH' : 'ok'}: ${counts.actual} rows (expected ${counts.expected}); ` +
            `${paths.length} data files, ${snapshots.length} snapshots; metadata ${metadataFileName}`);
process.exit(failures.length ? 1 : 0);
