#!/usr/bin/env bash
# Crash idempotency of `nilus run`: a run killed with SIGKILL at any point and then rerun must
# end with exactly the rows of the source, for every write disposition.
#
#   crash_test.sh NILUS_BIN [sqlite|postgres|jsonl]
#
# Source: a SQLite database (or, with `postgres`, a schema in the PostgreSQL database of
# NILUS_TEST_PG_URL; exit code 77, a skip, when it is unset) with three tables of ROWS rows
# (id primary key, payload, updated_at), loaded by one pipeline:
#   m  merge on id, incremental on updated_at (updates and inserts between runs)
#   r  replace (updates, deletes and inserts between runs)
#   a  append, incremental on id with lag 100 (inserts between runs; rows re-read in the lag
#      window must be de-duplicated)
# With `jsonl`, the source is instead a JSON Lines file of rows with a list `items`, loaded
# by merge on id into a root table j and a child table j__items (children committed first, root
# last): j must hold the file's rows and j__items exactly the current list items of each row.
# An updated row's list changes length (0 -> 2, 1 -> 3, 2 -> 4, 3 -> 0, 4 -> 1 items), so lists
# that grow, shrink and empty are all checked: the merge must replace a row's items as a whole.
# Each trial starts from a fresh warehouse and has two phases: a full load, then (after the
# source changed) an incremental load. In each phase `nilus run` is killed with SIGKILL once or
# twice after a random delay within a clean run's duration, then run to completion; the
# tables are then compared with the source by check_table.mjs (icebird + DuckDB: no duplicates,
# no gaps, no stale versions). `nilus table orphans --dry-run` is printed for information only:
# a killed run may leave orphan files.
#
# Environment:
#   NILUS_CRASH_SEED    the random seed (default: from the clock; always printed)
#   NILUS_CRASH_TRIALS  trials (default 20, or 100 with NILUS_SLOW_TESTS=1)
#   NILUS_CRASH_ROWS    rows per table at the start (default 10000)
#   NILUS_CRASH_KEEP=1  keep the work directory
# Exit code 0 when every trial matched, 1 otherwise.
set -uo pipefail

if [[ $# -lt 1 || $# -gt 2 || ! "${2:-sqlite}" =~ ^(sqlite|postgres|jsonl)$ ]]; then
  echo "usage: crash_test.sh NILUS_BIN [sqlite|postgres|jsonl]" >&2
  exit 2
fi
kind="${2:-sqlite}"
if [[ "${kind}" == postgres && -z "${NILUS_TEST_PG_URL:-}" ]]; then
  echo "crash: skipped: NILUS_TEST_PG_URL is not set"
  exit 77
fi
nilus="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checker="${here}/check_table.mjs"
for tool in sqlite3 node psql; do
  if ! command -v "${tool}" >/dev/null; then
    echo "FAIL: ${tool} is not installed (run scripts/setup)" >&2
    exit 1
  fi
done

seed="${NILUS_CRASH_SEED:-$(($(date +%s%N) % 2147483647))}"
if [[ -n "${NILUS_CRASH_TRIALS:-}" ]]; then
  trials="${NILUS_CRASH_TRIALS}"
elif [[ "${NILUS_SLOW_TESTS:-0}" == 1 ]]; then
  trials=100
else
  trials=20
fi
rows="${NILUS_CRASH_ROWS:-10000}"
RANDOM="${seed}"
echo "crash: ${kind} source, seed=${seed} trials=${trials} rows=${rows} (rerun with NILUS_CRASH_SEED=${seed})"

work="$(mktemp -d "${TMPDIR:-/tmp}/nilus-crash.XXXXXX")"
cleanup() {
  if [[ -n "${run_pid:-}" ]]; then kill -9 "${run_pid}" 2>/dev/null; fi
  if [[ -n "${pg_schema:-}" ]]; then
    echo "SET client_min_messages = warning; DROP SCHEMA IF EXISTS ${pg_schema} CASCADE;" | src_sql
  fi
  if [[ "${NILUS_CRASH_KEEP:-0}" == 1 ]]; then
    echo "crash: work directory kept: ${work}"
  else
    rm -rf "${work}"
  fi
}
trap cleanup EXIT

wh="${work}/warehouse"
catalog_db="${wh}/catalog.db"
pipeline="${work}/pipeline.yaml"
tables=(m r a)
columns="id,payload,updated_at"

# ---- the source ----

if [[ "${kind}" != postgres ]]; then
  db="${work}/source.db"
  src_sql() { sqlite3 "${db}" >/dev/null; }
  # src_csv TABLE: the table's rows as CSV with a header, NULL as \N.
  src_csv() { sqlite3 -header -csv -cmd '.nullvalue "\\N"' "${db}" "SELECT ${columns} FROM $1"; }
  src_yaml="  kind: sqlite
  path: ${db}"
  prefix=""
  int_type="INTEGER"
  echo "PRAGMA journal_mode = WAL;" | src_sql
else
  pg_schema="nilus_crash_$$"
  src_sql() { psql -q -v ON_ERROR_STOP=1 "${NILUS_TEST_PG_URL}" >/dev/null; }
  src_csv() {
    psql -q -v ON_ERROR_STOP=1 "${NILUS_TEST_PG_URL}" \
      -c "COPY (SELECT ${columns} FROM ${pg_schema}.$1) TO STDOUT WITH (FORMAT csv, HEADER, NULL '\\N')"
  }
  src_yaml="  kind: postgres
  url: ${NILUS_TEST_PG_URL}"
  prefix="${pg_schema}."
  int_type="BIGINT"
  echo "SET client_min_messages = warning; DROP SCHEMA IF EXISTS ${pg_schema} CASCADE; CREATE SCHEMA ${pg_schema};" |
    src_sql || exit 1
fi

if [[ "${kind}" == jsonl ]]; then
  # The file's rows are kept in SQLite (j and its list items) and written out after each change.
  tables=(j items)
  jsonl="${work}/data/j.jsonl"
  mkdir -p "${work}/data"
  src_csv() {
    if [[ "$1" == j ]]; then
      sqlite3 -header -csv -cmd '.nullvalue "\\N"' "${db}" "SELECT ${columns} FROM j"
    else
      sqlite3 -header -csv "${db}" "SELECT parent_id AS _parent, idx AS _nilus_list_idx, sku, qty FROM items"
    fi
  }
  write_jsonl() {
    sqlite3 "${db}" "SELECT json_object('id', id, 'payload', payload, 'updated_at', updated_at, 'items',
        json((SELECT json_group_array(json_object('sku', sku, 'qty', qty))
              FROM (SELECT sku, qty FROM items WHERE parent_id = j.id ORDER BY idx))))
      FROM j ORDER BY id" >"${jsonl}.tmp" && mv "${jsonl}.tmp" "${jsonl}"
  }
  src_sql <<SQL || exit 1
CREATE TABLE j (id INTEGER PRIMARY KEY, payload TEXT, updated_at INTEGER NOT NULL);
CREATE TABLE items (parent_id INTEGER, idx INTEGER, sku TEXT, qty INTEGER, PRIMARY KEY (parent_id, idx));
INSERT INTO j
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${rows})
  SELECT i, CASE WHEN i % 97 = 0 THEN NULL ELSE 'j' || i || '-v0' END, i FROM c;
