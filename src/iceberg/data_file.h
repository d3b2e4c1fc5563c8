// Plain models of what Iceberg v2 manifests and manifest lists hold (spec "Manifests" and
// "Manifest Lists"): data/delete files, manifest entries and manifest-list entries. No I/O here;
// see manifest.h and manifest_list.h for the Avro readers and writers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/value.h"

namespace nilus::iceberg {

// data_file.content (field 134).
enum class DataFileContent : int32_t { kData = 0, kPositionDeletes = 1, kEqualityDeletes = 2 };

// manifest_file.content (field 517) and the manifest's "content" metadata key.
enum class ManifestContent : int32_t { kData = 0, kDeletes = 1 };

// manifest_entry.status (field 0).
enum class ManifestEntryStatus : int32_t { kExisting = 0, kAdded = 1, kDeleted = 2 };

// A sequence number or snapshot id that the manifest-list writer fills in at commit time.
inline constexpr int64_t kUnassignedSequenceNumber = -1;
inline constexpr int64_t kUnassignedSnapshotId = -1;

// One data or delete file (the data_file struct, field 2). Empty maps and lists are written as
// null and read back empty.
struct DataFile {
  DataFileContent content = DataFileContent::kData;
  std::string file_path;
  std::string file_format = "PARQUET";
  // One value per partition field of the manifest's spec, in spec order, typed with the
  // field's result type; a null partition value is a Value whose is_null() is true.
  std::vector<Value> partition;
  int64_t record_count = 0;
  int64_t file_size_in_bytes = 0;
  std::map<int32_t, int64_t> column_sizes;
  std::map<int32_t, int64_t> value_counts;
  std::map<int32_t, int64_t> null_value_counts;
  std::map<int32_t, int64_t> nan_value_counts;
  // Bounds already in the spec's single-value serialization (Appendix D).
  std::map<int32_t, std::string> lower_bounds;
  std::map<int32_t, std::string> upper_bounds;
  std::optional<std::string> key_metadata;
  std::vector<int64_t> split_offsets;
  // Required for equality deletes, empty otherwise.
  std::vector<int32_t> equality_ids;
  std::optional<int32_t> sort_order_id;
  // Position deletes whose rows all point at one data file may name it (field 143).
  std::optional<std::string> referenced_data_file;
};

// One row of a manifest (manifest_entry). ADDED entries are normally written with null
// sequence numbers, which readers inherit from the manifest list; EXISTING and DELETED entries
// must carry both.
struct ManifestEntry {
  ManifestEntryStatus status = ManifestEntryStatus::kAdded;
  std::optional<int64_t> snapshot_id;
  std::optional<int64_t> sequence_number;       // data sequence number
  std::optional<int64_t> file_sequence_number;  // sequence number of the adding snapshot
  DataFile data_file;
};

// field_summary (element 508 of manifest_file.partitions).
struct PartitionFieldSummary {
  bool contains_null = false;
  std::optional<bool> contains_nan;
  std::optional<std::string> lower_bound;  // single-value serialization of the partition type
  std::optional<std::string> upper_bound;
};

// One row of a manifest list (manifest_file).
struct ManifestFile {
  std::string manifest_path;
  int64_t manifest_length = 0;
  int32_t partition_spec_id = 0;
  ManifestContent content = ManifestContent::kData;
  int64_t sequence_number = kUnassignedSequenceNumber;
  int64_t min_sequence_number = kUnassignedSequenceNumber;
  int64_t added_snapshot_id = kUnassignedSnapshotId;
  int32_t added_files_count = 0;
  int32_t existing_files_count = 0;
  int32_t deleted_files_count = 0;
  int64_t added_rows_count = 0;
  int64_t existing_rows_count = 0;
  int64_t deleted_rows_count = 0;
  // One summary per partition field of the manifest's spec, in spec order.
  std::vector<PartitionFieldSummary> partitions;
  std::optional<std::string> key_metadata;
};

}  // namespace nilus::iceberg
