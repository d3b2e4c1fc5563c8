// Crash safety of commits: a writer process that dies at any point of a commit (after a data
// file, a manifest, the manifest list or the new metadata file was published, but before the
// catalog swap) leaves the table at its previous snapshot and leaves only orphans, exactly the
// files it wrote, which RemoveOrphanFiles deletes without touching anything reachable; the next
// commit succeeds. The crash is real: a forked child commits through a FileIO that calls
// _exit() right after publishing the chosen file, so no destructor or cleanup code runs.
//
// Also: a torn write injected at every write point of a row delta (data and delete manifests,
// manifest list, metadata file, version hint) leaves the table readable at its previous
// snapshot and without leftovers, and the next commit succeeds. (table_test.cc covers failed
// writes and closes of fast appends.)

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/column_batch.h"
#include "core/thread_pool.h"
#include "formats/parquet/writer.h"
#include "iceberg/file_writers.h"
#include "iceberg/maintenance.h"
#include "iceberg/manifest.h"
#include "iceberg/manifest_list.h"
#include "iceberg/table.h"
#include "storage/fault_injection_file_io.h"
#include "storage/local_file_io.h"

namespace nilus::iceberg {
namespace {

// The exit code of a child that crashed where it was told to.
constexpr int kCrashedExitCode = 77;

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Publishes like the stream it wraps, then ends the process when told to.
class CrashAfterCloseStream : public OutputStream {
 public:
  CrashAfterCloseStream(std::unique_ptr<OutputStream> base, bool crash)
      : base_(std::move(base)), crash_(crash) {}
  Status Write(const void* data, size_t size) override { return base_->Write(data, size); }
  int64_t Tell() const override { return base_->Tell(); }
  Status Close() override {
    Status st = base_->Close();
    if (st.ok() && crash_) ::_exit(kCrashedExitCode);
    return st;
  }
  void Abort() override { base_->Abort(); }
  const std::string& path() const override { return base_->path(); }

 private:
  std::unique_ptr<OutputStream> base_;
  bool crash_;
};

// A FileIO that dies (_exit) right after the `nth` file whose path ends in `suffix` was
// published. Everything else goes to `base`.
class CrashingFileIO : public FileIO {
 public:
  CrashingFileIO(FileIO* base, std::string suffix, int nth)
      : base_(base), suffix_(std::move(suffix)), nth_(nth) {}

  Result<std::unique_ptr<OutputStream>> NewOutputStream(
      const std::string& path, CreateMode mode = CreateMode::kOverwrite) override {
    NILUS_ASSIGN_OR_RAISE(auto stream, base_->NewOutputStream(path, mode));
    const bool crash = EndsWith(path, suffix_) && ++seen_ == nth_;
    return std::unique_ptr<OutputStream>(new CrashAfterCloseStream(std::move(stream), crash));
  }
  Result<std::unique_ptr<InputFile>> OpenInputFile(const std::string& path) override {
    return base_->OpenInputFile(path);
  }
  Result<bool> Exists(const std::string& path) override { return base_->Exists(path); }
  Status Delete(const std::string& path) override { return base_->Delete(path); }
  Result<std::vector<FileInfo>> List(const std::string& prefix) override {
    return base_->List(prefix);
  }

