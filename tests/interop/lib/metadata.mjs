// Metadata checks of one file written by the zoo or random writer: see check_metadata.mjs.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  dateString, decimalParams, fixedLength, hex, loadJson, primitiveKind, show,
} from './canon.mjs';
import { importReader, openDuckDB, sqlString } from './readers.mjs';

let con;
let hyparquet, parquetHeader, decompressPage, readDataPage, getSchemaPath, hyCompressors,
  deserializeTCompactProtocol, getMaxRepetitionLevel, getMaxDefinitionLevel;

async function init() {
  if (con) return;
  con = await openDuckDB();
  hyparquet = await importReader('hyparquet');
  ({ parquetHeader } = await importReader('hyparquet/src/column.js'));
  ({ decompressPage, readDataPage } = await importReader('hyparquet/src/datapage.js'));
  ({ getSchemaPath, getMaxRepetitionLevel, getMaxDefinitionLevel } =
    await importReader('hyparquet/src/schema.js'));
  ({ compressors: hyCompressors } = await importReader('hyparquet-compressors'));
  ({ deserializeTCompactProtocol } = await importReader('hyparquet/src/thrift.js'));
}

async function query(sql) {
  const r = await con.runAndReadAll(sql);
  return r.getRowObjectsJS();
}

// ---- the Iceberg -> Parquet mapping we expect ----------------------------------------------

function decimalFixedLength(precision) {
  const max = 10n ** BigInt(precision) - 1n;
  let n = 1;
  while ((1n << BigInt(8 * n - 1)) <= max) n++;
  return n;
}

// Expected schema elements, depth-first, as DuckDB's parquet_schema() shows them.
// `field_id: null` marks elements that have no Iceberg id (root, repeated groups).
function expectedElements(schema) {
  const out = [{ name: null, num_children: schema.fields.length, field_id: null, root: true }];
  const prim = (type) => {
    const kind = primitiveKind(type);
    switch (kind) {
      case 'boolean': return { type: 'BOOLEAN' };
      case 'int': return { type: 'INT32' };
      case 'long': return { type: 'INT64' };
      case 'float': return { type: 'FLOAT' };
      case 'double': return { type: 'DOUBLE' };
      case 'decimal': {
        const { precision, scale } = decimalParams(type);
        const physical = precision <= 9 ? 'INT32' : precision <= 18 ? 'INT64' : 'FIXED_LEN_BYTE_ARRAY';
        return {
          type: physical,
          type_length: physical === 'FIXED_LEN_BYTE_ARRAY' ? decimalFixedLength(precision) : null,
          converted_type: 'DECIMAL', scale, precision,
          logical: new RegExp(`^DecimalType\\(scale=${scale}, precision=${precision}\\)$`),
        };
      }
      case 'date': return { type: 'INT32', converted_type: 'DATE', logical: /^DateType\(\)$/ };
      case 'time': return { type: 'INT64', converted_type: 'TIME_MICROS', logical: /^TimeType\(isAdjustedToUTC=0, unit=TimeUnit\(MILLIS=<null>, MICROS=MicroSeconds\(\), NANOS=<null>\)\)$/ };
      case 'timestamp': return { type: 'INT64', converted_type: 'TIMESTAMP_MICROS', logical: /^TimestampType\(isAdjustedToUTC=0, unit=TimeUnit\(MILLIS=<null>, MICROS=MicroSeconds\(\), NANOS=<null>\)\)$/ };
      case 'timestamptz': return { type: 'INT64', converted_type: 'TIMESTAMP_MICROS', logical: /^TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS=<null>, MICROS=MicroSeconds\(\), NANOS=<null>\)\)$/ };
      case 'string': return { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical: /^StringType\(\)$/ };
      case 'uuid': return { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, logical: /^UUIDType\(\)$/ };
      case 'fixed': return { type: 'FIXED_LEN_BYTE_ARRAY', type_length: fixedLength(type) };
      case 'binary': return { type: 'BYTE_ARRAY' };
    }
    throw new Error(`not primitive: ${JSON.stringify(type)}`);
  };
  const walk = (name, id, required, type, path) => {
    const rep = required ? 'REQUIRED' : 'OPTIONAL';
    const kind = primitiveKind(type);
    if (kind === 'struct') {
      out.push({ path, name, repetition_type: rep, num_children: type.fields.length, field_id: id });
      for (const f of type.fields) walk(f.name, f.id, f.required, f.type, `${path}.${f.name}`);
    } else if (kind === 'list') {
      out.push({ path, name, repetition_type: rep, num_children: 1, field_id: id, converted_type: 'LIST', logical: /^ListType\(\)$/ });
      out.push({ path: `${path}.list`, name: 'list', repetition_type: 'REPEATED', num_children: 1, field_id: null });
      walk('element', type['element-id'], type['element-required'], type.element, `${path}.list.element`);
    } else if (kind === 'map') {
      out.push({ path, name, repetition_type: rep, num_children: 1, field_id: id, converted_type: 'MAP', logical: /^MapType\(\)$/ });
      out.push({ path: `${path}.key_value`, name: 'key_value', repetition_type: 'REPEATED', num_children: 2, field_id: null });
      walk('key', type['key-id'], true, type.key, `${path}.key_value.key`);
      walk('value', type['value-id'], type['value-required'], type.value, `${path}.key_value.value`);
    } else {
      out.push({ path, name, repetition_type: rep, field_id: id, leaf: true, ...prim(type) });
    }
  };
  for (const f of schema.fields) walk(f.name, f.id, f.required, f.type, f.name);
  return out;
}

