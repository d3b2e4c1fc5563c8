#include "iceberg/partition_spec.h"

#include <fmt/format.h>

#include <charconv>
#include <set>

#include "iceberg/metadata_json_internal.h"

namespace nilus::iceberg {

namespace {

// "name[N]" with N a positive int32; nullopt when `text` has another shape.
std::optional<int64_t> BracketParam(std::string_view text, std::string_view name) {
  if (text.size() < name.size() + 3 || text.substr(0, name.size()) != name ||
      text[name.size()] != '[' || text.back() != ']') {
    return std::nullopt;
  }
  std::string_view digits = text.substr(name.size() + 1, text.size() - name.size() - 2);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return -1;
  return v;
}

}  // namespace

Result<Transform> Transform::Bucket(int32_t num_buckets) {
  if (num_buckets <= 0) {
    return Status::Invalid(fmt::format("bucket[{}]: the bucket count must be > 0", num_buckets));
  }
  return Transform(TransformKind::kBucket, num_buckets);
}

Result<Transform> Transform::Truncate(int32_t width) {
  if (width <= 0) {
    return Status::Invalid(fmt::format("truncate[{}]: the width must be > 0", width));
  }
  return Transform(TransformKind::kTruncate, width);
}

Result<Transform> Transform::Parse(std::string_view text) {
  if (text == "identity") return Identity();
  if (text == "year") return Year();
  if (text == "month") return Month();
  if (text == "day") return Day();
  if (text == "hour") return Hour();
  if (text == "void") return Void();
  for (auto kind : {TransformKind::kBucket, TransformKind::kTruncate}) {
    std::string_view name = kind == TransformKind::kBucket ? "bucket" : "truncate";
    auto param = BracketParam(text, name);
    if (!param) continue;
    if (*param <= 0 || *param > INT32_MAX) {
      return Status::Invalid(fmt::format("bad parameter in partition transform '{}'", text));
    }
    return Transform(kind, static_cast<int32_t>(*param));
  }
  return Status::Invalid(fmt::format("unknown partition transform '{}'", text));
}

std::string Transform::ToString() const {
  switch (kind_) {
    case TransformKind::kIdentity:
      return "identity";
    case TransformKind::kYear:
      return "year";
    case TransformKind::kMonth:
      return "month";
    case TransformKind::kDay:
      return "day";
    case TransformKind::kHour:
      return "hour";
    case TransformKind::kBucket:
      return fmt::format("bucket[{}]", param_);
    case TransformKind::kTruncate:
      return fmt::format("truncate[{}]", param_);
    case TransformKind::kVoid:
      return "void";
  }
  return "void";
}

Result<TypePtr> Transform::ResultType(const Type& source) const {
  const TypeId t = source.id();
  auto reject = [&]() -> Status {
    return Status::TypeError(
        fmt::format("transform '{}' cannot apply to type {}", ToString(), source.ToString()));
  };
  const bool temporal = t == TypeId::kDate || t == TypeId::kTimestamp || t == TypeId::kTimestampTz;
  switch (kind_) {
    case TransformKind::kVoid:
    case TransformKind::kIdentity:
      if (source.is_nested()) return reject();
      return source.shared_from_this();
    case TransformKind::kYear:
    case TransformKind::kMonth:
      if (!temporal) return reject();
      return Type::Int();
    case TransformKind::kDay:
      if (!temporal) return reject();
      return Type::Date();
    case TransformKind::kHour:
      if (t != TypeId::kTimestamp && t != TypeId::kTimestampTz) return reject();
      return Type::Int();
    case TransformKind::kBucket:
      switch (t) {
        case TypeId::kInt:
        case TypeId::kLong:
        case TypeId::kDecimal:
        case TypeId::kDate:
        case TypeId::kTime:
        case TypeId::kTimestamp:
        case TypeId::kTimestampTz:
        case TypeId::kString:
        case TypeId::kUuid:
        case TypeId::kFixed:
        case TypeId::kBinary:
          return Type::Int();
        default:
          return reject();
      }
    case TransformKind::kTruncate:
      switch (t) {
        case TypeId::kInt:
        case TypeId::kLong:
        case TypeId::kDecimal:
        case TypeId::kString:
        case TypeId::kBinary:
          return source.shared_from_this();
        default:
          return reject();
      }
  }
  return reject();
}

bool Transform::PreservesOrder() const {
  return kind_ != TransformKind::kBucket && kind_ != TransformKind::kVoid;
}

bool PartitionSpec::IsUnpartitioned() const {
  for (const auto& f : fields) {
    if (f.transform.kind() != TransformKind::kVoid) return false;
  }
  return true;
}

int32_t PartitionSpec::LastAssignedFieldId() const {
  int32_t last = kPartitionDataIdStart - 1;
  for (const auto& f : fields) last = std::max(last, f.field_id);
  return last;
}

Result<TypePtr> PartitionSpec::PartitionType(const Schema& schema) const {
  std::set<int32_t> ids;
  std::set<std::string> names;
  std::vector<NestedField> out;
  for (const auto& f : fields) {
    const std::string where = fmt::format("partition field '{}' (id {})", f.name, f.field_id);
    if (f.name.empty()) {
      return Status::Invalid(fmt::format("partition field id {} has no name", f.field_id));
    }
    if (f.field_id < kPartitionDataIdStart) {
      return Status::Invalid(
          fmt::format("{}: partition field ids start at {}", where, kPartitionDataIdStart));
    }
    if (!ids.insert(f.field_id).second) {
      return Status::Invalid(fmt::format("{}: field id is used twice", where));
    }
    if (!names.insert(f.name).second) {
      return Status::Invalid(fmt::format("{}: name is used twice", where));
    }
    const NestedField* source = schema.FindFieldById(f.source_id);
    if (source == nullptr) {
      return Status::Invalid(
          fmt::format("{}: source id {} is not in the schema", where, f.source_id));
    }
    auto type = f.transform.ResultType(*source->type);
    if (!type.ok()) return type.status().WithContext(where);
    out.push_back(NestedField::Optional(f.field_id, f.name, type.MoveValue()));
  }
  return Type::Struct(std::move(out));
}

Status PartitionSpec::Validate(const Schema& schema) const {
  return PartitionType(schema).status();
}

namespace json_internal {

Json PartitionFieldsToJsonValue(const PartitionSpec& spec) {
  Json fields = Json::array();
  for (const auto& f : spec.fields) {
    Json jf = Json::object();
    jf["name"] = f.name;
    jf["transform"] = f.transform.ToString();
    jf["source-id"] = f.source_id;
    jf["field-id"] = f.field_id;
    fields.push_back(std::move(jf));
  }
  return fields;
}

Json PartitionSpecToJsonValue(const PartitionSpec& spec) {
  Json out = Json::object();
  out["spec-id"] = spec.spec_id;
  out["fields"] = PartitionFieldsToJsonValue(spec);
  return out;
}

Result<PartitionSpec> PartitionSpecFromJsonValue(const Json& v, std::string_view path) {
  PartitionSpec spec;
  NILUS_ASSIGN_OR_RAISE(spec.spec_id, GetInt(v, "spec-id", path));
  NILUS_ASSIGN_OR_RAISE(const Json* fields, GetArray(v, "fields", path, false));
  const std::string fields_path = Child(path, "fields");
  for (size_t i = 0; i < fields->size(); ++i) {
    const Json& jf = (*fields)[i];
    const std::string where = Index(fields_path, i);
    PartitionField f;
    NILUS_ASSIGN_OR_RAISE(f.name, GetString(jf, "name", where));
    NILUS_ASSIGN_OR_RAISE(std::string transform, GetString(jf, "transform", where));
    auto parsed = Transform::Parse(transform);
    if (!parsed.ok()) return FieldError(Child(where, "transform"), parsed.status().message());
    f.transform = parsed.MoveValue();
    NILUS_ASSIGN_OR_RAISE(auto source_id, GetOptionalInt(jf, "source-id", where));
    if (!source_id) {
      // v3 writes "source-ids"; one source is still a transform Nilus understands.
      NILUS_ASSIGN_OR_RAISE(const Json* ids, GetArray(jf, "source-ids", where, false));
      if (ids->size() != 1 || !(*ids)[0].is_number_integer()) {
        return FieldError(Child(where, "source-ids"),
                          "multi-argument transforms are not supported");
      }
      source_id = (*ids)[0].get<int32_t>();
    }
    f.source_id = *source_id;
    // v1 specs have no field ids; the reference implementation numbered them from 1000.
    NILUS_ASSIGN_OR_RAISE(auto field_id, GetOptionalInt(jf, "field-id", where));
    f.field_id = field_id.value_or(kPartitionDataIdStart + static_cast<int32_t>(i));
    spec.fields.push_back(std::move(f));
  }
  return spec;
}

}  // namespace json_internal

std::string PartitionSpecToJson(const PartitionSpec& spec) {
  return json_internal::PartitionSpecToJsonValue(spec).dump();
}

std::string PartitionFieldsToJson(const PartitionSpec& spec) {
  return json_internal::PartitionFieldsToJsonValue(spec).dump();
}

Result<PartitionSpec> PartitionSpecFromJson(std::string_view json) {
  NILUS_ASSIGN_OR_RAISE(auto v, json_internal::Parse(json));
  return json_internal::PartitionSpecFromJsonValue(v, "");
}

}  // namespace nilus::iceberg
