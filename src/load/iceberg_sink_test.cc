#include "load/iceberg_sink.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "iceberg/scan.h"
#include "iceberg/testing/catalog_fixture.h"
#include "load/conform.h"
#include "storage/fault_injection_file_io.h"

namespace nilus::load {
namespace {

namespace fs = std::filesystem;

// One source row: id, name (nullopt = null), qty, and the merge marker.
struct Row {
  int64_t id;
  std::optional<std::string> name;
  int32_t qty = 0;
  bool deleted = false;
};

SchemaPtr SourceSchema(bool with_marker) {
  std::vector<NestedField> fields = {
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "name", Type::String()),
      NestedField::Optional(3, "qty", Type::Int()),
  };
  if (with_marker) fields.push_back(NestedField::Optional(4, "_deleted", Type::Boolean()));
  return std::make_shared<Schema>(std::move(fields));
}

std::unique_ptr<ColumnBatch> MakeBatch(const std::vector<Row>& rows, bool with_marker = false) {
  auto batch = std::make_unique<ColumnBatch>(SourceSchema(with_marker));
  for (const Row& r : rows) {
    batch->mutable_column(0)->AppendInt64(r.id);
    if (r.name) {
      batch->mutable_column(1)->AppendBytes(*r.name);
    } else {
      batch->mutable_column(1)->AppendNull();
    }
    batch->mutable_column(2)->AppendInt32(r.qty);
    if (with_marker) batch->mutable_column(3)->AppendBool(r.deleted);
  }
  return batch;
}

// A row read back, rendered as text per column name (null as "null").
using ReadRow = std::map<std::string, std::string>;

std::string CellText(const Column& col, int64_t row) {
  if (col.IsNull(row)) return "null";
  switch (col.type_ref().id()) {
    case TypeId::kInt:
      return std::to_string(col.Value<int32_t>(row));
    case TypeId::kLong:
    case TypeId::kTimestamp:
      return std::to_string(col.Value<int64_t>(row));
    case TypeId::kString:
      return std::string(col.Bytes(row));
    case TypeId::kBoolean:
      return col.Value<uint8_t>(row) ? "true" : "false";
    case TypeId::kList: {
      std::string out = "[";
      for (int64_t i = col.offsets()[row]; i < col.offsets()[row + 1]; ++i) {
        if (i > col.offsets()[row]) out += ",";
        out += CellText(col.child(0), i);
      }
      return out + "]";
    }
    default:
      return "?";
  }
}

class IcebergSinkTest : public iceberg::testing::CatalogFixture {
 protected:
  std::unique_ptr<IcebergSink> OpenSink(const std::string& name, IcebergSinkOptions options = {}) {
    auto sink = IcebergSink::Open(catalog_.get(), "db", name, std::move(options));
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    return sink.ok() ? sink.MoveValue() : nullptr;
  }

  LoadCommitResult Load(IcebergSink* sink, std::vector<std::unique_ptr<ColumnBatch>> batches,
                        const std::string& load_id, std::map<std::string, std::string> props = {}) {
    for (auto& b : batches) {
      Status st = sink->Write(std::move(b));
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    auto r = sink->Commit({load_id, std::move(props)});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : LoadCommitResult{};
  }

  static std::vector<std::unique_ptr<ColumnBatch>> Batches(std::unique_ptr<ColumnBatch> a,
                                                           std::unique_ptr<ColumnBatch> b = {}) {
    std::vector<std::unique_ptr<ColumnBatch>> v;
    v.push_back(std::move(a));
    if (b) v.push_back(std::move(b));
    return v;
  }

  // Every live row of db.<name> (deletes applied), keyed by the "id" column's text.
  std::map<std::string, ReadRow> ReadTable(const std::string& name) {
    std::map<std::string, ReadRow> out;
    auto table = catalog_->LoadTable("db", name);
    EXPECT_TRUE(table.ok()) << table.status().ToString();
    if (!table.ok()) return out;
    auto batches = iceberg::ScanTable(**table);
    EXPECT_TRUE(batches.ok()) << batches.status().ToString();
    if (!batches.ok()) return out;
    for (const auto& b : *batches) {
      const int id_col = b->schema()->FindTopLevelIndex("id");
      for (int64_t r = 0; r < b->num_rows(); ++r) {
        ReadRow row;
        for (int c = 0; c < b->num_columns(); ++c) {
          row[b->schema()->fields()[c].name] = CellText(b->column(c), r);
        }
        const std::string key = CellText(b->column(id_col), r);
        EXPECT_TRUE(out.emplace(key, row).second) << "id " << key << " read twice";
      }
    }
    return out;
  }

  std::unique_ptr<iceberg::Table> LoadTable(const std::string& name) {
    auto t = catalog_->LoadTable("db", name);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t.MoveValue() : nullptr;
  }

  // Parquet files under the table's data directory (committed or not).
  int CountDataFiles(const std::string& name) {
    const fs::path dir = fs::path(dir_) / "warehouse" / "db" / name / "data";
    if (!fs::exists(dir)) return 0;
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.is_regular_file() && e.path().extension() == ".parquet") ++n;
    }
    return n;
  }
};