function num(v) {
  return v === null || v === undefined ? null : Number(v);
}

function checkSchema(expected, rows, problems) {
  const want = expectedElements(expected.schema);
  if (rows.length !== want.length) {
    problems.push(`schema: ${rows.length} elements, expected ${want.length}`);
    return;
  }
  want.forEach((w, i) => {
    const r = rows[i];
    const where = `schema element ${i} (${w.path ?? 'root'})`;
    const eq = (what, got, exp) => {
      if (got !== exp) problems.push(`${where}: ${what} is ${show(got)}, expected ${show(exp)}`);
    };
    if (!w.root) eq('name', r.name, w.name);
    if (!w.root) eq('repetition_type', r.repetition_type, w.repetition_type);
    eq('num_children', num(r.num_children), w.num_children ?? null);
    eq('field_id', num(r.field_id), w.field_id);
    if (w.root) return;
    eq('type', r.type, w.type ?? null);
    eq('type_length', num(r.type_length), w.type_length ?? null);
    eq('converted_type', r.converted_type, w.converted_type ?? null);
    eq('scale', num(r.scale), w.scale ?? null);
    eq('precision', num(r.precision), w.precision ?? null);
    if (w.logical) {
      if (!w.logical.test(r.logical_type ?? '')) problems.push(`${where}: logical_type is ${show(r.logical_type)}, expected ${w.logical}`);
    } else if (r.logical_type !== null) {
      problems.push(`${where}: logical_type is ${show(r.logical_type)}, expected none`);
    }
  });
}

// Leaf columns in schema order: dotted path, Iceberg id, type, and for top-level primitives
// the column name (their values are directly in the expected JSON).
function leaves(schema) {
  const out = [];
  const walk = (type, path, id, top) => {
    const kind = primitiveKind(type);
    if (kind === 'struct') for (const f of type.fields) walk(f.type, [...path, f.name], f.id, null);
    else if (kind === 'list') walk(type.element, [...path, 'list', 'element'], type['element-id'], null);
    else if (kind === 'map') {
      walk(type.key, [...path, 'key_value', 'key'], type['key-id'], null);
      walk(type.value, [...path, 'key_value', 'value'], type['value-id'], null);
    } else out.push({ path, id, type, top });
  };
  for (const f of schema.fields) walk(f.type, [f.name], f.id, f.name);
  return out;
}

