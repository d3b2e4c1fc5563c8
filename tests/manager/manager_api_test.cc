// The Manager's HTTP API against a real PostgreSQL: each test gets a fresh, empty database and
// an in-process ManagerServer on a free port, and talks to it over HTTP (cpp-httplib client).
// Needs NILUS_TEST_PG_URL (scripts/test sets it); skipped without it.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "extract/postgres/pg_connection.h"
#include "manager/manager_server.h"
#include "pipeline/metadata/metadata_schema.h"

namespace nilus::manager {
namespace {

using nlohmann::json;

constexpr const char* kWrite = "write-secret-token";
constexpr const char* kRead = "read-secret-token";

// The URL with its database replaced.
std::string WithDatabase(const std::string& url, const std::string& db) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  size_t query = url.find('?');
  std::string base = slash == std::string::npos ? url.substr(0, query) : url.substr(0, slash);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + db + tail;
}

std::string RunId(int n) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "00000000-0000-4000-8000-%012d", n);
  return buf;
}

std::string Time(int day, int second = 0) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "2026-11-%02dT10:%02d:%02d.000000Z", day, second / 60,
                second % 60);
  return buf;
}

json RunJson(int n, const std::string& pipeline, const std::string& started) {
  return {{"run_id", RunId(n)},      {"pipeline", pipeline},
          {"mode", "batch"},         {"started_at", started},
          {"nilus_version", "0.1"},  {"host", "test-host"},
          {"config_hash", "abc123"}, {"load_id", "load-" + std::to_string(n)},
          {"tables_total", 2}};
}

json LoadRecord(int run, const std::string& table, int64_t rows) {
  return {{"run_id", RunId(run)},
          {"table_name", table},
          {"status", "succeeded"},
          {"started_at", Time(1, 1)},
          {"finished_at", Time(1, 3)},
          {"row_count", rows},
          {"byte_count", rows * 10},
          {"file_count", 1},
          {"destination_table", "shop." + table},
          {"write_disposition", "merge"},
          {"load_id", "load-" + std::to_string(run)},
          {"snapshot_id", 1234567890123LL},
          {"committed_lsn", "16/B374D848"}};
}

class ManagerApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("NILUS_TEST_PG_URL");
    if (!url || !*url) GTEST_SKIP() << "NILUS_TEST_PG_URL is not set (scripts/test sets it)";
    admin_url_ = url;
    static std::atomic<int> counter{0};
    db_ = "nilus_mgr_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    auto admin = PgConnection::Open(admin_url_);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    ASSERT_TRUE((*admin)->Exec("DROP DATABASE IF EXISTS " + db_).ok());
    ASSERT_TRUE((*admin)->Exec("CREATE DATABASE " + db_).ok());
    db_url_ = WithDatabase(admin_url_, db_);
    config_.database = db_url_;
    config_.listen_port = 0;
    config_.write_token = kWrite;
    config_.read_token = kRead;
    config_.retention_interval = std::chrono::milliseconds(0);
    config_.pool_size = 4;
    config_.threads = 4;
    config_.max_body_bytes = 64 * 1024;
    config_.max_records_per_request = 100;
  }

  void TearDown() override {
    if (server_) server_->Stop(std::chrono::seconds(10));
    server_.reset();
    if (!db_.empty()) {
      auto admin = PgConnection::Open(admin_url_);
      if (admin.ok()) (void)(*admin)->Exec("DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
    }
  }

  void StartServer() {
    auto s = ManagerServer::Start(config_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
    for (int i = 0; i < 200 && !server_->ready(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ASSERT_TRUE(server_->ready());
  }

  httplib::Headers Auth(const char* token = kWrite) {
    return {{"Authorization", std::string("Bearer ") + token}};
  }

  httplib::Result Post(const std::string& path, const std::string& body,
                       const char* token = kWrite) {
    return client_->Post(path.c_str(), token ? Auth(token) : httplib::Headers{}, body,
                         "application/json");
  }
  httplib::Result Get(const std::string& path, const char* token = kRead) {
    return client_->Get(path.c_str(), token ? Auth(token) : httplib::Headers{});
  }

  // Posts and expects `code`; returns the parsed body.
  json PostOk(const std::string& path, const json& body, int code = 200) {
    auto res = Post(path, body.dump());
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, code) << path << ": " << res->body;
    return json::parse(res->body, nullptr, false);
  }
  json GetJson(const std::string& path, int code = 200) {
    auto res = Get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, code) << path << ": " << res->body;
    return json::parse(res->body, nullptr, false);
  }

  int64_t Scalar(const std::string& sql) {
    auto conn = PgConnection::Open(db_url_);
    EXPECT_TRUE(conn.ok());
    if (!conn.ok()) return -1;
    auto rows = (*conn)->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->num_rows() != 1) return -1;
    return *rows->GetInt(0, 0);
  }

  std::string admin_url_, db_, db_url_;
  ManagerConfig config_;
  std::unique_ptr<ManagerServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ManagerApiTest, MigratesAnEmptyDatabaseAndAgainWithoutChange) {
  StartServer();
  EXPECT_EQ(Scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
                   "AND table_name IN ('runs_info', 'extract_info', 'normalize_info', "
                   "'load_info')"),
            4);
  EXPECT_EQ(Scalar("SELECT count(*) FROM nilus_schema_version"), pipeline::MetadataSchemaVersion());
  // Foreign keys and the listing indexes exist.
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid IN "
                   "('extract_info'::regclass, 'normalize_info'::regclass, "
                   "'load_info'::regclass)"),
            3);
  EXPECT_GE(Scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'runs_info'"), 4);
  const std::string fingerprint_sql =
      "SELECT count(*) + sum(hashtext(table_name || column_name || data_type)) FROM "
      "information_schema.columns WHERE table_schema = 'public'";
  int64_t before = Scalar(fingerprint_sql);
  int64_t indexes = Scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'");
  ASSERT_TRUE(server_->Stop(std::chrono::seconds(10)));
  server_.reset();
  StartServer();  // migrates again
  EXPECT_EQ(Scalar(fingerprint_sql), before);
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'"), indexes);
  EXPECT_EQ(Scalar("SELECT count(*) FROM nilus_schema_version"), pipeline::MetadataSchemaVersion());
}

