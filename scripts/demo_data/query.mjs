// Queries Nilus's Iceberg tables with DuckDB (the pinned @duckdb/node-api), without a DuckDB
// Iceberg extension: each table becomes a view over its live data files, read from the current
// snapshot's manifests (decoded by icebird, never by Nilus), with equality deletes applied by
// sequence number as the Iceberg spec says.
//
//   node scripts/demo_data/query.mjs --table orders=METADATA.json [--table ...] \
//        [--print-views] ["SELECT status, count(*) FROM orders GROUP BY 1"]
//
// METADATA.json is the table's current metadata file (`nilus table show NS.T --json` prints it as
// "metadata-location"). --print-views prints the CREATE VIEW statements, which can be pasted into
// the duckdb shell before the query. Position delete files are not supported (merge writes
// equality deletes): a table that has them is an error.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as icebird from 'icebird';
import { DuckDBInstance } from '@duckdb/node-api';

function localPath(p) {
  return p.startsWith('file:') ? fileURLToPath(p) : p;
}

// icebird reads manifests with the global fetch; serve local paths and file:// URLs from disk.
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input.url;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('file:')) return realFetch(input, init);
  return new Response(await readFile(localPath(url)));
};

function sqlString(s) {
  return `'${s.replaceAll("'", "''")}'`;
}
function ident(s) {
  return `"${s.replaceAll('"', '""')}"`;
}

// The CREATE VIEW statements for one table.
async function tableViews(name, metadataPath) {
  const metadata = JSON.parse(await readFile(localPath(metadataPath), 'utf8'));
  const schema = metadata.schemas.find(s => s['schema-id'] === metadata['current-schema-id']);
  const byId = new Map(schema.fields.map(f => [f.id, f.name]));
  const columns = schema.fields.map(f => ident(f.name)).join(', ');
  const manifests = metadata['current-snapshot-id'] > 0 ? await icebird.icebergManifests(metadata) : [];
  const live = manifests.flatMap(m => m.entries).filter(e => e.status !== 2);  // 2: deleted
  const dataEntries = live.filter(e => !e.data_file.content);
  const deleteEntries = live.filter(e => e.data_file.content);
  const files = dataEntries.map(e => ({ path: localPath(e.data_file.file_path), seq: e.sequence_number }));
  if (files.length === 0) {
    return { sql: `CREATE OR REPLACE VIEW ${ident(name)} AS SELECT NULL AS empty WHERE false;`, files: 0, deletes: 0 };
  }
  if (deleteEntries.some(e => e.data_file.content === 1)) {
    throw new Error(`${name}: position delete files are not supported by this script`);
  }
  const list = `[${files.map(f => sqlString(f.path)).join(', ')}]`;
  // union_by_name: files written before a schema change lack the newer columns.
  const scan = `read_parquet(${list}, filename = true, union_by_name = true)`;
  if (deleteEntries.length === 0) {
    return { sql: `CREATE OR REPLACE VIEW ${ident(name)} AS SELECT ${columns} FROM ${scan};`, files: files.length, deletes: 0 };
  }
  // A row is deleted by an equality delete of a later sequence number with the same key.
  const seqOf = rows => `(VALUES ${rows.map(f => `(${sqlString(f.path)}, ${f.seq})`).join(', ')})`;
  const parts = [];
  const groups = new Map();
  for (const e of deleteEntries) {
    const key = e.data_file.equality_ids.join(',');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push({ path: localPath(e.data_file.file_path), seq: e.sequence_number });
  }
  for (const [key, dels] of groups) {
    const cols = key.split(',').map(id => byId.get(Number(id)));
    const dlist = `[${dels.map(f => sqlString(f.path)).join(', ')}]`;
    parts.push(`NOT EXISTS (SELECT 1 FROM read_parquet(${dlist}, filename = true) e
        JOIN ${seqOf(dels)} es(path, seq) ON es.path = e.filename
        WHERE es.seq > ds.seq AND ${cols.map(c => `e.${ident(c)} = d.${ident(c)}`).join(' AND ')})`);
  }
  const sql = `CREATE OR REPLACE VIEW ${ident(name)} AS
  SELECT ${schema.fields.map(f => `d.${ident(f.name)}`).join(', ')}
  FROM ${scan} d JOIN ${seqOf(files)} ds(path, seq) ON ds.path = d.filename
  WHERE ${parts.join('\n    AND ')};`;
  return { sql, files: files.length, deletes: deleteEntries.length };
}

const tables = [];
let printViews = false;
let query = null;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--table') {
    const [name, path] = argv[++i].split(/=(.*)/s);
    tables.push({ name, path });
  } else if (argv[i] === '--print-views') {
    printViews = true;
  } else if (query === null) {
    query = argv[i];
  } else {
    throw new Error(`query.mjs: unexpected argument '${argv[i]}'`);
  }
}
if (tables.length === 0 || (query === null && !printViews)) {
  console.error('usage: node query.mjs --table NAME=METADATA.json [...] [--print-views] ["SQL"]');
  process.exit(2);
}

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
for (const t of tables) {
  const v = await tableViews(t.name, t.path);
  if (printViews) console.log(v.sql);
  else console.error(`query: ${t.name}: ${v.files} data files, ${v.deletes} delete files`);
  await con.run(v.sql);
}
if (query === null) process.exit(0);
const reader = await con.runAndReadAll(query);
const names = reader.columnNames();
const rows = reader.getRows().map(r => r.map(v => (v === null ? 'NULL' : String(v))));
const widths = names.map((n, c) => Math.max(n.length, ...rows.map(r => r[c].length)));
const fmt = r => r.map((v, c) => v.padStart(widths[c])).join('  ');
console.log(fmt(names));
console.log(widths.map(w => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(fmt(r));
