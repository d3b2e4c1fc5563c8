// The retention job: option checks (no database), then passes against a real PostgreSQL
// (NILUS_TEST_PG_URL, which scripts/test sets; those tests are skipped without it), each in a
// scratch schema that the job reaches through search_path: expired rows go by each table's
// retention, running runs stay, runs are archived to Iceberg exactly once before their rows are
// deleted, pending batches left by a crash are finished without appending twice, and a failing
// archive deletes nothing.
#include "manager/retention.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>

#include "extract/postgres/pg_connection.h"
#include "iceberg/catalog/sql_catalog.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "manager/archive_schema.h"
#include "manager/metadata_repository.h"
#include "storage/local_file_io.h"

namespace nilus::manager {
namespace {

using pipeline::MetaTime;

// ---- options ----

TEST(RetentionOptionsTest, DefaultsAreValid) {
  EXPECT_TRUE(ValidateRetentionOptions({}).ok());
  RetentionOptions o;
  o.table_days = {
      {"runs_info", 90}, {"extract_info", 30}, {"normalize_info", 30}, {"load_info", 90}};
  o.archive.enabled = true;
  o.archive.warehouse = "/tmp/w";
  o.archive.catalog_uri = "sqlite:////tmp/w/catalog.db";
  EXPECT_TRUE(ValidateRetentionOptions(o).ok());
  EXPECT_EQ(RetentionDays(o, "extract_info"), 30);
  o.table_days.erase("load_info");
  o.default_days = 60;
  EXPECT_EQ(RetentionDays(o, "load_info"), 60);
}

std::string Error(const RetentionOptions& o) {
  Status st = ValidateRetentionOptions(o);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  return st.message();
}

TEST(RetentionOptionsTest, StageTablesMayNotOutliveRuns) {
  RetentionOptions o;
  o.table_days = {{"runs_info", 90}, {"extract_info", 120}};
  EXPECT_EQ(Error(o),
            "retention.extract_info_days (120) is longer than retention.runs_info_days (90): "
            "deleting a run deletes its stage rows");
  o.table_days = {{"load_info", 100}};
  EXPECT_EQ(Error(o),
            "retention.load_info_days (100) is longer than retention.runs_info_days (90, from "
            "retention.default_days): deleting a run deletes its stage rows");
  o.table_days = {{"runs_info", 30}};
  EXPECT_EQ(Error(o),
            "retention.default_days (90, for extract_info) is longer than "
            "retention.runs_info_days (30): deleting a run deletes its stage rows");
  o.table_days = {
      {"runs_info", 30}, {"extract_info", 30}, {"normalize_info", 1}, {"load_info", 30}};
  EXPECT_TRUE(ValidateRetentionOptions(o).ok());
}

TEST(RetentionOptionsTest, DaysAndSizesMustBePositive) {
  RetentionOptions o;
  o.default_days = 0;
  EXPECT_NE(Error(o).find("retention.default_days (0)"), std::string::npos);
  o = {};
  o.table_days = {{"normalize_info", -1}};
  EXPECT_NE(Error(o).find("retention.normalize_info_days (-1)"), std::string::npos);
  o = {};
  o.table_days = {{"runs_info", kMaxRetentionDays + 1}};
  EXPECT_NE(Error(o).find("retention.runs_info_days"), std::string::npos);
  o = {};
  o.batch_size = 0;
  EXPECT_NE(Error(o).find("retention.batch_size"), std::string::npos);
  o = {};
  o.abandoned_running_days = 0;
  EXPECT_NE(Error(o).find("retention.abandoned_running_days"), std::string::npos);
}

TEST(RetentionOptionsTest, UnknownTablesAreRejected) {
  RetentionOptions o;
  o.table_days = {{"runs", 10}};
  std::string msg = Error(o);
  EXPECT_NE(msg.find("retention.runs_days"), std::string::npos) << msg;
  EXPECT_NE(msg.find("retention.load_info_days"), std::string::npos) << msg;
}

TEST(RetentionOptionsTest, ArchiveNeedsItsLocation) {
  RetentionOptions o;
  o.archive.enabled = true;
  EXPECT_NE(Error(o).find("archive.warehouse"), std::string::npos);
  o.archive.warehouse = "/tmp/w";
  EXPECT_NE(Error(o).find("archive.catalog"), std::string::npos);
  o.archive.catalog_uri = "sqlite:///x.db";
  o.archive.batch_runs = 0;
  EXPECT_NE(Error(o).find("archive.batch_runs"), std::string::npos);
  o.archive.batch_runs = 1;
  o.archive.table = "";
  EXPECT_NE(Error(o).find("archive.table"), std::string::npos);
  // Disabled, nothing is required.
  o.archive.enabled = false;
  EXPECT_TRUE(ValidateRetentionOptions(o).ok());
}

TEST(RetentionOptionsTest, MakeValidatesAndDoesNoIo) {
  RetentionOptions o;
  o.batch_size = 0;
  EXPECT_FALSE(RetentionJob::Make("postgresql://nobody@127.0.0.1:1/none", o).ok());
  auto job = RetentionJob::Make("postgresql://nobody@127.0.0.1:1/none", {});
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  // The connection is made by RunOnce: here it fails, retryably.
  auto r = (*job)->RunOnce(pipeline::MetaTimeNow());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().retryable()) << r.status().ToString();
}

TEST(RetentionOptionsTest, BookkeepingDdlNamesItsTables) {
  std::vector<std::string> ddl = RetentionBookkeepingDdl();
  std::string all;
  for (const std::string& s : ddl) all += s + ";\n";
  EXPECT_NE(all.find("CREATE TABLE IF NOT EXISTS nilus_archive_batches"), std::string::npos);
  EXPECT_NE(all.find("CREATE TABLE IF NOT EXISTS nilus_archived_runs"), std::string::npos);
  EXPECT_NE(all.find("REFERENCES runs_info (run_id) ON DELETE CASCADE"), std::string::npos);
}

// ---- against PostgreSQL ----

const MetaTime kNow = *pipeline::ParseMetaTime("2026-06-01T12:00:00Z");

std::string Uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "00000000-0000-4000-8000-%012x", n);
  return buf;
}