 private:
  FileIO* base_;
  std::string suffix_;
  int nth_;
  std::atomic<int> seen_{0};
};

SchemaPtr CrashSchema() {
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

bool SameCounts(const SnapshotFileCounts& a, const SnapshotFileCounts& b) {
  return a.manifests == b.manifests && a.data_files == b.data_files &&
         a.delete_files == b.delete_files && a.data_records == b.data_records &&
         a.delete_records == b.delete_records && a.total_bytes == b.total_bytes;
}

// Writes rows first_id .. first_id+rows-1 as a data file of `table` through `io`.
Result<DataFile> WriteRows(FileIO* io, const Table& table, const std::string& name,
                           int64_t first_id, int rows, parquet::ParquetWriterOptions options = {}) {
  SchemaPtr schema = table.metadata().schemas.at(0);
  NILUS_ASSIGN_OR_RAISE(
      auto writer, parquet::ParquetWriter::Open(io, table.metadata().location + "/data/" + name,
                                                schema, std::move(options)));
  ColumnBatch batch(schema);
  for (int i = 0; i < rows; ++i) {
    batch.mutable_column(0)->AppendInt64(first_id + i);
    batch.mutable_column(1)->AppendBytes("row" + std::to_string(first_id + i));
  }
  NILUS_RETURN_NOT_OK(writer->Write(batch));
  NILUS_ASSIGN_OR_RAISE(auto metrics, writer->Close());
  return DataFileFromParquet(metrics, DataFileContent::kData, {});
}

// The kind of commit the crashing child makes.
enum class CommitKind { kFastAppend, kRowDelta };

// Where the child dies: right after publishing the `nth` file ending in `suffix`.
struct CrashPoint {
  const char* name;
  CommitKind kind;
  const char* suffix;
  int nth;
  // What the crashed commit leaves: files by suffix.
  int parquet;
  int avro;
  int metadata_json;
};

std::ostream& operator<<(std::ostream& os, const CrashPoint& p) { return os << p.name; }

class IcebergCrashSafetyTest : public ::testing::TestWithParam<CrashPoint> {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nilus_icrash_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    catalog_uri_ = "sqlite:///" + dir_ + "/catalog.db";
    auto store = SqlCatalogStore::Open(catalog_uri_, "test");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store.MoveValue();
    ASSERT_TRUE(store_->CreateNamespace("db").ok());
    auto c = Catalog::Make(store_.get(), &io_, Warehouse());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_ = c.MoveValue();
    auto t = catalog_->CreateTable("db", "events", *CrashSchema(), PartitionSpec::Unpartitioned());
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    table_ = t.MoveValue();
    // Two committed snapshots: 10 + 10 rows.
    for (int i = 0; i < 2; ++i) {
      auto file = WriteRows(&io_, *table_, "base-" + std::to_string(i) + ".parquet", i * 10, 10);
      ASSERT_TRUE(file.ok()) << file.status().ToString();
      auto append = table_->NewFastAppend();
      append->AppendFile(file.MoveValue());
      Status st = append->Commit();
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
  }
  void TearDown() override {
    table_.reset();
    catalog_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string Warehouse() const { return dir_ + "/warehouse"; }

  std::set<std::string> AllFiles() {
    std::set<std::string> out;
    auto files = io_.List(table_->metadata().location);
    EXPECT_TRUE(files.ok()) << files.status().ToString();
    if (files.ok()) {
      for (const FileInfo& f : *files) out.insert(f.path);
    }
    return out;
  }

  SnapshotFileCounts Counts(const Table& table) {
    const Snapshot* s = table.metadata().CurrentSnapshot();
    EXPECT_NE(s, nullptr);
    if (s == nullptr) return {};
    auto counts = CountLiveFiles(&io_, *s);
    EXPECT_TRUE(counts.ok()) << counts.status().ToString();
    return counts.ok() ? *counts : SnapshotFileCounts{};
  }

  // In a forked child: opens its own catalog (a store must not cross fork()), then commits one
  // data file of 5 rows (and, for a row delta, a position delete of its row 0 and of row 0 of
  // base-0) through a FileIO that dies at `point`. Returns the child's exit status.
  int CommitInCrashingChild(const CrashPoint& point) {
    const std::string table_location = table_->metadata().location;
    const std::string base0 = table_location + "/data/base-0.parquet";
    pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
      // The process-wide ThreadPool::Default() lost its workers in fork() (only the forking
      // thread survives) and may hold a locked mutex: the child's Parquet writers get a pool of
      // their own.
      ThreadPool pool(1);
      parquet::ParquetWriterOptions options;
      options.pool = &pool;
      LocalFileIO local;
      CrashingFileIO crashing(&local, point.suffix, point.nth);
      auto store = SqlCatalogStore::Open(catalog_uri_, "test");
      if (!store.ok()) ::_exit(10);
      auto catalog = Catalog::Make(store->get(), &crashing, Warehouse());
      if (!catalog.ok()) ::_exit(11);
      auto table = (*catalog)->LoadTable("db", "events");
      if (!table.ok()) ::_exit(12);
      auto file = WriteRows(&crashing, **table, "crashed.parquet", 100, 5, options);
      if (!file.ok()) ::_exit(13);
      Status st;
      if (point.kind == CommitKind::kFastAppend) {
        auto append = (*table)->NewFastAppend();
        append->AppendFile(*file);
        st = append->Commit();
      } else {
        PositionDeleteWriter deletes(&crashing, table_location + "/data/crashed-deletes.parquet",
                                     options);
        deletes.Add(file->file_path, 0);
        deletes.Add(base0, 0);
        auto delete_file = deletes.Close();
        if (!delete_file.ok()) ::_exit(14);
        auto delta = (*table)->NewRowDelta();
        delta->AddRows(*file).AddDeletes(*delete_file);
        st = delta->Commit();
      }
      // Reaching this line means the crash point was never hit.
      ::_exit(st.ok() ? 20 : 21);
    }
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
  }

  std::string dir_;
  std::string catalog_uri_;
  LocalFileIO io_;
  std::unique_ptr<SqlCatalogStore> store_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<Table> table_;
};

TEST_P(IcebergCrashSafetyTest, CrashBeforeCatalogSwapLeavesOnlyOrphans) {
  const CrashPoint& point = GetParam();
  const std::string location_before = table_->metadata_location();
  const int64_t snapshot_before = *table_->metadata().current_snapshot_id;
  const SnapshotFileCounts counts_before = Counts(*table_);
  ASSERT_EQ(counts_before.data_records, 20);
  const std::set<std::string> files_before = AllFiles();
  auto hint_before = io_.ReadFile(table_->metadata().location + "/metadata/version-hint.text");
  ASSERT_TRUE(hint_before.ok());

  ASSERT_EQ(CommitInCrashingChild(point), kCrashedExitCode);

  // The files the crashed commit left.
  std::vector<std::string> crashed;
  for (const std::string& f : AllFiles()) {
    if (files_before.count(f) == 0) crashed.push_back(f);
  }
  int parquet = 0, avro = 0, metadata_json = 0;
  for (const std::string& f : crashed) {
    parquet += EndsWith(f, ".parquet");
    avro += EndsWith(f, ".avro");
    metadata_json += EndsWith(f, ".metadata.json");
  }
  EXPECT_EQ(parquet, point.parquet) << ::testing::PrintToString(crashed);
  EXPECT_EQ(avro, point.avro) << ::testing::PrintToString(crashed);
  EXPECT_EQ(metadata_json, point.metadata_json) << ::testing::PrintToString(crashed);
  EXPECT_EQ(crashed.size(), size_t(point.parquet + point.avro + point.metadata_json));
  for (const std::string& f : files_before) EXPECT_TRUE(*io_.Exists(f)) << f;

  // When the metadata file was published, it is the child's commit, complete: its snapshot
  // names the crashed manifest list, which names the crashed manifests, which name the crashed
  // data (and delete) files. So the orphans below are that commit's files and nothing else.
  if (point.metadata_json == 1) {
    auto it = std::find_if(crashed.begin(), crashed.end(),
                           [](const std::string& f) { return EndsWith(f, ".metadata.json"); });
    ASSERT_NE(it, crashed.end());
    auto md = ReadTableMetadata(&io_, *it);
    ASSERT_TRUE(md.ok()) << md.status().ToString();
    const Snapshot* s = md->CurrentSnapshot();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->parent_snapshot_id, snapshot_before);
    std::set<std::string> named = {NormalizeFilePath(*it), NormalizeFilePath(s->manifest_list)};
    auto manifests = ReadManifestList(&io_, s->manifest_list);
    ASSERT_TRUE(manifests.ok()) << manifests.status().ToString();
    for (const ManifestFile& m : *manifests) {
      auto entries = ReadManifest(&io_, m);
      ASSERT_TRUE(entries.ok()) << entries.status().ToString();
      if (m.added_snapshot_id != s->snapshot_id) continue;  // the parent's manifests
      named.insert(NormalizeFilePath(m.manifest_path));
      for (const ManifestEntry& e : *entries)
        named.insert(NormalizeFilePath(e.data_file.file_path));
    }
    std::set<std::string> crashed_set;
    for (const std::string& f : crashed) crashed_set.insert(NormalizeFilePath(f));
    EXPECT_EQ(named, crashed_set);
  }

  // The catalog still points at the previous metadata; the table reads as before.
  auto pointer = store_->LoadTable("db", "events");
  ASSERT_TRUE(pointer.ok());
  EXPECT_EQ(*pointer, location_before);
  auto loaded = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->metadata_location(), location_before);
  EXPECT_EQ((*loaded)->metadata().current_snapshot_id, snapshot_before);
  EXPECT_TRUE(SameCounts(Counts(**loaded), counts_before));
  auto hint_after = io_.ReadFile((*loaded)->metadata().location + "/metadata/version-hint.text");
  ASSERT_TRUE(hint_after.ok());
  EXPECT_EQ(*hint_after, *hint_before);