TEST_F(IcebergSinkTest, AppendTwiceKeepsAllRowsAndRecordsCursor) {
  auto sink = OpenSink("t");
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->table(), nullptr);  // created on the first write
  auto cursor = sink->LastCommittedProperty("nilus.cursor.t");
  ASSERT_TRUE(cursor.ok());
  EXPECT_FALSE(cursor->has_value());

  LoadCommitResult r1 =
      Load(sink.get(), Batches(MakeBatch({{1, "a", 10}, {2, "b", 20}}), MakeBatch({{3, {}, 30}})),
           "load-1", {{"nilus.cursor.t", "3"}});
  EXPECT_TRUE(r1.committed);
  EXPECT_TRUE(r1.table_created);
  EXPECT_EQ(r1.rows_received, 3);
  EXPECT_EQ(r1.rows_written, 3);
  EXPECT_EQ(r1.data_files, 1);
  EXPECT_GT(r1.bytes_written, 0);
  ASSERT_TRUE(r1.snapshot_id.has_value());

  LoadCommitResult r2 = Load(sink.get(), Batches(MakeBatch({{4, "d", 40}, {5, "e", 50}})), "load-2",
                             {{"nilus.cursor.t", "5"}});
  EXPECT_TRUE(r2.committed);
  EXPECT_FALSE(r2.table_created);

  auto rows = ReadTable("t");
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows["1"]["name"], "a");
  EXPECT_EQ(rows["3"]["name"], "null");
  EXPECT_EQ(rows["5"]["qty"], "50");

  auto table = LoadTable("t");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->metadata().snapshots.size(), 2u);
  const iceberg::Snapshot* current = table->metadata().CurrentSnapshot();
  ASSERT_NE(current, nullptr);
  EXPECT_EQ(current->snapshot_id, *r2.snapshot_id);
  EXPECT_EQ(current->operation(), "append");
  EXPECT_EQ(current->SummaryValue(kLoadIdProperty), std::optional<std::string_view>("load-2"));

  // A fresh sink (a new process) reads the cursor from the destination.
  auto other = OpenSink("t");
  ASSERT_NE(other, nullptr);
  cursor = other->LastCommittedProperty("nilus.cursor.t");
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(*cursor, std::optional<std::string>("5"));
  auto committed = other->IsLoadCommitted("load-1");
  ASSERT_TRUE(committed.ok());
  EXPECT_TRUE(*committed);
  committed = other->IsLoadCommitted("load-3");
  ASSERT_TRUE(committed.ok());
  EXPECT_FALSE(*committed);
}

TEST_F(IcebergSinkTest, FilesRollAtTargetSize) {
  IcebergSinkOptions options;
  options.target_file_size = 1;  // every flushed row group closes its file
  options.row_group_max_bytes = 1;
  auto sink = OpenSink("t", options);
  ASSERT_NE(sink, nullptr);
  std::vector<std::unique_ptr<ColumnBatch>> batches;
  for (int i = 0; i < 4; ++i) batches.push_back(MakeBatch({{i, "x", i}}));
  LoadCommitResult r = Load(sink.get(), std::move(batches), "roll");
  EXPECT_EQ(r.data_files, 4);
  EXPECT_EQ(r.rows_written, 4);
  EXPECT_EQ(ReadTable("t").size(), 4u);
}

TEST_F(IcebergSinkTest, ReplaceOverwritesTheWholeTable) {
  auto sink = OpenSink("t");
  ASSERT_NE(sink, nullptr);
  Load(sink.get(), Batches(MakeBatch({{1, "a", 1}, {2, "b", 2}})), "l1");

  IcebergSinkOptions options;
  options.disposition = WriteDisposition::kReplace;
  auto replace = OpenSink("t", options);
  ASSERT_NE(replace, nullptr);
  LoadCommitResult r = Load(replace.get(), Batches(MakeBatch({{7, "g", 7}})), "l2");
  EXPECT_TRUE(r.committed);
  auto rows = ReadTable("t");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows["7"]["name"], "g");
  auto table = LoadTable("t");
  EXPECT_EQ(table->metadata().CurrentSnapshot()->operation(), "overwrite");

  // A replace with no rows empties the table, still recording its properties.
  r = Load(replace.get(), {}, "l3", {{"nilus.cursor.t", "none"}});
  EXPECT_TRUE(r.committed);
  EXPECT_TRUE(ReadTable("t").empty());
  auto cursor = replace->LastCommittedProperty("nilus.cursor.t");
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(*cursor, std::optional<std::string>("none"));
}

TEST_F(IcebergSinkTest, ReplaceAddedPartitionsKeepsOtherPartitions) {
  IcebergSinkOptions options;
  options.partition_by = {"qty"};
  auto sink = OpenSink("t", options);
  ASSERT_NE(sink, nullptr);
  Load(sink.get(), Batches(MakeBatch({{1, "a", 1}, {2, "b", 2}, {3, "c", 2}})), "l1");

  options.disposition = WriteDisposition::kReplace;
  options.replace_added_partitions = true;
  auto replace = OpenSink("t", options);
  ASSERT_NE(replace, nullptr);
  Load(replace.get(), Batches(MakeBatch({{9, "z", 2}})), "l2");
  auto rows = ReadTable("t");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.count("1"), 1u);  // partition qty=1 untouched
  EXPECT_EQ(rows.count("9"), 1u);  // partition qty=2 replaced
}

