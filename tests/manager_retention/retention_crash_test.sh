#!/usr/bin/env bash
# Crash safety of the Manager's retention job, as a real process against a real PostgreSQL:
#
#   retention_crash_test.sh NILUS
#
# NILUS is the nilus binary; each pass of the job is one `nilus manager --retention-once --now
# NOW` process, configured by NILUS_MANAGER_* variables (docs/configuration.md), which migrates
# the schema itself. The Manager always works in the public schema (src/manager/pg_pool.cc), so
# the test creates a fresh database next to the one of NILUS_TEST_PG_URL (exit code 77, a skip,
# when it is unset) and drops it on exit. A first pass with a NOW far in the past creates the
# tables; the test then loads runs of many ages, statuses and stage layouts, and computes in
# SQL, before the job runs, what the archive must hold and which rows must survive. Then:
#   1. KILLS passes with NILUS_MANAGER_CRASH_AFTER_ARCHIVE_COMMIT=1 each die by SIGKILL right
#      after an archive commit, before the marking: after each, exactly one batch is pending and
#      not a row was deleted. Each pass first finishes the batch the previous one left pending
#      (its load id is already committed: it only marks) and then commits a new batch and dies.
#   2. A pass without the hook finishes: the last pending batch, the remaining batches, the
#      deletion.
#   3. check_archive.mjs (icebird + DuckDB) checks that the archive holds every expected run and
#      table exactly once with the right values, and one snapshot per batch; psql checks that
#      each metadata table holds exactly the rows that must survive.
#   4. A last pass archives and deletes nothing.
# A negative control makes sure the checker notices a missing row.
#
# Environment: NILUS_RETENTION_KEEP=1 keeps the work directory and the database.
set -uo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: retention_crash_test.sh NILUS" >&2
  exit 2
fi
if [[ -z "${NILUS_TEST_PG_URL:-}" ]]; then
  echo "retention: skipped: NILUS_TEST_PG_URL is not set"
  exit 77
fi
nilus="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for tool in node psql sqlite3; do
  if ! command -v "${tool}" >/dev/null; then
    echo "FAIL: ${tool} is not installed (run scripts/setup)" >&2
    exit 1
  fi
done
# Only the settings below configure the job: none inherited from the caller's environment.
while read -r v; do unset "${v}"; done < <(compgen -e -X '!NILUS_MANAGER_*')

KILLS=3
NOW="2026-06-01T12:00:00Z"
db="nilus_retention_crash_$(date +%s%N | tail -c 7)${RANDOM}"
work="$(mktemp -d "${TMPDIR:-/tmp}/nilus-retention.XXXXXX")"
base="${NILUS_TEST_PG_URL}"
url="${base%/*}/${db}"
lake="${work}/lake"
catalog_db="${lake}/catalog.db"

sql() { psql -X -q -v ON_ERROR_STOP=1 "${url}" "$@"; }
scalar() { sql -At -c "$1"; }
cleanup() {
  if [[ "${NILUS_RETENTION_KEEP:-0}" == 1 ]]; then
    echo "retention: kept ${work} and database ${db}"
    return
  fi
  psql -X -q "${base}" -c "DROP DATABASE IF EXISTS ${db} WITH (FORCE)" >/dev/null 2>&1
  rm -rf "${work}"
}
trap cleanup EXIT

psql -X -q -v ON_ERROR_STOP=1 "${base}" -c "CREATE DATABASE ${db}" || exit 1

# Retention: runs 90 days, extract 30, normalize 45, load 60; running runs 365. Deletion in
# statements of 7 rows, archive batches of 9 runs. `env` execs nilus, so a pass run in the
# background is the nilus process itself (its SIGKILL is the job's exit status).
job_env=(NILUS_MANAGER_DATABASE="${url}" NILUS_MANAGER_RETENTION_DEFAULT_DAYS=90
  NILUS_MANAGER_RETENTION_RUNS_INFO_DAYS=90 NILUS_MANAGER_RETENTION_EXTRACT_INFO_DAYS=30
  NILUS_MANAGER_RETENTION_NORMALIZE_INFO_DAYS=45 NILUS_MANAGER_RETENTION_LOAD_INFO_DAYS=60
  NILUS_MANAGER_RETENTION_ABANDONED_RUNNING_DAYS=365 NILUS_MANAGER_RETENTION_BATCH_SIZE=7
  NILUS_MANAGER_ARCHIVE_ENABLED=true NILUS_MANAGER_ARCHIVE_WAREHOUSE="${lake}"
  NILUS_MANAGER_ARCHIVE_CATALOG="sqlite:///${catalog_db}" NILUS_MANAGER_ARCHIVE_BATCH_RUNS=9)
