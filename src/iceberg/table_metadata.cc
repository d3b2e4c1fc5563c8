#include "iceberg/table_metadata.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <set>
#include <unordered_map>

#include "iceberg/metadata_json_internal.h"
#include "iceberg/uuid_util.h"
#include "storage/file_io.h"

namespace nilus::iceberg {

namespace {

using json_internal::Child;
using json_internal::FieldError;
using json_internal::Index;
using json_internal::Json;

constexpr std::string_view kMetadataSuffix = ".metadata.json";
constexpr std::string_view kGzipMetadataSuffix = ".gz.metadata.json";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string StripTrailingSlashes(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Java's AssignFreshIds order: all fields of a struct get ids first, then each field's type is
// visited; a list's element id and a map's key and value ids come before their types.
class FreshIdAssigner {
 public:
  std::vector<NestedField> AssignStruct(const std::vector<NestedField>& fields) {
    std::vector<NestedField> out = fields;
    for (auto& f : out) f.id = Assign(f.id);
    for (auto& f : out) f.type = AssignType(f.type);
    return out;
  }

  // Old id -> new id, for the spec's and sort order's source ids.
  const std::unordered_map<int32_t, int32_t>& id_map() const { return id_map_; }
  int32_t last_id() const { return next_ - 1; }

 private:
  int32_t Assign(int32_t old_id) {
    int32_t id = next_++;
    id_map_.emplace(old_id, id);
    return id;
  }

  TypePtr AssignType(const TypePtr& type) {
    switch (type->id()) {
      case TypeId::kStruct:
        return Type::Struct(AssignStruct(type->fields()));
      case TypeId::kList: {
        const NestedField& e = type->element();
        int32_t id = Assign(e.id);
        return Type::List(id, AssignType(e.type), e.required);
      }
      case TypeId::kMap: {
        const NestedField& k = type->key();
        const NestedField& v = type->value();
        int32_t key_id = Assign(k.id);
        int32_t value_id = Assign(v.id);
        TypePtr key_type = AssignType(k.type);
        return Type::Map(key_id, std::move(key_type), value_id, AssignType(v.type), v.required);
      }
      default:
        return type;
    }
  }

  int32_t next_ = 1;
  std::unordered_map<int32_t, int32_t> id_map_;
};

template <typename T, typename IdFn>
Status CheckUniqueIds(const std::vector<T>& items, IdFn id_of, std::string_view what) {
  std::set<int64_t> seen;
  for (const auto& item : items) {
    if (!seen.insert(id_of(item)).second) {
      return Status::Invalid(fmt::format("{} id {} is used twice", what, id_of(item)));
    }
  }
  return Status::OK();
}

Json ToJsonValue(const TableMetadata& md) {
  Json out = Json::object();
  out["format-version"] = md.format_version;
  out["table-uuid"] = md.table_uuid;
  out["location"] = md.location;
  out["last-sequence-number"] = md.last_sequence_number;
  out["last-updated-ms"] = md.last_updated_ms;
  out["last-column-id"] = md.last_column_id;
  out["current-schema-id"] = md.current_schema_id;
  Json schemas = Json::array();
  for (const auto& s : md.schemas) schemas.push_back(json_internal::SchemaToJsonValue(*s));
  out["schemas"] = std::move(schemas);
  out["default-spec-id"] = md.default_spec_id;
  Json specs = Json::array();
  for (const auto& s : md.partition_specs) {
    specs.push_back(json_internal::PartitionSpecToJsonValue(s));
  }
  out["partition-specs"] = std::move(specs);
  out["last-partition-id"] = md.last_partition_id;
  out["default-sort-order-id"] = md.default_sort_order_id;
  Json orders = Json::array();
  for (const auto& o : md.sort_orders) orders.push_back(json_internal::SortOrderToJsonValue(o));
  out["sort-orders"] = std::move(orders);
  Json props = Json::object();
  for (const auto& [k, v] : md.properties) props[k] = v;
  out["properties"] = std::move(props);
  // Java writes -1 for "no snapshot" in v1 and v2 (null only from v3), and older readers
  // cannot parse a null long.
  out["current-snapshot-id"] = md.current_snapshot_id.value_or(-1);
  Json refs = Json::object();
  for (const auto& [name, ref] : md.refs) refs[name] = json_internal::SnapshotRefToJsonValue(ref);
  out["refs"] = std::move(refs);
  Json snapshots = Json::array();
  for (const auto& s : md.snapshots) snapshots.push_back(json_internal::SnapshotToJsonValue(s));
  out["snapshots"] = std::move(snapshots);
  Json snapshot_log = Json::array();
  for (const auto& e : md.snapshot_log) {
    Json je = Json::object();
    je["timestamp-ms"] = e.timestamp_ms;
    je["snapshot-id"] = e.snapshot_id;
    snapshot_log.push_back(std::move(je));
  }
  out["snapshot-log"] = std::move(snapshot_log);
  Json metadata_log = Json::array();
  for (const auto& e : md.metadata_log) {
    Json je = Json::object();
    je["timestamp-ms"] = e.timestamp_ms;
    je["metadata-file"] = e.metadata_file;
    metadata_log.push_back(std::move(je));
  }
  out["metadata-log"] = std::move(metadata_log);
  return out;
}

Result<TableMetadata> FromJsonValue(const Json& v) {
  if (!v.is_object()) return FieldError("", "table metadata must be a JSON object");
  TableMetadata md;
  NILUS_ASSIGN_OR_RAISE(md.format_version, json_internal::GetInt(v, "format-version", ""));
  if (md.format_version != kTableFormatVersion) {
    return Status::NotImplemented(
        fmt::format("format-version {} is not supported (Nilus reads and writes version {})",
                    md.format_version, kTableFormatVersion));
  }
  NILUS_ASSIGN_OR_RAISE(md.table_uuid, json_internal::GetString(v, "table-uuid", ""));
  NILUS_ASSIGN_OR_RAISE(md.location, json_internal::GetString(v, "location", ""));
  NILUS_ASSIGN_OR_RAISE(md.last_sequence_number,
                        json_internal::GetLong(v, "last-sequence-number", ""));
  NILUS_ASSIGN_OR_RAISE(md.last_updated_ms, json_internal::GetLong(v, "last-updated-ms", ""));
  NILUS_ASSIGN_OR_RAISE(md.last_column_id, json_internal::GetInt(v, "last-column-id", ""));

  NILUS_ASSIGN_OR_RAISE(const Json* schemas, json_internal::GetArray(v, "schemas", "", false));
  for (size_t i = 0; i < schemas->size(); ++i) {
    NILUS_ASSIGN_OR_RAISE(auto schema,
                          json_internal::SchemaFromJsonValue((*schemas)[i], Index("schemas", i)));
    md.schemas.push_back(std::move(schema));
  }
  NILUS_ASSIGN_OR_RAISE(md.current_schema_id, json_internal::GetInt(v, "current-schema-id", ""));

  NILUS_ASSIGN_OR_RAISE(const Json* specs,
                        json_internal::GetArray(v, "partition-specs", "", false));
  for (size_t i = 0; i < specs->size(); ++i) {
    NILUS_ASSIGN_OR_RAISE(auto spec, json_internal::PartitionSpecFromJsonValue(
                                         (*specs)[i], Index("partition-specs", i)));
    md.partition_specs.push_back(std::move(spec));
  }
  NILUS_ASSIGN_OR_RAISE(md.default_spec_id, json_internal::GetInt(v, "default-spec-id", ""));
  NILUS_ASSIGN_OR_RAISE(md.last_partition_id, json_internal::GetInt(v, "last-partition-id", ""));

  NILUS_ASSIGN_OR_RAISE(const Json* orders, json_internal::GetArray(v, "sort-orders", "", false));
  for (size_t i = 0; i < orders->size(); ++i) {
    NILUS_ASSIGN_OR_RAISE(
        auto order, json_internal::SortOrderFromJsonValue((*orders)[i], Index("sort-orders", i)));
    md.sort_orders.push_back(std::move(order));
  }
  NILUS_ASSIGN_OR_RAISE(md.default_sort_order_id,
                        json_internal::GetInt(v, "default-sort-order-id", ""));

  NILUS_ASSIGN_OR_RAISE(md.properties, json_internal::GetStringMap(v, "properties", ""));

  NILUS_ASSIGN_OR_RAISE(auto current, json_internal::GetOptionalLong(v, "current-snapshot-id", ""));
  // -1 is how v1/v2 writers say "none".
  if (current && *current != -1) md.current_snapshot_id = current;

  NILUS_ASSIGN_OR_RAISE(const Json* snapshots, json_internal::GetArray(v, "snapshots", "", true));
  for (size_t i = 0; i < snapshots->size(); ++i) {
    NILUS_ASSIGN_OR_RAISE(auto snapshot, json_internal::SnapshotFromJsonValue(
                                             (*snapshots)[i], Index("snapshots", i)));
    md.snapshots.push_back(std::move(snapshot));
  }

  NILUS_ASSIGN_OR_RAISE(const Json* snapshot_log,
                        json_internal::GetArray(v, "snapshot-log", "", true));
  for (size_t i = 0; i < snapshot_log->size(); ++i) {
    const std::string where = Index("snapshot-log", i);
    SnapshotLogEntry e;
    NILUS_ASSIGN_OR_RAISE(e.timestamp_ms,
                          json_internal::GetLong((*snapshot_log)[i], "timestamp-ms", where));
    NILUS_ASSIGN_OR_RAISE(e.snapshot_id,
                          json_internal::GetLong((*snapshot_log)[i], "snapshot-id", where));
    md.snapshot_log.push_back(e);
  }
  NILUS_ASSIGN_OR_RAISE(const Json* metadata_log,
                        json_internal::GetArray(v, "metadata-log", "", true));
  for (size_t i = 0; i < metadata_log->size(); ++i) {
    const std::string where = Index("metadata-log", i);
    MetadataLogEntry e;
    NILUS_ASSIGN_OR_RAISE(e.timestamp_ms,
                          json_internal::GetLong((*metadata_log)[i], "timestamp-ms", where));
    NILUS_ASSIGN_OR_RAISE(e.metadata_file,
                          json_internal::GetString((*metadata_log)[i], "metadata-file", where));
    md.metadata_log.push_back(std::move(e));
  }

  auto refs = v.find("refs");
  if (refs != v.end() && !refs->is_null()) {
    if (!refs->is_object()) return FieldError("refs", "expected an object");
    for (auto it = refs->begin(); it != refs->end(); ++it) {
      NILUS_ASSIGN_OR_RAISE(
          auto ref, json_internal::SnapshotRefFromJsonValue(it.value(), Child("refs", it.key())));
      md.refs.emplace(it.key(), ref);
    }
  }
  // The spec: "always a main branch reference, even if refs is null".
  if (md.current_snapshot_id && md.refs.count(std::string(kMainBranch)) == 0) {
    md.refs.emplace(std::string(kMainBranch), SnapshotRef::Branch(*md.current_snapshot_id));
  }
  return md;
}

}  // namespace

const Schema* TableMetadata::SchemaById(int32_t schema_id) const {
  for (const auto& s : schemas) {
    if (s && s->schema_id() == schema_id) return s.get();
  }
  return nullptr;
}

const Schema* TableMetadata::CurrentSchema() const { return SchemaById(current_schema_id); }

const PartitionSpec* TableMetadata::SpecById(int32_t spec_id) const {
  for (const auto& s : partition_specs) {
    if (s.spec_id == spec_id) return &s;
  }
  return nullptr;
}

const PartitionSpec* TableMetadata::DefaultSpec() const { return SpecById(default_spec_id); }

const SortOrder* TableMetadata::SortOrderById(int32_t order_id) const {
  for (const auto& o : sort_orders) {
    if (o.order_id == order_id) return &o;
  }
  return nullptr;
}

const SortOrder* TableMetadata::DefaultSortOrder() const {
  return SortOrderById(default_sort_order_id);
}

const Snapshot* TableMetadata::SnapshotById(int64_t snapshot_id) const {
  for (const auto& s : snapshots) {
    if (s.snapshot_id == snapshot_id) return &s;
  }
  return nullptr;
}

const Snapshot* TableMetadata::CurrentSnapshot() const {
  return current_snapshot_id ? SnapshotById(*current_snapshot_id) : nullptr;
}

std::vector<const Snapshot*> TableMetadata::Ancestors(int64_t snapshot_id) const {
  std::vector<const Snapshot*> out;
  const Snapshot* s = SnapshotById(snapshot_id);
  // A parent chain longer than the snapshot list would be a cycle: stop rather than loop.
  while (s != nullptr && out.size() < snapshots.size()) {
    out.push_back(s);
    s = s->parent_snapshot_id ? SnapshotById(*s->parent_snapshot_id) : nullptr;
  }
  return out;
}

std::optional<std::string> TableMetadata::FindLatestSummaryProperty(std::string_view key) const {
  if (!current_snapshot_id) return std::nullopt;
  for (const Snapshot* s : Ancestors(*current_snapshot_id)) {
    if (auto v = s->SummaryValue(key)) return std::string(*v);
  }
  return std::nullopt;
}

Status TableMetadata::AddSnapshotToMain(Snapshot snapshot) {
  if (SnapshotById(snapshot.snapshot_id) != nullptr) {
    return Status::Invalid(fmt::format("snapshot id {} is already used", snapshot.snapshot_id));
  }
  if (snapshot.parent_snapshot_id != current_snapshot_id) {
    return Status::Invalid(fmt::format(
        "snapshot {} has parent {} but the current snapshot is {}", snapshot.snapshot_id,
        snapshot.parent_snapshot_id ? std::to_string(*snapshot.parent_snapshot_id) : "none",
        current_snapshot_id ? std::to_string(*current_snapshot_id) : "none"));
  }
  if (snapshot.sequence_number <= last_sequence_number) {
    return Status::Invalid(
        fmt::format("snapshot {} has sequence number {}, not above last-sequence-number {}",
                    snapshot.snapshot_id, snapshot.sequence_number, last_sequence_number));
  }
  const int64_t id = snapshot.snapshot_id;
  last_sequence_number = snapshot.sequence_number;
  last_updated_ms = snapshot.timestamp_ms;
  snapshot_log.push_back({snapshot.timestamp_ms, id});
  snapshots.push_back(std::move(snapshot));
  current_snapshot_id = id;
  SnapshotRef& main = refs[std::string(kMainBranch)];
  main.snapshot_id = id;
  main.type = SnapshotRefType::kBranch;
  return Status::OK();
}

void TableMetadata::RecordPreviousMetadata(std::string metadata_file, int64_t timestamp_ms,
                                           size_t max_entries) {
  metadata_log.push_back({timestamp_ms, std::move(metadata_file)});
  if (metadata_log.size() > max_entries) {
    metadata_log.erase(metadata_log.begin(),
                       metadata_log.begin() + (metadata_log.size() - max_entries));
  }
}

Status TableMetadata::Validate() const {
  if (format_version != kTableFormatVersion) {
    return Status::Invalid(
        fmt::format("format-version {} is not {}", format_version, kTableFormatVersion));
  }
  if (!IsValidUuid(table_uuid)) {
    return Status::Invalid(fmt::format("table-uuid '{}' is not a UUID", table_uuid));
  }
  if (location.empty()) return Status::Invalid("location is empty");
  if (last_sequence_number < 0) {
    return Status::Invalid(
        fmt::format("last-sequence-number {} is negative", last_sequence_number));
  }

  if (schemas.empty()) return Status::Invalid("there are no schemas");
  for (const auto& s : schemas) {
    if (!s) return Status::Internal("null schema in table metadata");
  }
  NILUS_RETURN_NOT_OK(CheckUniqueIds(
      schemas, [](const SchemaPtr& s) { return s->schema_id(); }, "schema"));
  for (const auto& s : schemas) {
    NILUS_RETURN_NOT_OK_CTX(s->Validate(), fmt::format("schema {}", s->schema_id()));
    if (s->HighestFieldId() > last_column_id) {
      return Status::Invalid(fmt::format("schema {} uses field id {} above last-column-id {}",
                                         s->schema_id(), s->HighestFieldId(), last_column_id));
    }
  }
  const Schema* schema = CurrentSchema();
  if (schema == nullptr) {
    return Status::Invalid(fmt::format("current-schema-id {} names no schema", current_schema_id));
  }

  if (partition_specs.empty()) return Status::Invalid("there are no partition specs");
  NILUS_RETURN_NOT_OK(CheckUniqueIds(
      partition_specs, [](const PartitionSpec& s) { return s.spec_id; }, "partition spec"));
  for (const auto& s : partition_specs) {
    if (s.LastAssignedFieldId() > last_partition_id) {
      return Status::Invalid(
          fmt::format("partition spec {} uses field id {} above last-partition-id {}", s.spec_id,
                      s.LastAssignedFieldId(), last_partition_id));
    }
  }
  const PartitionSpec* spec = DefaultSpec();
  if (spec == nullptr) {
    return Status::Invalid(fmt::format("default-spec-id {} names no spec", default_spec_id));
  }
  NILUS_RETURN_NOT_OK_CTX(spec->Validate(*schema),
                          fmt::format("default partition spec {}", default_spec_id));

  if (sort_orders.empty()) return Status::Invalid("there are no sort orders");
  NILUS_RETURN_NOT_OK(CheckUniqueIds(
      sort_orders, [](const SortOrder& o) { return o.order_id; }, "sort order"));
  const SortOrder* order = DefaultSortOrder();
  if (order == nullptr) {
    return Status::Invalid(
        fmt::format("default-sort-order-id {} names no sort order", default_sort_order_id));
  }
  NILUS_RETURN_NOT_OK(order->Validate(*schema));

  NILUS_RETURN_NOT_OK(CheckUniqueIds(
      snapshots, [](const Snapshot& s) { return s.snapshot_id; }, "snapshot"));
  for (const auto& s : snapshots) {
    if (s.sequence_number > last_sequence_number) {
      return Status::Invalid(
          fmt::format("snapshot {} has sequence number {} above last-sequence-number {}",
                      s.snapshot_id, s.sequence_number, last_sequence_number));
    }
  }
  if (current_snapshot_id && CurrentSnapshot() == nullptr) {
    return Status::Invalid(
        fmt::format("current-snapshot-id {} names no snapshot", *current_snapshot_id));
  }
  for (const auto& [name, ref] : refs) {
    if (SnapshotById(ref.snapshot_id) == nullptr) {
      return Status::Invalid(fmt::format("ref '{}' points at snapshot {}, which does not exist",
                                         name, ref.snapshot_id));
    }
  }
  auto main = refs.find(std::string(kMainBranch));
  std::optional<int64_t> main_id;
  if (main != refs.end()) {
    if (main->second.type != SnapshotRefType::kBranch) {
      return Status::Invalid("ref 'main' must be a branch");
    }
    main_id = main->second.snapshot_id;
  }
  if (main_id != current_snapshot_id) {
    return Status::Invalid(
        fmt::format("current-snapshot-id {} and the main branch ({}) disagree",
                    current_snapshot_id ? std::to_string(*current_snapshot_id) : "none",
                    main_id ? std::to_string(*main_id) : "none"));
  }
  return Status::OK();
}

Result<TableMetadata> NewTableMetadata(const Schema& schema, const PartitionSpec& spec,
                                       const SortOrder& sort_order, std::string location,
                                       std::map<std::string, std::string> properties) {
  NILUS_RETURN_NOT_OK_CTX(schema.Validate(), "new table schema");
  FreshIdAssigner assigner;
  std::vector<NestedField> fields = assigner.AssignStruct(schema.fields());
  const auto& ids = assigner.id_map();
  std::vector<int32_t> identifier_ids;
  for (int32_t id : schema.identifier_field_ids()) identifier_ids.push_back(ids.at(id));
  auto fresh_schema = std::make_shared<const Schema>(std::move(fields), 0, identifier_ids);

  auto map_source = [&](int32_t old_id, std::string_view what) -> Result<int32_t> {
    auto it = ids.find(old_id);
    if (it == ids.end()) {
      return Status::Invalid(fmt::format("{}: source id {} is not in the schema", what, old_id));
    }
    return it->second;
  };

  PartitionSpec fresh_spec;
  fresh_spec.spec_id = 0;
  for (size_t i = 0; i < spec.fields.size(); ++i) {
    PartitionField f = spec.fields[i];
    NILUS_ASSIGN_OR_RAISE(f.source_id,
                          map_source(f.source_id, fmt::format("partition field '{}'", f.name)));
    f.field_id = kPartitionDataIdStart + static_cast<int32_t>(i);
    fresh_spec.fields.push_back(std::move(f));
  }
  NILUS_RETURN_NOT_OK(fresh_spec.Validate(*fresh_schema));

  SortOrder fresh_order;
  fresh_order.order_id = sort_order.IsUnsorted() ? 0 : 1;
  for (size_t i = 0; i < sort_order.fields.size(); ++i) {
    SortField f = sort_order.fields[i];
    NILUS_ASSIGN_OR_RAISE(f.source_id, map_source(f.source_id, fmt::format("sort field {}", i)));
    fresh_order.fields.push_back(f);
  }
  NILUS_RETURN_NOT_OK(fresh_order.Validate(*fresh_schema));

  TableMetadata md;
  md.table_uuid = NewUuidV4();
  md.location = StripTrailingSlashes(std::move(location));
  md.last_sequence_number = 0;
  md.last_updated_ms = NowMs();
  md.last_column_id = assigner.last_id();
  md.schemas.push_back(std::move(fresh_schema));
  md.current_schema_id = 0;
  md.last_partition_id = fresh_spec.LastAssignedFieldId();
  md.partition_specs.push_back(std::move(fresh_spec));
  md.default_spec_id = 0;
  md.default_sort_order_id = fresh_order.order_id;
  md.sort_orders.push_back(std::move(fresh_order));
  md.properties = std::move(properties);
  NILUS_RETURN_NOT_OK(md.Validate());
  return md;
}

std::string TableMetadataToJson(const TableMetadata& metadata) {
  return ToJsonValue(metadata).dump(2);
}

Result<TableMetadata> TableMetadataFromJson(std::string_view json, std::string_view source) {
  const std::string context =
      source.empty() ? std::string("table metadata") : fmt::format("table metadata '{}'", source);
  auto parsed = json_internal::Parse(json);
  if (!parsed.ok()) return parsed.status().WithContext(context);
  auto md = FromJsonValue(*parsed);
  if (!md.ok()) return md.status().WithContext(context);
  NILUS_RETURN_NOT_OK_CTX(md->Validate(), context);
  return md;
}

std::string MetadataFileName(int version) {
  return fmt::format("{:05d}-{}{}", version, NewUuidV4(), kMetadataSuffix);
}

std::string NewMetadataFilePath(std::string_view table_location, int version) {
  return fmt::format("{}/metadata/{}", StripTrailingSlashes(std::string(table_location)),
                     MetadataFileName(version));
}

Result<int> ParseMetadataVersion(std::string_view path) {
  std::string_view name = BaseName(path);
  auto bad = [&]() {
    return Status::Invalid(fmt::format("'{}' is not a versioned metadata file name", path));
  };
  if (!EndsWith(name, kMetadataSuffix)) return bad();
  std::string_view digits;
  if (!name.empty() && name.front() == 'v') {
    // Hadoop tables: v<N>.metadata.json (or v<N>.gz.metadata.json).
    digits = name.substr(1, name.find('.') - 1);
  } else {
    size_t dash = name.find('-');
    if (dash == std::string_view::npos) return bad();
    digits = name.substr(0, dash);
  }
  int version = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || version < 0) {
    return bad();
  }
  return version;
}

Result<TableMetadata> ReadTableMetadata(FileIO* io, const std::string& path) {
  if (EndsWith(path, kGzipMetadataSuffix)) {
    return Status::NotImplemented(
        fmt::format("table metadata '{}': gzip-compressed metadata is not supported", path));
  }
  auto text = io->ReadFile(path);
  if (!text.ok()) {
    return text.status().WithContext(fmt::format("reading table metadata '{}'", path));
  }
  return TableMetadataFromJson(*text, path);
}

Status WriteTableMetadata(FileIO* io, const std::string& path, const TableMetadata& metadata) {
  NILUS_RETURN_NOT_OK_CTX(metadata.Validate(),
                          fmt::format("refusing to write table metadata '{}'", path));
  std::string json = TableMetadataToJson(metadata);
  json.push_back('\n');
  return io->WriteFile(path, json, CreateMode::kExclusive)
      .WithContext(fmt::format("writing table metadata '{}'", path));
}

Status WriteVersionHint(FileIO* io, std::string_view table_location,
                        std::string_view metadata_path) {
  std::string_view name = BaseName(metadata_path);
  if (!EndsWith(name, kMetadataSuffix) || name.size() == kMetadataSuffix.size()) {
    return Status::Invalid(
        fmt::format("version hint: '{}' is not a metadata file path", metadata_path));
  }
  std::string_view stem = name.substr(0, name.size() - kMetadataSuffix.size());
  const std::string hint_path = fmt::format("{}/metadata/version-hint.text",
                                            StripTrailingSlashes(std::string(table_location)));
  return io->WriteFile(hint_path, stem, CreateMode::kOverwrite)
      .WithContext(fmt::format("writing '{}'", hint_path));
}

}  // namespace nilus::iceberg
