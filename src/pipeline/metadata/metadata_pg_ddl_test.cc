// The PostgreSQL side of the shared metadata schema, against a real server: the generated DDL
// runs (twice) in a scratch schema, the columns come out with the intended types, and the
// generated upsert and finish statements behave as in SQLite (idempotent, foreign keys).
// Needs NILUS_TEST_PG_URL (scripts/test sets it); skipped without it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "extract/postgres/pg_connection.h"
#include "pipeline/metadata/metadata_schema.h"
#include "pipeline/metadata/run_records.h"

namespace nilus::pipeline {
namespace {

class MetadataPgDdlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("NILUS_TEST_PG_URL");
    if (!url || !*url) GTEST_SKIP() << "NILUS_TEST_PG_URL is not set (scripts/test sets it)";
    auto conn = PgConnection::Open(url);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_ = std::move(conn).value();
    schema_ = "nilus_meta_ddl_" + std::to_string(::getpid());
    ASSERT_TRUE(conn_
                    ->Exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE; CREATE SCHEMA " +
                           schema_ + "; SET search_path TO " + schema_)
                    .ok());
  }
  void TearDown() override {
    if (conn_) (void)conn_->Exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
  }

  int64_t Scalar(const std::string& sql) {
    auto rows = conn_->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->num_rows() != 1) return -1;
    return *rows->GetInt(0, 0);
  }

  std::unique_ptr<PgConnection> conn_;
  std::string schema_;
};

TEST_F(MetadataPgDdlTest, DdlCreatesTheTablesWithNativeTypesAndIsRerunnable) {
  Status st = conn_->Exec(PostgresDdl());
  ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << PostgresDdl();
  st = conn_->Exec(PostgresDdl());
  ASSERT_TRUE(st.ok()) << st.ToString();

  const std::map<MetaColumnType, std::string> pg_type = {
      {MetaColumnType::kUuid, "uuid"},     {MetaColumnType::kText, "text"},
      {MetaColumnType::kJson, "jsonb"},    {MetaColumnType::kTimestamp, "timestamp with time zone"},
      {MetaColumnType::kInt32, "integer"}, {MetaColumnType::kInt64, "bigint"},
      {MetaColumnType::kBool, "boolean"}};
  for (const MetaTable& t : MetadataTables()) {
    auto rows = conn_->Query(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
        {schema_, std::string(t.name)});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    ASSERT_EQ(rows->num_rows(), static_cast<int>(t.columns.size())) << t.name;
    for (int i = 0; i < rows->num_rows(); ++i) {
      const MetaColumn& c = t.columns[i];
      EXPECT_EQ(rows->Get(i, 0), c.name);
      EXPECT_EQ(rows->Get(i, 1), pg_type.at(c.type)) << t.name << "." << c.name;
      EXPECT_EQ(rows->Get(i, 2), c.nullable ? "YES" : "NO") << t.name << "." << c.name;
    }
  }
  // Indexes for the Manager's listings exist.
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM pg_indexes WHERE schemaname = '" + schema_ +
                   "' AND indexname IN ('runs_info_pipeline_started_idx', "
                   "'runs_info_status_started_idx', 'runs_info_started_idx', "
                   "'load_info_destination_idx')"),
            4);
}

TEST_F(MetadataPgDdlTest, GeneratedUpsertAndFinishBehaveLikeSqlite) {
  ASSERT_TRUE(conn_->Exec(PostgresDdl()).ok());
  const std::string run_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  MetaTime t0 = MetaTime(std::chrono::microseconds(1767323045000000));

  RunInfo run;
  run.run_id = run_id;
  run.pipeline = "shop";
  run.started_at = t0;
  run.nilus_version = "0.1.0";
  run.load_id = "L1";
  run.full_refresh = true;
  auto run_row = ToRow(run);
  ASSERT_TRUE(run_row.ok());
  const std::string begin_sql =
      UpsertSql(SqlDialect::kPostgres, RunsInfoTable(), RunBeginColumns());
  for (int i = 0; i < 2; ++i) {
    auto r = conn_->Query(begin_sql, MetaRowTextParams(*run_row));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  NormalizeInfo n;
  n.run_id = run_id;
  n.table_name = "orders";
  n.started_at = t0;
  n.finished_at = t0 + std::chrono::seconds(2);
  n.row_count = 10;
  n.child_tables = {{"orders__items", 20}};
  n.schema_changes = {{"add_column", "note", "", "string"}};
  auto n_row = ToRow(n);
  ASSERT_TRUE(n_row.ok());
  const std::string n_sql = UpsertSql(SqlDialect::kPostgres, NormalizeInfoTable());
  ASSERT_TRUE(conn_->Query(n_sql, MetaRowTextParams(*n_row)).ok());
  n.row_count = 11;
  ASSERT_TRUE(conn_->Query(n_sql, MetaRowTextParams(*ToRow(n))).ok());
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM normalize_info"), 1);
  EXPECT_EQ(Scalar("SELECT row_count FROM normalize_info"), 11);
  EXPECT_EQ(Scalar("SELECT (child_tables->0->>'row_count')::bigint FROM normalize_info"), 20);

  LoadInfo l;
  l.run_id = run_id;
  l.table_name = "orders";
  l.started_at = t0;
  l.row_count = 11;
  l.byte_count = 1000;
  l.file_count = 2;
  l.destination_table = "shop.orders";
  l.write_disposition = "append";
  l.load_id = "L1";
  l.snapshot_id = 8123456789012345678;
  const std::string l_sql = UpsertSql(SqlDialect::kPostgres, LoadInfoTable());
  ASSERT_TRUE(conn_->Query(l_sql, MetaRowTextParams(*ToRow(l))).ok());
  // A stage row without its run violates the foreign key.
  LoadInfo orphan = l;
  orphan.run_id = "00000000-0000-4000-8000-000000000001";
  EXPECT_FALSE(conn_->Query(l_sql, MetaRowTextParams(*ToRow(orphan))).ok());

  auto fin = conn_->Query(
      FinishRunSql(SqlDialect::kPostgres),
      {"succeeded", FormatMetaTime(t0 + std::chrono::seconds(5)), "5000", std::nullopt, run_id});
  ASSERT_TRUE(fin.ok()) << fin.status().ToString();
  EXPECT_EQ(Scalar("SELECT rows_loaded FROM runs_info"), 11);
  EXPECT_EQ(Scalar("SELECT files_loaded FROM runs_info"), 2);
  EXPECT_EQ(Scalar("SELECT duration_ms FROM runs_info"), 5000);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM runs_info WHERE full_refresh AND status = 'succeeded'"),
            1);
  // Re-sent begin keeps the finish.
  ASSERT_TRUE(conn_->Query(begin_sql, MetaRowTextParams(*run_row)).ok());
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM runs_info WHERE status = 'succeeded'"), 1);

  // Timestamps read back from PostgreSQL parse to the same instants.
  auto ts = conn_->Query("SELECT finished_at::text FROM runs_info");
  ASSERT_TRUE(ts.ok());
  auto parsed = ParseMetaTime(ts->Get(0, 0));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, t0 + std::chrono::seconds(5));

  // Retention deletes cascade.
  ASSERT_TRUE(conn_->Exec("DELETE FROM runs_info").ok());
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM load_info"), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM normalize_info"), 0);
}

}  // namespace
}  // namespace nilus::pipeline
