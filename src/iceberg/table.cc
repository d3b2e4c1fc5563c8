#include "iceberg/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "core/logging.h"
#include "iceberg/file_writers.h"
#include "iceberg/manifest.h"
#include "iceberg/manifest_list.h"
#include "iceberg/scan.h"
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

std::unique_ptr<RewriteFiles> Table::NewRewrite() {
  return std::unique_ptr<RewriteFiles>(new RewriteFiles(this));
}

std::unique_ptr<DeleteFiles> Table::NewDelete() {
  return std::unique_ptr<DeleteFiles>(new DeleteFiles(this));
}

Status Table::PublishNextMetadata(TableMetadata next, std::string_view what, bool* swap_lost,
                                  bool* state_unknown) {
  *swap_lost = false;
  *state_unknown = false;
  FileIO* io = catalog_->io();
  const TableMetadata& base = metadata_;
  const std::string base_location = metadata_location_;
  next.RecordPreviousMetadata(base_location, base.last_updated_ms,
                              static_cast<size_t>(std::max<int64_t>(
                                  1, IntProperty(base.properties, kMetadataPreviousVersionsMax,
                                                 kDefaultPreviousVersionsMax))));
  // Never before the base's last update, so that the logs stay ordered.
  next.last_updated_ms = std::max(next.last_updated_ms, base.last_updated_ms);

  // Foreign names without a version number continue from the metadata-log length.
  auto base_version = ParseMetadataVersion(base_location);
  const int version =
      base_version.ok() ? *base_version + 1 : static_cast<int>(next.metadata_log.size());
  const std::string new_location = NewMetadataFilePath(base.location, version);
  NILUS_RETURN_NOT_OK(WriteTableMetadata(io, new_location, next));

  Status swapped = catalog_->store()->SwapMetadataLocation(ns_, name_, base_location, new_location);
  if (!swapped.ok() && swapped.code() == StatusCode::kUnavailable) {
    // The connection failed during the swap: ask the catalog which metadata won.
    auto now = catalog_->store()->LoadTable(ns_, name_);
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
    Status st = io->Delete(new_location);
    if (!st.ok() && st.code() != StatusCode::kNotFound) {
      Log().warn("{}: could not delete unpublished metadata '{}' (an orphan now): {}", what,
                 new_location, st.ToString());
    }
    if (swapped.code() == StatusCode::kConflict) *swap_lost = true;
    return swapped;
  }

  metadata_ = std::move(next);
  metadata_location_ = new_location;
  Status hint = WriteVersionHint(io, metadata_.location, new_location);
  if (!hint.ok()) {
    Log().warn("{}: version hint not written (the catalog is authoritative): {}", what,
               hint.ToString());
  }
  return Status::OK();
}

