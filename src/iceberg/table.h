// Catalog, Table and the snapshot producers (FastAppend, RowDelta, Overwrite): creating and
// loading Iceberg tables registered in a SQL catalog, and committing snapshots to them.
//
// A table's state is the metadata file its catalog row points to. A commit writes new files
// (manifest, manifest list, the next metadata file) that nobody sees yet, then publishes them
// with one compare-and-swap of that pointer (SqlCatalogStore::SwapMetadataLocation). When
// another writer won the swap, the commit reloads the table and tries again on top of the new
// state. Files a failed commit wrote are deleted best-effort; files that could not be deleted
// are orphans that never belong to a snapshot, so readers ignore them.
//
// Lifetimes: the SqlCatalogStore and the FileIO passed to Catalog must outlive it, and a
// Catalog must outlive the Tables it returned; a Table must outlive its producers
// (FastAppend, RowDelta, Overwrite).
//
// Thread-safety: a Catalog may be shared by threads (the store serializes its calls and FileIO
// is thread-safe). A Table and its producers belong to one thread; writers in other threads or
// processes use their own Table objects and the catalog settles who commits first.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/schema.h"
#include "core/value.h"
#include "iceberg/catalog/sql_catalog.h"
#include "iceberg/data_file.h"
#include "iceberg/partition_spec.h"
#include "iceberg/sort_order.h"
#include "iceberg/table_metadata.h"
#include "storage/file_io.h"

namespace nilus::iceberg {

class Table;

// Table properties read at commit time (the names Java uses). Defaults: 9 retries (10
// attempts), waits from 100 ms doubling up to 60 s, 100 metadata-log entries.
inline constexpr std::string_view kCommitNumRetries = "commit.retry.num-retries";
inline constexpr std::string_view kCommitMinRetryWaitMs = "commit.retry.min-wait-ms";
inline constexpr std::string_view kCommitMaxRetryWaitMs = "commit.retry.max-wait-ms";
inline constexpr std::string_view kMetadataPreviousVersionsMax =
    "write.metadata.previous-versions-max";

// Snapshot summary keys a fast append writes (the spec's "Snapshot Summary" fields).
inline constexpr std::string_view kAddedDataFiles = "added-data-files";
inline constexpr std::string_view kAddedRecords = "added-records";
inline constexpr std::string_view kAddedFilesSize = "added-files-size";
inline constexpr std::string_view kTotalRecords = "total-records";
inline constexpr std::string_view kTotalDataFiles = "total-data-files";
inline constexpr std::string_view kTotalDeleteFiles = "total-delete-files";
inline constexpr std::string_view kTotalPositionDeletes = "total-position-deletes";
inline constexpr std::string_view kTotalEqualityDeletes = "total-equality-deletes";
inline constexpr std::string_view kTotalFilesSize = "total-files-size";
// Keys row deltas and overwrites add (Java's names).
inline constexpr std::string_view kAddedDeleteFiles = "added-delete-files";
inline constexpr std::string_view kAddedPositionDeleteFiles = "added-position-delete-files";
inline constexpr std::string_view kAddedEqualityDeleteFiles = "added-equality-delete-files";
inline constexpr std::string_view kAddedPositionDeletes = "added-position-deletes";
inline constexpr std::string_view kAddedEqualityDeletes = "added-equality-deletes";
inline constexpr std::string_view kDeletedDataFiles = "deleted-data-files";
inline constexpr std::string_view kDeletedRecords = "deleted-records";
inline constexpr std::string_view kRemovedFilesSize = "removed-files-size";
inline constexpr std::string_view kRemovedDeleteFiles = "removed-delete-files";
inline constexpr std::string_view kRemovedPositionDeletes = "removed-position-deletes";
inline constexpr std::string_view kRemovedEqualityDeletes = "removed-equality-deletes";

// A SQL catalog with a warehouse: where new tables are placed and how their metadata is read.
class Catalog {
 public:
  // `warehouse` is the root under which tables are created (a local directory, file:// URI or
  // object-store prefix FileIO understands); a trailing '/' is ignored. Does no I/O.
  static Result<std::unique_ptr<Catalog>> Make(SqlCatalogStore* store, FileIO* io,
                                               std::string warehouse);

  SqlCatalogStore* store() const { return store_; }
  FileIO* io() const { return io_; }
  const std::string& warehouse() const { return warehouse_; }

  // "<warehouse>/<namespace levels joined by '/'>/<name>", where CreateTable puts a table.
  std::string DefaultTableLocation(const std::string& ns, const std::string& name) const;

