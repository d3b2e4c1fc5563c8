// The shared run-metadata schema: DDL generation for both dialects, time and UUID helpers,
// record <-> row <-> JSON conversions.
#include "pipeline/metadata/metadata_schema.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "pipeline/metadata/run_records.h"

namespace nilus::pipeline {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

MetaTime At(int64_t micros) { return MetaTime(microseconds(micros)); }

TEST(MetadataSchemaTest, FourTablesWithStageKeysAndForeignKeys) {
  ASSERT_EQ(MetadataTables().size(), 4u);
  EXPECT_EQ(RunsInfoTable().name, "runs_info");
  EXPECT_EQ(FindMetadataTable("load_info"), &LoadInfoTable());
  EXPECT_EQ(FindMetadataTable("nope"), nullptr);
  for (const MetaTable* t : {&ExtractInfoTable(), &NormalizeInfoTable(), &LoadInfoTable()}) {
    ASSERT_EQ(t->primary_key.size(), 2u) << t->name;
    EXPECT_EQ(t->primary_key[0], "run_id");
    EXPECT_EQ(t->primary_key[1], "table_name");
    EXPECT_EQ(t->parent_table, "runs_info");
    for (std::string_view common : {"status", "started_at", "finished_at", "duration_ms",
                                    "row_count", "byte_count", "file_count", "error"}) {
      EXPECT_GE(FindMetaColumn(*t, common), 0) << t->name << "." << common;
    }
  }
}

TEST(MetadataSchemaTest, SqliteDdlRunsTwiceOnAnEmptyDatabase) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  char* err = nullptr;
  std::string ddl = SqliteDdl();
  EXPECT_EQ(sqlite3_exec(db, ddl.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  EXPECT_EQ(sqlite3_exec(db, ddl.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  sqlite3_free(err);
  // Every column of the definition exists, in order, with the SQLite type.
  for (const MetaTable& t : MetadataTables()) {
    std::string sql = "PRAGMA table_info(" + std::string(t.name) + ")";
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    size_t i = 0;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      ASSERT_LT(i, t.columns.size());
      EXPECT_EQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)),
                std::string(t.columns[i].name));
      EXPECT_EQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2)),
                std::string(SqlTypeName(t.columns[i].type, SqlDialect::kSqlite)));
      EXPECT_EQ(sqlite3_column_int(stmt, 3) != 0, !t.columns[i].nullable) << t.columns[i].name;
      ++i;
    }
    sqlite3_finalize(stmt);
    EXPECT_EQ(i, t.columns.size()) << t.name;
  }
  sqlite3_close(db);
}

TEST(MetadataSchemaTest, PostgresDdlUsesNativeTypes) {
  std::string ddl = PostgresDdl();
  EXPECT_NE(ddl.find("run_id uuid NOT NULL"), std::string::npos);
  EXPECT_NE(ddl.find("started_at timestamptz NOT NULL"), std::string::npos);
  EXPECT_NE(ddl.find("schema_changes jsonb NOT NULL DEFAULT '[]'"), std::string::npos);
  EXPECT_NE(ddl.find("full_refresh boolean NOT NULL DEFAULT false"), std::string::npos);
  EXPECT_NE(ddl.find("snapshot_id bigint"), std::string::npos);
  EXPECT_NE(ddl.find("FOREIGN KEY (run_id) REFERENCES runs_info (run_id) ON DELETE CASCADE"),
            std::string::npos);
  EXPECT_NE(ddl.find("CREATE INDEX IF NOT EXISTS runs_info_pipeline_started_idx ON runs_info "
                     "(pipeline, started_at, run_id)"),
            std::string::npos);
  EXPECT_NE(ddl.find("CHECK (status IN ('running', 'succeeded', 'failed', 'partial'))"),
            std::string::npos);
  // Same tables and columns in both dialects; only the types differ.
  std::string lite = SqliteDdl();
  for (const MetaTable& t : MetadataTables()) {
    for (const MetaColumn& c : t.columns) {
      EXPECT_NE(ddl.find(std::string(c.name) + " " +
                         std::string(SqlTypeName(c.type, SqlDialect::kPostgres))),
                std::string::npos)
          << c.name;
      EXPECT_NE(lite.find(std::string(c.name) + " " +
                          std::string(SqlTypeName(c.type, SqlDialect::kSqlite))),
                std::string::npos)
          << c.name;
    }
  }
}

TEST(MetadataSchemaTest, LaterColumnsCanBeAddedToExistingTables) {
  // A column added by a later migration must be addable with ALTER TABLE: nullable or with a
  // default. Holds for every column, so that the rule is checked before one is added.
  for (const MetaTable& t : MetadataTables()) {
    for (const MetaColumn& c : t.columns) {
      if (c.since_version > t.since_version) {
        EXPECT_TRUE(c.nullable || !c.default_value.empty()) << t.name << "." << c.name;
      }
      EXPECT_GE(c.since_version, t.since_version);
      EXPECT_LE(c.since_version, MetadataSchemaVersion());
    }
  }
  EXPECT_FALSE(MigrationStatements(SqlDialect::kSqlite, 1).empty());
  EXPECT_TRUE(MigrationStatements(SqlDialect::kSqlite, MetadataSchemaVersion() + 1).empty());
}

