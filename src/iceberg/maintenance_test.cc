#include "iceberg/maintenance.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <set>

#include "core/column_batch.h"
#include "formats/parquet/writer.h"
#include "iceberg/file_writers.h"
#include "iceberg/manifest.h"
#include "iceberg/manifest_list.h"
#include "storage/local_file_io.h"

namespace nilus::iceberg {
namespace {

SchemaPtr MaintSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "name", Type::String()),
  });
}

OrphanFileOptions AnyAge() {
  OrphanFileOptions o;
  o.older_than = std::chrono::milliseconds(0);
  return o;
}

class IcebergMaintenanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nilus_imaint_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = SqlCatalogStore::Open("sqlite:///" + dir_ + "/catalog.db", "test");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store.MoveValue();
    ASSERT_TRUE(store_->CreateNamespace("db").ok());
    auto c = Catalog::Make(store_.get(), &io_, dir_ + "/warehouse/");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_ = c.MoveValue();
  }
  void TearDown() override {
    catalog_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Table> Create(std::map<std::string, std::string> props = {}) {
    auto t = catalog_->CreateTable("db", "events", *MaintSchema(), PartitionSpec::Unpartitioned(),
                                   std::move(props));
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t.MoveValue() : nullptr;
  }

  DataFile WriteData(const Table& table, const std::string& file_name, int64_t first_id, int rows) {
    SchemaPtr schema = table.metadata().schemas.at(0);
    const std::string path = table.metadata().location + "/data/" + file_name;
    auto writer = parquet::ParquetWriter::Open(&io_, path, schema);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    if (!writer.ok()) return {};
    ColumnBatch batch(schema);
    for (int i = 0; i < rows; ++i) {
      batch.mutable_column(0)->AppendInt64(first_id + i);
      batch.mutable_column(1)->AppendBytes("row" + std::to_string(first_id + i));
    }
    EXPECT_TRUE((*writer)->Write(batch).ok());
    auto metrics = (*writer)->Close();
    EXPECT_TRUE(metrics.ok()) << metrics.status().ToString();
    if (!metrics.ok()) return {};
    auto file = DataFileFromParquet(*metrics, DataFileContent::kData, {});
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? file.MoveValue() : DataFile{};
  }

  // `commits` fast appends of one 10-row file each.
  void Append(Table* table, int commits) {
    for (int i = 0; i < commits; ++i) {
      const int n = next_file_++;
      auto append = table->NewFastAppend();
      append->AppendFile(WriteData(*table, "part-" + std::to_string(n) + ".parquet", n * 100, 10));
      Status st = append->Commit();
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
  }

  std::set<std::string> AllFiles(const Table& table) {
    std::set<std::string> out;
    auto files = io_.List(table.metadata().location);
    EXPECT_TRUE(files.ok()) << files.status().ToString();
    if (files.ok()) {
      for (const FileInfo& f : *files) out.insert(f.path);
    }
    return out;
  }

  std::string dir_;
  LocalFileIO io_;
  std::unique_ptr<SqlCatalogStore> store_;
  std::unique_ptr<Catalog> catalog_;
  int next_file_ = 0;
};

TEST_F(IcebergMaintenanceTest, NormalizeFilePath) {
  EXPECT_EQ(NormalizeFilePath("file:///a//b/./c"), "/a/b/c");
  EXPECT_EQ(NormalizeFilePath("file:/a/b/"), "/a/b");
  EXPECT_EQ(NormalizeFilePath("/a/x/../b"), "/a/b");
  EXPECT_EQ(NormalizeFilePath("s3://bucket/a//b"), "s3://bucket/a//b");
}

TEST_F(IcebergMaintenanceTest, CommittedTableHasNoOrphans) {
  auto table = Create();
  ASSERT_NE(table, nullptr);
  Append(table.get(), 3);
  auto orphans = FindOrphanFiles(*table, AnyAge());
  ASSERT_TRUE(orphans.ok()) << orphans.status().ToString();
  EXPECT_TRUE(orphans->empty()) << orphans->front();
  // Every file on disk is reachable: 4 metadata files, the hint, 3 manifest lists,
  // 3 manifests and 3 data files.
  EXPECT_EQ(AllFiles(*table).size(), 14u);
}

TEST_F(IcebergMaintenanceTest, FindOrphanFilesReturnsExactlyTheStrays) {
  auto table = Create();
  ASSERT_NE(table, nullptr);
  Append(table.get(), 3);
  const std::string loc = table->metadata().location;
  // A data file written but never committed.
  WriteData(*table, "uncommitted.parquet", 9000, 5);
  // A metadata file from a commit that lost its swap, and an unrelated file in a subfolder.
  auto current = io_.ReadFile(table->metadata_location());
  ASSERT_TRUE(current.ok());
  const std::string lost = NewMetadataFilePath(loc, 4);
  ASSERT_TRUE(io_.WriteFile(lost, *current).ok());
  ASSERT_TRUE(io_.WriteFile(loc + "/data/sub/junk.bin", "x").ok());

  auto orphans = FindOrphanFiles(*table, AnyAge());
  ASSERT_TRUE(orphans.ok()) << orphans.status().ToString();
  std::vector<std::string> expected = {loc + "/data/sub/junk.bin",
                                       loc + "/data/uncommitted.parquet", lost};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*orphans, expected);
}