TEST_F(IcebergSinkTest, MergeDeduplicatesUpdatesAndDeletes) {
  IcebergSinkOptions options;
  options.disposition = WriteDisposition::kMerge;
  options.primary_key = {"id"};
  options.delete_marker_column = "_deleted";
  auto sink = OpenSink("m", options);
  ASSERT_NE(sink, nullptr);

  // Duplicates inside one batch and across batches of one load: the last row wins.
  LoadCommitResult r1 = Load(sink.get(),
                             Batches(MakeBatch({{1, "a", 1}, {2, "b", 2}, {1, "a2", 11}}, true),
                                     MakeBatch({{3, "c", 3}, {2, "b2", 22}}, true)),
                             "m1");
  EXPECT_TRUE(r1.committed);
  EXPECT_EQ(r1.rows_received, 5);
  EXPECT_EQ(r1.rows_written, 3);
  EXPECT_EQ(r1.keys_deleted, 3);
  EXPECT_EQ(r1.delete_files, 1);
  auto rows = ReadTable("m");
  // The equality delete of this commit holds keys 1..3, yet the rows it adds survive: deletes
  // apply only to data files with a lower sequence number.
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows["1"]["name"], "a2");
  EXPECT_EQ(rows["1"]["qty"], "11");
  EXPECT_EQ(rows["2"]["name"], "b2");
  EXPECT_EQ(rows["3"]["name"], "c");

  // The marker column is not part of the table; the key is an identifier field.
  auto table = LoadTable("m");
  const Schema& schema = *table->metadata().CurrentSchema();
  EXPECT_LT(schema.FindTopLevelIndex("_deleted"), 0);
  ASSERT_EQ(schema.identifier_field_ids().size(), 1u);
  EXPECT_EQ(schema.FindFieldById(schema.identifier_field_ids()[0])->name, "id");
  const int32_t key_id = schema.identifier_field_ids()[0];

  // A second load updates 2, inserts 4, deletes 1 (and deletes 5, which never existed; and
  // inserts then deletes 6 in the same load).
  LoadCommitResult r2 = Load(
      sink.get(),
      Batches(MakeBatch({{2, "b3", 222}, {4, "d", 4}, {1, {}, 0, true}, {5, {}, 0, true}}, true),
              MakeBatch({{6, "f", 6}, {6, {}, 0, true}}, true)),
      "m2");
  EXPECT_TRUE(r2.committed);
  EXPECT_EQ(r2.rows_written, 2);  // 2 and 4
  EXPECT_EQ(r2.keys_deleted, 5);  // 1, 2, 4, 5, 6
  rows = ReadTable("m");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows.count("1"), 0u);
  EXPECT_EQ(rows["2"]["name"], "b3");
  EXPECT_EQ(rows["2"]["qty"], "222");
  EXPECT_EQ(rows["3"]["name"], "c");
  EXPECT_EQ(rows["4"]["name"], "d");
  EXPECT_EQ(rows.count("6"), 0u);

  table = LoadTable("m");
  const iceberg::Snapshot* current = table->metadata().CurrentSnapshot();
  EXPECT_EQ(current->operation(), "overwrite");
  // Checked on the plan, apart from the reader: each load's data file shares its snapshot's
  // sequence number with that load's equality delete, so only the later delete applies to it.
  auto plan = iceberg::PlanScan(table->io(), table->metadata());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->tasks.size(), 2u);
  ASSERT_EQ(plan->delete_files.size(), 2u);
  for (const iceberg::FileScanTask& task : plan->tasks) {
    if (task.data_sequence_number == current->sequence_number) {
      EXPECT_TRUE(task.deletes.empty());
    } else {
      ASSERT_EQ(task.deletes.size(), 1u);
      EXPECT_EQ(task.deletes[0]->data_sequence_number, current->sequence_number);
      EXPECT_EQ(task.deletes[0]->file.content, iceberg::DataFileContent::kEqualityDeletes);
      EXPECT_EQ(task.deletes[0]->file.equality_ids, std::vector<int32_t>{key_id});
    }
  }
  EXPECT_EQ(current->SummaryValue(iceberg::kAddedEqualityDeleteFiles),
            std::optional<std::string_view>("1"));
}

TEST_F(IcebergSinkTest, MergeMarkerByStringValue) {
  auto batch_schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "op", Type::String()),
  });
  auto make = [&](std::vector<std::pair<int64_t, std::string>> rows) {
    auto b = std::make_unique<ColumnBatch>(batch_schema);
    for (auto& [id, op] : rows) {
      b->mutable_column(0)->AppendInt64(id);
      b->mutable_column(1)->AppendBytes(op);
    }
    return b;
  };
  IcebergSinkOptions options;
  options.disposition = WriteDisposition::kMerge;
  options.primary_key = {"id"};
  options.delete_marker_column = "op";
  options.delete_marker_value = "d";
  auto sink = OpenSink("s", options);
  ASSERT_NE(sink, nullptr);
  Load(sink.get(), Batches(make({{1, "c"}, {2, "c"}})), "s1");
  Load(sink.get(), Batches(make({{1, "d"}})), "s2");
  auto rows = ReadTable("s");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.count("2"), 1u);
}

