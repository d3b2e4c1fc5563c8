// Iceberg v2 manifest lists: the Avro file of manifest_file rows a snapshot points to, written
// and read with avro-c, every field carrying its spec field id.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "iceberg/data_file.h"
#include "iceberg/manifest.h"
#include "storage/file_io.h"

namespace nilus::iceberg {

// Writes one manifest list. Not thread-safe. Nothing is visible at `path` until Close()
// succeeds. Metadata keys: "snapshot-id", "parent-snapshot-id" ("null" without a parent),
// "sequence-number" and "format-version" = "2".
class ManifestListWriter {
 public:
  // Does no I/O.
  static Result<std::unique_ptr<ManifestListWriter>> Make(FileIO* io, std::string path,
                                                          int64_t snapshot_id,
                                                          std::optional<int64_t> parent_id,
                                                          int64_t sequence_number,
                                                          AvroCodec codec = AvroCodec::kNull);
  ~ManifestListWriter();
  ManifestListWriter(const ManifestListWriter&) = delete;
  ManifestListWriter& operator=(const ManifestListWriter&) = delete;

  // Appends a manifest. New manifests (sequence_number, min_sequence_number or
  // added_snapshot_id unassigned) get this snapshot's sequence number and id, as the spec's
  // commit-time assignment asks. Errors: InvalidArgument when closed.
  Status Add(const ManifestFile& manifest);
  // Publishes the file through FileIO; returns its length in bytes. Call once.
  Result<int64_t> Close();

 private:
  struct Rep;
  explicit ManifestListWriter(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

struct ManifestListContents {
  std::map<std::string, std::string> metadata;
  std::vector<ManifestFile> manifests;
};

// Reads a manifest list. Errors: NotFound / IOError from FileIO, Corruption for a malformed
// file.
Result<ManifestListContents> ReadManifestListFile(FileIO* io, const std::string& path);
// The manifests only.
Result<std::vector<ManifestFile>> ReadManifestList(FileIO* io, const std::string& path);

}  // namespace nilus::iceberg
