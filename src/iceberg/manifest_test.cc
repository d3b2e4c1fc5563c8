#include "iceberg/manifest.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "iceberg/conversions.h"
#include "iceberg/manifest_list.h"
#include "storage/local_file_io.h"
#include "storage/memory_file_io.h"

namespace nilus::iceberg {
namespace {

constexpr char kSchemaJson[] =
    R"({"type":"struct","schema-id":0,"fields":[{"id":1,"name":"id","required":true,"type":"long"},)"
    R"({"id":2,"name":"d","required":false,"type":"date"},{"id":3,"name":"s","required":false,"type":"string"}]})";

Value V(TypePtr t, decltype(Value::v) v) { return Value{std::move(t), std::move(v)}; }
Value Null(TypePtr t) { return Value{std::move(t), {}}; }

std::string LE64(int64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

// A data file with every optional field set.
DataFile FullDataFile(const std::string& path, std::vector<Value> partition) {
  DataFile f;
  f.file_path = path;
  f.partition = std::move(partition);
  f.record_count = 1234;
  f.file_size_in_bytes = 56789;
  f.column_sizes = {{1, 100}, {2, 200}, {3, 300}};
  f.value_counts = {{1, 1234}, {2, 1234}, {3, 1234}};
  f.null_value_counts = {{1, 0}, {2, 7}, {3, 12}};
  f.nan_value_counts = {{4, 2}};
  f.lower_bounds = {{1, LE64(-5)}, {3, std::string("a\0b", 3)}};
  f.upper_bounds = {{1, LE64(99999)}, {3, "zz"}};
  f.key_metadata = std::string("\x00\x01\xff", 3);
  f.split_offsets = {4, 1000, 2000};
  f.sort_order_id = 1;
  return f;
}

void ExpectSameFile(const DataFile& a, const DataFile& b) {
  EXPECT_EQ(a.content, b.content);
  EXPECT_EQ(a.file_path, b.file_path);
  EXPECT_EQ(a.file_format, b.file_format);
  ASSERT_EQ(a.partition.size(), b.partition.size());
  for (size_t i = 0; i < a.partition.size(); ++i) {
    EXPECT_TRUE(a.partition[i].type->Equals(*b.partition[i].type))
        << a.partition[i].type->ToString() << " vs " << b.partition[i].type->ToString();
    EXPECT_EQ(a.partition[i].v, b.partition[i].v) << "partition value " << i;
  }
  EXPECT_EQ(a.record_count, b.record_count);
  EXPECT_EQ(a.file_size_in_bytes, b.file_size_in_bytes);
  EXPECT_EQ(a.column_sizes, b.column_sizes);
  EXPECT_EQ(a.value_counts, b.value_counts);
  EXPECT_EQ(a.null_value_counts, b.null_value_counts);
  EXPECT_EQ(a.nan_value_counts, b.nan_value_counts);
  EXPECT_EQ(a.lower_bounds, b.lower_bounds);
  EXPECT_EQ(a.upper_bounds, b.upper_bounds);
  EXPECT_EQ(a.key_metadata, b.key_metadata);
  EXPECT_EQ(a.split_offsets, b.split_offsets);
  EXPECT_EQ(a.equality_ids, b.equality_ids);
  EXPECT_EQ(a.sort_order_id, b.sort_order_id);
  EXPECT_EQ(a.referenced_data_file, b.referenced_data_file);
}

ManifestWriterOptions Options(std::vector<ManifestPartitionField> fields, std::string spec_json,
                              ManifestContent content = ManifestContent::kData) {
  ManifestWriterOptions o;
  o.schema_json = kSchemaJson;
  o.schema_id = 0;
  o.partition_spec_json = std::move(spec_json);
  o.partition_spec_id = fields.empty() ? 0 : 1;
  o.partition_fields = std::move(fields);
  o.content = content;
  o.snapshot_id = 42;
  return o;
}

TEST(IcebergManifestTest, UnpartitionedRoundTripWithEveryField) {
  MemoryFileIO io;
  auto w = ManifestWriter::Make(&io, "mem://t/metadata/m0.avro", Options({}, "[]"));
  ASSERT_TRUE(w.ok()) << w.status().ToString();

  ManifestEntry added;
  added.status = ManifestEntryStatus::kAdded;
  added.data_file = FullDataFile("mem://t/data/a.parquet", {});
  added.data_file.referenced_data_file = "mem://t/data/x.parquet";
  ManifestEntry existing;
  existing.status = ManifestEntryStatus::kExisting;
  existing.snapshot_id = 7;
  existing.sequence_number = 3;
  existing.file_sequence_number = 4;
  existing.data_file = FullDataFile("mem://t/data/b.parquet", {});
  existing.data_file.record_count = 10;
  ManifestEntry deleted = existing;
  deleted.status = ManifestEntryStatus::kDeleted;
  deleted.snapshot_id.reset();
  deleted.sequence_number = 2;
  deleted.data_file.file_path = "mem://t/data/c.parquet";
  deleted.data_file.record_count = 5;
  // A minimal file: every optional field null.
  DataFile minimal;
  minimal.file_path = "mem://t/data/d.parquet";
  minimal.record_count = 1;
  minimal.file_size_in_bytes = 2;

  ASSERT_TRUE((*w)->Add(added).ok());
  ASSERT_TRUE((*w)->Add(existing).ok());
  ASSERT_TRUE((*w)->Add(deleted).ok());
  ASSERT_TRUE((*w)->AddFile(minimal).ok());
  auto mf = (*w)->Close();
  ASSERT_TRUE(mf.ok()) << mf.status().ToString();
  EXPECT_EQ(mf->manifest_path, "mem://t/metadata/m0.avro");
  EXPECT_EQ(mf->added_files_count, 2);
  EXPECT_EQ(mf->existing_files_count, 1);
  EXPECT_EQ(mf->deleted_files_count, 1);
  EXPECT_EQ(mf->added_rows_count, 1234 + 1);
  EXPECT_EQ(mf->existing_rows_count, 10);
  EXPECT_EQ(mf->deleted_rows_count, 5);
  EXPECT_EQ(mf->min_sequence_number, 3);  // the DELETED entry's 2 is not live
  EXPECT_EQ(mf->sequence_number, kUnassignedSequenceNumber);
  EXPECT_EQ(mf->added_snapshot_id, 42);
  EXPECT_TRUE(mf->partitions.empty());
  auto size = io.ReadFile(mf->manifest_path);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(mf->manifest_length, static_cast<int64_t>(size->size()));
  // Closing twice is an error, not a second file.
  EXPECT_FALSE((*w)->Close().ok());

  auto got = ReadManifestFile(&io, mf->manifest_path);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->metadata["schema"], kSchemaJson);
  EXPECT_EQ(got->metadata["schema-id"], "0");
  EXPECT_EQ(got->metadata["partition-spec"], "[]");
  EXPECT_EQ(got->metadata["partition-spec-id"], "0");
  EXPECT_EQ(got->metadata["format-version"], "2");
  EXPECT_EQ(got->metadata["content"], "data");
  EXPECT_EQ(got->metadata["avro.codec"], "null");
  EXPECT_NE(got->metadata["avro.schema"].find("\"field-id\":140"), std::string::npos);
  ASSERT_EQ(got->entries.size(), 4u);
  const auto& e = got->entries;
  EXPECT_EQ(e[0].status, ManifestEntryStatus::kAdded);
  EXPECT_EQ(e[0].snapshot_id, 42);  // the writer's snapshot
  EXPECT_EQ(e[0].sequence_number, std::nullopt);
  EXPECT_EQ(e[0].file_sequence_number, std::nullopt);
  ExpectSameFile(e[0].data_file, added.data_file);
  EXPECT_EQ(e[1].status, ManifestEntryStatus::kExisting);
  EXPECT_EQ(e[1].snapshot_id, 7);
  EXPECT_EQ(e[1].sequence_number, 3);
  EXPECT_EQ(e[1].file_sequence_number, 4);
  ExpectSameFile(e[1].data_file, existing.data_file);
  EXPECT_EQ(e[2].status, ManifestEntryStatus::kDeleted);
  EXPECT_EQ(e[2].snapshot_id, 42);  // deleted by the writer's snapshot
  EXPECT_EQ(e[2].sequence_number, 2);
  ExpectSameFile(e[2].data_file, deleted.data_file);
  ExpectSameFile(e[3].data_file, minimal);
}

std::vector<ManifestPartitionField> ManyPartitionFields() {
  return {
      {"id_bucket", 1000, Type::Int()}, {"d_day", 1001, Type::Date()},
      {"s", 1002, Type::String()},      {"price", 1003, Type::Decimal(10, 2)},
      {"x", 1004, Type::Double()},      {"ts", 1005, Type::TimestampTz()},
      {"u", 1006, Type::Uuid()},        {"fx", 1007, Type::Fixed(3)},
      {"flag", 1008, Type::Boolean()},  {"n", 1009, Type::Long()},
      {"b", 1010, Type::Binary()},      {"f", 1011, Type::Float()},
      {"t", 1012, Type::Time()},        {"lts", 1013, Type::Timestamp()},
  };
}

std::vector<Value> Row(int32_t bucket, int32_t day, std::string s, __int128 price, double x,
                       bool flag) {
  auto f = ManyPartitionFields();
  return {V(f[0].result_type, bucket),
          V(f[1].result_type, day),
          V(f[2].result_type, std::move(s)),
          V(f[3].result_type, price),
          V(f[4].result_type, x),
          V(f[5].result_type, int64_t{1700000000000000}),
          V(f[6].result_type, std::string("0123456789abcdef")),
          V(f[7].result_type, std::string("\x01\x02\x03", 3)),
          V(f[8].result_type, flag),
          V(f[9].result_type, int64_t{-9}),
          Null(f[10].result_type),
          V(f[11].result_type, 1.5f),
          V(f[12].result_type, int64_t{3600000000}),
          V(f[13].result_type, int64_t{-1})};
}

TEST(IcebergManifestTest, PartitionedRoundTripAndFieldSummaries) {
  for (AvroCodec codec : {AvroCodec::kNull, AvroCodec::kDeflate}) {
    MemoryFileIO io;
    auto opts = Options(ManyPartitionFields(), R"([{"name":"id_bucket","field-id":1000}])");
    opts.codec = codec;
    auto w = ManifestWriter::Make(&io, "mem://t/m1.avro", opts);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    std::vector<std::vector<Value>> rows = {
        Row(3, 19000, "b", 12345, 2.5, true),
        Row(-1, 18000, "\xc3\xa9t\xc3\xa9", -70000000000, -0.0, false),
        Row(7, 20000, "a", 5, std::numeric_limits<double>::quiet_NaN(), true),
    };
    rows[2][2] = Null(Type::String());
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSERT_TRUE((*w)->AddFile(FullDataFile("mem://t/data/p" + std::to_string(i), rows[i])).ok());
    }
    auto mf = (*w)->Close();
    ASSERT_TRUE(mf.ok()) << mf.status().ToString();

    ASSERT_EQ(mf->partitions.size(), ManyPartitionFields().size());
    const auto& p = mf->partitions;
    EXPECT_FALSE(p[0].contains_null);
    EXPECT_EQ(p[0].lower_bound, *ToBinary(V(Type::Int(), int32_t{-1})));
    EXPECT_EQ(p[0].upper_bound, *ToBinary(V(Type::Int(), int32_t{7})));
    EXPECT_EQ(p[1].lower_bound, *ToBinary(V(Type::Date(), int32_t{18000})));
    EXPECT_EQ(p[1].upper_bound, *ToBinary(V(Type::Date(), int32_t{20000})));
    EXPECT_TRUE(p[2].contains_null);
    EXPECT_EQ(p[2].lower_bound, "b");
    EXPECT_EQ(p[2].upper_bound, "\xc3\xa9t\xc3\xa9");  // byte order: é sorts after b
    EXPECT_EQ(p[3].lower_bound, *ToBinary(V(Type::Decimal(10, 2), __int128{-70000000000})));
    EXPECT_EQ(p[3].upper_bound, *ToBinary(V(Type::Decimal(10, 2), __int128{12345})));
    EXPECT_EQ(p[4].contains_nan, true);
    EXPECT_EQ(p[4].lower_bound, *ToBinary(V(Type::Double(), -0.0)));
    EXPECT_EQ(p[4].upper_bound, *ToBinary(V(Type::Double(), 2.5)));
    EXPECT_EQ(p[8].lower_bound, std::string(1, '\0'));
    EXPECT_EQ(p[8].upper_bound, std::string(1, '\1'));
    EXPECT_TRUE(p[10].contains_null);
    EXPECT_EQ(p[10].lower_bound, std::nullopt);  // only nulls
    EXPECT_EQ(p[0].contains_nan, false);

    auto got = ReadManifestFile(&io, "mem://t/m1.avro");
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->metadata["avro.codec"], codec == AvroCodec::kDeflate ? "deflate" : "null");
    EXPECT_EQ(got->metadata["partition-spec-id"], "1");
    ASSERT_EQ(got->partition_fields.size(), ManyPartitionFields().size());
    for (size_t i = 0; i < got->partition_fields.size(); ++i) {
      EXPECT_EQ(got->partition_fields[i].name, ManyPartitionFields()[i].name);
      EXPECT_EQ(got->partition_fields[i].field_id, ManyPartitionFields()[i].field_id);
      EXPECT_TRUE(
          got->partition_fields[i].result_type->Equals(*ManyPartitionFields()[i].result_type));
    }
    ASSERT_EQ(got->entries.size(), 3u);
    for (size_t i = 0; i < 2; ++i) {
      ExpectSameFile(got->entries[i].data_file,
                     FullDataFile("mem://t/data/p" + std::to_string(i), rows[i]));
    }
    // NaN != NaN, so check the third row's double by hand.
    const Value& x = got->entries[2].data_file.partition[4];
    EXPECT_TRUE(std::isnan(x.get<double>()));
    EXPECT_TRUE(got->entries[2].data_file.partition[2].is_null());
    // -0.0 keeps its sign.
    EXPECT_TRUE(std::signbit(got->entries[1].data_file.partition[4].get<double>()));
  }
}

