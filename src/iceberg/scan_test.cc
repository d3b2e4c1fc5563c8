#include "iceberg/scan.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "formats/parquet/writer.h"
#include "iceberg/file_writers.h"
#include "iceberg/schema_update.h"
#include "storage/local_file_io.h"

namespace nilus::iceberg {
namespace {

// id long required, part int, name string.
SchemaPtr ScanTestSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "part", Type::Int()),
      NestedField::Optional(3, "name", Type::String()),
  });
}

PartitionSpec ByPart() {
  PartitionSpec spec;
  spec.fields.push_back(PartitionField{2, 1000, "part", Transform::Identity()});
  return spec;
}

struct Row {
  int64_t id = 0;
  std::optional<int32_t> part;
  std::optional<std::string> name;
  bool operator<(const Row& o) const {
    return std::tie(id, part, name) < std::tie(o.id, o.part, o.name);
  }
  bool operator==(const Row& o) const {
    return std::tie(id, part, name) == std::tie(o.id, o.part, o.name);
  }
};

std::ostream& operator<<(std::ostream& os, const Row& r) {
  return os << "(" << r.id << ", " << (r.part ? std::to_string(*r.part) : "null") << ", "
            << r.name.value_or("null") << ")";
}

Value PartValue(int32_t part) { return Value{Type::Int(), part}; }

void AppendRows(const std::vector<Row>& rows, ColumnBatch* batch) {
  for (const Row& r : rows) {
    batch->mutable_column(0)->AppendInt64(r.id);
    if (r.part) {
      batch->mutable_column(1)->AppendInt32(*r.part);
    } else {
      batch->mutable_column(1)->AppendNull();
    }
    if (r.name) {
      batch->mutable_column(2)->AppendBytes(*r.name);
    } else {
      batch->mutable_column(2)->AppendNull();
    }
  }
}

