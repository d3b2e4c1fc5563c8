#include "iceberg/expire_snapshots.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "core/column_batch.h"
#include "formats/parquet/reader.h"
#include "formats/parquet/writer.h"
#include "iceberg/file_writers.h"
#include "iceberg/maintenance.h"
#include "iceberg/manifest.h"
#include "iceberg/manifest_list.h"
#include "storage/local_file_io.h"

namespace nilus::iceberg {
namespace {

constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;

// ------------------------------------------------------------------------------------------
// Pure functions on hand-built metadata.

Snapshot Snap(int64_t id, std::optional<int64_t> parent, int64_t ts) {
  Snapshot s;
  s.snapshot_id = id;
  s.parent_snapshot_id = parent;
  s.sequence_number = id;
  s.timestamp_ms = ts;
  s.manifest_list = "m/snap-" + std::to_string(id) + ".avro";
  return s;
}

// main: 1 <- 2 <- 3 <- 4 <- 5 (current), snapshot k at k days; the log names all five.
TableMetadata Chain() {
  TableMetadata md;
  for (int64_t id = 1; id <= 5; ++id) {
    md.snapshots.push_back(
        Snap(id, id == 1 ? std::nullopt : std::optional<int64_t>(id - 1), id * kDayMs));
    md.snapshot_log.push_back({id * kDayMs, id});
  }
  md.last_sequence_number = 5;
  md.current_snapshot_id = 5;
  md.refs[std::string(kMainBranch)] = SnapshotRef::Branch(5);
  return md;
}

ExpirePolicy Policy(int64_t cutoff_ms, int32_t retain_last) {
  ExpirePolicy p;
  p.now_ms = 100 * kDayMs;
  p.cutoff_ms = cutoff_ms;
  p.retain_last = retain_last;
  return p;
}

TEST(IcebergExpireSelectTest, AgeCutoffAndRetainLast) {
  TableMetadata md = Chain();
  // Everything old: only the newest `retain_last` of main stay.
  EXPECT_EQ(SelectExpiredSnapshots(md, Policy(100 * kDayMs, 1)),
            (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(SelectExpiredSnapshots(md, Policy(100 * kDayMs, 3)), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(SelectExpiredSnapshots(md, Policy(100 * kDayMs, 9)), (std::vector<int64_t>{}));
  // Snapshots at or after the cutoff stay; retain_last keeps more when it reaches further.
  EXPECT_EQ(SelectExpiredSnapshots(md, Policy(3 * kDayMs, 1)), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(SelectExpiredSnapshots(md, Policy(3 * kDayMs, 4)), (std::vector<int64_t>{1}));
  // Nothing old enough.
  EXPECT_EQ(SelectExpiredSnapshots(md, Policy(0, 1)), (std::vector<int64_t>{}));
  // The current snapshot stays even when it is old and retain_last would allow less.
  EXPECT_EQ(SelectExpiredSnapshots(md, Policy(100 * kDayMs, 1)).size(), 4u);
}

TEST(IcebergExpireSelectTest, RefsProtectSnapshots) {
  TableMetadata md = Chain();
  SnapshotRef tag;
  tag.snapshot_id = 2;
  tag.type = SnapshotRefType::kTag;
  md.refs["v1"] = tag;
  // A branch off 3 with its own snapshot 6, and a branch that keeps 2 snapshots of its own.
  md.snapshots.push_back(Snap(6, 3, 6 * kDayMs));
  md.refs["audit"] = SnapshotRef::Branch(6);
  EXPECT_EQ(SelectExpiredSnapshots(md, Policy(100 * kDayMs, 1)), (std::vector<int64_t>{1, 3, 4}));
  md.refs["audit"].min_snapshots_to_keep = 2;
  EXPECT_EQ(SelectExpiredSnapshots(md, Policy(100 * kDayMs, 1)), (std::vector<int64_t>{1, 4}));
  // A branch's own max age replaces the cutoff for that branch only.
  md.refs["audit"].min_snapshots_to_keep.reset();
  md.refs["audit"].max_snapshot_age_ms = 100 * kDayMs;  // everything on it is young
  EXPECT_EQ(SelectExpiredSnapshots(md, Policy(100 * kDayMs, 1)), (std::vector<int64_t>{4}));
}

TEST(IcebergExpireSelectTest, UnreferencedSnapshotsGoByAgeOnly) {
  TableMetadata md = Chain();
  // A staged snapshot no ref reaches.
  md.snapshots.push_back(Snap(7, 2, 7 * kDayMs));
  EXPECT_EQ(SelectExpiredSnapshots(md, Policy(7 * kDayMs, 1)), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(SelectExpiredSnapshots(md, Policy(8 * kDayMs, 1)),
            (std::vector<int64_t>{1, 2, 3, 4, 7}));
}

TEST(IcebergExpireSelectTest, EmptyTableExpiresNothing) {
  TableMetadata md;
  EXPECT_TRUE(SelectExpiredSnapshots(md, Policy(100 * kDayMs, 1)).empty());
}

TEST(IcebergExpireSelectTest, RemoveSnapshotsPrunesTheLogLikeJava) {
  TableMetadata md = Chain();
  auto next = RemoveSnapshots(md, {1, 2});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ASSERT_EQ(next->snapshots.size(), 3u);
  EXPECT_EQ(next->snapshots[0].snapshot_id, 3);
  ASSERT_EQ(next->snapshot_log.size(), 3u);
  EXPECT_EQ(next->snapshot_log.front().snapshot_id, 3);
  EXPECT_EQ(next->snapshot_log.back().snapshot_id, 5);

  // Removing a snapshot in the middle drops the history before it as well: [3, 5] would claim
  // 3 was current while 4 was.
  md.snapshot_log.push_back({6 * kDayMs, 3});  // a rollback to 3 logged after 5
  md.current_snapshot_id = 3;
  md.refs[std::string(kMainBranch)] = SnapshotRef::Branch(3);
  next = RemoveSnapshots(md, {4});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ASSERT_EQ(next->snapshot_log.size(), 2u);
  EXPECT_EQ(next->snapshot_log[0].snapshot_id, 5);
  EXPECT_EQ(next->snapshot_log[1].snapshot_id, 3);
}

TEST(IcebergExpireSelectTest, RemoveSnapshotsRefusesCurrentAndReferenced) {
  TableMetadata md = Chain();
  EXPECT_EQ(RemoveSnapshots(md, {5}).status().code(), StatusCode::kInvalidArgument);
  SnapshotRef tag;
  tag.snapshot_id = 2;
  tag.type = SnapshotRefType::kTag;
  md.refs["v1"] = tag;
  auto st = RemoveSnapshots(md, {2}).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("v1"), std::string::npos) << st.ToString();
}

TEST(IcebergExpireSelectTest, PolicyDefaultsComeFromTableProperties) {
  TableMetadata md;
  ExpireSnapshotsOptions o;
  o.now = std::chrono::system_clock::time_point(std::chrono::milliseconds(100 * kDayMs));
  auto p = ResolveExpirePolicy(md, o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->now_ms, 100 * kDayMs);
  EXPECT_EQ(p->cutoff_ms, 95 * kDayMs);  // 5 days
  EXPECT_EQ(p->retain_last, 1);

  md.properties[std::string(kMaxSnapshotAgeMs)] = std::to_string(2 * kDayMs);
  md.properties[std::string(kMinSnapshotsToKeep)] = "4";
  p = ResolveExpirePolicy(md, o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->cutoff_ms, 98 * kDayMs);
  EXPECT_EQ(p->retain_last, 4);

  // Options win over properties.
  o.older_than = std::chrono::milliseconds(kDayMs);
  o.retain_last = 2;
  p = ResolveExpirePolicy(md, o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->cutoff_ms, 99 * kDayMs);
  EXPECT_EQ(p->retain_last, 2);

  o.retain_last = 0;
  EXPECT_EQ(ResolveExpirePolicy(md, o).status().code(), StatusCode::kInvalidArgument);
  o.retain_last = 1;
  o.older_than = std::chrono::milliseconds(-1);
  EXPECT_EQ(ResolveExpirePolicy(md, o).status().code(), StatusCode::kInvalidArgument);
  ExpireSnapshotsOptions defaults;
  md.properties[std::string(kMinSnapshotsToKeep)] = "many";
  EXPECT_EQ(ResolveExpirePolicy(md, defaults).status().code(), StatusCode::kInvalidArgument);
}

// ------------------------------------------------------------------------------------------
// Real tables in a SQLite catalog on the local file system.

SchemaPtr ExpireSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "name", Type::String()),
  });
}

// Passes everything to LocalFileIO; runs a hook before the first metadata file is written
// after it was armed, and fails deletes of chosen paths.
class HookFileIO : public FileIO {
 public:
  explicit HookFileIO(FileIO* base) : base_(base) {}
  void ArmBeforeMetadataWrite(std::function<void()> hook) { hook_ = std::move(hook); }
  void FailDelete(std::string path) { fail_delete_.insert(std::move(path)); }
  bool hook_fired() const { return fired_; }

