// Reads the Iceberg tables nilus_iceberg_interop_writer wrote, with engines someone else wrote,
// and compares them with OUTDIR/expected.json:
//   1. icebird reads each table over HTTP from a server this script starts on 127.0.0.1 (an
//      ephemeral port, serving OUTDIR read-only: GET and HEAD, with byte ranges), applying
//      position and equality deletes itself. The rows it returns must equal the expected rows
//      (as a set keyed by "id": Iceberg promises no order across files).
//   2. DuckDB reads every data and delete file the current snapshot's manifests list
//      (read_parquet on the local file; the manifests are decoded by icebird, never by Nilus).
//      Delete files must have the spec's columns and field ids (position deletes also sorted by
//      file_path, pos), record counts must match the manifests, and the deletes are applied
//      here in SQL with the spec's rules (a position delete applies to data files with a data
//      sequence number <= its own, an equality delete to those with a smaller one; both only
//      within their partition in a partitioned table). The surviving rows must equal the
//      expected rows exactly (full microsecond and decimal precision), every row of a file of a
//      partitioned table must carry the file's identity partition value, and the summary's
//      total-data-files, total-delete-files, total-position-deletes and
//      total-equality-deletes must match the manifests.
//
// Path mapping: the metadata, manifest list and manifests hold absolute local paths (the
// warehouse is a local directory). icebird fetches those paths as they are, with the global
// fetch, and has no option to resolve them (only `requestInit`). So this script wraps
// globalThis.fetch: a path under the warehouse (plain or file://) becomes the same path on the
// loopback server; any other non-loopback URL is refused.
//
// Usage: node check_tables.mjs OUTDIR [--current]        Exits 1 on any mismatch.
// --current reads each table's current metadata as version-hint.text names it, instead of the
// metadata file the writer's last commit recorded: used after `nilus table compact` and
// `nilus table expire` rewrote the tables, which must still hold exactly the expected rows.

import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, join, resolve, sep } from 'node:path';
import { compareValue, decimalParams, loadJson, primitiveKind, show } from '../interop/lib/canon.mjs';
import { importReader, openDuckDB, readWithDuckDB, sqlString } from '../interop/lib/readers.mjs';

const TIME_LIMIT_MS = 120_000;
const MAX_SHOWN = 20;