TEST_F(ManagerApiTest, RoundTripsARunWithItsStageRecords) {
  StartServer();
  json run = RunJson(1, "shop", Time(1));
  EXPECT_EQ(PostOk("/api/v1/runs", run)["run_id"], RunId(1));
  json extract = {{"run_id", RunId(1)},
                  {"table_name", "orders"},
                  {"status", "succeeded"},
                  {"started_at", Time(1, 1)},
                  {"finished_at", Time(1, 2)},
                  {"row_count", 1000},
                  {"byte_count", 64000},
                  {"source_kind", "postgres"},
                  {"source_table", "public.orders"},
                  {"chunks", 4},
                  {"cursor_column", "updated_at"},
                  {"cursor_from", "2026-10-01"},
                  {"cursor_to", "2026-11-01"}};
  json normalize = {
      {"run_id", RunId(1)},
      {"table_name", "orders"},
      {"status", "succeeded"},
      {"started_at", Time(1, 1)},
      {"row_count", 1000},
      {"columns_added", 1},
      {"variant_columns", {"price__v_string"}},
      {"schema_changes", {{{"kind", "add_column"}, {"column", "note"}, {"to_type", "string"}}}}};
  EXPECT_EQ(PostOk("/api/v1/records/extract", {{"records", {extract}}})["accepted"], 1);
  EXPECT_EQ(PostOk("/api/v1/records/normalize", {{"records", {normalize}}})["accepted"], 1);
  EXPECT_EQ(PostOk("/api/v1/records/load",
                   {{"records",
                     {LoadRecord(1, "orders", 1000), LoadRecord(1, "items", 3000)}}})["accepted"],
            2);
  PostOk("/api/v1/runs/" + RunId(1) + "/finish",
         {{"status", "partial"}, {"finished_at", Time(1, 30)}, {"error", "items: 'boom'"}});

  json got = GetJson("/api/v1/runs/" + RunId(1));
  // Every field sent comes back as sent.
  for (auto it = run.begin(); it != run.end(); ++it) {
    EXPECT_EQ(got["run"][it.key()], it.value()) << it.key();
  }
  EXPECT_EQ(got["run"]["status"], "partial");
  EXPECT_EQ(got["run"]["error"], "items: 'boom'");
  EXPECT_EQ(got["run"]["duration_ms"], 30000);
  EXPECT_EQ(got["run"]["rows_loaded"], 4000);
  EXPECT_EQ(got["run"]["bytes_loaded"], 40000);
  EXPECT_EQ(got["run"]["files_loaded"], 2);
  EXPECT_EQ(got["run"]["rows_extracted"], 1000);
  ASSERT_EQ(got["extract"].size(), 1u);
  for (auto it = extract.begin(); it != extract.end(); ++it) {
    EXPECT_EQ(got["extract"][0][it.key()], it.value()) << it.key();
  }
  EXPECT_EQ(got["extract"][0]["duration_ms"], 1000);  // derived from the two times
  ASSERT_EQ(got["normalize"].size(), 1u);
  EXPECT_EQ(got["normalize"][0]["variant_columns"], normalize["variant_columns"]);
  EXPECT_EQ(got["normalize"][0]["schema_changes"], normalize["schema_changes"]);
  ASSERT_EQ(got["load"].size(), 2u);
  EXPECT_EQ(got["load"][0]["table_name"], "items");  // ordered by table_name
  EXPECT_EQ(got["load"][1]["snapshot_id"], 1234567890123LL);
  EXPECT_EQ(got["load"][1]["committed_lsn"], "16/B374D848");

  // Re-sending everything (a spool delivering twice) changes nothing.
  PostOk("/api/v1/runs", run);
  PostOk("/api/v1/records/load", {{"records", {LoadRecord(1, "orders", 1000)}}});
  PostOk("/api/v1/runs/" + RunId(1) + "/finish",
         {{"status", "partial"}, {"finished_at", Time(1, 30)}, {"error", "items: 'boom'"}});
  EXPECT_EQ(Scalar("SELECT count(*) FROM load_info"), 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM runs_info"), 1);
  json again = GetJson("/api/v1/runs/" + RunId(1));
  EXPECT_EQ(again, got);
  // A re-sent create does not undo the finish.
  EXPECT_EQ(again["run"]["status"], "partial");

  GetJson("/api/v1/runs/" + RunId(99), 404);
}

TEST_F(ManagerApiTest, ListsRunsWithFiltersAndKeysetPagination) {
  StartServer();
  for (int i = 0; i < 120; ++i) {
    std::string pipeline = i % 3 == 0 ? "billing" : "shop";
    PostOk("/api/v1/runs", RunJson(i, pipeline, Time(1 + i / 10, i)));
    if (i % 4 == 0) {
      PostOk("/api/v1/runs/" + RunId(i) + "/finish",
             {{"status", "failed"}, {"finished_at", Time(1 + i / 10, i + 1)}});
    }
  }
  std::vector<std::string> seen;
  std::string path = "/api/v1/runs?limit=50";
  int pages = 0;
  while (true) {
    json page = GetJson(path);
    ++pages;
    for (const json& r : page["runs"])
      seen.push_back(r["started_at"].get<std::string>() + "," + r["run_id"].get<std::string>());
    if (page["next"].is_null()) break;
    path = "/api/v1/runs?limit=50&after=" + httplib::detail::encode_query_param(page["next"]);
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 120u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 120u);
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));  // newest first

  json billing = GetJson("/api/v1/runs?pipeline=billing&limit=1000");
  EXPECT_EQ(billing["runs"].size(), 40u);
  for (const json& r : billing["runs"]) EXPECT_EQ(r["pipeline"], "billing");
  json failed = GetJson("/api/v1/runs?status=failed&limit=1000");
  EXPECT_EQ(failed["runs"].size(), 30u);
  json range =
      GetJson("/api/v1/runs?limit=1000&from=" + httplib::detail::encode_query_param(Time(2)) +
              "&before=" + httplib::detail::encode_query_param(Time(4)));
  EXPECT_EQ(range["runs"].size(), 20u);  // days 2 and 3
  // An injection attempt is just a pipeline name that matches nothing.
  json inj =
      GetJson("/api/v1/runs?pipeline=" + httplib::detail::encode_query_param("shop' OR '1'='1"));
  EXPECT_EQ(inj["runs"].size(), 0u);
  inj = GetJson("/api/v1/runs?pipeline=" +
                httplib::detail::encode_query_param("x'; DROP TABLE runs_info; --"));
  EXPECT_EQ(inj["runs"].size(), 0u);
  EXPECT_EQ(Scalar("SELECT count(*) FROM runs_info"), 120);
}