TEST_F(IcebergSinkTest, MergeKeyWidenedMidRoundStillDeduplicates) {
  auto make = [](TypePtr id_type, std::vector<std::pair<int64_t, std::string>> rows) {
    auto schema = std::make_shared<Schema>(std::vector<NestedField>{
        NestedField::Required(1, "id", id_type),
        NestedField::Optional(2, "name", Type::String()),
    });
    auto b = std::make_unique<ColumnBatch>(schema);
    for (auto& [id, name] : rows) {
      if (id_type->id() == TypeId::kInt) {
        b->mutable_column(0)->AppendInt32(static_cast<int32_t>(id));
      } else {
        b->mutable_column(0)->AppendInt64(id);
      }
      b->mutable_column(1)->AppendBytes(name);
    }
    return b;
  };
  IcebergSinkOptions options;
  options.disposition = WriteDisposition::kMerge;
  options.primary_key = {"id"};
  auto sink = OpenSink("w", options);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Write(make(Type::Int(), {{1, "a"}, {2, "b"}})).ok());
  EXPECT_EQ(sink->pending_rows(), 2);
  EXPECT_GT(sink->pending_bytes(), 0);
  ASSERT_TRUE(sink->Write(make(Type::Long(), {{1, "a2"}, {int64_t{1} << 33, "big"}})).ok());
  auto r = sink->Commit({"w1", {}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->schema_changes, std::vector<std::string>{"widen column id: int -> long"});
  EXPECT_EQ(r->rows_written, 3);
  EXPECT_EQ(sink->pending_rows(), 0);
  auto rows = ReadTable("w");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows["1"]["name"], "a2");
  EXPECT_EQ(rows["2"]["name"], "b");
  EXPECT_EQ(rows[std::to_string(int64_t{1} << 33)]["name"], "big");
}

TEST_F(IcebergSinkTest, MergeIntoTableBucketedByKey) {
  IcebergSinkOptions options;
  options.disposition = WriteDisposition::kMerge;
  options.primary_key = {"id"};
  options.partition_by = {"bucket(4,id)"};
  options.delete_marker_column = "_deleted";
  auto sink = OpenSink("pb", options);
  ASSERT_NE(sink, nullptr);
  std::vector<Row> first;
  for (int64_t i = 0; i < 20; ++i) first.push_back({i, "v1", static_cast<int32_t>(i)});
  LoadCommitResult r1 = Load(sink.get(), Batches(MakeBatch(first, true)), "pb1");
  EXPECT_GT(r1.data_files, 1);
  EXPECT_EQ(r1.delete_files, r1.data_files);  // one delete file per partition written
  std::vector<Row> second;
  for (int64_t i = 0; i < 20; i += 2) second.push_back({i, "v2", 0});
  second.push_back({1, {}, 0, true});
  LoadCommitResult r2 = Load(sink.get(), Batches(MakeBatch(second, true)), "pb2");
  EXPECT_TRUE(r2.committed);

  auto rows = ReadTable("pb");
  ASSERT_EQ(rows.size(), 19u);
  for (int64_t i = 0; i < 20; ++i) {
    const std::string k = std::to_string(i);
    if (i == 1) {
      EXPECT_EQ(rows.count(k), 0u);
    } else {
      EXPECT_EQ(rows[k]["name"], i % 2 == 0 ? "v2" : "v1") << k;
    }
  }
  // Every delete file carries its partition, like the data.
  auto table = LoadTable("pb");
  for (const auto& [path, entry] : LiveEntries(*table)) {
    ASSERT_EQ(entry.data_file.partition.size(), 1u) << path;
    EXPECT_FALSE(entry.data_file.partition[0].is_null()) << path;
  }
}

TEST_F(IcebergSinkTest, FailedCommitLeavesTableAndNoFiles) {
  FaultInjectionFileIO faulty(&io_);
  auto catalog = iceberg::Catalog::Make(store_.get(), &faulty, dir_ + "/warehouse");
  ASSERT_TRUE(catalog.ok());
  for (WriteDisposition d :
       {WriteDisposition::kAppend, WriteDisposition::kReplace, WriteDisposition::kMerge}) {
    SCOPED_TRACE(std::string(WriteDispositionName(d)));
    const std::string name = "f_" + std::string(WriteDispositionName(d));
    IcebergSinkOptions options;
    options.disposition = d;
    options.primary_key = {"id"};
    auto sink = IcebergSink::Open(catalog->get(), "db", name, options);
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    ASSERT_TRUE((*sink)->Write(MakeBatch({{1, "a", 1}})).ok());
    ASSERT_TRUE((*sink)->Commit({"ok", {}}).ok());
    const int files = CountDataFiles(name);
    const auto rows = ReadTable(name);

    ASSERT_TRUE((*sink)->Write(MakeBatch({{2, "b", 2}})).ok());
    faulty.set_fail_new_output_stream(true);  // the manifest (or merge files) cannot be written
    auto r = (*sink)->Commit({"bad", {}});
    faulty.set_fail_new_output_stream(false);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(CountDataFiles(name), files);
    EXPECT_EQ(ReadTable(name), rows);
    auto table = LoadTable(name);
    EXPECT_EQ(table->metadata().snapshots.size(), 1u);

    // A clean rerun of the failed load succeeds.
    ASSERT_TRUE((*sink)->Write(MakeBatch({{2, "b", 2}})).ok());
    auto again = (*sink)->Commit({"bad", {}});
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_TRUE(again->committed);
    EXPECT_EQ(ReadTable(name).count("2"), 1u);
  }
}