  Result<std::unique_ptr<OutputStream>> NewOutputStream(const std::string& path,
                                                        CreateMode mode) override {
    if (hook_ && path.ends_with(".metadata.json")) {
      auto hook = std::move(hook_);
      hook_ = nullptr;
      fired_ = true;
      hook();
    }
    return base_->NewOutputStream(path, mode);
  }
  Result<std::unique_ptr<InputFile>> OpenInputFile(const std::string& path) override {
    return base_->OpenInputFile(path);
  }
  Result<bool> Exists(const std::string& path) override { return base_->Exists(path); }
  Status Delete(const std::string& path) override {
    if (fail_delete_.count(path) > 0) return Status::IOError("injected delete failure");
    return base_->Delete(path);
  }
  Result<std::vector<FileInfo>> List(const std::string& prefix) override {
    return base_->List(prefix);
  }

 private:
  FileIO* base_;
  std::function<void()> hook_;
  bool fired_ = false;
  std::set<std::string> fail_delete_;
};

bool OnDisk(const std::string& path) { return std::filesystem::exists(NormalizeFilePath(path)); }

std::set<std::string> Normalized(const std::vector<std::string>& paths) {
  std::set<std::string> out;
  for (const auto& p : paths) out.insert(NormalizeFilePath(p));
  return out;
}

class IcebergExpireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nilus_iexp_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = SqlCatalogStore::Open("sqlite:///" + dir_ + "/catalog.db", "test");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store.MoveValue();
    ASSERT_TRUE(store_->CreateNamespace("db").ok());
    auto c = Catalog::Make(store_.get(), &io_, dir_ + "/warehouse/");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_ = c.MoveValue();
    auto hc = Catalog::Make(store_.get(), &hook_io_, dir_ + "/warehouse/");
    ASSERT_TRUE(hc.ok()) << hc.status().ToString();
    hook_catalog_ = hc.MoveValue();
    base_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count() -
               100 * kDayMs;
  }
  void TearDown() override {
    hook_catalog_.reset();
    catalog_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Table> Create(std::map<std::string, std::string> props = {}) {
    auto t = catalog_->CreateTable("db", "events", *ExpireSchema(), PartitionSpec::Unpartitioned(),
                                   std::move(props));
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t.MoveValue() : nullptr;
  }

  std::unique_ptr<Table> Load(Catalog* catalog = nullptr) {
    auto t = (catalog ? catalog : catalog_.get())->LoadTable("db", "events");
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t.MoveValue() : nullptr;
  }

  DataFile WriteData(const Table& table, int64_t first_id, int rows) {
    SchemaPtr schema = table.metadata().schemas.at(0);
    const std::string path =
        table.metadata().location + "/data/part-" + std::to_string(next_file_++) + ".parquet";
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

  // One fast append of a 10-row file; returns the file.
  DataFile Append(Table* table) {
    const int64_t first = next_id_;
    next_id_ += 10;
    DataFile f = WriteData(*table, first, 10);
    auto append = table->NewFastAppend();
    append->AppendFile(f);
    Status st = append->Commit();
    EXPECT_TRUE(st.ok()) << st.ToString();
    return f;
  }

  // Moves every snapshot (and its log entries) to base_ms_ + k days, k = 1, 2, ... in commit
  // order: a history that took days, without waiting for it.
  void Backdate(Table* table) {
    Status st = table->CommitMetadataChange(
        "backdate", [&](const TableMetadata& base) -> Result<TableMetadata> {
          TableMetadata next = base;
          std::map<int64_t, int64_t> ts;
          for (size_t i = 0; i < next.snapshots.size(); ++i) {
            next.snapshots[i].timestamp_ms = base_ms_ + static_cast<int64_t>(i + 1) * kDayMs;
            ts[next.snapshots[i].snapshot_id] = next.snapshots[i].timestamp_ms;
          }
          for (auto& e : next.snapshot_log) e.timestamp_ms = ts.at(e.snapshot_id);
          return next;
        });
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  // Options with the clock at base_ms_ + `now_days`.
  ExpireSnapshotsOptions At(double now_days, double older_than_days,
                            std::optional<int> retain_last = std::nullopt) {
    ExpireSnapshotsOptions o;
    o.now = std::chrono::system_clock::time_point(std::chrono::milliseconds(
        base_ms_ + static_cast<int64_t>(now_days * static_cast<double>(kDayMs))));
    o.older_than = std::chrono::milliseconds(
        static_cast<int64_t>(older_than_days * static_cast<double>(kDayMs)));
    o.retain_last = retain_last;
    return o;
  }

  std::vector<int64_t> SnapshotIds(const Table& table) {
    std::vector<int64_t> ids;
    for (const Snapshot& s : table.metadata().snapshots) ids.push_back(s.snapshot_id);
    return ids;
  }

  // The ids of the rows in the live data files of the current snapshot, sorted.
  std::vector<int64_t> CurrentRows(const Table& table) {
    std::vector<int64_t> ids;
    const Snapshot* head = table.metadata().CurrentSnapshot();
    if (head == nullptr) return ids;
    auto manifests = ReadManifestList(&io_, head->manifest_list);
    EXPECT_TRUE(manifests.ok()) << manifests.status().ToString();
    if (!manifests.ok()) return ids;
    for (const ManifestFile& m : *manifests) {
      auto entries = ReadManifest(&io_, m);
      EXPECT_TRUE(entries.ok()) << entries.status().ToString();
      if (!entries.ok()) continue;
      for (const ManifestEntry& e : *entries) {
        if (e.status == ManifestEntryStatus::kDeleted ||
            e.data_file.content != DataFileContent::kData) {
          continue;
        }
        auto reader = parquet::ParquetReader::Open(&io_, e.data_file.file_path, ExpireSchema());
        EXPECT_TRUE(reader.ok()) << reader.status().ToString();
        if (!reader.ok()) continue;
        for (int g = 0; g < (*reader)->num_row_groups(); ++g) {
          auto batch = (*reader)->ReadRowGroup(g);
          EXPECT_TRUE(batch.ok()) << batch.status().ToString();
          if (!batch.ok()) continue;
          for (int64_t i = 0; i < (*batch)->num_rows(); ++i) {
            ids.push_back((*batch)->column(0).Value<int64_t>(i));
          }
        }
      }
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  // Manifest paths (normalized) a snapshot lists.
  std::set<std::string> ManifestsOf(const Snapshot& s) {
    std::set<std::string> out;
    auto manifests = ReadManifestList(&io_, s.manifest_list);
    EXPECT_TRUE(manifests.ok()) << manifests.status().ToString();
    if (manifests.ok()) {
      for (const auto& m : *manifests) out.insert(NormalizeFilePath(m.manifest_path));
    }
    return out;
  }

  // Checks that every file a kept snapshot may read is on disk: every path ReachableFiles
  // names, except data and delete files that kept manifests hold only as DELETED entries
  // (tombstones no reader opens).
  void ExpectKeptFilesExist(const Table& table) {
    auto reachable = ReachableFiles(table);
    ASSERT_TRUE(reachable.ok()) << reachable.status().ToString();
    std::set<std::string> live;
    std::set<std::string> tombstones;
    for (const Snapshot& s : table.metadata().snapshots) {
      auto manifests = ReadManifestList(&io_, s.manifest_list);
      ASSERT_TRUE(manifests.ok()) << manifests.status().ToString();
      for (const ManifestFile& m : *manifests) {
        auto entries = ReadManifest(&io_, m);
        ASSERT_TRUE(entries.ok()) << entries.status().ToString();
        for (const ManifestEntry& e : *entries) {
          (e.status == ManifestEntryStatus::kDeleted ? tombstones : live)
              .insert(NormalizeFilePath(e.data_file.file_path));
        }
      }
    }
    size_t checked = 0;
    for (const std::string& path : *reachable) {
      if (tombstones.count(path) > 0 && live.count(path) == 0) continue;
      EXPECT_TRUE(OnDisk(path)) << "reachable file missing: " << path;
      ++checked;
    }
    EXPECT_GT(checked, 0u);
    for (const std::string& path : live) EXPECT_TRUE(OnDisk(path)) << path;
  }

  // Metadata as the catalog serves it now parses, validates and survives a JSON round trip.
  void ExpectMetadataRoundTrips(const Table& table) {
    auto loaded = Load();
    ASSERT_NE(loaded, nullptr);
    EXPECT_EQ(loaded->metadata_location(), table.metadata_location());
    const TableMetadata& md = loaded->metadata();
    EXPECT_TRUE(md.Validate().ok()) << md.Validate().ToString();
    auto again = TableMetadataFromJson(TableMetadataToJson(md), "round trip");
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(again->snapshots, md.snapshots);
    EXPECT_EQ(again->snapshot_log, md.snapshot_log);
    EXPECT_EQ(again->refs, md.refs);
    EXPECT_EQ(again->current_snapshot_id, md.current_snapshot_id);
    // Every log entry names a snapshot that exists, and the last one is the current snapshot.
    for (const auto& e : md.snapshot_log) EXPECT_NE(md.SnapshotById(e.snapshot_id), nullptr);
    if (!md.snapshot_log.empty()) {
      EXPECT_EQ(md.snapshot_log.back().snapshot_id, md.current_snapshot_id);
    }
  }

  std::string dir_;
  LocalFileIO io_;
  HookFileIO hook_io_{&io_};
  std::unique_ptr<SqlCatalogStore> store_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<Catalog> hook_catalog_;  // the same catalog, over hook_io_
  int64_t base_ms_ = 0;
  int next_file_ = 0;
  int64_t next_id_ = 0;
};

// Six snapshots: two appends, a row delta with a position delete, an overwrite of everything,
// two more appends; snapshot k dated k days after base_ms_.
struct History {
  std::vector<int64_t> ids;
  std::vector<DataFile> replaced;  // data files the overwrite removed
  DataFile pos_delete;
  std::vector<DataFile> live;  // data files of the current snapshot
};

class IcebergExpireHistoryTest : public IcebergExpireTest {
 protected:
  History Build(Table* table) {
    History h;
    h.replaced.push_back(Append(table));
    h.replaced.push_back(Append(table));
    DataFile f = WriteData(*table, next_id_, 10);
    next_id_ += 10;
    PositionDeleteWriter deletes(&io_, table->metadata().location + "/data/pos-0.parquet");
    deletes.Add(h.replaced[0].file_path, 1);
    auto d = deletes.Close();
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    h.pos_delete = d.ok() ? *d : DataFile{};
    auto delta = table->NewRowDelta();
    delta->AddRows(f).AddDeletes(h.pos_delete);
    Status st = delta->Commit();
    EXPECT_TRUE(st.ok()) << st.ToString();
    h.replaced.push_back(f);

    DataFile o = WriteData(*table, 1000, 10);
    auto overwrite = table->NewOverwrite();
    overwrite->AddFile(o);
    st = overwrite->Commit();
    EXPECT_TRUE(st.ok()) << st.ToString();
    h.live.push_back(o);
    h.live.push_back(Append(table));
    h.live.push_back(Append(table));
    Backdate(table);
    h.ids = SnapshotIds(*table);
    EXPECT_EQ(h.ids.size(), 6u);
    return h;
  }
};

TEST_F(IcebergExpireHistoryTest, ExpiresOldSnapshotsAndDeletesOnlyTheirFiles) {
  auto table = Create();
  ASSERT_NE(table, nullptr);
  History h = Build(table.get());
  ASSERT_EQ(h.ids.size(), 6u);
  const std::vector<int64_t> rows_before = CurrentRows(*table);
  ASSERT_EQ(rows_before.size(), 30u);
  auto counts_before = CountLiveFiles(&io_, *table->metadata().CurrentSnapshot());
  ASSERT_TRUE(counts_before.ok());

  // What the expired snapshots alone reach, computed from the metadata before the expiry.
  std::set<std::string> kept_manifests;
  for (size_t i = 4; i < 6; ++i) {
    auto m = ManifestsOf(*table->metadata().SnapshotById(h.ids[i]));
    kept_manifests.insert(m.begin(), m.end());
  }
  std::set<std::string> want_manifests;
  std::set<std::string> want_lists;
  for (size_t i = 0; i < 4; ++i) {
    const Snapshot& s = *table->metadata().SnapshotById(h.ids[i]);
    want_lists.insert(NormalizeFilePath(s.manifest_list));
    for (const auto& m : ManifestsOf(s)) {
      if (kept_manifests.count(m) == 0) want_manifests.insert(m);
    }
  }
  ASSERT_FALSE(want_manifests.empty());

  // Clock at day 10, five and a half days of history: snapshots 5 and 6 are young.
  auto result = ExpireSnapshots(*table, At(10, 5.5, 1));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->committed);
  EXPECT_TRUE(result->failed.empty()) << result->failed.front();
  EXPECT_EQ(result->expired_snapshot_ids, (std::vector<int64_t>(h.ids.begin(), h.ids.begin() + 4)));
  EXPECT_EQ(SnapshotIds(*table), (std::vector<int64_t>{h.ids[4], h.ids[5]}));

  std::set<std::string> want_data;
  for (const auto& f : h.replaced) want_data.insert(NormalizeFilePath(f.file_path));
  EXPECT_EQ(Normalized(result->deleted_data_files), want_data);
  EXPECT_EQ(Normalized(result->deleted_delete_files),
            std::set<std::string>{NormalizeFilePath(h.pos_delete.file_path)});
  EXPECT_EQ(Normalized(result->deleted_manifests), want_manifests);
  EXPECT_EQ(Normalized(result->deleted_manifest_lists), want_lists);
  for (const auto& p : want_data) EXPECT_FALSE(OnDisk(p)) << p;
  EXPECT_FALSE(OnDisk(h.pos_delete.file_path));
  for (const auto& p : want_manifests) EXPECT_FALSE(OnDisk(p)) << p;
  for (const auto& p : want_lists) EXPECT_FALSE(OnDisk(p)) << p;
  for (const auto& f : h.live) EXPECT_TRUE(OnDisk(f.file_path)) << f.file_path;

  ExpectKeptFilesExist(*table);
  EXPECT_EQ(CurrentRows(*table), rows_before);
  auto counts_after = CountLiveFiles(&io_, *table->metadata().CurrentSnapshot());
  ASSERT_TRUE(counts_after.ok());
  EXPECT_EQ(counts_after->data_files, counts_before->data_files);
  EXPECT_EQ(counts_after->data_records, counts_before->data_records);
  EXPECT_EQ(counts_after->manifests, counts_before->manifests);
  EXPECT_EQ(counts_after->total_bytes, counts_before->total_bytes);

  // The log lost the entries of the expired snapshots only.
  ASSERT_EQ(table->metadata().snapshot_log.size(), 2u);
  EXPECT_EQ(table->metadata().snapshot_log[0].snapshot_id, h.ids[4]);
  EXPECT_EQ(table->metadata().snapshot_log[1].snapshot_id, h.ids[5]);
  ExpectMetadataRoundTrips(*table);

  // Nothing left behind.
  OrphanFileOptions any_age;
  any_age.older_than = std::chrono::milliseconds(0);
  auto orphans = FindOrphanFiles(*table, any_age);
  ASSERT_TRUE(orphans.ok()) << orphans.status().ToString();
  EXPECT_TRUE(orphans->empty()) << orphans->front();

  // The same expiry again has nothing to do and commits nothing.
  const std::string location = table->metadata_location();
  auto again = ExpireSnapshots(*table, At(10, 5.5, 1));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->committed);
  EXPECT_TRUE(again->expired_snapshot_ids.empty());
  EXPECT_EQ(table->metadata_location(), location);
}

// The overwrite stays: its manifests hold the replaced files as DELETED entries only, so the
// files go while the manifests naming them stay.
TEST_F(IcebergExpireHistoryTest, FilesAKeptSnapshotOnlyMarksDeletedGo) {
  auto table = Create();
  ASSERT_NE(table, nullptr);
  History h = Build(table.get());
  ASSERT_EQ(h.ids.size(), 6u);
  const std::vector<int64_t> rows_before = CurrentRows(*table);
  const std::set<std::string> overwrite_manifests =
      ManifestsOf(*table->metadata().SnapshotById(h.ids[3]));

  // Clock at day 10, six and a half days of history: snapshots 4 to 6 are young.
  auto result = ExpireSnapshots(*table, At(10, 6.5, 1));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->failed.empty()) << result->failed.front();
  EXPECT_EQ(result->expired_snapshot_ids, (std::vector<int64_t>(h.ids.begin(), h.ids.begin() + 3)));
  EXPECT_EQ(SnapshotIds(*table), (std::vector<int64_t>(h.ids.begin() + 3, h.ids.end())));
  std::set<std::string> want_data;
  for (const auto& f : h.replaced) want_data.insert(NormalizeFilePath(f.file_path));
  EXPECT_EQ(Normalized(result->deleted_data_files), want_data);
  EXPECT_EQ(Normalized(result->deleted_delete_files),
            std::set<std::string>{NormalizeFilePath(h.pos_delete.file_path)});
  for (const auto& p : want_data) EXPECT_FALSE(OnDisk(p)) << p;
  EXPECT_FALSE(OnDisk(h.pos_delete.file_path));
  for (const auto& m : overwrite_manifests) {
    EXPECT_TRUE(OnDisk(m)) << m;
    EXPECT_EQ(Normalized(result->deleted_manifests).count(m), 0u) << m;
  }
  ExpectKeptFilesExist(*table);
  EXPECT_EQ(CurrentRows(*table), rows_before);
  ExpectMetadataRoundTrips(*table);
  OrphanFileOptions any_age;
  any_age.older_than = std::chrono::milliseconds(0);
  auto orphans = FindOrphanFiles(*table, any_age);
  ASSERT_TRUE(orphans.ok()) << orphans.status().ToString();
  EXPECT_TRUE(orphans->empty()) << orphans->front();
}

TEST_F(IcebergExpireHistoryTest, DryRunReportsWhatTheRealRunDoes) {
  auto table = Create();
  ASSERT_NE(table, nullptr);
  History h = Build(table.get());
  ASSERT_EQ(h.ids.size(), 6u);
  auto before = io_.List(table->metadata().location);
  ASSERT_TRUE(before.ok());
  const std::string location = table->metadata_location();

  ExpireSnapshotsOptions o = At(10, 5.5, 1);
  o.dry_run = true;
  auto dry = ExpireSnapshots(*table, o);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_FALSE(dry->committed);
  EXPECT_EQ(dry->expired_snapshot_ids.size(), 4u);
  EXPECT_EQ(dry->deleted_data_files.size(), 3u);
  // Nothing changed: same metadata, same files.
  EXPECT_EQ(table->metadata_location(), location);
  EXPECT_EQ(Load()->metadata_location(), location);
  auto after = io_.List(table->metadata().location);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), before->size());
  for (size_t i = 0; i < after->size(); ++i) EXPECT_EQ((*after)[i].path, (*before)[i].path);