TEST(MetadataSchemaTest, UpsertSqlBindsEveryColumnAndUpdatesTheRest) {
  std::string sql = UpsertSql(SqlDialect::kPostgres, LoadInfoTable());
  int n = static_cast<int>(LoadInfoTable().columns.size());
  EXPECT_NE(sql.find("$" + std::to_string(n) + ")"), std::string::npos);
  EXPECT_EQ(sql.find("$" + std::to_string(n + 1)), std::string::npos);
  EXPECT_NE(sql.find("ON CONFLICT (run_id, table_name) DO UPDATE SET"), std::string::npos);
  EXPECT_EQ(sql.find("run_id = excluded.run_id"), std::string::npos);
  EXPECT_NE(sql.find("snapshot_id = excluded.snapshot_id"), std::string::npos);

  std::string begin = UpsertSql(SqlDialect::kSqlite, RunsInfoTable(), RunBeginColumns());
  EXPECT_NE(begin.find("?1"), std::string::npos);
  EXPECT_NE(begin.find("pipeline = excluded.pipeline"), std::string::npos);
  EXPECT_EQ(begin.find("status = excluded.status"), std::string::npos);
  EXPECT_EQ(begin.find("finished_at = excluded"), std::string::npos);
}

TEST(MetadataSchemaTest, TimesFormatFixedWidthAndParseBack) {
  MetaTime t = At(1767323045123456);  // 2026-01-02T03:04:05.123456Z
  EXPECT_EQ(FormatMetaTime(t), "2026-01-02T03:04:05.123456Z");
  EXPECT_EQ(FormatMetaTime(At(0)), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(*ParseMetaTime("2026-01-02T03:04:05.123456Z"), t);
  // PostgreSQL's timestamptz output, and offsets.
  EXPECT_EQ(*ParseMetaTime("2026-01-02 03:04:05.123456+00"), t);
  EXPECT_EQ(*ParseMetaTime("2026-01-02T05:04:05.123456+02:00"), t);
  EXPECT_EQ(*ParseMetaTime("2026-01-01T22:04:05.123456-0500"), t);
  EXPECT_EQ(*ParseMetaTime("2026-01-02T03:04:05Z"), At(1767323045000000));
  EXPECT_EQ(*ParseMetaTime("2026-01-02T03:04:05.1Z"), At(1767323045100000));
  EXPECT_EQ(*ParseMetaTime("2026-01-02T03:04:05.1234567Z"), t);  // truncated to micros
  for (const char* bad :
       {"", "2026-01-02", "2026-01-02T03:04:05", "2026-13-02T03:04:05Z", "2026-02-30T03:04:05Z",
        "2026-01-02T03:04:05.Z", "x026-01-02T03:04:05Z", "2026-01-02T03:04:05Zjunk"}) {
    EXPECT_FALSE(ParseMetaTime(bad).ok()) << bad;
  }
  // Text order is time order.
  EXPECT_LT(FormatMetaTime(At(999999)), FormatMetaTime(At(1000000)));
}

TEST(MetadataSchemaTest, CanonicalUuids) {
  EXPECT_TRUE(IsCanonicalUuid("0f8fad5b-d9cb-469f-a165-70867728950e"));
  EXPECT_FALSE(IsCanonicalUuid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
  EXPECT_FALSE(IsCanonicalUuid("0f8fad5bd9cb469fa16570867728950e"));
  EXPECT_FALSE(IsCanonicalUuid("0f8fad5b-d9cb-469f-a165-70867728950"));
  EXPECT_FALSE(IsCanonicalUuid("0f8fad5b-d9cb-469f-a165-70867728950g"));
}

NormalizeInfo SampleNormalize() {
  NormalizeInfo n;
  n.run_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  n.table_name = "orders";
  n.status = StageStatus::kSucceeded;
  n.started_at = At(1000000);
  n.finished_at = At(3500000);
  n.row_count = 42;
  n.rows_discarded = 2;
  n.values_discarded = 3;
  n.columns_added = 1;
  n.variant_columns = {"price__v_string"};
  n.child_tables = {{"orders__items", 120}, {"orders__tags", 7}};
  n.schema_changes = {{"add_column", "note", "", "string"}, {"widen_type", "qty", "int", "long"}};
  return n;
}

TEST(MetadataSchemaTest, RecordsRoundTripThroughRowsAndJson) {
  NormalizeInfo n = SampleNormalize();
  Result<MetaRow> row = ToRow(n);
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(std::get<int64_t>(row->Get("duration_ms")), 2500);  // derived from the times
  std::string json = MetaRowToJson(*row);
  nlohmann::json j = nlohmann::json::parse(json);
  EXPECT_EQ(j["table_name"], "orders");
  EXPECT_EQ(j["started_at"], "1970-01-01T00:00:01.000000Z");
  EXPECT_TRUE(j["child_tables"].is_array());  // embedded, not a string
  EXPECT_EQ(j["child_tables"][0]["table_name"], "orders__items");
  EXPECT_FALSE(j.contains("error"));  // nulls are left out

  Result<MetaRow> back = MetaRowFromJson(NormalizeInfoTable(), json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->values(), row->values());
  Result<NormalizeInfo> n2 = NormalizeInfoFromRow(*back);
  ASSERT_TRUE(n2.ok()) << n2.status().ToString();
  EXPECT_EQ(n2->table_name, n.table_name);
  EXPECT_EQ(n2->finished_at, n.finished_at);
  EXPECT_EQ(n2->duration_ms, 2500);
  EXPECT_EQ(n2->variant_columns, n.variant_columns);
  EXPECT_EQ(n2->child_tables, n.child_tables);
  EXPECT_EQ(n2->schema_changes, n.schema_changes);
  EXPECT_EQ(n2->rows_discarded, 2);
  EXPECT_EQ(n2->values_discarded, 3);

  RunInfo r;
  r.run_id = n.run_id;
  r.pipeline = "shop";
  r.full_refresh = true;
  r.mode = RunMode::kCdc;
  Result<MetaRow> rr = ToRow(r);
  ASSERT_TRUE(rr.ok());
  nlohmann::json rj = nlohmann::json::parse(MetaRowToJson(*rr));
  EXPECT_EQ(rj["full_refresh"], true);
  EXPECT_EQ(rj["mode"], "cdc");
  Result<MetaRow> rback = MetaRowFromJson(RunsInfoTable(), rj.dump());
  ASSERT_TRUE(rback.ok()) << rback.status().ToString();
  Result<RunInfo> r2 = RunInfoFromRow(*rback);
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(r2->full_refresh);
  EXPECT_EQ(r2->mode, RunMode::kCdc);
}

TEST(MetadataSchemaTest, JsonErrorsNameTheField) {
  const std::string id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  auto err = [](std::string_view json) {
    Result<MetaRow> r = MetaRowFromJson(LoadInfoTable(), json);
    return r.ok() ? std::string("OK") : r.status().message();
  };
  std::string base =
      R"("run_id":")" + id +
      R"(","table_name":"t","status":"succeeded","started_at":"2026-01-02T03:04:05Z",)"
      R"("destination_table":"ns.t","write_disposition":"append","load_id":"L1")";
  EXPECT_EQ(err("{" + base + "}"), "OK");
  EXPECT_NE(err("{" + base + R"(,"bogus":1})").find("unknown field 'bogus'"), std::string::npos);
  EXPECT_NE(err("{" + base + R"(,"row_count":"12"})").find("load_info.row_count"),
            std::string::npos);
  EXPECT_NE(err("{" + base + R"(,"write_disposition":"upsert"})").find("write_disposition"),
            std::string::npos);
  EXPECT_NE(err(R"({"run_id":"nope"})").find("load_info.run_id"), std::string::npos);
  EXPECT_NE(err("[1]").find("JSON object"), std::string::npos);
  EXPECT_NE(err("{" + base + R"(,"started_at":"yesterday"})").find("started_at"),
            std::string::npos);
  // A missing required field.
  std::string no_load_id = base.substr(0, base.find(R"(,"load_id")"));
  EXPECT_NE(err("{" + no_load_id + "}").find("load_info.load_id: is required"), std::string::npos);
}

TEST(MetadataSchemaTest, ToRowRejectsMalformedRecords) {
  ExtractInfo e;
  e.run_id = "not-a-uuid";
  e.table_name = "orders";
  EXPECT_EQ(ToRow(e).status().code(), StatusCode::kInvalidArgument);
  e.run_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  e.table_name = "";
  EXPECT_EQ(ToRow(e).status().code(), StatusCode::kInvalidArgument);
  e.table_name = "orders";
  e.source_kind = "postgres";
  e.source_table = "public.orders";
  e.started_at = At(5000);
  e.finished_at = At(4000);
  EXPECT_EQ(ToRow(e).status().code(), StatusCode::kInvalidArgument);
  e.finished_at = At(6000);
  EXPECT_TRUE(ToRow(e).ok());
  RunInfo r;
  r.run_id = e.run_id;
  EXPECT_EQ(ToRow(r).status().code(), StatusCode::kInvalidArgument);  // empty pipeline
}

}  // namespace
}  // namespace nilus::pipeline
