// Snapshot expiry: removes old snapshots from a table's metadata, then deletes the files only
// they could reach (their manifest lists, manifests no kept snapshot lists, and data and delete
// files no kept snapshot holds as live).
//
// Which snapshots are kept follows Java's ExpireSnapshots (RemoveSnapshots):
// - For every branch (main included), the walk from the branch head back through its ancestors
//   keeps snapshots while fewer than `retain_last` have been kept or the snapshot is not older
//   than the cutoff, and stops at the first one that is neither. The head (for main: the
//   current snapshot) is therefore always kept. A branch's own min-snapshots-to-keep and
//   max-snapshot-age-ms, when set on its ref, replace the defaults for that branch.
// - The snapshot every tag points at is kept.
// - A snapshot in no branch's ancestry and not tagged is kept unless it is older than the
//   cutoff.
// Refs are never removed (max-ref-age-ms is not applied). A snapshot is "older than the cutoff"
// when its timestamp-ms is below `now - older_than`.
//
// Defaults when an option is not given come from the table properties Java uses:
// history.expire.max-snapshot-age-ms (5 days) and history.expire.min-snapshots-to-keep (1).
// With gc.enabled=false, an expiry that would delete files is refused (the files may be shared
// with other tables); a metadata-only expiry (delete_files = false) is allowed.
//
// The snapshot log loses, as in Java, every entry up to and including the last one that names
// a removed snapshot, so that the remaining history has no gaps.
//
// Files are deleted only after the commit succeeded, and only those the committed metadata (and
// the catalog's metadata at cleanup time) cannot reach through a kept snapshot: a data or delete
// file is kept when any kept snapshot's manifests hold it as ADDED or EXISTING. When the
// manifests of a kept snapshot cannot be read, nothing is deleted. Failed deletions are
// reported in the result and never fail the expiry; files left behind are orphans that
// RemoveOrphanFiles (maintenance.h) removes later.
//
// Thread-safety: as Table (one thread per Table object); concurrent writers in other Table
// objects or processes are fine, the commit is re-applied on their newer state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "iceberg/table.h"
#include "iceberg/table_metadata.h"

namespace nilus::iceberg {

// Table properties expiry reads (Java's names) and their defaults.
inline constexpr std::string_view kMaxSnapshotAgeMs = "history.expire.max-snapshot-age-ms";
inline constexpr std::string_view kMinSnapshotsToKeep = "history.expire.min-snapshots-to-keep";
inline constexpr std::string_view kGcEnabled = "gc.enabled";
inline constexpr int64_t kDefaultMaxSnapshotAgeMs = int64_t{5} * 24 * 60 * 60 * 1000;
inline constexpr int32_t kDefaultMinSnapshotsToKeep = 1;

struct ExpireSnapshotsOptions {
  // Snapshots whose timestamp is more than this before `now` may expire; nullopt: the table's
  // history.expire.max-snapshot-age-ms. Zero makes every snapshot old enough.
  std::optional<std::chrono::milliseconds> older_than;
  // The reference time; nullopt means the system clock at the call. To expire by an absolute
  // cutoff, pass the cutoff here with older_than = 0.
  std::optional<std::chrono::system_clock::time_point> now;
  // How many of each branch's newest snapshots to keep whatever their age, the head included
  // (>= 1); nullopt: the table's history.expire.min-snapshots-to-keep.
  std::optional<int> retain_last;
  // Computes and reports what would be expired and deleted; commits and deletes nothing.
  bool dry_run = false;
  // false: only the metadata changes, every file stays (for orphan removal to take later).
  bool delete_files = true;
};

struct ExpireSnapshotsResult {
  // Snapshots removed from the metadata (on a dry run: that would be), oldest first.
  std::vector<int64_t> expired_snapshot_ids;
  // Files deleted or found already gone (on a dry run: that would be deleted), as the
  // metadata spells them.
  std::vector<std::string> deleted_manifest_lists;
  std::vector<std::string> deleted_manifests;
  std::vector<std::string> deleted_data_files;
  std::vector<std::string> deleted_delete_files;
  // "path: error" for files that could not be deleted or read; a file cleanup that was skipped
  // as a whole says why here. The expiry itself succeeded.
  std::vector<std::string> failed;
  // Whether a new metadata version was committed (false on a dry run or with nothing to expire).
  bool committed = false;
};

// The resolved policy of one expiry.
struct ExpirePolicy {
  int64_t now_ms = 0;
  int64_t cutoff_ms = 0;  // snapshots with timestamp-ms < cutoff_ms are old enough
  int32_t retain_last = kDefaultMinSnapshotsToKeep;
};

// Applies the defaults of `metadata`'s properties to `options`. InvalidArgument for
// retain_last < 1, a negative older_than, or a property that is not a valid number.
Result<ExpirePolicy> ResolveExpirePolicy(const TableMetadata& metadata,
                                         const ExpireSnapshotsOptions& options);

// The ids of the snapshots `policy` expires in `metadata` (see the file comment), in the order
// of `metadata.snapshots`. Pure.
std::vector<int64_t> SelectExpiredSnapshots(const TableMetadata& metadata,
                                            const ExpirePolicy& policy);

// `metadata` without the snapshots `expired` and with its snapshot log pruned (see the file
// comment). InvalidArgument when `expired` holds the current snapshot or one a ref points at.
// Does not touch last-updated-ms or the metadata log. Pure.
Result<TableMetadata> RemoveSnapshots(const TableMetadata& metadata,
                                      const std::set<int64_t>& expired);

// Refreshes `table`, expires snapshots as `options` asks and commits the change through
// Table::CommitMetadataChange (the selection is recomputed on the fresh metadata of every
// attempt, so snapshots another writer added meanwhile are kept), then deletes the files of the
// expired snapshots that no kept snapshot reaches. An empty table, or one with nothing to
// expire, is left untouched (no commit). On success `table` holds the committed metadata.
// Errors (naming the table): InvalidArgument for bad options or properties or gc.enabled=false
// with delete_files; errors of Refresh and CommitMetadataChange (Conflict, Unavailable "commit
// state unknown", FileIO, catalog). Problems while choosing or deleting files (also on a dry
// run) go to `failed` instead.
Result<ExpireSnapshotsResult> ExpireSnapshots(Table& table, const ExpireSnapshotsOptions& options);

}  // namespace nilus::iceberg