  o.dry_run = false;
  auto real = ExpireSnapshots(*table, o);
  ASSERT_TRUE(real.ok()) << real.status().ToString();
  EXPECT_EQ(real->expired_snapshot_ids, dry->expired_snapshot_ids);
  EXPECT_EQ(Normalized(real->deleted_manifest_lists), Normalized(dry->deleted_manifest_lists));
  EXPECT_EQ(Normalized(real->deleted_manifests), Normalized(dry->deleted_manifests));
  EXPECT_EQ(Normalized(real->deleted_data_files), Normalized(dry->deleted_data_files));
  EXPECT_EQ(Normalized(real->deleted_delete_files), Normalized(dry->deleted_delete_files));
}

TEST_F(IcebergExpireTest, RetainLastKeepsTheNewestAndSharedFiles) {
  auto table = Create();
  ASSERT_NE(table, nullptr);
  std::vector<DataFile> files;
  for (int i = 0; i < 5; ++i) files.push_back(Append(table.get()));
  Backdate(table.get());
  const std::vector<int64_t> ids = SnapshotIds(*table);
  const std::vector<int64_t> rows = CurrentRows(*table);

  // Every snapshot is old; three stay.
  auto result = ExpireSnapshots(*table, At(30, 0, 3));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->expired_snapshot_ids, (std::vector<int64_t>{ids[0], ids[1]}));
  EXPECT_EQ(SnapshotIds(*table), (std::vector<int64_t>{ids[2], ids[3], ids[4]}));
  // Fast appends share their manifests with the current snapshot: only the two manifest lists
  // are unreachable, every data file and manifest stays.
  EXPECT_EQ(result->deleted_manifest_lists.size(), 2u);
  EXPECT_TRUE(result->deleted_manifests.empty());
  EXPECT_TRUE(result->deleted_data_files.empty());
  for (const auto& f : files) EXPECT_TRUE(OnDisk(f.file_path)) << f.file_path;
  EXPECT_EQ(CurrentRows(*table), rows);
  ExpectKeptFilesExist(*table);
  ExpectMetadataRoundTrips(*table);

  // Table properties are the defaults when options are not given.
  Status st = table->CommitMetadataChange("set properties of",
                                          [](const TableMetadata& base) -> Result<TableMetadata> {
                                            TableMetadata next = base;
                                            next.properties[std::string(kMinSnapshotsToKeep)] = "2";
                                            next.properties[std::string(kMaxSnapshotAgeMs)] = "0";
                                            return next;
                                          });
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto by_props = ExpireSnapshots(*table, ExpireSnapshotsOptions{});
  ASSERT_TRUE(by_props.ok()) << by_props.status().ToString();
  EXPECT_EQ(by_props->expired_snapshot_ids, (std::vector<int64_t>{ids[2]}));
  EXPECT_EQ(SnapshotIds(*table), (std::vector<int64_t>{ids[3], ids[4]}));
}

