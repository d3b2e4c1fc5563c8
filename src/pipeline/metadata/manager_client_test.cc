// ManagerMetadataSink against an in-process stub of the Manager's HTTP API (cpp-httplib on
// 127.0.0.1, a free port): order, paths, bodies and headers; a Manager that is down (calls
// return at once, records stay spooled, a later sink delivers them once and in order); 5xx/429
// and recovery; 4xx drops; batching, coalescing, lag reports, shared spools and the tee.
#include "pipeline/metadata/manager_client.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <spdlog/sinks/ostream_sink.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "core/logging.h"
#include "pipeline/metadata/sqlite_metadata_store.h"

namespace nilus::pipeline {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

MetaTime T0() { return MetaTime(std::chrono::microseconds(1767323045000000)); }

std::string Uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "00000000-0000-4000-8000-%012x", n);
  return buf;
}

RunInfo MakeRun(int n) {
  RunInfo r;
  r.run_id = Uuid(n);
  r.pipeline = "shop";
  r.started_at = T0();
  r.nilus_version = "0.1.0";
  r.host = "host-a";
  r.config_hash = "abc123";
  r.load_id = "load-" + std::to_string(n);
  r.tables_total = 2;
  return r;
}

template <typename Stage>
Stage MakeStage(const std::string& run_id, const std::string& table, int64_t rows) {
  Stage s;
  s.run_id = run_id;
  s.table_name = table;
  s.status = StageStatus::kSucceeded;
  s.started_at = T0();
  s.finished_at = T0() + seconds(2);
  s.row_count = rows;
  return s;
}

ExtractInfo MakeExtract(const std::string& run_id, const std::string& table, int64_t rows = 10) {
  ExtractInfo e = MakeStage<ExtractInfo>(run_id, table, rows);
  e.source_kind = "postgres";
  e.source_table = "public." + table;
  return e;
}

NormalizeInfo MakeNormalize(const std::string& run_id, const std::string& table,
                            int64_t rows = 10) {
  NormalizeInfo n = MakeStage<NormalizeInfo>(run_id, table, rows);
  n.variant_columns = {"price__v_string"};
  return n;
}

LoadInfo MakeLoad(const std::string& run_id, const std::string& table, int64_t rows = 10) {
  LoadInfo l = MakeStage<LoadInfo>(run_id, table, rows);
  l.destination_table = "shop." + table;
  l.write_disposition = "append";
  l.load_id = "load";
  l.snapshot_id = 42;
  return l;
}

RunFinish MakeFinish(int n, RunStatus status = RunStatus::kSucceeded) {
  RunFinish f;
  f.run_id = Uuid(n);
  f.status = status;
  f.finished_at = T0() + seconds(5);
  return f;
}

template <typename Record>
std::string RowJson(const Record& r) {
  Result<MetaRow> row = ToRow(r);
  EXPECT_TRUE(row.ok()) << row.status().ToString();
  return MetaRowToJson(*row);
}

// One request the stub saw, and what it answered.
struct SeenRequest {
  std::string path;
  std::string body;
  std::string authorization;
  std::string idempotency_key;
  std::string content_type;
  int status = 0;

  Json json() const { return Json::parse(body); }
  // The table_name of each record of a stage request.
  std::vector<std::string> tables() const {
    std::vector<std::string> out;
    const Json j = json();
    for (const Json& r : j["records"]) out.push_back(r["table_name"].get<std::string>());
    return out;
  }
};

// A stand-in for the Manager: answers every POST with `responder` (200 by default) and records
// what it saw.
class StubManager {
 public:
  using Responder = std::function<std::pair<int, std::string>(const SeenRequest&)>;

