#include "iceberg/expire_snapshots.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <utility>

#include "core/logging.h"
#include "iceberg/maintenance.h"
#include "iceberg/manifest.h"
#include "iceberg/manifest_list.h"

namespace nilus::iceberg {
namespace {

constexpr std::string_view kAction = "expire snapshots of";

// An integer table property; nullopt when absent.
Result<std::optional<int64_t>> IntegerProperty(const TableMetadata& md, std::string_view key) {
  auto it = md.properties.find(std::string(key));
  if (it == md.properties.end()) return std::optional<int64_t>();
  const std::string& s = it->second;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return Status::Invalid(fmt::format("table property {}='{}' is not an integer", key, s));
  }
  return std::optional<int64_t>(value);
}

bool GcDisabled(const TableMetadata& md) {
  auto it = md.properties.find(std::string(kGcEnabled));
  if (it == md.properties.end()) return false;
  std::string v = it->second;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v == "false";
}

// Keeps the walk from `head` back through its ancestors, Java's computeBranchSnapshotsToRetain.
void RetainBranch(const TableMetadata& md, int64_t head, int64_t cutoff_ms, int64_t min_keep,
                  std::set<int64_t>* retained) {
  int64_t kept = 0;
  for (const Snapshot* s : md.Ancestors(head)) {
    if (kept < min_keep || s->timestamp_ms >= cutoff_ms) {
      retained->insert(s->snapshot_id);
      ++kept;
    } else {
      break;
    }
  }
}

// The paths (as spelled) selected for deletion, and what went wrong while choosing them.
struct CleanupPlan {
  std::vector<std::string> manifest_lists;
  std::vector<std::string> manifests;
  std::vector<std::string> data_files;
  std::vector<std::string> delete_files;
  std::vector<std::string> failed;
};

// Chooses the files of `expired` that no snapshot of `kept` reaches. When the manifests of a
// kept snapshot cannot be read, nothing is chosen: a live file could be among them.
CleanupPlan PlanCleanup(FileIO* io, const std::vector<Snapshot>& expired,
                        const std::vector<Snapshot>& kept) {
  CleanupPlan plan;
  std::set<std::string> kept_lists;
  std::set<std::string> kept_manifests;
  std::set<std::string> live_files;
  for (const Snapshot& s : kept) {
    kept_lists.insert(NormalizeFilePath(s.manifest_list));
    auto manifests = ReadManifestList(io, s.manifest_list);
    if (!manifests.ok()) {
      plan.failed.push_back(fmt::format(
          "file cleanup skipped: manifest list '{}' of kept snapshot {} cannot be read: {}",
          s.manifest_list, s.snapshot_id, manifests.status().ToString()));
      return plan;
    }
    for (const ManifestFile& m : *manifests) {
      if (!kept_manifests.insert(NormalizeFilePath(m.manifest_path)).second) continue;
      auto entries = ReadManifest(io, m);
      if (!entries.ok()) {
        plan.failed.push_back(fmt::format(
            "file cleanup skipped: manifest '{}' of kept snapshot {} cannot be read: {}",
            m.manifest_path, s.snapshot_id, entries.status().ToString()));
        return plan;
      }
      for (const ManifestEntry& e : *entries) {
        if (e.status == ManifestEntryStatus::kDeleted) continue;
        live_files.insert(NormalizeFilePath(e.data_file.file_path));
      }
    }
  }

  std::set<std::string> seen_manifests;
  std::set<std::string> seen_files;
  for (const Snapshot& s : expired) {
    const std::string list_key = NormalizeFilePath(s.manifest_list);
    if (s.manifest_list.empty() || kept_lists.count(list_key) > 0) continue;
    auto manifests = ReadManifestList(io, s.manifest_list);
    if (!manifests.ok()) {
      // Its manifests are unknown; leave them and the list to orphan removal.
      plan.failed.push_back(fmt::format("{}: cannot be read, left in place: {}", s.manifest_list,
                                        manifests.status().ToString()));
      continue;
    }
    bool complete = true;
    for (const ManifestFile& m : *manifests) {
      const std::string key = NormalizeFilePath(m.manifest_path);
      if (kept_manifests.count(key) > 0 || !seen_manifests.insert(key).second) continue;
      auto entries = ReadManifest(io, m);
      if (!entries.ok()) {
        plan.failed.push_back(fmt::format("{}: cannot be read, left in place: {}", m.manifest_path,
                                          entries.status().ToString()));
        complete = false;
        continue;
      }
      for (const ManifestEntry& e : *entries) {
        const DataFile& f = e.data_file;
        const std::string file_key = NormalizeFilePath(f.file_path);
        if (live_files.count(file_key) > 0 || !seen_files.insert(file_key).second) continue;
        (f.content == DataFileContent::kData ? plan.data_files : plan.delete_files)
            .push_back(f.file_path);
      }
      plan.manifests.push_back(m.manifest_path);
    }
    // A list whose manifests were not all read stays, so the unread ones remain discoverable.
    if (complete) plan.manifest_lists.push_back(s.manifest_list);
  }
  return plan;
}

// Deletes `paths`, moving those deleted (or already gone) to `done` and failures to `failed`.
void DeleteAll(FileIO* io, const std::vector<std::string>& paths, std::vector<std::string>* done,
               std::vector<std::string>* failed) {
  for (const std::string& path : paths) {
    Status st = io->Delete(path);
    if (st.ok() || st.code() == StatusCode::kNotFound) {
      done->push_back(path);
    } else {
      failed->push_back(fmt::format("{}: {}", path, st.ToString()));
    }
  }
}

// Snapshots in `md` whose ids are in `ids`, oldest first.
std::vector<Snapshot> SnapshotsOf(const TableMetadata& md, const std::vector<int64_t>& ids) {
  std::set<int64_t> wanted(ids.begin(), ids.end());
  std::vector<Snapshot> out;
  for (const Snapshot& s : md.snapshots) {
    if (wanted.count(s.snapshot_id) > 0) out.push_back(s);
  }
  std::stable_sort(out.begin(), out.end(), [](const Snapshot& a, const Snapshot& b) {
    return a.timestamp_ms < b.timestamp_ms;
  });
  return out;
}

std::vector<int64_t> IdsOf(const std::vector<Snapshot>& snapshots) {
  std::vector<int64_t> ids;
  ids.reserve(snapshots.size());
  for (const Snapshot& s : snapshots) ids.push_back(s.snapshot_id);
  return ids;
}

void AddMissing(const std::vector<Snapshot>& from, std::vector<Snapshot>* to) {
  std::set<int64_t> have;
  for (const Snapshot& s : *to) have.insert(s.snapshot_id);
  for (const Snapshot& s : from) {
    if (have.insert(s.snapshot_id).second) to->push_back(s);
  }
}

}  // namespace