TEST_F(IcebergExpireTest, RefsProtectSnapshotsAndTheirFiles) {
  auto table = Create();
  ASSERT_NE(table, nullptr);
  DataFile a = Append(table.get());
  DataFile b = Append(table.get());
  DataFile c = WriteData(*table, 500, 10);
  auto overwrite = table->NewOverwrite();
  overwrite->AddFile(c);
  ASSERT_TRUE(overwrite->Commit().ok());
  Append(table.get());
  Backdate(table.get());
  const std::vector<int64_t> ids = SnapshotIds(*table);
  ASSERT_EQ(ids.size(), 4u);

  // A branch at the first snapshot and a tag at the second.
  Status st =
      table->CommitMetadataChange("tag", [&](const TableMetadata& base) -> Result<TableMetadata> {
        TableMetadata next = base;
        next.refs["audit"] = SnapshotRef::Branch(ids[0]);
        SnapshotRef tag;
        tag.snapshot_id = ids[1];
        tag.type = SnapshotRefType::kTag;
        next.refs["v1"] = tag;
        return next;
      });
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto tagged_counts = CountLiveFiles(&io_, *table->metadata().SnapshotById(ids[1]));
  ASSERT_TRUE(tagged_counts.ok());

  auto result = ExpireSnapshots(*table, At(30, 0, 1));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->expired_snapshot_ids, (std::vector<int64_t>{ids[2]}));
  EXPECT_EQ(SnapshotIds(*table), (std::vector<int64_t>{ids[0], ids[1], ids[3]}));
  // The overwritten files are still live in the tagged snapshot: they stay.
  EXPECT_TRUE(result->deleted_data_files.empty());
  EXPECT_TRUE(OnDisk(a.file_path));
  EXPECT_TRUE(OnDisk(b.file_path));
  auto tagged_after = CountLiveFiles(&io_, *table->metadata().SnapshotById(ids[1]));
  ASSERT_TRUE(tagged_after.ok()) << tagged_after.status().ToString();
  EXPECT_EQ(tagged_after->data_files, tagged_counts->data_files);
  EXPECT_EQ(tagged_after->data_records, 20);
  ExpectKeptFilesExist(*table);
  ExpectMetadataRoundTrips(*table);

  // Without the refs, the old snapshots and the overwritten files go.
  st =
      table->CommitMetadataChange("untag", [&](const TableMetadata& base) -> Result<TableMetadata> {
        TableMetadata next = base;
        next.refs.erase("audit");
        next.refs.erase("v1");
        return next;
      });
  ASSERT_TRUE(st.ok()) << st.ToString();
  result = ExpireSnapshots(*table, At(30, 0, 1));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->expired_snapshot_ids, (std::vector<int64_t>{ids[0], ids[1]}));
  EXPECT_EQ(
      Normalized(result->deleted_data_files),
      (std::set<std::string>{NormalizeFilePath(a.file_path), NormalizeFilePath(b.file_path)}));
  EXPECT_FALSE(OnDisk(a.file_path));
  EXPECT_FALSE(OnDisk(b.file_path));
  EXPECT_TRUE(OnDisk(c.file_path));
  ExpectKeptFilesExist(*table);
  ExpectMetadataRoundTrips(*table);
}

