#include "iceberg/table.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <set>
#include <thread>

#include "core/column_batch.h"
#include "formats/parquet/writer.h"
#include "iceberg/file_writers.h"
#include "iceberg/manifest.h"
#include "iceberg/manifest_list.h"
#include "storage/fault_injection_file_io.h"
#include "storage/local_file_io.h"

namespace nilus::iceberg {
namespace {

SchemaPtr EventSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "name", Type::String()),
  });
}

class IcebergTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nilus_itable_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = SqlCatalogStore::Open("sqlite:///" + dir_ + "/catalog.db", "test");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store.MoveValue();
    ASSERT_TRUE(store_->CreateNamespace("db").ok());
    catalog_ = MakeCatalog(&io_);
  }
  void TearDown() override {
    catalog_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Catalog> MakeCatalog(FileIO* io) {
    auto c = Catalog::Make(store_.get(), io, dir_ + "/warehouse/");
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c.MoveValue() : nullptr;
  }

  std::unique_ptr<Table> CreateEvents(std::map<std::string, std::string> props = {}) {
    auto t = catalog_->CreateTable("db", "events", *EventSchema(), PartitionSpec::Unpartitioned(),
                                   std::move(props));
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t.MoveValue() : nullptr;
  }

  // Writes `rows` rows (ids first_id, first_id+1, ...) as a Parquet data file of `table`.
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

  // Every live data file of the current snapshot, read back through the manifest list and
  // manifests (with sequence-number inheritance): path -> data sequence number.
  std::map<std::string, int64_t> LiveFiles(const TableMetadata& md) {
    std::map<std::string, int64_t> out;
    const Snapshot* current = md.CurrentSnapshot();
    if (current == nullptr) return out;
    auto manifests = ReadManifestList(&io_, current->manifest_list);
    EXPECT_TRUE(manifests.ok()) << manifests.status().ToString();
    if (!manifests.ok()) return out;
    for (const ManifestFile& m : *manifests) {
      auto entries = ReadManifest(&io_, m);
      EXPECT_TRUE(entries.ok()) << entries.status().ToString();
      if (!entries.ok()) continue;
      for (const ManifestEntry& e : *entries) {
        EXPECT_NE(e.status, ManifestEntryStatus::kDeleted);
        EXPECT_TRUE(e.sequence_number.has_value());
        EXPECT_EQ(e.snapshot_id, m.added_snapshot_id);
        EXPECT_TRUE(out.emplace(e.data_file.file_path, e.sequence_number.value_or(-1)).second)
            << "listed twice: " << e.data_file.file_path;
      }
    }
    return out;
  }

  std::vector<std::string> MetadataJsonFiles(const Table& table) {
    std::vector<std::string> out;
    auto files = io_.List(table.metadata().location + "/metadata");
    EXPECT_TRUE(files.ok());
    for (const FileInfo& f : *files) {
      if (f.path.size() > 14 && f.path.substr(f.path.size() - 14) == ".metadata.json") {
        out.push_back(f.path);
      }
    }
    return out;
  }

  std::string dir_;
  LocalFileIO io_;
  std::unique_ptr<SqlCatalogStore> store_;
  std::unique_ptr<Catalog> catalog_;
};

std::string Summary(const Snapshot& s, std::string_view key) {
  return std::string(s.SummaryValue(key).value_or("<absent>"));
}

TEST_F(IcebergTableTest, CreateWritesMetadataHintAndRegisters) {
  auto table = CreateEvents({{"owner", "nilus"}});
  ASSERT_NE(table, nullptr);
  const std::string location = dir_ + "/warehouse/db/events";
  EXPECT_EQ(table->metadata().location, location);
  EXPECT_EQ(table->metadata_location().rfind(location + "/metadata/00000-", 0), 0u)
      << table->metadata_location();
  EXPECT_FALSE(table->metadata().current_snapshot_id.has_value());
  EXPECT_EQ(table->metadata().properties.at("owner"), "nilus");
  EXPECT_EQ(*store_->LoadTable("db", "events"), table->metadata_location());

  auto hint = io_.ReadFile(location + "/metadata/version-hint.text");
  ASSERT_TRUE(hint.ok()) << hint.status().ToString();
  EXPECT_EQ(location + "/metadata/" + *hint + ".metadata.json", table->metadata_location());

  auto loaded = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->metadata_location(), table->metadata_location());
  EXPECT_EQ((*loaded)->metadata().table_uuid, table->metadata().table_uuid);
  EXPECT_TRUE((*loaded)->metadata().CurrentSchema()->Equals(*EventSchema()));

  auto again =
      catalog_->CreateTable("db", "events", *EventSchema(), PartitionSpec::Unpartitioned());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(MetadataJsonFiles(*table).size(), 1u);  // the refused create wrote nothing

  auto no_ns = catalog_->CreateTable("nope", "t", *EventSchema(), PartitionSpec::Unpartitioned());
  EXPECT_EQ(no_ns.status().code(), StatusCode::kNotFound);
  auto bad_name = catalog_->CreateTable("db", "..", *EventSchema(), PartitionSpec::Unpartitioned());
  EXPECT_EQ(bad_name.status().code(), StatusCode::kInvalidArgument);

  auto missing = catalog_->LoadTable("db", "missing");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("db.missing"), std::string::npos)
      << missing.status().message();
}

TEST_F(IcebergTableTest, LoadErrorNamesTableAndFile) {
  auto table = CreateEvents();
  ASSERT_NE(table, nullptr);
  ASSERT_TRUE(io_.WriteFile(table->metadata_location(), "{not json").ok());
  auto loaded = catalog_->LoadTable("db", "events");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("db.events"), std::string::npos);
  EXPECT_NE(loaded.status().message().find(table->metadata_location()), std::string::npos)
      << loaded.status().message();
}