  StubManager() {
    server_.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      SeenRequest seen;
      seen.path = req.path;
      seen.body = req.body;
      seen.authorization = req.get_header_value("Authorization");
      seen.idempotency_key = req.get_header_value("Idempotency-Key");
      seen.content_type = req.get_header_value("Content-Type");
      std::pair<int, std::string> answer{200, R"({"accepted":1})"};
      {
        std::lock_guard<std::mutex> l(mu_);
        if (responder_) answer = responder_(seen);
        seen.status = answer.first;
        seen_.push_back(seen);
      }
      cv_.notify_all();
      res.status = answer.first;
      res.set_content(answer.second, "application/json");
    });
    server_.set_keep_alive_timeout(1);  // Stop() waits for idle keep-alive connections
    server_.set_tcp_nodelay(true);
    port_ = server_.bind_to_any_port("127.0.0.1");
    EXPECT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the loop runs would be lost (and the join below would hang).
    while (port_ > 0 && !server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~StubManager() { Stop(); }

  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void set_responder(Responder r) {
    std::lock_guard<std::mutex> l(mu_);
    responder_ = std::move(r);
  }
  // Every request answers `status`.
  void set_status(int status) {
    set_responder([status](const SeenRequest&) {
      return std::pair<int, std::string>(
          status, status < 300 ? R"({"accepted":1})" : R"({"error":"stub says no"})");
    });
  }

  std::vector<SeenRequest> seen() const {
    std::lock_guard<std::mutex> l(mu_);
    return seen_;
  }
  // The requests answered 2xx, in arrival order.
  std::vector<SeenRequest> accepted() const {
    std::vector<SeenRequest> out;
    for (const SeenRequest& r : seen()) {
      if (r.status >= 200 && r.status < 300) out.push_back(r);
    }
    return out;
  }
  std::vector<std::string> accepted_paths() const {
    std::vector<std::string> out;
    for (const SeenRequest& r : accepted()) out.push_back(r.path);
    return out;
  }
  // Waits until `pred(seen())` holds; false after `timeout`.
  bool WaitFor(const std::function<bool(const std::vector<SeenRequest>&)>& pred,
               milliseconds timeout = milliseconds(10000)) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, timeout, [&] { return pred(seen_); });
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = -1;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SeenRequest> seen_;
  Responder responder_;
};

// A URL where nothing listens: a port that was just free.
std::string DeadUrl() {
  StubManager stub;
  std::string url = stub.url();
  stub.Stop();
  return url;
}

// Captures what the process logger writes while it lives.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    Log().sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = Log().sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  std::string text() {
    Log().flush();
    return out_.str();
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

class ManagerClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("manager_client_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string spool() const { return (dir_ / "_nilus" / "manager-spool.db").string(); }

  ManagerClientOptions Options(const std::string& url) const {
    ManagerClientOptions o;
    o.url = url;
    o.spool_path = spool();
    o.flush_timeout = milliseconds(5000);
    o.request_timeout = milliseconds(2000);
    o.initial_backoff = milliseconds(20);
    o.max_backoff = milliseconds(200);
    return o;
  }

  std::unique_ptr<ManagerMetadataSink> Open(const ManagerClientOptions& o) {
    Result<std::unique_ptr<ManagerMetadataSink>> sink = ManagerMetadataSink::Open(o);
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    return sink.ok() ? std::move(sink).value() : nullptr;
  }

  static void ExpectFlushed(ManagerMetadataSink* sink) {
    Status st = sink->Flush(Clock::now() + seconds(10));
    EXPECT_TRUE(st.ok()) << st.ToString();
    Result<int64_t> left = sink->SpooledRecords();
    ASSERT_TRUE(left.ok());
    EXPECT_EQ(*left, 0);
  }

  fs::path dir_;
};

