// Adapters that read a Parquet file with a reader someone else wrote and return its columns in
// the canonical form of canon.mjs: { columns: {name: [value, ...]}, problems: [string] }.
// `problems` holds type and schema disagreements found on the way (e.g. a wrong Arrow type or
// a missing field id); values that cannot be converted become a marker string that cannot
// equal any expected value, so the comparison reports them.
//
// Readers come from node_modules at the repository root (installed by scripts/setup).

import { existsSync, readFileSync, statSync } from 'node:fs';
import {
  bigString, bigintFromBytesBE, decimalParams, decimalString, fixedLength, hex,
  primitiveKind, toBigInt,
} from './canon.mjs';

export async function importReader(name) {
  try {
    return await import(name);
  } catch (e) {
    if (e && (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND')) {
      console.error(`FAIL: the test reader '${name}' is not installed. Run scripts/setup, which ` +
                    'installs the pinned readers (package.json) into node_modules at the repository root.');
      process.exit(1);
    }
    throw e;
  }
}

// Versions of the installed readers, from their package.json files (found the way node
// resolves packages: in node_modules of this folder or one above).
export async function readerVersions() {
  const { existsSync } = await import('node:fs');
  const { dirname: up, join: joinPath } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const out = {};
  for (const name of ['@duckdb/node-api', 'parquet-wasm', 'hyparquet', 'hyparquet-compressors', 'apache-arrow']) {
    out[name] = 'not installed';
    for (let d = up(fileURLToPath(import.meta.url)); ; d = up(d)) {
      const pj = joinPath(d, 'node_modules', name, 'package.json');
      if (existsSync(pj)) {
        out[name] = JSON.parse(readFileSync(pj, 'utf8')).version;
        break;
      }
      if (up(d) === d) break;
    }
  }
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
function wrong(what) {
  return `<<${what}>>`;
}

// ------------------------------------------------------------------------------------------
// DuckDB (@duckdb/node-api)

export async function openDuckDB() {
  const { DuckDBInstance } = await importReader('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  return instance.connect();
}

export function sqlString(s) {
  return `'${s.replaceAll("'", "''")}'`;
}

// The DuckDB type a column of this Iceberg type should come back as.
export function duckTypeOf(type) {
  const kind = primitiveKind(type);
  switch (kind) {
    case 'boolean': return 'BOOLEAN';
    case 'int': return 'INTEGER';
    case 'long': return 'BIGINT';
    case 'float': return 'FLOAT';
    case 'double': return 'DOUBLE';
    case 'decimal': {
      const { precision, scale } = decimalParams(type);
      return `DECIMAL(${precision},${scale})`;
    }
    case 'date': return 'DATE';
    case 'time': return 'TIME';
    case 'timestamp': return 'TIMESTAMP';
    case 'timestamptz': return 'TIMESTAMP WITH TIME ZONE';
    case 'string': return 'VARCHAR';
    case 'uuid': return 'UUID';
    case 'fixed':
    case 'binary': return 'BLOB';
    case 'list': return `${duckTypeOf(type.element)}[]`;
    case 'map': return `MAP(${duckTypeOf(type.key)}, ${duckTypeOf(type.value)})`;
    case 'struct': return `STRUCT(${type.fields.map(f => `"${f.name}" ${duckTypeOf(f.type)}`).join(', ')})`;
  }
  throw new Error(`unknown type ${JSON.stringify(type)}`);
}

function fromDuck(v, type) {
  if (v === null || v === undefined) return null;
  const kind = primitiveKind(type);
  const cls = v?.constructor?.name;
  switch (kind) {
    case 'boolean': return typeof v === 'boolean' ? v : wrong(`${typeof v}`);
    case 'int': return typeof v === 'number' ? v : wrong(`${typeof v}`);
    case 'long': return typeof v === 'bigint' ? v.toString() : wrong(`${typeof v}`);
    case 'float':
    case 'double': return typeof v === 'number' ? v : wrong(`${typeof v}`);
    case 'decimal':
      return cls === 'DuckDBDecimalValue' ? decimalString(toBigInt(v.value), v.scale) : wrong(cls);
    case 'date': return cls === 'DuckDBDateValue' ? v.days : wrong(cls);
    case 'time': return cls === 'DuckDBTimeValue' ? bigString(v.micros) : wrong(cls);
    case 'timestamp': return cls === 'DuckDBTimestampValue' ? bigString(v.micros) : wrong(cls);
    case 'timestamptz': return cls === 'DuckDBTimestampTZValue' ? bigString(v.micros) : wrong(cls);
    case 'string': return typeof v === 'string' ? v : wrong(`${typeof v}`);
    case 'uuid': return cls === 'DuckDBUUIDValue' ? v.toString().replaceAll('-', '').toLowerCase() : wrong(cls);
    case 'fixed':
    case 'binary': return cls === 'DuckDBBlobValue' ? hex(v.bytes) : wrong(cls);
    case 'list':
      return cls === 'DuckDBListValue' ? v.items.map(x => fromDuck(x, type.element)) : wrong(cls);
    case 'map':
      return cls === 'DuckDBMapValue'
        ? v.entries.map(e => [fromDuck(e.key, type.key), fromDuck(e.value, type.value)])
        : wrong(cls);
    case 'struct': {
      if (cls !== 'DuckDBStructValue') return wrong(cls);
      const out = {};
      for (const [name, x] of Object.entries(v.entries)) {
        const f = type.fields.find(g => g.name === name);
        out[name] = f ? fromDuck(x, f.type) : x;
      }
      return out;
    }
  }
  return wrong(`unknown kind ${kind}`);
}

export async function readWithDuckDB(con, path, expected) {
  const problems = [];
  const reader = await con.runAndReadAll(
    `SELECT * FROM read_parquet(${sqlString(path)}, file_row_number = true) ORDER BY file_row_number`);
  const names = reader.columnNames();
  const types = reader.columnTypes().map(t => t.toString());
  const raw = reader.getColumns();
  const columns = {};
  for (const field of expected.schema.fields) {
    const idx = names.indexOf(field.name);
    if (idx < 0) continue;
    const want = duckTypeOf(field.type);
    if (types[idx] !== want) problems.push(`column ${field.name}: DuckDB type ${types[idx]}, expected ${want}`);
    columns[field.name] = (raw[idx] ?? []).map(v => fromDuck(v, field.type));
  }
  const extra = names.filter(n => n !== 'file_row_number' && !expected.schema.fields.some(f => f.name === n));
  if (extra.length) problems.push(`unexpected columns: ${extra.join(', ')}`);
  return { columns, problems };
}

// ------------------------------------------------------------------------------------------
// parquet-wasm (arrow-rs's Parquet reader), through Arrow IPC into apache-arrow

let parquetWasm;
let arrow;

export async function openParquetWasm() {
  parquetWasm ??= await importReader('parquet-wasm');
  arrow ??= await importReader('apache-arrow');
}

function arrowFieldIdProblems(arrowField, icebergId, path, problems) {
  const id = arrowField.metadata?.get('PARQUET:field_id');
  if (id !== String(icebergId)) {
    problems.push(`${path}: arrow field metadata PARQUET:field_id is ${id}, expected ${icebergId}`);
  }
}

// Checks the Arrow field ids of nested children against the Iceberg ids.
function checkArrowIds(arrowField, type, path, problems) {
  const kind = primitiveKind(type);
  const t = arrowField.type;
  if (kind === 'struct' && arrow.DataType.isStruct(t)) {
    for (const f of type.fields) {
      const child = t.children.find(c => c.name === f.name);
      if (!child) {
        problems.push(`${path}.${f.name}: missing from the Arrow struct`);
        continue;
      }
      arrowFieldIdProblems(child, f.id, `${path}.${f.name}`, problems);
      checkArrowIds(child, f.type, `${path}.${f.name}`, problems);
    }
  } else if (kind === 'list' && arrow.DataType.isList(t)) {
    const child = t.children[0];
    arrowFieldIdProblems(child, type['element-id'], `${path}.element`, problems);
    checkArrowIds(child, type.element, `${path}.element`, problems);
  } else if (kind === 'map' && arrow.DataType.isMap(t)) {
    const entries = t.children[0].type.children;
    arrowFieldIdProblems(entries[0], type['key-id'], `${path}.key`, problems);
    arrowFieldIdProblems(entries[1], type['value-id'], `${path}.value`, problems);
    checkArrowIds(entries[0], type.key, `${path}.key`, problems);
    checkArrowIds(entries[1], type.value, `${path}.value`, problems);
  }
}

function bitAt(bytes, index) {
  return (bytes[index >> 3] >> (index & 7)) & 1;
}

function bytesAt(data, i) {
  const offsets = data.valueOffsets;
  const start = Number(offsets[i]);
  const end = Number(offsets[i + 1]);
  return data.values.subarray(start, end);
}

function fromArrow(data, i, type) {
  if (!data.getValid(i)) return null;
  const t = data.type;
  const D = arrow.DataType;
  const kind = primitiveKind(type);
  const bad = () => wrong(`arrow type ${t} for ${typeof type === 'string' ? type : type.type}`);
  switch (kind) {
    case 'boolean': return D.isBool(t) ? bitAt(data.values, data.offset + i) === 1 : bad();
    case 'int': return D.isInt(t) && t.bitWidth === 32 && t.isSigned ? data.values[i] : bad();
    case 'long': return D.isInt(t) && t.bitWidth === 64 && t.isSigned ? data.values[i].toString() : bad();
    case 'float': return D.isFloat(t) && t.precision === arrow.Precision.SINGLE ? data.values[i] : bad();
    case 'double': return D.isFloat(t) && t.precision === arrow.Precision.DOUBLE ? data.values[i] : bad();
    case 'decimal': {
      if (!D.isDecimal(t)) return bad();
      const { precision, scale } = decimalParams(type);
      if (t.scale !== scale || t.precision !== precision) {
        return wrong(`arrow decimal(${t.precision},${t.scale})`);
      }
      const words = t.bitWidth / 32;
      let v = 0n;
      for (let w = words - 1; w >= 0; w--) v = (v << 32n) | BigInt(data.values[i * words + w] >>> 0);
      if (v >> BigInt(t.bitWidth - 1)) v -= 1n << BigInt(t.bitWidth);
      return decimalString(v, t.scale);
    }
    case 'date':
      if (!D.isDate(t)) return bad();
      if (t.unit === arrow.DateUnit.DAY) return data.values[i];
      return wrong(`arrow date unit ${t.unit}`);
    case 'time':
      return D.isTime(t) && t.unit === arrow.TimeUnit.MICROSECOND ? data.values[i].toString() : bad();
    case 'timestamp':
    case 'timestamptz': {
      if (!D.isTimestamp(t) || t.unit !== arrow.TimeUnit.MICROSECOND) return bad();
      const hasZone = t.timezone !== null && t.timezone !== undefined;
      if (hasZone !== (kind === 'timestamptz')) return wrong(`arrow timestamp timezone ${t.timezone}`);
      return data.values[i].toString();
    }
    case 'string':
      if (!D.isUtf8(t) && !D.isLargeUtf8(t)) return bad();
      try {
        return strictUtf8.decode(bytesAt(data, i));
      } catch {
        return wrong('invalid UTF-8');
      }
    case 'uuid':
    case 'fixed': {
      const len = fixedLength(type === 'uuid' ? 'uuid' : type);
      if (!D.isFixedSizeBinary(t) || t.byteWidth !== len) return bad();
      return hex(data.values.subarray(i * len, (i + 1) * len));
    }
    case 'binary':
      return D.isBinary(t) || D.isLargeBinary(t) ? hex(bytesAt(data, i)) : bad();
    case 'list': {
      if (!D.isList(t)) return bad();
      const child = data.children[0];
      const out = [];
      for (let j = Number(data.valueOffsets[i]); j < Number(data.valueOffsets[i + 1]); j++) {
        out.push(fromArrow(child, j, type.element));
      }
      return out;
    }
    case 'map': {
      if (!D.isMap(t)) return bad();
      const entries = data.children[0];
      const out = [];
      for (let j = Number(data.valueOffsets[i]); j < Number(data.valueOffsets[i + 1]); j++) {
        out.push([fromArrow(entries.children[0], j, type.key), fromArrow(entries.children[1], j, type.value)]);
      }
      return out;
    }
    case 'struct': {
      if (!D.isStruct(t)) return bad();
      const out = {};
      t.children.forEach((f, k) => {
        const field = type.fields.find(g => g.name === f.name);
        out[f.name] = field ? fromArrow(data.children[k], i, field.type) : wrong('extra field');
      });
      return out;
    }
  }
  return wrong(`unknown kind ${kind}`);
}

export async function readWithParquetWasm(path, expected) {
  await openParquetWasm();
  const problems = [];
  const bytes = new Uint8Array(readFileSync(path));
  const wasmTable = parquetWasm.readParquet(bytes);
  const table = arrow.tableFromIPC(wasmTable.intoIPCStream());
  const columns = {};
  for (const field of expected.schema.fields) {
    const idx = table.schema.fields.findIndex(f => f.name === field.name);
    if (idx < 0) continue;
    const arrowField = table.schema.fields[idx];
    arrowFieldIdProblems(arrowField, field.id, field.name, problems);
    checkArrowIds(arrowField, field.type, field.name, problems);
    if (arrowField.nullable === field.required) {
      problems.push(`${field.name}: arrow nullable=${arrowField.nullable} but the field is ${field.required ? 'required' : 'optional'}`);
    }
    const vector = table.getChildAt(idx);
    const values = [];
    for (const data of vector.data) {
      for (let i = 0; i < data.length; i++) values.push(fromArrow(data, i, field.type));
    }
    columns[field.name] = values;
  }
  if (table.numRows !== expected.num_rows) problems.push(`arrow table has ${table.numRows} rows, expected ${expected.num_rows}`);
  return { columns, problems };
}

// ------------------------------------------------------------------------------------------
// hyparquet (+ hyparquet-compressors for zstd and snappy)

let hyparquet;
let hyCompressors;

export async function openHyparquet() {
  hyparquet ??= await importReader('hyparquet');
  hyCompressors ??= (await importReader('hyparquet-compressors')).compressors;
}

// hyparquet turns decimals into JS numbers, which cannot hold 38 digits. The adapter checks
// each decimal's precision and scale in the file's schema, then removes the annotation so that
// hyparquet returns the exact physical values (int32, int64 or big-endian bytes), and applies
// the scale itself. Walks the Parquet schema elements (depth-first) alongside the Iceberg schema.
function prepareHyparquetSchema(elements, expected, problems) {
  let pos = 1; // element 0 is the root
  const walk = (type, path) => {
    const el = elements[pos++];
    const kind = primitiveKind(type);
    if (kind === 'decimal') {
      const { precision, scale } = decimalParams(type);
      if (el.scale !== scale || el.precision !== precision) {
        problems.push(`${path}: schema element has decimal(${el.precision},${el.scale}), expected decimal(${precision},${scale})`);
      }
      el.converted_type = undefined;
      el.logical_type = undefined;
    } else if (kind === 'struct') {
      for (const f of type.fields) walk(f.type, `${path}.${f.name}`);
    } else if (kind === 'list') {
      pos++; // the repeated group "list"
      walk(type.element, `${path}.element`);
    } else if (kind === 'map') {
      // Assembled as a map, hyparquet returns a JS object: keys become strings and lose their
      // order. Without the MAP annotation it returns the plain repeated group instead,
      // {key_value: [{key, value}, ...]}, with every entry in order. (check_metadata.mjs checks
      // the annotation itself.)
      if (el.converted_type !== 'MAP') problems.push(`${path}: converted_type ${el.converted_type}, expected MAP`);
      el.converted_type = undefined;
      el.logical_type = undefined;
      pos++; // the repeated group "key_value"
      walk(type.key, `${path}.key`);
      walk(type.value, `${path}.value`);
    }
  };
  for (const f of expected.schema.fields) walk(f.type, f.name);
  if (pos !== elements.length) problems.push(`schema has ${elements.length} elements, the Iceberg schema maps to ${pos}`);
}

function fromHyparquet(v, type) {
  if (v === null || v === undefined) return null;
  const kind = primitiveKind(type);
  switch (kind) {
    case 'boolean': return typeof v === 'boolean' ? v : wrong(typeof v);
    case 'int': return typeof v === 'number' ? v : wrong(typeof v);
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz': return typeof v === 'bigint' ? v.toString() : wrong(`${typeof v} ${String(v)}`);
    case 'float':
    case 'double': return typeof v === 'number' ? v : wrong(typeof v);
    case 'decimal': {
      const { scale } = decimalParams(type);
      if (v instanceof Uint8Array) return decimalString(bigintFromBytesBE(v), scale);
      if (typeof v === 'number' || typeof v === 'bigint') return decimalString(toBigInt(v), scale);
      return wrong(typeof v);
    }
    case 'date': return typeof v === 'number' ? v : wrong(typeof v);
    case 'string': return typeof v === 'string' ? v : wrong(typeof v);
    case 'uuid': return typeof v === 'string' ? v : wrong(typeof v); // hex, from uuidFromBytes
    case 'fixed':
    case 'binary': return v instanceof Uint8Array ? hex(v) : wrong(typeof v);
    case 'list': return Array.isArray(v) ? v.map(x => fromHyparquet(x, type.element)) : wrong(typeof v);
    case 'map': {
      const entries = v?.key_value;
      if (!Array.isArray(entries)) return wrong(`map as ${JSON.stringify(Object.keys(v))}`);
      return entries.map(e => [fromHyparquet(e?.key, type.key), fromHyparquet(e?.value, type.value)]);
    }
    case 'struct': {
      if (typeof v !== 'object' || Array.isArray(v)) return wrong(typeof v);
      const out = {};
      for (const [name, x] of Object.entries(v)) {
        const f = type.fields.find(g => g.name === name);
        out[name] = f ? fromHyparquet(x, f.type) : x;
      }
      return out;
    }
  }
  return wrong(`unknown kind ${kind}`);
}

export async function readWithHyparquet(path, expected) {
  await openHyparquet();
  const problems = [];
  const buf = readFileSync(path);
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const metadata = hyparquet.parquetMetadata(file);
  prepareHyparquetSchema(metadata.schema, expected, problems);
  const rows = await hyparquet.parquetReadObjects({
    file,
    metadata,
    compressors: hyCompressors,
    utf8: false, // binary stays bytes; STRING-annotated columns still decode
    parsers: {
      dateFromDays: days => days,
      timestampFromMicroseconds: micros => micros,
      timestampFromMilliseconds: millis => wrong(`TIMESTAMP(MILLIS) ${millis}`),
      timestampFromNanoseconds: nanos => wrong(`TIMESTAMP(NANOS) ${nanos}`),
      stringFromBytes: bytes => {
        if (!bytes) return bytes;
        try {
          return strictUtf8.decode(bytes);
        } catch {
          return wrong('invalid UTF-8');
        }
      },
      uuidFromBytes: bytes => bytes && hex(bytes),
    },
  });
  const columns = {};
  for (const field of expected.schema.fields) {
    columns[field.name] = rows.map(r => fromHyparquet(r[field.name], field.type));
  }
  return { columns, problems };
}

// Fails early, with the scripts/setup hint, when a reader's package is missing.
export async function requireReaders(names) {
  const packages = {
    duckdb: ['@duckdb/node-api'],
    'parquet-wasm': ['parquet-wasm', 'apache-arrow'],
    hyparquet: ['hyparquet', 'hyparquet-compressors'],
  };
  for (const n of names) for (const p of packages[n]) await importReader(p);
}

export const READERS = {
  duckdb: async () => {
    const con = await openDuckDB();
    return (path, expected) => readWithDuckDB(con, path, expected);
  },
  'parquet-wasm': async () => {
    await openParquetWasm();
    return readWithParquetWasm;
  },
  hyparquet: async () => {
    await openHyparquet();
    return readWithHyparquet;
  },
};

// A file:// location (or a plain path) as a local path.
export const localPath = location =>
  location.startsWith('file://') ? decodeURIComponent(new URL(location).pathname) : location;

// icebird fetches every path it finds in the metadata with the global fetch. The table is a
// local directory, so answer those fetches from the file system (GET with byte ranges, HEAD);
// anything that is not a local file is refused.
export function serveLocalFilesToFetch() {
  globalThis.fetch = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith('file://') && !url.startsWith('/')) {
      return Promise.reject(new Error(`refusing to fetch ${url}: not a local file`));
    }
    const path = localPath(url);
    if (!existsSync(path)) return new Response(null, { status: 404 });
    const size = statSync(path).size;
    if ((init.method ?? 'GET') === 'HEAD') {
      return new Response(null, { status: 200, headers: { 'Content-Length': String(size) } });
    }
    const bytes = readFileSync(path);
    const headers = new Headers(init.headers ?? {});
    const range = headers.get('range');
    const m = range ? /^bytes=(\d*)-(\d*)$/.exec(range.trim()) : null;
    if (m) {
      const start = m[1] === '' ? Math.max(0, size - Number(m[2])) : Number(m[1]);
      const end = m[1] !== '' && m[2] !== '' ? Math.min(Number(m[2]), size - 1) : size - 1;
      return new Response(bytes.subarray(start, end + 1), {
        status: 206,
        headers: { 'Content-Length': String(end + 1 - start), 'Content-Range': `bytes ${start}-${end}/${size}` },
      });
    }
    return new Response(bytes, { status: 200, headers: { 'Content-Length': String(size) } });
  };
}
