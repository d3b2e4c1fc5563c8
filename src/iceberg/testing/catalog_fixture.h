// A GoogleTest fixture for iceberg tests: a SQLite catalog with namespace "db" and a warehouse
// in a fresh temporary directory (removed afterwards), local FileIO, and helpers that write
// small data files and read back what a snapshot lists. Header-only; include from *_test.cc.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/column_batch.h"
#include "formats/parquet/writer.h"
#include "iceberg/file_writers.h"
#include "iceberg/manifest.h"
#include "iceberg/manifest_list.h"
#include "iceberg/table.h"
#include "storage/local_file_io.h"

namespace nilus::iceberg::testing {

// id long required, name string optional, part int optional.
inline SchemaPtr IdNamePartSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "name", Type::String()),
      NestedField::Optional(3, "part", Type::Int()),
  });
}

class CatalogFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nilus_icat_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = SqlCatalogStore::Open("sqlite:///" + dir_ + "/catalog.db", "test");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store.MoveValue();
    ASSERT_TRUE(store_->CreateNamespace("db").ok());
    auto catalog = Catalog::Make(store_.get(), &io_, dir_ + "/warehouse");
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = catalog.MoveValue();
  }
  void TearDown() override {
    catalog_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A table of IdNamePartSchema(), unpartitioned or identity-partitioned on "part".
  std::unique_ptr<Table> CreateTable(const std::string& name, bool partitioned) {
    PartitionSpec spec;
    if (partitioned) spec.fields.push_back({3, 1000, "part", Transform::Identity()});
    auto t = catalog_->CreateTable("db", name, *IdNamePartSchema(), spec);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t.MoveValue() : nullptr;
  }

  // Writes ids [first_id, first_id + rows) with part = `part` as a data file of `table`; the
  // partition tuple is filled when the table's default spec is partitioned on "part".
  DataFile WriteData(const Table& table, const std::string& file_name, int64_t first_id, int rows,
                     int32_t part = 0) {
    SchemaPtr schema = table.metadata().schemas.at(0);
    const std::string path = table.metadata().location + "/data/" + file_name;
    auto writer = parquet::ParquetWriter::Open(&io_, path, schema);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    if (!writer.ok()) return {};
    ColumnBatch batch(schema);
    for (int i = 0; i < rows; ++i) {
      batch.mutable_column(0)->AppendInt64(first_id + i);
      batch.mutable_column(1)->AppendBytes("row" + std::to_string(first_id + i));
      batch.mutable_column(2)->AppendInt32(part);
    }
    EXPECT_TRUE((*writer)->Write(batch).ok());
    auto metrics = (*writer)->Close();
    EXPECT_TRUE(metrics.ok()) << metrics.status().ToString();
    if (!metrics.ok()) return {};
    std::vector<Value> partition;
    if (!table.metadata().DefaultSpec()->fields.empty())
      partition.push_back(Value{Type::Int(), part});
    auto file = DataFileFromParquet(*metrics, DataFileContent::kData, std::move(partition));
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? file.MoveValue() : DataFile{};
  }

  // Live entries of the table's current snapshot, by path (data and delete files).
  std::map<std::string, ManifestEntry> LiveEntries(const Table& table) {
    std::map<std::string, ManifestEntry> out;
    const Snapshot* current = table.metadata().CurrentSnapshot();
    if (current == nullptr) return out;
    auto manifests = ReadManifestList(&io_, current->manifest_list);
    EXPECT_TRUE(manifests.ok()) << manifests.status().ToString();
    if (!manifests.ok()) return out;
    for (const ManifestFile& m : *manifests) {
      auto entries = ReadManifest(&io_, m);
      EXPECT_TRUE(entries.ok()) << entries.status().ToString();
      if (!entries.ok()) continue;
      for (const ManifestEntry& e : *entries) {
        if (e.status == ManifestEntryStatus::kDeleted) continue;
        EXPECT_TRUE(out.emplace(e.data_file.file_path, e).second)
            << "listed twice: " << e.data_file.file_path;
      }
    }
    return out;
  }

  std::string dir_;
  LocalFileIO io_;
  std::unique_ptr<SqlCatalogStore> store_;
  std::unique_ptr<Catalog> catalog_;
};

}  // namespace nilus::iceberg::testing