TEST_F(IcebergTableTest, ThreeAppendsBuildAncestryTotalsAndManifests) {
  auto table = CreateEvents();
  ASSERT_NE(table, nullptr);
  const int rows[] = {10, 25, 7};
  std::vector<DataFile> files;
  int64_t next_id = 0;
  for (int i = 0; i < 3; ++i) {
    files.push_back(WriteData(*table, "f" + std::to_string(i) + ".parquet", next_id, rows[i]));
    next_id += rows[i];
    auto append = table->NewFastAppend();
    append->AppendFile(files.back());
    if (i < 2) append->Set("nilus.load-id", "load-" + std::to_string(i));
    Status st = append->Commit();
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(append->attempts(), 1);
    ASSERT_TRUE(append->committed_snapshot().has_value());
    EXPECT_EQ(table->metadata().current_snapshot_id, append->committed_snapshot()->snapshot_id);
  }

  // A fresh load sees what the writer's Table holds.
  auto loaded = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const TableMetadata& md = (*loaded)->metadata();
  EXPECT_EQ((*loaded)->metadata_location(), table->metadata_location());
  ASSERT_EQ(md.snapshots.size(), 3u);
  EXPECT_EQ(md.last_sequence_number, 3);
  EXPECT_EQ(md.snapshot_log.size(), 3u);
  ASSERT_EQ(md.metadata_log.size(), 3u);  // versions 0, 1 and 2 were replaced
  auto version = ParseMetadataVersion((*loaded)->metadata_location());
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 3);
  EXPECT_EQ(*ParseMetadataVersion(md.metadata_log.back().metadata_file), 2);
  EXPECT_EQ(md.refs.at("main").snapshot_id, *md.current_snapshot_id);

  auto ancestors = md.Ancestors(*md.current_snapshot_id);
  ASSERT_EQ(ancestors.size(), 3u);
  int64_t total_records = 0;
  int64_t total_size = 0;
  for (int i = 0; i < 3; ++i) {
    total_records += rows[i];
    total_size += files[i].file_size_in_bytes;
    const Snapshot& s = *ancestors[2 - i];
    EXPECT_EQ(s.sequence_number, i + 1);
    EXPECT_GT(s.snapshot_id, 0);
    EXPECT_EQ(s.operation(), "append");
    EXPECT_EQ(Summary(s, "added-data-files"), "1");
    EXPECT_EQ(Summary(s, "added-records"), std::to_string(rows[i]));
    EXPECT_EQ(Summary(s, "added-files-size"), std::to_string(files[i].file_size_in_bytes));
    EXPECT_EQ(Summary(s, "total-records"), std::to_string(total_records));
    EXPECT_EQ(Summary(s, "total-data-files"), std::to_string(i + 1));
    EXPECT_EQ(Summary(s, "total-files-size"), std::to_string(total_size));
    EXPECT_EQ(Summary(s, "total-delete-files"), "0");
    EXPECT_EQ(Summary(s, "total-position-deletes"), "0");
    EXPECT_EQ(Summary(s, "total-equality-deletes"), "0");
    if (i == 0) {
      EXPECT_FALSE(s.parent_snapshot_id.has_value());
    } else {
      EXPECT_EQ(s.parent_snapshot_id, ancestors[3 - i]->snapshot_id);
    }
  }
  // The third commit set no load id: the latest one is found on its parent.
  EXPECT_EQ(md.FindLatestSummaryProperty("nilus.load-id"), "load-1");

  // Every file is live, with the sequence number of the commit that added it.
  std::map<std::string, int64_t> want;
  for (int i = 0; i < 3; ++i) want[files[i].file_path] = i + 1;
  EXPECT_EQ(LiveFiles(md), want);

  // The manifest list keeps the parents' manifests unchanged, newest first.
  auto manifests = ReadManifestList(&io_, md.CurrentSnapshot()->manifest_list);
  ASSERT_TRUE(manifests.ok());
  ASSERT_EQ(manifests->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const ManifestFile& m = (*manifests)[i];
    EXPECT_EQ(m.sequence_number, 3 - i);
    EXPECT_EQ(m.min_sequence_number, 3 - i);
    EXPECT_EQ(m.added_snapshot_id, ancestors[i]->snapshot_id);
    EXPECT_EQ(m.added_files_count, 1);
    EXPECT_EQ(m.added_rows_count, rows[2 - i]);
  }
  // Entries are stored with null sequence numbers (inherited), as a fresh append writes them.
  auto raw = ReadManifestFile(&io_, (*manifests)[0].manifest_path);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->entries.size(), 1u);
  EXPECT_EQ(raw->entries[0].status, ManifestEntryStatus::kAdded);
  EXPECT_FALSE(raw->entries[0].sequence_number.has_value());
  EXPECT_FALSE(raw->entries[0].file_sequence_number.has_value());

  auto hint = io_.ReadFile(md.location + "/metadata/version-hint.text");
  ASSERT_TRUE(hint.ok());
  EXPECT_EQ(md.location + "/metadata/" + *hint + ".metadata.json", table->metadata_location());
}

