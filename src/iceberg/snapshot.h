// Snapshots and snapshot references (spec "Snapshots", "Snapshot References").
//
// A snapshot is the table's state after one commit: its manifest list, its parent, its sequence
// number and a summary of string properties. The summary holds "operation" ("append",
// "replace", "overwrite", "delete"), the standard totals, and caller properties such as
// "nilus.load-id" or "nilus.lsn", which TableMetadata::FindLatestSummaryProperty reads back.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace nilus::iceberg {

// Summary keys and operations the spec defines.
inline constexpr std::string_view kSummaryOperation = "operation";
inline constexpr std::string_view kOperationAppend = "append";
inline constexpr std::string_view kOperationReplace = "replace";
inline constexpr std::string_view kOperationOverwrite = "overwrite";
inline constexpr std::string_view kOperationDelete = "delete";

// The branch every table has; current-snapshot-id mirrors it.
inline constexpr std::string_view kMainBranch = "main";

struct Snapshot {
  int64_t snapshot_id = 0;
  std::optional<int64_t> parent_snapshot_id;
  int64_t sequence_number = 0;
  int64_t timestamp_ms = 0;
  std::string manifest_list;
  std::map<std::string, std::string> summary;
  std::optional<int32_t> schema_id;

  // The summary's "operation", empty when absent.
  std::string_view operation() const;
  // A summary value, nullopt when absent.
  std::optional<std::string_view> SummaryValue(std::string_view key) const;

  bool operator==(const Snapshot& o) const = default;
};

enum class SnapshotRefType : uint8_t { kBranch, kTag };

struct SnapshotRef {
  int64_t snapshot_id = 0;
  SnapshotRefType type = SnapshotRefType::kBranch;
  std::optional<int32_t> min_snapshots_to_keep;  // branches only
  std::optional<int64_t> max_snapshot_age_ms;    // branches only
  std::optional<int64_t> max_ref_age_ms;

  static SnapshotRef Branch(int64_t snapshot_id) {
    SnapshotRef ref;
    ref.snapshot_id = snapshot_id;
    return ref;
  }
  bool operator==(const SnapshotRef& o) const = default;
};

struct SnapshotLogEntry {
  int64_t timestamp_ms = 0;
  int64_t snapshot_id = 0;
  bool operator==(const SnapshotLogEntry& o) const = default;
};

struct MetadataLogEntry {
  int64_t timestamp_ms = 0;
  std::string metadata_file;
  bool operator==(const MetadataLogEntry& o) const = default;
};

// A fresh snapshot id: a positive random 63-bit value, as Java derives one from a random UUID.
int64_t NewSnapshotId();

// Compact JSON of one snapshot, and back; errors name the field.
std::string SnapshotToJson(const Snapshot& snapshot);
Result<Snapshot> SnapshotFromJson(std::string_view json);

}  // namespace nilus::iceberg