  // The orphans are exactly the crashed commit's files.
  auto orphans = FindOrphanFiles(**loaded, AnyAge());
  ASSERT_TRUE(orphans.ok()) << orphans.status().ToString();
  EXPECT_EQ(*orphans, crashed);

  // The next commit succeeds, on top of the previous snapshot, with the orphans still there
  // (it writes the same metadata version number, under another name).
  auto next_file = WriteRows(&io_, **loaded, "after-crash.parquet", 200, 7);
  ASSERT_TRUE(next_file.ok()) << next_file.status().ToString();
  auto append = (*loaded)->NewFastAppend();
  append->AppendFile(next_file.MoveValue());
  Status committed = append->Commit();
  ASSERT_TRUE(committed.ok()) << committed.ToString();
  EXPECT_EQ((*loaded)->metadata().CurrentSnapshot()->parent_snapshot_id, snapshot_before);
  const SnapshotFileCounts counts_after = Counts(**loaded);
  EXPECT_EQ(counts_after.data_records, 27);
  EXPECT_EQ(counts_after.delete_files, 0);

  // Orphan removal deletes exactly the crashed files, nothing reachable.
  auto removed = RemoveOrphanFiles(**loaded, AnyAge());
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(removed->removed, crashed);
  EXPECT_TRUE(removed->failed.empty()) << ::testing::PrintToString(removed->failed);
  for (const std::string& f : crashed) EXPECT_FALSE(*io_.Exists(f)) << f;
  for (const std::string& f : files_before) EXPECT_TRUE(*io_.Exists(f)) << "removed: " << f;
  auto reachable = ReachableFiles(**loaded);
  ASSERT_TRUE(reachable.ok()) << reachable.status().ToString();
  for (const std::string& f : *reachable) EXPECT_TRUE(*io_.Exists(f)) << "reachable gone: " << f;
  auto again = FindOrphanFiles(**loaded, AnyAge());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty()) << ::testing::PrintToString(*again);