TEST_F(IcebergSinkTest, ConcurrentWritersBothLand) {
  auto a = OpenSink("c");
  ASSERT_NE(a, nullptr);
  Load(a.get(), Batches(MakeBatch({{1, "a", 1}})), "c0");
  IcebergSinkOptions merge;
  merge.disposition = WriteDisposition::kMerge;
  merge.primary_key = {"id"};
  auto b = OpenSink("c", merge);
  ASSERT_NE(b, nullptr);
  // a writes, b commits in between, then a commits on top of b's snapshot.
  ASSERT_TRUE(a->Write(MakeBatch({{2, "a", 2}})).ok());
  Load(b.get(), Batches(MakeBatch({{1, "b", 10}, {3, "b", 30}})), "c-b");
  auto r = a->Commit({"c-a", {{"nilus.cursor.c", "2"}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto rows = ReadTable("c");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows["1"]["name"], "b");
  EXPECT_EQ(rows["2"]["name"], "a");
  EXPECT_EQ(rows["3"]["name"], "b");
  auto table = LoadTable("c");
  EXPECT_EQ(table->metadata().snapshots.size(), 3u);
}

TEST_F(IcebergSinkTest, MergeBufferLimitIsEnforced) {
  IcebergSinkOptions options;
  options.disposition = WriteDisposition::kMerge;
  options.primary_key = {"id"};
  options.merge_max_buffer_bytes = 4096;
  auto sink = OpenSink("lim", options);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Write(MakeBatch({{1, "a", 1}})).ok());
  std::vector<Row> many;
  for (int64_t i = 0; i < 1000; ++i) many.push_back({i, "some name", 1});
  Status st = sink->Write(MakeBatch(many));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("merge_max_buffer_bytes"), std::string::npos) << st.message();
  EXPECT_FALSE(sink->Commit({"lim1", {}}).ok());
  EXPECT_EQ(CountDataFiles("lim"), 0);
}

TEST_F(IcebergSinkTest, NestedColumnsTakeTheTableFieldIds) {
  // The catalog numbers top-level fields first (id 1, tags 2, name 3, element 4), so the
  // batch's nested ids differ from the table's from the first write on.
  auto schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "tags", Type::List(3, Type::String(), false)),
      NestedField::Optional(4, "name", Type::String()),
  });
  auto make = [&](int64_t id, std::vector<std::string> tags, bool null_tags) {
    auto b = std::make_unique<ColumnBatch>(schema);
    b->mutable_column(0)->AppendInt64(id);
    Column* col = b->mutable_column(1);
    if (null_tags) {
      col->AppendNull();
    } else {
      for (const auto& t : tags) col->mutable_child(0)->AppendBytes(t);
      col->AppendListEnd();
    }
    b->mutable_column(2)->AppendBytes("n" + std::to_string(id));
    return b;
  };
  auto sink = OpenSink("n");
  ASSERT_NE(sink, nullptr);
  Load(sink.get(), Batches(make(1, {"x", "y"}, false), make(2, {}, true)), "n1");
  Load(sink.get(), Batches(make(3, {"z"}, false)), "n2");

  auto table = LoadTable("n");
  const Schema& ts = *table->metadata().CurrentSchema();
  const NestedField& tags = ts.fields()[ts.FindTopLevelIndex("tags")];
  EXPECT_NE(tags.type->element().id, 3);  // renumbered by the catalog
  auto rows = ReadTable("n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows["1"]["tags"], "[x,y]");
  EXPECT_EQ(rows["2"]["tags"], "null");
  EXPECT_EQ(rows["3"]["tags"], "[z]");
  EXPECT_EQ(rows["3"]["name"], "n3");

  // A nested type of another shape is refused, naming the column.
  auto other = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "tags", Type::List(3, Type::Long(), false)),
  });
  auto b = std::make_unique<ColumnBatch>(other);
  b->mutable_column(0)->AppendInt64(4);
  b->mutable_column(1)->AppendListEnd();
  Status st = sink->Write(std::move(b));
  EXPECT_EQ(st.code(), StatusCode::kTypeError) << st.ToString();
  EXPECT_NE(st.message().find("'tags'"), std::string::npos) << st.message();
}

