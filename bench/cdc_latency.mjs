// Latency of a CDC change log: for every change committed at the source after START_MS, the
// time from its commit (the row's commit_time) to the Iceberg snapshot that added its data file
// (the snapshot's timestamp-ms, found by the file's data sequence number), read with icebird (metadata, manifests) and DuckDB (rows).
//
// Usage: node cdc_latency.mjs METADATA_LOCATION START_MS   ->  prints "P50_S P99_S N"
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { importReader, openDuckDB, sqlString } from '../tests/interop/lib/readers.mjs';

const [metadataLocation, startText] = process.argv.slice(2);
const localPath = l => (l.startsWith('file://') ? decodeURIComponent(new URL(l).pathname) : l);
globalThis.fetch = async input => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const path = localPath(url);
  if (!existsSync(path)) return new Response(null, { status: 404 });
  return new Response(readFileSync(path), { status: 200, headers: { 'Content-Length': String(statSync(path).size) } });
};
const icebird = await importReader('icebird');
const metadataPath = localPath(metadataLocation);
const tableUrl = dirname(dirname(metadataPath));
const metadata = await icebird.icebergMetadata({
  tableUrl, metadataFileName: metadataPath.slice(tableUrl.length + '/metadata/'.length) });
// A data file's (inherited) data sequence number is that of the snapshot that added it.
const snapshotMs = new Map(metadata.snapshots.map(s => [BigInt(s['sequence-number']), Number(s['timestamp-ms'])]));
const values = [];
for (const { entries } of await icebird.icebergManifests(metadata)) {
  for (const e of entries) {
    if (e.status === 2 || e.data_file.content !== 0) continue;
    const ms = snapshotMs.get(BigInt(e.sequence_number));
    if (ms !== undefined) values.push(`(${sqlString(localPath(e.data_file.file_path))}, ${ms})`);
  }
}
const con = await openDuckDB();
await con.run(`CREATE TABLE f (path VARCHAR, ms BIGINT)` + (values.length ? `; INSERT INTO f VALUES ${values.join(', ')}` : ''));
const list = `[${values.map(v => v.slice(1, v.indexOf(','))).join(', ')}]`;
const rows = values.length ? (await con.runAndReadAll(`
  SELECT quantile_cont(lat, 0.5) AS p50, quantile_cont(lat, 0.99) AS p99, count(*)::BIGINT AS n FROM (
    SELECT (f.ms - epoch_ms(d.commit_time)) / 1000.0 AS lat
    FROM read_parquet(${list}, filename = true) d JOIN f ON d.filename = f.path
    WHERE d.operation <> 'r' AND epoch_ms(d.commit_time) >= ${Number(startText)})`)).getRowObjects()[0]
  : { p50: 0, p99: 0, n: 0 };
console.log(`${Number(rows.p50 ?? 0).toFixed(2)} ${Number(rows.p99 ?? 0).toFixed(2)} ${rows.n}`);
