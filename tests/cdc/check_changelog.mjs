// Checks a change log table that `nilus run` wrote for a CDC pipeline, with readers someone
// else wrote: icebird decodes the metadata and manifests, DuckDB reads the data files.
//
// Usage: node check_changelog.mjs METADATA_LOCATION EXPECTED_ROWS [snapshot]
//   Passes when the live rows hold exactly EXPECTED_ROWS rows whose operation is c or r (an
//   insert-only source table: one row per source row), and no (lsn, operation) of a streamed
//   change appears twice (nothing was written twice). With `snapshot`, EXPECTED_ROWS counts
//   only the r rows (the initial snapshot, which an interrupted first run must not double) and
//   other operations are allowed. Prints "check: ..." and exits 0, or 1.

import { dirname } from 'node:path';
import {
  importReader, localPath, openDuckDB, serveLocalFilesToFetch, sqlString,
} from '../interop/lib/readers.mjs';

const [metadataLocation, expectedText, mode] = process.argv.slice(2);
const snapshotOnly = mode === 'snapshot';
if (!metadataLocation || expectedText === undefined) {
  console.error('usage: node check_changelog.mjs METADATA_LOCATION EXPECTED_ROWS');
  process.exit(2);
}
serveLocalFilesToFetch();

const icebird = await importReader('icebird');
const metadataPath = localPath(metadataLocation);
const tableUrl = dirname(dirname(metadataPath));
const metadata = await icebird.icebergMetadata({
  tableUrl, metadataFileName: metadataPath.slice(tableUrl.length + '/metadata/'.length) });
const files = [];
for (const { entries } of await icebird.icebergManifests(metadata)) {
  for (const e of entries) {
    if (e.status === 2) continue;
    if (e.data_file.content !== 0) {
      console.error(`FAIL: ${e.data_file.file_path}: a change log holds no delete files`);
      process.exit(1);
    }
    files.push(localPath(e.data_file.file_path));
  }
}
const con = await openDuckDB();
const one = async sql => (await con.runAndReadAll(sql)).getRowObjects()[0];
const src = files.length
  ? `read_parquet([${files.map(sqlString).join(', ')}])`
  : `(SELECT NULL::VARCHAR AS operation, NULL::BIGINT AS lsn WHERE false)`;
const r = await one(`SELECT count(*)::BIGINT AS n,
    count(*) FILTER (WHERE operation IN (${snapshotOnly ? "'r'" : "'c', 'r'"}))::BIGINT AS rows_in,
    count(*) FILTER (WHERE operation NOT IN ('c', 'r'))::BIGINT AS other,
    (SELECT count(*) FROM (SELECT lsn, operation FROM ${src} WHERE operation <> 'r'
                           GROUP BY ALL HAVING count(*) > 1))::BIGINT AS dup_lsns
  FROM ${src}`);
const failures = [];
if (BigInt(r.rows_in) !== BigInt(expectedText)) failures.push(`${r.rows_in} ${snapshotOnly ? 'r' : 'c/r'} rows, expected ${expectedText}`);
if (!snapshotOnly && BigInt(r.other) !== 0n) failures.push(`${r.other} rows with another operation`);
if (BigInt(r.dup_lsns) !== 0n) failures.push(`${r.dup_lsns} LSNs appear more than once`);
for (const f of failures) console.error(`FAIL: change log: ${f}`);
console.log(`check: change log: ${failures.length ? 'MISMATCH' : 'ok'}: ${r.n} rows in ${files.length} files`);
process.exit(failures.length ? 1 : 0);