Result<ExpirePolicy> ResolveExpirePolicy(const TableMetadata& metadata,
                                         const ExpireSnapshotsOptions& options) {
  ExpirePolicy policy;
  const auto now = options.now.value_or(std::chrono::system_clock::now());
  policy.now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();

  int64_t max_age_ms = kDefaultMaxSnapshotAgeMs;
  if (options.older_than) {
    max_age_ms = options.older_than->count();
    if (max_age_ms < 0) return Status::Invalid("older_than must not be negative");
  } else {
    NILUS_ASSIGN_OR_RAISE(auto prop, IntegerProperty(metadata, kMaxSnapshotAgeMs));
    if (prop) {
      if (*prop < 0) {
        return Status::Invalid(
            fmt::format("table property {}={} must not be negative", kMaxSnapshotAgeMs, *prop));
      }
      max_age_ms = *prop;
    }
  }
  policy.cutoff_ms = policy.now_ms - max_age_ms;

  int64_t retain = kDefaultMinSnapshotsToKeep;
  if (options.retain_last) {
    retain = *options.retain_last;
    if (retain < 1) {
      return Status::Invalid(fmt::format("retain_last must be at least 1, got {}", retain));
    }
  } else {
    NILUS_ASSIGN_OR_RAISE(auto prop, IntegerProperty(metadata, kMinSnapshotsToKeep));
    if (prop) {
      if (*prop < 1 || *prop > INT32_MAX) {
        return Status::Invalid(
            fmt::format("table property {}={} must be at least 1", kMinSnapshotsToKeep, *prop));
      }
      retain = *prop;
    }
  }
  policy.retain_last = static_cast<int32_t>(retain);
  return policy;
}

