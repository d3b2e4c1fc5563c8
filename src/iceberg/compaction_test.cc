#include "iceberg/compaction.h"

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
#include "iceberg/maintenance.h"
#include "iceberg/manifest.h"
#include "iceberg/manifest_list.h"
#include "iceberg/scan.h"
#include "storage/fault_injection_file_io.h"
#include "storage/local_file_io.h"

namespace nilus::iceberg {
namespace {

// id long required, part int, name string.
SchemaPtr CompactionTestSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "part", Type::Int()),
      NestedField::Optional(3, "name", Type::String()),
  });
}

struct CRow {
  int64_t id = 0;
  std::optional<int32_t> part;
  std::optional<std::string> name;
  bool operator<(const CRow& o) const {
    return std::tie(id, part, name) < std::tie(o.id, o.part, o.name);
  }
  bool operator==(const CRow& o) const {
    return std::tie(id, part, name) == std::tie(o.id, o.part, o.name);
  }
};

std::ostream& operator<<(std::ostream& os, const CRow& r) {
  return os << "(" << r.id << ", " << (r.part ? std::to_string(*r.part) : "null") << ", "
            << r.name.value_or("null") << ")";
}

Value Part(int32_t part) { return Value{Type::Int(), part}; }

std::vector<CRow> Rows(int64_t from, int64_t to, std::optional<int32_t> part = std::nullopt) {
  std::vector<CRow> out;
  for (int64_t i = from; i < to; ++i) out.push_back({i, part, "n" + std::to_string(i % 7)});
  return out;
}

// A live file of the current snapshot with its data sequence number.
struct LiveEntry {
  DataFile file;
  int64_t sequence_number = 0;
};

class IcebergCompactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nilus_icompact_XXXXXX").string();
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

  std::unique_ptr<Table> Create(bool partitioned, std::map<std::string, std::string> props = {}) {
    PartitionSpec spec;
    if (partitioned) spec.fields.push_back(PartitionField{2, 1000, "part", Transform::Identity()});
    auto t = catalog_->CreateTable("db", "t", *CompactionTestSchema(), spec, std::move(props));
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t.MoveValue() : nullptr;
  }

  DataFile WriteData(const Table& table, const std::vector<CRow>& rows,
                     std::vector<Value> partition = {}) {
    SchemaPtr schema = table.metadata().schemas.at(0);
    const std::string path =
        table.metadata().location + "/data/in-" + std::to_string(next_file_++) + ".parquet";
    auto writer = parquet::ParquetWriter::Open(&io_, path, schema);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    if (!writer.ok()) return {};
    ColumnBatch batch(schema);
    for (const CRow& r : rows) {
      batch.mutable_column(0)->AppendInt64(r.id);
      if (r.part) {
        batch.mutable_column(1)->AppendInt32(*r.part);
      } else {
        batch.mutable_column(1)->AppendNull();
      }
      if (r.name) {
        batch.mutable_column(2)->AppendBytes(*r.name);
      } else {
        batch.mutable_column(2)->AppendNull();
      }
    }
    EXPECT_TRUE((*writer)->Write(batch).ok());
    auto metrics = (*writer)->Close();
    EXPECT_TRUE(metrics.ok()) << metrics.status().ToString();
    if (!metrics.ok()) return {};
    auto file = DataFileFromParquet(*metrics, DataFileContent::kData, std::move(partition));
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? file.MoveValue() : DataFile{};
  }

  DataFile PositionDeletes(const Table& table,
                           const std::vector<std::pair<std::string, int64_t>>& deletes,
                           std::vector<Value> partition = {}) {
    PositionDeleteWriter w(
        &io_, table.metadata().location + "/data/pos-" + std::to_string(next_file_++) + ".parquet");
    for (const auto& [path, pos] : deletes) w.Add(path, pos);
    auto file = w.Close(std::move(partition));
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? file.MoveValue() : DataFile{};
  }

  DataFile NameDeletes(const Table& table, const std::vector<std::string>& names,
                       std::vector<Value> partition = {}) {
    auto w = EqualityDeleteWriter::Open(
        &io_, table.metadata().location + "/data/eq-" + std::to_string(next_file_++) + ".parquet",
        *table.metadata().schemas.at(0), {3});
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    if (!w.ok()) return {};
    ColumnBatch keys((*w)->delete_schema());
    for (const auto& n : names) keys.mutable_column(0)->AppendBytes(n);
    EXPECT_TRUE((*w)->Write(keys).ok());
    auto file = (*w)->Close(std::move(partition));
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? file.MoveValue() : DataFile{};
  }

  void Append(Table* table, DataFile file) {
    auto append = table->NewFastAppend();
    append->AppendFile(std::move(file));
    Status st = append->Commit();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  void AddDeletes(Table* table, std::vector<DataFile> deletes) {
    auto delta = table->NewRowDelta();
    for (DataFile& f : deletes) delta->AddDeletes(std::move(f));
    Status st = delta->Commit();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  std::vector<CRow> Scan(const Table& table) {
    auto batches = ScanTable(table);
    EXPECT_TRUE(batches.ok()) << batches.status().ToString();
    std::vector<CRow> out;
    if (!batches.ok()) return out;
    for (const auto& b : *batches) {
      for (int64_t i = 0; i < b->num_rows(); ++i) {
        CRow r;
        r.id = b->column(0).Value<int64_t>(i);
        if (b->column(1).IsValid(i)) r.part = b->column(1).Value<int32_t>(i);
        if (b->column(2).IsValid(i)) r.name = std::string(b->column(2).Bytes(i));
        out.push_back(r);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Live data files (content kData) and live delete files of the current snapshot.
  std::pair<std::vector<LiveEntry>, std::vector<LiveEntry>> Live(const Table& table) {
    std::vector<LiveEntry> data, deletes;
    const Snapshot* current = table.metadata().CurrentSnapshot();
    if (current == nullptr) return {data, deletes};
    auto manifests = ReadManifestList(&io_, current->manifest_list);
    EXPECT_TRUE(manifests.ok()) << manifests.status().ToString();
    if (!manifests.ok()) return {data, deletes};
    for (const ManifestFile& m : *manifests) {
      auto entries = ReadManifest(&io_, m);
      EXPECT_TRUE(entries.ok()) << entries.status().ToString();
      if (!entries.ok()) continue;
      for (ManifestEntry& e : *entries) {
        if (e.status == ManifestEntryStatus::kDeleted) continue;
        LiveEntry live{std::move(e.data_file), e.sequence_number.value_or(-1)};
        (live.file.content == DataFileContent::kData ? data : deletes).push_back(std::move(live));
      }
    }
    return {data, deletes};
  }

  std::string dir_;
  LocalFileIO io_;
  std::unique_ptr<SqlCatalogStore> store_;
  std::unique_ptr<Catalog> catalog_;
  int next_file_ = 0;
};

TEST_F(IcebergCompactionTest, RewritesSmallFilesApplyingDeletes) {
  auto table = Create(false);
  ASSERT_NE(table, nullptr);
  std::vector<DataFile> inputs;
  for (int f = 0; f < 5; ++f) {
    inputs.push_back(WriteData(*table, Rows(f * 20, f * 20 + 20)));
    Append(table.get(), inputs.back());
  }
  // Rows 0 and 1 of file 0, 5 of file 3; every name "n3" (ids = 3 mod 7).
  AddDeletes(
      table.get(),
      {PositionDeletes(
           *table, {{inputs[0].file_path, 0}, {inputs[0].file_path, 1}, {inputs[3].file_path, 5}}),
       NameDeletes(*table, {"n3"})});
  // Appended after the equality delete: its "n3" row stays.
  Append(table.get(), WriteData(*table, {{1000, std::nullopt, "n3"}, {1001, std::nullopt, "x"}}));
  const std::vector<CRow> before = Scan(*table);
  ASSERT_EQ(before.size(), 100u - 3u - 14u + 2u);  // 14 ids of 100 are 3 mod 7, none deleted twice
  const int64_t start_snapshot = *table->metadata().current_snapshot_id;
  const int64_t start_sequence = table->metadata().CurrentSnapshot()->sequence_number;
  const size_t snapshots_before = table->metadata().snapshots.size();

  auto result = CompactTable(*table);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->committed);
  EXPECT_EQ(result->start_snapshot_id, start_snapshot);
  EXPECT_EQ(result->groups_rewritten, 1);
  EXPECT_EQ(result->data_files_read, 6);
  EXPECT_EQ(result->rows_read, 102);
  EXPECT_EQ(result->rows_deleted, 17);
  EXPECT_EQ(result->delete_files_read, 2);
  EXPECT_EQ(result->data_files_written, 1);
  EXPECT_EQ(result->rows_written, static_cast<int64_t>(before.size()));
  EXPECT_EQ(result->delete_files_removed, 2);
  EXPECT_GT(result->bytes_read, 0);
  EXPECT_GT(result->bytes_written, 0);

  const Snapshot* head = table->metadata().CurrentSnapshot();
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->snapshot_id, result->snapshot_id);
  EXPECT_EQ(head->operation(), kOperationReplace);
  EXPECT_EQ(table->metadata().snapshots.size(), snapshots_before + 1);
  EXPECT_EQ(Scan(*table), before);
  auto [data, deletes] = Live(*table);
  ASSERT_EQ(data.size(), 1u);
  EXPECT_TRUE(deletes.empty());
  EXPECT_EQ(data[0].file.record_count, static_cast<int64_t>(before.size()));
  // The new file is as old as the snapshot it was read from.
  EXPECT_EQ(data[0].sequence_number, start_sequence);
  EXPECT_EQ(data[0].file.file_path.rfind(table->metadata().location + "/data/", 0), 0u);

  // An equality delete committed after the compaction applies to the compacted rows.
  AddDeletes(table.get(), {NameDeletes(*table, {"n4"})});
  std::vector<CRow> expected;
  for (const CRow& r : before) {
    if (r.name != "n4") expected.push_back(r);
  }
  EXPECT_LT(expected.size(), before.size());
  EXPECT_EQ(Scan(*table), expected);

  // Expire nothing, reload from the catalog: the same rows.
  auto loaded = catalog_->LoadTable("db", "t");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(Scan(**loaded), expected);
}

TEST_F(IcebergCompactionTest, NothingToDoMakesNoSnapshot) {
  auto table = Create(false);
  ASSERT_NE(table, nullptr);
  // No snapshot at all.
  auto empty = CompactTable(*table);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_FALSE(empty->committed);
  EXPECT_FALSE(empty->snapshot_id.has_value());

  // One small file without deletes: below min_input_files.
  Append(table.get(), WriteData(*table, Rows(0, 10)));
  const std::string metadata_before = table->metadata_location();
  auto once = CompactTable(*table);
  ASSERT_TRUE(once.ok()) << once.status().ToString();
  EXPECT_FALSE(once->committed);
  EXPECT_EQ(once->data_files_read, 0);
  EXPECT_EQ(table->metadata_location(), metadata_before);
  EXPECT_EQ(table->metadata().snapshots.size(), 1u);

  // Files at the target size are not small: nothing to rewrite either.
  Append(table.get(), WriteData(*table, Rows(10, 20)));
  CompactionOptions tiny_target;
  tiny_target.target_file_size_bytes = 1;
  auto large = CompactTable(*table, tiny_target);
  ASSERT_TRUE(large.ok()) << large.status().ToString();
  EXPECT_FALSE(large->committed);
  EXPECT_EQ(table->metadata().snapshots.size(), 2u);

  CompactionOptions bad;
  bad.min_input_files = 0;
  EXPECT_EQ(CompactTable(*table, bad).status().code(), StatusCode::kInvalidArgument);
  // A target size property that is not a number.
  auto t2 = catalog_->CreateTable("db", "t2", *CompactionTestSchema(), PartitionSpec{},
                                  {{"write.target-file-size-bytes", "big"}});
  ASSERT_TRUE(t2.ok()) << t2.status().ToString();
  Append(t2->get(), WriteData(**t2, Rows(0, 3)));
  EXPECT_EQ(CompactTable(**t2).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(IcebergCompactionTest, FileWithDeletesIsRewrittenAloneAndEmptyResultAddsNothing) {
  auto table = Create(false);
  ASSERT_NE(table, nullptr);
  DataFile f = WriteData(*table, Rows(0, 3));
  Append(table.get(), f);
  DataFile g = WriteData(*table, Rows(3, 5));
  Append(table.get(), g);
  // Every row of f deleted; g has one row deleted.
  AddDeletes(
      table.get(),
      {PositionDeletes(*table,
                       {{f.file_path, 0}, {f.file_path, 1}, {f.file_path, 2}, {g.file_path, 1}})});
  CompactionOptions alone;
  alone.min_input_files = 100;  // deletes alone make the group worth rewriting
  auto result = CompactTable(*table, alone);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->committed);
  EXPECT_EQ(result->data_files_read, 2);
  EXPECT_EQ(result->rows_deleted, 4);
  EXPECT_EQ(result->rows_written, 1);
  EXPECT_EQ(result->delete_files_removed, 1);
  EXPECT_EQ(Scan(*table), (std::vector<CRow>{{3, std::nullopt, "n3"}}));
  auto [data, deletes] = Live(*table);
  ASSERT_EQ(data.size(), 1u);
  EXPECT_TRUE(deletes.empty());

  // Now delete the last row: the rewrite removes the file and adds none.
  AddDeletes(table.get(), {PositionDeletes(*table, {{data[0].file.file_path, 0}})});
  auto gone = CompactTable(*table, alone);
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_TRUE(gone->committed);
  EXPECT_EQ(gone->data_files_written, 0);
  EXPECT_TRUE(Scan(*table).empty());
  auto [data2, deletes2] = Live(*table);
  EXPECT_TRUE(data2.empty());
  EXPECT_TRUE(deletes2.empty());
  EXPECT_EQ(table->metadata().CurrentSnapshot()->operation(), kOperationReplace);
}

TEST_F(IcebergCompactionTest, CompactsOnePartitionThenAll) {
  auto table = Create(true);
  ASSERT_NE(table, nullptr);
  std::map<int32_t, std::vector<DataFile>> files;
  for (int32_t part : {1, 2}) {
    for (int f = 0; f < 3; ++f) {
      const int64_t first = part * 1000 + f * 10;
      files[part].push_back(WriteData(*table, Rows(first, first + 10, part), {Part(part)}));
      Append(table.get(), files[part].back());
    }
  }
  // Partition 1: a position delete (row 4 of its first file) and an equality delete of "n0".
  AddDeletes(table.get(), {PositionDeletes(*table, {{files[1][0].file_path, 4}}, {Part(1)}),
                           NameDeletes(*table, {"n0"}, {Part(1)})});
  const std::vector<CRow> before = Scan(*table);
  // 60 rows; partition 1 loses id 1004 and its ids that are 0 mod 7 (1001, 1008, 1015, 1022,
  // 1029: 5 rows, none of them 1004).
  ASSERT_EQ(before.size(), 60u - 6u);

  CompactionOptions only1;
  only1.filter = PartitionFilter().Equal("part", Part(1));
  auto r1 = CompactTable(*table, only1);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_TRUE(r1->committed);
  EXPECT_EQ(r1->data_files_read, 3);
  EXPECT_EQ(r1->data_files_written, 1);
  EXPECT_EQ(r1->delete_files_removed, 2);
  EXPECT_EQ(Scan(*table), before);
  {
    auto [data, deletes] = Live(*table);
    std::map<int32_t, int> per_part;
    int64_t records = 0;
    for (const LiveEntry& e : data) {
      ++per_part[e.file.partition.at(0).get<int32_t>()];
      records += e.file.record_count;
    }
    EXPECT_EQ(per_part[1], 1);
    EXPECT_EQ(per_part[2], 3);
    EXPECT_EQ(records, static_cast<int64_t>(before.size()));
    EXPECT_TRUE(deletes.empty());
  }

  // The rest: partition 2's three files; partition 1's single file stays as it is.
  auto r2 = CompactTable(*table);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_TRUE(r2->committed);
  EXPECT_EQ(r2->groups_rewritten, 1);
  EXPECT_EQ(r2->data_files_read, 3);
  EXPECT_EQ(Scan(*table), before);
  auto [data, deletes] = Live(*table);
  ASSERT_EQ(data.size(), 2u);
  for (const LiveEntry& e : data) {
    const int32_t part = e.file.partition.at(0).get<int32_t>();
    EXPECT_NE(e.file.file_path.find("/data/part=" + std::to_string(part) + "/"), std::string::npos)
        << e.file.file_path;
  }
  auto again = CompactTable(*table);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->committed);
}

TEST_F(IcebergCompactionTest, RollsOutputFilesAtTheTargetSize) {
  auto table = Create(false);
  ASSERT_NE(table, nullptr);
  for (int f = 0; f < 16; ++f) {
    Append(table.get(), WriteData(*table, Rows(f * 1250, f * 1250 + 1250)));
  }
  const std::vector<CRow> before = Scan(*table);
  auto [inputs, no_deletes] = Live(*table);
  int64_t input_bytes = 0;
  for (const LiveEntry& e : inputs) input_bytes += e.file.file_size_in_bytes;

  CompactionOptions options;
  // Each input (1/16 of the bytes) is small for a target of 1/8 of the bytes, while the output
  // (about half the input's bytes: one footer and dictionary per row group instead of per
  // small file) spans several targets. Row groups of 1,000 rows let files roll in between.
  options.target_file_size_bytes = input_bytes / 8;
  options.parquet.row_group_max_rows = 1000;
  auto result = CompactTable(*table, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->committed);
  EXPECT_EQ(result->data_files_read, 16);
  EXPECT_GE(result->data_files_written, 2)
      << "input bytes " << input_bytes << ", output bytes " << result->bytes_written;
  // Every file but the last reached the target when it was closed.
  EXPECT_EQ(Scan(*table), before);
  auto [data, deletes] = Live(*table);
  EXPECT_EQ(static_cast<int64_t>(data.size()), result->data_files_written);
  int64_t records = 0;
  int reached = 0;
  for (const LiveEntry& e : data) {
    records += e.file.record_count;
    reached += e.file.file_size_in_bytes >= *options.target_file_size_bytes;
  }
  EXPECT_EQ(records, 20000);
  EXPECT_GE(reached, result->data_files_written - 1);
}

TEST_F(IcebergCompactionTest, FailedCompactionLeavesTheTableAndNoNewFiles) {
  FaultInjectionFileIO faulty(&io_);
  auto catalog = Catalog::Make(store_.get(), &faulty, dir_ + "/warehouse");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  auto created = (*catalog)->CreateTable("db", "f", *CompactionTestSchema(), PartitionSpec{});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::unique_ptr<Table> table = created.MoveValue();
  for (int f = 0; f < 3; ++f) Append(table.get(), WriteData(*table, Rows(f * 10, f * 10 + 10)));
  const std::vector<CRow> before = Scan(*table);
  const std::string metadata_before = table->metadata_location();
  auto files_before = io_.List(table->metadata().location + "/data");
  ASSERT_TRUE(files_before.ok());
  auto paths = [](const std::vector<FileInfo>& files) {
    std::set<std::string> out;
    for (const FileInfo& f : files) out.insert(f.path);
    return out;
  };

  // The new data file cannot be created.
  faulty.set_fail_new_output_stream(true);
  EXPECT_FALSE(CompactTable(*table).ok());
  faulty.set_fail_new_output_stream(false);
  // The data file is written, then the commit's first file (the new manifest) fails to close:
  // the commit gives up and the data file is deleted again.
  const int64_t faults = faulty.num_faults();
  faulty.FailClose(faulty.num_streams() + 2);
  auto failed = CompactTable(*table);
  ASSERT_FALSE(failed.ok());
  // The failure came from the commit (the producer names it), not from writing the data file.
  EXPECT_NE(failed.status().message().find("rewrite of"), std::string::npos)
      << failed.status().ToString();
  EXPECT_EQ(faulty.num_faults(), faults + 1);
  faulty.Disarm();

  EXPECT_EQ(table->metadata_location(), metadata_before);
  auto files_after = io_.List(table->metadata().location + "/data");
  ASSERT_TRUE(files_after.ok());
  EXPECT_EQ(paths(*files_after), paths(*files_before));
  EXPECT_EQ(Scan(*table), before);
  // And the next compaction succeeds.
  auto ok = CompactTable(*table);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->committed);
  EXPECT_EQ(Scan(*table), before);
}

}  // namespace
}  // namespace nilus::iceberg
