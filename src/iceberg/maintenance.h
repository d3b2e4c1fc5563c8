// Read-only table inspection and orphan file removal.
//
// An orphan is a file under the table's location that no snapshot of the current metadata can
// reach: leftovers of failed or crashed commits (data files written but never committed,
// metadata files that lost the catalog swap) and metadata files that dropped out of the
// metadata log. Reachable are: the current metadata file and every file in its metadata-log,
// metadata/version-hint.text, every snapshot's manifest list, the manifests those lists name
// and every data and delete file those manifests name (entries of any status, so files a
// snapshot deleted stay as long as an older snapshot uses them).
//
// Age: FileInfo carries no modification time, so ages are read with std::filesystem for local
// paths (plain paths and file:// URIs). A file whose age cannot be read (another backend, or a
// stat failure) is never treated as old enough, so on object stores only `older_than == 0`
// removes anything. The threshold protects files of commits still in flight: keep it above the
// longest write a table may see (the CLI's default is three days).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "iceberg/table.h"

namespace nilus::iceberg {

struct OrphanFileOptions {
  // Only files last modified at least this long before `now` are orphans.
  std::chrono::milliseconds older_than = std::chrono::hours(24 * 3);
  // The reference time; nullopt means the system clock at the call.
  std::optional<std::chrono::system_clock::time_point> now;
};

// Every path reachable from the table's current metadata (see above), normalized with
// NormalizeFilePath. Errors: reading a manifest list or manifest fails (nothing may be deleted
// when reachability is unknown).
Result<std::set<std::string>> ReachableFiles(const Table& table);

// Refreshes the table, then lists every file under its location (FileIO::List) and returns,
// sorted, those that are not reachable and are old enough, spelled as List returned them.
Result<std::vector<std::string>> FindOrphanFiles(Table& table, const OrphanFileOptions& options);

struct OrphanRemovalResult {
  std::vector<std::string> removed;  // deleted (or, on a dry run, would be deleted)
  std::vector<std::string> failed;   // "path: error" for files that could not be deleted
};

// FindOrphanFiles, then deletes each orphan unless `dry_run`. A failed deletion does not stop
// the others; it is reported in `failed`.
Result<OrphanRemovalResult> RemoveOrphanFiles(Table& table, const OrphanFileOptions& options,
                                              bool dry_run = false);

// The comparison key of a path: file:// and file: prefixes removed and local paths lexically
// normalized ("a//b/./c" -> "a/b/c"); URIs of other schemes are kept as they are.
std::string NormalizeFilePath(const std::string& path);

// Totals over the live entries (status ADDED or EXISTING) of a snapshot's manifests.
struct SnapshotFileCounts {
  int64_t manifests = 0;
  int64_t data_files = 0;
  int64_t delete_files = 0;
  int64_t data_records = 0;
  int64_t delete_records = 0;
  int64_t total_bytes = 0;
};
Result<SnapshotFileCounts> CountLiveFiles(FileIO* io, const Snapshot& snapshot);

}  // namespace nilus::iceberg