// ---- statistics computed from the expected values --------------------------------------------

function isNaNValue(type, v) {
  const k = primitiveKind(type);
  return (k === 'float' || k === 'double') && Number.isNaN(Number(v));
}

const utf8Cmp = (a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
function decimalUnscaled(s) {
  return BigInt(s.replace('.', ''));
}

// Orders canonical values of a primitive type. `signedZero`: -0 sorts before +0 (Iceberg's
// order for bounds); without it they compare equal (Parquet's numeric order).
function compare(type, a, b, signedZero) {
  switch (primitiveKind(type)) {
    case 'boolean': return Number(a) - Number(b);
    case 'int':
    case 'date': return a - b;
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz': {
      const x = BigInt(a), y = BigInt(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'float':
    case 'double': {
      const x = Number(a), y = Number(b);
      if (x !== y) return x < y ? -1 : 1;
      if (signedZero && x === 0) return Object.is(x, -0) === Object.is(y, -0) ? 0 : Object.is(x, -0) ? -1 : 1;
      return 0;
    }
    case 'decimal': {
      const x = decimalUnscaled(a), y = decimalUnscaled(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'string': return utf8Cmp(a, b);
    default: return a < b ? -1 : a > b ? 1 : 0; // hex of bytes: same order as unsigned bytes
  }
}

function minMax(type, values, signedZero) {
  let min = null, max = null;
  for (const v of values) {
    if (v === null || isNaNValue(type, v)) continue;
    if (min === null || compare(type, v, min, signedZero) < 0) min = v;
    if (max === null || compare(type, v, max, signedZero) > 0) max = v;
  }
  return { min, max };
}

// DuckDB prints statistics as values of the column's type; this is its spelling.
function timeOfDay(micros) {
  const us = Number(micros % 86400000000n);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  const secs = Math.floor(us / 1e6);
  let s = `${p(Math.floor(secs / 3600))}:${p(Math.floor(secs / 60) % 60)}:${p(secs % 60)}`;
  const frac = us % 1e6;
  if (frac) s += '.' + p(frac, 6).replace(/0+$/, '');
  return s;
}
function timestampText(v, tz) {
  const micros = BigInt(v);
  const day = micros >= 0n ? micros / 86400000000n : -((-micros + 86400000000n - 1n) / 86400000000n);
  const rest = micros - day * 86400000000n;
  return `${dateString(Number(day))} ${timeOfDay(rest)}${tz ? '+00' : ''}`;
}
function parseDuckFloat(s) {
  if (s === 'inf' || s === 'infinity') return Infinity;
  if (s === '-inf' || s === '-infinity') return -Infinity;
  if (s === 'nan') return NaN;
  return Number(s);
}

// Compares DuckDB's stats_min_value/stats_max_value with the expected canonical value.
// Returns null when equal, else a description. Types whose text form is ambiguous (binary,
// fixed) are compared through hyparquet's raw statistics bytes instead.
function duckStatDiff(type, text, want) {
  const k = primitiveKind(type);
  let ok;
  switch (k) {
    case 'boolean': ok = text === String(want); break;
    case 'int':
    case 'long': ok = text === String(want); break;
    case 'float':
    case 'double': ok = Object.is(parseDuckFloat(text), Number(want)); break;
    case 'decimal': {
      // DuckDB drops the leading zero when scale == precision ("-.9").
      const m = /^(-?)(\d*)\.?(\d*)$/.exec(text ?? '');
      const { scale } = decimalParams(type);
      ok = m !== null && m[3].length === scale &&
           BigInt(`${m[1]}${m[2] || '0'}${m[3]}`) === decimalUnscaled(want);
      break;
    }
    case 'date': ok = text === dateString(want); break;
    case 'time': ok = text === timeOfDay(BigInt(want)); break;
    case 'timestamp': ok = text === timestampText(want, false); break;
    case 'timestamptz': ok = text === timestampText(want, true); break;
    case 'string': ok = text === want; break;
    case 'uuid': ok = (text ?? '').replaceAll('-', '') === want; break;
    default: return null;
  }
  return ok ? null : `${show(text)} != expected ${show(want)}`;
}

// Parquet's rule for floating-point statistics: a zero minimum is written as -0.0, a zero
// maximum as +0.0, so that readers pruning on either zero stay correct.
function parquetFloatBounds(type, mm) {
  const k = primitiveKind(type);
  if ((k === 'float' || k === 'double')) {
    if (mm.min !== null && Number(mm.min) === 0) mm.min = '-0';
    if (mm.max !== null && Number(mm.max) === 0) mm.max = '0';
  }
  return mm;
}

// Checks one side of a column chunk's statistics. `text` is DuckDB's rendering, `raw` what
// hyparquet decoded from the footer (exact for floating point and for byte arrays, which it
// is asked to leave as bytes). DuckDB hides infinite floating-point bounds, so floating-point
// columns are checked through hyparquet; byte arrays are compared byte for byte.
function statDiff(type, want, text, raw, opts) {
  const k = primitiveKind(type);
  const present = x => x !== null && x !== undefined;
  const isFloat = k === 'float' || k === 'double';
  const isBytes = k === 'string' || k === 'binary' || k === 'fixed' || k === 'uuid';
  const byteLength = want === null ? 0 : k === 'string' ? Buffer.byteLength(want) : want.length / 2;
  if (want === null || (isBytes && byteLength > opts.max_statistics_bytes)) {
    if (present(raw)) return `${show(raw)} present, expected none (${want === null ? 'no non-null, non-NaN value' : 'longer than max_statistics_bytes'})`;
    return null;
  }
  if (!present(raw)) return `missing, expected ${show(want)}`;
  if (isFloat) {
    if (!Object.is(raw, Number(want))) return `${show(raw)} != expected ${show(want)}`;
    // DuckDB prints the shortest text that reads back as the same float or double.
    if (present(text)) {
      const back = k === 'float' ? Math.fround(parseDuckFloat(text)) : parseDuckFloat(text);
      if (!Object.is(back, Number(want))) return `DuckDB shows ${show(text)}, expected ${show(want)}`;
    }
    return null;
  }
  if (isBytes) {
    if (!(raw instanceof Uint8Array)) return `hyparquet decoded ${show(raw)}, not bytes`;
    const exp = k === 'string' ? Buffer.from(want, 'utf8').toString('hex') : want;
    if (hex(raw) !== exp) return `bytes ${hex(raw).slice(0, 80)} != expected ${exp.slice(0, 80)}`;
  }
  if (!present(text)) return `DuckDB shows none, expected ${show(want)}`;
  return duckStatDiff(type, text, want);
}

// ---- pages, through hyparquet's page-header parser ------------------------------------------

// Walks a column chunk's pages and decodes each data page with hyparquet (levels and values),
// so each page is known to decode on its own, and its rows (repetition level 0) and non-null
// values can be counted.
function readPages(ab, chunk, schemaPath) {
  const fileView = new DataView(ab);
  const start = Number(chunk.dictionary_page_offset ?? chunk.data_page_offset);
  const end = start + Number(chunk.total_compressed_size);
  const reader = { view: fileView, offset: start };
  const element = schemaPath[schemaPath.length - 1].element;
  const pages = [];
  while (reader.offset < end) {
    const header = parquetHeader(reader);
    if (header.type === 'DATA_PAGE') {
      const bytes = new Uint8Array(ab, reader.offset, header.compressed_page_size);
      const page = decompressPage(bytes, header.uncompressed_page_size, chunk.compression, hyCompressors);
      const decoded = readDataPage(page, header.data_page_header, { type: element.type, element, schemaPath });
      const rep = decoded.repetitionLevels;
      header.nonNull = decoded.dataPage.length;
      header.rows = rep.length ? rep.filter(r => r === 0).length : header.data_page_header.num_values;
      header.startsRow = !rep.length || rep[0] === 0;
      // Data page v1: [rep levels: u32 length + bytes] [def levels: u32 length + bytes] values.
      const pv = new DataView(page.buffer, page.byteOffset, page.byteLength);
      let offset = 0;
      if (getMaxRepetitionLevel(schemaPath)) offset += 4 + pv.getUint32(offset, true);
      if (getMaxDefinitionLevel(schemaPath)) offset += 4 + pv.getUint32(offset, true);
      header.valueBytes = page.byteLength - offset;
      // Values in the page's last row: a page may only end at a row boundary, so it can pass
      // page_max_bytes by the rest of the row it was in.
      const defs = decoded.definitionLevels;
      const maxDef = getMaxDefinitionLevel(schemaPath);
      const lastRow = rep.length ? rep.lastIndexOf(0) : header.data_page_header.num_values - 1;
      header.lastRowValues = 0;
      for (let i = Math.max(lastRow, 0); i < header.data_page_header.num_values; i++) {
        if (!defs.length || defs[i] === maxDef) header.lastRowValues++;
      }
    }
    pages.push(header);
    reader.offset += header.compressed_page_size;
  }
  return { pages, overrun: reader.offset !== end };
}

const FIXED_WIDTH = new Set(['boolean', 'int', 'long', 'float', 'double', 'decimal', 'date', 'time',
                             'timestamp', 'timestamptz', 'uuid', 'fixed']);
const isDictEncoding = e => e === 'RLE_DICTIONARY' || e === 'PLAIN_DICTIONARY';

// ---- one file ---------------------------------------------------------------------------------

// Returns the problems found in `<dir>/<name>.parquet` (an empty list when all is well).
export async function checkMetadata(dir, name) {
  await init();
  const expected = loadJson(join(dir, `${name}.expected.json`));
  const path = join(dir, expected.file);
  const p = [];
  const opts = expected.options;
  const checks = expected.checks ?? {};
  const sqlPath = sqlString(path);

  // File-level metadata.
  const [fm] = await query(`SELECT * FROM parquet_file_metadata(${sqlPath})`);
  if (Number(fm.num_rows) !== expected.num_rows) p.push(`footer num_rows ${fm.num_rows}, expected ${expected.num_rows}`);
  if (fm.created_by !== opts.created_by) p.push(`created_by ${show(fm.created_by)}, expected ${show(opts.created_by)}`);

  // Key-value metadata.
  const kv = await query(`SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata(${sqlPath})`);
  for (const [k, v] of opts.key_value_metadata) {
    const got = kv.find(r => r.key === k);
    if (!got) p.push(`key_value_metadata: key ${show(k)} missing`);
    else if (got.value !== v) p.push(`key_value_metadata: ${show(k)} = ${show(got.value)}, expected ${show(v)}`);
  }

  // Schema.
  checkSchema(expected, await query(`SELECT * FROM parquet_schema(${sqlPath})`), p);

  // Footer through hyparquet: exact statistics bytes and column orders.
  const buf = readFileSync(path);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const identity = b => b;
  const hyMeta = hyparquet.parquetMetadata(ab, { parsers: { stringFromBytes: identity, uuidFromBytes: identity } });
  const view = new DataView(ab);
  const footerLength = view.getUint32(ab.byteLength - 8, true);

  // Row groups and column chunks.
  const md = await query(`SELECT * FROM parquet_metadata(${sqlPath}) ORDER BY row_group_id, column_id`);
  const leafList = leaves(expected.schema);
  const groups = [];
  for (const r of md) (groups[Number(r.row_group_id)] ??= []).push(r);
  if (groups.length !== Number(fm.num_row_groups)) p.push(`parquet_metadata lists ${groups.length} row groups, the footer ${fm.num_row_groups}`);
  if (expected.num_rows > 0 && groups.length === 0) p.push('no row groups for a non-empty file');
  if (checks.min_row_groups && groups.length < checks.min_row_groups) p.push(`${groups.length} row groups, expected at least ${checks.min_row_groups}`);

  const rowsPerGroup = groups.map(g => Number(g[0].row_group_num_rows));
  const totalRows = rowsPerGroup.reduce((a, b) => a + b, 0);
  if (totalRows !== expected.num_rows) p.push(`row groups hold ${totalRows} rows, expected ${expected.num_rows}`);
  rowsPerGroup.forEach((n, g) => {
    if (n > opts.row_group_max_rows) p.push(`row group ${g}: ${n} rows > row_group_max_rows ${opts.row_group_max_rows}`);
    if (n === 0) p.push(`row group ${g} is empty`);
  });

  const perColumn = leafList.map(() => ({ compressed: 0, values: 0, fallback: false, allDict: true }));
  let rowStart = 0;
  groups.forEach((chunks, g) => {
    const nrows = rowsPerGroup[g];
    if (chunks.length !== leafList.length) {
      p.push(`row group ${g}: ${chunks.length} column chunks, expected ${leafList.length}`);
      return;
    }
    chunks.forEach((c, i) => {
      const leaf = leafList[i];
      const where = `row group ${g}, column ${leaf.path.join('.')}`;
      if (c.path_in_schema !== leaf.path.join(', ')) p.push(`${where}: path_in_schema ${show(c.path_in_schema)}`);
      if (c.compression !== opts.compression) p.push(`${where}: compression ${c.compression}, expected ${opts.compression}`);
      perColumn[i].compressed += Number(c.total_compressed_size);
      perColumn[i].values += Number(c.num_values);
      if (leaf.top && Number(c.num_values) !== nrows) p.push(`${where}: num_values ${c.num_values}, expected ${nrows}`);

      // Pages.
      const { pages, overrun } = readPages(ab, c, getSchemaPath(hyMeta.schema, leaf.path));
      if (overrun) p.push(`${where}: pages do not end at total_compressed_size`);
      const dictPages = pages.filter(h => h.type === 'DICTIONARY_PAGE');
      const dataPages = pages.filter(h => h.type === 'DATA_PAGE');
      if (pages.some(h => h.type === 'DATA_PAGE_V2')) p.push(`${where}: has DATA_PAGE_V2 pages; we write data page v1`);
      if (dictPages.length > 1 || (dictPages.length && pages[0].type !== 'DICTIONARY_PAGE')) p.push(`${where}: dictionary page not first or not unique`);
      if ((c.dictionary_page_offset !== null) !== (dictPages.length === 1)) p.push(`${where}: dictionary_page_offset ${c.dictionary_page_offset} but ${dictPages.length} dictionary pages`);
      const pageValues = dataPages.reduce((a, h) => a + h.data_page_header.num_values, 0);
      if (pageValues !== Number(c.num_values)) p.push(`${where}: data pages hold ${pageValues} values, the chunk says ${c.num_values}`);
      for (const h of dataPages) {
        const dh = h.data_page_header;
        if (dh.definition_level_encoding !== 'RLE' || dh.repetition_level_encoding !== 'RLE') {
          p.push(`${where}: level encodings ${dh.definition_level_encoding}/${dh.repetition_level_encoding}, expected RLE`);
        }
        if (h.rows > opts.page_max_rows) p.push(`${where}: a data page of ${h.rows} rows > page_max_rows ${opts.page_max_rows}`);
        if (!h.startsRow) p.push(`${where}: a data page starts inside a row (repetition level ${'>'} 0)`);
        // page_max_bytes bounds the encoded values. A page may pass it by the values of the
        // row it was in (at most 16 bytes each for these types, fixed[L] aside) plus one
        // bit-packed group of dictionary indices and its run header.
        const kind = primitiveKind(leaf.type);
        const width = kind === 'fixed' ? Math.max(16, fixedLength(leaf.type)) : 16;
        if (FIXED_WIDTH.has(kind) && h.valueBytes > opts.page_max_bytes + 32 + width * h.lastRowValues) {
          p.push(`${where}: a data page with ${h.valueBytes} bytes of values (${dh.num_values} values) with page_max_bytes ${opts.page_max_bytes}`);
        }
      }
      if (leaf.top && nrows > 0) {
        const minPages = Math.ceil(nrows / opts.page_max_rows);
        if (dataPages.length < minPages) p.push(`${where}: ${dataPages.length} data pages for ${nrows} rows, expected at least ${minPages}`);
      }
      // A page holding only nulls has no values to encode; its encoding label says nothing
      // about fallback, so only pages with values count here.
      const encs = dataPages.filter(h => h.nonNull > 0).map(h => h.data_page_header.encoding);
      const firstPlain = encs.findIndex(e => e === 'PLAIN');
      const lastDict = encs.map(isDictEncoding).lastIndexOf(true);
      if (lastDict >= 0 && firstPlain >= 0 && firstPlain < lastDict) p.push(`${where}: a dictionary page follows a PLAIN page (${encs.join(',')})`);
      if (lastDict >= 0 && !dictPages.length) p.push(`${where}: dictionary-encoded pages without a dictionary page`);
      if (firstPlain >= 0 && lastDict >= 0) perColumn[i].fallback = true;
      if (firstPlain >= 0 || !encs.length) perColumn[i].allDict = false;
      const listed = c.encodings.split(',').map(s => s.trim());
      for (const e of new Set(encs)) {
        if (!listed.includes(e)) p.push(`${where}: data pages use ${e} but the chunk's encodings are ${c.encodings}`);
      }
      if (!opts.dictionary_enabled && (dictPages.length || lastDict >= 0)) p.push(`${where}: dictionary used although disabled`);
      if (checks.dictionary_fallback?.includes(leaf.top) && lastDict >= 0 && firstPlain >= 0) {
        if (!listed.includes('PLAIN') || !listed.some(isDictEncoding)) p.push(`${where}: fallback chunk lists encodings ${c.encodings}`);
      }

      // Statistics of top-level primitive columns, against the expected values of this group.
      if (leaf.top) {
        const values = expected.columns[leaf.top].slice(rowStart, rowStart + nrows);
        const nulls = values.filter(v => v === null).length;
        if (c.stats_null_count === null || Number(c.stats_null_count) !== nulls) p.push(`${where}: stats null_count ${c.stats_null_count}, expected ${nulls}`);
        const mm = parquetFloatBounds(leaf.type, minMax(leaf.type, values, false));
        const hyStats = hyMeta.row_groups[g].columns[i].meta_data.statistics ?? {};
        // A writer leaves both bounds out when either is longer than max_statistics_bytes
        // (as parquet-mr and Arrow do); a bound that is present must still be exact.
        const k = primitiveKind(leaf.type);
        const tooLong = v => v !== null && (k === 'string' || k === 'binary') &&
            (k === 'string' ? Buffer.byteLength(v) : v.length / 2) > opts.max_statistics_bytes;
        const dropped = tooLong(mm.min) || tooLong(mm.max);
        for (const side of ['min', 'max']) {
          const raw = hyStats[`${side}_value`];
          if (dropped && (raw === null || raw === undefined)) continue;
          const diff = statDiff(leaf.type, mm[side], c[`stats_${side}_value`], raw, opts);
          if (diff) p.push(`${where}: stats ${side}_value ${diff}`);
        }
      }
    });
    rowStart += nrows;
  });

  // Dictionary expectations across the file.
  leafList.forEach((leaf, i) => {
    if (checks.dictionary_kept?.includes(leaf.top) && !perColumn[i].allDict) p.push(`${leaf.top}: expected every data page dictionary-encoded`);
    if (checks.dictionary_fallback?.includes(leaf.top) && !perColumn[i].fallback) p.push(`${leaf.top}: expected a fallback from the dictionary to PLAIN`);
  });

  // Column orders: TypeDefinedOrder for every leaf (hyparquet does not surface them, so this
  // reads the raw footer field 7 through its thrift parser).
  const footer = deserializeTCompactProtocol({ view, offset: ab.byteLength - 8 - footerLength });
  const orders = footer.field_7;
  if (!Array.isArray(orders) || orders.length !== leafList.length || orders.some(o => !o?.field_1)) {
    p.push(`column_orders: ${orders ? orders.length : 'absent'} entries, expected ${leafList.length} TypeDefinedOrder`);
  }

  // The writer's metrics, for Iceberg manifests.
  const wm = expected.writer_metrics;
  if (wm.record_count !== expected.num_rows) p.push(`metrics record_count ${wm.record_count}, expected ${expected.num_rows}`);
  if (wm.file_size !== statSync(path).size) p.push(`metrics file_size ${wm.file_size}, the file has ${statSync(path).size} bytes`);
  const groupStarts = groups.map(g => Math.min(...g.map(c => Number(c.dictionary_page_offset ?? c.data_page_offset))));
  if (JSON.stringify(wm.split_offsets) !== JSON.stringify(groupStarts)) p.push(`metrics split_offsets ${JSON.stringify(wm.split_offsets)}, row groups start at ${JSON.stringify(groupStarts)}`);
  if (wm.columns.length !== leafList.length) {
    p.push(`metrics cover ${wm.columns.length} columns, expected ${leafList.length}`);
  } else {
    leafList.forEach((leaf, i) => {
      const m = wm.columns[i];
      const where = `metrics ${leaf.path.join('.')}`;
      if (m.field_id !== leaf.id) p.push(`${where}: field_id ${m.field_id}, expected ${leaf.id}`);
      if (m.path !== leaf.path.join('.')) p.push(`${where}: path ${m.path}`);
      if (m.compressed_size !== perColumn[i].compressed) p.push(`${where}: compressed_size ${m.compressed_size}, the chunks total ${perColumn[i].compressed}`);
      if (m.value_count !== perColumn[i].values) p.push(`${where}: value_count ${m.value_count}, the chunks hold ${perColumn[i].values}`);
      const k = primitiveKind(leaf.type);
      if ((k === 'float' || k === 'double') !== (m.nan_count !== null)) p.push(`${where}: nan_count ${m.nan_count}`);
      if (!leaf.top) return;
      const values = expected.columns[leaf.top];
      const nulls = values.filter(v => v === null).length;
      if (m.null_count !== nulls) p.push(`${where}: null_count ${m.null_count}, expected ${nulls}`);
      if (m.nan_count !== null) {
        const nans = values.filter(v => v !== null && isNaNValue(leaf.type, v)).length;
        if (m.nan_count !== nans) p.push(`${where}: nan_count ${m.nan_count}, expected ${nans}`);
      }
      const mm = minMax(leaf.type, values, true);
      for (const [side, got] of [['min', m.lower_bound], ['max', m.upper_bound]]) {
        let want = mm[side];
        let have = got;
        if (k === 'string') {
          want = want === null ? null : Buffer.from(want, 'utf8').toString('hex');
          have = got === null ? null : got.hex;
        }
        const same = (k === 'float' || k === 'double') && want !== null && have !== null
          ? Object.is(Number(want), Number(have)) : want === have;
        if (!same) p.push(`${where}: ${side === 'min' ? 'lower' : 'upper'}_bound ${show(have)}, expected ${show(want)}`);
      }
    });
  }
  return p;
}