TEST_F(ManagerClientTest, DeliversRecordsInOrderWithPathsBodiesAndHeaders) {
  StubManager stub;
  ManagerClientOptions o = Options(stub.url());
  o.token = "s3cret-token";
  auto sink = Open(o);
  ASSERT_NE(sink, nullptr);
  const RunInfo run = MakeRun(1);
  const ExtractInfo ex = MakeExtract(run.run_id, "orders", 5);
  const NormalizeInfo norm = MakeNormalize(run.run_id, "orders", 5);
  const std::vector<LoadInfo> loads = {MakeLoad(run.run_id, "orders", 5),
                                       MakeLoad(run.run_id, "orders__items", 9)};
  RunFinish fin = MakeFinish(1, RunStatus::kFailed);
  fin.error = "orders__items: commit conflict";
  ASSERT_TRUE(sink->BeginRun(run).ok());
  ASSERT_TRUE(sink->RecordExtract({&ex, 1}).ok());
  ASSERT_TRUE(sink->RecordNormalize({&norm, 1}).ok());
  ASSERT_TRUE(sink->RecordLoad(loads).ok());
  ASSERT_TRUE(sink->FinishRun(fin).ok());
  ExpectFlushed(sink.get());

  const std::vector<SeenRequest> seen = stub.seen();
  ASSERT_EQ(seen.size(), 5u);
  const std::string id = run.run_id;
  EXPECT_EQ(seen[0].path, "/api/v1/runs");
  EXPECT_EQ(seen[1].path, "/api/v1/records/extract");
  EXPECT_EQ(seen[2].path, "/api/v1/records/normalize");
  EXPECT_EQ(seen[3].path, "/api/v1/records/load");
  EXPECT_EQ(seen[4].path, "/api/v1/runs/" + id + "/finish");
  for (const SeenRequest& r : seen) {
    EXPECT_EQ(r.authorization, "Bearer s3cret-token") << r.path;
    EXPECT_EQ(r.content_type, "application/json") << r.path;
  }
  // Bodies: the rows as the metadata schema spells them.
  EXPECT_EQ(seen[0].body, RowJson(run));
  EXPECT_EQ(seen[1].body, "{\"records\":[" + RowJson(ex) + "]}");
  EXPECT_EQ(seen[2].body, "{\"records\":[" + RowJson(norm) + "]}");
  EXPECT_EQ(seen[3].body, "{\"records\":[" + RowJson(loads[0]) + "," + RowJson(loads[1]) + "]}");
  Json finish = seen[4].json();
  EXPECT_EQ(finish["status"], "failed");
  EXPECT_EQ(finish["finished_at"], FormatMetaTime(fin.finished_at));
  EXPECT_EQ(finish["error"], "orders__items: commit conflict");
  EXPECT_EQ(finish.size(), 3u);
  // Idempotency keys: kind and natural key; a batch gets a key derived from its records.
  EXPECT_EQ(seen[0].idempotency_key, "run:" + id);
  EXPECT_EQ(seen[1].idempotency_key, "extract:" + id + "/orders");
  EXPECT_EQ(seen[2].idempotency_key, "normalize:" + id + "/orders");
  EXPECT_EQ(seen[3].idempotency_key.rfind("load:2:", 0), 0u) << seen[3].idempotency_key;
  EXPECT_EQ(seen[4].idempotency_key, "finish:" + id);
}

TEST_F(ManagerClientTest, NoTokenMeansNoAuthorizationHeaderAndAPathPrefixIsKept) {
  StubManager stub;
  auto sink = Open(Options(stub.url() + "/nilus/"));
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->BeginRun(MakeRun(1)).ok());
  ExpectFlushed(sink.get());
  ASSERT_EQ(stub.seen().size(), 1u);
  EXPECT_EQ(stub.seen()[0].path, "/nilus/api/v1/runs");
  EXPECT_EQ(stub.seen()[0].authorization, "");
}

TEST_F(ManagerClientTest, ManagerDownCallsReturnAtOnceAndALaterSinkDeliversExactlyOnceInOrder) {
  const RunInfo run = MakeRun(1);
  const ExtractInfo ex = MakeExtract(run.run_id, "orders");
  const NormalizeInfo norm = MakeNormalize(run.run_id, "orders");
  const LoadInfo load = MakeLoad(run.run_id, "orders");
  {
    ManagerClientOptions o = Options(DeadUrl());
    o.flush_timeout = milliseconds(300);
    auto sink = Open(o);
    ASSERT_NE(sink, nullptr);
    std::vector<std::function<Status()>> calls = {
        [&] { return sink->BeginRun(run); },
        [&] {
          return sink->RecordExtract({&ex, 1});
        },
        [&] {
          return sink->RecordNormalize({&norm, 1});
        },
        [&] {
          return sink->RecordLoad({&load, 1});
        },
        [&] { return sink->FinishRun(MakeFinish(1)); },
    };
    for (size_t i = 0; i < calls.size(); ++i) {
      const auto t0 = Clock::now();
      Status st = calls[i]();
      const auto took = Clock::now() - t0;
      EXPECT_TRUE(st.ok()) << st.ToString();
      EXPECT_LT(took, milliseconds(100)) << "call " << i;
    }
    Status flushed = sink->Flush(Clock::now() + milliseconds(200));
    EXPECT_FALSE(flushed.ok());
    EXPECT_EQ(flushed.code(), StatusCode::kUnavailable);
    EXPECT_TRUE(flushed.retryable());
    EXPECT_EQ(sink->SpooledRecords().ValueOr(-1), 5);
  }  // the destructor gives up after flush_timeout and leaves the records spooled

  StubManager stub;
  auto sink = Open(Options(stub.url()));
  ASSERT_NE(sink, nullptr);
  const RunInfo run2 = MakeRun(2);
  ASSERT_TRUE(sink->BeginRun(run2).ok());
  ExpectFlushed(sink.get());
  const std::vector<std::string> expected = {
      "/api/v1/runs",
      "/api/v1/records/extract",
      "/api/v1/records/normalize",
      "/api/v1/records/load",
      "/api/v1/runs/" + run.run_id + "/finish",
      "/api/v1/runs",
  };
  EXPECT_EQ(stub.accepted_paths(), expected);
  EXPECT_EQ(stub.seen().size(), expected.size());  // each exactly once
  EXPECT_EQ(stub.seen()[0].json()["run_id"], run.run_id);
  EXPECT_EQ(stub.seen()[5].json()["run_id"], run2.run_id);
}

