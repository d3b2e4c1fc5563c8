// SqliteMetadataStore: run lifecycle, idempotent re-sends, concurrency, migrations, reopening,
// foreign keys and listing. Every check reads back through the store or a second raw
// connection, as sqlite3/DuckDB users would.
#include "pipeline/metadata/sqlite_metadata_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace nilus::pipeline {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

MetaTime T0() { return MetaTime(std::chrono::microseconds(1767323045000000)); }

std::string Uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "00000000-0000-4000-8000-%012x", n);
  return buf;
}

RunInfo MakeRun(int n, std::string pipeline = "shop", MetaTime started = T0()) {
  RunInfo r;
  r.run_id = Uuid(n);
  r.pipeline = std::move(pipeline);
  r.started_at = started;
  r.nilus_version = "0.1.0";
  r.host = "host-a";
  r.config_hash = "abc123";
  r.load_id = "load-" + std::to_string(n);
  r.tables_total = 2;
  return r;
}

ExtractInfo MakeExtract(const std::string& run_id, const std::string& table, int64_t rows) {
  ExtractInfo e;
  e.run_id = run_id;
  e.table_name = table;
  e.status = StageStatus::kSucceeded;
  e.started_at = T0();
  e.finished_at = T0() + seconds(2);
  e.row_count = rows;
  e.byte_count = rows * 10;
  e.source_kind = "postgres";
  e.source_table = "public." + table;
  e.chunks = 4;
  e.cursor_column = "updated_at";
  e.cursor_from = "2026-01-01 00:00:00";
  e.cursor_to = "2026-01-02 00:00:00";
  return e;
}

NormalizeInfo MakeNormalize(const std::string& run_id, const std::string& table, int64_t rows) {
  NormalizeInfo n;
  n.run_id = run_id;
  n.table_name = table;
  n.status = StageStatus::kSucceeded;
  n.started_at = T0() + seconds(1);
  n.finished_at = T0() + seconds(3);
  n.row_count = rows;
  n.variant_columns = {"price__v_string"};
  n.child_tables = {{table + "__items", rows * 2}};
  n.schema_changes = {{"add_column", "note", "", "string"}};
  return n;
}

LoadInfo MakeLoad(const std::string& run_id, const std::string& table, int64_t rows) {
  LoadInfo l;
  l.run_id = run_id;
  l.table_name = table;
  l.status = StageStatus::kSucceeded;
  l.started_at = T0() + seconds(2);
  l.finished_at = T0() + seconds(5);
  l.row_count = rows;
  l.byte_count = rows * 4;
  l.file_count = 1;
  l.destination_table = "shop." + table;
  l.write_disposition = "merge";
  l.load_id = "load-1";
  l.snapshot_id = 8123456789012345678;
  l.sequence_number = 3;
  l.committed_cursor = "2026-01-02 00:00:00";
  return l;
}

class SqliteMetadataStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nilus_meta_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    path_ = SqliteMetadataStore::DefaultPath((dir_ / "warehouse").string());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<SqliteMetadataStore> OpenStore() {
    auto store = SqliteMetadataStore::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // A count through a second, independent connection.
  int64_t Count(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      n = sqlite3_column_int64(stmt, 0);
    } else {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(SqliteMetadataStoreTest, OpenCreatesTheDatabaseUnderTheWarehouse) {
  EXPECT_EQ(fs::path(path_).filename(), "metadata.db");
  EXPECT_EQ(fs::path(path_).parent_path().filename(), "_nilus");
  auto store = OpenStore();
  ASSERT_TRUE(store);
  EXPECT_TRUE(fs::exists(path_));
  EXPECT_EQ(*store->SchemaVersion(), MetadataSchemaVersion());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                  "('runs_info', 'extract_info', 'normalize_info', 'load_info')"),
            4);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
  EXPECT_EQ(SqliteMetadataStore::DefaultPath("file:///srv/wh"), "/srv/wh/_nilus/metadata.db");
}

