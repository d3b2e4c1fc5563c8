// The archive's wide schema is generated from the shared metadata definition: every column of
// every metadata table appears once under its prefix, with the documented types, and the rows
// of a run line up per table.
#include "manager/archive_schema.h"

#include <gtest/gtest.h>

#include <set>

namespace nilus::manager {
namespace {

using pipeline::MetaColumnType;
using pipeline::MetaRow;
using pipeline::MetaTable;

const NestedField* Field(const std::string& name) {
  const Schema& s = *ArchiveSchema();
  int i = s.FindTopLevelIndex(name);
  return i < 0 ? nullptr : &s.fields()[i];
}

TEST(ArchiveSchemaTest, StartsWithTheKeysAndEndsWithArchivedAt) {
  const Schema& s = *ArchiveSchema();
  ASSERT_TRUE(s.Validate().ok()) << s.Validate().ToString();
  ASSERT_GE(s.fields().size(), 4u);
  EXPECT_EQ(s.fields()[0].name, "run_id");
  EXPECT_TRUE(s.fields()[0].required);
  EXPECT_EQ(s.fields()[0].type->id(), TypeId::kString);
  EXPECT_EQ(s.fields()[1].name, "pipeline");
  EXPECT_TRUE(s.fields()[1].required);
  EXPECT_EQ(s.fields()[2].name, "table_name");
  EXPECT_FALSE(s.fields()[2].required);
  EXPECT_EQ(s.fields().back().name, "archived_at");
  EXPECT_EQ(s.fields().back().type->id(), TypeId::kTimestampTz);
  EXPECT_TRUE(s.fields().back().required);
  // Field ids are 1..N in order.
  for (size_t i = 0; i < s.fields().size(); ++i) EXPECT_EQ(s.fields()[i].id, int(i) + 1);
}

TEST(ArchiveSchemaTest, EveryMetadataColumnAppearsOnceWithItsPrefixAndType) {
  const Schema& s = *ArchiveSchema();
  size_t expected = 4;  // run_id, pipeline, table_name, archived_at
  std::set<std::string> names;
  for (const NestedField& f : s.fields()) EXPECT_TRUE(names.insert(f.name).second) << f.name;
  for (const MetaTable& t : pipeline::MetadataTables()) {
    const bool runs = &t == &pipeline::RunsInfoTable();
    for (const pipeline::MetaColumn& c : t.columns) {
      std::string name(c.name);
      if (name == "run_id" || (runs && name == "pipeline") || (!runs && name == "table_name")) {
        continue;
      }
      ++expected;
      const std::string archived = ArchivePrefix(t) + name;
      const NestedField* f = Field(archived);
      ASSERT_NE(f, nullptr) << archived;
      EXPECT_TRUE(f->type->Equals(*ArchiveTypeOf(c.type))) << archived;
      // Stage columns are all optional; run columns keep runs_info's nullability.
      EXPECT_EQ(f->required, runs && !c.nullable) << archived;
    }
  }
  EXPECT_EQ(s.fields().size(), expected);
  EXPECT_EQ(Field("run_run_id"), nullptr);
  EXPECT_EQ(Field("run_pipeline"), nullptr);
  EXPECT_EQ(Field("extract_run_id"), nullptr);
  EXPECT_EQ(Field("load_table_name"), nullptr);
}

TEST(ArchiveSchemaTest, PrefixesAndTypes) {
  EXPECT_EQ(ArchivePrefix(pipeline::RunsInfoTable()), "run_");
  EXPECT_EQ(ArchivePrefix(pipeline::ExtractInfoTable()), "extract_");
  EXPECT_EQ(ArchivePrefix(pipeline::NormalizeInfoTable()), "normalize_");
  EXPECT_EQ(ArchivePrefix(pipeline::LoadInfoTable()), "load_");
  EXPECT_EQ(ArchiveTypeOf(MetaColumnType::kUuid)->id(), TypeId::kString);
  EXPECT_EQ(ArchiveTypeOf(MetaColumnType::kText)->id(), TypeId::kString);
  EXPECT_EQ(ArchiveTypeOf(MetaColumnType::kJson)->id(), TypeId::kString);
  EXPECT_EQ(ArchiveTypeOf(MetaColumnType::kTimestamp)->id(), TypeId::kTimestampTz);
  EXPECT_EQ(ArchiveTypeOf(MetaColumnType::kInt32)->id(), TypeId::kInt);
  EXPECT_EQ(ArchiveTypeOf(MetaColumnType::kInt64)->id(), TypeId::kLong);
  EXPECT_EQ(ArchiveTypeOf(MetaColumnType::kBool)->id(), TypeId::kBoolean);
  // A few well-known columns, spelled out (docs/manager.md shows these names).
  ASSERT_NE(Field("run_status"), nullptr);
  ASSERT_NE(Field("run_started_at"), nullptr);
  EXPECT_EQ(Field("run_started_at")->type->id(), TypeId::kTimestampTz);
  EXPECT_EQ(Field("run_full_refresh")->type->id(), TypeId::kBoolean);
  EXPECT_EQ(Field("run_tables_total")->type->id(), TypeId::kInt);
  EXPECT_EQ(Field("run_rows_loaded")->type->id(), TypeId::kLong);
  EXPECT_EQ(Field("extract_source_kind")->type->id(), TypeId::kString);
  EXPECT_EQ(Field("normalize_schema_changes")->type->id(), TypeId::kString);
  EXPECT_EQ(Field("load_snapshot_id")->type->id(), TypeId::kLong);
  EXPECT_EQ(ArchiveStageTables().size(), 3u);
}

MetaRow RunRow(const std::string& id) {
  auto row = pipeline::MetaRowFromJson(pipeline::RunsInfoTable(), R"({"run_id": ")" + id + R"(",
      "pipeline": "shop", "status": "succeeded", "mode": "batch",
      "started_at": "2026-01-02T03:04:05.123456Z", "nilus_version": "0.1.0", "host": "h",
      "config_hash": "c", "load_id": "L", "full_refresh": true, "tables_total": 2,
      "rows_loaded": 42})");
  EXPECT_TRUE(row.ok()) << row.status().ToString();
  return *row;
}

MetaRow StageRow(const MetaTable& t, const std::string& id, const std::string& table,
                 const std::string& extra) {
  auto row = pipeline::MetaRowFromJson(t, R"({"run_id": ")" + id + R"(", "table_name": ")" + table +
                                              R"(", "status": "succeeded",
      "started_at": "2026-01-02T03:04:06Z", "row_count": 7)" +
                                              extra + "}");
  EXPECT_TRUE(row.ok()) << t.name << ": " << row.status().ToString();
  return *row;
}