TEST(IcebergManifestTest, WriterRejectsInconsistentEntries) {
  MemoryFileIO io;
  auto w = ManifestWriter::Make(&io, "mem://m.avro", Options({{"d", 1000, Type::Date()}}, "[]"));
  ASSERT_TRUE(w.ok());
  DataFile f;
  f.file_path = "mem://x";
  // Wrong arity.
  EXPECT_EQ((*w)->AddFile(f).code(), StatusCode::kInvalidArgument);
  // Wrong physical type for a date.
  f.partition = {V(Type::Date(), int64_t{1})};
  EXPECT_EQ((*w)->AddFile(f).code(), StatusCode::kInvalidArgument);
  f.partition = {V(Type::Date(), int32_t{1})};
  // A delete file in a data manifest.
  DataFile del = f;
  del.content = DataFileContent::kPositionDeletes;
  EXPECT_EQ((*w)->AddFile(del).code(), StatusCode::kInvalidArgument);
  // EXISTING without sequence numbers.
  ManifestEntry e;
  e.status = ManifestEntryStatus::kExisting;
  e.snapshot_id = 1;
  e.data_file = f;
  EXPECT_EQ((*w)->Add(e).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE((*w)->AddFile(f).ok());
  ASSERT_TRUE((*w)->Close().ok());
  auto got = ReadManifestFile(&io, "mem://m.avro");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->entries.size(), 1u);  // rejected entries left nothing behind
  // Unsupported partition type.
  EXPECT_FALSE(ManifestWriter::Make(&io, "mem://n.avro",
                                    Options({{"l", 1000, Type::List(1, Type::Int(), true)}}, "[]"))
                   .ok());
}