TEST_F(ManagerApiTest, SummarizesPipelines) {
  StartServer();
  // Recent runs (now), so they fall in the default 7-day window.
  std::string now = pipeline::FormatMetaTime(pipeline::MetaTimeNow());
  for (int i = 0; i < 4; ++i) {
    PostOk("/api/v1/runs", RunJson(i, "shop", now));
    PostOk("/api/v1/records/load", {{"records", {LoadRecord(i, "orders", 700)}}});
    PostOk("/api/v1/runs/" + RunId(i) + "/finish",
           {{"status", i == 3 ? "failed" : "succeeded"},
            {"finished_at", pipeline::FormatMetaTime(pipeline::MetaTimeNow())},
            {"error", i == 3 ? json("source unreachable") : json(nullptr)}});
  }
  json all = GetJson("/api/v1/pipelines");
  ASSERT_EQ(all["pipelines"].size(), 1u);
  json s = all["pipelines"][0];
  EXPECT_EQ(s["pipeline"], "shop");
  EXPECT_EQ(s["runs"], 4);
  EXPECT_EQ(s["succeeded"], 3);
  EXPECT_EQ(s["failed"], 1);
  EXPECT_DOUBLE_EQ(s["failure_rate"].get<double>(), 0.25);
  EXPECT_EQ(s["rows_loaded"], 2800);
  EXPECT_DOUBLE_EQ(s["rows_per_day"].get<double>(), 400.0);
  EXPECT_EQ(s["last_error"], "source unreachable");
  EXPECT_TRUE(s["last_success_at"].is_string());
  json one = GetJson("/api/v1/pipelines/shop?days=2");
  EXPECT_EQ(one["days"], 2);
  EXPECT_DOUBLE_EQ(one["rows_per_day"].get<double>(), 1400.0);
  GetJson("/api/v1/pipelines/nope", 404);
}