Status Table::CommitMetadataChange(std::string_view action, const MetadataChange& change) {
  const std::string what = fmt::format("{} {}", action, FullName());
  const auto& props = metadata_.properties;
  const int64_t retries = IntProperty(props, kCommitNumRetries, kDefaultNumRetries);
  const int64_t min_wait = IntProperty(props, kCommitMinRetryWaitMs, kDefaultMinRetryWaitMs);
  const int64_t max_wait =
      std::max(min_wait, IntProperty(props, kCommitMaxRetryWaitMs, kDefaultMaxRetryWaitMs));
  Status last;
  for (int attempt = 1; attempt <= retries + 1; ++attempt) {
    if (attempt > 1) {
      Backoff(attempt - 1, min_wait, max_wait);
      NILUS_RETURN_NOT_OK_CTX(Refresh(), what);
    }
    auto next = change(metadata_);
    if (!next.ok()) return next.status().WithContext(what);
    next->last_updated_ms = NowMs();
    NILUS_RETURN_NOT_OK_CTX(next->Validate(), what);
    bool swap_lost = false;
    bool state_unknown = false;
    last = PublishNextMetadata(next.MoveValue(), what, &swap_lost, &state_unknown);
    if (last.ok()) return Status::OK();
    if (!swap_lost) return last.WithContext(what);
    Log().debug("{}: attempt {} lost the catalog swap, retrying: {}", what, attempt,
                last.ToString());
  }
  return Status::Conflict(
      fmt::format("{}: gave up after {} attempts: {}", what, retries + 1, last.message()));
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
  if (base.SnapshotById(snapshot_id_) != nullptr) {
    // A random 63-bit id collided; the manifests already carry it, so give up.
    return Status::Internal(fmt::format("snapshot id {} is already used", snapshot_id_));
  }

  const Snapshot* parent = base.CurrentSnapshot();
  std::vector<ManifestFile> parent_manifests;
  if (parent != nullptr) {
    NILUS_ASSIGN_OR_RAISE(parent_manifests, ReadManifestList(io, parent->manifest_list));
    // A manifest whose entries are all DELETED only records the parent's removals; later
    // snapshots do not list it (as Java does).
    std::erase_if(parent_manifests, [](const ManifestFile& m) {
      return m.added_files_count == 0 && m.existing_files_count == 0 && m.deleted_files_count > 0;
    });
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
  Status added = next.AddSnapshotToMain(snapshot);
  if (!added.ok()) return fail(added);
  const std::string what = fmt::format("{} {}", action_, table_->FullName());
  Status published = table_->PublishNextMetadata(std::move(next), what, swap_lost, state_unknown);
  if (!published.ok()) {
    if (*state_unknown) return published;  // every file is kept
    return fail(published);
  }
  attempt_files_.clear();
  committed_ = std::move(snapshot);
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

RowDelta& RowDelta::ValidateDataFilesExist(std::vector<std::string> paths) {
  for (std::string& p : paths) required_files_.push_back(std::move(p));
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
  // Position deletes must still point at live data files (see the class comment).
  std::set<std::string> required(required_files_.begin(), required_files_.end());
  for (const DataFile& f : delete_files_) {
    if (f.content == DataFileContent::kPositionDeletes && f.referenced_data_file) {
      required.insert(*f.referenced_data_file);
    }
  }
  if (!required.empty()) {
    for (const ManifestFile& m : parent_manifests) {
      if (m.content != ManifestContent::kData) continue;
      NILUS_ASSIGN_OR_RAISE(std::vector<ManifestEntry> entries, ReadManifest(io(), m));
      for (const ManifestEntry& e : entries) {
        if (e.status != ManifestEntryStatus::kDeleted) required.erase(e.data_file.file_path);
      }
    }
    for (const DataFile& f : data_files_) required.erase(f.file_path);
    if (!required.empty()) {
      return Status::Conflict(fmt::format(
          "data file '{}' that the added position deletes refer to is no longer live (a "
          "concurrent compaction or delete removed it)",
          *required.begin()));
    }
  }
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
// Removing entries (Overwrite, RewriteFiles, DeleteFiles)

Result<std::vector<ManifestFile>> SnapshotProducer::RemoveEntries(
    std::vector<ManifestFile> manifests, const EntrySelector& select, SnapshotChangeCounts* counts,
    std::vector<std::string>* removed_paths) {
  std::vector<ManifestFile> out;
  out.reserve(manifests.size());
  std::map<std::pair<ManifestContent, int32_t>, std::vector<ManifestEntry>> all_deleted;
  for (ManifestFile& m : manifests) {
    NILUS_ASSIGN_OR_RAISE(std::vector<ManifestEntry> entries, ReadManifest(io(), m));
    std::vector<ManifestEntry> rewritten;
    rewritten.reserve(entries.size());
    bool picked_any = false;
    for (ManifestEntry& e : entries) {
      if (e.status == ManifestEntryStatus::kDeleted) continue;  // recorded by an older snapshot
      if (!e.sequence_number) {
        return Status::Corruption(
            fmt::format("manifest '{}': live entry '{}' has no sequence number", m.manifest_path,
                        e.data_file.file_path));
      }
      if (!e.file_sequence_number) e.file_sequence_number = e.sequence_number;
      NILUS_ASSIGN_OR_RAISE(bool picked, select(m, e));
      if (picked) {
        picked_any = true;
        counts->Count(e.data_file, false);
        if (removed_paths) removed_paths->push_back(e.data_file.file_path);
        e.status = ManifestEntryStatus::kDeleted;
        e.snapshot_id = snapshot_id();
      } else {
        e.status = ManifestEntryStatus::kExisting;
      }
      rewritten.push_back(std::move(e));
    }
    if (rewritten.empty()) continue;  // nothing live
    if (!picked_any) {
      out.push_back(std::move(m));
      continue;
    }
    if (std::all_of(rewritten.begin(), rewritten.end(), [](const ManifestEntry& e) {
          return e.status == ManifestEntryStatus::kDeleted;
        })) {
      // Merged below, so that replacing a table of many manifests writes few.
      auto& bucket = all_deleted[{m.content, m.partition_spec_id}];
      for (ManifestEntry& e : rewritten) bucket.push_back(std::move(e));
      continue;
    }
    NILUS_ASSIGN_OR_RAISE(ManifestFile nm,
                          WriteAttemptManifest(m.content, rewritten, m.partition_spec_id));
    out.push_back(std::move(nm));
  }
  for (const auto& [key, entries] : all_deleted) {
    NILUS_ASSIGN_OR_RAISE(ManifestFile nm, WriteAttemptManifest(key.first, entries, key.second));
    out.push_back(std::move(nm));
  }
  return out;
}

Result<bool> PartitionFilter::Matches(const PartitionSpec& spec,
                                      const std::vector<Value>& partition) const {
  if (partition.size() != spec.fields.size()) {
    return Status::Invalid(fmt::format("partition tuple has {} values, spec {} has {} fields",
                                       partition.size(), spec.spec_id, spec.fields.size()));
  }
  for (const auto& [name, value] : equals) {
    size_t i = 0;
    while (i < spec.fields.size() && spec.fields[i].name != name) ++i;
    if (i == spec.fields.size()) {
      return Status::Invalid(fmt::format(
          "partition filter '{}': partition spec {} has no field '{}', so files written with it "
          "cannot be selected",
          ToString(), spec.spec_id, name));
    }
    const Value& have = partition[i];
    if (value.is_null() || have.is_null()) {
      if (value.is_null() != have.is_null()) return false;
      continue;
    }
    // int and long partition values compare by value (a filter built from a long literal
    // must select an int partition).
    auto as_integer = [](const Value& v) -> std::optional<int64_t> {
      if (const auto* i = std::get_if<int32_t>(&v.v)) return *i;
      if (const auto* l = std::get_if<int64_t>(&v.v)) return *l;
      return std::nullopt;
    };
    auto a = as_integer(value);
    auto b = as_integer(have);
    if (a && b ? *a != *b : !(value.v == have.v)) return false;
  }
  return true;
}

std::string PartitionFilter::ToString() const {
  if (equals.empty()) return "true";
  std::string out;
  for (const auto& [name, value] : equals) {
    if (!out.empty()) out += " AND ";
    out += fmt::format("{}={}", name, value.is_null() ? "null" : value.ToString());
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Overwrite

Overwrite& Overwrite::AddFile(DataFile file) {
  files_.push_back(std::move(file));
  return *this;
}

Overwrite& Overwrite::OverwriteWhere(PartitionFilter filter) {
  filter_ = std::move(filter);
  return *this;
}

Overwrite& Overwrite::ReplaceAddedPartitions() {
  replace_added_partitions_ = true;
  return *this;
}

Overwrite& Overwrite::Set(std::string key, std::string value) {
  SetProperty(std::move(key), std::move(value));
  return *this;
}

Status Overwrite::Validate() {
  NILUS_RETURN_NOT_OK(
      RequireContent(files_, false, "is a delete file; an overwrite adds data files"));
  if (filter_ && replace_added_partitions_) {
    return Status::Invalid("OverwriteWhere and ReplaceAddedPartitions cannot be combined");
  }
  if (filter_) {
    const PartitionSpec* spec = table()->metadata().DefaultSpec();
    for (const DataFile& f : files_) {
      NILUS_ASSIGN_OR_RAISE(bool match, filter_->Matches(*spec, f.partition));
      if (!match) {
        return Status::Invalid(fmt::format(
            "'{}' is outside the overwritten partitions ({}): it would survive as new data "
            "beside them",
            f.file_path, filter_->ToString()));
      }
    }
  }
  return Status::OK();
}

Status Overwrite::Prepare() {
  if (files_.empty()) return Status::OK();
  NILUS_ASSIGN_OR_RAISE(
      manifest_, WriteCommitManifest(ManifestContent::kData, AddedEntries(files_, snapshot_id())));
  return Status::OK();
}

Result<SnapshotProducer::Applied> Overwrite::Apply(const TableMetadata& base,
                                                   std::vector<ManifestFile> parent_manifests) {
  Applied out;
  out.operation = std::string(kOperationOverwrite);
  if (manifest_) out.manifests.push_back(*manifest_);
  for (const DataFile& f : files_) out.counts.Count(f, true);
  std::set<std::string> added_partitions;
  if (replace_added_partitions_) {
    for (const DataFile& f : files_) {
      added_partitions.insert(PartitionTupleKey(base.default_spec_id, f.partition));
    }
  }
  EntrySelector select = [&](const ManifestFile& m, const ManifestEntry& e) -> Result<bool> {
    if (replace_added_partitions_) {
      return added_partitions.count(PartitionTupleKey(m.partition_spec_id, e.data_file.partition)) >
             0;
    }
    if (!filter_) return true;
    const PartitionSpec* spec = base.SpecById(m.partition_spec_id);
    if (spec == nullptr) {
      return Status::Corruption(fmt::format("manifest '{}' names unknown partition spec {}",
                                            m.manifest_path, m.partition_spec_id));
    }
    return filter_->Matches(*spec, e.data_file.partition);
  };
  NILUS_ASSIGN_OR_RAISE(std::vector<ManifestFile> kept,
                        RemoveEntries(std::move(parent_manifests), select, &out.counts, nullptr));
  for (ManifestFile& m : kept) out.manifests.push_back(std::move(m));
  return out;
}

// ---------------------------------------------------------------------------------------------
// RewriteFiles

RewriteFiles::RewriteFiles(Table* table) : SnapshotProducer(table, "rewrite of") {
  if (const Snapshot* current = table->metadata().CurrentSnapshot()) {
    start_snapshot_id_ = current->snapshot_id;
  }
}

RewriteFiles& RewriteFiles::RemoveFile(DataFile file) {
  removed_.push_back(std::move(file));
  return *this;
}

RewriteFiles& RewriteFiles::AddFile(DataFile file) {
  added_.push_back(std::move(file));
  return *this;
}

RewriteFiles& RewriteFiles::StartFrom(int64_t snapshot_id) {
  start_snapshot_id_ = snapshot_id;
  return *this;
}

RewriteFiles& RewriteFiles::Set(std::string key, std::string value) {
  SetProperty(std::move(key), std::move(value));
  return *this;
}

Status RewriteFiles::Validate() {
  NILUS_RETURN_NOT_OK(RequireContent(added_, false, "is a delete file; a rewrite adds data"));
  if (removed_.empty()) return Status::Invalid("a rewrite must remove at least one file");
  if (!start_snapshot_id_) return Status::Invalid("the table has no snapshot to rewrite");
  const Snapshot* start = table()->metadata().SnapshotById(*start_snapshot_id_);
  if (start == nullptr) {
    return Status::Invalid(
        fmt::format("start snapshot {} is not in the table's metadata", *start_snapshot_id_));
  }
  start_sequence_number_ = start->sequence_number;
  return Status::OK();
}

Status RewriteFiles::Prepare() {
  if (added_.empty()) return Status::OK();
  std::vector<ManifestEntry> entries = AddedEntries(added_, snapshot_id());
  // The rows are as old as the snapshot they were read from (see the class comment).
  for (ManifestEntry& e : entries) e.sequence_number = start_sequence_number_;
  NILUS_ASSIGN_OR_RAISE(manifest_, WriteCommitManifest(ManifestContent::kData, entries));
  return Status::OK();
}

Result<SnapshotProducer::Applied> RewriteFiles::Apply(const TableMetadata& /*base*/,
                                                      std::vector<ManifestFile> parent_manifests) {
  Applied out;
  out.operation = std::string(kOperationReplace);
  std::set<std::string> removed_data;
  std::set<std::string> removed_all;
  for (const DataFile& f : removed_) {
    removed_all.insert(f.file_path);
    if (f.content == DataFileContent::kData) removed_data.insert(f.file_path);
  }
  // Position deletes committed after the start may point at rows of the files being replaced.
  for (const ManifestFile& m : parent_manifests) {
    if (m.content != ManifestContent::kDeletes || m.sequence_number <= start_sequence_number_) {
      continue;
    }
    NILUS_ASSIGN_OR_RAISE(std::vector<ManifestEntry> entries, ReadManifest(io(), m));
    for (const ManifestEntry& e : entries) {
      const DataFile& d = e.data_file;
      if (e.status == ManifestEntryStatus::kDeleted ||
          d.content != DataFileContent::kPositionDeletes || !e.sequence_number ||
          *e.sequence_number <= start_sequence_number_) {
        continue;
      }
      bool may_apply = false;
      if (d.referenced_data_file) {
        may_apply = removed_data.count(*d.referenced_data_file) > 0;
      } else {
        auto lo = d.lower_bounds.find(kDeleteFilePathFieldId);
        auto hi = d.upper_bounds.find(kDeleteFilePathFieldId);
        for (const std::string& path : removed_data) {
          if ((lo == d.lower_bounds.end() || lo->second <= path) &&
              (hi == d.upper_bounds.end() || path <= hi->second)) {
            may_apply = true;
            break;
          }
        }
      }
      if (may_apply) {
        return Status::Conflict(fmt::format(
            "position delete file '{}' was committed after snapshot {} and may delete rows of "
            "the files being rewritten; rewrite again from the current snapshot",
            d.file_path, *start_snapshot_id_));
      }
    }
  }
  std::vector<std::string> found;
  EntrySelector select = [&](const ManifestFile&, const ManifestEntry& e) -> Result<bool> {
    return removed_all.count(e.data_file.file_path) > 0;
  };
  NILUS_ASSIGN_OR_RAISE(std::vector<ManifestFile> kept,
                        RemoveEntries(std::move(parent_manifests), select, &out.counts, &found));
  if (found.size() != removed_all.size()) {
    for (const std::string& path : found) removed_all.erase(path);
    return Status::Conflict(fmt::format(
        "'{}' is no longer live (another commit removed it); rewrite again from the current "
        "snapshot",
        *removed_all.begin()));
  }
  if (manifest_) out.manifests.push_back(*manifest_);
  for (const DataFile& f : added_) out.counts.Count(f, true);
  for (ManifestFile& m : kept) out.manifests.push_back(std::move(m));
  return out;
}

// ---------------------------------------------------------------------------------------------
// DeleteFiles

DeleteFiles& DeleteFiles::DeleteFile(std::string path) {
  paths_.push_back(std::move(path));
  return *this;
}

DeleteFiles& DeleteFiles::DeleteWhere(PartitionFilter filter) {
  filter_ = std::move(filter);
  return *this;
}

DeleteFiles& DeleteFiles::Set(std::string key, std::string value) {
  SetProperty(std::move(key), std::move(value));
  return *this;
}

Status DeleteFiles::Validate() {
  if (paths_.empty() && !filter_) {
    return Status::Invalid("nothing to delete: name files or give a partition filter");
  }
  return Status::OK();
}

Result<SnapshotProducer::Applied> DeleteFiles::Apply(const TableMetadata& base,
                                                     std::vector<ManifestFile> parent_manifests) {
  Applied out;
  out.operation = std::string(kOperationDelete);
  std::set<std::string> named(paths_.begin(), paths_.end());
  std::set<std::string> found;
  EntrySelector select = [&](const ManifestFile& m, const ManifestEntry& e) -> Result<bool> {
    if (e.data_file.content == DataFileContent::kData && named.count(e.data_file.file_path)) {
      found.insert(e.data_file.file_path);
      return true;
    }
    if (!filter_) return false;
    const PartitionSpec* spec = base.SpecById(m.partition_spec_id);
    if (spec == nullptr) {
      return Status::Corruption(fmt::format("manifest '{}' names unknown partition spec {}",
                                            m.manifest_path, m.partition_spec_id));
    }
    return filter_->Matches(*spec, e.data_file.partition);
  };
  NILUS_ASSIGN_OR_RAISE(out.manifests,
                        RemoveEntries(std::move(parent_manifests), select, &out.counts, nullptr));
  for (const std::string& path : named) {
    if (!found.count(path)) {
      return Status::Conflict(
          fmt::format("data file '{}' is not live in the table (another commit removed it, or "
                      "it never belonged to the table)",
                      path));
    }
  }
  return out;
}

}  // namespace nilus::iceberg