  // A fresh load still reads every row.
  auto reloaded = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  EXPECT_TRUE(SameCounts(Counts(**reloaded), counts_after));
}

INSTANTIATE_TEST_SUITE_P(
    CrashPoints, IcebergCrashSafetyTest,
    ::testing::Values(
        // Right after the data file, before any metadata.
        CrashPoint{"AppendAfterDataFile", CommitKind::kFastAppend, ".parquet", 1, 1, 0, 0},
        CrashPoint{"AppendAfterManifest", CommitKind::kFastAppend, ".avro", 1, 1, 1, 0},
        CrashPoint{"AppendAfterManifestList", CommitKind::kFastAppend, ".avro", 2, 1, 2, 0},
        // The new metadata file is published; the catalog swap never happens.
        CrashPoint{"AppendAfterMetadata", CommitKind::kFastAppend, ".metadata.json", 1, 1, 2, 1},
        CrashPoint{"RowDeltaAfterDeleteFile", CommitKind::kRowDelta, ".parquet", 2, 2, 0, 0},
        CrashPoint{"RowDeltaAfterMetadata", CommitKind::kRowDelta, ".metadata.json", 1, 2, 3, 1}),
    [](const ::testing::TestParamInfo<CrashPoint>& info) { return std::string(info.param.name); });