INSERT INTO items
  WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < 3)
  SELECT id, n, 'sku-' || id || '-' || n || '-v0', n + 1 FROM j, k WHERE n < id % 4;
SQL
  write_jsonl
  modify_source() {
    local k=$1 n=$((rows / 50 + 1))
    src_sql <<SQL
BEGIN;
CREATE TEMP TABLE touched AS
  SELECT id, ((SELECT count(*) FROM items WHERE parent_id = j.id) + 2) % 5 AS cnt
  FROM j WHERE id % 17 = ${k} % 17;
INSERT INTO touched
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${n}),
    b AS (SELECT max(id) AS id0 FROM j)
  SELECT id0 + i, (id0 + i + ${k}) % 4 FROM c, b;
INSERT OR REPLACE INTO j SELECT id, 'j' || id || '-v${k}', ${k} FROM touched;
DELETE FROM items WHERE parent_id IN (SELECT id FROM touched);
INSERT INTO items
  WITH RECURSIVE q(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM q WHERE n < 3)
  SELECT id, n, 'sku-' || id || '-' || n || '-v${k}', n + 10 * ${k} FROM touched, q WHERE n < cnt;
COMMIT;
SQL
    write_jsonl
  }
  src_yaml="  kind: jsonl"
  table_yaml="    - name: j
      path: ${jsonl}
      primary_key: [id]
      write_disposition: merge"
else
src_sql <<SQL || exit 1
CREATE TABLE ${prefix}m (id ${int_type} PRIMARY KEY, payload TEXT, updated_at ${int_type} NOT NULL);
CREATE TABLE ${prefix}r (id ${int_type} PRIMARY KEY, payload TEXT, updated_at ${int_type} NOT NULL);
CREATE TABLE ${prefix}a (id ${int_type} PRIMARY KEY, payload TEXT, updated_at ${int_type} NOT NULL);
INSERT INTO ${prefix}m
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${rows})
  SELECT i, CASE WHEN i % 97 = 0 THEN NULL
                 ELSE 'm' || i || '-v0-' || substr('abcdefghijklmnopqrstuvwxyz', 1 + i % 20) END, i
  FROM c;