TEST_F(IcebergMaintenanceTest, RemoveOrphanFilesKeepsTableIntact) {
  auto table = Create();
  ASSERT_NE(table, nullptr);
  Append(table.get(), 2);
  const std::string loc = table->metadata().location;
  const std::set<std::string> committed = AllFiles(*table);
  WriteData(*table, "uncommitted.parquet", 9000, 5);
  ASSERT_TRUE(io_.WriteFile(NewMetadataFilePath(loc, 3), "{}").ok());
  ASSERT_EQ(AllFiles(*table).size(), committed.size() + 2);

  auto dry = RemoveOrphanFiles(*table, AnyAge(), /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_EQ(dry->removed.size(), 2u);
  EXPECT_EQ(AllFiles(*table).size(), committed.size() + 2) << "dry run deleted files";

  auto removed = RemoveOrphanFiles(*table, AnyAge());
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(removed->removed, dry->removed);
  EXPECT_TRUE(removed->failed.empty());
  EXPECT_EQ(AllFiles(*table), committed);

  // The table loads, its live files are readable and a new commit works.
  auto reloaded = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  auto counts = CountLiveFiles(&io_, *(*reloaded)->metadata().CurrentSnapshot());
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->data_files, 2);
  EXPECT_EQ(counts->data_records, 20);
  Append(reloaded->get(), 1);
  auto again = FindOrphanFiles(**reloaded, AnyAge());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST_F(IcebergMaintenanceTest, OrphanAgeThreshold) {
  auto table = Create();
  ASSERT_NE(table, nullptr);
  Append(table.get(), 1);
  const std::string stray = table->metadata().location + "/data/stray.bin";
  ASSERT_TRUE(io_.WriteFile(stray, "x").ok());

  OrphanFileOptions options;
  options.older_than = std::chrono::hours(1);
  auto young = FindOrphanFiles(*table, options);
  ASSERT_TRUE(young.ok());
  EXPECT_TRUE(young->empty()) << "a fresh file was treated as old";

  options.now = std::chrono::system_clock::now() + std::chrono::hours(2);
  auto old = FindOrphanFiles(*table, options);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(*old, std::vector<std::string>{stray});
}

TEST_F(IcebergMaintenanceTest, OrphanMetadataBeyondTheLog) {
  // Keep one previous version: older metadata files fall out of the log and become orphans.
  auto table = Create({{std::string(kMetadataPreviousVersionsMax), "1"}});
  ASSERT_NE(table, nullptr);
  Append(table.get(), 3);
  ASSERT_EQ(table->metadata().metadata_log.size(), 1u);
  auto current_version = ParseMetadataVersion(table->metadata_location());
  ASSERT_TRUE(current_version.ok());

  std::vector<std::string> expected;
  for (const std::string& path : AllFiles(*table)) {
    if (path.size() < 14 || path.substr(path.size() - 14) != ".metadata.json") continue;
    auto v = ParseMetadataVersion(path);
    ASSERT_TRUE(v.ok());
    if (*v < *current_version - 1) expected.push_back(path);
  }
  ASSERT_EQ(expected.size(), 2u);
  auto orphans = FindOrphanFiles(*table, AnyAge());
  ASSERT_TRUE(orphans.ok()) << orphans.status().ToString();
  EXPECT_EQ(*orphans, expected);
}

}  // namespace
}  // namespace nilus::iceberg
