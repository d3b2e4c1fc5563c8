// The maintenance cycle a table goes through in production, end to end on a real SQLite
// catalog and local files: many small appends, row-level deletes (position and equality),
// snapshot expiry, compaction, expiry again. Readers must see exactly the same rows at every
// step, the files of expired snapshots must be gone, and nothing may be left as an orphan.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "iceberg/compaction.h"
#include "iceberg/expire_snapshots.h"
#include "iceberg/maintenance.h"
#include "iceberg/scan.h"
#include "iceberg/testing/catalog_fixture.h"

namespace nilus::iceberg {
namespace {

class MaintenanceCycleTest : public testing::CatalogFixture {
 protected:
  // The ids of every row the table's current snapshot shows, deletes applied, sorted.
  std::vector<int64_t> Ids(const Table& table) {
    std::vector<int64_t> ids;
    auto batches = ScanTable(table);
    EXPECT_TRUE(batches.ok()) << batches.status().ToString();
    if (!batches.ok()) return ids;
    for (const auto& b : *batches) {
      const Column& id = b->column(0);
      for (int64_t i = 0; i < b->num_rows(); ++i) ids.push_back(id.Value<int64_t>(i));
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  size_t FilesOnDisk(const Table& table) {
    size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(table.metadata().location)) {
      if (e.is_regular_file()) ++n;
    }
    return n;
  }
};

TEST_F(MaintenanceCycleTest, ExpireCompactExpireKeepsRowsAndRemovesExpiredFiles) {
  auto table = CreateTable("cycle", true);
  ASSERT_NE(table, nullptr);

  // 8 appends of 10 rows, alternating partitions 1 and 2: ids 0..79.
  std::vector<int64_t> expected;
  std::vector<DataFile> files;
  for (int i = 0; i < 8; ++i) {
    DataFile f = WriteData(*table, "a" + std::to_string(i) + ".parquet", i * 10, 10, 1 + i % 2);
    files.push_back(f);
    auto append = table->NewFastAppend();
    append->AppendFile(f);
    ASSERT_TRUE(append->Commit().ok());
    for (int64_t id = i * 10; id < i * 10 + 10; ++id) expected.push_back(id);
  }

  // Position deletes: rows 0 and 3 of the first file (ids 0 and 3, partition 1).
  PositionDeleteWriter pos(&io_, table->metadata().location + "/data/pos.parquet");
  pos.Add(files[0].file_path, 0);
  pos.Add(files[0].file_path, 3);
  auto pos_file = pos.Close({Value{Type::Int(), int32_t{1}}});
  ASSERT_TRUE(pos_file.ok()) << pos_file.status().ToString();
  // Equality deletes on id in partition 2: ids 15 and 77.
  auto eq = EqualityDeleteWriter::Open(&io_, table->metadata().location + "/data/eq.parquet",
                                       *table->metadata().CurrentSchema(), {1});
  ASSERT_TRUE(eq.ok()) << eq.status().ToString();
  ColumnBatch keys((*eq)->delete_schema());
  keys.mutable_column(0)->AppendInt64(15);
  keys.mutable_column(0)->AppendInt64(77);
  ASSERT_TRUE((*eq)->Write(keys).ok());
  auto eq_file = (*eq)->Close({Value{Type::Int(), int32_t{2}}});
  ASSERT_TRUE(eq_file.ok()) << eq_file.status().ToString();
  auto delta = table->NewRowDelta();
  delta->AddDeletes(*pos_file).AddDeletes(*eq_file);
  ASSERT_TRUE(delta->Commit().ok());
  for (int64_t gone : {0, 3, 15, 77}) std::erase(expected, gone);

  // Rows appended after the equality delete are not deleted by it, even with a deleted key.
  DataFile late = WriteData(*table, "late.parquet", 77, 1, 2);
  auto append = table->NewFastAppend();
  append->AppendFile(late);
  ASSERT_TRUE(append->Commit().ok());
  expected.push_back(77);
  std::sort(expected.begin(), expected.end());
  ASSERT_EQ(Ids(*table), expected);
  ASSERT_EQ(table->metadata().snapshots.size(), 10u);

  // 1. Expire everything but the current snapshot. Every data file is still live, so only
  //    manifest lists (and manifests no longer listed) go.
  ExpireSnapshotsOptions expire;
  expire.older_than = std::chrono::milliseconds(0);
  expire.retain_last = 1;
  auto expired = ExpireSnapshots(*table, expire);
  ASSERT_TRUE(expired.ok()) << expired.status().ToString();
  EXPECT_EQ(expired->expired_snapshot_ids.size(), 9u);
  EXPECT_EQ(expired->deleted_manifest_lists.size(), 9u);
  EXPECT_TRUE(expired->deleted_data_files.empty());
  EXPECT_TRUE(expired->failed.empty());
  for (const std::string& f : expired->deleted_manifest_lists) {
    EXPECT_FALSE(std::filesystem::exists(f)) << f;
  }
  ASSERT_EQ(table->metadata().snapshots.size(), 1u);
  EXPECT_EQ(Ids(*table), expected);

  // 2. Compact: both partitions have small files and deletes; everything is rewritten.
  auto compacted = CompactTable(*table);
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
  EXPECT_TRUE(compacted->committed);
  EXPECT_EQ(table->metadata().CurrentSnapshot()->operation(), "replace");
  EXPECT_EQ(compacted->data_files_read, 9);
  EXPECT_EQ(compacted->data_files_written, 2);  // one per partition
  EXPECT_EQ(compacted->rows_written, static_cast<int64_t>(expected.size()));
  EXPECT_EQ(compacted->delete_files_removed, 2);
  EXPECT_EQ(Ids(*table), expected);
  auto live = LiveEntries(*table);
  EXPECT_EQ(live.size(), 2u);
  for (const auto& [path, e] : live) EXPECT_EQ(e.data_file.content, DataFileContent::kData);

  // 3. Expire the pre-compaction snapshot: the 9 input files and both delete files go.
  auto expired_again = ExpireSnapshots(*table, expire);
  ASSERT_TRUE(expired_again.ok()) << expired_again.status().ToString();
  EXPECT_EQ(expired_again->expired_snapshot_ids.size(), 1u);
  EXPECT_EQ(expired_again->deleted_data_files.size(), 9u);
  EXPECT_EQ(expired_again->deleted_delete_files.size(), 2u);
  for (const DataFile& f : files) EXPECT_FALSE(std::filesystem::exists(f.file_path));
  EXPECT_FALSE(std::filesystem::exists(late.file_path));
  EXPECT_FALSE(std::filesystem::exists(pos_file->file_path));
  EXPECT_FALSE(std::filesystem::exists(eq_file->file_path));
  EXPECT_EQ(Ids(*table), expected);

  // A fresh reader through the catalog sees the same, and nothing is left unreachable.
  auto reloaded = catalog_->LoadTable("db", "cycle");
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(Ids(**reloaded), expected);
  OrphanFileOptions orphans;
  orphans.older_than = std::chrono::milliseconds(0);
  auto found = FindOrphanFiles(**reloaded, orphans);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_TRUE(found->empty()) << found->front();
  // Every live file is still there (the DELETED entries the replace snapshot keeps name the
  // files expiry just removed, which is fine: no reader opens them).
  for (const auto& [path, e] : LiveEntries(**reloaded)) {
    EXPECT_TRUE(std::filesystem::exists(path)) << path;
  }
  EXPECT_TRUE(std::filesystem::exists((*reloaded)->metadata().CurrentSnapshot()->manifest_list));
}

}  // namespace
}  // namespace nilus::iceberg