TEST_F(ManagerClientTest, RetriesTransientAnswersInOrderAndRecovers) {
  for (int code : {503, 500, 429, 401}) {
    SCOPED_TRACE(code);
    fs::remove_all(dir_);
    StubManager stub;
    stub.set_status(code);
    auto sink = Open(Options(stub.url()));
    ASSERT_NE(sink, nullptr);
    const RunInfo run = MakeRun(code);
    const ExtractInfo ex = MakeExtract(run.run_id, "orders");
    ASSERT_TRUE(sink->BeginRun(run).ok());
    ASSERT_TRUE(sink->RecordExtract({&ex, 1}).ok());
    // Retried with backoff, and never past the failing head.
    ASSERT_TRUE(stub.WaitFor([](const auto& seen) { return seen.size() >= 3; }));
    EXPECT_EQ(sink->SpooledRecords().ValueOr(-1), 2);
    stub.set_status(200);
    ExpectFlushed(sink.get());
    const std::vector<SeenRequest> seen = stub.seen();
    ASSERT_GE(seen.size(), 5u);
    for (size_t i = 0; i + 1 < seen.size(); ++i) {
      if (seen[i].status == 200) break;
      EXPECT_EQ(seen[i].status, code);
      EXPECT_EQ(seen[i].path, "/api/v1/runs") << "a later record went before the failing one";
    }
    EXPECT_EQ(stub.accepted_paths(),
              (std::vector<std::string>{"/api/v1/runs", "/api/v1/records/extract"}));
  }
}