TEST_F(IcebergExpireTest, ConcurrentAppendIsKept) {
  auto table = Create();
  ASSERT_NE(table, nullptr);
  for (int i = 0; i < 4; ++i) Append(table.get());
  Backdate(table.get());
  const std::vector<int64_t> ids = SnapshotIds(*table);

  // The expiring Table writes through hook_io_: just before its first metadata file, another
  // Table object appends, so the expiry's catalog swap loses and is re-applied.
  auto expirer = Load(hook_catalog_.get());
  ASSERT_NE(expirer, nullptr);
  DataFile late;
  hook_io_.ArmBeforeMetadataWrite([&] {
    auto other = Load();
    ASSERT_NE(other, nullptr);
    late = Append(other.get());
  });
  auto result = ExpireSnapshots(*expirer, At(30, 0, 2));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(hook_io_.hook_fired());
  EXPECT_TRUE(result->committed);

  auto fresh = Load();
  ASSERT_NE(fresh, nullptr);
  const std::vector<int64_t> remaining = SnapshotIds(*fresh);
  ASSERT_EQ(remaining.size(), 2u);
  // The concurrent snapshot is the current one and was kept, with its parent (retain_last 2).
  EXPECT_EQ(remaining[0], ids[3]);
  EXPECT_EQ(*fresh->metadata().current_snapshot_id, remaining[1]);
  EXPECT_EQ(fresh->metadata().CurrentSnapshot()->parent_snapshot_id, ids[3]);
  EXPECT_EQ(result->expired_snapshot_ids, (std::vector<int64_t>{ids[0], ids[1], ids[2]}));
  EXPECT_TRUE(OnDisk(late.file_path));
  EXPECT_EQ(CurrentRows(*fresh).size(), 50u);
  ExpectKeptFilesExist(*fresh);
  ExpectMetadataRoundTrips(*fresh);
}