TEST(IcebergManifestTest, DeleteManifestWithEqualityIds) {
  MemoryFileIO io;
  auto opts = Options({}, "[]", ManifestContent::kDeletes);
  auto w = ManifestWriter::Make(&io, "mem://t/del.avro", opts);
  ASSERT_TRUE(w.ok());
  DataFile eq;
  eq.content = DataFileContent::kEqualityDeletes;
  eq.file_path = "mem://t/data/eq.parquet";
  eq.record_count = 3;
  eq.file_size_in_bytes = 100;
  eq.equality_ids = {1, 3};
  DataFile pos;
  pos.content = DataFileContent::kPositionDeletes;
  pos.file_path = "mem://t/data/pos.parquet";
  pos.record_count = 2;
  pos.file_size_in_bytes = 90;
  pos.referenced_data_file = "mem://t/data/a.parquet";
  DataFile eq_without_ids = eq;
  eq_without_ids.equality_ids.clear();
  EXPECT_EQ((*w)->AddFile(eq_without_ids).code(), StatusCode::kInvalidArgument);
  DataFile data;
  data.file_path = "mem://t/data/a.parquet";
  EXPECT_EQ((*w)->AddFile(data).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE((*w)->AddFile(eq).ok());
  ASSERT_TRUE((*w)->AddFile(pos).ok());
  auto mf = (*w)->Close();
  ASSERT_TRUE(mf.ok());
  EXPECT_EQ(mf->content, ManifestContent::kDeletes);
  EXPECT_EQ(mf->added_rows_count, 5);

  auto got = ReadManifestFile(&io, "mem://t/del.avro");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->metadata["content"], "deletes");
  ASSERT_EQ(got->entries.size(), 2u);
  ExpectSameFile(got->entries[0].data_file, eq);
  ExpectSameFile(got->entries[1].data_file, pos);
}

