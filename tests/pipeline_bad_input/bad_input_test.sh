#!/usr/bin/env bash
# Bad input gets a clear error, and nothing is lost: each case first commits a good load, then
# runs `nilus run` on bad input, which must fail with a message naming the problem (or, for
# on_bad_row: quarantine, succeed without the bad row), leave the committed tables untouched
# (same catalog metadata location, same rows), and a clean rerun must then succeed with exactly
# the source's rows. Tables are compared with ../pipeline_crash/check_table.mjs (icebird +
# DuckDB).
#
#   bad_input_test.sh NILUS_BIN [CASE...]      (no CASE: every case)
#
# Cases (CASE names: missing_table, missing_column, yaml_typo, csv_fail, csv_quarantine,
# json_line, postgres, pg_dropped_connection): a missing SQLite table, a missing cursor column, a missing primary-key column, a YAML
# typo, a CSV row with too many fields (on_bad_row fail and quarantine), a malformed JSON line,
# and, when NILUS_TEST_PG_URL is set, a PostgreSQL role and a database that do not exist (the
# test cluster trusts loopback connections, so a wrong password alone would be accepted; an
# unknown role is the closest failure of credentials it can produce). Exit code 0 when every
# case passed, 77 when only postgres was asked for and NILUS_TEST_PG_URL is unset.
set -uo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: bad_input_test.sh NILUS_BIN [CASE...]" >&2
  exit 2