TEST_F(ManagerClientTest, DropsRecordsTheManagerRejectsAndDeliversTheRest) {
  StubManager stub;
  stub.set_responder([](const SeenRequest& r) -> std::pair<int, std::string> {
    if (r.path == "/api/v1/records/extract" && r.body.find("\"bad\"") != std::string::npos) {
      return {
          400,
          R"({"error":"extract_info[0].row_count: must not be negative","field":"records[0].row_count"})"};
    }
    if (r.path == "/api/v1/records/normalize") return {404, R"({"error":"unknown run"})"};
    return {200, R"({"accepted":1})"};
  });
  LogCapture logs;
  ManagerClientOptions o = Options(stub.url());
  o.token = "never-logged-token";
  auto sink = Open(o);
  ASSERT_NE(sink, nullptr);
  const RunInfo run = MakeRun(1);
  const std::vector<ExtractInfo> ex = {MakeExtract(run.run_id, "good1"),
                                       MakeExtract(run.run_id, "bad"),
                                       MakeExtract(run.run_id, "good2")};
  const NormalizeInfo norm = MakeNormalize(run.run_id, "orphan");
  ASSERT_TRUE(sink->BeginRun(run).ok());
  ASSERT_TRUE(sink->RecordExtract(ex).ok());
  ASSERT_TRUE(sink->RecordNormalize({&norm, 1}).ok());
  ASSERT_TRUE(sink->FinishRun(MakeFinish(1)).ok());
  ExpectFlushed(sink.get());

  // The batch was rejected as a whole, then re-sent one record at a time: only "bad" is lost.
  std::vector<std::vector<std::string>> extract_batches;
  for (const SeenRequest& r : stub.seen()) {
    if (r.path == "/api/v1/records/extract") extract_batches.push_back(r.tables());
  }
  EXPECT_EQ(extract_batches, (std::vector<std::vector<std::string>>{
                                 {"good1", "bad", "good2"}, {"good1"}, {"bad"}, {"good2"}}));
  EXPECT_EQ(stub.accepted_paths(),
            (std::vector<std::string>{"/api/v1/runs", "/api/v1/records/extract",
                                      "/api/v1/records/extract",
                                      "/api/v1/runs/" + run.run_id + "/finish"}));
  // Each rejected record was tried once (4xx is final) and logged with the Manager's message.
  int normalize_tries = 0;
  for (const SeenRequest& r : stub.seen()) normalize_tries += r.path == "/api/v1/records/normalize";
  EXPECT_EQ(normalize_tries, 1);
  const std::string text = logs.text();
  EXPECT_NE(text.find("extract record " + run.run_id + "/bad rejected"), std::string::npos) << text;
  EXPECT_NE(text.find("must not be negative (field records[0].row_count)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("normalize record " + run.run_id + "/orphan rejected"), std::string::npos);
  EXPECT_NE(text.find("has no run " + run.run_id), std::string::npos) << text;
  EXPECT_EQ(text.find("never-logged-token"), std::string::npos);
}

TEST_F(ManagerClientTest, BatchesConsecutiveStageRecordsUpToTheLimit) {
  const RunInfo run = MakeRun(1);
  const std::string id = run.run_id;
  {
    // Spool everything while the Manager is down, so the batches do not depend on timing.
    ManagerClientOptions o = Options(DeadUrl());
    o.flush_timeout = milliseconds(0);
    auto sink = Open(o);
    ASSERT_NE(sink, nullptr);
    ASSERT_TRUE(sink->BeginRun(run).ok());
    const ExtractInfo e1 = MakeExtract(id, "e1"), e2 = MakeExtract(id, "e2");
    const std::vector<ExtractInfo> e345 = {MakeExtract(id, "e3"), MakeExtract(id, "e4"),
                                           MakeExtract(id, "e5")};
    const NormalizeInfo n1 = MakeNormalize(id, "n1");
    const LoadInfo l1 = MakeLoad(id, "l1");
    const ExtractInfo e6 = MakeExtract(id, "e6");
    ASSERT_TRUE(sink->RecordExtract({&e1, 1}).ok());
    ASSERT_TRUE(sink->RecordExtract({&e2, 1}).ok());
    ASSERT_TRUE(sink->RecordExtract(e345).ok());
    ASSERT_TRUE(sink->RecordNormalize({&n1, 1}).ok());
    ASSERT_TRUE(sink->RecordLoad({&l1, 1}).ok());
    ASSERT_TRUE(sink->RecordExtract({&e6, 1}).ok());
  }
  StubManager stub;
  ManagerClientOptions o = Options(stub.url());
  o.max_records_per_request = 3;
  auto sink = Open(o);
  ASSERT_NE(sink, nullptr);
  ExpectFlushed(sink.get());
  const std::vector<SeenRequest> seen = stub.seen();
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen[0].path, "/api/v1/runs");
  EXPECT_EQ(seen[1].path, "/api/v1/records/extract");
  EXPECT_EQ(seen[1].tables(), (std::vector<std::string>{"e1", "e2", "e3"}));
  EXPECT_EQ(seen[2].path, "/api/v1/records/extract");
  EXPECT_EQ(seen[2].tables(), (std::vector<std::string>{"e4", "e5"}));
  EXPECT_EQ(seen[3].path, "/api/v1/records/normalize");
  EXPECT_EQ(seen[3].tables(), (std::vector<std::string>{"n1"}));
  EXPECT_EQ(seen[4].path, "/api/v1/records/load");
  EXPECT_EQ(seen[5].path, "/api/v1/records/extract");
  EXPECT_EQ(seen[5].tables(), (std::vector<std::string>{"e6"}));
  // Two different batches get different idempotency keys.
  EXPECT_NE(seen[1].idempotency_key, seen[2].idempotency_key);
}

TEST_F(ManagerClientTest, ASupersededStageRecordIsNotSentTwice) {
  const RunInfo run = MakeRun(1);
  const std::string id = run.run_id;
  {
    ManagerClientOptions o = Options(DeadUrl());
    o.flush_timeout = milliseconds(0);
    auto sink = Open(o);
    ASSERT_NE(sink, nullptr);
    ASSERT_TRUE(sink->BeginRun(run).ok());
    ExtractInfo running = MakeExtract(id, "orders", 5);
    running.status = StageStatus::kRunning;
    running.finished_at.reset();
    const ExtractInfo done = MakeExtract(id, "orders", 50);
    const ExtractInfo other = MakeExtract(id, "customers", 7);
    ASSERT_TRUE(sink->RecordExtract({&running, 1}).ok());
    ASSERT_TRUE(sink->RecordExtract({&other, 1}).ok());
    ASSERT_TRUE(sink->RecordExtract({&done, 1}).ok());  // replaces the spooled "running" one
    EXPECT_EQ(sink->SpooledRecords().ValueOr(-1), 3);
    // A finish in between pins the record before it: the Manager must see it at finish time.
    ASSERT_TRUE(sink->FinishRun(MakeFinish(1)).ok());
    const ExtractInfo late = MakeExtract(id, "orders", 51);
    ASSERT_TRUE(sink->RecordExtract({&late, 1}).ok());
    EXPECT_EQ(sink->SpooledRecords().ValueOr(-1), 5);
  }
  StubManager stub;
  auto sink = Open(Options(stub.url()));
  ASSERT_NE(sink, nullptr);
  ExpectFlushed(sink.get());
  const std::vector<SeenRequest> seen = stub.seen();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[1].tables(), (std::vector<std::string>{"customers", "orders"}));
  EXPECT_EQ(seen[1].json()["records"][1]["row_count"], 50);
  EXPECT_EQ(seen[2].path, "/api/v1/runs/" + id + "/finish");
  EXPECT_EQ(seen[3].json()["records"][0]["row_count"], 51);
}