// A run of the scenario: its age (started this many days and one hour before kNow), status, and
// whether it has stage rows (then: orders in all three stages, customers in extract and load,
// orders__items in load only).
struct RunSpec {
  std::string id;
  int age_days;
  std::string status;
  bool stages;
};

const std::vector<std::pair<std::string, std::vector<const pipeline::MetaTable*>>>& StageLayout() {
  static const std::vector<std::pair<std::string, std::vector<const pipeline::MetaTable*>>> layout =
      {
          {"orders",
           {&pipeline::ExtractInfoTable(), &pipeline::NormalizeInfoTable(),
            &pipeline::LoadInfoTable()}},
          {"customers", {&pipeline::ExtractInfoTable(), &pipeline::LoadInfoTable()}},
          {"orders__items", {&pipeline::LoadInfoTable()}},
      };
  return layout;
}

class RetentionPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("NILUS_TEST_PG_URL");
    if (!url || !*url) GTEST_SKIP() << "NILUS_TEST_PG_URL is not set (scripts/test sets it)";
    static std::atomic<int> counter{0};
    schema_ = "nilus_retention_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    std::string base(url);
    job_url_ = base + (base.find('?') == std::string::npos ? "?" : "&") +
               "options=-csearch_path%3D" + schema_;
    auto conn = PgConnection::Open(base);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_ = std::move(conn).value();
    ASSERT_TRUE(conn_
                    ->Exec("SET client_min_messages = warning; DROP SCHEMA IF EXISTS " + schema_ +
                           " CASCADE; CREATE SCHEMA " + schema_ + "; SET search_path TO " + schema_)
                    .ok());
    Status st = conn_->Exec(pipeline::PostgresDdl());
    ASSERT_TRUE(st.ok()) << st.ToString();
    for (const std::string& s : RetentionBookkeepingDdl()) {
      st = conn_->Exec(s);
      ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << s;
    }
    char tmpl[] = "/tmp/nilus-retention-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }

  void TearDown() override {
    if (conn_) (void)conn_->Exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  RetentionOptions Options(bool archive) {
    RetentionOptions o;
    o.table_days = {
        {"runs_info", 90}, {"extract_info", 30}, {"normalize_info", 30}, {"load_info", 60}};
    o.batch_size = 2;
    o.abandoned_running_days = 365;
    o.archive.enabled = archive;
    o.archive.warehouse = dir_ + "/lake";
    o.archive.catalog_uri = "sqlite:///" + dir_ + "/lake/catalog.db";
    o.archive.batch_runs = 4;
    return o;
  }

  std::unique_ptr<RetentionJob> Job(const RetentionOptions& o) {
    auto job = RetentionJob::Make(job_url_, o);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? std::move(job).value() : nullptr;
  }

  void Upsert(const pipeline::MetaTable& t, const std::string& json) {
    auto row = pipeline::MetaRowFromJson(t, json);
    ASSERT_TRUE(row.ok()) << row.status().ToString() << "\n" << json;
    auto r = conn_->Query(pipeline::UpsertSql(pipeline::SqlDialect::kPostgres, t),
                          pipeline::MetaRowTextParams(*row));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  void Insert(const RunSpec& s) {
    const std::string started =
        pipeline::FormatMetaTime(kNow - std::chrono::days(s.age_days) - std::chrono::hours(1));
    Upsert(pipeline::RunsInfoTable(),
           R"({"run_id": ")" + s.id + R"(", "pipeline": "shop", "status": ")" + s.status +
               R"(", "mode": "batch", "started_at": ")" + started +
               R"(", "nilus_version": "0.1.0", "host": "h", "config_hash": "c", "load_id": "L-)" +
               s.id + R"(", "tables_total": 3, "rows_loaded": )" + std::to_string(s.age_days) +
               "}");
    if (!s.stages) return;
    for (const auto& [table, stages] : StageLayout()) {
      for (const pipeline::MetaTable* t : stages) {
        std::string json = R"({"run_id": ")" + s.id + R"(", "table_name": ")" + table +
                           R"(", "status": "succeeded", "started_at": ")" + started +
                           R"(", "row_count": )" + std::to_string(s.age_days * 10);
        if (t == &pipeline::ExtractInfoTable()) {
          json += R"(, "source_kind": "postgres", "source_table": "public.)" + table + "\"";
        } else if (t == &pipeline::LoadInfoTable()) {
          json += R"(, "destination_table": "shop.)" + table +
                  R"(", "write_disposition": "append", "load_id": "L", "snapshot_id": 7)";
        }
        Upsert(*t, json + "}");
      }
    }
  }

  // The scenario: runs of several ages; batch_size 2 is smaller than every table's expired rows.
  void Populate() {
    int n = 0;
    auto add = [&](int count, int age, const std::string& status, bool stages) {
      for (int i = 0; i < count; ++i) specs_.push_back({Uuid(++n), age, status, stages});
    };
    add(2, 10, "succeeded", true);
    add(3, 40, "failed", true);
    add(7, 100, "succeeded", true);
    add(2, 400, "partial", true);
    add(1, 100, "running", true);
    add(1, 400, "running", true);
    add(1, 100, "succeeded", false);
    add(1, 40, "succeeded", false);
    for (const RunSpec& s : specs_) Insert(s);
  }

  static bool Due(const RunSpec& s, int days, int abandoned = 365) {
    return s.age_days >= days && (s.status != "running" || s.age_days >= abandoned);
  }

  // (run_id, table_name) of the rows in `table` now.
  std::set<std::pair<std::string, std::string>> Keys(const std::string& table) {
    const bool runs = table == "runs_info";
    auto rows = conn_->Query(runs ? "SELECT run_id, '' FROM runs_info"
                                  : "SELECT run_id, table_name FROM " + table);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::set<std::pair<std::string, std::string>> out;
    for (int r = 0; rows.ok() && r < rows->num_rows(); ++r) {
      out.emplace(std::string(rows->Get(r, 0)), std::string(rows->Get(r, 1)));
    }
    return out;
  }

  // The rows the model keeps after a pass at kNow + `later`, and the counts it deletes.
  std::set<std::pair<std::string, std::string>> Expected(const std::string& table, int later,
                                                         const RetentionOptions& o) {
    std::set<std::pair<std::string, std::string>> out;
    const pipeline::MetaTable* t = pipeline::FindMetadataTable(table);
    for (const RunSpec& s : specs_) {
      RunSpec aged = s;
      aged.age_days += later;
      if (Due(aged, RetentionDays(o, "runs_info"))) continue;  // the run is gone
      if (table == "runs_info") {
        out.emplace(s.id, "");
        continue;
      }
      if (!s.stages || Due(aged, RetentionDays(o, table))) continue;
      for (const auto& [name, stages] : StageLayout()) {
        for (const pipeline::MetaTable* st : stages) {
          if (st == t) out.emplace(s.id, name);
        }
      }
    }
    return out;
  }

  int64_t Scalar(const std::string& sql) {
    auto rows = conn_->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->num_rows() != 1) return -1;
    return *rows->GetInt(0, 0);
  }

  void ExpectTablesAsModel(int later, const RetentionOptions& o) {
    for (const char* t : {"runs_info", "extract_info", "normalize_info", "load_info"}) {
      EXPECT_EQ(Keys(t), Expected(t, later, o)) << t;
    }
  }

  struct Archive {
    // (run_id, table_name or "<null>") -> how often it appears.
    std::map<std::pair<std::string, std::string>, int> pairs;
    std::vector<std::unique_ptr<ColumnBatch>> batches;
    size_t snapshots = 0;
  };

  Archive ReadArchive(const RetentionOptions& o) {
    Archive out;
    LocalFileIO io;
    auto store = iceberg::SqlCatalogStore::Open(o.archive.catalog_uri, "nilus");
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return out;
    auto catalog = iceberg::Catalog::Make(store->get(), &io, o.archive.warehouse);
    EXPECT_TRUE(catalog.ok());
    auto table = (*catalog)->LoadTable(o.archive.ns, o.archive.table);
    EXPECT_TRUE(table.ok()) << table.status().ToString();
    if (!table.ok()) return out;
    out.snapshots = (*table)->metadata().snapshots.size();
    auto batches = iceberg::ScanTable(**table);
    EXPECT_TRUE(batches.ok()) << batches.status().ToString();
    if (!batches.ok()) return out;
    for (auto& b : *batches) {
      const int id = b->schema()->FindTopLevelIndex("run_id");
      const int tn = b->schema()->FindTopLevelIndex("table_name");
      for (int64_t r = 0; r < b->num_rows(); ++r) {
        const Column& t = b->column(tn);
        ++out.pairs[{std::string(b->column(id).Bytes(r)),
                     t.IsNull(r) ? "<null>" : std::string(t.Bytes(r))}];
      }
      out.batches.push_back(std::move(b));
    }
    return out;
  }

  // The (run, table) pairs an archive of the runs due at kNow + later holds.
  std::set<std::pair<std::string, std::string>> ExpectedArchive(int later,
                                                                const RetentionOptions& o) {
    int min_days = o.default_days;
    for (const auto& [t, d] : o.table_days) min_days = std::min(min_days, d);
    std::set<std::pair<std::string, std::string>> out;
    for (const RunSpec& s : specs_) {
      RunSpec aged = s;
      aged.age_days += later;
      if (!Due(aged, min_days)) continue;
      if (!s.stages) {
        out.emplace(s.id, "<null>");
        continue;
      }
      for (const auto& [name, stages] : StageLayout()) out.emplace(s.id, name);
    }
    return out;
  }

  std::unique_ptr<PgConnection> conn_;
  std::string schema_;
  std::string job_url_;
  std::string dir_;
  std::vector<RunSpec> specs_;
};

