// Summarizes the JSON lines written by parquet_write_nilus.cc and parquet_write_duckdb.mjs.
//
//   node parquet_write_summary.mjs brief < one-json-line     one readable line for a run
//   node parquet_write_summary.mjs report RESULTS.jsonl     medians per table and engine, the
//                                                           per-table ratios, and last the line
//   parquet_write ratio_time=<nilus/duckdb> ratio_size=<nilus/duckdb>
//
// ratio_time compares median wall seconds, ratio_size median file bytes; the final line takes
// the worse (larger) ratio of the tables. The per-table lines also compare median CPU seconds
// and the fastest run of each engine, which other load on the machine disturbs least.

import fs from 'node:fs';

const MiB = 1024 * 1024;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function brief(r) {
  return `${r.table.padEnd(8)} ${r.engine.padEnd(6)} ` +
         `${r.wall_s.toFixed(3).padStart(7)} s wall  ${r.cpu_s.toFixed(2).padStart(6)} s cpu  ` +
         `${Math.round(r.rows_per_s).toLocaleString('en-US').padStart(11)} rows/s  ` +
         `peak ${(r.peak_rss_bytes / MiB).toFixed(0)} MiB  ` +
         `file ${(r.file_bytes / MiB).toFixed(1)} MiB` + (r.verified ? '  (same data)' : '');
}

function report(file) {
  const rows = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) =>
    JSON.parse(l));
  if (rows.length === 0) throw new Error(`no results in ${file}`);
  const tables = [...new Set(rows.map((r) => r.table))];
  const engines = ['nilus', 'duckdb'];
  const runs = Math.max(...rows.map((r) => rows.filter((x) => x.table === r.table &&
                                                          x.engine === r.engine).length));
  const out = [];
  out.push(`medians of ${runs} run(s), ${rows[0].rows.toLocaleString('en-US')} rows per table, ` +
           `${rows[0].threads} threads, zstd level ${rows[0].zstd_level}`);
  const head = ['table', 'engine', 'rows/s', 'wall s', 'cpu s', 'peak RSS MiB',
                'RSS at start MiB', 'data MiB', 'file MiB'];
  const lines = [head];
  const med = {};
  for (const t of tables) {
    for (const e of engines) {
      const rs = rows.filter((r) => r.table === t && r.engine === e);
      if (rs.length === 0) throw new Error(`no ${e} results for ${t}`);
      const m = {};
      for (const k of ['rows_per_s', 'wall_s', 'cpu_s', 'peak_rss_bytes', 'rss_before_bytes',
                       'file_bytes']) {
        m[k] = median(rs.map((r) => r[k]));
      }
      m.best_wall_s = Math.min(...rs.map((r) => r.wall_s));
      m.data_bytes = rs[0].data_bytes;
      med[`${t}/${e}`] = m;
      lines.push([t, e, Math.round(m.rows_per_s).toLocaleString('en-US'), m.wall_s.toFixed(3),
                  m.cpu_s.toFixed(2), (m.peak_rss_bytes / MiB).toFixed(0),
                  (m.rss_before_bytes / MiB).toFixed(0),
                  m.data_bytes === undefined ? '-' : (m.data_bytes / MiB).toFixed(0),
                  (m.file_bytes / MiB).toFixed(1)]);
    }
  }
  const widths = head.map((_, c) => Math.max(...lines.map((l) => String(l[c]).length)));
  for (const l of lines) {
    out.push(l.map((v, c) => c < 2 ? String(v).padEnd(widths[c]) : String(v).padStart(widths[c]))
                 .join('  '));
  }
  let worstTime = 0;
  let worstSize = 0;
  for (const t of tables) {
    const n = med[`${t}/nilus`];
    const d = med[`${t}/duckdb`];
    const time = n.wall_s / d.wall_s;
    const size = n.file_bytes / d.file_bytes;
    worstTime = Math.max(worstTime, time);
    worstSize = Math.max(worstSize, size);
    out.push(`${t}: ratio_time=${time.toFixed(3)} ratio_size=${size.toFixed(3)} ` +
             `ratio_cpu=${(n.cpu_s / d.cpu_s).toFixed(3)} ` +
             `(fastest runs: ratio_time=${(n.best_wall_s / d.best_wall_s).toFixed(3)})`);
  }
  out.push(`parquet_write ratio_time=${worstTime.toFixed(3)} ratio_size=${worstSize.toFixed(3)}`);
  process.stdout.write(out.join('\n') + '\n');
}

const [mode, arg] = process.argv.slice(2);
try {
  if (mode === 'brief') {
    const input = fs.readFileSync(0, 'utf8').trim().split('\n');
    for (const l of input) process.stdout.write(brief(JSON.parse(l)) + '\n');
  } else if (mode === 'report' && arg) {
    report(arg);
  } else {
    process.stderr.write('usage: parquet_write_summary.mjs brief | report RESULTS.jsonl\n');
    process.exit(2);
  }
} catch (e) {
  process.stderr.write(`parquet_write_summary: ${e.message}\n`);
  process.exit(1);
}