TEST_F(IcebergSinkTest, SameLoadIdCommitsOnce) {
  IcebergSinkOptions options;
  options.disposition = WriteDisposition::kMerge;
  options.primary_key = {"id"};
  auto sink = OpenSink("i", options);
  ASSERT_NE(sink, nullptr);
  LoadCommitResult r1 = Load(sink.get(), Batches(MakeBatch({{1, "a", 1}, {2, "b", 2}})), "same",
                             {{"nilus.cursor.i", "2"}});
  ASSERT_TRUE(r1.committed);
  const int files_after_first = CountDataFiles("i");
  const auto before = ReadTable("i");

  // A rerun of the same load (say, after a crash after the commit) in a new sink.
  auto again = OpenSink("i", options);
  ASSERT_NE(again, nullptr);
  LoadCommitResult r2 = Load(again.get(), Batches(MakeBatch({{1, "a", 1}, {2, "b", 2}})), "same",
                             {{"nilus.cursor.i", "2"}});
  EXPECT_FALSE(r2.committed);
  EXPECT_TRUE(r2.already_committed);
  EXPECT_EQ(r2.snapshot_id, r1.snapshot_id);

  auto table = LoadTable("i");
  EXPECT_EQ(table->metadata().snapshots.size(), 1u);
  EXPECT_EQ(ReadTable("i"), before);
  EXPECT_EQ(CountDataFiles("i"), files_after_first);  // the rerun's files were removed

  // The same holds for append, whose rerun would otherwise duplicate rows.
  auto append = OpenSink("a");
  Load(append.get(), Batches(MakeBatch({{1, "a", 1}})), "x");
  LoadCommitResult r3 = Load(append.get(), Batches(MakeBatch({{1, "a", 1}})), "x");
  EXPECT_TRUE(r3.already_committed);
  EXPECT_EQ(ReadTable("a").size(), 1u);
  EXPECT_EQ(CountDataFiles("a"), 1);
}

TEST_F(IcebergSinkTest, ChunkedLoadResumesAfterTheLastCommittedChunk) {
  IcebergSinkOptions options;
  options.disposition = WriteDisposition::kMerge;
  options.primary_key = {"id"};
  auto chunk = [](int c) {
    std::vector<Row> rows;
    for (int64_t i = c * 10; i < c * 10 + 10; ++i) rows.push_back({i, "c" + std::to_string(c), c});
    return MakeBatch(rows);
  };
  {
    // The first run commits chunk 0, then dies before chunk 1 is committed.
    auto sink = OpenSink("k", options);
    ASSERT_NE(sink, nullptr);
    Load(sink.get(), Batches(chunk(0)), "run-0", {{"nilus.cursor.k", "9"}});
    ASSERT_TRUE(sink->Write(chunk(1)).ok());
  }
  // The rerun replays both chunks with the same ids: chunk 0 is skipped, chunk 1 committed.
  auto sink = OpenSink("k", options);
  ASSERT_NE(sink, nullptr);
  LoadCommitResult r0 = Load(sink.get(), Batches(chunk(0)), "run-0", {{"nilus.cursor.k", "9"}});
  EXPECT_TRUE(r0.already_committed);
  LoadCommitResult r1 = Load(sink.get(), Batches(chunk(1)), "run-1", {{"nilus.cursor.k", "19"}});
  EXPECT_TRUE(r1.committed);
  EXPECT_EQ(ReadTable("k").size(), 20u);
  auto table = LoadTable("k");
  EXPECT_EQ(table->metadata().snapshots.size(), 2u);
  auto cursor = sink->LastCommittedProperty("nilus.cursor.k");
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(*cursor, std::optional<std::string>("19"));
}

TEST_F(IcebergSinkTest, SchemaEvolvesForNewAndWidenedColumns) {
  auto sink = OpenSink("e");
  ASSERT_NE(sink, nullptr);
  Load(sink.get(), Batches(MakeBatch({{1, "a", 5}})), "e1");

  // Second batch: qty is now long and there is a new column "email".
  auto schema2 = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "email", Type::String()),
      NestedField::Optional(3, "qty", Type::Long()),
  });
  auto b2 = std::make_unique<ColumnBatch>(schema2);
  b2->mutable_column(0)->AppendInt64(2);
  b2->mutable_column(1)->AppendBytes("b@x");
  b2->mutable_column(2)->AppendInt64(int64_t{1} << 40);
  LoadCommitResult r = Load(sink.get(), Batches(std::move(b2)), "e2");
  EXPECT_TRUE(r.committed);
  ASSERT_EQ(r.schema_changes.size(), 2u);
  EXPECT_EQ(r.schema_changes[0], "add column email: string");
  EXPECT_EQ(r.schema_changes[1], "widen column qty: int -> long");

  auto table = LoadTable("e");
  const Schema& schema = *table->metadata().CurrentSchema();
  ASSERT_GE(schema.FindTopLevelIndex("email"), 0);
  EXPECT_EQ(schema.fields()[schema.FindTopLevelIndex("qty")].type->id(), TypeId::kLong);
  EXPECT_EQ(schema.fields()[schema.FindTopLevelIndex("name")].type->id(), TypeId::kString);

  auto rows = ReadTable("e");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows["1"]["qty"], "5");  // an int file read through the widened column
  EXPECT_EQ(rows["1"]["email"], "null");
  EXPECT_EQ(rows["2"]["qty"], std::to_string(int64_t{1} << 40));
  EXPECT_EQ(rows["2"]["email"], "b@x");
  EXPECT_EQ(rows["2"]["name"], "null");  // absent from the batch

  // An int batch into the now-long column needs no change and is cast.
  r = Load(sink.get(), Batches(MakeBatch({{3, "c", 7}})), "e3");
  EXPECT_TRUE(r.schema_changes.empty());
  EXPECT_EQ(ReadTable("e")["3"]["qty"], "7");
}