std::set<std::pair<std::string, std::string>> KeysOf(
    const std::map<std::pair<std::string, std::string>, int>& m) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& [k, n] : m) out.insert(k);
  return out;
}

TEST_F(RetentionPgTest, DeletesExpiredRowsByEachTablesRetention) {
  Populate();
  RetentionOptions o = Options(false);
  auto job = Job(o);
  ASSERT_NE(job, nullptr);
  auto report = job->RunOnce(kNow);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ExpectTablesAsModel(0, o);
  // Stage rows of runs 40+ days old (running ones only past 365 days): 3 + 7 + 2 + 1 runs with
  // 2 extract rows and 1 normalize row each; load rows (3 per run) of runs 60+ days old; runs
  // 90+ days old.
  EXPECT_EQ(report->deleted.at("extract_info"), 26);
  EXPECT_EQ(report->deleted.at("normalize_info"), 13);
  EXPECT_EQ(report->deleted.at("load_info"), 30);
  EXPECT_EQ(report->deleted.at("runs_info"), 11);
  EXPECT_EQ(report->runs_archived, 0);
  EXPECT_EQ(report->archive_commits, 0);
  // The running run of 100 days is still there with its stage rows.
  EXPECT_EQ(Scalar("SELECT count(*) FROM extract_info e JOIN runs_info r USING (run_id) "
                   "WHERE r.status = 'running'"),
            2);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/lake"));

  auto again = job->RunOnce(kNow);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->deleted.empty());
  ExpectTablesAsModel(0, o);

  // 30 days later the 10-day-old runs lose their extract and normalize rows.
  auto later = job->RunOnce(kNow + std::chrono::days(30));
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  ExpectTablesAsModel(30, o);
  EXPECT_EQ(later->deleted.at("extract_info"), 4);
}

