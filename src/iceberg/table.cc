#include "iceberg/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <random>
#include <thread>

#include "core/logging.h"
#include "iceberg/manifest.h"
#include "iceberg/manifest_list.h"
#include "iceberg/schema_json.h"
#include "iceberg/snapshot.h"
#include "iceberg/uuid_util.h"

namespace nilus::iceberg {
namespace {

// Java's defaults are 4 retries; Nilus loaders share tables more often, so allow more.
constexpr int64_t kDefaultNumRetries = 9;
constexpr int64_t kDefaultMinRetryWaitMs = 100;
constexpr int64_t kDefaultMaxRetryWaitMs = 60000;
constexpr int64_t kDefaultPreviousVersionsMax = 100;

// Manifests and manifest lists are uncompressed unless the table property
// write.avro.compression-codec (Java's name) asks for "gzip"/"deflate": some readers (icebird
// 0.3.1) cannot open deflate blocks, and none can open snappy or zstd ones.
constexpr std::string_view kAvroCodecProperty = "write.avro.compression-codec";

Result<AvroCodec> MetadataCodec(const TableMetadata& md) {
  auto it = md.properties.find(std::string(kAvroCodecProperty));
  if (it == md.properties.end() || it->second == "uncompressed" || it->second == "none") {
    return AvroCodec::kNull;
  }
  if (it->second == "gzip" || it->second == "deflate") return AvroCodec::kDeflate;
  return Status::Invalid(
      fmt::format("table property {}='{}' is not supported: use uncompressed or gzip (deflate)",
                  kAvroCodecProperty, it->second));
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string StripSlashes(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// A non-negative integer property, or `fallback` when absent or malformed (logged).
int64_t IntProperty(const std::map<std::string, std::string>& props, std::string_view key,
                    int64_t fallback) {
  auto it = props.find(std::string(key));
  if (it == props.end()) return fallback;
  int64_t v = 0;
  const std::string& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) {
    Log().warn("table property {}='{}' is not a non-negative integer; using {}", key, s, fallback);
    return fallback;
  }
  return v;
}

std::optional<int64_t> ParseCount(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Names that become path components must not escape the warehouse.
Status CheckPathComponent(std::string_view part, std::string_view what) {
  if (part.empty() || part == "." || part == ".." ||
      part.find_first_of("/\\") != std::string_view::npos) {
    return Status::Invalid(fmt::format("{} '{}' cannot be used as a directory name", what, part));
  }
  return Status::OK();
}

// Sleeps before retry number `retry` (1 for the first retry): min_ms doubling each time, capped
// at max_ms, plus up to 10% jitter so that writers that collided do not collide again.
void Backoff(int retry, int64_t min_ms, int64_t max_ms) {
  double wait = static_cast<double>(min_ms);
  for (int i = 1; i < retry && wait < static_cast<double>(max_ms); ++i) wait *= 2;
  wait = std::min(wait, static_cast<double>(max_ms));
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.0, 0.1);
  wait *= 1.0 + jitter(rng);
  std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(wait * 1000)));
}

bool IsReservedSummaryKey(std::string_view key) {
  static constexpr std::string_view kReserved[] = {
      kSummaryOperation,         kAddedDataFiles,         kAddedRecords,
      kAddedFilesSize,           kTotalRecords,           kTotalDataFiles,
      kTotalDeleteFiles,         kTotalPositionDeletes,   kTotalEqualityDeletes,
      kTotalFilesSize,           kAddedDeleteFiles,       kAddedPositionDeleteFiles,
      kAddedEqualityDeleteFiles, kAddedPositionDeletes,   kAddedEqualityDeletes,
      kDeletedDataFiles,         kDeletedRecords,         kRemovedFilesSize,
      kRemovedDeleteFiles,       kRemovedPositionDeletes, kRemovedEqualityDeletes};
  return std::find(std::begin(kReserved), std::end(kReserved), key) != std::end(kReserved);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Catalog

Result<std::unique_ptr<Catalog>> Catalog::Make(SqlCatalogStore* store, FileIO* io,
                                               std::string warehouse) {
  if (store == nullptr || io == nullptr) return Status::Invalid("catalog: store and io required");
  warehouse = StripSlashes(std::move(warehouse));
  if (warehouse.empty()) return Status::Invalid("catalog: warehouse location is empty");
  return std::unique_ptr<Catalog>(new Catalog(store, io, std::move(warehouse)));
}

std::string Catalog::DefaultTableLocation(const std::string& ns, const std::string& name) const {
  std::string dir = ns;
  std::replace(dir.begin(), dir.end(), '.', '/');
  return fmt::format("{}/{}/{}", warehouse_, dir, name);
}

Result<std::unique_ptr<Table>> Catalog::CreateTable(const std::string& ns, const std::string& name,
                                                    const Schema& schema, const PartitionSpec& spec,
                                                    std::map<std::string, std::string> properties,
                                                    const SortOrder& sort_order) {
  const std::string what = fmt::format("creating table {}.{}", ns, name);
  NILUS_RETURN_NOT_OK_CTX(CheckPathComponent(name, "table name"), what);
  for (size_t start = 0;;) {
    size_t dot = ns.find('.', start);
    NILUS_RETURN_NOT_OK_CTX(
        CheckPathComponent(std::string_view(ns).substr(start, dot - start), "namespace level"),
        what);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  // Cheap checks first so that the common mistakes leave no file behind.
  auto ns_exists = store_->NamespaceExists(ns);
  if (!ns_exists.ok()) return ns_exists.status().WithContext(what);
  if (!*ns_exists)
    return Status::NotFound(fmt::format("{}: namespace '{}' does not exist", what, ns));
  auto existing = store_->LoadTable(ns, name);
  if (existing.ok()) {
    return Status::AlreadyExists(fmt::format("{}: the table already exists", what));
  }
  if (existing.status().code() != StatusCode::kNotFound) {
    return existing.status().WithContext(what);
  }

  auto md = NewTableMetadata(schema, spec, sort_order, DefaultTableLocation(ns, name),
                             std::move(properties));
  if (!md.ok()) return md.status().WithContext(what);
  const std::string path = NewMetadataFilePath(md->location, 0);
  NILUS_RETURN_NOT_OK_CTX(WriteTableMetadata(io_, path, *md), what);

  Status st = store_->CreateTable(ns, name, path);
  if (!st.ok()) {
    if (st.code() == StatusCode::kUnavailable) {
      // The registration may have committed; the file may be live, so keep it.
      return st.WithContext(
          fmt::format("{}: registration outcome unknown, metadata file '{}' kept", what, path));
    }
    Status del = io_->Delete(path);
    std::string fate =
        del.ok() ? fmt::format("metadata file '{}' deleted", path)
                 : fmt::format("metadata file '{}' left as an orphan ({})", path, del.ToString());
    return st.WithContext(fmt::format("{} ({})", what, fate));
  }
  Status hint = WriteVersionHint(io_, md->location, path);
  if (!hint.ok()) {
    Log().warn("{}: version hint not written (the catalog is authoritative): {}", what,
               hint.ToString());
  }
  return std::unique_ptr<Table>(new Table(this, ns, name, path, md.MoveValue()));
}

Result<std::pair<std::string, TableMetadata>> Catalog::LoadMetadata(const std::string& ns,
                                                                    const std::string& name) {
  const std::string what = fmt::format("loading table {}.{}", ns, name);
  auto location = store_->LoadTable(ns, name);
  if (!location.ok()) return location.status().WithContext(what);
  auto md = ReadTableMetadata(io_, *location);  // its errors name the file
  if (!md.ok()) return md.status().WithContext(what);
  return std::make_pair(location.MoveValue(), md.MoveValue());
}

Result<std::unique_ptr<Table>> Catalog::LoadTable(const std::string& ns, const std::string& name) {
  NILUS_ASSIGN_OR_RAISE(auto loaded, LoadMetadata(ns, name));
  return std::unique_ptr<Table>(
      new Table(this, ns, name, std::move(loaded.first), std::move(loaded.second)));
}

// ---------------------------------------------------------------------------------------------
// Table

std::string Table::FullName() const { return fmt::format("{}.{}", ns_, name_); }

Status Table::Refresh() {
  NILUS_ASSIGN_OR_RAISE(auto loaded, catalog_->LoadMetadata(ns_, name_));
  metadata_location_ = std::move(loaded.first);
  metadata_ = std::move(loaded.second);
  return Status::OK();
}

std::unique_ptr<FastAppend> Table::NewFastAppend() {
  return std::unique_ptr<FastAppend>(new FastAppend(this));
}

std::unique_ptr<RowDelta> Table::NewRowDelta() {
  return std::unique_ptr<RowDelta>(new RowDelta(this));
}

std::unique_ptr<Overwrite> Table::NewOverwrite() {
  return std::unique_ptr<Overwrite>(new Overwrite(this));
}

// ---------------------------------------------------------------------------------------------
// SnapshotProducer

void SnapshotChangeCounts::Count(const DataFile& file, bool added) {
  switch (file.content) {
    case DataFileContent::kData:
      (added ? added_data_files : deleted_data_files) += 1;
      (added ? added_records : deleted_records) += file.record_count;
      break;
    case DataFileContent::kPositionDeletes:
      (added ? added_position_delete_files : removed_position_delete_files) += 1;
      (added ? added_position_deletes : removed_position_deletes) += file.record_count;
      break;
    case DataFileContent::kEqualityDeletes:
      (added ? added_equality_delete_files : removed_equality_delete_files) += 1;
      (added ? added_equality_deletes : removed_equality_deletes) += file.record_count;
      break;
  }
  (added ? added_files_size : removed_files_size) += file.file_size_in_bytes;
}

FileIO* SnapshotProducer::io() const { return table_->io(); }

void SnapshotProducer::DeleteQuietly(const std::string& path) {
  Status st = table_->io()->Delete(path);
  if (!st.ok() && st.code() != StatusCode::kNotFound) {
    Log().warn("{} {}: could not delete uncommitted file '{}' (an orphan now): {}", action_,
               table_->FullName(), path, st.ToString());
  }
}

Result<ManifestFile> SnapshotProducer::WriteManifestFile(ManifestContent content,
                                                         const std::vector<ManifestEntry>& entries,
                                                         std::optional<int32_t> spec_id,
                                                         std::string path) {
  const TableMetadata& md = table_->metadata();
  const Schema* schema = md.CurrentSchema();
  const PartitionSpec* spec = spec_id ? md.SpecById(*spec_id) : md.DefaultSpec();
  if (schema == nullptr || spec == nullptr) {
    return Status::Internal("table metadata without a current schema or the manifest's spec");
  }
  ManifestWriterOptions options;
  options.schema_json = SchemaToJson(*schema);
  options.schema_id = md.current_schema_id;
  options.partition_spec_json = PartitionFieldsToJson(*spec);
  options.partition_spec_id = spec->spec_id;
  for (const PartitionField& f : spec->fields) {
    const NestedField* source = schema->FindFieldById(f.source_id);
    if (source == nullptr) {
      return Status::Invalid(
          fmt::format("partition field '{}' has no source column {}", f.name, f.source_id));
    }
    NILUS_ASSIGN_OR_RAISE(TypePtr type, f.transform.ResultType(*source->type));
    options.partition_fields.push_back({f.name, f.field_id, std::move(type)});
  }
  options.content = content;
  NILUS_ASSIGN_OR_RAISE(options.codec, MetadataCodec(md));
  options.snapshot_id = snapshot_id_;
  NILUS_ASSIGN_OR_RAISE(auto writer, ManifestWriter::Make(table_->io(), path, std::move(options)));
  for (const ManifestEntry& entry : entries) NILUS_RETURN_NOT_OK(writer->Add(entry));
  return writer->Close();
}

Result<ManifestFile> SnapshotProducer::WriteCommitManifest(
    ManifestContent content, const std::vector<ManifestEntry>& entries,
    std::optional<int32_t> spec_id) {
  std::string path = fmt::format("{}/metadata/{}-m{}.avro", table_->metadata().location,
                                 commit_uuid_, manifest_count_++);
  NILUS_ASSIGN_OR_RAISE(ManifestFile m, WriteManifestFile(content, entries, spec_id, path));
  commit_files_.push_back(std::move(path));
  return m;
}

Result<ManifestFile> SnapshotProducer::WriteAttemptManifest(
    ManifestContent content, const std::vector<ManifestEntry>& entries, int32_t spec_id) {
  std::string path = fmt::format("{}/metadata/{}-a{}-m{}.avro", table_->metadata().location,
                                 commit_uuid_, attempt_, manifest_count_++);
  NILUS_ASSIGN_OR_RAISE(ManifestFile m, WriteManifestFile(content, entries, spec_id, path));
  attempt_files_.push_back(std::move(path));
  return m;
}

namespace {

// The summary of a new snapshot: caller properties, the operation, the changes and the new
// totals (parent totals plus changes; a total the parent lacks stays unknown, as in Java).
std::map<std::string, std::string> BuildSummary(std::map<std::string, std::string> summary,
                                                std::string_view operation,
                                                const SnapshotChangeCounts& c,
                                                const Snapshot* parent) {
  auto put = [&](std::string_view key, int64_t v) {
    summary[std::string(key)] = std::to_string(v);
  };
  summary[std::string(kSummaryOperation)] = std::string(operation);
  const int64_t added_deletes = c.added_position_delete_files + c.added_equality_delete_files;
  const int64_t removed_deletes = c.removed_position_delete_files + c.removed_equality_delete_files;
  if (c.added_data_files > 0) {
    put(kAddedDataFiles, c.added_data_files);
    put(kAddedRecords, c.added_records);
  }
  if (added_deletes > 0) {
    put(kAddedDeleteFiles, added_deletes);
    if (c.added_position_delete_files > 0) {
      put(kAddedPositionDeleteFiles, c.added_position_delete_files);
      put(kAddedPositionDeletes, c.added_position_deletes);
    }
    if (c.added_equality_delete_files > 0) {
      put(kAddedEqualityDeleteFiles, c.added_equality_delete_files);
      put(kAddedEqualityDeletes, c.added_equality_deletes);
    }
  }
  if (c.added_data_files + added_deletes > 0) put(kAddedFilesSize, c.added_files_size);
  if (c.deleted_data_files > 0) {
    put(kDeletedDataFiles, c.deleted_data_files);
    put(kDeletedRecords, c.deleted_records);
  }
  if (removed_deletes > 0) {
    put(kRemovedDeleteFiles, removed_deletes);
    if (c.removed_position_delete_files > 0)
      put(kRemovedPositionDeletes, c.removed_position_deletes);
    if (c.removed_equality_delete_files > 0)
      put(kRemovedEqualityDeletes, c.removed_equality_deletes);
  }
  if (c.deleted_data_files + removed_deletes > 0) put(kRemovedFilesSize, c.removed_files_size);

  const std::pair<std::string_view, int64_t> totals[] = {
      {kTotalRecords, c.added_records - c.deleted_records},
      {kTotalDataFiles, c.added_data_files - c.deleted_data_files},
      {kTotalDeleteFiles, added_deletes - removed_deletes},
      {kTotalPositionDeletes, c.added_position_deletes - c.removed_position_deletes},
      {kTotalEqualityDeletes, c.added_equality_deletes - c.removed_equality_deletes},
      {kTotalFilesSize, c.added_files_size - c.removed_files_size},
  };
  for (const auto& [key, delta] : totals) {
    std::optional<int64_t> previous = 0;
    if (parent != nullptr) {
      auto v = parent->SummaryValue(key);
      previous = v ? ParseCount(*v) : std::nullopt;
    }
    if (previous) put(key, *previous + delta);
  }
  return summary;
}

}  // namespace

Status SnapshotProducer::Attempt(int attempt, bool* swap_lost, bool* state_unknown) {
  *swap_lost = false;
  *state_unknown = false;
  attempt_ = attempt;
  attempt_files_.clear();
  FileIO* io = table_->io();
  const TableMetadata& base = table_->metadata_;
  const std::string base_location = table_->metadata_location_;
  if (base.SnapshotById(snapshot_id_) != nullptr) {
    // A random 63-bit id collided; the manifests already carry it, so give up.
    return Status::Internal(fmt::format("snapshot id {} is already used", snapshot_id_));
  }

  const Snapshot* parent = base.CurrentSnapshot();
  std::vector<ManifestFile> parent_manifests;
  if (parent != nullptr) {
    NILUS_ASSIGN_OR_RAISE(parent_manifests, ReadManifestList(io, parent->manifest_list));
  }
  // From here on files of this attempt exist and must go if it does not commit.
  auto fail = [&](Status st) {
    for (const std::string& path : attempt_files_) DeleteQuietly(path);
    attempt_files_.clear();
    return st;
  };
  auto applied = Apply(base, std::move(parent_manifests));
  if (!applied.ok()) return fail(applied.status());
  for (const ManifestFile& m : applied->manifests) {
    if (base.SpecById(m.partition_spec_id) == nullptr) {
      return fail(Status::Invalid(
          fmt::format("partition spec {} was removed from the table", m.partition_spec_id)));
    }
  }

  const int64_t sequence_number = base.last_sequence_number + 1;
  const std::optional<int64_t> parent_id =
      parent ? std::optional<int64_t>(parent->snapshot_id) : std::nullopt;
  const std::string list_path = fmt::format("{}/metadata/snap-{}-{}-{}.avro", base.location,
                                            snapshot_id_, attempt, commit_uuid_);
  auto codec = MetadataCodec(base);
  if (!codec.ok()) return fail(codec.status());
  auto list =
      ManifestListWriter::Make(io, list_path, snapshot_id_, parent_id, sequence_number, *codec);
  if (!list.ok()) return fail(list.status());
  for (const ManifestFile& m : applied->manifests) {
    Status st = (*list)->Add(m);
    if (!st.ok()) return fail(st);
  }
  Status closed = (*list)->Close().status();
  if (!closed.ok()) return fail(closed);
  attempt_files_.push_back(list_path);

  Snapshot snapshot;
  snapshot.snapshot_id = snapshot_id_;
  snapshot.parent_snapshot_id = parent_id;
  snapshot.sequence_number = sequence_number;
  // Never before the base's last update, so that the snapshot log stays ordered.
  snapshot.timestamp_ms = std::max(NowMs(), base.last_updated_ms);
  snapshot.manifest_list = list_path;
  snapshot.summary = BuildSummary(properties_, applied->operation, applied->counts, parent);
  snapshot.schema_id = base.current_schema_id;

  TableMetadata next = base;
  next.RecordPreviousMetadata(base_location, base.last_updated_ms,
                              static_cast<size_t>(std::max<int64_t>(
                                  1, IntProperty(base.properties, kMetadataPreviousVersionsMax,
                                                 kDefaultPreviousVersionsMax))));
  Status added = next.AddSnapshotToMain(snapshot);
  if (!added.ok()) return fail(added);

  // Foreign names without a version number continue from the metadata-log length.
  auto base_version = ParseMetadataVersion(base_location);
  const int version =
      base_version.ok() ? *base_version + 1 : static_cast<int>(next.metadata_log.size());
  const std::string new_location = NewMetadataFilePath(base.location, version);
  Status written = WriteTableMetadata(io, new_location, next);
  if (!written.ok()) return fail(written);

  Status swapped = table_->catalog_->store()->SwapMetadataLocation(table_->ns_, table_->name_,
                                                                   base_location, new_location);
  if (!swapped.ok() && swapped.code() == StatusCode::kUnavailable) {
    // The connection failed during the swap: ask the catalog which metadata won.
    auto now = table_->catalog_->store()->LoadTable(table_->ns_, table_->name_);
    if (!now.ok()) {
      *state_unknown = true;
      return Status::Unavailable(fmt::format(
          "commit state unknown: the catalog failed during the swap to '{}' ({}) and could not "
          "be asked again ({}); the new files are kept",
          new_location, swapped.ToString(), now.status().ToString()));
    }
    if (*now == new_location) {
      swapped = Status::OK();
    } else {
      swapped =
          Status::Conflict(fmt::format("the catalog failed during the swap ({}) and now "
                                       "points at '{}'",
                                       swapped.ToString(), *now));
    }
  }
  if (!swapped.ok()) {
    DeleteQuietly(new_location);
    if (swapped.code() == StatusCode::kConflict) *swap_lost = true;
    return fail(swapped);
  }

  attempt_files_.clear();
  table_->metadata_ = std::move(next);
  table_->metadata_location_ = new_location;
  committed_ = std::move(snapshot);
  Status hint = WriteVersionHint(io, table_->metadata_.location, new_location);
  if (!hint.ok()) {
    Log().warn("{} {}: version hint not written (the catalog is authoritative): {}", action_,
               table_->FullName(), hint.ToString());
  }
  return Status::OK();
}

Status SnapshotProducer::Commit() {
  const std::string what = fmt::format("{} {}", action_, table_->FullName());
  if (used_) return Status::Invalid(what + ": Commit() was already called");
  used_ = true;
  for (const auto& [key, value] : properties_) {
    if (IsReservedSummaryKey(key)) {
      return Status::Invalid(
          fmt::format("{}: summary property '{}' is set by the commit itself", what, key));
    }
  }
  NILUS_RETURN_NOT_OK_CTX(Validate(), what);
  commit_uuid_ = NewUuidV4();
  snapshot_id_ = NewSnapshotId();
  const auto& props = table_->metadata().properties;
  const int64_t retries = IntProperty(props, kCommitNumRetries, kDefaultNumRetries);
  const int64_t min_wait = IntProperty(props, kCommitMinRetryWaitMs, kDefaultMinRetryWaitMs);
  const int64_t max_wait =
      std::max(min_wait, IntProperty(props, kCommitMaxRetryWaitMs, kDefaultMaxRetryWaitMs));

  auto give_up = [&](const Status& st) {
    for (const std::string& path : commit_files_) DeleteQuietly(path);
    commit_files_.clear();
    return st.WithContext(what);
  };
  Status prepared = Prepare();
  if (!prepared.ok()) return give_up(prepared);

  Status last;
  for (int attempt = 1; attempt <= retries + 1; ++attempt) {
    attempts_ = attempt;
    if (attempt > 1) {
      Backoff(attempt - 1, min_wait, max_wait);
      Status refreshed = table_->Refresh();
      if (!refreshed.ok()) return give_up(refreshed);
    }
    bool swap_lost = false;
    bool state_unknown = false;
    last = Attempt(attempt, &swap_lost, &state_unknown);
    if (last.ok()) return Status::OK();
    if (state_unknown) return last.WithContext(what);
    if (!swap_lost) return give_up(last);
    Log().debug("{}: attempt {} lost the catalog swap, retrying: {}", what, attempt,
                last.ToString());
  }
  return give_up(
      Status::Conflict(fmt::format("gave up after {} attempts: {}", attempts_, last.message())));
}

namespace {

std::vector<ManifestEntry> AddedEntries(const std::vector<DataFile>& files, int64_t snapshot_id) {
  std::vector<ManifestEntry> out;
  out.reserve(files.size());
  for (const DataFile& f : files) {
    ManifestEntry entry;
    entry.status = ManifestEntryStatus::kAdded;
    entry.snapshot_id = snapshot_id;
    entry.data_file = f;  // sequence numbers stay null: inherited from the manifest list
    out.push_back(std::move(entry));
  }
  return out;
}

Status RequireContent(const std::vector<DataFile>& files, bool deletes, std::string_view why) {
  for (const DataFile& f : files) {
    if ((f.content != DataFileContent::kData) != deletes) {
      return Status::Invalid(fmt::format("'{}' {}", f.file_path, why));
    }
  }
  return Status::OK();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// FastAppend

FastAppend& FastAppend::AppendFile(DataFile file) {
  files_.push_back(std::move(file));
  return *this;
}

FastAppend& FastAppend::Set(std::string key, std::string value) {
  SetProperty(std::move(key), std::move(value));
  return *this;
}

Status FastAppend::Validate() {
  return RequireContent(files_, false, "is a delete file; a fast append adds data files");
}

Status FastAppend::Prepare() {
  if (files_.empty()) return Status::OK();
  NILUS_ASSIGN_OR_RAISE(
      manifest_, WriteCommitManifest(ManifestContent::kData, AddedEntries(files_, snapshot_id())));
  return Status::OK();
}

Result<SnapshotProducer::Applied> FastAppend::Apply(const TableMetadata& /*base*/,
                                                    std::vector<ManifestFile> parent_manifests) {
  Applied out;
  out.operation = std::string(kOperationAppend);
  // New manifests first, then the parent's, as Java orders them.
  if (manifest_) out.manifests.push_back(*manifest_);
  for (ManifestFile& m : parent_manifests) out.manifests.push_back(std::move(m));
  for (const DataFile& f : files_) out.counts.Count(f, true);
  return out;
}

// ---------------------------------------------------------------------------------------------
// RowDelta

RowDelta& RowDelta::AddRows(DataFile file) {
  data_files_.push_back(std::move(file));
  return *this;
}

RowDelta& RowDelta::AddDeletes(DataFile file) {
  delete_files_.push_back(std::move(file));
  return *this;
}

RowDelta& RowDelta::Set(std::string key, std::string value) {
  SetProperty(std::move(key), std::move(value));
  return *this;
}

Status RowDelta::Validate() {
  NILUS_RETURN_NOT_OK(RequireContent(data_files_, false, "is a delete file; use AddDeletes"));
  return RequireContent(delete_files_, true, "is a data file; use AddRows");
}

Status RowDelta::Prepare() {
  if (!data_files_.empty()) {
    NILUS_ASSIGN_OR_RAISE(
        data_manifest_,
        WriteCommitManifest(ManifestContent::kData, AddedEntries(data_files_, snapshot_id())));
  }
  if (!delete_files_.empty()) {
    NILUS_ASSIGN_OR_RAISE(
        delete_manifest_,
        WriteCommitManifest(ManifestContent::kDeletes, AddedEntries(delete_files_, snapshot_id())));
  }
  return Status::OK();
}

Result<SnapshotProducer::Applied> RowDelta::Apply(const TableMetadata& /*base*/,
                                                  std::vector<ManifestFile> parent_manifests) {
  // No validation against the new state: see the class comment.
  Applied out;
  out.operation = std::string(delete_files_.empty() ? kOperationAppend : kOperationOverwrite);
  if (data_manifest_) out.manifests.push_back(*data_manifest_);
  if (delete_manifest_) out.manifests.push_back(*delete_manifest_);
  for (ManifestFile& m : parent_manifests) out.manifests.push_back(std::move(m));
  for (const DataFile& f : data_files_) out.counts.Count(f, true);
  for (const DataFile& f : delete_files_) out.counts.Count(f, true);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Overwrite

Overwrite& Overwrite::AddFile(DataFile file) {
  files_.push_back(std::move(file));
  return *this;
}

Overwrite& Overwrite::Set(std::string key, std::string value) {
  SetProperty(std::move(key), std::move(value));
  return *this;
}

Status Overwrite::Validate() {
  return RequireContent(files_, false, "is a delete file; an overwrite adds data files");
}

Status Overwrite::Prepare() {
  if (files_.empty()) return Status::OK();
  NILUS_ASSIGN_OR_RAISE(
      manifest_, WriteCommitManifest(ManifestContent::kData, AddedEntries(files_, snapshot_id())));
  return Status::OK();
}

Result<SnapshotProducer::Applied> Overwrite::Apply(const TableMetadata& /*base*/,
                                                   std::vector<ManifestFile> parent_manifests) {
  Applied out;
  out.operation = std::string(kOperationOverwrite);
  if (manifest_) out.manifests.push_back(*manifest_);
  for (const DataFile& f : files_) out.counts.Count(f, true);
  // Every live file of the state this attempt commits on becomes DELETED, grouped by manifest
  // content and spec since a manifest holds one of each.
  std::map<std::pair<ManifestContent, int32_t>, std::vector<ManifestEntry>> deleted;
  for (const ManifestFile& m : parent_manifests) {
    NILUS_ASSIGN_OR_RAISE(std::vector<ManifestEntry> entries, ReadManifest(io(), m));
    for (ManifestEntry& e : entries) {
      if (e.status == ManifestEntryStatus::kDeleted) continue;
      if (!e.sequence_number) {
        return Status::Corruption(
            fmt::format("manifest '{}': live entry '{}' has no sequence number", m.manifest_path,
                        e.data_file.file_path));
      }
      out.counts.Count(e.data_file, false);
      e.status = ManifestEntryStatus::kDeleted;
      e.snapshot_id = snapshot_id();
      if (!e.file_sequence_number) e.file_sequence_number = e.sequence_number;
      deleted[{m.content, m.partition_spec_id}].push_back(std::move(e));
    }
  }
  for (const auto& [key, entries] : deleted) {
    NILUS_ASSIGN_OR_RAISE(ManifestFile m, WriteAttemptManifest(key.first, entries, key.second));
    out.manifests.push_back(std::move(m));
  }
  return out;
}

}  // namespace nilus::iceberg
