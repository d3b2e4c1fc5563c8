#!/usr/bin/env bash
# End-to-end test of the `nilus manager` process against the PostgreSQL of NILUS_TEST_PG_URL
# (exit code 77, a skip, when it is unset), in a database of its own:
#   1. the Manager starts on an empty database and becomes ready;
#   2. a JSON Lines pipeline with `manager:` reports its run; the records are in PostgreSQL and
#      in the API, equal to the local SQLite store's;
#   3. SIGTERM stops the Manager with exit code 0; a pipeline run while it is down succeeds
#      without waiting for it and leaves its records in the spool; once the Manager is back,
#      the next run delivers them: every run is stored exactly once;
#   4. /metrics passes `promtool check metrics`, and a real Prometheus server scrapes it;
#   5. no token appears in any log; SIGTERM again: exit code 0;
#   6. with tls.cert_file/key_file the Manager serves HTTPS (checked with curl and the
#      certificate), and plain HTTP gets no answer.
# NILUS_MANAGER_TEST_KEEP=1 keeps the work directory.
set -uo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: manager_e2e.sh NILUS_BIN" >&2
  exit 2
fi
if [[ -z "${NILUS_TEST_PG_URL:-}" ]]; then
  echo "manager: skipped: NILUS_TEST_PG_URL is not set"
  exit 77
fi
nilus="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
for tool in psql curl promtool prometheus sqlite3 python3; do
  command -v "${tool}" >/dev/null || { echo "FAIL: ${tool} is not installed (run scripts/setup)" >&2; exit 1; }
done

tag="$(date +%s%N | tail -c 7)${RANDOM}"
db="nilus_mgr_e2e_${tag}"
work="$(mktemp -d "${TMPDIR:-/tmp}/nilus-manager.XXXXXX")"
chmod 755 "${work}"
base_url="${NILUS_TEST_PG_URL}"
url="${base_url%/*}/${db}"
token="e2e-write-$(date +%s%N)"
read_token="e2e-read-$(date +%s%N)"
failures=0

sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "${url}" "$@"; }
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
check_eq() {  # what expected actual
  if [[ "$2" == "$3" ]]; then echo "ok: $1 = $3"; else fail "$1: expected '$2', got '$3'"; fi
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
cleanup() {
  [[ -n "${manager_pid:-}" ]] && kill -9 "${manager_pid}" 2>/dev/null
  [[ -n "${prom_pid:-}" ]] && kill -9 "${prom_pid}" 2>/dev/null
  wait 2>/dev/null
  psql -X -q "${base_url}" -c "DROP DATABASE IF EXISTS ${db} WITH (FORCE)" >/dev/null 2>&1
  if [[ "${NILUS_MANAGER_TEST_KEEP:-0}" == 1 ]]; then echo "manager: kept ${work}"; else rm -rf "${work}"; fi
}
trap cleanup EXIT

psql -X -q -v ON_ERROR_STOP=1 "${base_url}" -c "CREATE DATABASE ${db}" || exit 1
port="$(free_port)"
manager_url="http://127.0.0.1:${port}"

start_manager() {
  NILUS_MANAGER_DATABASE="${url}" NILUS_MANAGER_LISTEN="127.0.0.1:${port}" \
    NILUS_MANAGER_AUTH_WRITE_TOKEN="${token}" NILUS_MANAGER_AUTH_READ_TOKEN="${read_token}" \
    NILUS_MANAGER_RETENTION_INTERVAL=0 NILUS_MANAGER_THREADS=4 NILUS_MANAGER_POOL_SIZE=2 \
    "${nilus}" manager >>"${work}/manager.out" 2>>"${work}/manager.err" &
  manager_pid=$!
  for _ in $(seq 1 200); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' "${manager_url}/readyz")" == 200 ]]; then
      return 0
    fi
    sleep 0.1
  done
  fail "the Manager did not become ready"
  cat "${work}/manager.err" >&2
  exit 1
}
stop_manager() {  # SIGTERM, and the exit code must be 0
  kill -TERM "${manager_pid}"
  wait "${manager_pid}"
  check_eq "Manager exit code after SIGTERM" 0 "$?"
  manager_pid=""
}

# ---- 1. an empty database: the Manager migrates it and becomes ready.
start_manager
check_eq "schema version rows" 1 "$(sql -c 'SELECT count(*) FROM nilus_schema_version')"

# ---- 2. a pipeline reports its run.
mkdir -p "${work}/data"
write_events() {  # file first last
  for i in $(seq "$2" "$3"); do
    echo "{\"id\": ${i}, \"kind\": \"click\", \"tags\": [\"a\", \"b\"]}"
  done >"${work}/data/$1"
}
write_events events1.jsonl 1 500
cat >"${work}/pipeline.yaml" <<EOF
name: events
source:
  kind: jsonl
  tables:
    - name: events
      path: ${work}/data/*.jsonl
      write_disposition: append
destination:
  warehouse: ${work}/warehouse
  namespace: app
manager: ${manager_url}
manager_token: \${E2E_MANAGER_TOKEN}
manager_flush_timeout: 3s
EOF
export E2E_MANAGER_TOKEN="${token}"
run_pipeline() {
  local start end
  start=$(date +%s%N)
  "${nilus}" run "${work}/pipeline.yaml" >>"${work}/run.out" 2>>"${work}/run.err"
  local rc=$?
  end=$(date +%s%N)
  last_run_ms=$(((end - start) / 1000000))
  return "${rc}"
}
run_pipeline || fail "first pipeline run failed: $(tail -5 "${work}/run.err")"
check_eq "runs in the Manager after run 1" 1 "$(sql -c "SELECT count(*) FROM runs_info WHERE status = 'succeeded'")"
check_eq "load rows in the Manager after run 1" \
  "$(sqlite3 "${work}/warehouse/_nilus/metadata.db" 'SELECT count(*) FROM load_info')" \
  "$(sql -c 'SELECT count(*) FROM load_info')"
check_eq "rows loaded (Manager vs local store)" \
  "$(sqlite3 "${work}/warehouse/_nilus/metadata.db" 'SELECT rows_loaded FROM runs_info')" \
  "$(sql -c 'SELECT rows_loaded FROM runs_info')"
api_run="$(curl -s -H "Authorization: Bearer ${read_token}" "${manager_url}/api/v1/runs?pipeline=events")"
grep -q '"rows_loaded":' <<<"${api_run}" || fail "GET /api/v1/runs: no rows_loaded in ${api_run}"
run1="$(sql -c 'SELECT run_id FROM runs_info')"
detail="$(curl -s -H "Authorization: Bearer ${read_token}" "${manager_url}/api/v1/runs/${run1}")"
for part in '"extract":[{' '"normalize":[{' '"load":[{' '"source_kind":"jsonl"'; do
  grep -qF "${part}" <<<"${detail}" || fail "GET /api/v1/runs/${run1} lacks ${part}: ${detail:0:300}"
done

# ---- 3. the Manager is down: the run neither waits nor fails; the spool keeps the records.
stop_manager
write_events events2.jsonl 501 800
run_pipeline || fail "pipeline run with the Manager down failed: $(tail -5 "${work}/run.err")"
echo "run with the Manager down took ${last_run_ms} ms"
if ((last_run_ms > 30000)); then fail "the run waited for the Manager (${last_run_ms} ms)"; fi
spooled="$(sqlite3 "${work}/warehouse/_nilus/manager-spool.db" 'SELECT count(*) FROM spool' 2>&1)"
if [[ ! "${spooled}" =~ ^[0-9]+$ ]] || ((spooled == 0)); then
  fail "nothing spooled while the Manager was down (${spooled})"
else
  echo "ok: ${spooled} records spooled"
fi
start_manager
write_events events3.jsonl 801 900
run_pipeline || fail "third pipeline run failed: $(tail -5 "${work}/run.err")"
check_eq "runs in the Manager after the spool drained" 3 "$(sql -c 'SELECT count(DISTINCT run_id) FROM runs_info')"
check_eq "succeeded runs" 3 "$(sql -c "SELECT count(*) FROM runs_info WHERE status = 'succeeded'")"
for t in extract_info normalize_info load_info; do
  check_eq "${t} rows (Manager vs local store)" \
    "$(sqlite3 "${work}/warehouse/_nilus/metadata.db" "SELECT count(*) FROM ${t}")" \
    "$(sql -c "SELECT count(*) FROM ${t}")"
done
check_eq "per-run rows loaded (Manager vs local store)" \
  "$(sqlite3 "${work}/warehouse/_nilus/metadata.db" 'SELECT group_concat(rows_loaded, " ") FROM (SELECT rows_loaded FROM runs_info ORDER BY started_at)')" \
  "$(sql -c "SELECT string_agg(rows_loaded::text, ' ' ORDER BY started_at) FROM runs_info")"
check_eq "spool after delivery" 0 "$(sqlite3 "${work}/warehouse/_nilus/manager-spool.db" 'SELECT count(*) FROM spool')"

# ---- 4. /metrics: promtool, and a real Prometheus scrape.
curl -s -X POST -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' \
  -d '{"pipeline": "events_cdc", "lag_bytes": 2048, "lag_seconds": 0.25}' \
  "${manager_url}/api/v1/cdc/lag" >/dev/null
curl -s "${manager_url}/metrics" >"${work}/metrics.txt"
if promtool check metrics <"${work}/metrics.txt" >"${work}/promtool.out" 2>&1; then
  echo "ok: promtool check metrics"
else
  fail "promtool check metrics: $(cat "${work}/promtool.out")"
fi
grep -q '^nilus_runs{pipeline="events",status="succeeded"} 3$' "${work}/metrics.txt" ||
  fail "nilus_runs for events is not 3: $(grep '^nilus_runs{' "${work}/metrics.txt")"
prom_port="$(free_port)"
cat >"${work}/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: nilus-manager
    static_configs:
      - targets: ['127.0.0.1:${port}']
EOF
prometheus --config.file="${work}/prometheus.yml" --storage.tsdb.path="${work}/prom-data" \
  --web.listen-address="127.0.0.1:${prom_port}" >"${work}/prometheus.log" 2>&1 &
prom_pid=$!
scraped=""
for _ in $(seq 1 120); do
  answer="$(curl -s "http://127.0.0.1:${prom_port}/api/v1/query" \
    --data-urlencode 'query=nilus_runs{job="nilus-manager",pipeline="events",status="succeeded"}' 2>/dev/null)"
  if grep -q '"value":\[[0-9.]*,"3"\]' <<<"${answer}"; then
    scraped=yes
    break
  fi
  sleep 0.5
done
if [[ -n "${scraped}" ]]; then
  echo "ok: Prometheus scraped nilus_runs = 3"
else
  fail "Prometheus did not scrape the Manager: ${answer:-no answer}; $(tail -3 "${work}/prometheus.log")"
fi
health="$(curl -s "http://127.0.0.1:${prom_port}/api/v1/targets" | grep -o '"health":"[a-z]*"' | head -1)"
check_eq "Prometheus target health" '"health":"up"' "${health}"
lag="$(curl -s "http://127.0.0.1:${prom_port}/api/v1/query" --data-urlencode 'query=nilus_cdc_lag_bytes{pipeline="events_cdc"}')"
grep -q '"2048"' <<<"${lag}" || fail "Prometheus has no CDC lag gauge: ${lag}"
kill "${prom_pid}" 2>/dev/null
wait "${prom_pid}" 2>/dev/null
prom_pid=""

# ---- 5. tokens never reach the logs.
if grep -qF -e "${token}" -e "${read_token}" "${work}/manager.err" "${work}/manager.out" "${work}/run.err" "${work}/run.out"; then
  fail "a token appears in a log"
fi
stop_manager

# ---- 6. TLS: with a certificate the Manager speaks HTTPS only.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -keyout "${work}/tls.key" -out "${work}/tls.crt" >/dev/null 2>&1 || fail "openssl could not make a certificate"
port="$(free_port)"
NILUS_MANAGER_DATABASE="${url}" NILUS_MANAGER_LISTEN="127.0.0.1:${port}" \
  NILUS_MANAGER_AUTH_WRITE_TOKEN="${token}" NILUS_MANAGER_RETENTION_INTERVAL=0 \
  NILUS_MANAGER_TLS_CERT_FILE="${work}/tls.crt" NILUS_MANAGER_TLS_KEY_FILE="${work}/tls.key" \
  "${nilus}" manager >>"${work}/manager.out" 2>>"${work}/manager.err" &
manager_pid=$!
tls_code=""
for _ in $(seq 1 100); do
  tls_code="$(curl -s -o /dev/null -w '%{http_code}' --cacert "${work}/tls.crt" "https://127.0.0.1:${port}/readyz")"
  [[ "${tls_code}" == 200 ]] && break
  sleep 0.1
done
check_eq "HTTPS /readyz" 200 "${tls_code}"
check_eq "HTTPS GET /api/v1/runs with the token" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' --cacert "${work}/tls.crt" -H "Authorization: Bearer ${token}" "https://127.0.0.1:${port}/api/v1/runs")"
plain="$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:${port}/healthz")"
[[ "${plain}" == 200 ]] && fail "plain HTTP answered on the TLS port"
stop_manager

if ((failures > 0)); then
  echo "manager: ${failures} failures (logs in ${work}; NILUS_MANAGER_TEST_KEEP=1 keeps them)" >&2
  NILUS_MANAGER_TEST_KEEP=1
  exit 1
fi
echo "manager: all checks passed"