TEST_F(SqliteMetadataStoreTest, FullRunLifecycle) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  RunInfo run = MakeRun(1);
  ASSERT_TRUE(store->BeginRun(run).ok());
  {
    auto d = store->GetRun(run.run_id);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->run.status, RunStatus::kRunning);
    EXPECT_FALSE(d->run.finished_at.has_value());
  }

  std::vector<ExtractInfo> ex = {MakeExtract(run.run_id, "orders", 1000),
                                 MakeExtract(run.run_id, "customers", 50)};
  ASSERT_TRUE(store->RecordExtract(ex).ok());
  std::vector<NormalizeInfo> no = {MakeNormalize(run.run_id, "orders", 1000),
                                   MakeNormalize(run.run_id, "customers", 50)};
  ASSERT_TRUE(store->RecordNormalize(no).ok());
  std::vector<LoadInfo> lo = {MakeLoad(run.run_id, "orders", 1000),
                              MakeLoad(run.run_id, "orders__items", 2000),
                              MakeLoad(run.run_id, "customers", 50)};
  lo[1].parent_table = "orders";
  lo[2].status = StageStatus::kFailed;
  lo[2].error = "commit conflict after 5 retries";
  lo[2].snapshot_id.reset();
  ASSERT_TRUE(store->RecordLoad(lo).ok());

  RunFinish fin{run.run_id, RunStatus::kPartial, T0() + seconds(7) + std::chrono::milliseconds(250),
                "1 of 2 tables failed"};
  ASSERT_TRUE(store->FinishRun(fin).ok());

  auto d = store->GetRun(run.run_id);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->run.pipeline, "shop");
  EXPECT_EQ(d->run.status, RunStatus::kPartial);
  EXPECT_EQ(d->run.error, "1 of 2 tables failed");
  EXPECT_EQ(d->run.finished_at, fin.finished_at);
  EXPECT_EQ(d->run.duration_ms, 7250);
  EXPECT_EQ(d->run.load_id, "load-1");
  EXPECT_EQ(d->run.tables_total, 2);
  // Totals from the stage rows.
  EXPECT_EQ(d->run.rows_extracted, 1050);
  EXPECT_EQ(d->run.bytes_extracted, 10500);
  EXPECT_EQ(d->run.rows_loaded, 3050);
  EXPECT_EQ(d->run.bytes_loaded, 12200);
  EXPECT_EQ(d->run.files_loaded, 3);
  EXPECT_EQ(d->run.tables_failed, 1);

  ASSERT_EQ(d->extract.size(), 2u);
  EXPECT_EQ(d->extract[0].table_name, "customers");  // ordered by table name
  EXPECT_EQ(d->extract[1].source_table, "public.orders");
  EXPECT_EQ(d->extract[1].duration_ms, 2000);
  EXPECT_EQ(d->extract[1].chunks, 4);
  EXPECT_EQ(d->extract[1].cursor_to, "2026-01-02 00:00:00");
  EXPECT_FALSE(d->extract[1].lsn_from.has_value());
  ASSERT_EQ(d->normalize.size(), 2u);
  EXPECT_EQ(d->normalize[1].child_tables, no[0].child_tables);
  EXPECT_EQ(d->normalize[1].schema_changes, no[0].schema_changes);
  ASSERT_EQ(d->load.size(), 3u);
  EXPECT_EQ(d->load[0].table_name, "customers");
  EXPECT_EQ(d->load[0].status, StageStatus::kFailed);
  EXPECT_EQ(d->load[0].error, "commit conflict after 5 retries");
  EXPECT_FALSE(d->load[0].snapshot_id.has_value());
  EXPECT_EQ(d->load[1].snapshot_id, 8123456789012345678);
  EXPECT_EQ(d->load[2].parent_table, "orders");
  EXPECT_EQ(d->load[2].sequence_number, 3);
}

