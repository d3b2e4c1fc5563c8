#!/usr/bin/env bash
# End-to-end CDC tests of `nilus run` against the PostgreSQL of NILUS_TEST_PG_URL (exit code
# 77, a skip, when it is unset). Each scenario works in a database of its own, created here and
# dropped at the end with its replication slot.
#
#   cdc_test.sh NILUS_BIN crash   pgbench (TPC-B-like) writes while nilus is killed with SIGKILL
#                                 at random moments (NILUS_CDC_KILLS, default 10) and restarted,
#                                 the first kill possibly during the initial snapshot; then one
#                                 run with --until-lsn current. The mirrors of pgbench_accounts,
#                                 _branches and _tellers must equal the source (check_table.mjs:
#                                 no duplicates, gaps or stale rows) and the change log of
#                                 pgbench_history (no primary key: change log only) must hold
#                                 exactly one row per source row, no LSN twice (change logs
#                                 partitioned by day of commit_time).
#   cdc_test.sh NILUS_BIN basic   updates, deletes, a key change, a 1 MB TOAST value under many
#                                 updates of other columns, truncate, an added and a dropped
#                                 column, checked after each step.
#   cdc_test.sh NILUS_BIN resilience
#                                 on a PostgreSQL cluster of its own (scripts/pg): a server
#                                 restart while nilus streams, a 1,000,000-row transaction
#                                 streamed before its commit (logical_decoding_work_mem 1MB)
#                                 with nilus's peak RSS printed and bounded, the slot advancing
#                                 on writes to an unpublished table only, /metrics scraped,
#                                 SIGTERM ending the run with exit code 0; then the mirror must
#                                 equal the source.
#   cdc_test.sh NILUS_BIN types   the type zoo (configured as public.*): every mapped type
#                                 inserted, updated and deleted while streaming; the mirror must equal the source (values
#                                 compared as text, the source side formatted as DuckDB prints
#                                 them).
#
# Environment: NILUS_CDC_SEED (random seed, printed), NILUS_CDC_KEEP=1 keeps the work directory.
set -uo pipefail

