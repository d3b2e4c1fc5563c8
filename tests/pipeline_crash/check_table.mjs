// Compares an Iceberg table that `nilus run` wrote with the rows of its source, using readers
// someone else wrote: icebird decodes the table metadata, the manifest list and the manifests
// (never Nilus), and DuckDB reads every live data and delete file and applies the deletes here in
// SQL with the spec's rules (a position delete applies to data files with a data sequence
// number <= its own, an equality delete to those with a smaller one; the tables are
// unpartitioned, so every equality delete is global).
//
// The table must hold exactly the source's rows as a multiset over the source's columns: no
// duplicates, no gaps, no stale versions. Columns Nilus adds (_nilus_*) are ignored.
//
// Usage: node check_table.mjs METADATA_LOCATION SOURCE_CSV COLUMNS [METADATA_LOCATION ...]
//   (one triple per table; the table's name in messages is SOURCE_CSV's base name)
//   METADATA_LOCATION  the table's current metadata file (catalog's metadata_location)
//   SOURCE_CSV         the source rows: CSV with a header, NULL written as \N
//   COLUMNS            comma-separated source columns; the first is the primary key. A child
//                      table (a JSON list) is given as PARENT>c1,c2,...: its expected rows are
//                      (PARENT's key, c1, c2, ...), c1 being _nilus_list_idx, and its rows are
//                      linked to PARENT's by _nilus_parent_id = _nilus_id
// Prints one line "check: NAME: ..." per table and exits 0 when they all match, 1 on any
// mismatch, 2 on misuse.

import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  importReader, localPath, openDuckDB, serveLocalFilesToFetch, sqlString,
} from '../interop/lib/readers.mjs';

if (process.argv.length < 5 || (process.argv.length - 2) % 3 !== 0) {
  console.error('usage: node check_table.mjs METADATA_LOCATION SOURCE_CSV COLUMNS [...]');
  process.exit(2);
}

serveLocalFilesToFetch();

const icebird = await importReader('icebird');
const con = await openDuckDB();
const failures = [];
let name = '';
const parentKeys = new Map();  // checked table -> its key column, for child tables
const fail = msg => {
  failures.push(msg);
  if (failures.length <= 20) console.error(`FAIL: ${name}: ${msg}`);
};

