#include "iceberg/snapshot.h"

#include <fmt/format.h>

#include "iceberg/metadata_json_internal.h"
#include "iceberg/uuid_util.h"

namespace nilus::iceberg {

std::string_view Snapshot::operation() const {
  auto it = summary.find(std::string(kSummaryOperation));
  return it == summary.end() ? std::string_view() : std::string_view(it->second);
}

std::optional<std::string_view> Snapshot::SummaryValue(std::string_view key) const {
  auto it = summary.find(std::string(key));
  if (it == summary.end()) return std::nullopt;
  return std::string_view(it->second);
}

int64_t NewSnapshotId() {
  UuidBytes b = NewUuidV4Bytes();
  uint64_t hi = 0, lo = 0;
  for (int i = 0; i < 8; ++i) {
    hi = hi << 8 | b[i];
    lo = lo << 8 | b[8 + i];
  }
  // Clear the sign bit so ids stay positive; never 0, which reads as "no snapshot" in places.
  int64_t id = static_cast<int64_t>((hi ^ lo) & 0x7FFFFFFFFFFFFFFFull);
  return id == 0 ? 1 : id;
}

namespace json_internal {

Json SnapshotToJsonValue(const Snapshot& s) {
  Json out = Json::object();
  out["sequence-number"] = s.sequence_number;
  out["snapshot-id"] = s.snapshot_id;
  if (s.parent_snapshot_id) out["parent-snapshot-id"] = *s.parent_snapshot_id;
  out["timestamp-ms"] = s.timestamp_ms;
  Json summary = Json::object();
  // The spec wants "operation" present; Java writes it first.
  auto op = s.summary.find(std::string(kSummaryOperation));
  if (op != s.summary.end()) summary[op->first] = op->second;
  for (const auto& [k, v] : s.summary) {
    if (k != kSummaryOperation) summary[k] = v;
  }
  out["summary"] = std::move(summary);
  out["manifest-list"] = s.manifest_list;
  if (s.schema_id) out["schema-id"] = *s.schema_id;
  return out;
}

Result<Snapshot> SnapshotFromJsonValue(const Json& v, std::string_view path) {
  Snapshot s;
  NILUS_ASSIGN_OR_RAISE(s.snapshot_id, GetLong(v, "snapshot-id", path));
  NILUS_ASSIGN_OR_RAISE(s.parent_snapshot_id, GetOptionalLong(v, "parent-snapshot-id", path));
  NILUS_ASSIGN_OR_RAISE(s.sequence_number, GetLong(v, "sequence-number", path));
  NILUS_ASSIGN_OR_RAISE(s.timestamp_ms, GetLong(v, "timestamp-ms", path));
  if (v.contains("manifests") && !v.contains("manifest-list")) {
    return FieldError(Child(path, "manifests"),
                      "format v1 snapshots listing manifests inline are not supported");
  }
  NILUS_ASSIGN_OR_RAISE(s.manifest_list, GetString(v, "manifest-list", path));
  NILUS_ASSIGN_OR_RAISE(s.summary, GetStringMap(v, "summary", path));
  if (s.summary.count(std::string(kSummaryOperation)) == 0) {
    return FieldError(Child(Child(path, "summary"), "operation"), "missing");
  }
  NILUS_ASSIGN_OR_RAISE(s.schema_id, GetOptionalInt(v, "schema-id", path));
  return s;
}

Json SnapshotRefToJsonValue(const SnapshotRef& ref) {
  Json out = Json::object();
  out["snapshot-id"] = ref.snapshot_id;
  out["type"] = ref.type == SnapshotRefType::kBranch ? "branch" : "tag";
  if (ref.min_snapshots_to_keep) out["min-snapshots-to-keep"] = *ref.min_snapshots_to_keep;
  if (ref.max_snapshot_age_ms) out["max-snapshot-age-ms"] = *ref.max_snapshot_age_ms;
  if (ref.max_ref_age_ms) out["max-ref-age-ms"] = *ref.max_ref_age_ms;
  return out;
}

Result<SnapshotRef> SnapshotRefFromJsonValue(const Json& v, std::string_view path) {
  SnapshotRef ref;
  NILUS_ASSIGN_OR_RAISE(ref.snapshot_id, GetLong(v, "snapshot-id", path));
  NILUS_ASSIGN_OR_RAISE(std::string type, GetString(v, "type", path));
  if (type == "branch") {
    ref.type = SnapshotRefType::kBranch;
  } else if (type == "tag") {
    ref.type = SnapshotRefType::kTag;
  } else {
    return FieldError(Child(path, "type"),
                      fmt::format("expected \"branch\" or \"tag\", found \"{}\"", type));
  }
  NILUS_ASSIGN_OR_RAISE(ref.min_snapshots_to_keep,
                        GetOptionalInt(v, "min-snapshots-to-keep", path));
  NILUS_ASSIGN_OR_RAISE(ref.max_snapshot_age_ms, GetOptionalLong(v, "max-snapshot-age-ms", path));
  NILUS_ASSIGN_OR_RAISE(ref.max_ref_age_ms, GetOptionalLong(v, "max-ref-age-ms", path));
  if (ref.type == SnapshotRefType::kTag && (ref.min_snapshots_to_keep || ref.max_snapshot_age_ms)) {
    return FieldError(path, "a tag cannot set min-snapshots-to-keep or max-snapshot-age-ms");
  }
  return ref;
}

}  // namespace json_internal

std::string SnapshotToJson(const Snapshot& snapshot) {
  return json_internal::SnapshotToJsonValue(snapshot).dump();
}

Result<Snapshot> SnapshotFromJson(std::string_view json) {
  NILUS_ASSIGN_OR_RAISE(auto v, json_internal::Parse(json));
  return json_internal::SnapshotFromJsonValue(v, "");
}

}  // namespace nilus::iceberg
