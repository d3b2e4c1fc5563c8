// DuckDB's side of bench/parquet_write: builds the same tables as parquet_write_nilus.cc with
// SQL (not timed), then times `COPY <table> TO '<file>' (FORMAT parquet, COMPRESSION zstd)`.
// DuckDB's default zstd level is used; it is ZSTD_defaultCLevel(), i.e. 3, the same as ours.
//
// With --verify DIR it then reads DIR/nilus_<table>.parquet (written by our writer from the
// same formulas) and checks that it holds exactly the rows of DuckDB's table: same column names
// and types, and the same count and sum of hash() per column. A mismatch is an error, because
// the timings would then compare different data.
//
// Usage: node bench/parquet_write_duckdb.mjs [--table accounts|taxi|all] [--rows N]
//            [--out-dir DIR] [--threads N] [--verify DIR]
// Prints one JSON line per table on stdout (the same keys as the C++ side).

import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function parseArgs(argv) {
  const args = {
    table: 'all',
    rows: 5000000,
    outDir: '.',
    threads: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    verify: null,
  };
  for (let k = 0; k < argv.length; k += 2) {
    const flag = argv[k];
    const v = argv[k + 1];
    if (v === undefined) usage();
    if (flag === '--table') args.table = v;
    else if (flag === '--rows') args.rows = Number(v);
    else if (flag === '--out-dir') args.outDir = v;
    else if (flag === '--threads') args.threads = Number(v);
    else if (flag === '--verify') args.verify = v;
    else usage();
  }
  if (!['all', 'accounts', 'taxi'].includes(args.table) || !(args.rows > 0) ||
      !Number.isInteger(args.rows) || !(args.threads > 0)) {
    usage();
  }
  return args;
}

function usage() {
  process.stderr.write(
      'usage: node parquet_write_duckdb.mjs [--table accounts|taxi|all] [--rows N]\n' +
      '           [--out-dir DIR] [--threads N] [--verify DIR]\n');
  process.exit(2);
}

// --- The data: mirrors parquet_write_nilus.cc (Mix, kWords, kRateCodes, ...). -----------------

const WORDS = [
  'alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel',
  'india', 'juliett', 'kilo', 'lima', 'mike', 'november', 'oscar', 'papa',
  'quebec', 'romeo', 'sierra', 'tango', 'uniform', 'victor', 'whiskey', 'xray',
  'yankee', 'zulu', 'amber', 'basalt', 'cobalt', 'dune', 'ember', 'fjord',
];
const FILLER_WORDS = 14;
const FILLER_SALT_BASE = 100;
const RATE_CODES = [
  'Standard', 'Standard', 'Standard', 'Standard', 'Standard', 'Standard', 'JFK', 'Newark',
  'Nassau or Westchester', 'Negotiated', 'Group ride',
];
const PAYMENT_TYPES = [
  'credit_card', 'credit_card', 'credit_card', 'cash', 'cash', 'no_charge', 'dispute', 'unknown',
];

const sqlList = (xs) => '[' + xs.map((x) => `'${x}'`).join(', ') + ']';

// Every intermediate stays below 2^63 (DuckDB's BIGINT arithmetic is checked).
const MACROS = [
  'CREATE OR REPLACE MACRO xs15(a) AS xor(a, a >> 15)',
  'CREATE OR REPLACE MACRO xs13(a) AS xor(a, a >> 13)',
  'CREATE OR REPLACE MACRO mix(i, s) AS ' +
      'xs13((xs15((i * 2654435761 + s * 97531) % 4294967296) * 668265263) % 4294967296)',
  `CREATE OR REPLACE MACRO word(x) AS (${sqlList(WORDS)})[x % 32 + 1]`,
  // Exact: DECIMAL(18,0) * DECIMAL(3,2) is DECIMAL(21,2), no floating point involved.
  'CREATE OR REPLACE MACRO cents(x) AS (x::DECIMAL(18,0) * 0.01::DECIMAL(3,2))::DECIMAL(10,2)',
];

function accountsSql(rows) {
  const words = [];
  for (let w = 0; w < FILLER_WORDS; w++) words.push(`word(mix(i, ${FILLER_SALT_BASE + w}))`);
  return `CREATE OR REPLACE TABLE accounts AS
SELECT i::INTEGER AS aid,
       ((i - 1) // 100000 + 1)::INTEGER AS bid,
       (mix(i, 3) % 10001 - 5000)::INTEGER AS abalance,
       rpad(concat_ws(' ', ${words.join(', ')}), 84, ' ') AS filler
FROM range(1, ${rows} + 1) t(i)`;
}