TEST_F(ManagerApiTest, RefusesMissingWrongAndReadOnlyTokens) {
  StartServer();
  std::string run = RunJson(1, "shop", Time(1)).dump();
  auto res = Post("/api/v1/runs", run, nullptr);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->get_header_value("WWW-Authenticate").rfind("Bearer", 0), 0u);
  EXPECT_EQ(Post("/api/v1/runs", run, "not-the-token")->status, 401);
  EXPECT_EQ(Post("/api/v1/runs", run, kRead)->status, 403);
  EXPECT_EQ(Get("/api/v1/runs", nullptr)->status, 401);
  EXPECT_EQ(Get("/api/v1/runs", "wrong")->status, 401);
  EXPECT_EQ(Scalar("SELECT count(*) FROM runs_info"), 0);
  EXPECT_EQ(Post("/api/v1/runs", run, kWrite)->status, 200);
  EXPECT_EQ(Get("/api/v1/runs", kRead)->status, 200);
  EXPECT_EQ(Get("/api/v1/runs", kWrite)->status, 200);
  // Probes and (by default) metrics need no token.
  EXPECT_EQ(Get("/healthz", nullptr)->status, 200);
  EXPECT_EQ(Get("/readyz", nullptr)->status, 200);
  EXPECT_EQ(Get("/metrics", nullptr)->status, 200);
  // The token is never echoed back.
  EXPECT_EQ(Post("/api/v1/runs", run, kRead)->body.find(kRead), std::string::npos);
}