// A torn write at each write point of a row delta's commit fails the commit (except the
// best-effort version hint), leaves the table at its previous snapshot with no file left
// behind, and the same row delta, made again, succeeds.
TEST(IcebergCrashSafety, TornWriteAtEveryRowDeltaWritePoint) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "nilus_itorn_XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::string dir = tmpl;
  LocalFileIO io;
  FaultInjectionFileIO faulty(&io);
  {
    auto store = SqlCatalogStore::Open("sqlite:///" + dir + "/catalog.db", "test");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->CreateNamespace("db").ok());
    auto catalog = Catalog::Make(store->get(), &io, dir + "/warehouse");
    ASSERT_TRUE(catalog.ok());
    auto fault_catalog = Catalog::Make(store->get(), &faulty, dir + "/warehouse");
    ASSERT_TRUE(fault_catalog.ok());
    auto created =
        (*catalog)->CreateTable("db", "events", *CrashSchema(), PartitionSpec::Unpartitioned());
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    auto first = WriteRows(&io, **created, "first.parquet", 0, 10);
    ASSERT_TRUE(first.ok());
    const std::string first_path = first->file_path;
    auto append = (*created)->NewFastAppend();
    append->AppendFile(*first);
    ASSERT_TRUE(append->Commit().ok());

    int file_no = 0;
    // One row delta through `faulty`: a new data file and a position delete of row `k` of
    // first.parquet.
    auto row_delta = [&](Table* t, int64_t k) {
      auto data = WriteRows(&io, *t, "d" + std::to_string(file_no) + ".parquet", 100, 3);
      PositionDeleteWriter deletes(
          &io, t->metadata().location + "/data/del" + std::to_string(file_no++) + ".parquet");
      deletes.Add(first_path, k);
      auto delete_file = deletes.Close();
      EXPECT_TRUE(data.ok() && delete_file.ok());
      auto delta = t->NewRowDelta();
      delta->AddRows(*data).AddDeletes(*delete_file).ValidateDataFilesExist({first_path});
      return delta->Commit();
    };

    auto t = (*fault_catalog)->LoadTable("db", "events");
    ASSERT_TRUE(t.ok());
    const int64_t writes_before = faulty.num_writes();
    ASSERT_TRUE(row_delta(t->get(), 0).ok());
    const int64_t writes_per_commit = faulty.num_writes() - writes_before;
    // Data manifest, delete manifest, manifest list, metadata file, version hint.
    ASSERT_GE(writes_per_commit, 5);
    int64_t committed_deletes = 1;

    for (int64_t k = 1; k <= writes_per_commit; ++k) {
      SCOPED_TRACE("torn write " + std::to_string(k));
      auto table = (*fault_catalog)->LoadTable("db", "events");
      ASSERT_TRUE(table.ok());
      const std::string location_before = (*table)->metadata_location();
      const SnapshotFileCounts before =
          *CountLiveFiles(&io, *(*table)->metadata().CurrentSnapshot());
      faulty.TruncateWrite(faulty.num_writes() + k, 3);
      Status st = row_delta(table->get(), k);
      faulty.Disarm();
      const bool hint_write = k == writes_per_commit;
      EXPECT_EQ(st.ok(), hint_write) << st.ToString();

      auto loaded = (*catalog)->LoadTable("db", "events");
      ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
      const SnapshotFileCounts after =
          *CountLiveFiles(&io, *(*loaded)->metadata().CurrentSnapshot());
      if (hint_write) {
        ++committed_deletes;
        EXPECT_EQ(after.data_files, before.data_files + 1);
        EXPECT_EQ(after.delete_records, before.delete_records + 1);
        // The hint is missing or torn; readers that rely on it are the catalog's business.
      } else {
        EXPECT_EQ((*loaded)->metadata_location(), location_before);
        EXPECT_TRUE(SameCounts(after, before));
        // Only the data and delete files the caller wrote (not committed) are left over.
        auto orphans = FindOrphanFiles(**loaded, AnyAge());
        ASSERT_TRUE(orphans.ok()) << orphans.status().ToString();
        EXPECT_EQ(orphans->size(), 2u) << ::testing::PrintToString(*orphans);
        for (const std::string& f : *orphans) EXPECT_TRUE(EndsWith(f, ".parquet")) << f;
        auto removed = RemoveOrphanFiles(**loaded, AnyAge());
        ASSERT_TRUE(removed.ok());
        // The same change, made again without faults, succeeds.
        Status retry = row_delta(loaded->get(), k);
        ASSERT_TRUE(retry.ok()) << retry.ToString();
        ++committed_deletes;
      }
      auto final_state = (*catalog)->LoadTable("db", "events");
      ASSERT_TRUE(final_state.ok()) << final_state.status().ToString();
      const SnapshotFileCounts now =
          *CountLiveFiles(&io, *(*final_state)->metadata().CurrentSnapshot());
      EXPECT_EQ(now.delete_records, committed_deletes);
      EXPECT_EQ(now.data_records, 10 + 3 * committed_deletes);
    }
    EXPECT_EQ(faulty.num_faults(), writes_per_commit);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nilus::iceberg
