// Catalog, Table and FastAppend: creating and loading Iceberg tables registered in a SQL catalog,
// and committing appends to them.
//
// A table's state is the metadata file its catalog row points to. A commit writes new files
// (manifest, manifest list, the next metadata file) that nobody sees yet, then publishes them
// with one compare-and-swap of that pointer (SqlCatalogStore::SwapMetadataLocation). When
// another writer won the swap, the commit reloads the table and tries again on top of the new
// state. Files a failed commit wrote are deleted best-effort; files that could not be deleted
// are orphans that never belong to a snapshot, so readers ignore them.
//
// Lifetimes: the SqlCatalogStore and the FileIO passed to Catalog must outlive it, and a
// Catalog must outlive the Tables it returned; a Table must outlive its FastAppends.
//
// Thread-safety: a Catalog may be shared by threads (the store serializes its calls and FileIO
// is thread-safe). A Table and its producers belong to one thread; writers in other threads or
// processes use their own Table objects and the catalog settles who commits first.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/schema.h"
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

 private:
  friend class Catalog;
  friend class FastAppend;
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

// Appends data files as one new snapshot (operation "append"), keeping the parent's manifests
// as they are: the added files go into one new manifest written with the table's default spec.
// Use once: AppendFile/Set any number of times, then Commit().
class FastAppend {
 public:
  // A data file to add. Its partition values must match the table's default spec.
  FastAppend& AppendFile(DataFile file);
  // A summary property of the new snapshot, such as "nilus.load-id". The keys this producer
  // writes itself ("operation" and the standard counts) are refused at Commit.
  FastAppend& Set(std::string key, std::string value);

  // Writes the manifest, the manifest list and the next metadata file, then swaps the catalog
  // pointer. On Conflict the table is reloaded and the append re-applied on top of the new
  // current snapshot (the manifest is reused), waiting with exponential backoff between
  // attempts, up to the table's commit.retry.num-retries. On success the Table holds the new
  // metadata. Errors: InvalidArgument (delete files, reserved summary keys, partition values
  // not matching the spec, a second Commit); Conflict after the last attempt; Unavailable
  // "commit state unknown" when the catalog failed during the swap and could not be asked
  // which metadata won (files are then kept, as they may be live); FileIO and catalog errors.
  // A commit that appends no file still makes a snapshot (useful to record summary
  // properties).
  Status Commit();

  // Attempts the last Commit() made (1 when it did not have to retry).
  int attempts() const { return attempts_; }
  // The snapshot the last successful Commit() added.
  const std::optional<Snapshot>& committed_snapshot() const { return committed_; }

 private:
  friend class Table;
  explicit FastAppend(Table* table) : table_(table) {}

  // Writes the new manifest once; `manifest_` keeps it for later attempts.
  Status WriteManifest();
  // Builds and publishes one attempt on top of the table's current metadata. `*swap_lost` is set
  // when the catalog pointer moved (retry), `*state_unknown` when the outcome is unknown.
  Status Attempt(int attempt, bool* swap_lost, bool* state_unknown);
  // Deletes, best-effort, files of this commit that no snapshot references.
  void DeleteQuietly(const std::string& path);

  Table* table_;
  std::vector<DataFile> files_;
  std::map<std::string, std::string> properties_;
  std::string commit_uuid_;
  int64_t snapshot_id_ = 0;
  std::optional<ManifestFile> manifest_;
  bool used_ = false;
  int attempts_ = 0;
  std::optional<Snapshot> committed_;
};

}  // namespace nilus::iceberg