TEST_F(ManagerClientTest, RejectsMalformedRecordsBeforeSpooling) {
  auto sink = Open(Options(DeadUrl()));
  ASSERT_NE(sink, nullptr);
  RunInfo run = MakeRun(1);
  run.run_id = "not-a-uuid";
  Status st = sink->BeginRun(run);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("run_id"), std::string::npos) << st.ToString();
  // A batch with one bad record spools nothing of it.
  std::vector<ExtractInfo> ex = {MakeExtract(Uuid(1), "a"), MakeExtract(Uuid(1), "")};
  EXPECT_EQ(sink->RecordExtract(ex).code(), StatusCode::kInvalidArgument);
  LoadInfo backwards = MakeLoad(Uuid(1), "t");
  backwards.finished_at = T0() - seconds(1);
  EXPECT_EQ(sink->RecordLoad({&backwards, 1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sink->FinishRun(MakeFinish(1, RunStatus::kRunning)).code(),
            StatusCode::kInvalidArgument);
  RunFinish bad_id = MakeFinish(1);
  bad_id.run_id = "X";
  EXPECT_EQ(sink->FinishRun(bad_id).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sink->SpooledRecords().ValueOr(-1), 0);
}

TEST_F(ManagerClientTest, OpenValidatesOptions) {
  auto invalid = [&](ManagerClientOptions o, std::string_view names) {
    Result<std::unique_ptr<ManagerMetadataSink>> r = ManagerMetadataSink::Open(o);
    ASSERT_FALSE(r.ok()) << o.url;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(names), std::string::npos) << r.status().ToString();
  };
  for (const char* url : {"ftp://manager:8080", "manager:8080", "", "http://", "http://:8080",
                          "http://h:0", "http://h:99999", "http://h:8x", "http://u:pw@h:8080",
                          "http://h:8080/?x=1", "http://h :8080"}) {
    SCOPED_TRACE(url);
    invalid(Options(url), "manager");
  }
  ManagerClientOptions o = Options("http://127.0.0.1:1");
  o.max_records_per_request = 1001;
  invalid(o, "max_records_per_request");
  o.max_records_per_request = 0;
  invalid(o, "max_records_per_request");
  o = Options("http://127.0.0.1:1");
  o.token = "abc\r\nX-Evil: 1";
  invalid(o, "manager_token");
  o = Options("http://127.0.0.1:1");
  o.spool_path.clear();
  invalid(o, "spool");
  for (const char* url : {"http://127.0.0.1:1", "https://manager.example:8443/base",
                          "HTTP://[::1]:8080", "http://manager"}) {
    SCOPED_TRACE(url);
    ManagerClientOptions ok = Options(url);
    ok.flush_timeout = milliseconds(0);
    Result<std::unique_ptr<ManagerMetadataSink>> r = ManagerMetadataSink::Open(ok);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  }
}

