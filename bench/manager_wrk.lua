-- wrk script of bench/manager: sends an exact number of requests to the Manager, then stops.
--
--   wrk -t T -c C -d 600s -s bench/manager_wrk.lua http://127.0.0.1:PORT -- \
--     kind=load|run|list quota=N threads=T [batch=B] [run_id=UUID] [prefix=P] token=TOKEN \
--     done_dir=DIR [epoch=SECONDS]
--
-- kind=load: POST /api/v1/records/load, B load_info records per request, each with its own
--            table_name "<prefix>_<thread>_<n>" (so every record is a new row);
-- kind=run:  POST /api/v1/runs, one new run (a fresh run_id) per request;
-- kind=list: GET /api/v1/runs?limit=50.
--
-- The N requests are split over the T threads. wrk runs for a duration, so every request is
-- booked in delay() (wrk calls it before each request; request() is also called once more by
-- wrk itself to check the script, so it cannot count), and a thread whose share is booked parks
-- its connections. When a thread has all its answers it records the time, stops and leaves
-- DIR/done.<thread>; the driver interrupts wrk (SIGINT) once every thread has one. done() then
-- prints one line for the driver:
--
--   RESULT requests=.. records=.. duration_s=.. rps=.. p50_ms=.. p99_ms=.. max_ms=.. bad=..
--          connect=.. read=.. write=.. timeout=..
--
-- duration_s spans the first request sent to the last answer received, over all threads (wrk's
-- own duration would include the wait for the interrupt). bad counts answers other than 200;
-- the first such answer is printed as "FIRST_ERROR <status> <body>".

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } nilus_timespec;
  int clock_gettime(int clk_id, nilus_timespec *tp);
]]
local ts = ffi.new("nilus_timespec")
local function now_s()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC: the same clock in every thread
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local function parse_args(args)
  local o = {}
  for i = 0, #args do
    local a = args[i]
    if a then
      local k, v = a:match("^([%w_]+)=(.*)$")
      if k then o[k] = v end
    end
  end
  return o
end

-- setup() and done() run in wrk's main Lua state; the rest in each thread's.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local opt, kind, share, batch, headers, path
local booked, sent, got = 0, 0, 0 -- booked in delay(), built in request(), answered
t_first, t_last, bad, first_error, finished = nil, nil, 0, nil, false

function init(args)
  opt = parse_args(args)
  kind = opt.kind
  local quota = tonumber(opt.quota)
  local nthreads = tonumber(opt.threads)
  share = math.floor(quota / nthreads)
  if id < quota % nthreads then share = share + 1 end
  batch = tonumber(opt.batch or "1")
  headers = { ["Authorization"] = "Bearer " .. opt.token }
  if kind == "list" then
    path = "/api/v1/runs?limit=50"
  else
    headers["Content-Type"] = "application/json"
    path = (kind == "load") and "/api/v1/records/load" or "/api/v1/runs"
  end
  if share == 0 then
    finished = true
    io.open(opt.done_dir .. "/done." .. id, "w"):close()
  end
end

function delay()
  if booked < share then
    if booked == 0 then t_first = now_s() end
    booked = booked + 1
    return 0
  end
  return 1e9 -- parked: this thread has booked all its requests
end

local started = "2026-12-01T00:00:00.000000Z"
local finished_at = "2026-12-01T00:00:01.000000Z"

local function load_record(n)
  local name = string.format("%s_%d_%d", opt.prefix, id, n)
  return table.concat({
    '{"run_id":"', opt.run_id, '","table_name":"', name,
    '","status":"succeeded","started_at":"', started, '","finished_at":"', finished_at,
    '","row_count":', tostring(1000 + n % 997), ',"byte_count":', tostring(65536 + n),
    ',"file_count":1,"destination_table":"bench.', name,
    '","write_disposition":"append","load_id":"bench-load-1","snapshot_id":', tostring(n + 1),
    ',"sequence_number":1,"rows_deleted":0,"delete_file_count":0}' })
end

local function run_record(n)
  -- A distinct run_id and start time per request: thread id and counter in the last group.
  local run_id = string.format("00000000-0000-4000-8000-%04x%08x", id, n)
  local at = os.date("!%Y-%m-%dT%H:%M:%S", tonumber(opt.epoch) + id * 1000000 + n)
  return table.concat({
    '{"run_id":"', run_id, '","pipeline":"bench_', tostring(n % 10),
    '","status":"running","mode":"batch","started_at":"', at,
    '.000000Z","nilus_version":"bench","host":"bench","config_hash":"bench","load_id":"bench-',
    run_id, '","full_refresh":false,"tables_total":1}' })
end

function request()
  sent = sent + 1
  if kind == "list" then
    return wrk.format("GET", path, headers)
  end
  local body
  if kind == "load" then
    local recs = {}
    for i = 1, batch do
      recs[i] = load_record((sent - 1) * batch + i)
    end
    body = '{"records":[' .. table.concat(recs, ",") .. ']}'
  else
    body = run_record(sent)
  end
  return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, body)
  got = got + 1
  if status ~= 200 then
    bad = bad + 1
    if first_error == nil then first_error = tostring(status) .. " " .. (body or "") end
  end
  if got >= share and not finished then
    finished = true
    t_last = now_s()
    io.open(opt.done_dir .. "/done." .. id, "w"):close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local first, last, nbad, err = nil, nil, 0, nil
  for _, t in ipairs(threads) do
    local f, l = t:get("t_first"), t:get("t_last")
    if f and (first == nil or f < first) then first = f end
    if l and (last == nil or l > last) then last = l end
    nbad = nbad + (t:get("bad") or 0)
    err = err or t:get("first_error")
  end
  local duration = (first and last and last > first) and (last - first) or (summary.duration / 1e6)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f bad=%d " ..
    "connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, duration, summary.requests / duration, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, nbad, e.connect, e.read, e.write, e.timeout))
  if err then io.write("FIRST_ERROR ", (err:gsub("\n", " ")), "\n") end
end