TEST_F(IcebergSinkTest, RequiredColumnsBecomeOptionalWhenNullsArrive) {
  auto required = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Required(2, "name", Type::String()),
      NestedField::Required(3, "qty", Type::Int()),
      NestedField::Required(4, "code", Type::String()),
  });
  auto b1 = std::make_unique<ColumnBatch>(required);
  b1->mutable_column(0)->AppendInt64(1);
  b1->mutable_column(1)->AppendBytes("a");
  b1->mutable_column(2)->AppendInt32(1);
  b1->mutable_column(3)->AppendBytes("k");
  IcebergSinkOptions options;
  options.primary_key = {"id"};
  auto sink = OpenSink("r", options);
  ASSERT_NE(sink, nullptr);
  Load(sink.get(), Batches(std::move(b1)), "r1");

  // name and qty arrive nullable, code is gone: all become optional; the key stays required
  // although this batch declares it optional.
  auto schema2 = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Optional(1, "id", Type::Long()),
      NestedField::Optional(2, "name", Type::String()),
      NestedField::Optional(3, "qty", Type::Int()),
  });
  auto b2 = std::make_unique<ColumnBatch>(schema2);
  b2->mutable_column(0)->AppendInt64(2);
  b2->mutable_column(1)->AppendNull();
  b2->mutable_column(2)->AppendInt32(2);
  LoadCommitResult r = Load(sink.get(), Batches(std::move(b2)), "r2");
  EXPECT_EQ(r.schema_changes,
            (std::vector<std::string>{"make column name optional", "make column qty optional",
                                      "make column code optional"}));
  auto table = LoadTable("r");
  const Schema& s = *table->metadata().CurrentSchema();
  EXPECT_TRUE(s.fields()[s.FindTopLevelIndex("id")].required);
  EXPECT_FALSE(s.fields()[s.FindTopLevelIndex("name")].required);
  EXPECT_FALSE(s.fields()[s.FindTopLevelIndex("qty")].required);
  EXPECT_FALSE(s.fields()[s.FindTopLevelIndex("code")].required);
  auto rows = ReadTable("r");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows["1"]["code"], "k");
  EXPECT_EQ(rows["2"]["name"], "null");
  EXPECT_EQ(rows["2"]["code"], "null");
}

TEST_F(IcebergSinkTest, IncompatibleTypeChangeIsAClearError) {
  auto sink = OpenSink("bad");
  ASSERT_NE(sink, nullptr);
  Load(sink.get(), Batches(MakeBatch({{1, "a", 5}})), "b1");
  const int files = CountDataFiles("bad");

  auto schema2 = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "qty", Type::String()),
  });
  auto b2 = std::make_unique<ColumnBatch>(schema2);
  b2->mutable_column(0)->AppendInt64(2);
  b2->mutable_column(1)->AppendBytes("many");
  Status st = sink->Write(std::move(b2));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kTypeError);
  EXPECT_NE(st.message().find("db.bad"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("'qty'"), std::string::npos) << st.message();
  // The round is poisoned; Commit reports the error and commits nothing.
  auto r = sink->Commit({"b2", {}});
  EXPECT_FALSE(r.ok());
  auto table = LoadTable("bad");
  EXPECT_EQ(table->metadata().snapshots.size(), 1u);
  EXPECT_EQ(table->metadata().schemas.size(), 1u);
  EXPECT_EQ(CountDataFiles("bad"), files);

  // The sink is usable again for a clean round.
  LoadCommitResult ok = Load(sink.get(), Batches(MakeBatch({{2, "b", 6}})), "b3");
  EXPECT_TRUE(ok.committed);
  EXPECT_EQ(ReadTable("bad").size(), 2u);
}

TEST_F(IcebergSinkTest, PartitionedByDay) {
  auto schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "ts", Type::Timestamp()),
  });
  constexpr int64_t kDay = int64_t{86400} * 1000000;
  auto batch = std::make_unique<ColumnBatch>(schema);
  const std::vector<int64_t> ts = {19000 * kDay + 5, 19001 * kDay + 7, 19000 * kDay + 9};
  for (size_t i = 0; i < ts.size(); ++i) {
    batch->mutable_column(0)->AppendInt64(static_cast<int64_t>(i));
    batch->mutable_column(1)->AppendInt64(ts[i]);
  }
  IcebergSinkOptions options;
  options.partition_by = {"day(ts)"};
  auto sink = OpenSink("p", options);
  ASSERT_NE(sink, nullptr);
  LoadCommitResult r = Load(sink.get(), Batches(std::move(batch)), "p1");
  EXPECT_EQ(r.data_files, 2);

  auto table = LoadTable("p");
  const iceberg::PartitionSpec& spec = *table->metadata().DefaultSpec();
  ASSERT_EQ(spec.fields.size(), 1u);
  EXPECT_EQ(spec.fields[0].name, "ts_day");
  EXPECT_EQ(spec.fields[0].transform.kind(), iceberg::TransformKind::kDay);
  std::set<int32_t> days;
  for (const auto& [path, entry] : LiveEntries(*table)) {
    ASSERT_EQ(entry.data_file.partition.size(), 1u);
    days.insert(entry.data_file.partition[0].get<int32_t>());
    EXPECT_NE(path.find("ts_day="), std::string::npos) << path;
  }
  EXPECT_EQ(days, (std::set<int32_t>{19000, 19001}));
  auto rows = ReadTable("p");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows["1"]["ts"], std::to_string(ts[1]));
}