// Rows of the scan, sorted.
std::vector<Row> RowsOf(const std::vector<std::unique_ptr<ColumnBatch>>& batches) {
  std::vector<Row> out;
  for (const auto& b : batches) {
    EXPECT_TRUE(b->Validate().ok());
    for (int64_t i = 0; i < b->num_rows(); ++i) {
      Row r;
      r.id = b->column(0).Value<int64_t>(i);
      if (b->column(1).IsValid(i)) r.part = b->column(1).Value<int32_t>(i);
      if (b->column(2).IsValid(i)) r.name = std::string(b->column(2).Bytes(i));
      out.push_back(r);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class IcebergScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nilus_iscan_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = SqlCatalogStore::Open("sqlite:///" + dir_ + "/catalog.db", "test");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store.MoveValue();
    ASSERT_TRUE(store_->CreateNamespace("db").ok());
    auto c = Catalog::Make(store_.get(), &io_, dir_ + "/warehouse");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_ = c.MoveValue();
  }
  void TearDown() override {
    catalog_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Table> Create(const PartitionSpec& spec) {
    auto t = catalog_->CreateTable("db", "t", *ScanTestSchema(), spec);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t.MoveValue() : nullptr;
  }

  DataFile WriteData(const Table& table, const std::string& name, const std::vector<Row>& rows,
                     std::vector<Value> partition = {}) {
    SchemaPtr schema = table.metadata().schemas.at(0);
    auto writer =
        parquet::ParquetWriter::Open(&io_, table.metadata().location + "/data/" + name, schema);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    if (!writer.ok()) return {};
    ColumnBatch batch(schema);
    AppendRows(rows, &batch);
    EXPECT_TRUE((*writer)->Write(batch).ok());
    auto metrics = (*writer)->Close();
    EXPECT_TRUE(metrics.ok()) << metrics.status().ToString();
    if (!metrics.ok()) return {};
    auto file = DataFileFromParquet(*metrics, DataFileContent::kData, std::move(partition));
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? file.MoveValue() : DataFile{};
  }

  DataFile WritePositionDeletes(const Table& table, const std::string& name,
                                const std::vector<std::pair<std::string, int64_t>> deletes,
                                std::vector<Value> partition = {}) {
    PositionDeleteWriter w(&io_, table.metadata().location + "/data/" + name);
    for (const auto& [path, pos] : deletes) w.Add(path, pos);
    auto file = w.Close(std::move(partition));
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? file.MoveValue() : DataFile{};
  }

  // Deletes by name (field 3).
  DataFile WriteNameDeletes(const Table& table, const std::string& name,
                            const std::vector<std::optional<std::string>>& names,
                            std::vector<Value> partition = {}) {
    auto w = EqualityDeleteWriter::Open(&io_, table.metadata().location + "/data/" + name,
                                        *table.metadata().schemas.at(0), {3});
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    if (!w.ok()) return {};
    ColumnBatch keys((*w)->delete_schema());
    for (const auto& n : names) {
      if (n) {
        keys.mutable_column(0)->AppendBytes(*n);
      } else {
        keys.mutable_column(0)->AppendNull();
      }
    }
    EXPECT_TRUE((*w)->Write(keys).ok());
    auto file = (*w)->Close(std::move(partition));
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? file.MoveValue() : DataFile{};
  }

  void Append(Table* table, std::vector<DataFile> files) {
    auto append = table->NewFastAppend();
    for (DataFile& f : files) append->AppendFile(std::move(f));
    Status st = append->Commit();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  void Delta(Table* table, std::vector<DataFile> deletes, std::vector<DataFile> data = {}) {
    auto delta = table->NewRowDelta();
    for (DataFile& f : deletes) delta->AddDeletes(std::move(f));
    for (DataFile& f : data) delta->AddRows(std::move(f));
    Status st = delta->Commit();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  std::vector<Row> Scan(const Table& table, const ScanOptions& options = {}) {
    auto batches = ScanTable(table, options);
    EXPECT_TRUE(batches.ok()) << batches.status().ToString();
    return batches.ok() ? RowsOf(*batches) : std::vector<Row>{};
  }

  std::string dir_;
  LocalFileIO io_;
  std::unique_ptr<SqlCatalogStore> store_;
  std::unique_ptr<Catalog> catalog_;
};

std::vector<Row> Ids(int64_t from, int64_t to, std::optional<int32_t> part = std::nullopt) {
  std::vector<Row> out;
  for (int64_t i = from; i < to; ++i) out.push_back({i, part, "n" + std::to_string(i)});
  return out;
}

TEST_F(IcebergScanTest, EmptyTableScansNothing) {
  auto table = Create(PartitionSpec::Unpartitioned());
  ASSERT_NE(table, nullptr);
  auto plan = PlanScan(table->io(), table->metadata());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_FALSE(plan->snapshot_id.has_value());
  EXPECT_TRUE(plan->tasks.empty());
  EXPECT_TRUE(Scan(*table).empty());
  ScanOptions unknown;
  unknown.snapshot_id = 42;
  EXPECT_EQ(PlanScan(table->io(), table->metadata(), unknown).status().code(),
            StatusCode::kNotFound);
}

TEST_F(IcebergScanTest, AppliesPositionAndEqualityDeletesBySequenceNumber) {
  auto table = Create(PartitionSpec::Unpartitioned());
  ASSERT_NE(table, nullptr);
  DataFile f1 = WriteData(*table, "f1.parquet", Ids(0, 10));
  DataFile f2 = WriteData(*table, "f2.parquet", Ids(10, 20));
  Append(table.get(), {f1, f2});  // seq 1
  const int64_t before_deletes = *table->metadata().current_snapshot_id;

  // seq 2: positions 2 and 3 of f1 and 0 of f2 (ids 2, 3, 10), and name "n15" by equality.
  DataFile pos = WritePositionDeletes(*table, "pos.parquet",
                                      {{f1.file_path, 3}, {f2.file_path, 0}, {f1.file_path, 2}});
  DataFile eq = WriteNameDeletes(*table, "eq.parquet", {"n15"});
  Delta(table.get(), {pos, eq});
  // seq 3: "n15" appended again after the delete stays, and a position delete written in the
  // same commit as its data file applies to it (equal sequence numbers).
  DataFile f3 = WriteData(*table, "f3.parquet", {{15, std::nullopt, "n15"}, {20, {}, "n20"}});
  DataFile pos3 = WritePositionDeletes(*table, "pos3.parquet", {{f3.file_path, 1}});
  Delta(table.get(), {pos3}, {f3});

  std::vector<Row> expected;
  for (const Row& r : Ids(0, 20)) {
    if (r.id != 2 && r.id != 3 && r.id != 10 && r.id != 15) expected.push_back(r);
  }
  expected.push_back({15, std::nullopt, "n15"});
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Scan(*table), expected);

  auto plan = PlanScan(table->io(), table->metadata());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->tasks.size(), 3u);
  EXPECT_EQ(plan->delete_files.size(), 3u);
  std::map<std::string, std::set<std::string>> deletes_of;
  for (const FileScanTask& t : plan->tasks) {
    for (const auto& d : t.deletes) deletes_of[t.data_file.file_path].insert(d->file.file_path);
  }
  // pos.parquet names f1 and f2 (no referenced_data_file; bounds cover both); pos3 only f3.
  EXPECT_EQ(deletes_of[f1.file_path], (std::set<std::string>{pos.file_path, eq.file_path}));
  EXPECT_EQ(deletes_of[f2.file_path], (std::set<std::string>{pos.file_path, eq.file_path}));
  EXPECT_EQ(deletes_of[f3.file_path], (std::set<std::string>{pos3.file_path}));

  // Time travel: the snapshot before the deletes has every row of f1 and f2.
  ScanOptions old;
  old.snapshot_id = before_deletes;
  EXPECT_EQ(Scan(*table, old), Ids(0, 20));

  // The reader's counters, and each delete file read once although it applies to two files.
  auto reader = ScanReader::Make(table->io(), table->metadata());
  ASSERT_TRUE(reader.ok());
  int64_t rows = 0;
  for (const FileScanTask& t : plan->tasks) {
    ASSERT_TRUE((*reader)
                    ->Read(t,
                           [&rows](std::unique_ptr<ColumnBatch> b) {
                             rows += b->num_rows();
                             return Status::OK();
                           })
                    .ok());
  }
  EXPECT_EQ(rows, static_cast<int64_t>(expected.size()));
  EXPECT_EQ((*reader)->stats().data_files, 3);
  EXPECT_EQ((*reader)->stats().rows_read, 22);
  EXPECT_EQ((*reader)->stats().rows_position_deleted, 4);
  EXPECT_EQ((*reader)->stats().rows_equality_deleted, 1);
  EXPECT_EQ((*reader)->stats().delete_files_read, 3);
}

TEST_F(IcebergScanTest, DeletesStayInTheirPartitionAndNullsMatchNulls) {
  auto table = Create(ByPart());
  ASSERT_NE(table, nullptr);
  std::vector<Row> p1 = {{1, 1, "a"}, {2, 1, "b"}, {3, 1, std::nullopt}, {4, 1, "a"}};
  std::vector<Row> p2 = {{5, 2, "a"}, {6, 2, "b"}, {7, 2, std::nullopt}};
  DataFile f1 = WriteData(*table, "p1.parquet", p1, {PartValue(1)});
  DataFile f2 = WriteData(*table, "p2.parquet", p2, {PartValue(2)});
  Append(table.get(), {f1, f2});

  // Partition 1: equality deletes of "a" and of null names. Partition 2: a position delete
  // whose row names f1 (another partition: must not apply) and one naming f2's row 1.
  DataFile eq1 = WriteNameDeletes(*table, "eq1.parquet", {"a", std::nullopt}, {PartValue(1)});
  DataFile pos2 = WritePositionDeletes(*table, "pos2.parquet",
                                       {{f1.file_path, 1}, {f2.file_path, 1}}, {PartValue(2)});
  Delta(table.get(), {eq1, pos2});

  std::vector<Row> expected = {{2, 1, "b"}, {5, 2, "a"}, {7, 2, std::nullopt}};
  EXPECT_EQ(Scan(*table), expected);

  // A partition filter selects the data files of one partition.
  ScanOptions only2;
  only2.filter = PartitionFilter().Equal("part", PartValue(2));
  EXPECT_EQ(Scan(*table, only2), (std::vector<Row>{{5, 2, "a"}, {7, 2, std::nullopt}}));
  ScanOptions bad;
  bad.filter = PartitionFilter().Equal("nope", PartValue(2));
  EXPECT_EQ(PlanScan(table->io(), table->metadata(), bad).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(IcebergScanTest, EqualityDeleteColumnOutsideTheProjectionIsReadAndDropped) {
  auto table = Create(PartitionSpec::Unpartitioned());
  ASSERT_NE(table, nullptr);
  Append(table.get(), {WriteData(*table, "f.parquet", Ids(0, 5))});
  Delta(table.get(), {WriteNameDeletes(*table, "eq.parquet", {"n1", "n3", "zz"})});
  auto projection = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
  });
  auto batches = ScanTable(*table, {}, projection);
  ASSERT_TRUE(batches.ok()) << batches.status().ToString();
  std::vector<int64_t> ids;
  for (const auto& b : *batches) {
    ASSERT_EQ(b->num_columns(), 1);
    EXPECT_TRUE(b->schema()->Equals(*projection));
    for (int64_t i = 0; i < b->num_rows(); ++i) ids.push_back(b->column(0).Value<int64_t>(i));
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<int64_t>{0, 2, 4}));
}

TEST_F(IcebergScanTest, EqualityDeletesCompareWidenedValuesByValue) {
  auto table = Create(PartitionSpec::Unpartitioned());
  ASSERT_NE(table, nullptr);
  // Written while `part` is an int.
  Append(table.get(), {WriteData(*table, "old.parquet", {{1, 7, "a"}, {2, 8, "b"}, {3, 7, "c"}})});
  Status widened = SchemaUpdate::For(table.get()).UpdateColumnType("part", Type::Long()).Commit();
  ASSERT_TRUE(widened.ok()) << widened.ToString();
  const Schema* current = table->metadata().CurrentSchema();
  ASSERT_NE(current, nullptr);
  ASSERT_EQ(current->fields()[1].type->id(), TypeId::kLong);
  // An equality delete on `part` written with the long type deletes the int rows of value 7.
  auto w = EqualityDeleteWriter::Open(&io_, table->metadata().location + "/data/eq-part.parquet",
                                      *current, {2});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ColumnBatch keys((*w)->delete_schema());
  keys.mutable_column(0)->AppendInt64(7);
  ASSERT_TRUE((*w)->Write(keys).ok());
  auto eq = (*w)->Close();
  ASSERT_TRUE(eq.ok()) << eq.status().ToString();
  Delta(table.get(), {*eq});

  auto batches = ScanTable(*table);
  ASSERT_TRUE(batches.ok()) << batches.status().ToString();
  std::vector<std::pair<int64_t, int64_t>> rows;  // (id, part)
  for (const auto& b : *batches) {
    ASSERT_EQ(b->column(1).type()->id(), TypeId::kLong);
    for (int64_t i = 0; i < b->num_rows(); ++i) {
      rows.emplace_back(b->column(0).Value<int64_t>(i), b->column(1).Value<int64_t>(i));
    }
  }
  EXPECT_EQ(rows, (std::vector<std::pair<int64_t, int64_t>>{{2, 8}}));
}

TEST(IcebergScanRules, DeleteFileAppliesFollowsTheSpec) {
  const PartitionSpec unpartitioned;
  PartitionSpec by_part = ByPart();
  by_part.spec_id = 1;
  ScanFile data;
  data.file.file_path = "/t/data/m.parquet";
  data.file.partition = {PartValue(1)};
  data.data_sequence_number = 5;
  data.spec_id = 1;

  ScanFile pos;
  pos.file.content = DataFileContent::kPositionDeletes;
  pos.file.partition = {PartValue(1)};
  pos.spec_id = 1;
  pos.data_sequence_number = 5;
  EXPECT_TRUE(DeleteFileApplies(pos, by_part, data));  // same sequence number applies
  pos.data_sequence_number = 4;
  EXPECT_FALSE(DeleteFileApplies(pos, by_part, data));  // older than the data
  pos.data_sequence_number = 6;
  pos.file.partition = {PartValue(2)};
  EXPECT_FALSE(DeleteFileApplies(pos, by_part, data));  // another partition
  pos.file.partition = {PartValue(1)};
  pos.file.referenced_data_file = "/t/data/other.parquet";
  EXPECT_FALSE(DeleteFileApplies(pos, by_part, data));
  pos.file.referenced_data_file.reset();
  pos.file.lower_bounds[kDeleteFilePathFieldId] = "/t/data/n";
  pos.file.upper_bounds[kDeleteFilePathFieldId] = "/t/data/z";
  EXPECT_FALSE(DeleteFileApplies(pos, by_part, data));  // "m..." sorts below the lower bound
  pos.file.lower_bounds[kDeleteFilePathFieldId] = "/t/data/a";
  EXPECT_TRUE(DeleteFileApplies(pos, by_part, data));
  pos.file.upper_bounds[kDeleteFilePathFieldId] = "/t/data/l";
  EXPECT_FALSE(DeleteFileApplies(pos, by_part, data));

  ScanFile eq;
  eq.file.content = DataFileContent::kEqualityDeletes;
  eq.file.partition = {PartValue(1)};
  eq.spec_id = 1;
  eq.data_sequence_number = 5;
  EXPECT_FALSE(DeleteFileApplies(eq, by_part, data));  // equal: the data came with the delete
  eq.data_sequence_number = 6;
  EXPECT_TRUE(DeleteFileApplies(eq, by_part, data));
  eq.file.partition = {Value{Type::Int(), std::monostate{}}};
  EXPECT_FALSE(DeleteFileApplies(eq, by_part, data));  // null partition differs from 1
  // A delete of an unpartitioned spec is global.
  ScanFile global = eq;
  global.spec_id = 0;
  global.file.partition = {};
  EXPECT_TRUE(DeleteFileApplies(global, unpartitioned, data));
  global.data_sequence_number = 5;
  EXPECT_FALSE(DeleteFileApplies(global, unpartitioned, data));
}

TEST(IcebergScanRules, PartitionFilterComparesByValue) {
  const PartitionSpec spec = ByPart();
  EXPECT_TRUE(*PartitionFilter().Matches(spec, {PartValue(3)}));
  EXPECT_TRUE(*PartitionFilter().Equal("part", PartValue(3)).Matches(spec, {PartValue(3)}));
  // An int64 filter value matches an int partition of the same value.
  EXPECT_TRUE(*PartitionFilter()
                   .Equal("part", Value{Type::Long(), int64_t{3}})
                   .Matches(spec, {PartValue(3)}));
  EXPECT_FALSE(*PartitionFilter().Equal("part", PartValue(4)).Matches(spec, {PartValue(3)}));
  const Value null_int{Type::Int(), std::monostate{}};
  EXPECT_TRUE(*PartitionFilter().Equal("part", null_int).Matches(spec, {null_int}));
  EXPECT_FALSE(*PartitionFilter().Equal("part", null_int).Matches(spec, {PartValue(3)}));
  EXPECT_FALSE(PartitionFilter().Equal("x", PartValue(3)).Matches(spec, {PartValue(3)}).ok());
  EXPECT_EQ(PartitionTupleKey(1, {PartValue(3)}), PartitionTupleKey(1, {PartValue(3)}));
  EXPECT_NE(PartitionTupleKey(1, {PartValue(3)}), PartitionTupleKey(2, {PartValue(3)}));
  EXPECT_NE(PartitionTupleKey(1, {PartValue(3)}), PartitionTupleKey(1, {null_int}));
}

}  // namespace
}  // namespace nilus::iceberg
