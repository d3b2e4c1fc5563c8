#include "iceberg/partitioned_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>

#include "formats/parquet/reader.h"
#include "iceberg/transforms.h"
#include "storage/memory_file_io.h"

namespace nilus::iceberg {
namespace {

using NF = NestedField;

constexpr int64_t kMicrosPerDay = 86400LL * 1000000;
constexpr int32_t kDay20240301 = 19783;  // days since 1970-01-01

SchemaPtr TestSchema() {
  return std::make_shared<Schema>(std::vector<NF>{
      NF::Required(1, "id", Type::Long()), NF::Optional(2, "name", Type::String()),
      NF::Optional(3, "category", Type::Int()), NF::Optional(4, "ts", Type::Timestamp()),
      NF::Optional(5, "tags", Type::List(6, Type::String(), true))});
}

struct Row {
  int64_t id;
  std::optional<std::string> name;
  std::optional<int32_t> category;
  std::optional<int64_t> ts;
};

ColumnBatch MakeBatch(const SchemaPtr& schema, const std::vector<Row>& rows) {
  ColumnBatch b(schema);
  for (const Row& r : rows) {
    b.mutable_column(0)->AppendInt64(r.id);
    r.name ? b.mutable_column(1)->AppendBytes(*r.name) : b.mutable_column(1)->AppendNull();
    r.category ? b.mutable_column(2)->AppendInt32(*r.category) : b.mutable_column(2)->AppendNull();
    r.ts ? b.mutable_column(3)->AppendInt64(*r.ts) : b.mutable_column(3)->AppendNull();
    Column* tags = b.mutable_column(4);
    for (int64_t e = 0; e < r.id % 3; ++e) {
      tags->mutable_child(0)->AppendBytes("t" + std::to_string(r.id) + "_" + std::to_string(e));
    }
    tags->AppendListEnd();
  }
  return b;
}

// 40 rows: names cycle through 4 values (one null), categories through 3 (one null), times
// over 3 days around the epoch and 2024-03-01.
std::vector<Row> ManyRows() {
  const char* names[] = {"alpha", "beta gamma", nullptr, "d/é"};
  const std::optional<int32_t> cats[] = {7, std::nullopt, -2};
  const int64_t times[] = {kDay20240301 * kMicrosPerDay + 10 * 3600000000LL,
                           (kDay20240301 + 1) * kMicrosPerDay - 1, -1, 0};
  std::vector<Row> rows;
  for (int64_t i = 0; i < 40; ++i) {
    Row r{i, std::nullopt, cats[i % 3], std::nullopt};
    if (names[i % 4]) r.name = names[i % 4];
    if (i % 5 != 4) r.ts = times[i % 4] + i;
    rows.push_back(r);
  }
  return rows;
}

// Every row of a written file, as (id, the row's batch and index).
struct ReadBack {
  std::vector<std::unique_ptr<ColumnBatch>> batches;
  int64_t rows = 0;
};

ReadBack ReadFile(FileIO* io, const std::string& path, const SchemaPtr& schema) {
  ReadBack out;
  auto reader = parquet::ParquetReader::Open(io, path, schema);
  EXPECT_TRUE(reader.ok()) << path << ": " << reader.status().ToString();
  if (!reader.ok()) return out;
  for (int g = 0; g < (*reader)->num_row_groups(); ++g) {
    auto batch = (*reader)->ReadRowGroup(g);
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    if (!batch.ok()) continue;
    out.rows += (*batch)->num_rows();
    out.batches.push_back(std::move(batch).value());
  }
  return out;
}

// The value of column `col` at `row`, as a Value of the column's type.
Value CellValue(const Column& c, int64_t row) {
  Value v{c.type(), {}};
  if (c.IsNull(row)) return v;
  switch (c.type_ref().id()) {
    case TypeId::kInt:
      v.v = c.Value<int32_t>(row);
      break;
    case TypeId::kString:
      v.v = std::string(c.Bytes(row));
      break;
    default:
      v.v = c.Value<int64_t>(row);
  }
  return v;
}

bool SameValue(const Value& a, const Value& b) { return a.is_null() == b.is_null() && a.v == b.v; }

// Reads back every file and checks that each input id appears exactly once, in a file whose
// partition tuple equals the tuple computed from the row, and that the other columns survived.
void CheckFiles(FileIO* io, const SchemaPtr& schema, const PartitionSpec& spec,
                const std::vector<DataFile>& files, const std::vector<Row>& input) {
  std::map<int64_t, const Row*> by_id;
  for (const Row& r : input) by_id[r.id] = &r;
  std::set<int64_t> seen;
  int64_t total = 0;
  for (const DataFile& f : files) {
    ASSERT_EQ(f.partition.size(), spec.fields.size());
    ReadBack rb = ReadFile(io, f.file_path, schema);
    EXPECT_EQ(rb.rows, f.record_count) << f.file_path;
    total += rb.rows;
    for (const auto& b : rb.batches) {
      for (int64_t i = 0; i < b->num_rows(); ++i) {
        int64_t id = b->column(0).Value<int64_t>(i);
        EXPECT_TRUE(seen.insert(id).second) << "id " << id << " written twice";
        ASSERT_TRUE(by_id.count(id)) << id;
        const Row& r = *by_id[id];
        EXPECT_EQ(b->column(1).IsNull(i), !r.name.has_value());
        if (r.name) {
          EXPECT_EQ(b->column(1).Bytes(i), *r.name);
        }
        const Column& tags = b->column(4);
        EXPECT_EQ(tags.offsets()[i + 1] - tags.offsets()[i], id % 3);
        if (id % 3 > 0) {
          EXPECT_EQ(tags.child(0).Bytes(tags.offsets()[i]), "t" + std::to_string(id) + "_0");
        }
        for (size_t p = 0; p < spec.fields.size(); ++p) {
          int col =
              schema->FindTopLevelIndex(schema->FindFieldById(spec.fields[p].source_id)->name);
          auto expected = ApplyTransform(spec.fields[p].transform, CellValue(b->column(col), i));
          ASSERT_TRUE(expected.ok()) << expected.status().ToString();
          EXPECT_TRUE(SameValue(*expected, f.partition[p]))
              << "id " << id << " in " << f.file_path << ": field " << spec.fields[p].name << " is "
              << expected->ToString() << ", the file's partition " << f.partition[p].ToString();
          EXPECT_TRUE(f.partition[p].type->Equals(*expected->type));
        }
      }
    }
  }
  EXPECT_EQ(total, static_cast<int64_t>(input.size()));
  EXPECT_EQ(seen.size(), input.size());
}

PartitionedWriterOptions SmallOptions() {
  PartitionedWriterOptions o;
  o.file_prefix = "part";
  o.parquet.compression = parquet::Compression::kNone;
  return o;
}

TEST(IcebergPartitionedWriter, UnpartitionedWritesOneFileUnderData) {
  MemoryFileIO io;
  auto schema = TestSchema();
  auto w = PartitionedFileWriter::Make(&io, "mem://wh/db/t/", schema,
                                       PartitionSpec::Unpartitioned(), SmallOptions());
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  std::vector<Row> rows = ManyRows();
  ASSERT_TRUE((*w)->Write(MakeBatch(schema, {rows.begin(), rows.begin() + 25})).ok());
  ASSERT_TRUE((*w)->Write(MakeBatch(schema, {rows.begin() + 25, rows.end()})).ok());
  EXPECT_EQ((*w)->num_open_files(), 1);
  EXPECT_EQ(io.num_files(), 0u);  // nothing is published before Close
  auto files = (*w)->Close();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].file_path, "mem://wh/db/t/data/part-00000.parquet");
  EXPECT_EQ((*files)[0].record_count, 40);
  EXPECT_TRUE((*files)[0].partition.empty());
  EXPECT_EQ((*files)[0].content, DataFileContent::kData);
  EXPECT_GT((*files)[0].file_size_in_bytes, 0);
  EXPECT_EQ((*files)[0].value_counts.at(1), 40);
  CheckFiles(&io, schema, PartitionSpec::Unpartitioned(), *files, rows);
  EXPECT_FALSE((*w)->Close().ok());
}

