// Iceberg v2 manifests: Avro files of manifest_entry rows, written and read with avro-c.
//
// Every Avro field carries its spec id (field-id, element-id; the key/value records of the
// int-keyed metric maps carry field-id on key and value, and the map arrays also name them as
// key-id/value-id). Files are built in memory and published through FileIO in one atomic write.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "iceberg/data_file.h"
#include "storage/file_io.h"

struct avro_value;  // avro-c's avro_value_t, kept out of this header

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

namespace avro_internal {

// Shared by the manifest and manifest-list code; not part of the module's API.
//
// An Avro object container file built by avro-c (which cannot store user metadata nor keep the
// schema's field-id attributes), re-headed with our exact schema text and metadata keys.
class ContainerWriter {
 public:
  // `schema_json` is parsed by avro-c and also written verbatim as avro.schema.
  static Result<std::unique_ptr<ContainerWriter>> Make(const std::string& schema_json,
                                                       AvroCodec codec);
  ~ContainerWriter();
  // The record to fill before Append(); it is reset after each Append().
  avro_value* record();
  Status Append();
  // Finishes the file and returns its bytes with `metadata` in the header.
  Result<std::string> Finish(const std::map<std::string, std::string>& metadata);

 private:
  struct Rep;
  explicit ContainerWriter(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

// Reads every record of a container file: fills `metadata` (user keys and avro.*), then calls
// `visit` with each record. `path` is only for error messages.
Status ReadContainer(const std::string& path, std::string bytes,
                     std::map<std::string, std::string>* metadata,
                     const std::function<Status(avro_value*)>& visit);

// Field access by name on a record. Optional fields are ["null", T] unions; a missing optional
// field reads as null.
Status SetInt(avro_value* rec, const char* name, int32_t v);
Status SetLong(avro_value* rec, const char* name, int64_t v);
Status SetString(avro_value* rec, const char* name, const std::string& v);
Status SetOptBool(avro_value* rec, const char* name, std::optional<bool> v);
Status SetOptInt(avro_value* rec, const char* name, std::optional<int32_t> v);
Status SetOptLong(avro_value* rec, const char* name, std::optional<int64_t> v);
Status SetOptBytes(avro_value* rec, const char* name, const std::optional<std::string>& v);
Status SetOptString(avro_value* rec, const char* name, const std::optional<std::string>& v);
Result<bool> GetBool(avro_value* rec, const char* name);
Result<int32_t> GetInt(avro_value* rec, const char* name);
Result<int64_t> GetLong(avro_value* rec, const char* name);
Result<std::string> GetString(avro_value* rec, const char* name);
Result<std::optional<bool>> GetOptBool(avro_value* rec, const char* name);
Result<std::optional<int32_t>> GetOptInt(avro_value* rec, const char* name);
Result<std::optional<int64_t>> GetOptLong(avro_value* rec, const char* name);
Result<std::optional<std::string>> GetOptBytes(avro_value* rec, const char* name);
Result<std::optional<std::string>> GetOptString(avro_value* rec, const char* name);
// The value of an optional field: false when null; otherwise `*out` is the T branch (or the
// field itself when the writer's schema made it required).
Result<bool> GetOptField(avro_value* rec, const char* name, avro_value* out);
// Selects the value branch of an optional field (`present`) or null.
Status SetOptField(avro_value* rec, const char* name, bool present, avro_value* out);

// Appends the Avro type JSON text for an Iceberg primitive type; `name_hint` names fixed types
// uniquely. InvalidArgument for nested types.
Result<std::string> PrimitiveAvroType(const Type& type, const std::string& name_hint);

}  // namespace avro_internal

}  // namespace nilus::iceberg
