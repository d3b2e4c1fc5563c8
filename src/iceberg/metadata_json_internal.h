// Internal to the iceberg module: nlohmann::json conversions of the table metadata pieces, so
// that table_metadata.cc can build one document from them. Public headers stay free of nlohmann.
//
// Every reader takes `path`, the place of the value in its document ("schemas[1].fields[0]"),
// and its errors name it: "field 'schemas[1].fields[0].type': unknown type 'strin'". Readers
// never throw; they check each value's JSON type before reading it.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/schema.h"
#include "iceberg/partition_spec.h"
#include "iceberg/snapshot.h"
#include "iceberg/sort_order.h"

namespace nilus::iceberg::json_internal {

// Ordered, so that written documents keep the spec's (and Java's) field order.
using Json = nlohmann::ordered_json;

// "a.b" or "a" when `path` is empty.
std::string Child(std::string_view path, std::string_view key);
// "a[3]".
std::string Index(std::string_view path, size_t i);
// Corruption: "field '<path>': <what>".
Status FieldError(std::string_view path, std::string_view what);

// Parses `text`; a syntax error names the byte offset.
Result<Json> Parse(std::string_view text);

// Required members; a missing key or a value of the wrong JSON type is an error naming the field.
Result<const Json*> GetMember(const Json& obj, std::string_view key, std::string_view path);
Result<int64_t> GetLong(const Json& obj, std::string_view key, std::string_view path);
Result<int32_t> GetInt(const Json& obj, std::string_view key, std::string_view path);
Result<std::string> GetString(const Json& obj, std::string_view key, std::string_view path);
Result<bool> GetBool(const Json& obj, std::string_view key, std::string_view path);
// Optional members: absent or null gives nullopt.
Result<std::optional<int64_t>> GetOptionalLong(const Json& obj, std::string_view key,
                                               std::string_view path);
Result<std::optional<int32_t>> GetOptionalInt(const Json& obj, std::string_view key,
                                              std::string_view path);
// A JSON object of strings; absent or null gives an empty map.
Result<std::map<std::string, std::string>> GetStringMap(const Json& obj, std::string_view key,
                                                        std::string_view path);
// Checks that `v` is an array (absent or null is accepted when `optional`, as an empty array).
Result<const Json*> GetArray(const Json& obj, std::string_view key, std::string_view path,
                             bool optional);

Json TypeToJsonValue(const Type& type);
Result<TypePtr> TypeFromJsonValue(const Json& v, std::string_view path);
Json SchemaToJsonValue(const Schema& schema);
Result<SchemaPtr> SchemaFromJsonValue(const Json& v, std::string_view path);

Json PartitionFieldsToJsonValue(const PartitionSpec& spec);
Json PartitionSpecToJsonValue(const PartitionSpec& spec);
Result<PartitionSpec> PartitionSpecFromJsonValue(const Json& v, std::string_view path);

Json SortOrderToJsonValue(const SortOrder& order);
Result<SortOrder> SortOrderFromJsonValue(const Json& v, std::string_view path);

Json SnapshotToJsonValue(const Snapshot& snapshot);
Result<Snapshot> SnapshotFromJsonValue(const Json& v, std::string_view path);
Json SnapshotRefToJsonValue(const SnapshotRef& ref);
Result<SnapshotRef> SnapshotRefFromJsonValue(const Json& v, std::string_view path);

}  // namespace nilus::iceberg::json_internal