job=(env "${job_env[@]}" "${nilus}" manager --retention-once --now "${NOW}")

# The schema, created by the Manager's own migration (the metadata tables and the job's
# bookkeeping tables), in a pass over the empty tables at a NOW long before any run, so that it
# could not expire anything even if the tables held rows.
if ! env "${job_env[@]}" "${nilus}" manager --retention-once --now "2000-01-01T00:00:00Z" \
  >"${work}/init.json" 2>"${work}/init.log"; then
  echo "FAIL: creating the schema failed:"
  cat "${work}/init.log"
  exit 1
fi
for t in runs_info extract_info normalize_info load_info nilus_archive_batches nilus_archived_runs; do
  if [[ "$(scalar "SELECT to_regclass('public.${t}') IS NOT NULL")" != t ]]; then
    echo "FAIL: the migration did not create ${t}:"
    cat "${work}/init.log"
    exit 1
  fi
done

# ---- the runs ----
# 240 runs started 0..499 days (and some hours) before NOW: every 10th still running, every 7th
# failed; every 11th without stage rows. Run i has tables t1..t3 in load_info, t1 and t2 in
# normalize_info, and in extract_info those with (i + k) % 3 <> 0.
sql <<SQL || exit 1
SET TimeZone = 'UTC';
INSERT INTO runs_info (run_id, pipeline, status, mode, started_at, finished_at, nilus_version, host,
                       config_hash, load_id, full_refresh, tables_total, rows_loaded)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'p' || (i % 3),
       CASE WHEN i % 10 = 0 THEN 'running' WHEN i % 7 = 0 THEN 'failed' ELSE 'succeeded' END,
       CASE WHEN i % 4 = 0 THEN 'cdc' ELSE 'batch' END,
       TIMESTAMPTZ '${NOW}' - make_interval(days => (i * 37) % 500, hours => 1 + i % 20,
                                           secs => (i % 1000) / 1000.0),
       CASE WHEN i % 10 = 0 THEN NULL ELSE TIMESTAMPTZ '${NOW}' - make_interval(days => (i * 37) % 500) END,
       '0.1.0', 'host-' || (i % 2), 'cfg', 'L' || i, i % 5 = 0, 3, i
FROM generate_series(1, 240) i;
INSERT INTO extract_info (run_id, table_name, status, started_at, row_count, source_kind, source_table)
SELECT r.run_id, 't' || k, 'succeeded', r.started_at, r.rows_loaded * 10 + k, 'postgres', 'public.t' || k
FROM runs_info r, generate_series(1, 3) k WHERE r.rows_loaded % 11 <> 0 AND (r.rows_loaded + k) % 3 <> 0;
INSERT INTO normalize_info (run_id, table_name, status, started_at, row_count, variant_columns)
SELECT r.run_id, 't' || k, 'succeeded', r.started_at, r.rows_loaded * 100 + k, '["x__v_string"]'
FROM runs_info r, generate_series(1, 2) k WHERE r.rows_loaded % 11 <> 0;
INSERT INTO load_info (run_id, table_name, status, started_at, row_count, destination_table,
                       write_disposition, load_id, snapshot_id)
SELECT r.run_id, 't' || k, 'succeeded', r.started_at, r.rows_loaded * 1000 + k, 'shop.t' || k, 'merge',
       r.load_id, CASE WHEN k = 3 THEN NULL ELSE r.rows_loaded END
FROM runs_info r, generate_series(1, 3) k WHERE r.rows_loaded % 11 <> 0;
SQL

# ---- the expectations, computed before the job runs ----
# due(D): the run's rows of a table kept D days are due.
due() {
  echo "(r.started_at < TIMESTAMPTZ '${NOW}' - interval '$1 days' AND (r.status <> 'running' OR r.started_at < TIMESTAMPTZ '${NOW}' - interval '365 days'))"
}
copy_out() { sql -c "SET TimeZone = 'UTC'" -c "COPY ($1) TO STDOUT WITH (FORMAT csv, HEADER, NULL '\\N')"; }