std::vector<int64_t> SelectExpiredSnapshots(const TableMetadata& md, const ExpirePolicy& policy) {
  std::set<int64_t> retained;
  std::set<int64_t> referenced;  // in some branch's ancestry, or tagged
  bool has_main = false;
  for (const auto& [name, ref] : md.refs) {
    if (ref.type == SnapshotRefType::kTag) {
      retained.insert(ref.snapshot_id);
      referenced.insert(ref.snapshot_id);
      continue;
    }
    if (name == kMainBranch) has_main = true;
    const int64_t cutoff =
        ref.max_snapshot_age_ms ? policy.now_ms - *ref.max_snapshot_age_ms : policy.cutoff_ms;
    const int64_t min_keep =
        ref.min_snapshots_to_keep ? *ref.min_snapshots_to_keep : policy.retain_last;
    // Whatever a ref says, its head stays (refs are never removed here).
    retained.insert(ref.snapshot_id);
    RetainBranch(md, ref.snapshot_id, cutoff, min_keep, &retained);
    for (const Snapshot* s : md.Ancestors(ref.snapshot_id)) referenced.insert(s->snapshot_id);
  }
  if (md.current_snapshot_id) {
    retained.insert(*md.current_snapshot_id);
    if (!has_main) {
      // Metadata without refs: main is the current snapshot.
      RetainBranch(md, *md.current_snapshot_id, policy.cutoff_ms, policy.retain_last, &retained);
      for (const Snapshot* s : md.Ancestors(*md.current_snapshot_id)) {
        referenced.insert(s->snapshot_id);
      }
    }
  }
  std::vector<int64_t> expired;
  for (const Snapshot& s : md.snapshots) {
    if (retained.count(s.snapshot_id) > 0) continue;
    // Unreferenced snapshots (such as staged ones) go by age only.
    if (referenced.count(s.snapshot_id) == 0 && s.timestamp_ms >= policy.cutoff_ms) continue;
    expired.push_back(s.snapshot_id);
  }
  return expired;
}

Result<TableMetadata> RemoveSnapshots(const TableMetadata& md, const std::set<int64_t>& expired) {
  if (md.current_snapshot_id && expired.count(*md.current_snapshot_id) > 0) {
    return Status::Invalid(
        fmt::format("cannot expire the current snapshot {}", *md.current_snapshot_id));
  }
  for (const auto& [name, ref] : md.refs) {
    if (expired.count(ref.snapshot_id) > 0) {
      return Status::Invalid(
          fmt::format("cannot expire snapshot {}: ref '{}' points at it", ref.snapshot_id, name));
    }
  }
  TableMetadata next = md;
  std::erase_if(next.snapshots,
                [&](const Snapshot& s) { return expired.count(s.snapshot_id) > 0; });
  if (expired.empty()) return next;
  // An entry of a snapshot that no longer exists drops the history before it, so that the log
  // never claims a later snapshot was current during the removed one's time (Java does this).
  std::set<int64_t> remaining;
  for (const Snapshot& s : next.snapshots) remaining.insert(s.snapshot_id);
  std::vector<SnapshotLogEntry> log;
  for (const SnapshotLogEntry& e : md.snapshot_log) {
    if (remaining.count(e.snapshot_id) > 0) {
      log.push_back(e);
    } else {
      log.clear();
    }
  }
  next.snapshot_log = std::move(log);
  return next;
}