TEST(IcebergPartitionedWriter, IdentityOnStringAndIntSplitsBatches) {
  MemoryFileIO io;
  auto schema = TestSchema();
  PartitionSpec spec;
  spec.fields.push_back({2, 1000, "name", Transform::Identity()});
  spec.fields.push_back({3, 1001, "category", Transform::Identity()});
  auto w = PartitionedFileWriter::Make(&io, "mem://t", schema, spec, SmallOptions());
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  std::vector<Row> rows = ManyRows();
  // Two batches, each spread over every partition.
  ASSERT_TRUE((*w)->Write(MakeBatch(schema, {rows.begin(), rows.begin() + 17})).ok());
  ASSERT_TRUE((*w)->Write(MakeBatch(schema, {rows.begin() + 17, rows.end()})).ok());
  EXPECT_EQ((*w)->num_open_files(), 12);  // 4 names x 3 categories
  auto files = (*w)->Close();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 12u);
  CheckFiles(&io, schema, spec, *files, rows);

  std::set<std::string> dirs;
  for (const DataFile& f : *files) {
    std::string dir = f.file_path.substr(0, f.file_path.rfind('/'));
    dirs.insert(dir);
    auto expected = PartitionPath(spec, f.partition);
    ASSERT_TRUE(expected.ok());
    EXPECT_EQ(dir, "mem://t/data/" + *expected);
  }
  EXPECT_EQ(dirs.size(), 12u);
  EXPECT_TRUE(dirs.count("mem://t/data/name=alpha/category=7"));
  EXPECT_TRUE(dirs.count("mem://t/data/name=beta+gamma/category=-2"));
  EXPECT_TRUE(dirs.count("mem://t/data/name=null/category=null"));
  EXPECT_TRUE(dirs.count("mem://t/data/name=d%2F%C3%A9/category=7"));
  // The first row (alpha, 7) opened the first file.
  EXPECT_EQ((*files)[0].file_path, "mem://t/data/name=alpha/category=7/part-00000.parquet");
  EXPECT_EQ(io.num_files(), 12u);
}

