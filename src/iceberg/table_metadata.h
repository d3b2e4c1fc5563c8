// TableMetadata: the content of one `<version>-<uuid>.metadata.json` file, format version 2
// (spec "Table Metadata"), with JSON read and write, validation, snapshot ancestry and the
// file naming and I/O helpers commits use.
//
// Reading is tolerant: fields Nilus does not model (statistics, partition-statistics, fields of
// later spec revisions) are ignored, current-snapshot-id may be -1, null or absent, and "refs"
// may be absent (the main branch is then derived from current-snapshot-id). Writing follows
// what Java writes for v2: current-snapshot-id is -1 when the table has no snapshot.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/schema.h"
#include "iceberg/partition_spec.h"
#include "iceberg/snapshot.h"
#include "iceberg/sort_order.h"

namespace nilus {
class FileIO;
}

namespace nilus::iceberg {

inline constexpr int kTableFormatVersion = 2;

struct TableMetadata {
  int format_version = kTableFormatVersion;
  std::string table_uuid;
  std::string location;  // the table's base location, no trailing '/'
  int64_t last_sequence_number = 0;
  int64_t last_updated_ms = 0;
  int32_t last_column_id = 0;
  std::vector<SchemaPtr> schemas;
  int32_t current_schema_id = 0;
  std::vector<PartitionSpec> partition_specs;
  int32_t default_spec_id = 0;
  int32_t last_partition_id = kPartitionDataIdStart - 1;
  std::map<std::string, std::string> properties;
  std::optional<int64_t> current_snapshot_id;  // nullopt: the table has no snapshot
  std::vector<Snapshot> snapshots;
  std::vector<SnapshotLogEntry> snapshot_log;
  std::vector<MetadataLogEntry> metadata_log;
  std::vector<SortOrder> sort_orders;
  int32_t default_sort_order_id = 0;
  std::map<std::string, SnapshotRef> refs;

  // Lookups; nullptr when absent.
  const Schema* SchemaById(int32_t schema_id) const;
  const Schema* CurrentSchema() const;
  const PartitionSpec* SpecById(int32_t spec_id) const;
  const PartitionSpec* DefaultSpec() const;
  const SortOrder* SortOrderById(int32_t order_id) const;
  const SortOrder* DefaultSortOrder() const;
  const Snapshot* SnapshotById(int64_t snapshot_id) const;
  const Snapshot* CurrentSnapshot() const;

  // The snapshot `snapshot_id` followed by its parent, grandparent, ... while they are still in
  // `snapshots` (expired ancestors end the walk). Empty when `snapshot_id` is unknown. Pointers
  // stay valid until `snapshots` changes.
  std::vector<const Snapshot*> Ancestors(int64_t snapshot_id) const;

  // The value of summary property `key` in the newest snapshot that has it, walking back from
  // the current snapshot through its ancestors. nullopt when no snapshot in that line has it
  // (or the table has no snapshot). This is how a load finds the last committed "nilus.lsn" or
  // "nilus.load-id".
  std::optional<std::string> FindLatestSummaryProperty(std::string_view key) const;

  // Commit helpers for building the next metadata version from this one.
  //
  // Adds `snapshot` as the new head of the main branch: appends it to `snapshots`, sets
  // current-snapshot-id and refs["main"], raises last-sequence-number to its sequence number,
  // appends a snapshot-log entry and sets last-updated-ms to its timestamp. InvalidArgument
  // (nothing changed) when its id is already used, its parent is not the current snapshot, or
  // its sequence number is not above last-sequence-number.
  Status AddSnapshotToMain(Snapshot snapshot);
  // Appends the metadata file this version replaces to metadata-log, dropping the oldest
  // entries beyond `max_entries` (Java's write.metadata.previous-versions-max, default 100).
  void RecordPreviousMetadata(std::string metadata_file, int64_t timestamp_ms,
                              size_t max_entries = 100);

  // Checks the rules of the v2 spec that Nilus relies on: version 2, a UUID, a location; every
  // default/current id names an entry that exists and ids are unique; last-column-id and
  // last-partition-id are at least the highest ids used; schemas, the default spec and the
  // default sort order are valid; snapshots have unique ids and sequence numbers no greater
  // than last-sequence-number; current-snapshot-id and every ref point at a snapshot, and the
  // main branch agrees with current-snapshot-id. InvalidArgument naming what is wrong.
  Status Validate() const;
};

// Builds the metadata of a new, empty table, the way Java's TableMetadata.newTableMetadata
// does: the schema's field ids are assigned afresh from 1 (breadth-first: the fields of a
// struct, then their children), the spec's and sort order's source ids are mapped to the new
// ids, partition field ids are assigned from 1000, the spec gets id 0 and a sorted order id 1
// (the unsorted order keeps 0). A new table UUID is drawn and last-updated-ms is now.
// `location` loses any trailing '/'. Source ids of `spec` and `sort_order` refer to the ids in
// `schema` as passed. Errors: InvalidArgument/TypeError for an invalid schema, spec or order.
Result<TableMetadata> NewTableMetadata(const Schema& schema, const PartitionSpec& spec,
                                       const SortOrder& sort_order, std::string location,
                                       std::map<std::string, std::string> properties = {});

// Pretty-printed JSON (2-space indent, the spec's field names, Java's field order).
std::string TableMetadataToJson(const TableMetadata& metadata);
// Parses and validates. `source` names the document in errors (usually its path):
// "table metadata '<source>': field 'schemas[0].fields[1].type': unknown or unsupported type
// 'strin'". Corruption for malformed JSON or missing/mistyped fields, NotImplemented for a
// format version other than 2, InvalidArgument when validation fails.
Result<TableMetadata> TableMetadataFromJson(std::string_view json, std::string_view source = "");

// "00001-<uuid>.metadata.json": the version zero-padded to 5 digits and a fresh random UUID,
// the names Java and PyIceberg give metadata files. Precondition: version >= 0.
std::string MetadataFileName(int version);
// "<location>/metadata/<MetadataFileName(version)>".
std::string NewMetadataFilePath(std::string_view table_location, int version);
// The version of a metadata file path: "…/00042-<uuid>.metadata.json" -> 42, and the Hadoop
// style "…/v3.metadata.json" -> 3. InvalidArgument naming the path otherwise.
Result<int> ParseMetadataVersion(std::string_view path);

// Reads and parses a metadata file. Errors name the path. A gzip-compressed file
// (".gz.metadata.json") is NotImplemented.
Result<TableMetadata> ReadTableMetadata(FileIO* io, const std::string& path);
// Validates, then writes with CreateMode::kExclusive: AlreadyExists when `path` exists, so that
// two writers can never publish the same metadata file. Nothing is left behind on failure.
Status WriteTableMetadata(FileIO* io, const std::string& path, const TableMetadata& metadata);

// Writes "<table_location>/metadata/version-hint.text" (replacing it) so that path-based readers
// find the latest metadata. Its content is the metadata file's name without
// ".metadata.json" ("00003-<uuid>"), which DuckDB's iceberg_scan resolves with its default
// version_name_format ("v%s%s.metadata.json,%s%s.metadata.json"); a bare number would name a
// Hadoop-style "v3.metadata.json" that does not exist. InvalidArgument when `metadata_path`
// does not end in ".metadata.json".
Status WriteVersionHint(FileIO* io, std::string_view table_location,
                        std::string_view metadata_path);

}  // namespace nilus::iceberg