  // Creates an empty table: builds its metadata (NewTableMetadata: field ids are assigned
  // afresh from 1, `spec` and `sort_order` refer to the ids in `schema` as passed), writes it as
  // "<location>/metadata/00000-<uuid>.metadata.json" (version 0, as Java and PyIceberg name the
  // first version), registers the table, then writes version-hint.text (best-effort).
  // Errors: NotFound when the namespace does not exist; AlreadyExists when the table does (when
  // another creator registered it between our check and our registration, the metadata file
  // just written is deleted best-effort, and the message says if it was left as an orphan);
  // InvalidArgument/TypeError for an invalid schema, spec or order; FileIO errors.
  Result<std::unique_ptr<Table>> CreateTable(const std::string& ns, const std::string& name,
                                             const Schema& schema, const PartitionSpec& spec,
                                             std::map<std::string, std::string> properties = {},
                                             const SortOrder& sort_order = SortOrder::Unsorted());

  // Loads the table's current metadata. Errors name the table and, once the catalog answered,
  // the metadata file: NotFound, Corruption, FileIO and catalog errors.
  Result<std::unique_ptr<Table>> LoadTable(const std::string& ns, const std::string& name);

 private:
  Catalog(SqlCatalogStore* store, FileIO* io, std::string warehouse)
      : store_(store), io_(io), warehouse_(std::move(warehouse)) {}
  friend class Table;
  // The metadata location the catalog holds and the metadata it names.
  Result<std::pair<std::string, TableMetadata>> LoadMetadata(const std::string& ns,
                                                             const std::string& name);

  SqlCatalogStore* store_;
  FileIO* io_;
  std::string warehouse_;
};

class FastAppend;
class RowDelta;
class Overwrite;
class RewriteFiles;
class DeleteFiles;
class SnapshotProducer;

// Selects files by partition value: a file matches when, for every (name, value) pair, the
// file's spec has a partition field of that name and the file's value for it equals `value`
// (a null Value matches a null partition value). An empty filter matches every file.
struct PartitionFilter {
  std::vector<std::pair<std::string, Value>> equals;

  PartitionFilter& Equal(std::string partition_field, Value value) {
    equals.emplace_back(std::move(partition_field), std::move(value));
    return *this;
  }
  // InvalidArgument when `spec` has no partition field of a filtered name (the filter cannot
  // decide for files of that spec) or `partition` does not have one value per spec field.
  Result<bool> Matches(const PartitionSpec& spec, const std::vector<Value>& partition) const;
  // "day=19000 AND bucket=3", for messages.
  std::string ToString() const;
};

// One loaded table: the metadata as of the last load, refresh or commit of this object.
class Table {
 public:
  const std::string& ns() const { return ns_; }
  const std::string& name() const { return name_; }
  // "ns.name", for messages.
  std::string FullName() const;
  const TableMetadata& metadata() const { return metadata_; }
  // The metadata file `metadata()` was read from (or written to).
  const std::string& metadata_location() const { return metadata_location_; }
  Catalog* catalog() const { return catalog_; }
  FileIO* io() const { return catalog_->io(); }

  // Reloads the metadata the catalog points to now. On error the table keeps its state.
  Status Refresh();

  // A new append that adds data files and keeps every manifest of the current snapshot.
  std::unique_ptr<FastAppend> NewFastAppend();
  // A new row delta that adds data files and delete files in one snapshot.
  std::unique_ptr<RowDelta> NewRowDelta();
  // A new overwrite: new data files replace every live file, or those a filter selects.
  std::unique_ptr<Overwrite> NewOverwrite();
  // A new rewrite (compaction): replaces files with files holding the same rows.
  std::unique_ptr<RewriteFiles> NewRewrite();
  // A new delete of whole files, by path or by partition.
  std::unique_ptr<DeleteFiles> NewDelete();

  // A metadata-only commit (schema change, property change, snapshot expiry): `change` builds
  // the next metadata from the current one. It runs once per attempt, again on freshly loaded
  // metadata after another writer won the catalog swap, so it must not do I/O that cannot be
  // repeated. This function records the previous metadata file in the metadata log, sets
  // last-updated-ms, writes the next metadata file and swaps the catalog pointer, retrying as
  // snapshot commits do (commit.retry.* properties). Errors, prefixed with `what` and the table
  // name: those `change` returns (never retried), Conflict after the last attempt, Unavailable
  // "commit state unknown", FileIO and catalog errors.
  using MetadataChange = std::function<Result<TableMetadata>(const TableMetadata& base)>;
  Status CommitMetadataChange(std::string_view what, const MetadataChange& change);

