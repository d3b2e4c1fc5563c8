// Reads the Iceberg tables nilus_iceberg_interop_writer wrote, with engines someone else wrote,
// and compares them with OUTDIR/expected.json:
//   1. icebird reads each table over HTTP from a server this script starts on 127.0.0.1 (an
//      ephemeral port, serving OUTDIR read-only: GET and HEAD, with byte ranges). The rows it
//      returns must equal the expected rows (as a set keyed by "id": Iceberg promises no order
//      across files).
//   2. DuckDB reads every data file the current snapshot's manifests list (read_parquet on the
//      local file): per-file row counts must match the manifests, the union of the rows must
//      equal the expected rows exactly (full microsecond and decimal precision), and in a
//      partitioned table every row of a file must carry the file's identity partition value.
//
// Path mapping: the metadata, manifest list and manifests hold absolute local paths (the
// warehouse is a local directory). icebird fetches those paths as they are, with the global
// fetch, and has no option to resolve them (only `requestInit`). So this script wraps
// globalThis.fetch: a path under the warehouse (plain or file://) becomes the same path on the
// loopback server; any other non-loopback URL is refused.
//
// Usage: node check_tables.mjs OUTDIR        Exits 1 on any mismatch.

import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, join, resolve, sep } from 'node:path';
import { compareValue, decimalParams, loadJson, primitiveKind, show } from '../interop/lib/canon.mjs';
import { importReader, openDuckDB, readWithDuckDB } from '../interop/lib/readers.mjs';

const TIME_LIMIT_MS = 120_000;
const MAX_SHOWN = 20;

if (process.argv.length !== 3) {
  console.error('usage: node check_tables.mjs OUTDIR');
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

for (const table of expected.tables) {
  const tableUrl = `${baseUrl}/${table.table}`;
  const metadataFileName = basename(table.metadata);

  // version-hint.text names the latest metadata file (without ".metadata.json").
  const hintRes = await fetch(`${tableUrl}/metadata/version-hint.text`);
  const hint = hintRes.ok ? (await hintRes.text()).trim() : `<<HTTP ${hintRes.status}>>`;
  if (`${hint}.metadata.json` !== metadataFileName) {
    fail(`${table.name}: version-hint.text says ${show(hint)}, the last commit wrote ${metadataFileName}`);
  }

  // 1. icebird over HTTP.
  const metadata = await icebird.icebergMetadata({ tableUrl, metadataFileName });
  const rows = await icebird.icebergRead({ tableUrl, metadata });
  compareRows(`icebird ${table.name}`, table.schema, table.rows, rows, icebirdValue, expectedForIcebird);
  console.log(`icebird: ${table.name}: ${rows.length} rows read over HTTP (metadata ${metadataFileName})`);

  // 2. DuckDB, every data file the manifests list.
  const manifests = await icebird.icebergManifests(metadata);
  const snapshot = metadata.snapshots.find(s => s['snapshot-id'] === metadata['current-snapshot-id']);
  const spec = metadata['partition-specs'].find(s => s['spec-id'] === metadata['default-spec-id']);
  const duckRows = [];
  let files = 0;
  for (const { entries } of manifests) {
    for (const entry of entries) {
      if (entry.status === 2) continue;
      const df = entry.data_file;
      if (df.content !== 0) fail(`${table.name}: unexpected content ${df.content} for ${df.file_path}`);
      files++;
      let path = df.file_path;
      if (path.startsWith('file://')) path = decodeURIComponent(new URL(path).pathname);
      if (!path.startsWith(warehouse + '/') || !existsSync(path)) {
        fail(`${table.name}: data file ${df.file_path} is not a file under the warehouse`);
        continue;
      }
      if (BigInt(statSync(path).size) !== BigInt(df.file_size_in_bytes)) {
        fail(`${table.name}: ${path}: manifest says ${df.file_size_in_bytes} bytes, file has ${statSync(path).size}`);
      }
      const { columns, problems } = await readWithDuckDB(con, path, { schema: table.schema });
      for (const p of problems) fail(`duckdb ${table.name}: ${path}: ${p}`);
      const n = columns.id?.length ?? 0;
      if (BigInt(n) !== BigInt(df.record_count)) {
        fail(`duckdb ${table.name}: ${path}: ${n} rows, manifest record_count ${df.record_count}`);
      }
      for (let i = 0; i < n; i++) {
        const row = {};
        for (const f of table.schema.fields) row[f.name] = columns[f.name]?.[i];
        duckRows.push(row);
        // Identity partitions: every row holds its file's partition value.
        for (const pf of spec?.fields ?? []) {
          if (pf.transform !== 'identity') continue;
          const source = table.schema.fields.find(f => f.id === pf['source-id']);
          const want = df.partition?.[pf.name] ?? null;
          if (row[source.name] !== want) {
            fail(`duckdb ${table.name}: ${path}: row ${i}: ${source.name} = ${show(row[source.name])}, partition value ${show(want)}`);
          }
        }
      }
    }
  }
  compareRows(`duckdb ${table.name}`, table.schema, table.rows, duckRows);
  const summaryFiles = Number(snapshot?.summary?.['total-data-files']);
  if (summaryFiles !== files) fail(`${table.name}: manifests list ${files} data files, summary says ${summaryFiles}`);
  totalFiles += files;
  console.log(`duckdb: ${table.name}: ${duckRows.length} rows in ${files} data files`);
}

if (mapped.count === 0) fail('no warehouse path went through the loopback server');
console.log(`http: ${served.requests} requests (${served.ranges} ranged), ${mapped.count} warehouse paths mapped, ` +
            `${totalFiles} data files`);
server.close();
clearTimeout(watchdog);
if (failures.length > MAX_SHOWN) console.error(`... ${failures.length - MAX_SHOWN} more failures`);
console.log(failures.length ? `FAIL: ${failures.length} mismatches` : 'OK: icebird and DuckDB read every table exactly');
process.exit(failures.length ? 1 : 0);