TEST(IcebergPartitionedWriter, DayOfTimestampAndBucketOfLong) {
  MemoryFileIO io;
  auto schema = TestSchema();
  PartitionSpec spec;
  spec.fields.push_back({4, 1000, "ts_day", Transform::Day()});
  spec.fields.push_back({1, 1001, "id_bucket", *Transform::Bucket(16)});
  auto w = PartitionedFileWriter::Make(&io, "mem://t", schema, spec, SmallOptions());
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  std::vector<Row> rows = ManyRows();
  ASSERT_TRUE((*w)->Write(MakeBatch(schema, rows)).ok());
  auto files = (*w)->Close();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  CheckFiles(&io, schema, spec, *files, rows);

  // One file per distinct (day, bucket) pair of the input.
  std::set<std::pair<std::string, std::string>> pairs;
  for (const Row& r : rows) {
    auto day = ApplyTransform(
        Transform::Day(), r.ts ? Value{Type::Timestamp(), *r.ts} : Value{Type::Timestamp(), {}});
    auto bucket = ApplyTransform(*Transform::Bucket(16), Value{Type::Long(), r.id});
    ASSERT_TRUE(day.ok() && bucket.ok());
    pairs.emplace(day->ToString(), bucket->ToString());
  }
  EXPECT_EQ(files->size(), pairs.size());

  std::set<std::string> days;
  bool saw_known = false;
  for (const DataFile& f : *files) {
    EXPECT_EQ(f.partition[0].type->id(), TypeId::kDate);
    EXPECT_EQ(f.partition[1].type->id(), TypeId::kInt);
    std::string dir = f.file_path.substr(0, f.file_path.rfind('/'));
    ASSERT_EQ(dir.rfind("mem://t/data/ts_day=", 0), 0u) << dir;
    days.insert(dir.substr(20, dir.find('/', 20) - 20));
    // Row 34 has a null ts; bucket[16](34) = 3 per the spec's reference hash of 34
    // (2017239379).
    if (dir == "mem://t/data/ts_day=null/id_bucket=3") {
      saw_known = true;
      EXPECT_TRUE(f.partition[0].is_null());
      EXPECT_EQ(f.partition[1].get<int32_t>(), 3);
    }
  }
  EXPECT_TRUE(saw_known);
  EXPECT_EQ(days, (std::set<std::string>{"2024-03-01", "2024-03-02", "1970-01-01", "null"}));
}