INSERT INTO ${prefix}r SELECT id, replace(payload, 'm', 'r'), updated_at FROM ${prefix}m;
INSERT INTO ${prefix}a SELECT id, replace(payload, 'm', 'a'), updated_at FROM ${prefix}m;
SQL

# Round k of changes: merge gets updates (with a cursor past every stored one) and inserts;
# replace gets updates, deletes and inserts; append gets inserts only (an append table keeps
# the first version of a row, so updates there would be out of the source's contract).
modify_source() {
  local k=$1 n=$((rows / 50 + 1)) p="${prefix}"
  src_sql <<SQL
BEGIN;
UPDATE ${p}m SET payload = 'm' || id || '-v${k}', updated_at = (SELECT max(updated_at) FROM ${p}m) + 1
  WHERE id % 17 = ${k} % 17;
INSERT INTO ${p}m
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${n}),
    b AS (SELECT max(id) AS id0, max(updated_at) AS u0 FROM ${p}m)
  SELECT id0 + i, 'm' || (id0 + i) || '-new${k}', u0 + 1 FROM c, b;
UPDATE ${p}r SET payload = 'r' || id || '-v${k}' WHERE id % 19 = ${k} % 19;
DELETE FROM ${p}r WHERE id % 23 = ${k} % 23;
INSERT INTO ${p}r
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${n}),
    b AS (SELECT max(id) AS id0 FROM ${p}r)
  SELECT id0 + i, 'r' || (id0 + i) || '-new${k}', ${k} FROM c, b;
INSERT INTO ${p}a
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${n}),
    b AS (SELECT max(id) AS id0 FROM ${p}a)
  SELECT id0 + i, 'a' || (id0 + i) || '-new${k}', ${k} FROM c, b;
COMMIT;
SQL
}

table_yaml="    - name: ${prefix}m
      write_disposition: merge
      incremental: { cursor: updated_at }
    - name: ${prefix}r
      write_disposition: replace
    - name: ${prefix}a
      write_disposition: append
      incremental: { cursor: id, lag: 100 }"
fi

cat >"${pipeline}" <<YAML
name: crash
source:
${src_yaml}
  tables:
${table_yaml}
destination:
  warehouse: ${wh}
  catalog: sqlite:///${catalog_db}
  namespace: crash
YAML

# ---- running and killing ----

now_ms() { echo $(($(date +%s%N) / 1000000)); }
rand31() { echo $(((RANDOM << 15) | RANDOM)); }

# run LOG: a run to completion; its exit code.
run_to_end() {
  "${nilus}" run "${pipeline}" >"$1" 2>&1
}

# kill_run LOG MAX_MS: starts a run and sends SIGKILL after a random delay in [0, MAX_MS).
# Prints "killed@Nms", or "finished@Nms" when the run ended first; returns 1 when a run that
# ended by itself failed.
kill_run() {
  local log=$1 max_ms=$2 delay rc
  delay=$(($(rand31) % max_ms))
  "${nilus}" run "${pipeline}" >"${log}" 2>&1 &
  run_pid=$!
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -9 "${run_pid}" 2>/dev/null
  # The exit status tells whether the kill landed: a run that had already ended keeps its own.
  wait "${run_pid}"
  rc=$?
  run_pid=
  if [[ ${rc} -eq 137 ]]; then
    echo -n "killed@${delay}ms "
    return 0
  fi
  echo -n "finished-before-kill@${delay}ms(rc=${rc}) "
  return $((rc != 0))
}

# The destination table of a source table (a JSON list's items load into j__items).
dest_of() { if [[ "$1" == items ]]; then echo j__items; else echo "$1"; fi; }

metadata_location() {
  sqlite3 "${catalog_db}" \
    "SELECT metadata_location FROM iceberg_tables WHERE table_namespace = 'crash' AND table_name = '$1'"
}

# check LABEL: compares every table with the source.
check() {
  local args=() t
  for t in "${tables[@]}"; do
    src_csv "${t}" >"${work}/${t}.csv" || return 1
    local loc
    loc="$(metadata_location "$(dest_of "${t}")")"
    if [[ -z "${loc}" ]]; then
      echo "FAIL: $1: table crash.${t} is not in the catalog"
      return 1
    fi
    if [[ "${t}" == items ]]; then
      args+=("${loc}" "${work}/${t}.csv" "j>_nilus_list_idx,sku,qty")
    else
      args+=("${loc}" "${work}/${t}.csv" "${columns}")
    fi
  done
  node "${checker}" "${args[@]}" 2>&1 | sed "s/^/  $1: /"
  return "${PIPESTATUS[0]}"
}