TEST_F(ManagerClientTest, DefaultSpoolPathSitsBesideTheMetadataStore) {
  EXPECT_EQ(ManagerMetadataSink::DefaultSpoolPath("/data/w"), "/data/w/_nilus/manager-spool.db");
  EXPECT_EQ(ManagerMetadataSink::DefaultSpoolPath("file:///data/w"),
            "/data/w/_nilus/manager-spool.db");
  EXPECT_EQ(fs::path(ManagerMetadataSink::DefaultSpoolPath("./w")).parent_path(),
            fs::path(SqliteMetadataStore::DefaultPath("./w")).parent_path());
}

TEST_F(ManagerClientTest, ReportsCdcLagBestEffortWithoutSpooling) {
  StubManager stub;
  auto sink = Open(Options(stub.url()));
  ASSERT_NE(sink, nullptr);
  CdcLagReport lag;
  lag.pipeline = "shop";
  lag.lag_bytes = 123;
  lag.lag_seconds = 0.5;
  lag.retained_wal_bytes = 456;
  lag.confirmed_lsn = "16/B374D848";
  ASSERT_TRUE(sink->ReportCdcLag(lag).ok());
  ASSERT_TRUE(stub.WaitFor([](const auto& seen) { return seen.size() == 1; }));
  SeenRequest r = stub.seen()[0];
  EXPECT_EQ(r.path, "/api/v1/cdc/lag");
  EXPECT_EQ(r.json(), Json::parse(R"({"pipeline":"shop","lag_bytes":123,"lag_seconds":0.5,
                                      "retained_wal_bytes":456,"confirmed_lsn":"16/B374D848"})"));

  // A failed report is not retried and not spooled; the optional fields may be absent.
  stub.set_status(503);
  CdcLagReport bare;
  bare.pipeline = "shop";
  bare.lag_bytes = 7;
  ASSERT_TRUE(sink->ReportCdcLag(bare).ok());
  ASSERT_TRUE(stub.WaitFor([](const auto& seen) { return seen.size() == 2; }));
  EXPECT_EQ(stub.seen()[1].json(),
            Json::parse(R"({"pipeline":"shop","lag_bytes":7,"lag_seconds":0.0})"));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(stub.seen().size(), 2u);
  EXPECT_EQ(sink->SpooledRecords().ValueOr(-1), 0);
  EXPECT_TRUE(sink->Flush(Clock::now() + milliseconds(10)).ok());
}