 private:
  friend class Catalog;
  friend class SnapshotProducer;
  // Writes `next` (built on the metadata this table holds) as the next metadata version and
  // swaps the catalog pointer to it. On success the table holds `next`. `*swap_lost` is set
  // when another writer moved the pointer first (retry on fresh metadata), `*state_unknown`
  // when the catalog failed during the swap and could not tell which metadata won (the new
  // file is then kept). `what` prefixes log lines.
  Status PublishNextMetadata(TableMetadata next, std::string_view what, bool* swap_lost,
                             bool* state_unknown);

  Table(Catalog* catalog, std::string ns, std::string name, std::string metadata_location,
        TableMetadata metadata)
      : catalog_(catalog),
        ns_(std::move(ns)),
        name_(std::move(name)),
        metadata_location_(std::move(metadata_location)),
        metadata_(std::move(metadata)) {}

  Catalog* catalog_;
  std::string ns_;
  std::string name_;
  std::string metadata_location_;
  TableMetadata metadata_;
};

// What one snapshot-producing commit changes, counted for the snapshot summary.
struct SnapshotChangeCounts {
  int64_t added_data_files = 0;
  int64_t added_records = 0;
  int64_t added_position_delete_files = 0;
  int64_t added_equality_delete_files = 0;
  int64_t added_position_deletes = 0;  // rows of the added position delete files
  int64_t added_equality_deletes = 0;
  int64_t added_files_size = 0;  // data and delete files
  int64_t deleted_data_files = 0;
  int64_t deleted_records = 0;
  int64_t removed_position_delete_files = 0;
  int64_t removed_equality_delete_files = 0;
  int64_t removed_position_deletes = 0;
  int64_t removed_equality_deletes = 0;
  int64_t removed_files_size = 0;

  // Counts `file` as added (`added`) or removed.
  void Count(const DataFile& file, bool added);
};

// The commit loop every snapshot producer shares: writes what does not depend on the table's
// state once (Prepare), then per attempt asks the subclass which manifests the new snapshot
// lists (Apply, on the state the attempt commits on), writes the manifest list and the next
// metadata file, and swaps the catalog pointer. On Conflict the table is reloaded and the
// change re-applied, with exponential backoff, up to the table's commit.retry.num-retries.
// Files of lost attempts are deleted best-effort, and the prepared files when the commit gives
// up; when the outcome is unknown (Unavailable "commit state unknown") every file is kept.
// Use once: configure the subclass, then Commit().
class SnapshotProducer {
 public:
  virtual ~SnapshotProducer() = default;
  SnapshotProducer(const SnapshotProducer&) = delete;
  SnapshotProducer& operator=(const SnapshotProducer&) = delete;

  // Commits; on success the Table holds the new metadata. Errors: InvalidArgument (bad input,
  // reserved summary keys, a second Commit); Conflict after the last attempt; Unavailable
  // "commit state unknown"; FileIO and catalog errors.
  Status Commit();

  // Attempts the last Commit() made (1 when it did not have to retry).
  int attempts() const { return attempts_; }
  // The snapshot the last successful Commit() added.
  const std::optional<Snapshot>& committed_snapshot() const { return committed_; }

 protected:
  SnapshotProducer(Table* table, std::string action) : table_(table), action_(std::move(action)) {}

  // What one attempt commits: manifests listed first (new ones), then the rest, and the counts
  // the summary is built from.
  struct Applied {
    std::string operation;
    std::vector<ManifestFile> manifests;
    SnapshotChangeCounts counts;
  };

  // Checks the input before any file is written.
  virtual Status Validate() { return Status::OK(); }
  // Writes the files every attempt reuses (WriteCommitManifest).
  virtual Status Prepare() { return Status::OK(); }
  // Builds one attempt on `base` (the table's current metadata); `parent_manifests` are the
  // manifests of its current snapshot (empty without one). Manifests written here must use
  // WriteAttemptManifest so that a lost attempt removes them.
  virtual Result<Applied> Apply(const TableMetadata& base,
                                std::vector<ManifestFile> parent_manifests) = 0;