Result<ExpireSnapshotsResult> ExpireSnapshots(Table& table, const ExpireSnapshotsOptions& options) {
  const std::string what = fmt::format("{} {}", kAction, table.FullName());
  NILUS_RETURN_NOT_OK_CTX(table.Refresh(), what);

  ExpireSnapshotsResult result;
  // Checks the options against the metadata an attempt works on and selects its snapshots.
  auto plan_on = [&](const TableMetadata& base) -> Result<std::vector<int64_t>> {
    NILUS_ASSIGN_OR_RAISE(ExpirePolicy policy, ResolveExpirePolicy(base, options));
    if (options.delete_files && GcDisabled(base)) {
      return Status::Invalid(
          "gc.enabled is false (files may be shared with other tables); expire with "
          "delete_files = false to change the metadata only");
    }
    return SelectExpiredSnapshots(base, policy);
  };

  const TableMetadata& current = table.metadata();
  auto first = plan_on(current);
  if (!first.ok()) return first.status().WithContext(what);
  if (first->empty()) return result;

  if (options.dry_run) {
    std::vector<Snapshot> expired = SnapshotsOf(current, *first);
    result.expired_snapshot_ids = IdsOf(expired);
    if (options.delete_files) {
      auto next = RemoveSnapshots(current, std::set<int64_t>(first->begin(), first->end()));
      if (!next.ok()) return next.status().WithContext(what);
      CleanupPlan plan = PlanCleanup(table.io(), expired, next->snapshots);
      result.deleted_manifest_lists = std::move(plan.manifest_lists);
      result.deleted_manifests = std::move(plan.manifests);
      result.deleted_data_files = std::move(plan.data_files);
      result.deleted_delete_files = std::move(plan.delete_files);
      result.failed = std::move(plan.failed);
    }
    return result;
  }

  // Run per attempt on fresh metadata: snapshots committed meanwhile are never in `expired`.
  std::vector<Snapshot> expired;
  bool nothing_to_expire = false;
  Status committed =
      table.CommitMetadataChange(kAction, [&](const TableMetadata& base) -> Result<TableMetadata> {
        expired.clear();
        nothing_to_expire = false;
        NILUS_ASSIGN_OR_RAISE(auto ids, plan_on(base));
        expired = SnapshotsOf(base, ids);
        nothing_to_expire = ids.empty();
        // Cancels the commit: another expiry already removed them.
        if (nothing_to_expire) return Status::Cancelled("nothing to expire");
        return RemoveSnapshots(base, std::set<int64_t>(ids.begin(), ids.end()));
      });
  if (!committed.ok()) {
    if (nothing_to_expire && committed.code() == StatusCode::kCancelled) return result;
    return committed;
  }
  result.committed = true;
  result.expired_snapshot_ids = IdsOf(expired);
  if (!options.delete_files) return result;

  // Kept: the snapshots of what we committed, plus any a writer added since.
  std::vector<Snapshot> kept = table.metadata().snapshots;
  auto latest = table.catalog()->LoadTable(table.ns(), table.name());
  if (!latest.ok()) {
    result.failed.push_back(
        fmt::format("file cleanup skipped: the table could not be reloaded to check for new "
                    "snapshots: {}",
                    latest.status().ToString()));
    return result;
  }
  AddMissing((*latest)->metadata().snapshots, &kept);

  CleanupPlan plan = PlanCleanup(table.io(), expired, kept);
  result.failed = std::move(plan.failed);
  // Files first, lists last: an interrupted cleanup leaves manifests that still name what is
  // left, all of them orphans that RemoveOrphanFiles finds.
  DeleteAll(table.io(), plan.data_files, &result.deleted_data_files, &result.failed);
  DeleteAll(table.io(), plan.delete_files, &result.deleted_delete_files, &result.failed);
  DeleteAll(table.io(), plan.manifests, &result.deleted_manifests, &result.failed);
  DeleteAll(table.io(), plan.manifest_lists, &result.deleted_manifest_lists, &result.failed);
  if (!result.failed.empty()) {
    Log().warn(
        "{}: {} problem(s) while deleting files of expired snapshots; files left behind "
        "are orphans",
        what, result.failed.size());
  }
  return result;
}

}  // namespace nilus::iceberg