// JSON with bigints and sorted keys, to compare partition records.
function canonJson(v) {
  if (typeof v === 'bigint') return `${v}n`;
  if (v === undefined || v === null) return 'null';
  if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString('hex')}`;
  if (v instanceof Date) return `date:${v.getTime()}`;
  if (Array.isArray(v)) return `[${v.map(canonJson).join(',')}]`;
  if (typeof v === 'object') return `{${Object.keys(v).sort().map(k => `${JSON.stringify(k)}:${canonJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

const useCurrent = process.argv[3] === '--current';
if (process.argv.length !== 3 && !(process.argv.length === 4 && useCurrent)) {
  console.error('usage: node check_tables.mjs OUTDIR [--current]');
  process.exit(2);
}
const outDir = realpathSync(process.argv[2]);
const expected = loadJson(join(outDir, 'expected.json'));
const watchdog = setTimeout(() => {
  console.error(`FAIL: not finished after ${TIME_LIMIT_MS / 1000} s`);
  process.exit(1);
}, TIME_LIMIT_MS);

const icebird = await importReader('icebird');
const failures = [];
function fail(msg) {
  failures.push(msg);
  if (failures.length <= MAX_SHOWN) console.error(`FAIL: ${msg}`);
}

// ---- loopback HTTP server over OUTDIR ----

const served = { requests: 0, ranges: 0 };

// "bytes=a-b", "bytes=a-" or "bytes=-n" -> [start, endInclusive], or null when unsatisfiable.
function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start;
  let end;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start <= end && start < size ? [start, end] : null;
}

const server = createServer((req, res) => {
  served.requests++;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  let path;
  try {
    path = resolve(outDir, '.' + decodeURIComponent(new URL(req.url, 'http://x').pathname));
  } catch {
    res.writeHead(400).end();
    return;
  }
  if (path !== outDir && !path.startsWith(outDir + sep)) {
    res.writeHead(403).end();
    return;
  }
  let st;
  try {
    st = statSync(path);
  } catch {
    st = null;
  }
  if (!st || !st.isFile()) {
    res.writeHead(404).end();
    return;
  }
  const headers = { 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
  let start = 0;
  let end = st.size - 1;
  let status = 200;
  if (req.headers.range) {
    const r = parseRange(req.headers.range, st.size);
    if (!r) {
      res.writeHead(416, { 'Content-Range': `bytes */${st.size}` }).end();
      return;
    }
    [start, end] = r;
    status = 206;
    served.ranges++;
    headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
  }
  headers['Content-Length'] = String(st.size === 0 ? 0 : end - start + 1);
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || st.size === 0) {
    res.end();
    return;
  }
  createReadStream(path, { start, end }).pipe(res);
});
await new Promise((ok, bad) => {
  server.once('error', bad);
  server.listen(0, '127.0.0.1', ok);
});
const baseUrl = `http://127.0.0.1:${server.address().port}`;

// ---- fetch: warehouse paths -> the loopback server ----

const warehouse = expected.warehouse.replace(/\/+$/, '');
const outPrefix = outDir + sep;
if (!warehouse.startsWith(outPrefix)) throw new Error(`warehouse ${warehouse} is not under ${outDir}`);
const realFetch = globalThis.fetch;
const mapped = { count: 0 };

function toServerUrl(location) {
  let path = location;
  if (path.startsWith('file://')) path = decodeURIComponent(new URL(path).pathname);
  if (path.startsWith(warehouse + '/')) {
    mapped.count++;
    return baseUrl + '/' + path.slice(outPrefix.length).split('/').map(encodeURIComponent).join('/');
  }
  return null;
}

globalThis.fetch = (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const local = toServerUrl(url);
  if (local) return realFetch(local, init);
  if (url.startsWith(baseUrl + '/')) return realFetch(url, init);
  return Promise.reject(new Error(`refusing to fetch ${url}: not under the warehouse or ${baseUrl}`));
};

// ---- value normalization ----

// icebird hands rows to hyparquet's default parsers: long -> bigint, decimal -> JS number
// (unscaled * 10^-scale), date -> Date at UTC midnight, timestamp(tz) -> Date built from
// micros / 1000n (millisecond precision, truncated). Each value is turned into the canonical
// form of tests/interop/lib/canon.mjs, except timestamps, whose expectation is reduced to
// what a Date can hold (documented icebird limit; DuckDB checks the full micros below).
function icebirdValue(v, type) {
  if (v === null || v === undefined) return null;
  const kind = primitiveKind(type);
  switch (kind) {
    case 'long': return typeof v === 'bigint' ? v.toString() : `<<${typeof v} ${String(v)}>>`;
    case 'decimal': {
      const { scale } = decimalParams(type);
      return typeof v === 'number' ? v.toFixed(scale) : `<<${typeof v}>>`;
    }
    case 'date': {
      if (!(v instanceof Date)) return `<<${typeof v}>>`;
      const ms = v.getTime();
      return ms % 86400000 === 0 ? ms / 86400000 : `<<date ${v.toISOString()}>>`;
    }
    case 'timestamp':
    case 'timestamptz': return v instanceof Date ? v.getTime() : `<<${typeof v}>>`;
    default: return v;
  }
}

function expectedForIcebird(v, type) {
  const kind = primitiveKind(type);
  if (v !== null && (kind === 'timestamp' || kind === 'timestamptz')) return Number(BigInt(v) / 1000n);
  return v;
}

// Compares rows (objects keyed by column name) with the expected rows, matched by "id".
function compareRows(label, schema, expRows, actRows, adapt = (v, _t) => v, adaptExp = (v, _t) => v) {
  if (actRows.length !== expRows.length) {
    fail(`${label}: ${actRows.length} rows, expected ${expRows.length}`);
  }
  const byId = new Map();
  for (const row of actRows) {
    const id = String(adapt(row.id, 'long'));
    if (byId.has(id)) fail(`${label}: id ${id} appears twice`);
    byId.set(id, row);
  }
  const names = schema.fields.map(f => f.name);
  for (const exp of expRows) {
    const act = byId.get(exp.id);
    if (!act) {
      fail(`${label}: row id ${exp.id} missing`);
      continue;
    }
    for (const k of Object.keys(act)) {
      if (!names.includes(k)) fail(`${label}: id ${exp.id}: unexpected column ${k}`);
    }
    for (const f of schema.fields) {
      const diffs = [];
      compareValue(adaptExp(exp[f.name], f.type), adapt(act[f.name], f.type), f.type, f.name, diffs);
      for (const d of diffs) {
        fail(`${label}: id ${exp.id}: ${d.path} (${d.why}): expected ${show(d.expected)}, got ${show(d.actual)}`);
      }
    }
  }
}

// ---- the checks ----

const con = await openDuckDB();
let totalFiles = 0;
let deleteFiles = 0;

for (const table of expected.tables) {
  const tableUrl = `${baseUrl}/${table.table}`;
  // version-hint.text names the latest metadata file (without ".metadata.json").
  const hintRes = await fetch(`${tableUrl}/metadata/version-hint.text`);
  const hint = hintRes.ok ? (await hintRes.text()).trim() : `<<HTTP ${hintRes.status}>>`;
  const metadataFileName = useCurrent ? `${hint}.metadata.json` : basename(table.metadata);
  if (`${hint}.metadata.json` !== metadataFileName) {
    fail(`${table.name}: version-hint.text says ${show(hint)}, the last commit wrote ${metadataFileName}`);
  }

  // 1. icebird over HTTP.
  const metadata = await icebird.icebergMetadata({ tableUrl, metadataFileName });
  const rows = await icebird.icebergRead({ tableUrl, metadata });
  compareRows(`icebird ${table.name}`, table.schema, table.rows, rows, icebirdValue, expectedForIcebird);
  console.log(`icebird: ${table.name}: ${rows.length} rows read over HTTP (metadata ${metadataFileName})`);

  // 2. DuckDB, every data and delete file the manifests list, deletes applied here.
  const manifests = await icebird.icebergManifests(metadata);
  const snapshot = metadata.snapshots.find(s => s['snapshot-id'] === metadata['current-snapshot-id']);
  const spec = metadata['partition-specs'].find(s => s['spec-id'] === metadata['default-spec-id']);
  // Partition values are compared as manifest records; that needs one spec for every file.
  if (metadata['partition-specs'].length !== 1) fail(`${table.name}: more than one partition spec`);
  const partitioned = (spec?.fields ?? []).length > 0;
  const live = [];
  for (const { entries } of manifests) for (const e of entries) if (e.status !== 2) live.push(e);
  const dataEntries = live.filter(e => e.data_file.content === 0);
  const posEntries = live.filter(e => e.data_file.content === 1);
  const eqEntries = live.filter(e => e.data_file.content === 2);
  for (const e of live) {
    if (![0, 1, 2].includes(e.data_file.content)) fail(`${table.name}: content ${e.data_file.content} for ${e.data_file.file_path}`);
  }
  const localPath = location => {
    let path = location;
    if (path.startsWith('file://')) path = decodeURIComponent(new URL(path).pathname);
    if (!path.startsWith(warehouse + '/') || !existsSync(path)) {
      fail(`${table.name}: ${location} is not a file under the warehouse`);
      return null;
    }
    return path;
  };
  const checkSize = (path, df) => {
    if (BigInt(statSync(path).size) !== BigInt(df.file_size_in_bytes)) {
      fail(`${table.name}: ${path}: manifest says ${df.file_size_in_bytes} bytes, file has ${statSync(path).size}`);
    }
  };
  const samePartition = (a, b) => canonJson(a.partition ?? {}) === canonJson(b.partition ?? {});

  // Delete files: readable by DuckDB, the spec's columns and field ids, record counts, and
  // position deletes sorted by (file_path, pos).
  const dataPaths = new Set(dataEntries.map(e => e.data_file.file_path));
  let positionDeletes = 0n;
  let equalityDeletes = 0n;
  for (const e of [...posEntries, ...eqEntries]) {
    const df = e.data_file;
    const path = localPath(df.file_path);
    e.localPath = path;
    if (!path) continue;
    checkSize(path, df);
    const cols = (await con.runAndReadAll(
      `SELECT name, field_id FROM parquet_schema(${sqlString(path)}) WHERE num_children IS NULL OR num_children = 0`)).getRowObjects();
    const got = cols.map(c => `${c.name}:${c.field_id}`).join(',');
    let want;
    if (df.content === 1) {
      want = 'file_path:2147483546,pos:2147483545';
      positionDeletes += BigInt(df.record_count);
    } else {
      const ids = (df.equality_ids ?? []).map(Number);
      if (ids.length === 0) fail(`${table.name}: ${path}: equality delete file without equality_ids`);
      want = table.schema.fields.filter(f => ids.includes(f.id)).map(f => `${f.name}:${f.id}`).join(',');
      e.keyColumns = table.schema.fields.filter(f => ids.includes(f.id)).map(f => f.name);
      equalityDeletes += BigInt(df.record_count);
    }
    if (got !== want) fail(`duckdb ${table.name}: ${path}: columns ${got}, expected ${want}`);
    const n = (await con.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${sqlString(path)})`)).getRowObjects()[0].n;
    if (BigInt(n) !== BigInt(df.record_count)) fail(`duckdb ${table.name}: ${path}: ${n} rows, manifest record_count ${df.record_count}`);
    if (df.content === 1) {
      const unsorted = (await con.runAndReadAll(
        `SELECT count(*)::BIGINT AS n FROM (SELECT file_path, pos, lag(file_path) OVER w AS pf, lag(pos) OVER w AS pp
           FROM read_parquet(${sqlString(path)}, file_row_number = true) WINDOW w AS (ORDER BY file_row_number))
         WHERE pf > file_path OR (pf = file_path AND pp >= pos)`)).getRowObjects()[0].n;
      if (BigInt(unsorted) !== 0n) fail(`duckdb ${table.name}: ${path}: ${unsorted} deletes out of (file_path, pos) order`);
      const targets = (await con.runAndReadAll(
        `SELECT DISTINCT file_path FROM read_parquet(${sqlString(path)})`)).getRowObjects().map(r => r.file_path);
      for (const t of targets) {
        if (!dataPaths.has(t)) fail(`${table.name}: ${path}: deletes rows of ${t}, not a live data file`);
      }
    }
  }

  const duckRows = [];
  let files = 0;
  let removedByPos = 0;
  let removedByEq = 0;
  for (const entry of dataEntries) {
    const df = entry.data_file;
    files++;
    const path = localPath(df.file_path);
    if (!path) continue;
    checkSize(path, df);
    const { columns, problems } = await readWithDuckDB(con, path, { schema: table.schema });
    for (const p of problems) fail(`duckdb ${table.name}: ${path}: ${p}`);
    const n = columns.id?.length ?? 0;
    if (BigInt(n) !== BigInt(df.record_count)) {
      fail(`duckdb ${table.name}: ${path}: ${n} rows, manifest record_count ${df.record_count}`);
    }
    // The spec's scoping: a position delete applies to a data file with a data sequence number
    // <= its own; an equality delete to data files with a smaller one, in the same partition
    // unless the delete is unpartitioned.
    const seq = BigInt(entry.sequence_number);
    const deleted = new Set();
    for (const pe of posEntries) {
      if (!pe.localPath || BigInt(pe.sequence_number) < seq) continue;
      if (partitioned && !samePartition(pe.data_file, df)) continue;
      const r = await con.runAndReadAll(
        `SELECT pos FROM read_parquet(${sqlString(pe.localPath)}) WHERE file_path = ${sqlString(df.file_path)}`);
      for (const { pos } of r.getRowObjects()) {
        if (!deleted.has(Number(pos))) removedByPos++;
        deleted.add(Number(pos));
      }
    }
    for (const ee of eqEntries) {
      if (!ee.localPath || !ee.keyColumns?.length || BigInt(ee.sequence_number) <= seq) continue;
      if (partitioned && !samePartition(ee.data_file, df)) continue;
      const on = ee.keyColumns.map(c => `d."${c}" IS NOT DISTINCT FROM e."${c}"`).join(' AND ');
      const r = await con.runAndReadAll(
        `SELECT d.file_row_number AS pos FROM read_parquet(${sqlString(path)}, file_row_number = true) d
         WHERE EXISTS (SELECT 1 FROM read_parquet(${sqlString(ee.localPath)}) e WHERE ${on})`);
      for (const { pos } of r.getRowObjects()) {
        if (!deleted.has(Number(pos))) removedByEq++;
        deleted.add(Number(pos));
      }
    }
    for (let i = 0; i < n; i++) {
      const row = {};
      for (const f of table.schema.fields) row[f.name] = columns[f.name]?.[i];
      // Identity partitions: every row holds its file's partition value.
      for (const pf of spec?.fields ?? []) {
        if (pf.transform !== 'identity') continue;
        const source = table.schema.fields.find(f => f.id === pf['source-id']);
        const want = df.partition?.[pf.name] ?? null;
        if (row[source.name] !== want) {
          fail(`duckdb ${table.name}: ${path}: row ${i}: ${source.name} = ${show(row[source.name])}, partition value ${show(want)}`);
        }
      }
      if (!deleted.has(i)) duckRows.push(row);
    }
  }
  compareRows(`duckdb ${table.name}`, table.schema, table.rows, duckRows);
  const summary = snapshot?.summary ?? {};
  const checkTotal = (key, value) => {
    if (String(summary[key]) !== String(value)) fail(`${table.name}: manifests give ${key} = ${value}, summary says ${summary[key]}`);
  };
  checkTotal('total-data-files', files);
  checkTotal('total-delete-files', posEntries.length + eqEntries.length);
  checkTotal('total-position-deletes', positionDeletes);
  checkTotal('total-equality-deletes', equalityDeletes);
  totalFiles += files;
  deleteFiles += posEntries.length + eqEntries.length;
  console.log(`duckdb: ${table.name}: ${duckRows.length} rows in ${files} data files` +
              (posEntries.length + eqEntries.length
                ? ` after ${posEntries.length} position-delete files (${removedByPos} rows) and ` +
                  `${eqEntries.length} equality-delete files (${removedByEq} rows)`
                : ''));
}

if (mapped.count === 0) fail('no warehouse path went through the loopback server');
console.log(`http: ${served.requests} requests (${served.ranges} ranged), ${mapped.count} warehouse paths mapped, ` +
            `${totalFiles} data files, ${deleteFiles} delete files`);
server.close();
clearTimeout(watchdog);
if (failures.length > MAX_SHOWN) console.error(`... ${failures.length - MAX_SHOWN} more failures`);
console.log(failures.length ? `FAIL: ${failures.length} mismatches` : 'OK: icebird and DuckDB read every table exactly');
process.exit(failures.length ? 1 : 0);