TEST(IcebergManifestTest, ManifestListRoundTripAndInheritance) {
  MemoryFileIO io;
  // A manifest written without a snapshot id: ADDED entries keep null ids and sequence numbers.
  auto opts = Options({{"d", 1000, Type::Date()}}, R"([{"field-id":1000}])");
  opts.snapshot_id.reset();
  auto w = ManifestWriter::Make(&io, "mem://t/m-new.avro", opts);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->AddFile(FullDataFile("mem://t/new", {V(Type::Date(), int32_t{5})})).ok());
  ManifestEntry existing;
  existing.status = ManifestEntryStatus::kExisting;
  existing.snapshot_id = 11;
  existing.sequence_number = 3;
  existing.file_sequence_number = 4;
  existing.data_file = FullDataFile("mem://t/old", {Null(Type::Date())});
  ASSERT_TRUE((*w)->Add(existing).ok());
  auto mf = (*w)->Close();
  ASSERT_TRUE(mf.ok());
  EXPECT_EQ(mf->added_snapshot_id, kUnassignedSnapshotId);
  EXPECT_EQ(mf->min_sequence_number, 3);

  auto raw = ReadManifestFile(&io, "mem://t/m-new.avro");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->entries[0].snapshot_id, std::nullopt);
  EXPECT_EQ(raw->entries[0].sequence_number, std::nullopt);

  // An older manifest that already has its numbers.
  ManifestFile old;
  old.manifest_path = "mem://t/m-old.avro";
  old.manifest_length = 10;
  old.partition_spec_id = 0;
  old.content = ManifestContent::kDeletes;
  old.sequence_number = 2;
  old.min_sequence_number = 1;
  old.added_snapshot_id = 5;
  old.added_files_count = 1;
  old.added_rows_count = 8;
  old.key_metadata = std::string("k\0y", 3);

  auto lw = ManifestListWriter::Make(&io, "mem://t/snap-99.avro", 99, 98, 7, AvroCodec::kDeflate);
  ASSERT_TRUE(lw.ok());
  ASSERT_TRUE((*lw)->Add(*mf).ok());
  ASSERT_TRUE((*lw)->Add(old).ok());
  auto len = (*lw)->Close();
  ASSERT_TRUE(len.ok()) << len.status().ToString();

  auto list = ReadManifestListFile(&io, "mem://t/snap-99.avro");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->metadata["snapshot-id"], "99");
  EXPECT_EQ(list->metadata["parent-snapshot-id"], "98");
  EXPECT_EQ(list->metadata["sequence-number"], "7");
  EXPECT_EQ(list->metadata["format-version"], "2");
  ASSERT_EQ(list->manifests.size(), 2u);
  const ManifestFile& m0 = list->manifests[0];
  EXPECT_EQ(m0.manifest_path, "mem://t/m-new.avro");
  EXPECT_EQ(m0.manifest_length, mf->manifest_length);
  EXPECT_EQ(m0.partition_spec_id, 1);
  EXPECT_EQ(m0.sequence_number, 7);      // assigned at commit
  EXPECT_EQ(m0.min_sequence_number, 3);  // kept
  EXPECT_EQ(m0.added_snapshot_id, 99);   // assigned at commit
  EXPECT_EQ(m0.added_files_count, 1);
  EXPECT_EQ(m0.existing_files_count, 1);
  EXPECT_EQ(m0.added_rows_count, 1234);
  EXPECT_EQ(m0.existing_rows_count, 1234);
  ASSERT_EQ(m0.partitions.size(), 1u);
  EXPECT_TRUE(m0.partitions[0].contains_null);
  EXPECT_EQ(m0.partitions[0].contains_nan, false);
  EXPECT_EQ(m0.partitions[0].lower_bound, *ToBinary(V(Type::Date(), int32_t{5})));
  EXPECT_EQ(m0.partitions[0].upper_bound, *ToBinary(V(Type::Date(), int32_t{5})));
  const ManifestFile& m1 = list->manifests[1];
  EXPECT_EQ(m1.content, ManifestContent::kDeletes);
  EXPECT_EQ(m1.sequence_number, 2);
  EXPECT_EQ(m1.min_sequence_number, 1);
  EXPECT_EQ(m1.added_snapshot_id, 5);
  EXPECT_EQ(m1.added_rows_count, 8);
  EXPECT_EQ(m1.key_metadata, old.key_metadata);
  EXPECT_TRUE(m1.partitions.empty());

  // Inheritance: the ADDED entry takes the list's numbers, the EXISTING one keeps its own.
  auto entries = ReadManifest(&io, m0);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].snapshot_id, 99);
  EXPECT_EQ((*entries)[0].sequence_number, 7);
  EXPECT_EQ((*entries)[0].file_sequence_number, 7);
  EXPECT_EQ((*entries)[1].snapshot_id, 11);
  EXPECT_EQ((*entries)[1].sequence_number, 3);
  EXPECT_EQ((*entries)[1].file_sequence_number, 4);

  // No parent: the key says "null".
  auto lw2 = ManifestListWriter::Make(&io, "mem://t/snap-1.avro", 1, std::nullopt, 1);
  ASSERT_TRUE(lw2.ok());
  ASSERT_TRUE((*lw2)->Close().ok());
  auto list2 = ReadManifestListFile(&io, "mem://t/snap-1.avro");
  ASSERT_TRUE(list2.ok());
  EXPECT_EQ(list2->metadata["parent-snapshot-id"], "null");
  EXPECT_TRUE(list2->manifests.empty());
}

