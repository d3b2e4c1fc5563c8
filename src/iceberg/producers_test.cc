// Overwrite by partition, dynamic partition overwrite, RewriteFiles, DeleteFiles, row-delta
// validation and metadata-only commits, through a real SQLite catalog.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "iceberg/testing/catalog_fixture.h"

namespace nilus::iceberg {
namespace {

using ::testing::HasSubstr;

class ProducersTest : public testing::CatalogFixture {
 protected:
  static std::string Summary(const Table& t, std::string_view key) {
    return std::string(t.metadata().CurrentSnapshot()->SummaryValue(key).value_or("<absent>"));
  }
  static std::set<std::string> Paths(const std::map<std::string, ManifestEntry>& live) {
    std::set<std::string> out;
    for (const auto& [path, e] : live) out.insert(path);
    return out;
  }
  Value Part(int32_t p) { return Value{Type::Int(), p}; }

  // A position delete file entry for `data_path` (commit logic only reads its metadata).
  DataFile PositionDeletes(const Table& t, const std::string& name, const std::string& data_path,
                           std::vector<Value> partition = {}) {
    DataFile d;
    d.content = DataFileContent::kPositionDeletes;
    d.file_path = t.metadata().location + "/data/" + name;
    d.record_count = 1;
    d.file_size_in_bytes = 100;
    d.referenced_data_file = data_path;
    d.partition = std::move(partition);
    return d;
  }
};

TEST_F(ProducersTest, OverwriteWhereReplacesOnlySelectedPartition) {
  auto table = CreateTable("t", true);
  ASSERT_NE(table, nullptr);
  DataFile p1 = WriteData(*table, "p1.parquet", 0, 3, 1);
  DataFile p2 = WriteData(*table, "p2.parquet", 10, 4, 2);
  auto append = table->NewFastAppend();
  append->AppendFile(p1).AppendFile(p2);
  ASSERT_TRUE(append->Commit().ok());

  DataFile p1b = WriteData(*table, "p1b.parquet", 100, 5, 1);
  auto ow = table->NewOverwrite();
  ow->AddFile(p1b)
      .OverwriteWhere(PartitionFilter().Equal("part", Part(1)))
      .Set("nilus.load-id", "L1");
  Status st = ow->Commit();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Paths(LiveEntries(*table)), (std::set<std::string>{p1b.file_path, p2.file_path}));
  EXPECT_EQ(Summary(*table, "operation"), "overwrite");
  EXPECT_EQ(Summary(*table, "deleted-data-files"), "1");
  EXPECT_EQ(Summary(*table, "deleted-records"), "3");
  EXPECT_EQ(Summary(*table, "total-records"), "9");
  EXPECT_EQ(Summary(*table, "total-data-files"), "2");
  // p2 kept its sequence number and snapshot: it was carried as EXISTING.
  auto live = LiveEntries(*table);
  EXPECT_EQ(live.at(p2.file_path).sequence_number, 1);
  EXPECT_EQ(live.at(p1b.file_path).sequence_number, 2);

  // Added files outside the filter are refused before anything is written.
  const std::string location = table->metadata_location();
  auto bad = table->NewOverwrite();
  bad->AddFile(WriteData(*table, "p3.parquet", 0, 1, 3))
      .OverwriteWhere(PartitionFilter().Equal("part", Part(1)));
  Status refused = bad->Commit();
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("outside the overwritten partitions (part=1)"));
  EXPECT_THAT(refused.message(), HasSubstr("db.t"));
  EXPECT_EQ(table->metadata_location(), location);

