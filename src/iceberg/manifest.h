// Iceberg v2 manifests: Avro files of manifest_entry rows, written and read with avro-c.
//
// Every Avro field carries its spec id (field-id, element-id; the key/value records of the
// int-keyed metric maps carry field-id on key and value, and the map arrays also name them as
// key-id/value-id). Files are built in memory and published through FileIO in one atomic write.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "iceberg/data_file.h"
#include "storage/file_io.h"

namespace nilus::iceberg {

// Block codec of manifests and manifest lists. Never snappy or zstd: some readers cannot open
// them.
enum class AvroCodec { kNull, kDeflate };

// A partition field as the manifest's partition struct needs it.
struct ManifestPartitionField {
  std::string name;
  int32_t field_id = 0;  // the partition field id (1000+), used as the struct's field-id
  TypePtr result_type;   // primitive type produced by the transform
};

struct ManifestWriterOptions {
  std::string schema_json;          // the table schema as Iceberg JSON ("schema" metadata)
  int32_t schema_id = 0;            // "schema-id"
  std::string partition_spec_json;  // the spec's fields array as JSON ("partition-spec")
  int32_t partition_spec_id = 0;    // "partition-spec-id"
  std::vector<ManifestPartitionField> partition_fields;
  ManifestContent content = ManifestContent::kData;
  AvroCodec codec = AvroCodec::kNull;
  // Written into ADDED and DELETED entries that have none. Without it those entries keep a null
  // snapshot id (inherited from the manifest list) and the ManifestFile's added_snapshot_id is
  // kUnassignedSnapshotId, which ManifestListWriter fills in.
  std::optional<int64_t> snapshot_id;
};

// Writes one manifest. Not thread-safe. Nothing is visible at `path` until Close() succeeds.
class ManifestWriter {
 public:
  // Builds the Avro schema from the options. Errors: InvalidArgument for an unsupported
  // partition type or bad option. Does no I/O.
  static Result<std::unique_ptr<ManifestWriter>> Make(FileIO* io, std::string path,
                                                      ManifestWriterOptions options);
  ~ManifestWriter();
  ManifestWriter(const ManifestWriter&) = delete;
  ManifestWriter& operator=(const ManifestWriter&) = delete;

  // Appends one entry. Errors (InvalidArgument): partition arity/type mismatch, a delete file
  // in a data manifest (or the reverse), EXISTING/DELETED entries without both sequence numbers,
  // equality deletes without equality_ids.
  Status Add(const ManifestEntry& entry);
  // Shorthand for an ADDED entry with null sequence numbers.
  Status AddFile(DataFile file);

  // Encodes, publishes the file through FileIO and returns its manifest-list entry: counts,
  // rows, partition summaries, min_sequence_number (kUnassignedSequenceNumber when every live
  // entry inherits it) and sequence_number = kUnassignedSequenceNumber. Call once.
  Result<ManifestFile> Close();

 private:
  struct Rep;
  explicit ManifestWriter(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

// A manifest as stored: Avro file metadata and entries exactly as written (no inheritance).
struct ManifestContents {
  std::map<std::string, std::string> metadata;
  std::vector<ManifestPartitionField> partition_fields;  // from the file's Avro schema
  std::vector<ManifestEntry> entries;
};

// Reads the manifest at `path`. Partition values are typed from the file's Avro schema.
// Errors: NotFound / IOError from FileIO, Corruption for a malformed file.
Result<ManifestContents> ReadManifestFile(FileIO* io, const std::string& path);

// Reads the manifest a manifest-list entry points to and applies inheritance: null snapshot ids
// become manifest.added_snapshot_id; ADDED entries with null sequence numbers take
// manifest.sequence_number (left null while it is unassigned).
Result<std::vector<ManifestEntry>> ReadManifest(FileIO* io, const ManifestFile& manifest);

}  // namespace nilus::iceberg