function taxiSql(rows) {
  return `CREATE OR REPLACE TABLE taxi AS
WITH g AS (
  SELECT i,
         1704067200000000 + i * 6000000 + mix(i, 3) % 6000000 AS pickup_us,
         250 + mix(i, 14) % 20000 AS fare_c,
         CASE WHEN i % 13 = 0 THEN NULL ELSE [0, 50, 100, 250][mix(i, 15) % 4 + 1] END AS extra_c,
         CASE WHEN i % 11 = 0 THEN NULL WHEN mix(i, 16) % 3 = 0 THEN 0
              ELSE mix(i, 17) % 3000 END AS tip_c,
         CASE WHEN mix(i, 18) % 10 = 0 THEN 694 ELSE 0 END AS tolls_c
  FROM range(1, ${rows} + 1) t(i))
SELECT printf('%09d-%08x', i, mix(i, 1)) AS trip_id,
       (1 + mix(i, 2) % 3)::INTEGER AS vendor_id,
       make_timestamp(pickup_us) AS pickup_at,
       make_timestamp(pickup_us + 60000000 + mix(i, 4) % 3600000000) AS dropoff_at,
       CASE WHEN i % 13 = 0 THEN NULL ELSE (1 + mix(i, 5) % 6)::INTEGER END AS passenger_count,
       (mix(i, 6) % 3000)::DOUBLE / 100::DOUBLE AS trip_distance,
       (-74300000 + mix(i, 7) % 600000)::DOUBLE / 1000000::DOUBLE AS pickup_longitude,
       (40500000 + mix(i, 8) % 450000)::DOUBLE / 1000000::DOUBLE AS pickup_latitude,
       CASE WHEN i % 7 = 0 THEN NULL ELSE (${sqlList(RATE_CODES)})[mix(i, 9) % 11 + 1] END
           AS rate_code,
       CASE WHEN i % 7 = 0 THEN NULL WHEN mix(i, 10) % 50 = 0 THEN 'Y' ELSE 'N' END
           AS store_and_fwd_flag,
       (1 + mix(i, 11) % 265)::BIGINT AS pu_location_id,
       (1 + mix(i, 12) % 265)::BIGINT AS do_location_id,
       (${sqlList(PAYMENT_TYPES)})[mix(i, 13) % 8 + 1] AS payment_type,
       cents(fare_c) AS fare_amount,
       cents(extra_c) AS extra,
       cents(tip_c) AS tip_amount,
       cents(tolls_c) AS tolls_amount,
       cents(fare_c + coalesce(extra_c, 0) + coalesce(tip_c, 0) + tolls_c + 50) AS total_amount
FROM g`;
}

// --- Measurement -------------------------------------------------------------------------------