TEST_F(IcebergExpireTest, DeleteFailuresAreReportedNotFatal) {
  auto table = Create();
  ASSERT_NE(table, nullptr);
  for (int i = 0; i < 3; ++i) Append(table.get());
  Backdate(table.get());
  auto expirer = Load(hook_catalog_.get());
  ASSERT_NE(expirer, nullptr);
  const std::string stuck = expirer->metadata().snapshots[0].manifest_list;
  hook_io_.FailDelete(stuck);
  auto result = ExpireSnapshots(*expirer, At(30, 0, 1));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->committed);
  EXPECT_EQ(result->expired_snapshot_ids.size(), 2u);
  ASSERT_EQ(result->failed.size(), 1u);
  EXPECT_NE(result->failed[0].find(stuck), std::string::npos) << result->failed[0];
  EXPECT_EQ(result->deleted_manifest_lists.size(), 1u);
  EXPECT_TRUE(OnDisk(stuck));
  // It is an orphan now, which orphan removal finds.
  OrphanFileOptions any_age;
  any_age.older_than = std::chrono::milliseconds(0);
  auto orphans = FindOrphanFiles(*table, any_age);
  ASSERT_TRUE(orphans.ok()) << orphans.status().ToString();
  EXPECT_EQ(Normalized(*orphans), std::set<std::string>{NormalizeFilePath(stuck)});
}