fi
nilus="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shift
selected=("$@")
# wanted CASE: whether CASE was asked for (all are when none was named).
wanted() {
  [[ ${#selected[@]} -eq 0 ]] && return 0
  local c
  for c in "${selected[@]}"; do [[ "${c}" == "$1" ]] && return 0; done
  return 1
}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checker="${here}/../pipeline_crash/check_table.mjs"
work="$(mktemp -d "${TMPDIR:-/tmp}/nilus-bad-input.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
cols="id,payload,updated_at"
failures=0
current=""

fail() {
  echo "FAIL: ${current}: $*"
  failures=$((failures + 1))
}

# new_case NAME: a fresh directory, warehouse and catalog.
new_case() {
  current=$1
  dir="${work}/${current}"
  wh="${dir}/warehouse"
  catalog_db="${wh}/catalog.db"
  mkdir -p "${dir}"
  echo "case ${current}"
}

# pipeline FILE SOURCE_YAML [EXTRA_YAML]: writes a pipeline with namespace `bad`.
pipeline() {
  cat >"$1" <<YAML
name: bad
source:
$2
destination:
  warehouse: ${wh}
  catalog: sqlite:///${catalog_db}
  namespace: bad
${3:-}
YAML
}

# run NAME YAML: runs nilus; output in ${dir}/NAME.log; returns its exit code.
run() {
  "${nilus}" run "$2" >"${dir}/$1.log" 2>&1
}

must_succeed() {
  if ! run "$1" "$2"; then
    fail "run '$1' failed:"
    tail -15 "${dir}/$1.log" | sed 's/^/    /'
    return 1
  fi
}

# must_fail NAME YAML TEXT...: the run fails and its output holds every TEXT (fixed strings).
must_fail() {
  local name=$1 yaml=$2 text
  shift 2
  if run "${name}" "${yaml}"; then
    fail "run '${name}' succeeded on bad input"
    return 1
  fi
  for text in "$@"; do
    if ! grep -qF -- "${text}" "${dir}/${name}.log"; then
      fail "run '${name}' failed, but its output does not mention '${text}':"
      tail -15 "${dir}/${name}.log" | sed 's/^/    /'
      return 1
    fi
  done
  echo "  failed as expected: $(grep -F -- "$1" "${dir}/${name}.log" | head -1 | cut -c1-240)"
}

location() {
  sqlite3 "${catalog_db}" \
    "SELECT metadata_location FROM iceberg_tables WHERE table_namespace = 'bad' AND table_name = '$1'" 2>/dev/null
}

# same_table TABLE SOURCE_CSV: the table holds exactly the rows of SOURCE_CSV.
same_table() {
  local loc
  loc="$(location "$1")"
  if [[ -z "${loc}" ]]; then
    fail "table bad.$1 is not in the catalog"
    return 1
  fi
  local csv="${dir}/$1.csv"
  [[ "$2" != "${csv}" ]] && cp "$2" "${csv}"
  if ! node "${checker}" "${loc}" "${csv}" "${cols}" 2>&1 | sed 's/^/  /'; then
    fail "table bad.$1 does not hold the expected rows"
    return 1
  fi
}

# untouched TABLE LOCATION_BEFORE: the failed run committed nothing to TABLE.
untouched() {
  local now
  now="$(location "$1")"
  if [[ "${now}" != "$2" ]]; then
    fail "the failed run changed bad.$1: metadata ${2##*/} -> ${now##*/}"
    return 1
  fi
}

sqlite_csv() {  # DB TABLE OUT
  sqlite3 -header -csv -cmd '.nullvalue "\\N"' "$1" "SELECT ${cols} FROM $2" >"$3"
}

make_sqlite() {  # DB
  sqlite3 "$1" <<SQL
CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT, updated_at INTEGER NOT NULL);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 500)
INSERT INTO t SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE printf('p%d', i) END, i FROM c;
SQL
}

sqlite_source() {  # DB TABLE_LINES...
  local db=$1
  shift
  printf '  kind: sqlite\n  path: %s\n  tables:\n' "${db}"
  printf '%s\n' "$@"
}

good_t='    - { name: t, write_disposition: merge, incremental: { cursor: updated_at } }'

# ---- a missing SQLite table ----
if wanted missing_table; then
  new_case missing_table
  make_sqlite "${dir}/s.db"
  pipeline "${dir}/good.yaml" "$(sqlite_source "${dir}/s.db" "${good_t}")"
  pipeline "${dir}/bad.yaml" "$(sqlite_source "${dir}/s.db" "${good_t}" '    - nope_table')"
  if must_succeed first "${dir}/good.yaml"; then
    sqlite_csv "${dir}/s.db" t "${dir}/expected.csv"
    must_fail bad "${dir}/bad.yaml" nope_table
    same_table t "${dir}/expected.csv"
    [[ -n "$(location nope_table)" ]] && fail "a table for the missing source table was created"
    sqlite3 "${dir}/s.db" "UPDATE t SET payload = 'changed', updated_at = 1000 WHERE id = 3"
    must_succeed rerun "${dir}/good.yaml" && sqlite_csv "${dir}/s.db" t "${dir}/t.csv" &&
      same_table t "${dir}/t.csv"
  fi
fi

# ---- a missing cursor column, and a missing primary-key column ----
for what in cursor primary_key; do
  wanted missing_column || break
  new_case "missing_${what}_column"
  make_sqlite "${dir}/s.db"
  pipeline "${dir}/good.yaml" "$(sqlite_source "${dir}/s.db" "${good_t}")"
  if [[ ${what} == cursor ]]; then
    bad_t='    - { name: t, write_disposition: merge, incremental: { cursor: no_such_col } }'
  else
    bad_t='    - { name: t, write_disposition: merge, primary_key: [no_such_col], incremental: { cursor: updated_at } }'
  fi
  pipeline "${dir}/bad.yaml" "$(sqlite_source "${dir}/s.db" "${bad_t}")"
  if must_succeed first "${dir}/good.yaml"; then
    sqlite_csv "${dir}/s.db" t "${dir}/expected.csv"
    before="$(location t)"
    sqlite3 "${dir}/s.db" "UPDATE t SET payload = 'changed', updated_at = 1000 WHERE id = 3;
                           INSERT INTO t VALUES (501, 'new', 1001)"
    must_fail bad "${dir}/bad.yaml" no_such_col
    untouched t "${before}"
    same_table t "${dir}/expected.csv"
    must_succeed rerun "${dir}/good.yaml" && sqlite_csv "${dir}/s.db" t "${dir}/t.csv" &&
      same_table t "${dir}/t.csv"
  fi
done

# ---- a YAML typo ----
if wanted yaml_typo; then
  new_case yaml_typo
  make_sqlite "${dir}/s.db"
  pipeline "${dir}/good.yaml" "$(sqlite_source "${dir}/s.db" "${good_t}")"
  pipeline "${dir}/bad.yaml" "$(sqlite_source "${dir}/s.db" \
    '    - { name: t, write_dispositon: merge, incremental: { cursor: updated_at } }')"
  if must_succeed first "${dir}/good.yaml"; then
    sqlite_csv "${dir}/s.db" t "${dir}/expected.csv"
    before="$(location t)"
    must_fail bad "${dir}/bad.yaml" "bad.yaml:" "source.tables[0].write_dispositon" \
      "did you mean 'write_disposition'"
    untouched t "${before}"
    same_table t "${dir}/expected.csv"
    must_succeed rerun "${dir}/good.yaml" && same_table t "${dir}/expected.csv"
  fi
fi

# ---- CSV: a row with too many fields ----
write_csv() {  # FILE BAD(0|1)
  {
    echo "id,payload,updated_at"
    echo "1,one,10"
    if [[ $2 == 1 ]]; then echo "2,two,20,surplus"; else echo "2,two,20"; fi
    for i in $(seq 3 40); do echo "${i},p${i},$((i * 10))"; done
  } >"$1"
}
for policy in fail quarantine; do
  if [[ ${policy} == fail ]]; then wanted csv_fail || continue; else wanted csv_quarantine || continue; fi
  new_case "csv_too_many_fields_${policy}"
  mkdir -p "${dir}/data"
  write_csv "${dir}/data/t.csv" 0
  cp "${dir}/data/t.csv" "${dir}/expected.csv"
  csv_yaml="$(printf '  kind: csv\n  tables:\n    - name: t\n      path: %s\n      write_disposition: replace\n      csv: { on_bad_row: %s }' \
    "${dir}/data/t.csv" "${policy}")"
  pipeline "${dir}/p.yaml" "${csv_yaml}"
  if must_succeed first "${dir}/p.yaml"; then
    same_table t "${dir}/expected.csv"
    before="$(location t)"
    write_csv "${dir}/data/t.csv" 1
    if [[ ${policy} == fail ]]; then
      must_fail bad "${dir}/p.yaml" "t.csv:3:" "fields"
      untouched t "${before}"
      same_table t "${dir}/expected.csv"
      write_csv "${dir}/data/t.csv" 0
      must_succeed rerun "${dir}/p.yaml" && same_table t "${dir}/expected.csv"
    else
      # The run succeeds, loads every other row, and the bad row lands in another table.
      if must_succeed quarantine "${dir}/p.yaml"; then
        grep -v '^2,' "${dir}/expected.csv" >"${dir}/good_rows.csv"
        same_table t "${dir}/good_rows.csv"
        others="$(sqlite3 "${catalog_db}" "SELECT table_name FROM iceberg_tables WHERE table_namespace = 'bad' AND table_name <> 't'")"
        if [[ -z "${others}" ]]; then
          fail "no quarantine table was created"
        else
          echo "  quarantine table(s): ${others}"
          for q in ${others}; do
            meta="$(location "${q}")"
            n="$(/usr/bin/python3 -c 'import json,sys
m=json.load(open(sys.argv[1].removeprefix("file://")))
s=[s for s in m.get("snapshots",[]) if s["snapshot-id"]==m.get("current-snapshot-id")]
print(s[0]["summary"].get("total-records","?") if s else 0)' "${meta}")"
            echo "  bad.${q}: ${n} record(s)"
            [[ "${n}" == 1 ]] || fail "quarantine table bad.${q} holds ${n} records, expected the 1 bad row"
          done
        fi
      fi
    fi
  fi
done

# ---- JSON Lines: a malformed line ----
write_jsonl() {  # FILE BAD(0|1)
  {
    for i in 1 2 3; do echo "{\"id\": ${i}, \"payload\": \"p${i}\", \"updated_at\": ${i}0}"; done
    if [[ $2 == 1 ]]; then echo '{"id": 4, "payload": "p4", "updated_at": }'; else echo '{"id": 4, "payload": "p4", "updated_at": 40}'; fi
    for i in 5 6 7 8; do echo "{\"id\": ${i}, \"payload\": \"p${i}\", \"updated_at\": ${i}0}"; done
  } >"$1"
}
jsonl_csv() {  # OUT
  {
    echo "id,payload,updated_at"
    for i in 1 2 3 4 5 6 7 8; do echo "${i},p${i},${i}0"; done
  } >"$1"
}
if wanted json_line; then
  new_case malformed_json_line
  mkdir -p "${dir}/data"
  write_jsonl "${dir}/data/events.jsonl" 0
  jsonl_csv "${dir}/expected.csv"
  pipeline "${dir}/p.yaml" "$(printf '  kind: jsonl\n  tables:\n    - name: t\n      path: %s\n      primary_key: [id]\n      write_disposition: merge' "${dir}/data/events.jsonl")"
  if must_succeed first "${dir}/p.yaml"; then
    same_table t "${dir}/expected.csv"
    before="$(location t)"
    write_jsonl "${dir}/data/events.jsonl" 1
    must_fail bad "${dir}/p.yaml" "events.jsonl:4:"
    untouched t "${before}"
    same_table t "${dir}/expected.csv"
    write_jsonl "${dir}/data/events.jsonl" 0
    must_succeed rerun "${dir}/p.yaml" && same_table t "${dir}/expected.csv"
  fi
fi

# ---- PostgreSQL: a role and a database that do not exist ----
if ! wanted postgres; then
  :
elif [[ -z "${NILUS_TEST_PG_URL:-}" ]]; then
  echo "case postgres_*: skipped (NILUS_TEST_PG_URL is not set)"
  # 77: ctest's SKIP_RETURN_CODE, when postgres was the only case asked for.
  [[ ${#selected[@]} -eq 1 ]] && exit 77
else
  pg_url="${NILUS_TEST_PG_URL}"
  psql -q -v ON_ERROR_STOP=1 "${pg_url}" >/dev/null <<SQL || fail "could not create the PostgreSQL source table"
SET client_min_messages = warning;
DROP TABLE IF EXISTS nilus_bad_input_t;
CREATE TABLE nilus_bad_input_t (id bigint PRIMARY KEY, payload text, updated_at bigint NOT NULL);
INSERT INTO nilus_bad_input_t SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'p' || i END, i
  FROM generate_series(1, 300) i;
SQL
  pg_csv() {
    psql -q "${pg_url}" -c "COPY (SELECT ${cols} FROM nilus_bad_input_t) TO STDOUT WITH (FORMAT csv, HEADER, NULL '\\N')" >"$1"
  }
  # postgresql://user[:password]@host:port/db?params -> pieces, to build the bad URLs.
  rest="${pg_url#*://}"
  hostpart="${rest#*@}"
  hostport="${hostpart%%/*}"
  dbpart="${hostpart#*/}"
  query=""
  [[ "${dbpart}" == *\?* ]] && query="?${dbpart#*\?}"
  userinfo="${rest%%@*}"
  pg_user="${userinfo%%:*}"
  pg_db="${dbpart%%\?*}"
  secret="NotThePassword_$$"
  # scripts/pg makes the role nilus_auth log in with a password (scram-sha-256), every other
  # role is trusted: the wrong-password case uses it.
  auth_password="Right_$$"
  psql -q -v ON_ERROR_STOP=1 "${pg_url}" >/dev/null <<SQL || fail "could not create the role nilus_auth"
SET client_min_messages = warning;
DROP ROLE IF EXISTS nilus_auth;
CREATE ROLE nilus_auth LOGIN PASSWORD '${auth_password}';
GRANT SELECT ON nilus_bad_input_t TO nilus_auth;
SQL
  for bad in role database password; do
    if [[ ${bad} == password ]]; then new_case postgres_wrong_password; else new_case "postgres_no_such_${bad}"; fi
    good_url="${pg_url}"
    if [[ ${bad} == role ]]; then
      bad_url="postgresql://nilus_no_such_role:${secret}@${hostport}/${pg_db}${query}"
      expect=nilus_no_such_role
    elif [[ ${bad} == database ]]; then
      bad_url="postgresql://${pg_user}:${secret}@${hostport}/nilus_no_such_db${query}"
      expect=nilus_no_such_db
    else
      good_url="postgresql://nilus_auth:${auth_password}@${hostport}/${pg_db}${query}"
      bad_url="postgresql://nilus_auth:${secret}@${hostport}/${pg_db}${query}"
      expect="password authentication failed"
    fi
    pg_tables='  tables:
    - { name: public.nilus_bad_input_t, write_disposition: merge, incremental: { cursor: updated_at } }'
    pipeline "${dir}/good.yaml" "$(printf '  kind: postgres\n  url: %s\n%s' "${good_url}" "${pg_tables}")"
    pipeline "${dir}/bad.yaml" "$(printf '  kind: postgres\n  url: %s\n%s' "${bad_url}" "${pg_tables}")"
    if must_succeed first "${dir}/good.yaml"; then
      pg_csv "${dir}/expected.csv"
      same_table nilus_bad_input_t "${dir}/expected.csv"
      before="$(location nilus_bad_input_t)"
      must_fail bad "${dir}/bad.yaml" "${expect}"
      if grep -qF "${secret}" "${dir}/bad.log"; then fail "the password was printed"; fi
      if grep -qF "${auth_password}" "${dir}"/*.log; then fail "the password was printed"; fi
      untouched nilus_bad_input_t "${before}"
      same_table nilus_bad_input_t "${dir}/expected.csv"
      psql -q "${pg_url}" -c "UPDATE nilus_bad_input_t SET payload = 'changed-${bad}',
        updated_at = (SELECT max(updated_at) + 1 FROM nilus_bad_input_t) WHERE id = 5"
      must_succeed rerun "${dir}/good.yaml" && pg_csv "${dir}/t.csv" &&
        same_table nilus_bad_input_t "${dir}/t.csv"
    fi
  done
  psql -q "${pg_url}" -c "DROP TABLE IF EXISTS nilus_bad_input_t" -c "DROP ROLE IF EXISTS nilus_auth" >/dev/null
fi

# ---- PostgreSQL: the server drops the connection mid-run ----
# A watcher terminates the backend of the first COPY it sees (pg_terminate_backend, what a
# failover or an admin does). The run must retry the table with backoff and end with exactly
# the source's rows, once.
if ! wanted pg_dropped_connection; then
  :
elif [[ -z "${NILUS_TEST_PG_URL:-}" ]]; then
  echo "case pg_dropped_connection: skipped (NILUS_TEST_PG_URL is not set)"
  [[ ${#selected[@]} -eq 1 ]] && exit 77
else
  new_case pg_dropped_connection
  pg_url="${NILUS_TEST_PG_URL}"
  drop_rows="${NILUS_DROP_ROWS:-400000}"
  psql -q -v ON_ERROR_STOP=1 "${pg_url}" >/dev/null <<SQL || fail "could not create the PostgreSQL source table"
SET client_min_messages = warning;
DROP TABLE IF EXISTS nilus_drop_t;
CREATE TABLE nilus_drop_t (id bigint PRIMARY KEY, payload text, updated_at bigint NOT NULL);
INSERT INTO nilus_drop_t SELECT i, repeat(md5(i::text), 3), i FROM generate_series(1, ${drop_rows}) i;
ANALYZE nilus_drop_t;
SQL
  pipeline "${dir}/p.yaml" "$(printf '  kind: postgres\n  url: %s\n  tables:\n    - { name: public.nilus_drop_t, write_disposition: append }' "${pg_url}")" \
    "resources: { pg_connections: 2 }"
  # The watcher: terminates the first COPY of nilus_drop_t it sees, once; gives up after 60 s.
  (
    for _ in $(seq 1 1200); do
      n="$(psql -qtA "${pg_url}" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE query ILIKE 'COPY%nilus_drop_t%' AND pid <> pg_backend_pid()" 2>/dev/null)"
      if [[ "${n:-0}" -gt 0 ]]; then
        echo "terminated ${n}" >"${dir}/watcher.out"
        exit 0
      fi
      sleep 0.05
    done
  ) &
  watcher=$!
  if must_succeed run "${dir}/p.yaml"; then
    wait "${watcher}"
    if [[ ! -s "${dir}/watcher.out" ]]; then
      fail "the watcher never saw the COPY, so no connection was dropped (raise NILUS_DROP_ROWS)"
    elif ! grep -qF "retrying in" "${dir}/run.log"; then
      fail "a connection was dropped ($(cat "${dir}/watcher.out")) but the run did not say it retried:"
      tail -15 "${dir}/run.log" | sed 's/^/    /'
    else
      echo "  dropped: $(cat "${dir}/watcher.out") backend(s); $(grep -F "retrying in" "${dir}/run.log" | head -1 | cut -c1-200)"
      psql -q "${pg_url}" -c "COPY (SELECT ${cols} FROM nilus_drop_t) TO STDOUT WITH (FORMAT csv, HEADER, NULL '\\N')" >"${dir}/expected.csv"
      same_table nilus_drop_t "${dir}/expected.csv"
    fi
  else
    kill "${watcher}" 2>/dev/null
    wait "${watcher}" 2>/dev/null
  fi
  psql -q "${pg_url}" -c "DROP TABLE IF EXISTS nilus_drop_t" >/dev/null
fi

echo "bad input: ${failures} failure(s)"
[[ ${failures} -eq 0 ]]