TEST_F(IcebergSinkTest, UncommittedFilesAreDeleted) {
  {
    auto sink = OpenSink("u");
    ASSERT_NE(sink, nullptr);
    Load(sink.get(), Batches(MakeBatch({{1, "a", 1}})), "u1");
  }
  ASSERT_EQ(CountDataFiles("u"), 1);
  {
    IcebergSinkOptions options;
    options.target_file_size = 1;
    options.row_group_max_bytes = 1;
    auto sink = OpenSink("u", options);
    ASSERT_NE(sink, nullptr);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(sink->Write(MakeBatch({{10 + i, "x", i}})).ok());
    EXPECT_GT(CountDataFiles("u"), 1);  // rolled files exist before the commit
    // Destroyed without Commit (an error path in the runner).
  }
  EXPECT_EQ(CountDataFiles("u"), 1);
  EXPECT_EQ(ReadTable("u").size(), 1u);
}

TEST_F(IcebergSinkTest, OpenChecksOptions) {
  IcebergSinkOptions merge;
  merge.disposition = WriteDisposition::kMerge;
  EXPECT_FALSE(IcebergSink::Open(catalog_.get(), "db", "x", merge).ok());  // no key
  merge.primary_key = {"id"};
  merge.partition_by = {"day(ts)"};
  auto r = IcebergSink::Open(catalog_.get(), "db", "x", merge);
  EXPECT_EQ(r.status().code(), StatusCode::kNotImplemented);

  IcebergSinkOptions append;
  append.delete_marker_column = "_deleted";
  EXPECT_FALSE(IcebergSink::Open(catalog_.get(), "db", "x", append).ok());

  auto sink = OpenSink("y");
  Load(sink.get(), Batches(MakeBatch({{1, "a", 1}})), "y1");
  IcebergSinkOptions bad_key;
  bad_key.disposition = WriteDisposition::kMerge;
  bad_key.primary_key = {"nope"};
  r = IcebergSink::Open(catalog_.get(), "db", "y", bad_key);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'nope'"), std::string::npos);

  // Nothing written and no table: Commit is a no-op.
  auto empty = OpenSink("never");
  auto c = empty->Commit({"l", {}});
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->committed);
  EXPECT_FALSE(catalog_->LoadTable("db", "never").ok());
}

TEST(PartitionHintTest, Parses) {
  auto h = ParsePartitionHint("day(created_at)");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->column, "created_at");
  EXPECT_EQ(h->field_name, "created_at_day");
  EXPECT_EQ(h->transform.kind(), iceberg::TransformKind::kDay);

  h = ParsePartitionHint(" bucket(16, id) ");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->column, "id");
  EXPECT_EQ(h->field_name, "id_bucket");
  EXPECT_EQ(h->transform.kind(), iceberg::TransformKind::kBucket);
  EXPECT_EQ(h->transform.param(), 16);

  h = ParsePartitionHint("truncate(4,name)");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->field_name, "name_trunc");
  EXPECT_EQ(h->transform.param(), 4);

  h = ParsePartitionHint("region");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->field_name, "region");
  EXPECT_EQ(h->transform.kind(), iceberg::TransformKind::kIdentity);

  for (const char* bad : {"", "bucket(id)", "day(3,ts)", "week(ts)", "bucket(x,id)", "day(ts",
                          "bucket(0,id)", "day()"}) {
    EXPECT_FALSE(ParsePartitionHint(bad).ok()) << bad;
  }
}

TEST(PartitionHintTest, SpecChecksColumnsAndTypes) {
  Schema schema(
      {NestedField::Required(1, "id", Type::Long()), NestedField::Optional(2, "d", Type::Date())});
  auto spec = BuildPartitionSpec(schema, {"bucket(8,id)", "month(d)"});
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_EQ(spec->fields.size(), 2u);
  EXPECT_EQ(spec->fields[0].source_id, 1);
  EXPECT_EQ(spec->fields[0].field_id, 1000);
  EXPECT_EQ(spec->fields[1].field_id, 1001);
  EXPECT_FALSE(BuildPartitionSpec(schema, {"day(missing)"}).ok());
  EXPECT_FALSE(BuildPartitionSpec(schema, {"hour(d)"}).ok());  // hour of a date
}

TEST(WriteDispositionTest, Parses) {
  EXPECT_EQ(*ParseWriteDisposition("merge"), WriteDisposition::kMerge);
  EXPECT_EQ(*ParseWriteDisposition("append"), WriteDisposition::kAppend);
  EXPECT_EQ(*ParseWriteDisposition("replace"), WriteDisposition::kReplace);
  EXPECT_FALSE(ParseWriteDisposition("upsert").ok());
  EXPECT_EQ(WriteDispositionName(WriteDisposition::kReplace), "replace");
}

}  // namespace
}  // namespace nilus::load