TEST(IcebergPartitionedWriter, NullPartitionValues) {
  MemoryFileIO io;
  auto schema = TestSchema();
  PartitionSpec spec;
  spec.fields.push_back({4, 1000, "ts_hour", Transform::Hour()});
  auto w = PartitionedFileWriter::Make(&io, "mem://t", schema, spec, SmallOptions());
  ASSERT_TRUE(w.ok());
  std::vector<Row> rows = {{1, "a", 1, std::nullopt},
                           {2, "b", 1, 5 * 3600000000LL},
                           {3, "c", 1, std::nullopt},
                           {4, "d", 1, -1}};
  ASSERT_TRUE((*w)->Write(MakeBatch(schema, rows)).ok());
  auto files = (*w)->Close();
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 3u);
  CheckFiles(&io, schema, spec, *files, rows);
  EXPECT_EQ((*files)[0].file_path, "mem://t/data/ts_hour=null/part-00000.parquet");
  EXPECT_TRUE((*files)[0].partition[0].is_null());
  EXPECT_EQ((*files)[0].partition[0].type->id(), TypeId::kInt);
  EXPECT_EQ((*files)[0].record_count, 2);
  EXPECT_EQ((*files)[1].file_path, "mem://t/data/ts_hour=1970-01-01-05/part-00001.parquet");
  EXPECT_EQ((*files)[2].file_path, "mem://t/data/ts_hour=1969-12-31-23/part-00002.parquet");
  EXPECT_EQ((*files)[2].partition[0].get<int32_t>(), -1);
}

TEST(IcebergPartitionedWriter, RollsFilesPastTheTargetSize) {
  MemoryFileIO io;
  auto schema = TestSchema();
  PartitionSpec spec;
  spec.fields.push_back({3, 1000, "category", Transform::Identity()});
  PartitionedWriterOptions o = SmallOptions();
  o.parquet.row_group_max_rows = 5;  // every 5 rows of a partition flush a row group
  o.target_file_size = 1;            // so every flushed row group completes a file
  auto w = PartitionedFileWriter::Make(&io, "mem://t", schema, spec, o);
  ASSERT_TRUE(w.ok());
  std::vector<Row> rows;
  for (int64_t i = 0; i < 60; ++i) rows.push_back({i, "n", static_cast<int32_t>(i % 2), i});
  for (size_t begin = 0; begin < rows.size(); begin += 10) {
    ASSERT_TRUE(
        (*w)->Write(MakeBatch(schema, {rows.begin() + begin, rows.begin() + begin + 10})).ok());
  }
  EXPECT_GT((*w)->num_completed_files(), 0);
  auto files = (*w)->Close();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  // 30 rows per partition, 5 per file.
  EXPECT_EQ(files->size(), 12u);
  std::set<std::string> paths;
  for (const DataFile& f : *files) {
    EXPECT_EQ(f.record_count, 5) << f.file_path;
    paths.insert(f.file_path);
  }
  EXPECT_EQ(paths.size(), files->size());
  CheckFiles(&io, schema, spec, *files, rows);

  // A large target keeps one file per partition.
  MemoryFileIO io2;
  o.target_file_size = 1LL << 30;
  auto w2 = PartitionedFileWriter::Make(&io2, "mem://t", schema, spec, o);
  ASSERT_TRUE(w2.ok());
  ASSERT_TRUE((*w2)->Write(MakeBatch(schema, rows)).ok());
  auto files2 = (*w2)->Close();
  ASSERT_TRUE(files2.ok());
  EXPECT_EQ(files2->size(), 2u);
  CheckFiles(&io2, schema, spec, *files2, rows);
}

