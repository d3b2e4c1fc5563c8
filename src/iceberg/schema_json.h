// Iceberg schemas and types as JSON, per the spec's "Appendix C: JSON serialization".
//
// Primitive types are strings ("long", "decimal(10,2)", "fixed[16]"); struct, list and map are
// objects carrying their field ids ("element-id", "key-id", "value-id") and requiredness
// ("element-required", "value-required"). A schema is a struct object with "schema-id" and,
// when not empty, "identifier-field-ids". These strings are also what manifests store under
// their "schema" metadata key.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "core/schema.h"

namespace nilus::iceberg {

// Parses a primitive type string: "int", "decimal(9, 2)" (spaces allowed), "fixed[16]", ...
// InvalidArgument for anything else, including types of format version 3 (timestamp_ns,
// variant, ...) that Nilus does not support.
Result<TypePtr> ParsePrimitiveType(std::string_view text);

// Compact JSON of a type (a string for primitives, an object for nested types).
std::string TypeToJson(const Type& type);
Result<TypePtr> TypeFromJson(std::string_view json);

// Compact JSON of a schema.
std::string SchemaToJson(const Schema& schema);
// Parses and validates (Schema::Validate) a schema object. Corruption on malformed JSON or a
// missing or mistyped field, naming the field; InvalidArgument when the schema is not valid.
Result<SchemaPtr> SchemaFromJson(std::string_view json);

}  // namespace nilus::iceberg