# The archive: the runs due at the shortest retention (30 days), one row per run and table.
copy_out "WITH t AS (SELECT run_id, table_name FROM extract_info UNION SELECT run_id, table_name FROM normalize_info
                     UNION SELECT run_id, table_name FROM load_info)
          SELECT r.run_id, t.table_name, r.status AS run_status,
                 (extract(epoch FROM r.started_at) * 1000000)::bigint AS run_started_us,
                 e.row_count AS extract_row_count, n.row_count AS normalize_row_count,
                 l.row_count AS load_row_count, l.destination_table AS load_destination_table
          FROM runs_info r LEFT JOIN t ON t.run_id = r.run_id
          LEFT JOIN extract_info e ON e.run_id = r.run_id AND e.table_name = t.table_name
          LEFT JOIN normalize_info n ON n.run_id = r.run_id AND n.table_name = t.table_name
          LEFT JOIN load_info l ON l.run_id = r.run_id AND l.table_name = t.table_name
          WHERE $(due 30) ORDER BY 1, 2" >"${work}/expected_archive.csv" || exit 1
# The survivors of each table.
keys() {  # TABLE DAYS
  if [[ "$1" == runs_info ]]; then
    echo "SELECT r.run_id FROM runs_info r WHERE NOT $(due "$2") ORDER BY 1"
  else
    echo "SELECT s.run_id, s.table_name FROM $1 s JOIN runs_info r USING (run_id)
          WHERE NOT $(due "$2") AND NOT $(due 90) ORDER BY 1, 2"
  fi
}
declare -A days=([runs_info]=90 [extract_info]=30 [normalize_info]=45 [load_info]=60)
for t in runs_info extract_info normalize_info load_info; do
  copy_out "$(keys "${t}" "${days[${t}]}")" >"${work}/expected_${t}.csv" || exit 1
done
total_rows() {
  scalar "SELECT (SELECT count(*) FROM runs_info) + (SELECT count(*) FROM extract_info) +
                 (SELECT count(*) FROM normalize_info) + (SELECT count(*) FROM load_info)"
}
rows_before="$(total_rows)"
due_runs="$(scalar "SELECT count(*) FROM runs_info r WHERE $(due 30)")"
batches=$(((due_runs + 8) / 9))
archive_rows=$(($(wc -l <"${work}/expected_archive.csv") - 1))
echo "retention: ${rows_before} metadata rows; ${due_runs} runs due for the archive (${archive_rows} rows, ${batches} batches of 9)"
if ((batches <= KILLS)); then
  echo "FAIL: the scenario needs more than ${KILLS} batches"
  exit 1
fi

# ---- 1. crashes right after archive commits ----
for ((k = 1; k <= KILLS; k++)); do
  # In a subshell whose stderr is /dev/null, so that bash's report of the kill ("Killed") does
  # not clutter the output; the subshell exits with the pass's status (137 for SIGKILL).
  (
    NILUS_MANAGER_CRASH_AFTER_ARCHIVE_COMMIT=1 "${job[@]}" \
      >"${work}/kill-${k}.json" 2>"${work}/kill-${k}.log"
    exit $?
  ) 2>/dev/null
  rc=$?
  if [[ ${rc} -ne 137 ]]; then
    echo "FAIL: pass ${k} with the crash hook ended with rc=${rc}, not by SIGKILL (137):"
    tail -20 "${work}/kill-${k}.log"
    exit 1
  fi
  pending="$(scalar "SELECT count(*) FROM nilus_archive_batches WHERE state = 'pending'")"
  done_batches="$(scalar "SELECT count(*) FROM nilus_archive_batches WHERE state = 'done'")"
  marked="$(scalar "SELECT count(*) FROM nilus_archived_runs")"
  if [[ "${pending}" != 1 || "${done_batches}" != $((k - 1)) || "${marked}" != $(((k - 1) * 9)) ]]; then
    echo "FAIL: after kill ${k}: ${pending} pending and ${done_batches} done batches, ${marked} runs marked" \
      "(expected 1, $((k - 1)), $(((k - 1) * 9)))"
    exit 1
  fi
  if [[ "$(total_rows)" != "${rows_before}" ]]; then
    echo "FAIL: after kill ${k}: rows were deleted before the archive was complete"
    exit 1
  fi
  if [[ ${k} -gt 1 ]] && ! grep -q "is already in" "${work}/kill-${k}.log"; then
    echo "FAIL: pass ${k} did not find the previous batch's load id committed:"
    tail -20 "${work}/kill-${k}.log"
    exit 1
  fi
  echo "retention: kill ${k}: killed after an archive commit; 1 batch pending, no row deleted"