  // Writes a manifest for the table's default spec (or `spec_id`) whose entries are `entries`,
  // kept for every attempt and deleted when the commit gives up.
  Result<ManifestFile> WriteCommitManifest(ManifestContent content,
                                           const std::vector<ManifestEntry>& entries,
                                           std::optional<int32_t> spec_id = std::nullopt);
  // The same for a manifest of the current attempt only.
  Result<ManifestFile> WriteAttemptManifest(ManifestContent content,
                                            const std::vector<ManifestEntry>& entries,
                                            int32_t spec_id);
  // Removes the live entries `select` picks from `manifests` (the parent's): manifests without
  // a picked entry are returned as they are; each other one is replaced by a new attempt
  // manifest holding its other live entries as EXISTING and the picked ones as DELETED (sequence
  // numbers kept, this snapshot's id); manifests all of whose live entries are picked are merged
  // into one DELETED-only manifest per content and spec. Removed files are counted in `counts`
  // and their paths added to `removed_paths` when given. Manifests without live entries are
  // dropped.
  using EntrySelector = std::function<Result<bool>(const ManifestFile&, const ManifestEntry&)>;
  Result<std::vector<ManifestFile>> RemoveEntries(std::vector<ManifestFile> manifests,
                                                  const EntrySelector& select,
                                                  SnapshotChangeCounts* counts,
                                                  std::vector<std::string>* removed_paths);
  // Stores a caller summary property.
  void SetProperty(std::string key, std::string value) {
    properties_[std::move(key)] = std::move(value);
  }

  Table* table() const { return table_; }
  int64_t snapshot_id() const { return snapshot_id_; }
  FileIO* io() const;

 private:
  Result<ManifestFile> WriteManifestFile(ManifestContent content,
                                         const std::vector<ManifestEntry>& entries,
                                         std::optional<int32_t> spec_id, std::string path);
  // Builds and publishes one attempt on top of the table's current metadata. `*swap_lost` is set
  // when the catalog pointer moved (retry), `*state_unknown` when the outcome is unknown.
  Status Attempt(int attempt, bool* swap_lost, bool* state_unknown);
  // Deletes, best-effort, files of this commit that no snapshot references.
  void DeleteQuietly(const std::string& path);

  Table* table_;
  std::string action_;  // "append to", "row delta on", ...: message prefix before the table
  std::map<std::string, std::string> properties_;
  std::string commit_uuid_;
  int64_t snapshot_id_ = 0;
  int attempt_ = 0;
  int manifest_count_ = 0;
  std::vector<std::string> commit_files_;
  std::vector<std::string> attempt_files_;
  bool used_ = false;
  int attempts_ = 0;
  std::optional<Snapshot> committed_;
};

// Appends data files as one new snapshot (operation "append"), keeping the parent's manifests
// as they are: the added files go into one new manifest written with the table's default spec.
// Use once: AppendFile/Set any number of times, then Commit().
class FastAppend : public SnapshotProducer {
 public:
  // A data file to add. Its partition values must match the table's default spec.
  FastAppend& AppendFile(DataFile file);
  // A summary property of the new snapshot, such as "nilus.load-id". The keys this producer
  // writes itself ("operation" and the standard counts) are refused at Commit.
  FastAppend& Set(std::string key, std::string value);

  // Commit() (SnapshotProducer): writes the manifest once, then per attempt the manifest list
  // and the next metadata file; on Conflict re-applied on top of the new current snapshot (the
  // manifest is reused). Also refuses delete files (InvalidArgument). A commit that appends no
  // file still makes a snapshot (useful to record summary properties).

 private:
  friend class Table;
  explicit FastAppend(Table* table) : SnapshotProducer(table, "append to") {}
  Status Validate() override;
  Status Prepare() override;
  Result<Applied> Apply(const TableMetadata& base,
                        std::vector<ManifestFile> parent_manifests) override;

  std::vector<DataFile> files_;
  std::optional<ManifestFile> manifest_;
};

// Adds data files and delete files (position and equality deletes) in one snapshot, keeping
// the parent's manifests: data files go into one new data manifest, delete files into one new
// delete manifest, both with the table's default spec. Operation "overwrite" when delete files
// are added, "append" otherwise.
//
// On Conflict the same manifests are re-applied on top of the new state. Equality deletes stay
// correct whatever another writer did (they apply by sequence number). Position deletes point
// at data files, so each attempt checks that the data files they name (their
// referenced_data_file, plus any ValidateDataFilesExist path) are still live: when a
// concurrent compaction or delete removed one, the commit fails with a Conflict that is not
// retried, since its deletes would silently point at nothing.
class RowDelta : public SnapshotProducer {
 public:
  // A data file to add (content kData).
  RowDelta& AddRows(DataFile file);
  // A position or equality delete file to add.
  RowDelta& AddDeletes(DataFile file);
  // Data files the added deletes refer to, checked on every attempt (see the class comment).
  RowDelta& ValidateDataFilesExist(std::vector<std::string> paths);
  // A caller summary property (reserved keys are refused at Commit).
  RowDelta& Set(std::string key, std::string value);

 private:
  friend class Table;
  explicit RowDelta(Table* table) : SnapshotProducer(table, "row delta on") {}
  Status Validate() override;
  Status Prepare() override;
  Result<Applied> Apply(const TableMetadata& base,
                        std::vector<ManifestFile> parent_manifests) override;