TEST_F(RetentionPgTest, ArchivesRunsOnceBeforeDeletingThem) {
  Populate();
  RetentionOptions o = Options(true);
  auto job = Job(o);
  ASSERT_NE(job, nullptr);
  auto report = job->RunOnce(kNow);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  // Every run 30+ days old (running: 365+) is archived: 3 + 7 + 2 + 1 with stages, 2 without.
  EXPECT_EQ(report->runs_archived, 15);
  EXPECT_EQ(report->archive_commits, 4);  // batches of 4 runs
  EXPECT_EQ(report->archive_rows, 13 * 3 + 2);
  ExpectTablesAsModel(0, o);
  EXPECT_EQ(report->deleted.at("runs_info"), 11);

  Archive archive = ReadArchive(o);
  EXPECT_EQ(KeysOf(archive.pairs), ExpectedArchive(0, o));
  for (const auto& [k, n] : archive.pairs) EXPECT_EQ(n, 1) << k.first << " " << k.second;
  EXPECT_EQ(archive.snapshots, 4u);
  // The values of one row: run 3 (40 days, failed), table orders__items (load only).
  bool found = false;
  for (const auto& b : archive.batches) {
    auto col = [&](const char* name) -> const Column& {
      return b->column(b->schema()->FindTopLevelIndex(name));
    };
    for (int64_t r = 0; r < b->num_rows(); ++r) {
      if (col("run_id").Bytes(r) != Uuid(3) || col("table_name").IsNull(r) ||
          col("table_name").Bytes(r) != "orders__items") {
        continue;
      }
      found = true;
      EXPECT_EQ(col("pipeline").Bytes(r), "shop");
      EXPECT_EQ(col("run_status").Bytes(r), "failed");
      EXPECT_EQ(col("run_load_id").Bytes(r), "L-" + Uuid(3));
      EXPECT_EQ(col("run_rows_loaded").Value<int64_t>(r), 40);
      EXPECT_EQ(col("run_started_at").Value<int64_t>(r),
                (kNow - std::chrono::days(40) - std::chrono::hours(1)).time_since_epoch().count());
      EXPECT_TRUE(col("extract_row_count").IsNull(r));
      EXPECT_TRUE(col("normalize_status").IsNull(r));
      EXPECT_EQ(col("load_row_count").Value<int64_t>(r), 400);
      EXPECT_EQ(col("load_destination_table").Bytes(r), "shop.orders__items");
      EXPECT_EQ(col("load_snapshot_id").Value<int64_t>(r), 7);
      EXPECT_EQ(col("archived_at").Value<int64_t>(r), kNow.time_since_epoch().count());
    }
  }
  EXPECT_TRUE(found);
  // The runs still in runs_info are marked; the batches are done.
  EXPECT_EQ(Scalar("SELECT count(*) FROM nilus_archived_runs"), 4);
  EXPECT_EQ(Scalar("SELECT count(*) FROM nilus_archive_batches WHERE state = 'done'"), 4);
  EXPECT_EQ(Scalar("SELECT count(*) FROM nilus_archive_batches"), 4);

  // Again: nothing new to archive or delete.
  auto again = job->RunOnce(kNow);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->runs_archived, 0);
  EXPECT_EQ(again->archive_commits, 0);
  EXPECT_EQ(again->archive_rows, 0);
  EXPECT_TRUE(again->deleted.empty());
  EXPECT_EQ(ReadArchive(o).snapshots, 4u);

  // 25 days later the two 10-day-old runs are due: one more commit, still one row per pair.
  auto later = job->RunOnce(kNow + std::chrono::days(25));
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(later->runs_archived, 2);
  EXPECT_EQ(later->archive_commits, 1);
  ExpectTablesAsModel(25, o);
  archive = ReadArchive(o);
  EXPECT_EQ(KeysOf(archive.pairs), ExpectedArchive(25, o));
  for (const auto& [k, n] : archive.pairs) EXPECT_EQ(n, 1) << k.first << " " << k.second;
}

