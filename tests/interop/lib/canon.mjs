// Canonical values and exact comparison, shared by every interop checker.
//
// The expected JSON (tests/interop/expected_json.h) holds values in a canonical form; each
// reader's output is converted to the same form by its adapter (readers.mjs) and compared here,
// driven by the Iceberg type:
//   boolean -> boolean          int, date -> number
//   long, time, timestamp, timestamptz -> decimal string of the integer (micros)
//   float, double -> JS number (expected: a string, parsed with Number, compared with
//                    Object.is, so NaN equals NaN and -0 differs from 0)
//   decimal -> string with exactly `scale` fraction digits
//   string -> string            uuid, fixed, binary -> lower-case hex
//   list -> array               map -> array of [key, value], in order
//   struct -> object by field name                  null -> null

import { readFileSync } from 'node:fs';

export function loadJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

// ---- types ----

export function primitiveKind(type) {
  if (typeof type !== 'string') return type.type;
  if (type.startsWith('decimal')) return 'decimal';
  if (type.startsWith('fixed')) return 'fixed';
  return type;
}

export function decimalParams(type) {
  const m = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  if (!m) throw new Error(`not a decimal type: ${type}`);
  return { precision: Number(m[1]), scale: Number(m[2]) };
}

export function fixedLength(type) {
  if (type === 'uuid') return 16;
  const m = /^fixed\[(\d+)\]$/.exec(type);
  if (!m) throw new Error(`not a fixed type: ${type}`);
  return Number(m[1]);
}

// ---- conversions readers need ----

export function hex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

// An unscaled bigint and a scale -> "-12.345".
export function decimalString(unscaled, scale) {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    if (digits.length <= scale) digits = '0'.repeat(scale + 1 - digits.length) + digits;
    digits = digits.slice(0, digits.length - scale) + '.' + digits.slice(digits.length - scale);
  }
  return negative ? '-' + digits : digits;
}

// Big-endian two's complement bytes -> bigint.
export function bigintFromBytesBE(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (bytes.length && bytes[0] & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v;
}

export function toBigInt(v) {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new Error(`not an exact integer: ${String(v)} (${typeof v})`);
}

export function bigString(v) {
  return toBigInt(v).toString();
}

// Days since 1970-01-01 -> "YYYY-MM-DD" (proleptic Gregorian), written out from the
// civil-from-days arithmetic so that no Date object (and no time zone) is involved.
export function dateString(days) {
  let z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) -
                          Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const pad = (n, w) => String(n).padStart(w, '0');
  return `${y < 0 ? '-' + pad(-y, 4) : pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

// ---- comparison ----

const MAX_SHOWN = 160;

export function show(v) {
  let s;
  if (typeof v === 'number') s = Object.is(v, -0) ? '-0' : String(v);
  else s = JSON.stringify(v, replacer);
  if (s === undefined) s = String(v);
  if (s.length > MAX_SHOWN) s = `${s.slice(0, MAX_SHOWN)}... (${s.length} chars)`;
  return s;
}

function replacer(_k, v) {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (Object.is(v, -0)) return '-0';
  return v;
}

// Compares one canonical value against the expectation. Each difference is pushed to
// `out` as {path, expected, actual, why}.
export function compareValue(expected, actual, type, path, out) {
  if (actual === undefined) actual = null;
  if (expected === null || actual === null) {
    if (expected !== null || actual !== null) out.push({ path, expected, actual, why: 'null' });
    return;
  }
  const kind = primitiveKind(type);
  switch (kind) {
    case 'float':
    case 'double': {
      if (typeof actual !== 'number' || !Object.is(Number(expected), actual)) {
        out.push({ path, expected, actual, why: 'value' });
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(actual)) {
        out.push({ path, expected, actual, why: 'not a list' });
        return;
      }
      if (actual.length !== expected.length) {
        out.push({ path, expected, actual, why: `list length ${actual.length} != ${expected.length}` });
        return;
      }
      for (let i = 0; i < expected.length; i++) {
        compareValue(expected[i], actual[i], type.element, `${path}[${i}]`, out);
      }
      return;
    }
    case 'map': {
      if (!Array.isArray(actual) || actual.length !== expected.length) {
        out.push({ path, expected, actual, why: 'map size' });
        return;
      }
      for (let i = 0; i < expected.length; i++) {
        compareValue(expected[i][0], actual[i][0], type.key, `${path}{${i}}.key`, out);
        compareValue(expected[i][1], actual[i][1], type.value, `${path}{${i}}.value`, out);
      }
      return;
    }
    case 'struct': {
      if (typeof actual !== 'object' || Array.isArray(actual)) {
        out.push({ path, expected, actual, why: 'not a struct' });
        return;
      }
      const names = type.fields.map(f => f.name);
      for (const f of type.fields) {
        compareValue(expected[f.name], actual[f.name], f.type, `${path}.${f.name}`, out);
      }
      for (const k of Object.keys(actual)) {
        if (!names.includes(k)) out.push({ path: `${path}.${k}`, expected: undefined, actual: actual[k], why: 'extra field' });
      }
      return;
    }
    default:
      if (expected !== actual) out.push({ path, expected, actual, why: 'value' });
  }
}

// Compares a whole file: `actual` maps column name -> array of canonical values.
// Returns a list of printable mismatch lines (at most `limit`, then a count).
export function compareFile(expectedJson, actual, reader, limit = 20) {
  const lines = [];
  let total = 0;
  const file = expectedJson.file;
  const n = expectedJson.num_rows;
  for (const field of expectedJson.schema.fields) {
    const exp = expectedJson.columns[field.name];
    const act = actual[field.name];
    if (!act) {
      total++;
      lines.push(`${reader}: ${file}: column ${field.name}: missing from the reader's output`);
      continue;
    }
    if (act.length !== n) {
      total++;
      lines.push(`${reader}: ${file}: column ${field.name}: ${act.length} rows, expected ${n}`);
      continue;
    }
    for (let row = 0; row < n; row++) {
      const diffs = [];
      compareValue(exp[row], act[row], field.type, field.name, diffs);
      for (const d of diffs) {
        total++;
        if (lines.length < limit) {
          lines.push(`${reader}: ${file}: column ${field.name}: row ${row}: at ${d.path} (${d.why}): ` +
                     `expected ${show(d.expected)}, got ${show(d.actual)}`);
        }
      }
    }
  }
  if (total > lines.length) lines.push(`${reader}: ${file}: ... ${total - lines.length} more mismatches`);
  return lines;
}