async function checkTable(metadataLocation, sourceCsv, columnList) {
  const before = failures.length;
  // "PARENT>c1,c2": a child table, compared as (PARENT's key, c1, c2, ...) through the link
  // _nilus_parent_id = PARENT._nilus_id; PARENT must be checked earlier in the same call.
  const [parent, columnSpec] = columnList.includes('>') ? columnList.split('>') : [null, columnList];
  const columns = columnSpec.split(',');
  const outColumns = parent ? ['_parent', ...columns] : columns;
  const keyColumns = parent ? ['_parent', columns[0]] : [columns[0]];
  if (parent && !parentKeys.has(parent)) fail(`parent ${parent} was not checked before`);
  parentKeys.set(name, columns[0]);
  const metadataPath = localPath(metadataLocation);
  const tableUrl = dirname(dirname(metadataPath));
  const metadataFileName = metadataPath.slice(tableUrl.length + '/metadata/'.length);
  const metadata = await icebird.icebergMetadata({ tableUrl, metadataFileName });

  const schema = metadata.schemas.find(s => s['schema-id'] === metadata['current-schema-id']);
  const fieldNames = schema.fields.map(f => f.name);
  for (const c of columns) if (!fieldNames.includes(c)) fail(`column ${c} is not in the table's schema (${fieldNames.join(', ')})`);
  const spec = metadata['partition-specs'].find(s => s['spec-id'] === metadata['default-spec-id']);
  if ((spec?.fields ?? []).length > 0) fail('the table is partitioned; this checker applies equality deletes globally');

  // Live files of the current snapshot, with their data sequence numbers.
  const live = [];
  if (metadata['current-snapshot-id'] !== undefined && metadata['current-snapshot-id'] !== -1 &&
      metadata['current-snapshot-id'] !== null) {
    for (const { entries } of await icebird.icebergManifests(metadata)) {
      for (const e of entries) if (e.status !== 2) live.push(e);
    }
  }
  const files = { 0: [], 1: [], 2: [] };
  const eqSets = new Map();
  for (const e of live) {
    const df = e.data_file;
    const path = localPath(df.file_path);
    if (!existsSync(path)) {
      fail(`${df.file_path}: listed in a manifest but missing`);
      continue;
    }
    if (e.sequence_number === undefined || e.sequence_number === null) fail(`${df.file_path}: no sequence number`);
    const entry = `(${sqlString(path)}, ${sqlString(df.file_path)}, ${BigInt(e.sequence_number)})`;
    if (df.content === 2) {
      // Equality deletes match on the columns they declare (null equals null).
      const ids = (df.equality_ids ?? []).map(Number);
      const names = schema.fields.filter(f => ids.includes(f.id)).map(f => f.name).join(',');
      if (!names) fail(`${df.file_path}: equality delete without known equality_ids`);
      if (!eqSets.has(names)) eqSets.set(names, []);
      eqSets.get(names).push(entry);
    }
    (files[df.content] ?? fail(`${df.file_path}: content ${df.content}`)).push(entry);
  }

  const run = sql => con.run(sql);
  const all = async sql => (await con.runAndReadAll(sql)).getRowObjects();
  for (const t of ['src', 'data_files', 'pos_files', 'eq_files', 'data', 'pos', 'eq', 'dst']) await run(`DROP TABLE IF EXISTS ${t}`);
  const asText = (cols, alias) => cols.map(c => `CAST(${alias}."${c}" AS VARCHAR) AS "${c}"`).join(', ');
  const keyOf = (cols, alias) =>
    `concat_ws(chr(31), ${cols.map(c => `coalesce(CAST(${alias}."${c}" AS VARCHAR), chr(0))`).join(', ')})`;

  await run(`CREATE TABLE src AS SELECT ${asText(outColumns, 's')} FROM read_csv(${sqlString(sourceCsv)}, header = true,
               nullstr = '\\N', all_varchar = true) s`);
  const fileTable = (name, list) =>
    run(`CREATE TABLE ${name} (local VARCHAR, path VARCHAR, seq BIGINT)` +
        (list.length ? `; INSERT INTO ${name} VALUES ${list.join(', ')}` : ''));
  await fileTable('data_files', files[0]);
  await fileTable('pos_files', files[1]);
  await fileTable('eq_files', files[2]);

  const list = entries => `[${entries.map(e => e.slice(1, e.indexOf(','))).join(', ')}]`;
  if (files[0].length) {
    await run(`CREATE TABLE data AS SELECT d.* EXCLUDE (filename, file_row_number), f.path AS _path,
                 f.seq AS _seq, d.file_row_number AS _pos
               FROM read_parquet(${list(files[0])}, filename = true, file_row_number = true, union_by_name = true) d
               JOIN data_files f ON d.filename = f.local`);
  } else {
    await run(`CREATE TABLE data AS SELECT ${fieldNames.map(n => `NULL::VARCHAR AS "${n}"`).join(', ')},
                 NULL::VARCHAR AS _path, 0::BIGINT AS _seq, 0::BIGINT AS _pos WHERE false`);
  }
  await run(`CREATE TABLE pos (file_path VARCHAR, pos BIGINT, seq BIGINT)`);
  if (files[1].length) {
    await run(`INSERT INTO pos SELECT p.file_path, p.pos, f.seq
               FROM read_parquet(${list(files[1])}, filename = true) p JOIN pos_files f ON p.filename = f.local`);
  }
  await run(`CREATE TABLE eq (cols VARCHAR, k VARCHAR, seq BIGINT)`);
  let eqFilter = '';
  for (const [names, entries] of eqSets) {
    const cols = names.split(',');
    await run(`INSERT INTO eq SELECT ${sqlString(names)}, ${keyOf(cols, 'e')}, f.seq
               FROM read_parquet(${list(entries)}, filename = true) e JOIN eq_files f ON e.filename = f.local`);
    eqFilter += ` AND NOT EXISTS (SELECT 1 FROM eq e WHERE e.cols = ${sqlString(names)}
                    AND e.k = ${keyOf(cols, 'd')} AND e.seq > d._seq)`;
  }
  await run(`CREATE OR REPLACE TABLE "live_${name}" AS SELECT * FROM data d
             WHERE NOT EXISTS (SELECT 1 FROM pos p WHERE p.file_path = d._path AND p.pos = d._pos AND p.seq >= d._seq)
             ${eqFilter}`);
  if (parent) {
    const link = ['_nilus_parent_id', '_nilus_id'];
    if (!fieldNames.includes(link[0])) fail(`no column ${link[0]}`);
    await run(`CREATE TABLE dst AS SELECT CAST(p."${parentKeys.get(parent)}" AS VARCHAR) AS _parent, ${asText(columns, 'c')}
               FROM "live_${name}" c LEFT JOIN "live_${parent}" p ON c."${link[0]}" = p."${link[1]}"`);
  } else {
    await run(`CREATE TABLE dst AS SELECT ${asText(columns, 'c')} FROM "live_${name}" c`);
  }

  const one = async sql => (await all(sql))[0];
  const counts = await one(`SELECT (SELECT count(*) FROM src)::BIGINT AS src, (SELECT count(*) FROM dst)::BIGINT AS dst,
      (SELECT count(*) FROM data)::BIGINT AS physical`);
  const keyList = keyColumns.map(c => `"${c}"`).join(', ');
  const dups = await all(`SELECT ${keyList}, count(*)::BIGINT AS n FROM dst GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL LIMIT 5`);
  const dupCount = (await one(`SELECT count(*)::BIGINT AS n FROM (SELECT ${keyList} FROM dst GROUP BY ALL HAVING count(*) > 1)`)).n;
  const missing = await all(`SELECT * FROM (SELECT * FROM src EXCEPT ALL SELECT * FROM dst) ORDER BY 1 LIMIT 5`);
  const missingCount = (await one(`SELECT count(*)::BIGINT AS n FROM (SELECT * FROM src EXCEPT ALL SELECT * FROM dst)`)).n;
  const extra = await all(`SELECT * FROM (SELECT * FROM dst EXCEPT ALL SELECT * FROM src) ORDER BY 1 LIMIT 5`);
  const extraCount = (await one(`SELECT count(*)::BIGINT AS n FROM (SELECT * FROM dst EXCEPT ALL SELECT * FROM src)`)).n;

  if (BigInt(dupCount) > 0n) fail(`${dupCount} keys appear more than once, e.g. ${JSON.stringify(dups, (_, v) => typeof v === 'bigint' ? String(v) : v)}`);
  if (BigInt(missingCount) > 0n) fail(`${missingCount} source rows missing from the table (gaps or stale versions), e.g. ${JSON.stringify(missing)}`);
  if (BigInt(extraCount) > 0n) fail(`${extraCount} table rows not in the source, e.g. ${JSON.stringify(extra)}`);
  if (counts.src !== counts.dst) fail(`${counts.dst} rows in the table, ${counts.src} in the source`);

  console.log(`check: ${name}: ${failures.length > before ? 'MISMATCH' : 'ok'}: ${counts.dst} rows (source ${counts.src}); ` +
              `${files[0].length} data files (${counts.physical} rows), ${files[1].length} position-delete and ` +
              `${files[2].length} equality-delete files; metadata ${metadataFileName}`);
}

for (let i = 2; i < process.argv.length; i += 3) {
  name = process.argv[i + 1].replace(/^.*\//, '').replace(/\.csv$/, '');
  await checkTable(process.argv[i], process.argv[i + 1], process.argv[i + 2]);
}
process.exit(failures.length ? 1 : 0);