  // A filter on a field the spec lacks cannot decide.
  auto unknown = table->NewOverwrite();
  unknown->OverwriteWhere(PartitionFilter().Equal("region", Value{Type::String(), "eu"}));
  Status undecided = unknown->Commit();
  EXPECT_EQ(undecided.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(undecided.message(), HasSubstr("no field 'region'"));
  EXPECT_EQ(*store_->LoadTable("db", "t"), location);
}

TEST_F(ProducersTest, ReplaceAddedPartitionsIsDynamicOverwrite) {
  auto table = CreateTable("t", true);
  ASSERT_NE(table, nullptr);
  auto append = table->NewFastAppend();
  DataFile a = WriteData(*table, "a.parquet", 0, 2, 1);
  DataFile b = WriteData(*table, "b.parquet", 10, 2, 2);
  DataFile c = WriteData(*table, "c.parquet", 20, 2, 3);
  append->AppendFile(a).AppendFile(b).AppendFile(c);
  ASSERT_TRUE(append->Commit().ok());

  DataFile a2 = WriteData(*table, "a2.parquet", 30, 1, 1);
  DataFile c2 = WriteData(*table, "c2.parquet", 40, 1, 3);
  auto ow = table->NewOverwrite();
  ow->AddFile(a2).AddFile(c2).ReplaceAddedPartitions();
  ASSERT_TRUE(ow->Commit().ok());
  EXPECT_EQ(Paths(LiveEntries(*table)),
            (std::set<std::string>{a2.file_path, b.file_path, c2.file_path}));
  EXPECT_EQ(Summary(*table, "total-records"), "4");

  // Combined with a filter: refused.
  auto both = table->NewOverwrite();
  both->ReplaceAddedPartitions().OverwriteWhere(PartitionFilter());
  EXPECT_EQ(both->Commit().code(), StatusCode::kInvalidArgument);
}

TEST_F(ProducersTest, WholeTableOverwriteDropsDeletedOnlyManifestsLater) {
  auto table = CreateTable("t", false);
  ASSERT_NE(table, nullptr);
  auto append = table->NewFastAppend();
  append->AppendFile(WriteData(*table, "a.parquet", 0, 2));
  ASSERT_TRUE(append->Commit().ok());
  auto ow = table->NewOverwrite();
  DataFile b = WriteData(*table, "b.parquet", 0, 3);
  ow->AddFile(b);
  ASSERT_TRUE(ow->Commit().ok());
  auto after_overwrite = ReadManifestList(&io_, table->metadata().CurrentSnapshot()->manifest_list);
  ASSERT_TRUE(after_overwrite.ok());
  EXPECT_EQ(after_overwrite->size(), 2u);  // the new data + the one recording the deletion

  auto next = table->NewFastAppend();
  next->AppendFile(WriteData(*table, "c.parquet", 10, 1));
  ASSERT_TRUE(next->Commit().ok());
  auto manifests = ReadManifestList(&io_, table->metadata().CurrentSnapshot()->manifest_list);
  ASSERT_TRUE(manifests.ok());
  for (const ManifestFile& m : *manifests) {
    EXPECT_GT(m.added_files_count + m.existing_files_count, 0) << m.manifest_path;
  }
  EXPECT_EQ(manifests->size(), 2u);
  EXPECT_EQ(Summary(*table, "total-records"), "4");
}

TEST_F(ProducersTest, RewriteReplacesFilesKeepingStartSequenceNumber) {
  auto table = CreateTable("t", false);
  ASSERT_NE(table, nullptr);
  DataFile a = WriteData(*table, "a.parquet", 0, 2);
  DataFile b = WriteData(*table, "b.parquet", 2, 3);
  for (const DataFile& f : {a, b}) {
    auto append = table->NewFastAppend();
    append->AppendFile(f);
    ASSERT_TRUE(append->Commit().ok());
  }
  const int64_t start_seq = table->metadata().CurrentSnapshot()->sequence_number;
  auto eq = PositionDeletes(*table, "eq.parquet", a.file_path);
  eq.content = DataFileContent::kEqualityDeletes;
  eq.referenced_data_file.reset();
  eq.equality_ids = {1};

  DataFile ab = WriteData(*table, "ab.parquet", 0, 5);
  auto rewrite = table->NewRewrite();
  rewrite->RemoveFile(a).RemoveFile(b).AddFile(ab);

  // Meanwhile another writer commits an equality delete: harmless to the rewrite.
  auto other = catalog_->LoadTable("db", "t");
  ASSERT_TRUE(other.ok());
  auto delta = (*other)->NewRowDelta();
  delta->AddDeletes(eq);
  ASSERT_TRUE(delta->Commit().ok());

  Status st = rewrite->Commit();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(rewrite->attempts(), 2);
  EXPECT_EQ(Summary(*table, "operation"), "replace");
  EXPECT_EQ(Summary(*table, "added-data-files"), "1");
  EXPECT_EQ(Summary(*table, "deleted-data-files"), "2");
  EXPECT_EQ(Summary(*table, "total-records"), "5");
  auto live = LiveEntries(*table);
  EXPECT_EQ(Paths(live), (std::set<std::string>{ab.file_path, eq.file_path}));
  // The rewritten rows stay older than the concurrent delete, so it still applies to them.
  EXPECT_EQ(live.at(ab.file_path).sequence_number, start_seq);
  EXPECT_GT(live.at(eq.file_path).sequence_number.value(), start_seq);
  EXPECT_EQ(live.at(ab.file_path).file_sequence_number,
            table->metadata().CurrentSnapshot()->sequence_number);
}

TEST_F(ProducersTest, RewriteConflictsWithConcurrentRemovalAndPositionDeletes) {
  auto table = CreateTable("t", false);
  ASSERT_NE(table, nullptr);
  DataFile a = WriteData(*table, "a.parquet", 0, 2);
  DataFile b = WriteData(*table, "b.parquet", 2, 2);
  auto append = table->NewFastAppend();
  append->AppendFile(a).AppendFile(b);
  ASSERT_TRUE(append->Commit().ok());

  {  // A concurrent position delete on a rewritten file: its deletes would be lost.
    auto rewrite = table->NewRewrite();
    rewrite->RemoveFile(a).AddFile(WriteData(*table, "a2.parquet", 0, 2));
    auto other = catalog_->LoadTable("db", "t");
    ASSERT_TRUE(other.ok());
    auto delta = (*other)->NewRowDelta();
    delta->AddDeletes(PositionDeletes(*table, "pos.parquet", a.file_path));
    ASSERT_TRUE(delta->Commit().ok());
    Status st = rewrite->Commit();
    EXPECT_EQ(st.code(), StatusCode::kConflict);
    EXPECT_THAT(st.message(), HasSubstr("pos.parquet"));
    EXPECT_THAT(st.message(), HasSubstr("rewrite of db.t"));
  }
  ASSERT_TRUE(table->Refresh().ok());
  {  // A concurrent removal of a rewritten file.
    auto rewrite = table->NewRewrite();
    rewrite->RemoveFile(b).AddFile(WriteData(*table, "b2.parquet", 2, 2));
    auto other = catalog_->LoadTable("db", "t");
    ASSERT_TRUE(other.ok());
    auto del = (*other)->NewDelete();
    del->DeleteFile(b.file_path);
    ASSERT_TRUE(del->Commit().ok());
    Status st = rewrite->Commit();
    EXPECT_EQ(st.code(), StatusCode::kConflict);
    EXPECT_THAT(st.message(), HasSubstr("no longer live"));
  }
  EXPECT_EQ(table->NewRewrite()->Commit().code(), StatusCode::kInvalidArgument);
}

TEST_F(ProducersTest, DeleteFilesByPathAndPartition) {
  auto table = CreateTable("t", true);
  ASSERT_NE(table, nullptr);
  DataFile a = WriteData(*table, "a.parquet", 0, 2, 1);
  DataFile b = WriteData(*table, "b.parquet", 2, 3, 1);
  DataFile c = WriteData(*table, "c.parquet", 5, 4, 2);
  auto append = table->NewFastAppend();
  append->AppendFile(a).AppendFile(b).AppendFile(c);
  ASSERT_TRUE(append->Commit().ok());
  auto delta = table->NewRowDelta();
  delta->AddDeletes(PositionDeletes(*table, "pos.parquet", c.file_path, {Part(2)}));
  ASSERT_TRUE(delta->Commit().ok());

  auto del = table->NewDelete();
  del->DeleteFile(a.file_path);
  ASSERT_TRUE(del->Commit().ok());
  EXPECT_EQ(Summary(*table, "operation"), "delete");
  EXPECT_EQ(Summary(*table, "total-records"), "7");
  EXPECT_EQ(Paths(LiveEntries(*table)).count(a.file_path), 0u);

  // By partition: data and delete files of part=2 go.
  auto by_part = table->NewDelete();
  by_part->DeleteWhere(PartitionFilter().Equal("part", Part(2)));
  ASSERT_TRUE(by_part->Commit().ok());
  EXPECT_EQ(Paths(LiveEntries(*table)), (std::set<std::string>{b.file_path}));
  EXPECT_EQ(Summary(*table, "total-delete-files"), "0");
  EXPECT_EQ(Summary(*table, "total-records"), "3");

  // A file that is not live is a conflict, and nothing changes.
  const std::string location = table->metadata_location();
  auto again = table->NewDelete();
  again->DeleteFile(a.file_path);
  Status st = again->Commit();
  EXPECT_EQ(st.code(), StatusCode::kConflict);
  EXPECT_THAT(st.message(), HasSubstr("a.parquet' is not live"));
  EXPECT_EQ(*store_->LoadTable("db", "t"), location);
}

TEST_F(ProducersTest, RowDeltaRefusesPositionDeletesOfRemovedFile) {
  auto table = CreateTable("t", false);
  ASSERT_NE(table, nullptr);
  DataFile a = WriteData(*table, "a.parquet", 0, 2);
  auto append = table->NewFastAppend();
  append->AppendFile(a);
  ASSERT_TRUE(append->Commit().ok());

  auto delta = table->NewRowDelta();
  delta->AddDeletes(PositionDeletes(*table, "pos.parquet", a.file_path));
  auto other = catalog_->LoadTable("db", "t");
  ASSERT_TRUE(other.ok());
  auto rewrite = (*other)->NewRewrite();
  rewrite->RemoveFile(a).AddFile(WriteData(*table, "a2.parquet", 0, 2));
  ASSERT_TRUE(rewrite->Commit().ok());

  Status st = delta->Commit();
  EXPECT_EQ(st.code(), StatusCode::kConflict);
  EXPECT_THAT(st.message(), HasSubstr("a.parquet' that the added position deletes refer to"));

  // Explicitly named files are checked too; live ones pass.
  ASSERT_TRUE(table->Refresh().ok());
  auto ok_delta = table->NewRowDelta();
  ok_delta->AddRows(WriteData(*table, "c.parquet", 5, 1))
      .ValidateDataFilesExist({LiveEntries(*table).begin()->first});
  EXPECT_TRUE(ok_delta->Commit().ok());
}

TEST_F(ProducersTest, MetadataChangeRetriesOnFreshMetadata) {
  auto table = CreateTable("t", false);
  ASSERT_NE(table, nullptr);
  auto other = catalog_->LoadTable("db", "t");
  ASSERT_TRUE(other.ok());
  auto append = (*other)->NewFastAppend();
  append->AppendFile(WriteData(*table, "a.parquet", 0, 2));
  ASSERT_TRUE(append->Commit().ok());

  int calls = 0;
  Status st = table->CommitMetadataChange("property update of", [&](const TableMetadata& base) {
    ++calls;
    TableMetadata next = base;
    next.properties["owner"] = "nilus";
    return Result<TableMetadata>(std::move(next));
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(calls, 2);  // the first attempt lost the swap to the append
  ASSERT_TRUE((*other)->Refresh().ok());
  EXPECT_EQ((*other)->metadata().properties.at("owner"), "nilus");
  EXPECT_TRUE((*other)->metadata().current_snapshot_id.has_value());
  EXPECT_EQ((*other)->metadata().metadata_log.size(), 2u);

  Status refused = table->CommitMetadataChange("property update of", [](const TableMetadata&) {
    return Result<TableMetadata>(Status::Invalid("no such property"));
  });
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("property update of db.t"));
}

}  // namespace
}  // namespace nilus::iceberg