done

# ---- 2. the rerun ----
if ! "${job[@]}" >"${work}/rerun.json" 2>"${work}/rerun.log"; then
  echo "FAIL: the rerun after the crashes failed:"
  tail -20 "${work}/rerun.log"
  exit 1
fi
echo "retention: rerun: $(cat "${work}/rerun.json")"
if ! grep -q "is already in" "${work}/rerun.log"; then
  echo "FAIL: the rerun did not find the last killed batch's load id committed"
  exit 1
fi
if ! grep -q "\"archive_commits\": $((batches - KILLS))," "${work}/rerun.json"; then
  echo "FAIL: the rerun should have committed $((batches - KILLS)) batches"
  exit 1
fi

# ---- 3. checks ----
failed=0
metadata_location="$(sqlite3 "${catalog_db}" \
  "SELECT metadata_location FROM iceberg_tables WHERE table_namespace = 'nilus_meta' AND table_name = 'runs_archive'")"
if [[ -z "${metadata_location}" ]]; then
  echo "FAIL: nilus_meta.runs_archive is not in the catalog"
  exit 1
fi
node "${here}/check_archive.mjs" "${metadata_location}" "${work}/expected_archive.csv" "${batches}" || failed=1
for t in runs_info extract_info normalize_info load_info; do
  if [[ "${t}" == runs_info ]]; then
    q="SELECT run_id FROM runs_info ORDER BY 1"
  else
    q="SELECT run_id, table_name FROM ${t} ORDER BY 1, 2"
  fi
  copy_out "${q}" >"${work}/actual_${t}.csv" || exit 1
  if ! diff -q "${work}/expected_${t}.csv" "${work}/actual_${t}.csv" >/dev/null; then
    echo "FAIL: ${t} does not hold exactly the rows that must survive (< expected, > actual):"
    diff "${work}/expected_${t}.csv" "${work}/actual_${t}.csv" | head -10
    failed=1
  else
    echo "check: ${t}: ok: $(($(wc -l <"${work}/actual_${t}.csv") - 1)) rows survive"
  fi
done
leftover="$(scalar "SELECT count(*) FROM nilus_archive_batches WHERE state <> 'done'")"
[[ "${leftover}" == 0 ]] || { echo "FAIL: ${leftover} archive batches are not done"; failed=1; }

# ---- 4. a pass with nothing to do ----
if ! "${job[@]}" >"${work}/idle.json" 2>"${work}/idle.log"; then
  echo "FAIL: the last pass failed:"
  tail -20 "${work}/idle.log"
  exit 1
fi
expected_idle='{"runs_archived": 0, "archive_rows": 0, "archive_commits": 0, "lock_busy": false, "deleted": {}}'
if [[ "$(cat "${work}/idle.json")" != "${expected_idle}" ]]; then
  echo "FAIL: the last pass did something: $(cat "${work}/idle.json")"
  failed=1
fi

# ---- negative control: the checker notices a missing row ----
head -n -1 "${work}/expected_archive.csv" >"${work}/control.csv"
if node "${here}/check_archive.mjs" "${metadata_location}" "${work}/control.csv" >"${work}/control.log" 2>&1 ||
   ! grep -q "rows were not expected" "${work}/control.log"; then
  echo "FAIL: the checker did not notice an unexpected row:"
  cat "${work}/control.log"
  failed=1
else
  echo "retention: negative control ok (the checker reports a row it did not expect)"
fi

if [[ ${failed} -eq 0 ]]; then
  echo "retention: ok: ${KILLS} crashes after archive commits, every run archived exactly once"
fi
exit "${failed}"