TEST_F(IcebergTableTest, ConflictingAppendRetriesOnNewState) {
  auto creator = CreateEvents();
  ASSERT_NE(creator, nullptr);
  auto a = catalog_->LoadTable("db", "events");
  auto b = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ((*a)->metadata_location(), (*b)->metadata_location());

  DataFile fa = WriteData(**a, "a.parquet", 0, 11);
  DataFile fb = WriteData(**b, "b.parquet", 100, 13);
  auto append_a = (*a)->NewFastAppend();
  append_a->AppendFile(fa).Set("nilus.load-id", "A");
  ASSERT_TRUE(append_a->Commit().ok());
  EXPECT_EQ(append_a->attempts(), 1);

  // b still holds version 0: its first swap loses, the retry lands on top of a's snapshot.
  auto append_b = (*b)->NewFastAppend();
  append_b->AppendFile(fb).Set("nilus.load-id", "B");
  Status st = append_b->Commit();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(append_b->attempts(), 2);

  auto loaded = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(loaded.ok());
  const TableMetadata& md = (*loaded)->metadata();
  ASSERT_EQ(md.snapshots.size(), 2u);
  const Snapshot& head = *md.CurrentSnapshot();
  EXPECT_EQ(head.snapshot_id, append_b->committed_snapshot()->snapshot_id);
  EXPECT_EQ(head.parent_snapshot_id, append_a->committed_snapshot()->snapshot_id);
  EXPECT_EQ(head.sequence_number, 2);
  EXPECT_EQ(Summary(head, "total-records"), "24");
  EXPECT_EQ(Summary(head, "total-data-files"), "2");
  EXPECT_EQ(md.FindLatestSummaryProperty("nilus.load-id"), "B");
  std::map<std::string, int64_t> want = {{fa.file_path, 1}, {fb.file_path, 2}};
  EXPECT_EQ(LiveFiles(md), want);

  // The metadata file and manifest list of b's lost attempt were deleted: only versions 0, 1
  // and 2 remain, and only the two live manifest lists.
  EXPECT_EQ(MetadataJsonFiles(*(*loaded)).size(), 3u);
  auto all = io_.List(md.location + "/metadata");
  ASSERT_TRUE(all.ok());
  int lists = 0;
  for (const FileInfo& f : *all) lists += f.path.find("/snap-") != std::string::npos;
  EXPECT_EQ(lists, 2);
}

TEST_F(IcebergTableTest, GivesUpAfterConfiguredRetriesAndCleansUp) {
  auto creator = CreateEvents({{"commit.retry.num-retries", "0"}});
  ASSERT_NE(creator, nullptr);
  auto a = catalog_->LoadTable("db", "events");
  auto b = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(a.ok() && b.ok());
  auto append_a = (*a)->NewFastAppend();
  append_a->AppendFile(WriteData(**a, "a.parquet", 0, 3));
  ASSERT_TRUE(append_a->Commit().ok());

  auto append_b = (*b)->NewFastAppend();
  append_b->AppendFile(WriteData(**b, "b.parquet", 0, 3));
  Status st = append_b->Commit();
  EXPECT_EQ(st.code(), StatusCode::kConflict) << st.ToString();
  EXPECT_EQ(append_b->attempts(), 1);
  EXPECT_TRUE(append_b->Commit().code() == StatusCode::kInvalidArgument);  // single use

  // Only a's commit is visible, and b left no metadata-side file behind.
  auto loaded = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)->metadata().snapshots.size(), 1u);
  auto all = io_.List((*loaded)->metadata().location + "/metadata");
  ASSERT_TRUE(all.ok());
  int avro = 0;
  for (const FileInfo& f : *all) avro += f.path.ends_with(".avro");
  EXPECT_EQ(avro, 2);  // a's manifest and manifest list
}

TEST_F(IcebergTableTest, ThreadsAppendingConcurrentlyLoseNothing) {
  auto creator = CreateEvents({{"commit.retry.num-retries", "50"},
                               {"commit.retry.min-wait-ms", "1"},
                               {"commit.retry.max-wait-ms", "20"}});
  ASSERT_NE(creator, nullptr);
  constexpr int kThreads = 4;
  constexpr int kCommitsPerThread = 3;
  std::vector<std::vector<DataFile>> files(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    for (int c = 0; c < kCommitsPerThread; ++c) {
      files[t].push_back(WriteData(
          *creator, "t" + std::to_string(t) + "c" + std::to_string(c) + ".parquet", 0, t + 1));
    }
  }
  std::vector<Status> results(kThreads * kCommitsPerThread);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto table = catalog_->LoadTable("db", "events");
      if (!table.ok()) {
        results[t * kCommitsPerThread] = table.status();
        return;
      }
      for (int c = 0; c < kCommitsPerThread; ++c) {
        auto append = (*table)->NewFastAppend();
        append->AppendFile(files[t][c]);
        results[t * kCommitsPerThread + c] = append->Commit();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const Status& st : results) EXPECT_TRUE(st.ok()) << st.ToString();

  auto loaded = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(loaded.ok());
  const TableMetadata& md = (*loaded)->metadata();
  EXPECT_EQ(md.snapshots.size(), size_t{kThreads * kCommitsPerThread});
  EXPECT_EQ(md.last_sequence_number, kThreads * kCommitsPerThread);
  int64_t rows = 0;
  for (int t = 0; t < kThreads; ++t) rows += (t + 1) * kCommitsPerThread;
  EXPECT_EQ(Summary(*md.CurrentSnapshot(), "total-records"), std::to_string(rows));
  auto live = LiveFiles(md);
  EXPECT_EQ(live.size(), size_t{kThreads * kCommitsPerThread});
  std::set<int64_t> seqs;
  for (const auto& [path, seq] : live) seqs.insert(seq);
  EXPECT_EQ(seqs.size(), live.size());  // each commit got its own sequence number
}

