#include "iceberg/maintenance.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "iceberg/manifest.h"
#include "iceberg/manifest_list.h"

namespace nilus::iceberg {
namespace {

bool HasScheme(const std::string& path) {
  const size_t colon = path.find(':');
  const size_t slash = path.find('/');
  return colon != std::string::npos && colon > 0 && (slash == std::string::npos || colon < slash);
}

// The local file system path of `path`, nullopt for other schemes.
std::optional<std::string> LocalPath(const std::string& path) {
  if (path.rfind("file://", 0) == 0) return path.substr(7);
  if (path.rfind("file:", 0) == 0) return path.substr(5);
  if (HasScheme(path)) return std::nullopt;
  return path;
}

// Modification time of a local file; nullopt when unknown.
std::optional<std::chrono::system_clock::time_point> ModifiedAt(const std::string& path) {
  auto local = LocalPath(path);
  if (!local) return std::nullopt;
  std::error_code ec;
  auto ftime = std::filesystem::last_write_time(*local, ec);
  if (ec) return std::nullopt;
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      std::chrono::file_clock::to_sys(ftime));
}

}  // namespace

std::string NormalizeFilePath(const std::string& path) {
  auto local = LocalPath(path);
  if (!local) return path;
  std::string normal = std::filesystem::path(*local).lexically_normal().string();
  // "dir/" and "dir" name the same directory.
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

Result<std::set<std::string>> ReachableFiles(const Table& table) {
  const TableMetadata& md = table.metadata();
  FileIO* io = table.io();
  std::set<std::string> reachable;
  reachable.insert(NormalizeFilePath(table.metadata_location()));
  for (const auto& entry : md.metadata_log) {
    reachable.insert(NormalizeFilePath(entry.metadata_file));
  }
  reachable.insert(NormalizeFilePath(md.location + "/metadata/version-hint.text"));
  // Snapshots share most manifests: read each once.
  std::set<std::string> manifests_seen;
  for (const Snapshot& snapshot : md.snapshots) {
    reachable.insert(NormalizeFilePath(snapshot.manifest_list));
    NILUS_ASSIGN_OR_RAISE(auto manifests, ReadManifestList(io, snapshot.manifest_list));
    for (const ManifestFile& manifest : manifests) {
      const std::string key = NormalizeFilePath(manifest.manifest_path);
      reachable.insert(key);
      if (!manifests_seen.insert(key).second) continue;
      NILUS_ASSIGN_OR_RAISE(auto contents, ReadManifestFile(io, manifest.manifest_path));
      for (const ManifestEntry& entry : contents.entries) {
        reachable.insert(NormalizeFilePath(entry.data_file.file_path));
      }
    }
  }
  return reachable;
}

Result<std::vector<std::string>> FindOrphanFiles(Table& table, const OrphanFileOptions& options) {
  NILUS_RETURN_NOT_OK(table.Refresh());
  NILUS_ASSIGN_OR_RAISE(auto reachable, ReachableFiles(table));
  NILUS_ASSIGN_OR_RAISE(auto files, table.io()->List(table.metadata().location));
  const auto now = options.now.value_or(std::chrono::system_clock::now());
  const bool any_age = options.older_than.count() <= 0;
  std::vector<std::string> orphans;
  for (const FileInfo& file : files) {
    if (reachable.count(NormalizeFilePath(file.path)) > 0) continue;
    if (!any_age) {
      auto modified = ModifiedAt(file.path);
      // Unknown age: the file may belong to a commit in flight.
      if (!modified || now - *modified < options.older_than) continue;
    }
    orphans.push_back(file.path);
  }
  std::sort(orphans.begin(), orphans.end());
  return orphans;
}

Result<OrphanRemovalResult> RemoveOrphanFiles(Table& table, const OrphanFileOptions& options,
                                              bool dry_run) {
  NILUS_ASSIGN_OR_RAISE(auto orphans, FindOrphanFiles(table, options));
  OrphanRemovalResult result;
  for (std::string& path : orphans) {
    if (!dry_run) {
      Status st = table.io()->Delete(path);
      if (!st.ok()) {
        result.failed.push_back(path + ": " + st.ToString());
        continue;
      }
    }
    result.removed.push_back(std::move(path));
  }
  return result;
}

Result<SnapshotFileCounts> CountLiveFiles(FileIO* io, const Snapshot& snapshot) {
  SnapshotFileCounts counts;
  NILUS_ASSIGN_OR_RAISE(auto manifests, ReadManifestList(io, snapshot.manifest_list));
  for (const ManifestFile& manifest : manifests) {
    ++counts.manifests;
    NILUS_ASSIGN_OR_RAISE(auto entries, ReadManifest(io, manifest));
    for (const ManifestEntry& entry : entries) {
      if (entry.status == ManifestEntryStatus::kDeleted) continue;
      const DataFile& f = entry.data_file;
      if (f.content == DataFileContent::kData) {
        ++counts.data_files;
        counts.data_records += f.record_count;
      } else {
        ++counts.delete_files;
        counts.delete_records += f.record_count;
      }
      counts.total_bytes += f.file_size_in_bytes;
    }
  }
  return counts;
}

}  // namespace nilus::iceberg