TEST_F(IcebergExpireTest, EmptyTableAndBadOptions) {
  auto table = Create();
  ASSERT_NE(table, nullptr);
  const std::string location = table->metadata_location();
  auto result = ExpireSnapshots(*table, At(30, 0, 1));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(result->committed);
  EXPECT_TRUE(result->expired_snapshot_ids.empty());
  EXPECT_EQ(Load()->metadata_location(), location);

  auto bad = ExpireSnapshots(*table, At(30, 0, 0));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("db.events"), std::string::npos) << bad.status().ToString();
}

TEST_F(IcebergExpireTest, GcDisabledAllowsOnlyMetadataExpiry) {
  auto table = Create({{"gc.enabled", "false"}});
  ASSERT_NE(table, nullptr);
  std::vector<DataFile> files;
  for (int i = 0; i < 3; ++i) files.push_back(Append(table.get()));
  Backdate(table.get());
  const std::vector<int64_t> ids = SnapshotIds(*table);
  const std::string first_list = table->metadata().snapshots[0].manifest_list;

  auto refused = ExpireSnapshots(*table, At(30, 0, 1));
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("db.events"), std::string::npos);
  EXPECT_EQ(SnapshotIds(*table), ids);

  ExpireSnapshotsOptions o = At(30, 0, 1);
  o.delete_files = false;
  auto result = ExpireSnapshots(*table, o);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->expired_snapshot_ids, (std::vector<int64_t>{ids[0], ids[1]}));
  EXPECT_TRUE(result->deleted_manifest_lists.empty());
  EXPECT_TRUE(OnDisk(first_list));
  for (const auto& f : files) EXPECT_TRUE(OnDisk(f.file_path));
  ExpectMetadataRoundTrips(*table);
}

}  // namespace
}  // namespace nilus::iceberg