// Resets the peak-RSS mark (Linux >= 4.0) so that maxRSS read after the COPY belongs to it.
function resetPeakRss() {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

const sqlPath = (p) => `'${p.replaceAll("'", "''")}'`;

async function describe(conn, relation) {
  const reader = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
  return reader.getRowObjectsJson().map((r) => ({ name: r.column_name, type: r.column_type }));
}

// count(*), then per column count(c) and sum(hash(c)), reading `relation` with the column types
// of `cols` (so that a file read as another but equal type still hashes the same).
async function fingerprint(conn, relation, cols) {
  const aggs = ['count(*)::VARCHAR'];
  for (const c of cols) {
    const ref = `CAST("${c.name}" AS ${c.type})`;
    aggs.push(`count(${ref})::VARCHAR`, `coalesce(sum(hash(${ref})), 0)::VARCHAR`);
  }
  const reader = await conn.runAndReadAll(`SELECT ${aggs.join(', ')} FROM ${relation}`);
  return reader.getRowsJson()[0];
}

async function verify(conn, table, nilusFile) {
  if (!fs.existsSync(nilusFile)) throw new Error(`no file to verify: ${nilusFile}`);
  const relation = `read_parquet(${sqlPath(nilusFile)})`;
  const expected = await describe(conn, table);
  const actual = await describe(conn, relation);
  const problems = [];
  const same = (a, b) => a && b && a.name === b.name && a.type === b.type;
  if (expected.length !== actual.length || expected.some((c, k) => !same(c, actual[k]))) {
    problems.push('schema differs: duckdb table has ' +
                  expected.map((c) => `${c.name} ${c.type}`).join(', ') + '; nilus file has ' +
                  actual.map((c) => `${c.name} ${c.type}`).join(', '));
  }
  const want = await fingerprint(conn, table, expected);
  let got = null;
  try {
    got = await fingerprint(conn, relation, expected);
  } catch (e) {
    problems.push(`cannot read nilus file as the duckdb table's columns: ${e.message}`);
  }
  if (got) {
    if (want[0] !== got[0]) problems.push(`row count: duckdb ${want[0]}, nilus ${got[0]}`);
    expected.forEach((c, k) => {
      const [wc, wh, gc, gh] = [want[1 + 2 * k], want[2 + 2 * k], got[1 + 2 * k], got[2 + 2 * k]];
      if (wc !== gc) problems.push(`${c.name}: ${wc} non-null values in duckdb, ${gc} in nilus`);
      else if (wh !== gh) problems.push(`${c.name}: values differ (sum of hashes)`);
    });
  }
  if (problems.length > 0) {
    let sample = '';
    try {
      const diff = await conn.runAndReadAll(
          `(SELECT 'nilus only' AS side, * FROM (FROM ${relation} EXCEPT ALL FROM ${table}) LIMIT 2)
           UNION ALL
           (SELECT 'duckdb only' AS side, * FROM (FROM ${table} EXCEPT ALL FROM ${relation}) LIMIT 2)`);
      sample = '\n  sample rows:\n    ' +
               diff.getRowsJson().map((r) => JSON.stringify(r)).join('\n    ');
    } catch {
      // The schemas differ too much for EXCEPT; the problems above say why.
    }
    throw new Error(`nilus file ${nilusFile} does not hold the same data as DuckDB's ` +
                    `${table} table:\n  ${problems.join('\n  ')}${sample}`);
  }
  return want[0];
}

async function runTable(conn, args, table) {
  const genStart = process.hrtime.bigint();
  await conn.run(table === 'accounts' ? accountsSql(args.rows) : taxiSql(args.rows));
  const genS = Number(process.hrtime.bigint() - genStart) / 1e9;
  const columns = (await describe(conn, table)).length;

  const file = path.join(args.outDir, `duckdb_${table}.parquet`);
  fs.rmSync(file, { force: true });

  const rssBefore = process.memoryUsage().rss;
  const peakReset = resetPeakRss();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await conn.run(`COPY ${table} TO ${sqlPath(file)} (FORMAT parquet, COMPRESSION zstd)`);
  // Our writer makes its file durable before Close() returns; do the same for DuckDB's.
  const fd = fs.openSync(file, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const peakRss = process.resourceUsage().maxRSS * 1024;  // KiB -> bytes
  const fileBytes = fs.statSync(file).size;

  const result = {
    engine: 'duckdb',
    table,
    rows: args.rows,
    columns,
    threads: args.threads,
    zstd_level: 3,
    gen_s: Number(genS.toFixed(3)),
    wall_s: Number(wallS.toFixed(4)),
    rows_per_s: Math.round(args.rows / wallS),
    cpu_s: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)),
    rss_before_bytes: rssBefore,
    peak_rss_bytes: peakRss,
    peak_reset: peakReset,
    file_bytes: fileBytes,
    path: file,
  };
  if (args.verify) {
    await verify(conn, table, path.join(args.verify, `nilus_${table}.parquet`));
    result.verified = true;
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  await conn.run(`DROP TABLE ${table}`);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const instance = await DuckDBInstance.create(':memory:', { threads: String(args.threads) });
  const conn = await instance.connect();
  for (const sql of MACROS) await conn.run(sql);
  const version = (await conn.runAndReadAll('SELECT version()')).getRowsJson()[0][0];
  process.stderr.write(`duckdb ${version}, threads=${args.threads}\n`);
  for (const table of ['accounts', 'taxi']) {
    if (args.table === 'all' || args.table === table) await runTable(conn, args, table);
  }
}

main().catch((e) => {
  process.stderr.write(`parquet_write_duckdb: ${e.message}\n`);
  process.exit(1);
});