TEST(IcebergPartitionedWriter, OpenFileCapClosesTheLeastRecentlyUsed) {
  MemoryFileIO io;
  auto schema = TestSchema();
  PartitionSpec spec;
  spec.fields.push_back({3, 1000, "category", Transform::Identity()});
  PartitionedWriterOptions o = SmallOptions();
  o.max_open_files = 2;
  auto w = PartitionedFileWriter::Make(&io, "mem://t", schema, spec, o);
  ASSERT_TRUE(w.ok());
  std::vector<Row> all;
  // Batches of one partition each: 0, 1, 0, 2 (evicts 1), 1 (evicts 0), 0 (evicts 2).
  int64_t id = 0;
  for (int32_t cat : {0, 1, 0, 2, 1, 0}) {
    std::vector<Row> rows;
    for (int k = 0; k < 3; ++k) rows.push_back({id++, "x", cat, 0});
    ASSERT_TRUE((*w)->Write(MakeBatch(schema, rows)).ok());
    EXPECT_LE((*w)->num_open_files(), 2);
    all.insert(all.end(), rows.begin(), rows.end());
  }
  auto files = (*w)->Close();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 5u);
  EXPECT_EQ((*files)[0].file_path, "mem://t/data/category=1/part-00001.parquet");
  EXPECT_EQ((*files)[0].record_count, 3);
  EXPECT_EQ((*files)[1].file_path, "mem://t/data/category=0/part-00000.parquet");
  EXPECT_EQ((*files)[1].record_count, 6);
  CheckFiles(&io, schema, spec, *files, all);
}

TEST(IcebergPartitionedWriter, AbortLeavesNothingBehind) {
  MemoryFileIO io;
  auto schema = TestSchema();
  PartitionSpec spec;
  spec.fields.push_back({3, 1000, "category", Transform::Identity()});
  PartitionedWriterOptions o = SmallOptions();
  o.max_open_files = 1;
  auto w = PartitionedFileWriter::Make(&io, "mem://t", schema, spec, o);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(MakeBatch(schema, ManyRows())).ok());
  EXPECT_GT(io.num_files(), 0u);  // evicted files were published
  (*w)->Abort();
  EXPECT_EQ(io.num_files(), 0u);
  EXPECT_EQ((*w)->num_open_files(), 0);
  EXPECT_FALSE((*w)->Write(MakeBatch(schema, ManyRows())).ok());
  EXPECT_FALSE((*w)->Close().ok());

  // Dropping a writer without Close aborts it too.
  {
    auto w2 = PartitionedFileWriter::Make(&io, "mem://t", schema, spec, o);
    ASSERT_TRUE(w2.ok());
    ASSERT_TRUE((*w2)->Write(MakeBatch(schema, ManyRows())).ok());
    EXPECT_GT(io.num_files(), 0u);
  }
  EXPECT_EQ(io.num_files(), 0u);
}