TEST_F(ManagerClientTest, ParallelReportersAndTwoSinksSharingASpoolLoseNothing) {
  StubManager stub;
  auto a = Open(Options(stub.url()));
  auto b = Open(Options(stub.url()));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kThreads = 8, kTables = 10;
  ASSERT_TRUE(a->BeginRun(MakeRun(1)).ok());
  ASSERT_TRUE(b->BeginRun(MakeRun(2)).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ManagerMetadataSink* sink = t % 2 == 0 ? a.get() : b.get();
      const std::string id = Uuid(t % 2 == 0 ? 1 : 2);
      for (int i = 0; i < kTables; ++i) {
        const LoadInfo l = MakeLoad(id, "t" + std::to_string(t) + "_" + std::to_string(i));
        EXPECT_TRUE(sink->RecordLoad({&l, 1}).ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ExpectFlushed(a.get());
  ExpectFlushed(b.get());

  // Every record arrived, and each run's begin before any of its stage records.
  std::set<std::string> tables;
  std::set<std::string> begun;
  for (const SeenRequest& r : stub.accepted()) {
    if (r.path == "/api/v1/runs") {
      begun.insert(r.json()["run_id"].get<std::string>());
      continue;
    }
    const Json body = r.json();
    for (const Json& rec : body["records"]) {
      EXPECT_TRUE(begun.count(rec["run_id"].get<std::string>())) << "stage record before begin";
      tables.insert(rec["table_name"].get<std::string>());
    }
  }
  EXPECT_EQ(begun.size(), 2u);
  EXPECT_EQ(tables.size(), static_cast<size_t>(kThreads * kTables));
}

// --- TeeMetadataSink ---

// Counts calls; fails each with `fail` when it is set.
class CountingSink final : public MetadataSink {
 public:
  explicit CountingSink(Status fail = Status::OK()) : fail_(std::move(fail)) {}
  Status BeginRun(const RunInfo&) override { return Count(); }
  Status RecordExtract(std::span<const ExtractInfo> r) override { return Count(r.size()); }
  Status RecordNormalize(std::span<const NormalizeInfo> r) override { return Count(r.size()); }
  Status RecordLoad(std::span<const LoadInfo> r) override { return Count(r.size()); }
  Status FinishRun(const RunFinish&) override { return Count(); }
  Status ReportCdcLag(const CdcLagReport&) override { return Count(); }
  int calls = 0;
  size_t records = 0;

 private:
  Status Count(size_t n = 1) {
    ++calls;
    records += n;
    return fail_;
  }
  Status fail_;
};

TEST(TeeMetadataSinkTest, EverySinkGetsEveryCallAndTheFirstErrorIsReturned) {
  CountingSink bad1(Status::IOError("first")), ok, bad2(Status::Unavailable("second"));
  TeeMetadataSink tee({&bad1, nullptr, &ok, &bad2});
  const std::vector<LoadInfo> loads = {MakeLoad(Uuid(1), "a"), MakeLoad(Uuid(1), "b")};
  Status st = tee.RecordLoad(loads);
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_EQ(st.message(), "first");
  EXPECT_EQ(tee.BeginRun(MakeRun(1)).message(), "first");
  EXPECT_EQ(tee.FinishRun(MakeFinish(1)).message(), "first");
  EXPECT_EQ(tee.ReportCdcLag(CdcLagReport{}).message(), "first");
  for (CountingSink* s : {&bad1, &ok, &bad2}) {
    EXPECT_EQ(s->calls, 4);
    EXPECT_EQ(s->records, 5u);
  }
  CountingSink only;
  TeeMetadataSink good({&only});
  EXPECT_TRUE(good.RecordExtract({}).ok());
  EXPECT_EQ(only.calls, 1);
}

TEST_F(ManagerClientTest, TeeFeedsTheLocalStoreAndTheManager) {
  StubManager stub;
  auto local = SqliteMetadataStore::Open((dir_ / "_nilus" / "metadata.db").string());
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  ManagerClientOptions o = Options(stub.url());
  o.flush_timeout = milliseconds(200);  // the Manager is stopped before the end
  auto manager = Open(o);
  ASSERT_NE(manager, nullptr);
  TeeMetadataSink tee({local->get(), manager.get()});
  const RunInfo run = MakeRun(1);
  const LoadInfo load = MakeLoad(run.run_id, "orders", 77);
  ASSERT_TRUE(tee.BeginRun(run).ok());
  ASSERT_TRUE(tee.RecordLoad({&load, 1}).ok());
  ASSERT_TRUE(tee.FinishRun(MakeFinish(1)).ok());
  // The default ReportCdcLag of the local store is a no-op; the Manager gets it.
  CdcLagReport lag;
  lag.pipeline = "shop";
  EXPECT_TRUE(tee.ReportCdcLag(lag).ok());
  ExpectFlushed(manager.get());
  Result<RunDetail> detail = (*local)->GetRun(run.run_id);
  ASSERT_TRUE(detail.ok()) << detail.status().ToString();
  EXPECT_EQ(detail->run.status, RunStatus::kSucceeded);
  ASSERT_EQ(detail->load.size(), 1u);
  EXPECT_EQ(detail->load[0].row_count, 77);
  ASSERT_TRUE(stub.WaitFor([](const auto& seen) { return seen.size() == 4; }));
  std::multiset<std::string> paths;
  for (const SeenRequest& r : stub.seen()) paths.insert(r.path);
  EXPECT_EQ(paths, (std::multiset<std::string>{"/api/v1/runs", "/api/v1/records/load",
                                               "/api/v1/runs/" + run.run_id + "/finish",
                                               "/api/v1/cdc/lag"}));
  // With the Manager stopped, the local store still records and the tee reports no error.
  stub.Stop();
  const RunInfo run2 = MakeRun(2);
  EXPECT_TRUE(tee.BeginRun(run2).ok());
  EXPECT_TRUE((*local)->GetRun(run2.run_id).ok());
}

}  // namespace
}  // namespace nilus::pipeline
