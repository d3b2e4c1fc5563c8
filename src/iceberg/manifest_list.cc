#include "iceberg/manifest_list.h"

#include <avro.h>

#include <nlohmann/json.hpp>

#include "iceberg/avro_container_internal.h"

namespace nilus::iceberg {

namespace {

using avro_internal::GetBool;
using avro_internal::GetInt;
using avro_internal::GetLong;
using avro_internal::GetOptBool;
using avro_internal::GetOptBytes;
using avro_internal::GetOptField;
using avro_internal::GetOptInt;
using avro_internal::GetOptLong;
using avro_internal::GetString;
using avro_internal::SetInt;
using avro_internal::SetLong;
using avro_internal::SetOptBool;
using avro_internal::SetOptBytes;
using avro_internal::SetOptField;
using avro_internal::SetString;
using nlohmann::ordered_json;

using avro_internal::Optional;
using avro_internal::Required;

std::string ManifestListSchemaJson() {
  ordered_json summary = {{"type", "record"},
                          {"name", "r508"},
                          {"fields", ordered_json::array({
                                         Required("contains_null", "boolean", 509),
                                         Optional("contains_nan", "boolean", 518),
                                         Optional("lower_bound", "bytes", 510),
                                         Optional("upper_bound", "bytes", 511),
                                     })}};
  ordered_json partitions = {{"type", "array"}, {"items", summary}, {"element-id", 508}};
  ordered_json root = {{"type", "record"},
                       {"name", "manifest_file"},
                       {"fields", ordered_json::array({
                                      Required("manifest_path", "string", 500),
                                      Required("manifest_length", "long", 501),
                                      Required("partition_spec_id", "int", 502),
                                      Required("content", "int", 517),
                                      Required("sequence_number", "long", 515),
                                      Required("min_sequence_number", "long", 516),
                                      Required("added_snapshot_id", "long", 503),
                                      Required("added_files_count", "int", 504),
                                      Required("existing_files_count", "int", 505),
                                      Required("deleted_files_count", "int", 506),
                                      Required("added_rows_count", "long", 512),
                                      Required("existing_rows_count", "long", 513),
                                      Required("deleted_rows_count", "long", 514),
                                      Optional("partitions", partitions, 507),
                                      Optional("key_metadata", "bytes", 519),
                                  })}};
  return root.dump();
}

Status Encode(const ManifestFile& m, avro_value_t* rec) {
  NILUS_RETURN_NOT_OK(SetString(rec, "manifest_path", m.manifest_path));
  NILUS_RETURN_NOT_OK(SetLong(rec, "manifest_length", m.manifest_length));
  NILUS_RETURN_NOT_OK(SetInt(rec, "partition_spec_id", m.partition_spec_id));
  NILUS_RETURN_NOT_OK(SetInt(rec, "content", static_cast<int32_t>(m.content)));
  NILUS_RETURN_NOT_OK(SetLong(rec, "sequence_number", m.sequence_number));
  NILUS_RETURN_NOT_OK(SetLong(rec, "min_sequence_number", m.min_sequence_number));
  NILUS_RETURN_NOT_OK(SetLong(rec, "added_snapshot_id", m.added_snapshot_id));
  NILUS_RETURN_NOT_OK(SetInt(rec, "added_files_count", m.added_files_count));
  NILUS_RETURN_NOT_OK(SetInt(rec, "existing_files_count", m.existing_files_count));
  NILUS_RETURN_NOT_OK(SetInt(rec, "deleted_files_count", m.deleted_files_count));
  NILUS_RETURN_NOT_OK(SetLong(rec, "added_rows_count", m.added_rows_count));
  NILUS_RETURN_NOT_OK(SetLong(rec, "existing_rows_count", m.existing_rows_count));
  NILUS_RETURN_NOT_OK(SetLong(rec, "deleted_rows_count", m.deleted_rows_count));
  avro_value_t arr;
  NILUS_RETURN_NOT_OK(SetOptField(rec, "partitions", true, &arr));
  for (const PartitionFieldSummary& s : m.partitions) {
    avro_value_t item, f;
    if (avro_value_append(&arr, &item, nullptr) != 0 ||
        avro_value_get_by_name(&item, "contains_null", &f, nullptr) != 0 ||
        avro_value_set_boolean(&f, s.contains_null ? 1 : 0) != 0) {
      return Status::Internal(std::string("avro-c: cannot encode a field summary: ") +
                              avro_strerror());
    }
    NILUS_RETURN_NOT_OK(SetOptBool(&item, "contains_nan", s.contains_nan));
    NILUS_RETURN_NOT_OK(SetOptBytes(&item, "lower_bound", s.lower_bound));
    NILUS_RETURN_NOT_OK(SetOptBytes(&item, "upper_bound", s.upper_bound));
  }
  return SetOptBytes(rec, "key_metadata", m.key_metadata);
}

Result<ManifestFile> Decode(avro_value_t* rec) {
  ManifestFile m;
  NILUS_ASSIGN_OR_RAISE(m.manifest_path, GetString(rec, "manifest_path"));
  NILUS_ASSIGN_OR_RAISE(m.manifest_length, GetLong(rec, "manifest_length"));
  NILUS_ASSIGN_OR_RAISE(m.partition_spec_id, GetInt(rec, "partition_spec_id"));
  // v1 lists have no content or sequence numbers: data, 0.
  NILUS_ASSIGN_OR_RAISE(std::optional<int32_t> content, GetOptInt(rec, "content"));
  if (content.value_or(0) < 0 || content.value_or(0) > 1) {
    return Status::Corruption("bad manifest_file content");
  }
  m.content = static_cast<ManifestContent>(content.value_or(0));
  NILUS_ASSIGN_OR_RAISE(std::optional<int64_t> seq, GetOptLong(rec, "sequence_number"));
  m.sequence_number = seq.value_or(0);
  NILUS_ASSIGN_OR_RAISE(std::optional<int64_t> min_seq, GetOptLong(rec, "min_sequence_number"));
  m.min_sequence_number = min_seq.value_or(0);
  NILUS_ASSIGN_OR_RAISE(m.added_snapshot_id, GetLong(rec, "added_snapshot_id"));
  NILUS_ASSIGN_OR_RAISE(std::optional<int32_t> i, GetOptInt(rec, "added_files_count"));
  m.added_files_count = i.value_or(0);
  NILUS_ASSIGN_OR_RAISE(i, GetOptInt(rec, "existing_files_count"));
  m.existing_files_count = i.value_or(0);
  NILUS_ASSIGN_OR_RAISE(i, GetOptInt(rec, "deleted_files_count"));
  m.deleted_files_count = i.value_or(0);
  NILUS_ASSIGN_OR_RAISE(std::optional<int64_t> l, GetOptLong(rec, "added_rows_count"));
  m.added_rows_count = l.value_or(0);
  NILUS_ASSIGN_OR_RAISE(l, GetOptLong(rec, "existing_rows_count"));
  m.existing_rows_count = l.value_or(0);
  NILUS_ASSIGN_OR_RAISE(l, GetOptLong(rec, "deleted_rows_count"));
  m.deleted_rows_count = l.value_or(0);
  avro_value_t arr;
  NILUS_ASSIGN_OR_RAISE(bool has_parts, GetOptField(rec, "partitions", &arr));
  if (has_parts) {
    size_t n = 0;
    if (avro_value_get_size(&arr, &n) != 0) return Status::Corruption("bad partitions array");
    for (size_t k = 0; k < n; ++k) {
      avro_value_t item;
      if (avro_value_get_by_index(&arr, k, &item, nullptr) != 0) {
        return Status::Corruption("bad partitions array");
      }
      PartitionFieldSummary s;
      NILUS_ASSIGN_OR_RAISE(s.contains_null, GetBool(&item, "contains_null"));
      NILUS_ASSIGN_OR_RAISE(s.contains_nan, GetOptBool(&item, "contains_nan"));
      NILUS_ASSIGN_OR_RAISE(s.lower_bound, GetOptBytes(&item, "lower_bound"));
      NILUS_ASSIGN_OR_RAISE(s.upper_bound, GetOptBytes(&item, "upper_bound"));
      m.partitions.push_back(std::move(s));
    }
  }
  NILUS_ASSIGN_OR_RAISE(m.key_metadata, GetOptBytes(rec, "key_metadata"));
  return m;
}

}  // namespace

struct ManifestListWriter::Rep {
  FileIO* io = nullptr;
  std::string path;
  int64_t snapshot_id = 0;
  std::optional<int64_t> parent_id;
  int64_t sequence_number = 0;
  std::unique_ptr<avro_internal::ContainerWriter> container;
  bool closed = false;
};

ManifestListWriter::ManifestListWriter(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
ManifestListWriter::~ManifestListWriter() = default;

Result<std::unique_ptr<ManifestListWriter>> ManifestListWriter::Make(
    FileIO* io, std::string path, int64_t snapshot_id, std::optional<int64_t> parent_id,
    int64_t sequence_number, AvroCodec codec) {
  if (io == nullptr) return Status::Invalid("ManifestListWriter needs a FileIO");
  if (path.empty()) return Status::Invalid("ManifestListWriter needs a path");
  auto rep = std::make_unique<Rep>();
  NILUS_ASSIGN_OR_RAISE(rep->container,
                        avro_internal::ContainerWriter::Make(ManifestListSchemaJson(), codec));
  rep->io = io;
  rep->path = std::move(path);
  rep->snapshot_id = snapshot_id;
  rep->parent_id = parent_id;
  rep->sequence_number = sequence_number;
  return std::unique_ptr<ManifestListWriter>(new ManifestListWriter(std::move(rep)));
}

Status ManifestListWriter::Add(const ManifestFile& manifest) {
  Rep& r = *rep_;
  if (r.closed) return Status::Invalid("ManifestListWriter for '" + r.path + "' is closed");
  ManifestFile m = manifest;
  if (m.sequence_number == kUnassignedSequenceNumber) m.sequence_number = r.sequence_number;
  if (m.min_sequence_number == kUnassignedSequenceNumber) {
    m.min_sequence_number = r.sequence_number;
  }
  if (m.added_snapshot_id == kUnassignedSnapshotId) m.added_snapshot_id = r.snapshot_id;
  NILUS_RETURN_NOT_OK(Encode(m, r.container->record()));
  return r.container->Append();
}

Result<int64_t> ManifestListWriter::Close() {
  Rep& r = *rep_;
  if (r.closed) return Status::Invalid("ManifestListWriter for '" + r.path + "' is closed");
  r.closed = true;
  std::map<std::string, std::string> meta = {
      {"snapshot-id", std::to_string(r.snapshot_id)},
      {"parent-snapshot-id", r.parent_id ? std::to_string(*r.parent_id) : "null"},
      {"sequence-number", std::to_string(r.sequence_number)},
      {"format-version", "2"},
  };
  NILUS_ASSIGN_OR_RAISE(std::string bytes, r.container->Finish(meta));
  r.container.reset();
  NILUS_RETURN_NOT_OK(r.io->WriteFile(r.path, bytes));
  return static_cast<int64_t>(bytes.size());
}

Result<ManifestListContents> ReadManifestListFile(FileIO* io, const std::string& path) {
  NILUS_ASSIGN_OR_RAISE(std::string bytes, io->ReadFile(path));
  ManifestListContents out;
  Status st = avro_internal::ReadContainer(path, std::move(bytes), &out.metadata,
                                           [&](avro_value* rec) -> Status {
                                             NILUS_ASSIGN_OR_RAISE(ManifestFile m, Decode(rec));
                                             out.manifests.push_back(std::move(m));
                                             return Status::OK();
                                           });
  if (!st.ok()) return Status(st.code(), "manifest list '" + path + "': " + st.message());
  return out;
}

Result<std::vector<ManifestFile>> ReadManifestList(FileIO* io, const std::string& path) {
  NILUS_ASSIGN_OR_RAISE(ManifestListContents c, ReadManifestListFile(io, path));
  return std::move(c.manifests);
}

}  // namespace nilus::iceberg