TEST(IcebergPartitionedWriter, RejectsNestedSourcesAndBadInput) {
  MemoryFileIO io;
  auto schema = std::make_shared<Schema>(std::vector<NF>{
      NF::Required(1, "id", Type::Long()),
      NF::Optional(2, "loc", Type::Struct({NF::Optional(3, "city", Type::String())}))});
  PartitionSpec spec;
  spec.fields.push_back({3, 1000, "city", Transform::Identity()});
  auto w = PartitionedFileWriter::Make(&io, "mem://t", schema, spec);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(w.status().message().find("nested"), std::string::npos) << w.status().ToString();
  EXPECT_NE(w.status().message().find("'city'"), std::string::npos) << w.status().ToString();

  PartitionSpec bad_type;
  bad_type.fields.push_back({2, 1000, "loc", Transform::Identity()});
  EXPECT_FALSE(PartitionedFileWriter::Make(&io, "mem://t", schema, bad_type).ok());

  PartitionedWriterOptions o;
  o.target_file_size = 0;
  EXPECT_FALSE(
      PartitionedFileWriter::Make(&io, "mem://t", schema, PartitionSpec::Unpartitioned(), o).ok());

  // A batch of another schema poisons the writer.
  auto ok = PartitionedFileWriter::Make(&io, "mem://t", TestSchema(), PartitionSpec{});
  ASSERT_TRUE(ok.ok());
  ColumnBatch other(schema);
  other.mutable_column(0)->AppendInt64(1);
  other.mutable_column(1)->AppendNull();
  EXPECT_EQ((*ok)->Write(other).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE((*ok)->Close().ok());
  (*ok)->Abort();
}

TEST(IcebergPartitionedWriter, AllVoidSpecWritesUnderDataWithNullValues) {
  MemoryFileIO io;
  auto schema = TestSchema();
  PartitionSpec spec;
  spec.fields.push_back({2, 1000, "name_null", Transform::Void()});
  auto w = PartitionedFileWriter::Make(&io, "mem://t", schema, spec, SmallOptions());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(MakeBatch(schema, ManyRows())).ok());
  auto files = (*w)->Close();
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].file_path, "mem://t/data/part-00000.parquet");
  ASSERT_EQ((*files)[0].partition.size(), 1u);
  EXPECT_TRUE((*files)[0].partition[0].is_null());
  CheckFiles(&io, schema, spec, *files, ManyRows());
}

Value V(TypePtr t, decltype(Value::v) v) { return Value{std::move(t), std::move(v)}; }

std::string Human(const Transform& t, const Value& v) {
  auto s = PartitionValueToHumanString(t, v);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : "";
}