TEST_F(IcebergTableTest, RefusesDeleteFilesAndReservedSummaryKeys) {
  auto table = CreateEvents();
  ASSERT_NE(table, nullptr);
  DataFile deletes = WriteData(*table, "d.parquet", 0, 1);
  deletes.content = DataFileContent::kPositionDeletes;
  auto a = table->NewFastAppend();
  a->AppendFile(deletes);
  EXPECT_EQ(a->Commit().code(), StatusCode::kInvalidArgument);
  auto b = table->NewFastAppend();
  b->AppendFile(WriteData(*table, "e.parquet", 0, 1)).Set("total-records", "99");
  EXPECT_EQ(b->Commit().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(table->metadata().current_snapshot_id.has_value());

  // An append without files still records its properties.
  auto c = table->NewFastAppend();
  c->Set("nilus.lsn", "0/16B3748");
  ASSERT_TRUE(c->Commit().ok());
  const Snapshot& s = *table->metadata().CurrentSnapshot();
  EXPECT_EQ(Summary(s, "total-records"), "0");
  EXPECT_EQ(Summary(s, "added-data-files"), "<absent>");
  EXPECT_EQ(table->metadata().FindLatestSummaryProperty("nilus.lsn"), "0/16B3748");
  EXPECT_TRUE(LiveFiles(table->metadata()).empty());
}

TEST_F(IcebergTableTest, PartitionedAppendRecordsPartitionValues) {
  PartitionSpec spec;
  spec.fields.push_back({2, 1000, "name", Transform::Identity()});
  auto created = catalog_->CreateTable("db", "parts", *EventSchema(), spec);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Table& table = **created;
  auto value = [](std::string s) { return Value{Type::String(), std::move(s)}; };
  DataFile eu = WriteData(table, "eu.parquet", 0, 4);
  eu.partition = {value("eu")};
  DataFile us = WriteData(table, "us.parquet", 10, 6);
  us.partition = {value("us")};
  auto append = table.NewFastAppend();
  append->AppendFile(eu).AppendFile(us);
  Status st = append->Commit();
  ASSERT_TRUE(st.ok()) << st.ToString();

  auto manifests = ReadManifestList(&io_, table.metadata().CurrentSnapshot()->manifest_list);
  ASSERT_TRUE(manifests.ok());
  ASSERT_EQ(manifests->size(), 1u);
  const ManifestFile& m = (*manifests)[0];
  EXPECT_EQ(m.added_files_count, 2);
  EXPECT_EQ(m.added_rows_count, 10);
  ASSERT_EQ(m.partitions.size(), 1u);
  EXPECT_EQ(m.partitions[0].lower_bound, "eu");
  EXPECT_EQ(m.partitions[0].upper_bound, "us");
  auto entries = ReadManifest(&io_, m);
  ASSERT_TRUE(entries.ok());
  std::map<std::string, std::string> got;
  for (const ManifestEntry& e : *entries) {
    ASSERT_EQ(e.data_file.partition.size(), 1u);
    got[e.data_file.file_path] = e.data_file.partition[0].get<std::string>();
  }
  std::map<std::string, std::string> want = {{eu.file_path, "eu"}, {us.file_path, "us"}};
  EXPECT_EQ(got, want);

  // A file without its partition value is refused and the table is unchanged.
  const std::string location = table.metadata_location();
  auto bad = table.NewFastAppend();
  bad->AppendFile(WriteData(table, "none.parquet", 0, 1));
  EXPECT_EQ(bad->Commit().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(table.metadata_location(), location);
  EXPECT_EQ(*store_->LoadTable("db", "parts"), location);
}

// A fault at any write or close of a commit leaves the table at its previous snapshot (or, for
// the best-effort version hint, committed), and the next commit succeeds.
TEST_F(IcebergTableTest, FaultAtEveryWriteLeavesTableUsable) {
  FaultInjectionFileIO faulty(&io_);
  auto fault_catalog = MakeCatalog(&faulty);
  ASSERT_NE(fault_catalog, nullptr);
  auto created = CreateEvents();
  ASSERT_NE(created, nullptr);
  auto table = fault_catalog->LoadTable("db", "events");
  ASSERT_TRUE(table.ok());

  // Measure one clean commit.
  int64_t expected_rows = 0;
  int file_no = 0;
  auto commit_one = [&](Table* t) {
    DataFile f = WriteData(*t, "g" + std::to_string(file_no++) + ".parquet", 0, 5);
    auto append = t->NewFastAppend();
    append->AppendFile(f);
    return append->Commit();
  };
  int64_t writes_before = faulty.num_writes();
  int64_t streams_before = faulty.num_streams();
  ASSERT_TRUE(commit_one(table->get()).ok());
  expected_rows += 5;
  const int64_t writes_per_commit = faulty.num_writes() - writes_before;
  const int64_t streams_per_commit = faulty.num_streams() - streams_before;
  // Manifest, manifest list, metadata file, version hint.
  ASSERT_GE(writes_per_commit, 4);
  ASSERT_EQ(streams_per_commit, 4);

  auto check = [&](const std::string& what, Status st, int64_t snapshots_before) {
    auto loaded = catalog_->LoadTable("db", "events");
    ASSERT_TRUE(loaded.ok()) << what << ": " << loaded.status().ToString();
    const TableMetadata& md = (*loaded)->metadata();
    if (st.ok()) {
      // Only the version hint may fail without failing the commit.
      expected_rows += 5;
      EXPECT_EQ(md.snapshots.size(), size_t(snapshots_before + 1)) << what;
    } else {
      EXPECT_EQ(md.snapshots.size(), size_t(snapshots_before)) << what;
    }
    EXPECT_EQ(Summary(*md.CurrentSnapshot(), "total-records"), std::to_string(expected_rows))
        << what;
    int64_t live_rows = 0;
    for (const auto& [path, seq] : LiveFiles(md)) {
      auto size = io_.OpenInputFile(path);
      EXPECT_TRUE(size.ok()) << what << ": live file missing " << path;
      live_rows += 5;
    }
    EXPECT_EQ(live_rows, expected_rows) << what;
    // What the failed commit wrote was deleted: one metadata file per version, and one
    // manifest and one manifest list per snapshot.
    EXPECT_EQ(MetadataJsonFiles(**loaded).size(), md.metadata_log.size() + 1) << what;
    auto all = io_.List(md.location + "/metadata");
    ASSERT_TRUE(all.ok());
    size_t avro = 0;
    for (const FileInfo& f : *all) avro += f.path.ends_with(".avro");
    EXPECT_EQ(avro, 2 * md.snapshots.size()) << what;
    // The next commit, without faults, succeeds on a freshly loaded table.
    auto fresh = fault_catalog->LoadTable("db", "events");
    ASSERT_TRUE(fresh.ok());
    Status next = commit_one(fresh->get());
    ASSERT_TRUE(next.ok()) << what << ": " << next.ToString();
    expected_rows += 5;
  };

  for (int64_t k = 1; k <= writes_per_commit; ++k) {
    auto t = fault_catalog->LoadTable("db", "events");
    ASSERT_TRUE(t.ok());
    const int64_t snapshots = static_cast<int64_t>((*t)->metadata().snapshots.size());
    DataFile f = WriteData(**t, "h" + std::to_string(k) + ".parquet", 0, 5);
    auto append = (*t)->NewFastAppend();
    append->AppendFile(f);
    faulty.FailWrite(faulty.num_writes() + k);
    Status st = append->Commit();
    EXPECT_EQ(faulty.num_faults(), k) << "write " << k;
    faulty.Disarm();
    // The hint is the last write; every earlier fault fails the commit.
    if (k < writes_per_commit) {
      EXPECT_FALSE(st.ok()) << "write " << k;
    } else {
      EXPECT_TRUE(st.ok()) << "write " << k << ": " << st.ToString();
    }
    check("write " + std::to_string(k), st, snapshots);
  }
  for (int64_t k = 1; k <= streams_per_commit; ++k) {
    auto t = fault_catalog->LoadTable("db", "events");
    ASSERT_TRUE(t.ok());
    const int64_t snapshots = static_cast<int64_t>((*t)->metadata().snapshots.size());
    DataFile f = WriteData(**t, "c" + std::to_string(k) + ".parquet", 0, 5);
    auto append = (*t)->NewFastAppend();
    append->AppendFile(f);
    const int64_t faults = faulty.num_faults();
    faulty.FailClose(faulty.num_streams() + k);
    Status st = append->Commit();
    EXPECT_EQ(faulty.num_faults(), faults + 1) << "close " << k;
    faulty.Disarm();
    if (k < streams_per_commit) {
      EXPECT_FALSE(st.ok()) << "close " << k;
    } else {
      EXPECT_TRUE(st.ok()) << "close " << k << ": " << st.ToString();
    }
    check("close " + std::to_string(k), st, snapshots);
  }
}

}  // namespace
}  // namespace nilus::iceberg