TEST_F(RetentionPgTest, PendingBatchesAreFinishedWithoutAppendingTwice) {
  // Only runs that are archived but not deleted (40 days: their extract rows expire).
  for (int i = 1; i <= 5; ++i) specs_.push_back({Uuid(i), 40, "succeeded", true});
  specs_.push_back({Uuid(6), 5, "succeeded", true});
  specs_.push_back({Uuid(7), 5, "succeeded", true});
  for (const RunSpec& s : specs_) Insert(s);
  RetentionOptions o = Options(true);
  o.archive.batch_runs = 2;
  auto job = Job(o);
  ASSERT_NE(job, nullptr);
  auto first = job->RunOnce(kNow);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->runs_archived, 5);
  EXPECT_EQ(first->archive_commits, 3);

  // A crash after the last batch's commit, before the marking: the batch is pending and its
  // runs are unmarked.
  ASSERT_TRUE(conn_
                  ->Exec("UPDATE nilus_archive_batches SET state = 'pending', finished_at = NULL "
                         "WHERE batch_id = (SELECT max(batch_id) FROM nilus_archive_batches); "
                         "DELETE FROM nilus_archived_runs WHERE load_id = (SELECT load_id FROM "
                         "nilus_archive_batches WHERE state = 'pending')")
                  .ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM nilus_archived_runs"), 4);
  // And a batch that crashed before its commit: the 5-day-old runs (not due yet).
  ASSERT_TRUE(conn_
                  ->Query("INSERT INTO nilus_archive_batches (load_id, run_ids, created_at) VALUES "
                          "('crashed-load', $1::uuid[], now())",
                          {"{" + Uuid(6) + "," + Uuid(7) + "}"})
                  .ok());

  auto second = job->RunOnce(kNow);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->runs_archived, 3);    // 1 of the committed batch, 2 of the crashed one
  EXPECT_EQ(second->archive_commits, 1);  // only the batch that had not committed
  EXPECT_EQ(second->archive_rows, 2 * 3);
  EXPECT_EQ(Scalar("SELECT count(*) FROM nilus_archive_batches WHERE state = 'pending'"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM nilus_archived_runs"), 7);

  Archive archive = ReadArchive(o);
  EXPECT_EQ(archive.pairs.size(), 7u * 3);
  for (const auto& [k, n] : archive.pairs) EXPECT_EQ(n, 1) << k.first << " " << k.second;
  EXPECT_EQ(archive.snapshots, 4u);

  // Archived early, the 5-day-old runs are not archived again when they become due.
  auto later = job->RunOnce(kNow + std::chrono::days(40));
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(later->runs_archived, 0);
  EXPECT_EQ(later->archive_commits, 0);
  EXPECT_EQ(ReadArchive(o).pairs.size(), 7u * 3);
}

TEST_F(RetentionPgTest, AFailingArchiveDeletesNothing) {
  Populate();
  const int64_t rows_before = Scalar(
      "SELECT (SELECT count(*) FROM runs_info) + (SELECT count(*) FROM extract_info) + "
      "(SELECT count(*) FROM normalize_info) + (SELECT count(*) FROM load_info)");
  RetentionOptions broken = Options(true);
  broken.archive.catalog_uri = "sqlite:////proc/nilus-no-such-dir/catalog.db";
  auto job = Job(broken);
  ASSERT_NE(job, nullptr);
  auto report = job->RunOnce(kNow);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("retention: archive"), std::string::npos)
      << report.status().ToString();
  EXPECT_EQ(Scalar("SELECT (SELECT count(*) FROM runs_info) + (SELECT count(*) FROM "
                   "extract_info) + (SELECT count(*) FROM normalize_info) + (SELECT count(*) "
                   "FROM load_info)"),
            rows_before);
  EXPECT_EQ(Scalar("SELECT count(*) FROM nilus_archive_batches WHERE state = 'pending'"), 1);

  // Fixed, the next pass finishes the pending batch and goes on.
  RetentionOptions o = Options(true);
  auto fixed = Job(o);
  auto ok = fixed->RunOnce(kNow);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->runs_archived, 15);
  ExpectTablesAsModel(0, o);
  Archive archive = ReadArchive(o);
  EXPECT_EQ(KeysOf(archive.pairs), ExpectedArchive(0, o));
  for (const auto& [k, n] : archive.pairs) EXPECT_EQ(n, 1) << k.first << " " << k.second;
}