TEST(IcebergPartitionedWriter, HumanStringsFollowJava) {
  const Transform id = Transform::Identity();
  EXPECT_EQ(Human(Transform::Year(), V(Type::Int(), int32_t{54})), "2024");
  EXPECT_EQ(Human(Transform::Year(), V(Type::Int(), int32_t{-1})), "1969");
  EXPECT_EQ(Human(Transform::Month(), V(Type::Int(), int32_t{650})), "2024-03");
  EXPECT_EQ(Human(Transform::Month(), V(Type::Int(), int32_t{-1})), "1969-12");
  EXPECT_EQ(Human(Transform::Day(), V(Type::Date(), kDay20240301)), "2024-03-01");
  EXPECT_EQ(Human(Transform::Day(), V(Type::Date(), int32_t{-1})), "1969-12-31");
  EXPECT_EQ(Human(Transform::Hour(), V(Type::Int(), int32_t{kDay20240301 * 24 + 13})),
            "2024-03-01-13");
  EXPECT_EQ(Human(Transform::Hour(), V(Type::Int(), int32_t{-1})), "1969-12-31-23");
  EXPECT_EQ(Human(*Transform::Bucket(16), V(Type::Int(), int32_t{15})), "15");
  EXPECT_EQ(Human(id, V(Type::Int(), {})), "null");
  EXPECT_EQ(Human(Transform::Void(), V(Type::Long(), int64_t{5})), "null");
  EXPECT_EQ(Human(id, V(Type::Boolean(), true)), "true");
  EXPECT_EQ(Human(id, V(Type::Long(), int64_t{-9000000000})), "-9000000000");
  EXPECT_EQ(Human(id, V(Type::Double(), 1.0)), "1.0");
  EXPECT_EQ(Human(id, V(Type::Double(), -2.5)), "-2.5");
  EXPECT_EQ(Human(id, V(Type::Double(), 1e7)), "1.0E7");
  EXPECT_EQ(Human(id, V(Type::Double(), 1.5e-5)), "1.5E-5");
  EXPECT_EQ(Human(id, V(Type::Double(), 0.001)), "0.001");
  EXPECT_EQ(Human(id, V(Type::Float(), 0.1f)), "0.1");
  EXPECT_EQ(Human(id, V(Type::Double(), std::nan(""))), "NaN");
  EXPECT_EQ(Human(id, V(Type::Decimal(10, 2), static_cast<__int128>(12345))), "123.45");
  EXPECT_EQ(Human(id, V(Type::Decimal(10, 2), static_cast<__int128>(-5))), "-0.05");
  EXPECT_EQ(Human(id, V(Type::Decimal(10, 0), static_cast<__int128>(42))), "42");
  EXPECT_EQ(Human(id, V(Type::Decimal(20, 10), static_cast<__int128>(123))), "1.23E-8");
  EXPECT_EQ(Human(id, V(Type::Date(), int32_t{0})), "1970-01-01");
  EXPECT_EQ(Human(id, V(Type::Time(), int64_t{10 * 3600000000LL})), "10:00");
  EXPECT_EQ(Human(id, V(Type::Time(), int64_t{10 * 3600000000LL + 5000000})), "10:00:05");
  EXPECT_EQ(Human(id, V(Type::Time(), int64_t{1500})), "00:00:00.001500");
  EXPECT_EQ(Human(id, V(Type::Time(), int64_t{2000})), "00:00:00.002");
  const int64_t ts = kDay20240301 * kMicrosPerDay + 13 * 3600000000LL + 500000;
  EXPECT_EQ(Human(id, V(Type::Timestamp(), ts)), "2024-03-01T13:00:00.5");
  EXPECT_EQ(Human(id, V(Type::TimestampTz(), ts - 500000)), "2024-03-01T13:00:00+00:00");
  EXPECT_EQ(Human(id, V(Type::Timestamp(), int64_t{-1})), "1969-12-31T23:59:59.999999");
  EXPECT_EQ(Human(id, V(Type::String(), std::string("a b"))), "a b");
  EXPECT_EQ(Human(id, V(Type::Binary(), std::string("\x01\x02\x03\xff", 4))), "AQID/w==");
  EXPECT_EQ(Human(id, V(Type::Fixed(2), std::string("hi"))), "aGk=");
  std::string uuid;
  for (int i = 0; i < 16; ++i) uuid.push_back(static_cast<char>(i * 17));
  EXPECT_EQ(Human(id, V(Type::Uuid(), uuid)), "00112233-4455-6677-8899-aabbccddeeff");
  // A value not holding its type's representation is an error, not a crash.
  EXPECT_FALSE(PartitionValueToHumanString(id, V(Type::Int(), std::string("x"))).ok());
}

TEST(IcebergPartitionedWriter, PartitionPathEscapesNamesAndValues) {
  EXPECT_EQ(UrlEncodeForPath("az09.-*_"), "az09.-*_");
  EXPECT_EQ(UrlEncodeForPath("a b/c=d&e%"), "a+b%2Fc%3Dd%26e%25");
  EXPECT_EQ(UrlEncodeForPath("é+:"), "%C3%A9%2B%3A");
  PartitionSpec spec;
  spec.fields.push_back({1, 1000, "the name", Transform::Identity()});
  spec.fields.push_back({2, 1001, "day", Transform::Day()});
  spec.fields.push_back({3, 1002, "b", *Transform::Bucket(4)});
  auto path = PartitionPath(spec, {V(Type::String(), std::string("x/y z")),
                                   V(Type::Date(), int32_t{0}), V(Type::Int(), {})});
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, "the+name=x%2Fy+z/day=1970-01-01/b=null");
  EXPECT_EQ(PartitionPath(spec, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*PartitionPath(PartitionSpec{}, {}), "");
}

}  // namespace
}  // namespace nilus::iceberg