TEST_F(SqliteMetadataStoreTest, ReRecordingReplacesInsteadOfDuplicating) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  RunInfo run = MakeRun(2);
  ASSERT_TRUE(store->BeginRun(run).ok());
  ASSERT_TRUE(store->BeginRun(run).ok());  // a re-sent begin

  ExtractInfo e = MakeExtract(run.run_id, "orders", 10);
  e.status = StageStatus::kRunning;
  e.finished_at.reset();
  ASSERT_TRUE(store->RecordExtract({&e, 1}).ok());
  e.status = StageStatus::kSucceeded;
  e.row_count = 500;
  e.finished_at = T0() + seconds(9);
  ASSERT_TRUE(store->RecordExtract({&e, 1}).ok());
  ASSERT_TRUE(store->RecordExtract({&e, 1}).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM extract_info"), 1);
  EXPECT_EQ(Count("SELECT row_count FROM extract_info"), 500);
  EXPECT_EQ(Count("SELECT duration_ms FROM extract_info"), 9000);

  LoadInfo l = MakeLoad(run.run_id, "orders", 500);
  ASSERT_TRUE(store->RecordLoad({&l, 1}).ok());
  ASSERT_TRUE(store->RecordLoad({&l, 1}).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM load_info"), 1);

  RunFinish fin{run.run_id, RunStatus::kSucceeded, T0() + seconds(10), std::nullopt};
  ASSERT_TRUE(store->FinishRun(fin).ok());
  ASSERT_TRUE(store->FinishRun(fin).ok());
  // A begin re-sent after the finish (a spool replaying) keeps the finish.
  ASSERT_TRUE(store->BeginRun(run).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs_info"), 1);
  auto d = store->GetRun(run.run_id);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->run.status, RunStatus::kSucceeded);
  EXPECT_EQ(d->run.finished_at, fin.finished_at);
  EXPECT_EQ(d->run.rows_extracted, 500);
  EXPECT_EQ(d->run.rows_loaded, 500);
  // The same table may appear in every stage table: the key is per stage.
  NormalizeInfo n = MakeNormalize(run.run_id, "orders", 500);
  ASSERT_TRUE(store->RecordNormalize({&n, 1}).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM normalize_info"), 1);
}

TEST_F(SqliteMetadataStoreTest, ConcurrentRecordingFromManyThreads) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  constexpr int kRuns = 2, kThreads = 6, kTablesPerThread = 25;
  for (int r = 0; r < kRuns; ++r) ASSERT_TRUE(store->BeginRun(MakeRun(100 + r)).ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTablesPerThread; ++i) {
        std::string run_id = Uuid(100 + (i % kRuns));
        std::string table = "t" + std::to_string(t) + "_" + std::to_string(i);
        ExtractInfo e = MakeExtract(run_id, table, i + 1);
        NormalizeInfo n = MakeNormalize(run_id, table, i + 1);
        LoadInfo l = MakeLoad(run_id, table, i + 1);
        // Each stage twice: the second is a re-send.
        for (int rep = 0; rep < 2; ++rep) {
          if (!store->RecordExtract({&e, 1}).ok()) ++failures;
          if (!store->RecordNormalize({&n, 1}).ok()) ++failures;
          if (!store->RecordLoad({&l, 1}).ok()) ++failures;
        }
        if (i % 5 == 0) {
          auto runs = store->ListRuns("shop", 10);
          if (!runs.ok() || runs->size() != kRuns) ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  const int64_t total = kThreads * kTablesPerThread;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM extract_info"), total);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM normalize_info"), total);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM load_info"), total);

  int64_t expected_rows = 0;
  for (int r = 0; r < kRuns; ++r) {
    int64_t rows = 0;
    for (int t = 0; t < kThreads; ++t) {
      for (int i = r; i < kTablesPerThread; i += kRuns) rows += i + 1;
    }
    ASSERT_TRUE(
        store->FinishRun({Uuid(100 + r), RunStatus::kSucceeded, T0() + seconds(60), std::nullopt})
            .ok());
    auto d = store->GetRun(Uuid(100 + r));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->run.rows_extracted, rows);
    EXPECT_EQ(d->run.rows_loaded, rows);
    expected_rows += rows;
  }
  EXPECT_EQ(Count("SELECT SUM(rows_loaded) FROM runs_info"), expected_rows);
}

TEST_F(SqliteMetadataStoreTest, TwoStoresOnOneFileWaitForEachOther) {
  // Two pipelines sharing a warehouse: two connections, serialized by SQLite's lock and the
  // busy timeout instead of failing with "database is locked".
  auto a = OpenStore();
  auto b = OpenStore();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->BeginRun(MakeRun(400)).ok());
  ASSERT_TRUE(b->BeginRun(MakeRun(401)).ok());
  std::atomic<int> failures{0};
  auto work = [&](SqliteMetadataStore* store, int run) {
    for (int i = 0; i < 40; ++i) {
      LoadInfo l = MakeLoad(Uuid(run), "t" + std::to_string(i), i);
      Status st = store->RecordLoad({&l, 1});
      if (!st.ok()) {
        ++failures;
        ADD_FAILURE() << st.ToString();
      }
    }
  };
  std::thread ta(work, a.get(), 400);
  std::thread tb(work, b.get(), 401);
  ta.join();
  tb.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM load_info"), 80);
  auto from_a = a->GetRun(Uuid(401));  // a sees b's rows
  ASSERT_TRUE(from_a.ok());
  EXPECT_EQ(from_a->load.size(), 40u);
}