namespace nilus::iceberg {
namespace {

// The codec named in an Avro container file's header ("null" or "deflate").
std::string AvroCodecOf(FileIO* io, const std::string& path) {
  auto bytes = io->ReadFile(path);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return "";
  for (std::string codec : {"deflate", "null"}) {
    // Header map entries are a zigzag-varint length and the bytes: "avro.codec" then the codec.
    std::string entry = std::string(1, static_cast<char>(2 * 10)) + "avro.codec" +
                        std::string(1, static_cast<char>(2 * codec.size())) + codec;
    if (bytes->find(entry) != std::string::npos) return codec;
  }
  return "";
}

TEST_F(IcebergTableTest, ManifestsAreUncompressedUnlessThePropertyAsks) {
  for (const auto& [property, want] : std::vector<std::pair<std::string, std::string>>{
           {"", "null"}, {"gzip", "deflate"}, {"uncompressed", "null"}}) {
    std::map<std::string, std::string> props;
    if (!property.empty()) props["write.avro.compression-codec"] = property;
    auto table = CreateEvents(props);
    ASSERT_NE(table, nullptr);
    auto append = table->NewFastAppend();
    append->AppendFile(WriteData(*table, "a.parquet", 0, 3));
    ASSERT_TRUE(append->Commit().ok());
    const Snapshot* s = table->metadata().CurrentSnapshot();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(AvroCodecOf(&io_, s->manifest_list), want) << "property '" << property << "'";
    auto manifests = ReadManifestList(&io_, s->manifest_list);
    ASSERT_TRUE(manifests.ok());
    EXPECT_EQ(AvroCodecOf(&io_, manifests->at(0).manifest_path), want);
    ASSERT_TRUE(store_->DropTable("db", "events").ok());
  }
}

TEST_F(IcebergTableTest, UnsupportedManifestCodecIsAClearError) {
  auto table = CreateEvents({{"write.avro.compression-codec", "zstd"}});
  ASSERT_NE(table, nullptr);
  auto append = table->NewFastAppend();
  append->AppendFile(WriteData(*table, "a.parquet", 0, 3));
  Status st = append->Commit();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("write.avro.compression-codec"), std::string::npos) << st.message();
}

// A delete file described by metadata only: manifests never open the files they list.
DataFile DeleteFile(const Table& table, const std::string& name, DataFileContent content,
                    int64_t rows, int64_t size) {
  DataFile f;
  f.content = content;
  f.file_path = table.metadata().location + "/data/" + name;
  f.record_count = rows;
  f.file_size_in_bytes = size;
  if (content == DataFileContent::kEqualityDeletes) f.equality_ids = {1};
  return f;
}

// The current snapshot's manifests with their entries as readers see them (inheritance
// applied), in manifest-list order.
std::vector<std::pair<ManifestFile, std::vector<ManifestEntry>>> ReadCurrent(
    FileIO* io, const TableMetadata& md) {
  std::vector<std::pair<ManifestFile, std::vector<ManifestEntry>>> out;
  const Snapshot* current = md.CurrentSnapshot();
  if (current == nullptr) return out;
  auto manifests = ReadManifestList(io, current->manifest_list);
  EXPECT_TRUE(manifests.ok()) << manifests.status().ToString();
  if (!manifests.ok()) return out;
  for (const ManifestFile& m : *manifests) {
    auto entries = ReadManifest(io, m);
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    out.emplace_back(m, entries.ok() ? entries.MoveValue() : std::vector<ManifestEntry>{});
  }
  return out;
}

TEST_F(IcebergTableTest, RowDeltaWritesDataAndDeleteManifests) {
  auto table = CreateEvents();
  ASSERT_NE(table, nullptr);
  DataFile f1 = WriteData(*table, "f1.parquet", 0, 10);
  auto append = table->NewFastAppend();
  append->AppendFile(f1);
  ASSERT_TRUE(append->Commit().ok());

  DataFile f2 = WriteData(*table, "f2.parquet", 10, 5);
  DataFile pos = DeleteFile(*table, "pos.parquet", DataFileContent::kPositionDeletes, 2, 300);
  pos.referenced_data_file = f1.file_path;
  DataFile eq = DeleteFile(*table, "eq.parquet", DataFileContent::kEqualityDeletes, 3, 400);
  auto delta = table->NewRowDelta();
  delta->AddRows(f2).AddDeletes(pos).AddDeletes(eq).Set("nilus.load-id", "D");
  Status st = delta->Commit();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(delta->attempts(), 1);

  auto loaded = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(loaded.ok());
  const TableMetadata& md = (*loaded)->metadata();
  const Snapshot& head = *md.CurrentSnapshot();
  EXPECT_EQ(head.snapshot_id, delta->committed_snapshot()->snapshot_id);
  EXPECT_EQ(head.sequence_number, 2);
  EXPECT_EQ(head.operation(), "overwrite");
  EXPECT_EQ(Summary(head, "added-data-files"), "1");
  EXPECT_EQ(Summary(head, "added-records"), "5");
  EXPECT_EQ(Summary(head, "added-delete-files"), "2");
  EXPECT_EQ(Summary(head, "added-position-delete-files"), "1");
  EXPECT_EQ(Summary(head, "added-equality-delete-files"), "1");
  EXPECT_EQ(Summary(head, "added-position-deletes"), "2");
  EXPECT_EQ(Summary(head, "added-equality-deletes"), "3");
  EXPECT_EQ(Summary(head, "added-files-size"), std::to_string(f2.file_size_in_bytes + 300 + 400));
  EXPECT_EQ(Summary(head, "total-data-files"), "2");
  EXPECT_EQ(Summary(head, "total-records"), "15");
  EXPECT_EQ(Summary(head, "total-delete-files"), "2");
  EXPECT_EQ(Summary(head, "total-position-deletes"), "2");
  EXPECT_EQ(Summary(head, "total-equality-deletes"), "3");
  EXPECT_EQ(Summary(head, "total-files-size"),
            std::to_string(f1.file_size_in_bytes + f2.file_size_in_bytes + 700));
  EXPECT_EQ(Summary(head, "nilus.load-id"), "D");

  // New data manifest, new delete manifest, then the parent's manifest.
  auto manifests = ReadCurrent(&io_, md);
  ASSERT_EQ(manifests.size(), 3u);
  EXPECT_EQ(manifests[0].first.content, ManifestContent::kData);
  EXPECT_EQ(manifests[1].first.content, ManifestContent::kDeletes);
  EXPECT_EQ(manifests[2].first.content, ManifestContent::kData);
  EXPECT_EQ(manifests[0].first.sequence_number, 2);
  EXPECT_EQ(manifests[1].first.sequence_number, 2);
  EXPECT_EQ(manifests[2].first.sequence_number, 1);
  ASSERT_EQ(manifests[0].second.size(), 1u);
  EXPECT_EQ(manifests[0].second[0].data_file.file_path, f2.file_path);
  ASSERT_EQ(manifests[1].second.size(), 2u);
  for (const ManifestEntry& e : manifests[1].second) {
    EXPECT_EQ(e.status, ManifestEntryStatus::kAdded);
    EXPECT_EQ(e.sequence_number, 2);
    EXPECT_EQ(e.file_sequence_number, 2);
    EXPECT_EQ(e.snapshot_id, head.snapshot_id);
  }
  EXPECT_EQ(manifests[1].second[0].data_file.content, DataFileContent::kPositionDeletes);
  EXPECT_EQ(manifests[1].second[0].data_file.referenced_data_file, f1.file_path);
  EXPECT_EQ(manifests[1].second[1].data_file.content, DataFileContent::kEqualityDeletes);
  EXPECT_EQ(manifests[1].second[1].data_file.equality_ids, std::vector<int32_t>{1});
  ASSERT_EQ(manifests[2].second.size(), 1u);
  EXPECT_EQ(manifests[2].second[0].data_file.file_path, f1.file_path);
  EXPECT_EQ(manifests[2].second[0].sequence_number, 1);

  // Data only: an append.
  auto data_only = table->NewRowDelta();
  data_only->AddRows(WriteData(*table, "f3.parquet", 15, 4));
  ASSERT_TRUE(data_only->Commit().ok());
  EXPECT_EQ(table->metadata().CurrentSnapshot()->operation(), "append");
  EXPECT_EQ(Summary(*table->metadata().CurrentSnapshot(), "total-delete-files"), "2");
  EXPECT_EQ(Summary(*table->metadata().CurrentSnapshot(), "total-records"), "19");
}

TEST_F(IcebergTableTest, RowDeltaRefusesMisplacedFilesAndReservedKeys) {
  auto table = CreateEvents();
  ASSERT_NE(table, nullptr);
  auto wrong_data = table->NewRowDelta();
  wrong_data->AddRows(DeleteFile(*table, "p.parquet", DataFileContent::kPositionDeletes, 1, 1));
  EXPECT_EQ(wrong_data->Commit().code(), StatusCode::kInvalidArgument);
  auto wrong_delete = table->NewRowDelta();
  wrong_delete->AddDeletes(WriteData(*table, "d.parquet", 0, 1));
  EXPECT_EQ(wrong_delete->Commit().code(), StatusCode::kInvalidArgument);
  auto reserved = table->NewRowDelta();
  reserved->Set("added-position-deletes", "7");
  EXPECT_EQ(reserved->Commit().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(table->metadata().CurrentSnapshot(), nullptr);
}

TEST_F(IcebergTableTest, ConflictingRowDeltaRetriesOnNewState) {
  auto creator = CreateEvents();
  ASSERT_NE(creator, nullptr);
  auto a = catalog_->LoadTable("db", "events");
  auto b = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(a.ok() && b.ok());
  DataFile fa = WriteData(**a, "a.parquet", 0, 11);
  auto append_a = (*a)->NewFastAppend();
  append_a->AppendFile(fa);
  ASSERT_TRUE(append_a->Commit().ok());

  // b still holds version 0: its first swap loses, the retry lands on top of a's snapshot.
  DataFile fb = WriteData(**b, "b.parquet", 100, 13);
  auto delta = (*b)->NewRowDelta();
  delta->AddRows(fb).AddDeletes(
      DeleteFile(**b, "eq.parquet", DataFileContent::kEqualityDeletes, 4, 50));
  Status st = delta->Commit();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(delta->attempts(), 2);

  auto loaded = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(loaded.ok());
  const TableMetadata& md = (*loaded)->metadata();
  const Snapshot& head = *md.CurrentSnapshot();
  EXPECT_EQ(head.parent_snapshot_id, append_a->committed_snapshot()->snapshot_id);
  EXPECT_EQ(head.sequence_number, 2);
  EXPECT_EQ(Summary(head, "total-records"), "24");
  EXPECT_EQ(Summary(head, "total-data-files"), "2");
  EXPECT_EQ(Summary(head, "total-delete-files"), "1");
  EXPECT_EQ(Summary(head, "total-equality-deletes"), "4");
  auto manifests = ReadCurrent(&io_, md);
  ASSERT_EQ(manifests.size(), 3u);
  EXPECT_EQ(manifests[1].first.content, ManifestContent::kDeletes);
  ASSERT_EQ(manifests[1].second.size(), 1u);
  EXPECT_EQ(manifests[1].second[0].sequence_number, 2);
  EXPECT_EQ(manifests[2].second.at(0).data_file.file_path, fa.file_path);
  EXPECT_EQ(manifests[2].second.at(0).sequence_number, 1);
  EXPECT_EQ(MetadataJsonFiles(**loaded).size(), 3u);
}

TEST_F(IcebergTableTest, OverwriteMarksEveryLiveFileDeleted) {
  auto table = CreateEvents();
  ASSERT_NE(table, nullptr);
  DataFile f1 = WriteData(*table, "f1.parquet", 0, 10);
  auto append = table->NewFastAppend();
  append->AppendFile(f1);
  ASSERT_TRUE(append->Commit().ok());
  DataFile f2 = WriteData(*table, "f2.parquet", 10, 5);
  DataFile pos = DeleteFile(*table, "pos.parquet", DataFileContent::kPositionDeletes, 2, 300);
  auto delta = table->NewRowDelta();
  delta->AddRows(f2).AddDeletes(pos);
  ASSERT_TRUE(delta->Commit().ok());

  DataFile f3 = WriteData(*table, "f3.parquet", 100, 7);
  auto overwrite = table->NewOverwrite();
  overwrite->AddFile(f3).Set("nilus.load-id", "O");
  Status st = overwrite->Commit();
  ASSERT_TRUE(st.ok()) << st.ToString();
  const int64_t overwrite_id = overwrite->committed_snapshot()->snapshot_id;

  auto loaded = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(loaded.ok());
  const TableMetadata& md = (*loaded)->metadata();
  const Snapshot& head = *md.CurrentSnapshot();
  EXPECT_EQ(head.snapshot_id, overwrite_id);
  EXPECT_EQ(head.sequence_number, 3);
  EXPECT_EQ(head.operation(), "overwrite");
  EXPECT_EQ(Summary(head, "added-data-files"), "1");
  EXPECT_EQ(Summary(head, "added-records"), "7");
  EXPECT_EQ(Summary(head, "deleted-data-files"), "2");
  EXPECT_EQ(Summary(head, "deleted-records"), "15");
  EXPECT_EQ(Summary(head, "removed-delete-files"), "1");
  EXPECT_EQ(Summary(head, "removed-position-deletes"), "2");
  EXPECT_EQ(Summary(head, "removed-files-size"),
            std::to_string(f1.file_size_in_bytes + f2.file_size_in_bytes + 300));
  EXPECT_EQ(Summary(head, "total-data-files"), "1");
  EXPECT_EQ(Summary(head, "total-records"), "7");
  EXPECT_EQ(Summary(head, "total-delete-files"), "0");
  EXPECT_EQ(Summary(head, "total-position-deletes"), "0");
  EXPECT_EQ(Summary(head, "total-equality-deletes"), "0");
  EXPECT_EQ(Summary(head, "total-files-size"), std::to_string(f3.file_size_in_bytes));

  // The new data manifest, then one DELETED manifest per content; the old manifests are gone.
  auto manifests = ReadCurrent(&io_, md);
  ASSERT_EQ(manifests.size(), 3u);
  EXPECT_EQ(manifests[0].first.content, ManifestContent::kData);
  ASSERT_EQ(manifests[0].second.size(), 1u);
  EXPECT_EQ(manifests[0].second[0].status, ManifestEntryStatus::kAdded);
  EXPECT_EQ(manifests[0].second[0].sequence_number, 3);
  EXPECT_EQ(manifests[0].second[0].data_file.file_path, f3.file_path);

  EXPECT_EQ(manifests[1].first.content, ManifestContent::kData);
  EXPECT_EQ(manifests[1].first.deleted_files_count, 2);
  EXPECT_EQ(manifests[1].first.deleted_rows_count, 15);
  EXPECT_EQ(manifests[1].first.added_snapshot_id, overwrite_id);
  std::map<std::string, std::pair<int64_t, int64_t>> deleted;  // path -> (data seq, file seq)
  for (const ManifestEntry& e : manifests[1].second) {
    EXPECT_EQ(e.status, ManifestEntryStatus::kDeleted);
    EXPECT_EQ(e.snapshot_id, overwrite_id);
    deleted[e.data_file.file_path] = {e.sequence_number.value_or(-1),
                                      e.file_sequence_number.value_or(-1)};
  }
  std::map<std::string, std::pair<int64_t, int64_t>> want = {{f1.file_path, {1, 1}},
                                                             {f2.file_path, {2, 2}}};
  EXPECT_EQ(deleted, want);

  EXPECT_EQ(manifests[2].first.content, ManifestContent::kDeletes);
  ASSERT_EQ(manifests[2].second.size(), 1u);
  EXPECT_EQ(manifests[2].second[0].status, ManifestEntryStatus::kDeleted);
  EXPECT_EQ(manifests[2].second[0].sequence_number, 2);
  EXPECT_EQ(manifests[2].second[0].file_sequence_number, 2);
  EXPECT_EQ(manifests[2].second[0].data_file.file_path, pos.file_path);

  // A second overwrite deletes only f3: entries already DELETED are not carried on.
  auto again = table->NewOverwrite();
  ASSERT_TRUE(again->Commit().ok());
  auto after = ReadCurrent(&io_, table->metadata());
  ASSERT_EQ(after.size(), 1u);
  ASSERT_EQ(after[0].second.size(), 1u);
  EXPECT_EQ(after[0].second[0].data_file.file_path, f3.file_path);
  EXPECT_EQ(after[0].second[0].status, ManifestEntryStatus::kDeleted);
  EXPECT_EQ(after[0].second[0].sequence_number, 3);
  EXPECT_EQ(Summary(*table->metadata().CurrentSnapshot(), "total-data-files"), "0");
  EXPECT_EQ(Summary(*table->metadata().CurrentSnapshot(), "total-records"), "0");
}

TEST_F(IcebergTableTest, ConflictingOverwriteDeletesFilesOfTheNewState) {
  auto creator = CreateEvents();
  ASSERT_NE(creator, nullptr);
  DataFile f0 = WriteData(*creator, "f0.parquet", 0, 3);
  auto first = creator->NewFastAppend();
  first->AppendFile(f0);
  ASSERT_TRUE(first->Commit().ok());

  auto a = catalog_->LoadTable("db", "events");
  auto b = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(a.ok() && b.ok());
  DataFile fa = WriteData(**a, "a.parquet", 10, 11);
  auto append_a = (*a)->NewFastAppend();
  append_a->AppendFile(fa);
  ASSERT_TRUE(append_a->Commit().ok());

  // b's first attempt would delete f0 only; the retry must delete a's file as well.
  DataFile fb = WriteData(**b, "b.parquet", 100, 13);
  auto overwrite = (*b)->NewOverwrite();
  overwrite->AddFile(fb);
  Status st = overwrite->Commit();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(overwrite->attempts(), 2);

  auto loaded = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(loaded.ok());
  const TableMetadata& md = (*loaded)->metadata();
  const Snapshot& head = *md.CurrentSnapshot();
  EXPECT_EQ(head.parent_snapshot_id, append_a->committed_snapshot()->snapshot_id);
  EXPECT_EQ(Summary(head, "deleted-data-files"), "2");
  EXPECT_EQ(Summary(head, "deleted-records"), "14");
  EXPECT_EQ(Summary(head, "total-data-files"), "1");
  EXPECT_EQ(Summary(head, "total-records"), "13");
  std::map<std::string, int64_t> live;
  std::map<std::string, int64_t> deleted;
  for (const auto& [m, entries] : ReadCurrent(&io_, md)) {
    for (const ManifestEntry& e : entries) {
      (e.status == ManifestEntryStatus::kDeleted ? deleted : live)[e.data_file.file_path] =
          e.sequence_number.value_or(-1);
    }
  }
  EXPECT_EQ(live, (std::map<std::string, int64_t>{{fb.file_path, 3}}));
  EXPECT_EQ(deleted, (std::map<std::string, int64_t>{{f0.file_path, 1}, {fa.file_path, 2}}));

  // The lost attempt's DELETED manifest, manifest list and metadata file were removed.
  auto all = io_.List(md.location + "/metadata");
  ASSERT_TRUE(all.ok());
  int lists = 0;
  for (const FileInfo& f : *all) {
    lists += f.path.find("/snap-") != std::string::npos;
    EXPECT_EQ(f.path.find("-a1-"), std::string::npos) << f.path;
  }
  EXPECT_EQ(lists, 3);
  EXPECT_EQ(MetadataJsonFiles(**loaded).size(), 4u);
}

}  // namespace
}  // namespace nilus::iceberg