TEST(IcebergManifestTest, MalformedFilesAreCorruption) {
  MemoryFileIO io;
  ASSERT_TRUE(io.WriteFile("mem://bad.avro", "not avro at all").ok());
  auto r = ReadManifestFile(&io, "mem://bad.avro");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("mem://bad.avro"), std::string::npos);
  // A valid file cut short.
  auto w = ManifestWriter::Make(&io, "mem://ok.avro", Options({}, "[]"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->AddFile(FullDataFile("mem://x", {})).ok());
  ASSERT_TRUE((*w)->Close().ok());
  auto bytes = io.ReadFile("mem://ok.avro");
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(io.WriteFile("mem://cut.avro", bytes->substr(0, bytes->size() - 40)).ok());
  EXPECT_FALSE(ReadManifestFile(&io, "mem://cut.avro").ok());
  EXPECT_EQ(ReadManifestList(&io, "mem://missing.avro").status().code(), StatusCode::kNotFound);
}

// ---------------------------------------------------------------------------------------------
// Independent check: Apache's Avro library (python3-avro) opens what we wrote.

constexpr char kPython[] = "/usr/bin/python3";

std::string CheckScript() {
  return (std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "tests" / "avro" /
          "check_manifest.py")
      .lexically_normal()
      .string();
}