TEST_F(RetentionPgTest, AnArchiveMissingColumnsGainsThemBySchemaEvolution) {
  // An archive created by an older Nilus, before the metadata tables had their last columns.
  RetentionOptions o = Options(true);
  std::filesystem::create_directories(o.archive.warehouse);
  {
    LocalFileIO io;
    auto store = iceberg::SqlCatalogStore::Open(o.archive.catalog_uri, "nilus");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->CreateNamespace(o.archive.ns).ok());
    auto catalog = iceberg::Catalog::Make(store->get(), &io, o.archive.warehouse);
    ASSERT_TRUE(catalog.ok());
    std::vector<NestedField> old;
    for (const NestedField& f : ArchiveSchema()->fields()) {
      if (f.name != "run_files_loaded" && f.name != "load_committed_lsn") old.push_back(f);
    }
    auto created = (*catalog)->CreateTable(o.archive.ns, o.archive.table, Schema(old),
                                           iceberg::PartitionSpec::Unpartitioned());
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  Populate();
  auto job = Job(o);
  ASSERT_NE(job, nullptr);
  auto report = job->RunOnce(kNow);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->runs_archived, 15);
  Archive archive = ReadArchive(o);
  EXPECT_EQ(KeysOf(archive.pairs), ExpectedArchive(0, o));
  ASSERT_FALSE(archive.batches.empty());
  const Schema& schema = *archive.batches[0]->schema();
  for (const ArchiveField& f : ArchiveFields()) {
    EXPECT_GE(schema.FindTopLevelIndex(f.name), 0) << f.name;
  }
  const int files = schema.FindTopLevelIndex("run_files_loaded");
  ASSERT_GE(files, 0);
  for (const auto& b : archive.batches) {
    for (int64_t r = 0; r < b->num_rows(); ++r) EXPECT_EQ(b->column(files).Value<int64_t>(r), 0);
  }
}

TEST_F(RetentionPgTest, APassFindingTheLockTakenDoesNothing) {
  Populate();
  RetentionOptions o = Options(true);
  // Another Manager's pass holds the retention lock.
  ASSERT_TRUE(conn_->Query("SELECT pg_advisory_lock(731142, hashtext(current_schema()))").ok());
  auto job = Job(o);
  ASSERT_NE(job, nullptr);
  auto busy = job->RunOnce(kNow);
  ASSERT_TRUE(busy.ok()) << busy.status().ToString();
  EXPECT_TRUE(busy->lock_busy);
  EXPECT_TRUE(busy->deleted.empty());
  EXPECT_EQ(busy->runs_archived, 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM runs_info"), static_cast<int64_t>(specs_.size()));
  ASSERT_TRUE(conn_->Query("SELECT pg_advisory_unlock(731142, hashtext(current_schema()))").ok());
  auto done = job->RunOnce(kNow);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_FALSE(done->lock_busy);
  ExpectTablesAsModel(0, o);
}

}  // namespace
}  // namespace nilus::manager