if [[ $# -ne 2 || ! "$2" =~ ^(crash|basic|resilience|types)$ ]]; then
  echo "usage: cdc_test.sh NILUS_BIN crash|basic|resilience|types" >&2
  exit 2
fi
if [[ -z "${NILUS_TEST_PG_URL:-}" ]]; then
  echo "cdc: skipped: NILUS_TEST_PG_URL is not set"
  exit 77
fi
scenario="$2"
nilus="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pgbin="${NILUS_PG_BIN:-/usr/lib/postgresql/15/bin}"
for tool in node sqlite3 psql; do
  command -v "${tool}" >/dev/null || { echo "FAIL: ${tool} is not installed (run scripts/setup)" >&2; exit 1; }
done

seed="${NILUS_CDC_SEED:-$(($(date +%s%N) % 32768))}"
RANDOM="${seed}"
tag="$(date +%s%N | tail -c 7)${RANDOM}"
db="nilus_cdc_${tag}"
slot="nilus_cdc_${tag}"
work="$(mktemp -d "${TMPDIR:-/tmp}/nilus-cdc.XXXXXX")"
chmod 755 "${work}"
base_url="${NILUS_TEST_PG_URL}"
if [[ "${scenario}" == resilience ]]; then
  # A server of our own: this scenario restarts it.
  base_url="$("${here}/../../scripts/pg" start "${work}/pg" 2>"${work}/pg.log")" || {
    cat "${work}/pg.log" >&2
    exit 1
  }
fi
url="${base_url%/*}/${db}"
wh="${work}/warehouse"
echo "cdc: ${scenario}, seed=${seed} database=${db} (rerun with NILUS_CDC_SEED=${seed})"

sql() { psql -X -q -v ON_ERROR_STOP=1 "${url}" "$@"; }
cleanup() {
  [[ -n "${run_pid:-}" ]] && kill -9 "${run_pid}" 2>/dev/null
  [[ -n "${bench_pid:-}" ]] && kill -9 "${bench_pid}" 2>/dev/null
  wait 2>/dev/null
  psql -X -q "${base_url}" -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
      WHERE slot_name = '${slot}'" >/dev/null 2>&1
  psql -X -q "${base_url}" -c "DROP DATABASE IF EXISTS ${db} WITH (FORCE)" >/dev/null 2>&1
  [[ "${scenario}" == resilience ]] && "${here}/../../scripts/pg" destroy "${work}/pg" >/dev/null 2>&1
  if [[ "${NILUS_CDC_KEEP:-0}" == 1 ]]; then echo "cdc: kept ${work}"; else rm -rf "${work}"; fi
}
trap cleanup EXIT
psql -X -q -v ON_ERROR_STOP=1 "${base_url}" -c "CREATE DATABASE ${db}" || exit 1

failed=0
fail() {
  echo "FAIL: $*" >&2
  failed=1
}

extra_cdc=""
extra_top=""
write_pipeline() {  # TABLE...
  {
    echo "name: cdc_${scenario}"
    echo "source:"
    echo "  kind: postgres"
    echo "  url: ${url}"
    echo "  tables:"
    for t in "$@"; do echo "    - name: public.${t}"; done
    echo "destination:"
    echo "  warehouse: ${wh}"
    echo "  namespace: cdc"
    echo "cdc: { slot: ${slot}, publication: ${slot}, flush_interval: 1s${extra_cdc} }"
    [[ -z "${extra_top}" ]] || echo "${extra_top}"
  } >"${work}/pipeline.yaml"
}

metadata_of() {
  sqlite3 "${wh}/catalog.db" "SELECT metadata_location FROM iceberg_tables
      WHERE table_namespace = 'cdc' AND table_name = '$1'"
}

# check_mirror TABLE "SELECT list" COLUMNS: the mirror equals the source.
check_mirror() {
  local table="$1" select="$2" columns="$3"
  sql -c "\\copy (SELECT ${select} FROM ${table}) TO '${work}/${table}.csv' CSV HEADER NULL '\\N'"
  local meta
  meta="$(metadata_of "${table}")"
  if [[ -z "${meta}" ]]; then
    fail "${table}: no mirror table"
    return
  fi
  node "${here}/../pipeline_crash/check_table.mjs" "${meta}" "${work}/${table}.csv" "${columns}" ||
    fail "${table}: mirror differs from the source"
}

run_until_current() {  # the run must succeed
  if ! "${nilus}" run "${work}/pipeline.yaml" --until-lsn current >"${work}/run.out" 2>"${work}/run.err"; then
    cat "${work}/run.err" >&2
    fail "nilus run --until-lsn current failed"
    return 1
  fi
  grep -E '"(events|reconnects|snapshot_taken)"' "${work}/run.out" | tr -d ' \n'
  echo
}

if [[ "${scenario}" == crash ]]; then
  if [[ "${NILUS_SLOW_TESTS:-0}" == 1 ]]; then kills="${NILUS_CDC_KILLS:-40}"; else kills="${NILUS_CDC_KILLS:-10}"; fi
  "${pgbin}/pgbench" -q -i -s 1 "${url}" >"${work}/pgbench-init.log" 2>&1 || {
    cat "${work}/pgbench-init.log" >&2
    exit 1
  }
  extra_cdc=", changelog_partition: day"
  write_pipeline pgbench_accounts pgbench_branches pgbench_tellers pgbench_history
  # About 20 transactions a second for the whole series of kills (5 row changes each).
  duration=$((kills * 6 + 10))
  "${pgbin}/pgbench" -n -c 2 -R 20 -T "${duration}" "${url}" >"${work}/pgbench.log" 2>&1 &
  bench_pid=$!
  for ((k = 1; k <= kills; ++k)); do
    "${nilus}" run "${work}/pipeline.yaml" >>"${work}/killed.out" 2>>"${work}/killed.err" &
    run_pid=$!
    # The first kill lands during the initial snapshot (100,000 rows), the others at 2 .. 8 s:
    # in streaming and in commits.
    if ((k == 1)); then sleep "0.$((RANDOM % 6 + 3))"; else sleep "$((RANDOM % 6 + 2)).$((RANDOM % 10))"; fi
    kill -9 "${run_pid}" 2>/dev/null
    wait "${run_pid}" 2>/dev/null
    run_pid=""
  done
  wait "${bench_pid}"
  bench_pid=""
  tail -n 3 "${work}/pgbench.log"
  run_until_current
  check_mirror pgbench_accounts "aid, bid, abalance, filler" "aid,bid,abalance,filler"
  check_mirror pgbench_branches "bid, bbalance, filler" "bid,bbalance,filler"
  check_mirror pgbench_tellers "tid, bid, tbalance, filler" "tid,bid,tbalance,filler"
  # Snapshot rows exactly once, and no change twice (no LSN twice) in every change log.
  for t in accounts:100000 branches:1 tellers:10; do
    node "${here}/check_changelog.mjs" "$(metadata_of "pgbench_${t%%:*}__changelog")" "${t##*:}" snapshot ||
      fail "pgbench_${t%%:*}: change log"
  done
  grep -c "initial snapshot did not finish" "${work}/killed.err" | sed 's/^/cdc: interrupted snapshots restarted: /'
  meta="$(metadata_of pgbench_history__changelog)"
  grep -q '"transform" *: *"day"' "${meta#file://}" || fail "the change log is not partitioned by day"
  history_rows="$(sql -At -c "SELECT count(*) FROM pgbench_history")"
  node "${here}/check_changelog.mjs" "$(metadata_of pgbench_history__changelog)" "${history_rows}" ||
    fail "pgbench_history: change log"
  echo "cdc: pgbench_history has ${history_rows} rows"
elif [[ "${scenario}" == types ]]; then
  sql <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE zoo (id int PRIMARY KEY, b bool, i2 int2, i8 int8, f4 float4, f8 float8,
  n numeric(12,3), un numeric, t text, vc varchar(10), c char(3), d date, tm time, ts timestamp,
  tz timestamptz, iv interval, u uuid, j jsonb, js json, ja int[], ta text[], e mood, ip inet,
  m money, dom posint, by bytea);
SQL
  zoo_row() {  # ID: a row whose values depend on ID
    echo "($1, $1 % 2 = 0, $1 % 300, $1 * 10000000000, $1 + 0.5, $1 / 3.0 + 0.001, $1 * 1.125, $1 * 2.5,
      'text ' || $1 || ' ünïcödé \"q\"', 'vc' || $1, 'c' || ($1 % 10), date '2024-02-29' + $1,
      time '12:34:56.789' + $1 * interval '1 second', timestamp '2024-01-01 00:00:00.123456' + $1 * interval '1 hour',
      timestamptz '2024-01-01 00:00:00+00' + $1 * interval '1 minute', $1 * interval '1 day 2 hours',
      md5($1::text)::uuid, jsonb_build_object('k', $1, 'a', jsonb_build_array(1, 'x')), '{\"j\": $1}',
      ARRAY[$1, NULL, 3], ARRAY['a' || $1, 'b'], (ARRAY['sad', 'ok', 'happy'])[$1 % 3 + 1]::mood,
      ('10.0.0.' || ($1 % 250))::inet, $1 * 1.5, $1 + 1, decode(md5($1::text), 'hex'))"
  }
  rows=""
  for i in $(seq 1 40); do rows+="${rows:+,}$(zoo_row "$i")"; done
  sql -c "INSERT INTO zoo VALUES ${rows}"
  sql -c "INSERT INTO zoo (id) VALUES (1000)"  # every other column null
  write_pipeline '*'  # public.*: every table of the schema (here the one table zoo)
  run_until_current
  rows=""
  for i in $(seq 41 60); do rows+="${rows:+,}$(zoo_row "$i")"; done
  sql -c "INSERT INTO zoo VALUES ${rows}"
  sql -c "UPDATE zoo SET t = t || ' updated', ja = ja || 4, e = 'happy', m = m + 1::money WHERE id % 4 = 0"
  sql -c "UPDATE zoo SET b = NULL, f8 = 'NaN', f4 = '-Infinity', j = '[]', iv = NULL WHERE id % 5 = 0"
  sql -c "DELETE FROM zoo WHERE id % 7 = 0"
  run_until_current
  # Source values formatted as DuckDB prints the Iceberg values (bool true/false, lists [a, b],
  # nan/inf, intervals in ISO 8601, unconstrained numeric as decimal(38,9), timestamptz in UTC;
  # inet is read as inet::text, with its netmask, as in batch mode).
  special="WHEN 'NaN' THEN 'nan' WHEN 'Infinity' THEN 'inf' WHEN '-Infinity' THEN '-inf'"
  select="id, CASE WHEN b THEN 'true' WHEN NOT b THEN 'false' END AS b, i2, i8,
    CASE f4 ${special} ELSE f4::text END AS f4, CASE f8 ${special} ELSE f8::text END AS f8, n,
    un::numeric(38,9) AS un, t, vc, c, d, tm, ts, to_char(tz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00' AS tz,
    iv, u, j, js, '[' || array_to_string(ja, ', ', 'NULL') || ']' AS ja,
    '[' || array_to_string(ta, ', ', 'NULL') || ']' AS ta, e, ip::text AS ip, m, dom"
  PGOPTIONS="-c intervalstyle=iso_8601 -c extra_float_digits=1" check_mirror zoo "${select}" \
    "id,b,i2,i8,f4,f8,n,un,t,vc,c,d,tm,ts,tz,iv,u,j,js,ja,ta,e,ip,m,dom"
elif [[ "${scenario}" == resilience ]]; then
  sql -c "CREATE TABLE events (id bigint PRIMARY KEY, kind text, payload text)"
  psql -X -q "${base_url}" -c "ALTER SYSTEM SET logical_decoding_work_mem = '1MB'" -c "SELECT pg_reload_conf()" >/dev/null
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  extra_cdc=", metrics_port: ${port}"
  write_pipeline events
  "${nilus}" run "${work}/pipeline.yaml" >"${work}/stream.out" 2>"${work}/stream.err" &
  run_pid=$!
  for i in $(seq 1 20); do
    sql -c "INSERT INTO events SELECT g, 'before restart', md5(g::text) FROM generate_series($((i * 100)), $((i * 100 + 99))) g"
  done
  sleep 2
  "${here}/../../scripts/pg" restart "${work}/pg" 2>>"${work}/pg.log" || fail "restart failed"
  for i in $(seq 21 40); do
    sql -c "INSERT INTO events SELECT g, 'after restart', md5(g::text) FROM generate_series($((i * 100)), $((i * 100 + 99))) g" 2>/dev/null ||
      { sleep 1; sql -c "INSERT INTO events SELECT g, 'after restart', md5(g::text) FROM generate_series($((i * 100)), $((i * 100 + 99))) g"; }
  done
  sql -c "UPDATE events SET kind = 'updated' WHERE id % 7 = 0; DELETE FROM events WHERE id % 11 = 0"
  # One transaction of 1,000,000 rows: streamed in blocks before its commit, spilled by nilus.
  sql -c "INSERT INTO events SELECT g, 'big', 'x' FROM generate_series(1000000, 1999999) g"
  lsn="$(sql -At -c "SELECT pg_current_wal_insert_lsn()")"
  # Wait until nilus confirmed the big transaction (the slot passed it), at most 10 minutes.
  for ((w = 0; w < 600; ++w)); do
    confirmed_ok="$(sql -At -c "SELECT confirmed_flush_lsn >= '${lsn}' FROM pg_replication_slots WHERE slot_name = '${slot}'")"
    [[ "${confirmed_ok}" == t ]] && break
    kill -0 "${run_pid}" 2>/dev/null || break
    sleep 1
  done
  [[ "${confirmed_ok:-f}" == t ]] || fail "the slot did not pass ${lsn}"
  metrics="$(curl -fsS "http://127.0.0.1:${port}/metrics" 2>&1)" || fail "/metrics: ${metrics}"
  for m in nilus_cdc_events_total nilus_cdc_commits_total nilus_cdc_flush_duration_seconds_bucket \
           nilus_cdc_source_lag_bytes nilus_cdc_slot_retained_wal_bytes nilus_cdc_reconnects_total; do
    grep -q "^${m}" <<<"${metrics}" || fail "/metrics lacks ${m}"
  done
  grep -q 'nilus_cdc_reconnects_total{pipeline="cdc_resilience"} [1-9]' <<<"${metrics}" ||
    fail "/metrics shows no reconnect after the server restart"
  # Idle tables: traffic only on a table outside the publication must still move the slot.
  sql -c "CREATE TABLE unpublished (id int); INSERT INTO unpublished SELECT generate_series(1, 50000)"
  lsn="$(sql -At -c "SELECT pg_current_wal_insert_lsn()")"
  for ((w = 0; w < 60; ++w)); do
    idle_ok="$(sql -At -c "SELECT confirmed_flush_lsn >= '${lsn}' FROM pg_replication_slots WHERE slot_name = '${slot}'")"
    [[ "${idle_ok}" == t ]] && break
    sleep 1
  done
  [[ "${idle_ok:-f}" == t ]] || fail "the slot did not advance past writes to an unpublished table"
  hwm_kb="$(awk '/VmHWM/ { print $2 }' "/proc/${run_pid}/status" 2>/dev/null)"
  echo "cdc: nilus peak RSS while streaming 1,000,000 changes in one transaction: $((${hwm_kb:-0} / 1024)) MB"
  # Bounded: the transaction is spilled, not held (a sanitizer build needs more than a plain one).
  ((${hwm_kb:-0} < 1500 * 1024)) || fail "peak RSS ${hwm_kb} kB is not bounded"
  kill -TERM "${run_pid}"
  wait "${run_pid}"
  rc=$?
  run_pid=""
  [[ "${rc}" == 0 ]] || { tail -20 "${work}/stream.err" >&2; fail "SIGTERM: nilus exited with ${rc}, not 0"; }
  grep -E 'reconnecting' "${work}/stream.err" | head -2
  run_until_current
  check_mirror events "id, kind, payload" "id,kind,payload"
else
  sql <<'SQL'
CREATE TABLE items (id int PRIMARY KEY, name text, qty int, price numeric(10,2), tags text[],
                    seen timestamptz, doc jsonb, big text);
ALTER TABLE items ALTER COLUMN big SET STORAGE EXTERNAL;
-- No primary key, REPLICA IDENTITY FULL: mirrored on all columns. No key at all: change log only.
CREATE TABLE tags (item int, tag text, weight float8);
ALTER TABLE tags REPLICA IDENTITY FULL;
INSERT INTO tags SELECT g, 'tag' || g, NULL FROM generate_series(1, 50) g;
CREATE TABLE clicks (item int, at timestamptz DEFAULT now());
INSERT INTO clicks (item) SELECT g FROM generate_series(1, 20) g;
INSERT INTO items SELECT g, 'item ' || g, g % 7, g * 1.25, ARRAY['a', 'b' || g],
  '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 minute', jsonb_build_object('g', g), NULL
  FROM generate_series(1, 500) g;
SQL
  write_pipeline items tags clicks
  run_until_current
  ccols="id,name,qty,price"
  check_mirror items "id, name, qty, price" "${ccols}"
  grep -q "public.clicks.*only its change log" "${work}/run.err" || fail "no note that clicks gets only a change log"
  [[ -z "$(metadata_of clicks)" ]] || fail "clicks (no key, no full identity) got a mirror"
  sql -c "UPDATE tags SET weight = item * 0.5 + 0.25 WHERE item % 2 = 0; DELETE FROM tags WHERE item % 5 = 0;
          UPDATE tags SET tag = NULL WHERE item = 3; INSERT INTO clicks (item) VALUES (99)"
  # Updates, deletes, inserts, a key change, and a 1 MB value TOASTed out of line whose row is
  # then updated many times in other columns (pgoutput sends it as "unchanged").
  sql <<'SQL'
UPDATE items SET qty = qty + 100 WHERE id % 3 = 0;
DELETE FROM items WHERE id % 5 = 0;
INSERT INTO items (id, name, qty) SELECT g, 'new ' || g, 1 FROM generate_series(501, 600) g;
UPDATE items SET id = 10001 WHERE id = 1;
UPDATE items SET big = repeat(md5('x'), 32768) WHERE id = 2;
SQL
  run_until_current
  for i in $(seq 1 30); do sql -c "UPDATE items SET qty = qty + 1 WHERE id = 2"; done
  run_until_current
  for i in $(seq 1 5); do sql -c "UPDATE items SET name = 'n$i' WHERE id = 2"; done
  run_until_current
  check_mirror items "id, name, qty, price" "${ccols}"
  check_mirror tags "item, tag, weight" "item,tag,weight"
  node "${here}/check_changelog.mjs" "$(metadata_of clicks__changelog)" 21 || fail "clicks: change log"
  # The TOAST value must be intact in the mirror, compared in full.
  check_mirror items "id, big" "id,big"
  # Schema changes: a column added (then filled), one dropped; then truncate and new rows.
  sql -c "ALTER TABLE items ADD COLUMN note text; UPDATE items SET note = 'note ' || id WHERE id < 50"
  sql -c "ALTER TABLE items DROP COLUMN tags; UPDATE items SET qty = 0 WHERE id < 10"
  run_until_current
  check_mirror items "id, name, qty, price, note" "id,name,qty,price,note"
  sql -c "TRUNCATE items; INSERT INTO items (id, name, qty) VALUES (1, 'after truncate', 1)"
  run_until_current
  check_mirror items "id, name, qty, price, note" "id,name,qty,price,note"
  # A type change Iceberg allows (int -> bigint) widens the column.
  sql -c "ALTER TABLE items ALTER COLUMN qty TYPE bigint; INSERT INTO items (id, name, qty) VALUES (2, 'big', 5000000000)"
  run_until_current
  check_mirror items "id, name, qty, price, note" "id,name,qty,price,note"
  # Run metadata: one cdc run per process, each with its table's load records and LSNs.
  runs="$(sqlite3 "${wh}/_nilus/metadata.db" "SELECT count(*) FROM runs_info WHERE mode = 'cdc' AND status = 'succeeded'")"
  [[ "${runs}" == 7 ]] || fail "runs_info holds ${runs} succeeded cdc runs, not 7"
  lsns="$(sqlite3 "${wh}/_nilus/metadata.db" "SELECT count(DISTINCT committed_lsn) FROM load_info WHERE table_name = 'items__changelog'")"
  ((lsns >= 6)) || fail "load_info holds ${lsns} distinct committed LSNs of the change log"
  # One it does not allow (numeric -> text) goes to a variant column under the default contract
  # (evolve): price__v_string from then on.
  sql -c "ALTER TABLE items ALTER COLUMN price TYPE text; INSERT INTO items (id, name, price) VALUES (3, 'x', 'cheap')"
  run_until_current
  check_mirror items "id, name, qty, price AS price__v_string, note" "id,name,qty,price__v_string,note"
  # Under data_type: freeze the same kind of change stops the run, naming table and column.
  extra_top="contracts: { data_type: freeze }"
  write_pipeline items tags clicks
  sql -c "ALTER TABLE items ALTER COLUMN qty TYPE text; UPDATE items SET qty = 'many' WHERE id = 1"
  if "${nilus}" run "${work}/pipeline.yaml" --until-lsn current >"${work}/run.out" 2>"${work}/run.err"; then
    fail "a bigint -> text change under data_type: freeze did not stop the run"
  elif ! grep -q "column qty changed type.*freeze" "${work}/run.err"; then
    cat "${work}/run.err" >&2
    fail "the freeze error does not name the column"
  else
    grep -m1 -o "error.*" "${work}/run.err" | cut -c1-200
  fi
fi

if [[ "${failed}" != 0 ]]; then
  echo "cdc: ${scenario}: FAILED (seed ${seed}); logs in ${work}" >&2
  NILUS_CDC_KEEP=1
  exit 1
fi
echo "cdc: ${scenario}: ok"