// Runs the checker; returns its exit code and appends its output to `out`.
int RunCheck(const std::string& args, std::string* out) {
  std::string cmd = std::string(kPython) + " " + CheckScript() + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[512];
  while (fgets(buf, sizeof(buf), p) != nullptr) *out += buf;
  int rc = pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(IcebergManifestTest, ApacheAvroReadsManifestsAndLists) {
  if (access(kPython, X_OK) != 0) GTEST_SKIP() << "no " << kPython;
  ASSERT_TRUE(std::filesystem::exists(CheckScript())) << CheckScript();
  auto dir =
      std::filesystem::temp_directory_path() / ("nilus_manifest_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto io = LocalFileIO::Make();
  std::vector<ManifestFile> manifests;

  for (AvroCodec codec : {AvroCodec::kNull, AvroCodec::kDeflate}) {
    std::string name = codec == AvroCodec::kNull ? "data-null.avro" : "data-deflate.avro";
    std::string path = (dir / name).string();
    auto opts = Options(ManyPartitionFields(), "");
    // The spec's fields array, ids matching the partition struct.
    std::string spec = "[";
    for (const auto& f : ManyPartitionFields()) {
      if (spec.size() > 1) spec += ",";
      spec += R"({"name":")" + f.name + R"(","transform":"identity","source-id":1,"field-id":)" +
              std::to_string(f.field_id) + "}";
    }
    opts.partition_spec_json = spec + "]";
    opts.codec = codec;
    auto w = ManifestWriter::Make(io.get(), path, opts);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE(
        (*w)->AddFile(FullDataFile("file:///d/a.parquet", Row(1, 2, "x", 3, 4, true))).ok());
    ManifestEntry ex;
    ex.status = ManifestEntryStatus::kExisting;
    ex.snapshot_id = 1;
    ex.sequence_number = 1;
    ex.file_sequence_number = 1;
    ex.data_file = FullDataFile("file:///d/b.parquet", Row(2, 3, "y", -3, 1, false));
    ASSERT_TRUE((*w)->Add(ex).ok());
    auto mf = (*w)->Close();
    ASSERT_TRUE(mf.ok()) << mf.status().ToString();
    manifests.push_back(*mf);
    std::string out;
    EXPECT_EQ(
        RunCheck("manifest " + path +
                     " --content data --count 2 --paths file:///d/a.parquet,file:///d/b.parquet"
                     // Apache Avro decodes our date and decimal partition values.
                     " --partition d_day=1970-01-03 --partition price=0.03 --partition s=x",
                 &out),
        0)
        << out;
    out.clear();
    EXPECT_NE(RunCheck("manifest " + path + " --count 2 --partition price=0.04", &out), 0) << out;
  }
  {
    std::string path = (dir / "deletes.avro").string();
    auto w = ManifestWriter::Make(io.get(), path, Options({}, "[]", ManifestContent::kDeletes));
    ASSERT_TRUE(w.ok());
    DataFile eq;
    eq.content = DataFileContent::kEqualityDeletes;
    eq.file_path = "file:///d/eq.parquet";
    eq.record_count = 1;
    eq.file_size_in_bytes = 10;
    eq.equality_ids = {1};
    ASSERT_TRUE((*w)->AddFile(eq).ok());
    auto mf = (*w)->Close();
    ASSERT_TRUE(mf.ok());
    manifests.push_back(*mf);
    std::string out;
    EXPECT_EQ(RunCheck("manifest " + path + " --content deletes --count 1", &out), 0) << out;
    // The checker really checks: the same file is not a data manifest.
    out.clear();
    EXPECT_NE(RunCheck("manifest " + path + " --content data --count 1", &out), 0) << out;
  }
  for (AvroCodec codec : {AvroCodec::kNull, AvroCodec::kDeflate}) {
    std::string path =
        (dir / (codec == AvroCodec::kNull ? "snap-null.avro" : "snap-def.avro")).string();
    auto lw = ManifestListWriter::Make(io.get(), path, 77, std::nullopt, 5, codec);
    ASSERT_TRUE(lw.ok());
    for (const auto& m : manifests) ASSERT_TRUE((*lw)->Add(m).ok());
    ASSERT_TRUE((*lw)->Close().ok());
    std::string out;
    EXPECT_EQ(RunCheck("list " + path + " --count 3 --snapshot-id 77 --sequence-number 5", &out), 0)
        << out;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nilus::iceberg