orphans() {
  local t out
  for t in "${tables[@]}"; do
    out="$("${nilus}" table orphans --catalog "sqlite:///${catalog_db}" "crash.$(dest_of "${t}")" --dry-run --older-than 0 2>&1)"
    echo "  orphans crash.$(dest_of "${t}") (information only): $(tail -1 <<<"${out}")"
  done
}

# ---- calibration: one clean full run and one clean incremental run ----

round=0
rm -rf "${wh}"
t0=$(now_ms)
if ! run_to_end "${work}/calibrate-full.log"; then
  echo "FAIL: a clean full run failed:"
  tail -20 "${work}/calibrate-full.log"
  exit 1
fi
full_ms=$(($(now_ms) - t0))
check "clean full run" || exit 1
round=$((round + 1))
modify_source "${round}"
t0=$(now_ms)
if ! run_to_end "${work}/calibrate-incr.log"; then
  echo "FAIL: a clean incremental run failed:"
  tail -20 "${work}/calibrate-incr.log"
  exit 1
fi
incr_ms=$(($(now_ms) - t0))
check "clean incremental run" || exit 1
echo "crash: a clean full run takes ${full_ms} ms, an incremental run ${incr_ms} ms"

# ---- negative control ----
# The same pipeline with `a` (jsonl: `j`) a plain append (no cursor), run twice, holds every row
# of it twice: the checker must say so, or the trials below would prove nothing.
control_table=a
[[ "${kind}" == jsonl ]] && control_table=j
sed -e "s|${wh}|${work}/control|g" -e '/cursor: id, lag: 100/d' \
  -e 's/write_disposition: merge$/write_disposition: append/' "${pipeline}" >"${work}/control.yaml"
if ! "${nilus}" run "${work}/control.yaml" >"${work}/control-1.log" 2>&1 ||
   ! "${nilus}" run "${work}/control.yaml" >"${work}/control-2.log" 2>&1; then
  echo "FAIL: the negative control's runs failed:"
  tail -20 "${work}/control-2.log"
  exit 1
fi
saved_catalog="${catalog_db}"
catalog_db="${work}/control/catalog.db"
if check "negative control" >"${work}/control-check.log" 2>&1; then
  echo "FAIL: the checker did not notice a table loaded twice:"
  cat "${work}/control-check.log"
  exit 1
fi
if ! grep -q "${control_table}: .*keys appear more than once" "${work}/control-check.log"; then
  echo "FAIL: the negative control failed for another reason than duplicates in ${control_table}:"
  cat "${work}/control-check.log"
  exit 1
fi
catalog_db="${saved_catalog}"
echo "crash: negative control ok (the checker reports a table loaded twice: $(grep -o '[0-9]* keys appear more than once' "${work}/control-check.log" | head -1))"

# ---- trials ----

failed=0
killed=0
for ((trial = 1; trial <= trials; trial++)); do
  rm -rf "${wh}"
  tdir="${work}/trial-${trial}"
  mkdir -p "${tdir}"
  ok=1
  for phase in full incr; do
    if [[ "${phase}" == incr ]]; then
      round=$((round + 1))
      modify_source "${round}"
      max_ms=$((incr_ms * 11 / 10 + 1))
    else
      max_ms=$((full_ms * 11 / 10 + 1))
    fi
    kills=$((1 + RANDOM % 2))
    line="trial ${trial} ${phase}: "
    for ((k = 1; k <= kills; k++)); do
      out="$(kill_run "${tdir}/${phase}-kill${k}.log" "${max_ms}")"
      rc=$?
      line+="${out}"
      [[ "${out}" == killed* ]] && killed=$((killed + 1))
      if [[ ${rc} -ne 0 ]]; then
        echo "FAIL: trial ${trial} ${phase}: a run that was not killed failed:"
        tail -20 "${tdir}/${phase}-kill${k}.log"
        ok=0
      fi
    done
    if ! run_to_end "${tdir}/${phase}-final.log"; then
      echo "${line}"
      echo "FAIL: trial ${trial} ${phase}: the rerun after the crash failed:"
      tail -20 "${tdir}/${phase}-final.log"
      ok=0
      break
    fi
    echo "${line}rerun ok"
    if ! check "trial ${trial} ${phase}"; then
      ok=0
      break
    fi
  done
  if [[ ${ok} -eq 1 ]]; then
    [[ $((trial % 5)) -eq 0 || ${trial} -eq 1 ]] && orphans
  else
    failed=$((failed + 1))
    if [[ "${NILUS_CRASH_KEEP:-0}" != 1 ]]; then
      cp -r "${wh}" "${tdir}/warehouse" 2>/dev/null
      NILUS_CRASH_KEEP=1
    fi
  fi
done

echo "crash: ${trials} trials, ${failed} failed, ${killed} runs killed mid-way; seed=${seed}"
[[ ${failed} -eq 0 ]]