TEST_F(ManagerApiTest, RejectsMalformedAndMaliciousInputAndKeepsServing) {
  StartServer();
  PostOk("/api/v1/runs", RunJson(1, "shop", Time(1)));
  struct Case {
    std::string path, body, content_type;
    int code;
    std::string message_part;
  };
  json bad_type = LoadRecord(1, "orders", 5);
  bad_type["row_count"] = "five";
  json unknown = LoadRecord(1, "orders", 5);
  unknown["colour"] = "red";
  json missing = LoadRecord(1, "orders", 5);
  missing.erase("destination_table");
  json bad_status = LoadRecord(1, "orders", 5);
  bad_status["write_disposition"] = "upsert'; DROP TABLE load_info; --";
  std::string deep(200, '[');
  deep += std::string(200, ']');
  std::vector<json> many(101, LoadRecord(1, "orders", 1));
  const std::string records = "/api/v1/records/load";
  std::vector<Case> cases = {
      {records, "{not json", "application/json", 400, "not valid JSON"},
      {records, "", "application/json", 400, "body"},
      {records, "[1,2]", "application/json", 400, "JSON object"},
      {records, "{\"records\": [{\"run_id\": \"\xff\xfe\"}]}", "application/json", 400, "UTF-8"},
      {records, "{\"records\": " + deep + "}", "application/json", 400, "nested"},
      {records, json{{"records", {bad_type}}}.dump(), "application/json", 400,
       "records[0]: load_info.row_count"},
      {records, json{{"records", {LoadRecord(1, "a", 1), unknown}}}.dump(), "application/json", 400,
       "records[1]: load_info: unknown field 'colour'"},
      {records, json{{"records", {missing}}}.dump(), "application/json", 400, "destination_table"},
      {records, json{{"records", {bad_status}}}.dump(), "application/json", 400,
       "write_disposition"},
      {records, json{{"records", many}}.dump(), "application/json", 413, "max_records_per_request"},
      {records, json{{"records", json::array()}}.dump(), "application/json", 400, "records"},
      {records, json{{"records", {LoadRecord(1, "a", 1)}}}.dump(), "text/plain", 415,
       "Content-Type"},
      {records, json{{"records", {LoadRecord(77, "a", 1)}}}.dump(), "application/json", 404,
       "records[0].run_id"},
      {"/api/v1/records/transform", json{{"records", {LoadRecord(1, "a", 1)}}}.dump(),
       "application/json", 404, "endpoint"},
      {"/api/v1/runs", json{{"run_id", "not-a-uuid"}}.dump(), "application/json", 400, "run_id"},
      {"/api/v1/runs/" + RunId(1) + "/finish", json{{"status", "done"}}.dump(), "application/json",
       400, "status"},
      {"/api/v1/runs/" + RunId(1) + "/finish",
       json{{"status", "failed"}, {"finished_at", "yesterday"}}.dump(), "application/json", 400,
       "finished_at"},
      {"/api/v1/runs/" + RunId(5) + "/finish",
       json{{"status", "failed"}, {"finished_at", Time(2)}}.dump(), "application/json", 404,
       "no run"},
      {"/api/v1/cdc/lag", json{{"pipeline", "shop"}, {"lag_bytes", -1}}.dump(), "application/json",
       400, "lag_bytes"},
  };
  for (const Case& c : cases) {
    auto res = client_->Post(c.path.c_str(), Auth(), c.body, c.content_type.c_str());
    ASSERT_TRUE(res) << c.path << " " << c.body.substr(0, 80);
    EXPECT_EQ(res->status, c.code) << c.body.substr(0, 80) << " -> " << res->body;
    json err = json::parse(res->body, nullptr, false);
    ASSERT_TRUE(err.is_object()) << res->body;
    EXPECT_NE(err["error"].get<std::string>().find(c.message_part), std::string::npos)
        << "expected '" << c.message_part << "' in " << res->body;
  }
  // Oversized body: 413 before it is read into a handler.
  std::string huge = "{\"records\": [\"" + std::string(70 * 1024, 'x') + "\"]}";
  auto res = Post(records, huge);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  // Bad query parameters name themselves.
  for (auto [path, part] : std::vector<std::pair<std::string, std::string>>{
           {"/api/v1/runs?limit=0", "limit"},
           {"/api/v1/runs?limit=abc", "limit"},
           {"/api/v1/runs?status=sleeping", "status"},
           {"/api/v1/runs?from=tomorrow", "from"},
           {"/api/v1/runs?after=garbage", "after"},
           {"/api/v1/runs?colour=red", "colour"},
           {"/api/v1/runs?pipeline=%ff%fe", "pipeline"},
           {"/api/v1/pipelines?days=1000", "days"}}) {
    auto r = Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << path << " -> " << r->body;
    EXPECT_NE(r->body.find(part), std::string::npos) << path << " -> " << r->body;
  }
  EXPECT_EQ(client_->Delete("/api/v1/runs", Auth())->status, 405);
  EXPECT_EQ(Get("/api/v1/nothing-here")->status, 404);
  // Nothing bad was stored, the tables are intact and the server still serves.
  EXPECT_EQ(Scalar("SELECT count(*) FROM load_info"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM runs_info"), 1);
  EXPECT_EQ(Get("/healthz", nullptr)->status, 200);
  // SQL text inside a value is stored verbatim, as data.
  json odd = LoadRecord(1, "orders'); DELETE FROM runs_info; --", 1);
  PostOk(records, {{"records", {odd}}});
  EXPECT_EQ(Scalar("SELECT count(*) FROM runs_info"), 1);
  json got = GetJson("/api/v1/runs/" + RunId(1));
  EXPECT_EQ(got["load"][0]["table_name"], "orders'); DELETE FROM runs_info; --");
}

TEST_F(ManagerApiTest, ServesMetricsThatCountEachRecordOnce) {
  StartServer();
  PostOk("/api/v1/runs", RunJson(1, "shop", Time(1)));
  PostOk("/api/v1/records/load", {{"records", {LoadRecord(1, "orders", 100)}}});
  PostOk("/api/v1/records/load", {{"records", {LoadRecord(1, "orders", 100)}}});  // re-sent
  json grown = LoadRecord(1, "orders", 150);
  PostOk("/api/v1/records/load", {{"records", {grown}}});
  PostOk("/api/v1/runs/" + RunId(1) + "/finish",
         {{"status", "succeeded"}, {"finished_at", Time(1, 40)}});
  PostOk("/api/v1/cdc/lag", {{"pipeline", "shop_cdc"},
                             {"lag_bytes", 4096},
                             {"lag_seconds", 1.5},
                             {"retained_wal_bytes", 8192}});
  auto res = Get("/metrics", nullptr);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  const std::string& m = res->body;
  auto has = [&](const std::string& line) {
    EXPECT_NE(m.find(line + "\n"), std::string::npos) << "missing: " << line << "\n" << m;
  };
  has("nilus_runs{pipeline=\"shop\",status=\"succeeded\"} 1");
  has("nilus_runs_finished_total{pipeline=\"shop\",status=\"succeeded\"} 1");
  has("nilus_stage_rows_total{pipeline=\"shop\",table=\"orders\",stage=\"load\"} 150");
  has("nilus_stage_bytes_total{pipeline=\"shop\",table=\"orders\",stage=\"load\"} 1500");
  has("nilus_stage_duration_seconds_count{pipeline=\"shop\",stage=\"load\"} 1");
  has("nilus_stage_duration_seconds_sum{pipeline=\"shop\",stage=\"load\"} 2");
  has("nilus_cdc_lag_bytes{pipeline=\"shop_cdc\"} 4096");
  has("nilus_cdc_lag_seconds{pipeline=\"shop_cdc\"} 1.5");
  has("nilus_cdc_retained_wal_bytes{pipeline=\"shop_cdc\"} 8192");
  has("nilus_manager_requests_total{route=\"/api/v1/records/{stage}\",method=\"POST\",code=\"200\"}"
      " 3");
  EXPECT_NE(
      m.find("nilus_manager_request_duration_seconds_bucket{route=\"/api/v1/runs\",le=\"+Inf\"}"),
      std::string::npos);
}

TEST_F(ManagerApiTest, IsNotReadyUntilTheDatabaseIsReachable) {
  config_.database = "postgresql://nilus@127.0.0.1:1/none?connect_timeout=1";
  auto s = ManagerServer::Start(config_);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  httplib::Client c("127.0.0.1", (*s)->port());
  auto live = c.Get("/healthz");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  auto ready = c.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  auto write =
      c.Post("/api/v1/runs", Auth(), RunJson(1, "shop", Time(1)).dump(), "application/json");
  ASSERT_TRUE(write);
  EXPECT_EQ(write->status, 503) << write->body;
  EXPECT_TRUE((*s)->Stop(std::chrono::seconds(10)));
}

TEST_F(ManagerApiTest, StopFinishesRequestsInFlight) {
  StartServer();
  PostOk("/api/v1/runs", RunJson(1, "shop", Time(1)));
  // Many concurrent writers; Stop while they run. Every request that got an answer got a
  // 200, and every answered record is stored.
  std::atomic<int> answered{0};
  std::vector<std::thread> writers;
  std::atomic<bool> go{true};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", server_->port());
      for (int i = 0; go && i < 200; ++i) {
        auto r =
            c.Post("/api/v1/records/load", Auth(),
                   json{{"records", {LoadRecord(1, "t" + std::to_string(t * 1000 + i), 1)}}}.dump(),
                   "application/json");
        if (!r) break;
        EXPECT_EQ(r->status, 200);
        ++answered;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(server_->Stop(std::chrono::seconds(10)));
  go = false;
  for (auto& w : writers) w.join();
  EXPECT_GT(answered.load(), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM load_info"), answered.load());
}

}  // namespace
}  // namespace nilus::manager