int Col(const std::string& name) { return ArchiveSchema()->FindTopLevelIndex(name); }

TEST(ArchiveSchemaTest, BuildsOneRowPerRunAndTable) {
  const std::string a = "0f8fad5b-d9cb-469f-a165-70867728950e";
  const std::string b = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
  std::vector<ArchiveRun> runs(2);
  runs[0].run = RunRow(a);
  // orders: extract and load; items: normalize only.
  runs[0].stage_rows[0].push_back(
      StageRow(pipeline::ExtractInfoTable(), a, "orders",
               R"(, "source_kind": "postgres", "source_table": "public.orders", "chunks": 3)"));
  runs[0].stage_rows[2].push_back(
      StageRow(pipeline::LoadInfoTable(), a, "orders",
               R"(, "destination_table": "shop.orders", "write_disposition": "merge",
                  "load_id": "L", "snapshot_id": 99)"));
  runs[0].stage_rows[1].push_back(StageRow(pipeline::NormalizeInfoTable(), a, "items",
                                           R"(, "variant_columns": ["x__v_string"])"));
  runs[1].run = RunRow(b);  // no stage rows
  const pipeline::MetaTime at = *pipeline::ParseMetaTime("2026-06-01T00:00:00Z");
  auto batch = BuildArchiveBatch(runs, at);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  const ColumnBatch& bt = **batch;
  ASSERT_EQ(bt.num_rows(), 3);
  auto str = [&](const std::string& c, int r) {
    const Column& col = bt.column(Col(c));
    return col.IsNull(r) ? std::string("<null>") : std::string(col.Bytes(r));
  };
  // Run a: items before orders (name order); run b: one row without a table.
  EXPECT_EQ(str("run_id", 0), a);
  EXPECT_EQ(str("table_name", 0), "items");
  EXPECT_EQ(str("table_name", 1), "orders");
  EXPECT_EQ(str("run_id", 2), b);
  EXPECT_EQ(str("table_name", 2), "<null>");
  EXPECT_EQ(str("pipeline", 2), "shop");
  EXPECT_EQ(str("run_status", 1), "succeeded");
  EXPECT_EQ(str("normalize_variant_columns", 0), R"(["x__v_string"])");
  EXPECT_EQ(str("normalize_variant_columns", 1), "<null>");
  EXPECT_EQ(str("extract_source_kind", 0), "<null>");
  EXPECT_EQ(str("extract_source_kind", 1), "postgres");
  EXPECT_EQ(bt.column(Col("extract_chunks")).Value<int32_t>(1), 3);
  EXPECT_EQ(bt.column(Col("load_snapshot_id")).Value<int64_t>(1), 99);
  EXPECT_TRUE(bt.column(Col("load_sequence_number")).IsNull(1));
  EXPECT_TRUE(bt.column(Col("load_snapshot_id")).IsNull(2));
  EXPECT_EQ(bt.column(Col("run_full_refresh")).Value<uint8_t>(2), 1);
  EXPECT_EQ(bt.column(Col("run_tables_total")).Value<int32_t>(0), 2);
  EXPECT_EQ(bt.column(Col("run_rows_loaded")).Value<int64_t>(0), 42);
  const int64_t started =
      pipeline::ParseMetaTime("2026-01-02T03:04:05.123456Z")->time_since_epoch().count();
  EXPECT_EQ(bt.column(Col("run_started_at")).Value<int64_t>(2), started);
  EXPECT_TRUE(bt.column(Col("run_finished_at")).IsNull(2));
  EXPECT_EQ(bt.column(Col("archived_at")).Value<int64_t>(0), at.time_since_epoch().count());
}

TEST(ArchiveSchemaTest, RejectsRowsThatDoNotBelong) {
  const std::string a = "0f8fad5b-d9cb-469f-a165-70867728950e";
  const std::string b = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
  const pipeline::MetaTime at{};
  {
    std::vector<ArchiveRun> runs(1);
    runs[0].run = RunRow(a);
    runs[0].stage_rows[0].push_back(StageRow(pipeline::ExtractInfoTable(), b, "t",
                                             R"(, "source_kind": "x", "source_table": "y")"));
    auto r = BuildArchiveBatch(runs, at);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("belongs to run"), std::string::npos);
  }
  {
    std::vector<ArchiveRun> runs(1);
    runs[0].run = RunRow(a);
    runs[0].stage_rows[1].push_back(StageRow(pipeline::NormalizeInfoTable(), a, "t", ""));
    runs[0].stage_rows[1].push_back(StageRow(pipeline::NormalizeInfoTable(), a, "t", ""));
    auto r = BuildArchiveBatch(runs, at);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("two rows of normalize_info"), std::string::npos);
  }
  {
    std::vector<ArchiveRun> runs(1);
    runs[0].run = RunRow(a);
    runs[0].stage_rows[0].push_back(StageRow(pipeline::NormalizeInfoTable(), a, "t", ""));
    EXPECT_FALSE(BuildArchiveBatch(runs, at).ok());
  }
  {
    std::vector<ArchiveRun> runs(1);
    runs[0].run = RunRow(a);
    runs[0].run.Set("pipeline", std::monostate{});
    auto r = BuildArchiveBatch(runs, at);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("pipeline: is required"), std::string::npos);
  }
}

}  // namespace
}  // namespace nilus::manager
