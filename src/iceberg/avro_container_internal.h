// The Avro object-container code shared by manifests and manifest lists; internal to the
// iceberg module (manifest.h is its public face).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/result.h"
#include "core/types.h"
#include "iceberg/manifest.h"

struct avro_value;  // avro-c's avro_value_t, kept out of this header

namespace nilus::iceberg {

namespace avro_internal {

// A field of an Iceberg Avro schema: required, or optional as a ["null", T] union that defaults
// to null; both carry their Iceberg field id.
inline nlohmann::ordered_json Optional(const char* name, nlohmann::ordered_json type,
                                       int field_id) {
  return nlohmann::ordered_json{{"name", name},
                                {"type", nlohmann::ordered_json::array({"null", std::move(type)})},
                                {"default", nullptr},
                                {"field-id", field_id}};
}
inline nlohmann::ordered_json Required(const char* name, nlohmann::ordered_json type,
                                       int field_id) {
  return nlohmann::ordered_json{{"name", name}, {"type", std::move(type)}, {"field-id", field_id}};
}

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
