#include "iceberg/metadata_json_internal.h"

#include <fmt/format.h>

#include <limits>

namespace nilus::iceberg::json_internal {

namespace {

const char* JsonTypeName(const Json& v) { return v.type_name(); }

Status WrongType(std::string_view path, std::string_view want, const Json& v) {
  return FieldError(path, fmt::format("expected {}, found {}", want, JsonTypeName(v)));
}

// Reads an integer that must fit in [lo, hi]. nlohmann keeps positive integers unsigned, so a
// value above INT64_MAX is caught here instead of wrapping around.
Result<int64_t> ToInteger(const Json& v, std::string_view path, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) return WrongType(path, "an integer", v);
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(hi)) {
      return FieldError(path, fmt::format("{} is out of range", u));
    }
    return static_cast<int64_t>(u);
  }
  int64_t i = v.get<int64_t>();
  if (i < lo || i > hi) return FieldError(path, fmt::format("{} is out of range", i));
  return i;
}

}  // namespace

std::string Child(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return fmt::format("{}.{}", path, key);
}

std::string Index(std::string_view path, size_t i) { return fmt::format("{}[{}]", path, i); }

Status FieldError(std::string_view path, std::string_view what) {
  if (path.empty()) return Status::Corruption(std::string(what));
  return Status::Corruption(fmt::format("field '{}': {}", path, what));
}

Result<Json> Parse(std::string_view text) {
  // nlohmann reports syntax errors by exception; they stop here.
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return Status::Corruption(fmt::format("malformed JSON at byte {}: {}", e.byte, e.what()));
  } catch (const std::exception& e) {
    return Status::Corruption(fmt::format("malformed JSON: {}", e.what()));
  }
}

Result<const Json*> GetMember(const Json& obj, std::string_view key, std::string_view path) {
  if (!obj.is_object()) return WrongType(path, "an object", obj);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return FieldError(Child(path, key), "missing");
  return &*it;
}

Result<int64_t> GetLong(const Json& obj, std::string_view key, std::string_view path) {
  NILUS_ASSIGN_OR_RAISE(const Json* v, GetMember(obj, key, path));
  return ToInteger(*v, Child(path, key), std::numeric_limits<int64_t>::min(),
                   std::numeric_limits<int64_t>::max());
}

Result<int32_t> GetInt(const Json& obj, std::string_view key, std::string_view path) {
  NILUS_ASSIGN_OR_RAISE(const Json* v, GetMember(obj, key, path));
  NILUS_ASSIGN_OR_RAISE(int64_t i,
                        ToInteger(*v, Child(path, key), std::numeric_limits<int32_t>::min(),
                                  std::numeric_limits<int32_t>::max()));
  return static_cast<int32_t>(i);
}

Result<std::string> GetString(const Json& obj, std::string_view key, std::string_view path) {
  NILUS_ASSIGN_OR_RAISE(const Json* v, GetMember(obj, key, path));
  if (!v->is_string()) return WrongType(Child(path, key), "a string", *v);
  return v->get<std::string>();
}

Result<bool> GetBool(const Json& obj, std::string_view key, std::string_view path) {
  NILUS_ASSIGN_OR_RAISE(const Json* v, GetMember(obj, key, path));
  if (!v->is_boolean()) return WrongType(Child(path, key), "a boolean", *v);
  return v->get<bool>();
}

Result<std::optional<int64_t>> GetOptionalLong(const Json& obj, std::string_view key,
                                               std::string_view path) {
  if (!obj.is_object()) return WrongType(path, "an object", obj);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  NILUS_ASSIGN_OR_RAISE(int64_t i,
                        ToInteger(*it, Child(path, key), std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<int64_t>::max()));
  return std::optional<int64_t>(i);
}

Result<std::optional<int32_t>> GetOptionalInt(const Json& obj, std::string_view key,
                                              std::string_view path) {
  if (!obj.is_object()) return WrongType(path, "an object", obj);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<int32_t>();
  NILUS_ASSIGN_OR_RAISE(int64_t i,
                        ToInteger(*it, Child(path, key), std::numeric_limits<int32_t>::min(),
                                  std::numeric_limits<int32_t>::max()));
  return std::optional<int32_t>(static_cast<int32_t>(i));
}

Result<std::map<std::string, std::string>> GetStringMap(const Json& obj, std::string_view key,
                                                        std::string_view path) {
  if (!obj.is_object()) return WrongType(path, "an object", obj);
  std::map<std::string, std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  const std::string where = Child(path, key);
  if (!it->is_object()) return WrongType(where, "an object", *it);
  for (auto kv = it->begin(); kv != it->end(); ++kv) {
    if (!kv.value().is_string()) return WrongType(Child(where, kv.key()), "a string", kv.value());
    out.emplace(kv.key(), kv.value().get<std::string>());
  }
  return out;
}

Result<const Json*> GetArray(const Json& obj, std::string_view key, std::string_view path,
                             bool optional) {
  static const Json kEmpty = Json::array();
  if (!obj.is_object()) return WrongType(path, "an object", obj);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (optional) return &kEmpty;
    return FieldError(Child(path, key), "missing");
  }
  if (!it->is_array()) return WrongType(Child(path, key), "an array", *it);
  return &*it;
}

}  // namespace nilus::iceberg::json_internal
