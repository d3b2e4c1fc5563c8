#include "iceberg/schema_json.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "iceberg/metadata_json_internal.h"

namespace nilus::iceberg {

namespace {

using json_internal::Child;
using json_internal::FieldError;
using json_internal::Index;
using json_internal::Json;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A whole, non-negative decimal integer (surrounding spaces allowed); nullopt otherwise.
std::optional<int> ParseSmallInt(std::string_view s) {
  s = Trim(s);
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

Result<NestedField> FieldFromJson(const Json& v, const std::string& path) {
  NestedField f;
  NILUS_ASSIGN_OR_RAISE(f.id, json_internal::GetInt(v, "id", path));
  NILUS_ASSIGN_OR_RAISE(f.name, json_internal::GetString(v, "name", path));
  NILUS_ASSIGN_OR_RAISE(f.required, json_internal::GetBool(v, "required", path));
  NILUS_ASSIGN_OR_RAISE(const Json* type, json_internal::GetMember(v, "type", path));
  NILUS_ASSIGN_OR_RAISE(f.type, json_internal::TypeFromJsonValue(*type, Child(path, "type")));
  auto doc = v.find("doc");
  if (doc != v.end() && !doc->is_null()) {
    if (!doc->is_string()) return FieldError(Child(path, "doc"), "expected a string");
    f.doc = doc->get<std::string>();
  }
  return f;
}

Result<std::vector<NestedField>> FieldsFromJson(const Json& v, std::string_view path) {
  NILUS_ASSIGN_OR_RAISE(const Json* arr, json_internal::GetArray(v, "fields", path, false));
  std::vector<NestedField> fields;
  fields.reserve(arr->size());
  const std::string where = Child(path, "fields");
  for (size_t i = 0; i < arr->size(); ++i) {
    NILUS_ASSIGN_OR_RAISE(auto f, FieldFromJson((*arr)[i], Index(where, i)));
    fields.push_back(std::move(f));
  }
  return fields;
}

}  // namespace

Result<TypePtr> ParsePrimitiveType(std::string_view text) {
  std::string lower;
  for (char c : Trim(text)) lower.push_back(static_cast<char>(std::tolower(c)));
  std::string_view s = lower;
  if (s == "boolean") return Type::Boolean();
  if (s == "int") return Type::Int();
  if (s == "long") return Type::Long();
  if (s == "float") return Type::Float();
  if (s == "double") return Type::Double();
  if (s == "date") return Type::Date();
  if (s == "time") return Type::Time();
  if (s == "timestamp") return Type::Timestamp();
  if (s == "timestamptz") return Type::TimestampTz();
  if (s == "string") return Type::String();
  if (s == "uuid") return Type::Uuid();
  if (s == "binary") return Type::Binary();
  std::string_view rest = s;
  if (ConsumePrefix(&rest, "fixed[") && !rest.empty() && rest.back() == ']') {
    auto len = ParseSmallInt(rest.substr(0, rest.size() - 1));
    if (!len || *len == 0) {
      return Status::Invalid(fmt::format("bad fixed length in type '{}'", text));
    }
    return Type::Fixed(*len);
  }
  rest = s;
  if (ConsumePrefix(&rest, "decimal(") && !rest.empty() && rest.back() == ')') {
    rest.remove_suffix(1);
    size_t comma = rest.find(',');
    std::optional<int> p, sc;
    if (comma != std::string_view::npos) {
      p = ParseSmallInt(rest.substr(0, comma));
      sc = ParseSmallInt(rest.substr(comma + 1));
    }
    if (!p || !sc) return Status::Invalid(fmt::format("bad decimal type '{}'", text));
    NILUS_RETURN_NOT_OK_CTX(Type::MakeDecimal(*p, *sc).status(), fmt::format("type '{}'", text));
    return Type::Decimal(*p, *sc);
  }
  return Status::Invalid(fmt::format("unknown or unsupported type '{}'", text));
}

namespace json_internal {

Json TypeToJsonValue(const Type& type) {
  switch (type.id()) {
    case TypeId::kStruct: {
      Json out = Json::object();
      out["type"] = "struct";
      Json fields = Json::array();
      for (const auto& f : type.fields()) {
        Json jf = Json::object();
        jf["id"] = f.id;
        jf["name"] = f.name;
        jf["required"] = f.required;
        jf["type"] = TypeToJsonValue(*f.type);
        if (!f.doc.empty()) jf["doc"] = f.doc;
        fields.push_back(std::move(jf));
      }
      out["fields"] = std::move(fields);
      return out;
    }
    case TypeId::kList: {
      Json out = Json::object();
      out["type"] = "list";
      out["element-id"] = type.element().id;
      out["element"] = TypeToJsonValue(*type.element().type);
      out["element-required"] = type.element().required;
      return out;
    }
    case TypeId::kMap: {
      Json out = Json::object();
      out["type"] = "map";
      out["key-id"] = type.key().id;
      out["key"] = TypeToJsonValue(*type.key().type);
      out["value-id"] = type.value().id;
      out["value"] = TypeToJsonValue(*type.value().type);
      out["value-required"] = type.value().required;
      return out;
    }
    default:
      // Core spells primitives the way the spec's JSON does.
      return type.ToString();
  }
}

Result<TypePtr> TypeFromJsonValue(const Json& v, std::string_view path) {
  if (v.is_string()) {
    auto t = ParsePrimitiveType(v.get<std::string>());
    if (!t.ok()) return FieldError(path, t.status().message());
    return t;
  }
  if (!v.is_object()) return FieldError(path, "expected a type string or object");
  NILUS_ASSIGN_OR_RAISE(std::string kind, GetString(v, "type", path));
  if (kind == "struct") {
    NILUS_ASSIGN_OR_RAISE(auto fields, FieldsFromJson(v, path));
    return Type::Struct(std::move(fields));
  }
  if (kind == "list") {
    NILUS_ASSIGN_OR_RAISE(int32_t id, GetInt(v, "element-id", path));
    NILUS_ASSIGN_OR_RAISE(bool required, GetBool(v, "element-required", path));
    NILUS_ASSIGN_OR_RAISE(const Json* element, GetMember(v, "element", path));
    NILUS_ASSIGN_OR_RAISE(TypePtr type, TypeFromJsonValue(*element, Child(path, "element")));
    return Type::List(id, std::move(type), required);
  }
  if (kind == "map") {
    NILUS_ASSIGN_OR_RAISE(int32_t key_id, GetInt(v, "key-id", path));
    NILUS_ASSIGN_OR_RAISE(int32_t value_id, GetInt(v, "value-id", path));
    NILUS_ASSIGN_OR_RAISE(bool required, GetBool(v, "value-required", path));
    NILUS_ASSIGN_OR_RAISE(const Json* key, GetMember(v, "key", path));
    NILUS_ASSIGN_OR_RAISE(const Json* value, GetMember(v, "value", path));
    NILUS_ASSIGN_OR_RAISE(TypePtr key_type, TypeFromJsonValue(*key, Child(path, "key")));
    NILUS_ASSIGN_OR_RAISE(TypePtr value_type, TypeFromJsonValue(*value, Child(path, "value")));
    return Type::Map(key_id, std::move(key_type), value_id, std::move(value_type), required);
  }
  return FieldError(Child(path, "type"), fmt::format("unknown nested type '{}'", kind));
}

Json SchemaToJsonValue(const Schema& schema) {
  Json out = Json::object();
  out["type"] = "struct";
  out["schema-id"] = schema.schema_id();
  // Java omits an empty list too.
  if (!schema.identifier_field_ids().empty()) {
    out["identifier-field-ids"] = schema.identifier_field_ids();
  }
  Json fields = TypeToJsonValue(*Type::Struct(schema.fields()))["fields"];
  out["fields"] = std::move(fields);
  return out;
}

Result<SchemaPtr> SchemaFromJsonValue(const Json& v, std::string_view path) {
  if (!v.is_object()) return FieldError(path, "expected a schema object");
  auto type = v.find("type");
  if (type != v.end() && !(type->is_string() && type->get<std::string>() == "struct")) {
    return FieldError(Child(path, "type"), "a schema must be a struct");
  }
  // Optional in v1; v2 writers always set it. Absent reads as 0, as Java does.
  NILUS_ASSIGN_OR_RAISE(auto schema_id, GetOptionalInt(v, "schema-id", path));
  std::vector<int32_t> identifier_ids;
  NILUS_ASSIGN_OR_RAISE(const Json* ids, GetArray(v, "identifier-field-ids", path, true));
  for (size_t i = 0; i < ids->size(); ++i) {
    const Json& id = (*ids)[i];
    const std::string where = Index(Child(path, "identifier-field-ids"), i);
    if (!id.is_number_integer()) return FieldError(where, "expected an integer");
    int64_t value =
        id.is_number_unsigned() ? static_cast<int64_t>(id.get<uint64_t>()) : id.get<int64_t>();
    if (value <= 0 || value > INT32_MAX) return FieldError(where, "not a field id");
    identifier_ids.push_back(static_cast<int32_t>(value));
  }
  NILUS_ASSIGN_OR_RAISE(auto fields, FieldsFromJson(v, path));
  auto schema =
      std::make_shared<const Schema>(std::move(fields), schema_id.value_or(0), identifier_ids);
  Status st = schema->Validate();
  if (!st.ok()) {
    return Status::Invalid(fmt::format("{}: {}", path.empty() ? "schema" : path, st.message()));
  }
  return SchemaPtr(schema);
}

}  // namespace json_internal

std::string TypeToJson(const Type& type) { return json_internal::TypeToJsonValue(type).dump(); }

Result<TypePtr> TypeFromJson(std::string_view json) {
  NILUS_ASSIGN_OR_RAISE(Json v, json_internal::Parse(json));
  return json_internal::TypeFromJsonValue(v, "");
}

std::string SchemaToJson(const Schema& schema) {
  return json_internal::SchemaToJsonValue(schema).dump();
}

Result<SchemaPtr> SchemaFromJson(std::string_view json) {
  NILUS_ASSIGN_OR_RAISE(Json v, json_internal::Parse(json));
  return json_internal::SchemaFromJsonValue(v, "");
}

}  // namespace nilus::iceberg