TEST_F(SqliteMetadataStoreTest, MigrationsApplyOnceAndReopenKeepsData) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->Migrate().ok());
    ASSERT_TRUE(store->Migrate().ok());
    EXPECT_EQ(*store->SchemaVersion(), MetadataSchemaVersion());
    ASSERT_TRUE(store->BeginRun(MakeRun(3)).ok());
    ExtractInfo e = MakeExtract(Uuid(3), "orders", 7);
    ASSERT_TRUE(store->RecordExtract({&e, 1}).ok());
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM nilus_schema_version"), MetadataSchemaVersion());
  auto again = OpenStore();
  ASSERT_TRUE(again);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM nilus_schema_version"), MetadataSchemaVersion());
  auto d = again->GetRun(Uuid(3));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->extract.size(), 1u);
  EXPECT_EQ(d->extract[0].row_count, 7);
}

TEST_F(SqliteMetadataStoreTest, RefusesADatabaseFromANewerNilus) {
  { ASSERT_TRUE(OpenStore()); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO nilus_schema_version VALUES (999, "
                         "'2030-01-01T00:00:00.000000Z')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = SqliteMetadataStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("999"), std::string::npos);
}

TEST_F(SqliteMetadataStoreTest, StageRowsNeedTheirRun) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  ExtractInfo orphan = MakeExtract(Uuid(77), "orders", 1);
  Status st = store->RecordExtract({&orphan, 1});
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM extract_info"), 0);

  // A batch is all or nothing: a good record next to an orphan is not stored either.
  ASSERT_TRUE(store->BeginRun(MakeRun(4)).ok());
  std::vector<LoadInfo> batch = {MakeLoad(Uuid(4), "orders", 1), MakeLoad(Uuid(77), "x", 1)};
  EXPECT_EQ(store->RecordLoad(batch).code(), StatusCode::kNotFound);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM load_info"), 0);
  // A malformed record rejects its whole batch before anything is written.
  batch[1].run_id = "bad";
  EXPECT_EQ(store->RecordLoad(batch).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM load_info"), 0);

  EXPECT_EQ(store->FinishRun({Uuid(78), RunStatus::kFailed, T0(), "x"}).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store->GetRun(Uuid(78)).status().code(), StatusCode::kNotFound);

  // Deleting a run (retention) deletes its stage rows.
  batch.pop_back();
  ASSERT_TRUE(store->RecordLoad(batch).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "PRAGMA foreign_keys=ON; DELETE FROM runs_info", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM load_info"), 0);
}

TEST_F(SqliteMetadataStoreTest, ListRunsFiltersAndPagesByKeyset) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  // 7 runs of "shop" (two share a start time) and 2 of "crm".
  for (int i = 0; i < 7; ++i) {
    RunInfo r = MakeRun(200 + i, "shop", T0() + seconds(i == 6 ? 5 : i));
    ASSERT_TRUE(store->BeginRun(r).ok());
    if (i % 2 == 0) {
      ASSERT_TRUE(
          store->FinishRun({r.run_id, RunStatus::kFailed, T0() + seconds(100), "boom"}).ok());
    }
  }
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(store->BeginRun(MakeRun(300 + i, "crm")).ok());

  auto crm = store->ListRuns("crm", 10);
  ASSERT_TRUE(crm.ok());
  EXPECT_EQ(crm->size(), 2u);
  auto all = store->ListRuns("", 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 9u);

  // Page through "shop" three at a time.
  std::vector<std::string> seen;
  RunListQuery q;
  q.pipeline = "shop";
  q.limit = 3;
  for (int page = 0; page < 5; ++page) {
    auto runs = store->ListRuns(q);
    ASSERT_TRUE(runs.ok()) << runs.status().ToString();
    if (runs->empty()) break;
    for (const RunInfo& r : *runs) seen.push_back(r.run_id);
    q.after = RunPageKey{runs->back().started_at, runs->back().run_id};
  }
  // Newest first; the tie at +5s is ordered by run_id descending.
  std::vector<std::string> expected = {Uuid(206), Uuid(205), Uuid(204), Uuid(203),
                                       Uuid(202), Uuid(201), Uuid(200)};
  EXPECT_EQ(seen, expected);

  RunListQuery failed;
  failed.status = RunStatus::kFailed;
  failed.started_from = T0() + seconds(1);
  failed.started_before = T0() + seconds(5);
  auto f = store->ListRuns(failed);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 2u);  // runs 204 (+4s) and 202 (+2s)
  EXPECT_EQ((*f)[0].run_id, Uuid(204));
  EXPECT_EQ((*f)[1].run_id, Uuid(202));
  EXPECT_EQ((*f)[0].error, "boom");
}

}  // namespace
}  // namespace nilus::pipeline