  std::vector<DataFile> data_files_;
  std::vector<DataFile> delete_files_;
  std::vector<std::string> required_files_;
  std::optional<ManifestFile> data_manifest_;
  std::optional<ManifestFile> delete_manifest_;
};

// Replaces the whole table, or the partitions a filter selects (operation "overwrite"): adds new
// data files (one data manifest, default spec) and marks every data and delete file live in the
// state it commits on, and selected, as DELETED. Manifests without a selected file are kept as
// they are; the others are rewritten with the unselected entries as EXISTING and the selected
// ones as DELETED (keeping their sequence numbers, carrying this snapshot's id, as the spec asks).
// On Conflict the selection is recomputed on the new state, so files another writer committed
// meanwhile into the selected partitions are replaced too.
class Overwrite : public SnapshotProducer {
 public:
  // A data file to add (content kData).
  Overwrite& AddFile(DataFile file);
  // Replaces only the files `filter` selects (the default replaces every file). Every added
  // file must match the filter (InvalidArgument at Commit otherwise), and every live file's
  // spec must have the filtered fields.
  Overwrite& OverwriteWhere(PartitionFilter filter);
  // Replaces only the partitions the added files fall in (same spec and partition tuple):
  // "dynamic partition overwrite". Cannot be combined with OverwriteWhere.
  Overwrite& ReplaceAddedPartitions();
  // A caller summary property (reserved keys are refused at Commit).
  Overwrite& Set(std::string key, std::string value);

 private:
  friend class Table;
  explicit Overwrite(Table* table) : SnapshotProducer(table, "overwrite of") {}
  Status Validate() override;
  Status Prepare() override;
  Result<Applied> Apply(const TableMetadata& base,
                        std::vector<ManifestFile> parent_manifests) override;

  std::vector<DataFile> files_;
  std::optional<PartitionFilter> filter_;
  bool replace_added_partitions_ = false;
  std::optional<ManifestFile> manifest_;
};

// Replaces files by files holding the same rows, as compaction does (operation "replace"):
// removes data and delete files, adds data files. The added files take the data sequence number
// of the snapshot the rewrite started from, so that equality deletes committed after it still
// apply to their rows and deletes already applied do not apply again.
//
// Each attempt checks the state it commits on: every removed file must still be live (Conflict,
// not retried, when another writer removed it), and no position delete file committed after
// the start snapshot may point at a removed data file (its deletes would be lost; Conflict, not
// retried). Equality deletes committed meanwhile are harmless, see above.
class RewriteFiles : public SnapshotProducer {
 public:
  // A live data or delete file to remove (matched by path).
  RewriteFiles& RemoveFile(DataFile file);
  // A data file to add, holding rows of the removed files.
  RewriteFiles& AddFile(DataFile file);
  // The snapshot whose files were read (the table's current snapshot when the producer was
  // made, by default).
  RewriteFiles& StartFrom(int64_t snapshot_id);
  // A caller summary property (reserved keys are refused at Commit).
  RewriteFiles& Set(std::string key, std::string value);

 private:
  friend class Table;
  explicit RewriteFiles(Table* table);
  Status Validate() override;
  Status Prepare() override;
  Result<Applied> Apply(const TableMetadata& base,
                        std::vector<ManifestFile> parent_manifests) override;

  std::vector<DataFile> removed_;
  std::vector<DataFile> added_;
  std::optional<int64_t> start_snapshot_id_;
  int64_t start_sequence_number_ = 0;
  std::optional<ManifestFile> manifest_;
};

// Removes whole files (operation "delete"): data files named by path, and/or every data and
// delete file in the partitions a filter selects. A named file that is not live in the state
// an attempt commits on is a Conflict (not retried): another writer removed it.
class DeleteFiles : public SnapshotProducer {
 public:
  // Removes the live data file at `path`.
  DeleteFiles& DeleteFile(std::string path);
  // Removes every live data and delete file `filter` selects.
  DeleteFiles& DeleteWhere(PartitionFilter filter);
  // A caller summary property (reserved keys are refused at Commit).
  DeleteFiles& Set(std::string key, std::string value);

 private:
  friend class Table;
  explicit DeleteFiles(Table* table) : SnapshotProducer(table, "delete from") {}
  Status Validate() override;
  Result<Applied> Apply(const TableMetadata& base,
                        std::vector<ManifestFile> parent_manifests) override;

  std::vector<std::string> paths_;
  std::optional<PartitionFilter> filter_;
};

}  // namespace nilus::iceberg
