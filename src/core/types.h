// The Iceberg type system (spec "Schemas and Data Types"), shared by every module.
//
// Types are immutable and shared through TypePtr. Nested types (struct, list, map) own their
// child fields; every field has an Iceberg field id that is stable across schema evolution.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace nilus {

enum class TypeId : uint8_t {
  kBoolean,
  kInt,          // 32-bit signed
  kLong,         // 64-bit signed
  kFloat,        // IEEE 754 32-bit
  kDouble,       // IEEE 754 64-bit
  kDecimal,      // decimal(P,S), P <= 38, stored as a 128-bit unscaled integer
  kDate,         // days since 1970-01-01, 32-bit
  kTime,         // microseconds since midnight, 64-bit
  kTimestamp,    // microseconds since epoch, no time zone, 64-bit
  kTimestampTz,  // microseconds since epoch, UTC, 64-bit
  kString,       // UTF-8
  kUuid,         // 16 bytes, big-endian
  kFixed,        // fixed(L) bytes
  kBinary,       // variable-length bytes
  kStruct,
  kList,
  kMap,
};

class Type;
using TypePtr = std::shared_ptr<const Type>;

// A named, numbered field of a struct, or the element of a list, or a map's key or value.
struct NestedField {
  int32_t id = 0;
  std::string name;
  TypePtr type;
  bool required = false;
  std::string doc;

  static NestedField Required(int32_t id, std::string name, TypePtr type) {
    return {id, std::move(name), std::move(type), true, {}};
  }
  static NestedField Optional(int32_t id, std::string name, TypePtr type) {
    return {id, std::move(name), std::move(type), false, {}};
  }
};

// Every Type lives in a shared_ptr (the factories are the only way to make one), so a caller
// holding a `const Type&` can get the shared pointer back with shared_from_this().
class Type : public std::enable_shared_from_this<Type> {
 public:
  static TypePtr Boolean();
  static TypePtr Int();
  static TypePtr Long();
  static TypePtr Float();
  static TypePtr Double();
  // Precondition: 1 <= precision <= 38, 0 <= scale <= precision. Use MakeDecimal to check.
  static TypePtr Decimal(int precision, int scale);
  static Result<TypePtr> MakeDecimal(int precision, int scale);
  static TypePtr Date();
  static TypePtr Time();
  static TypePtr Timestamp();
  static TypePtr TimestampTz();
  static TypePtr String();
  static TypePtr Uuid();
  static TypePtr Fixed(int32_t length);
  static TypePtr Binary();
  static TypePtr Struct(std::vector<NestedField> fields);
  // The element field is named "element".
  static TypePtr List(int32_t element_id, TypePtr element, bool element_required);
  // The key field is named "key" and always required; the value field is named "value".
  static TypePtr Map(int32_t key_id, TypePtr key, int32_t value_id, TypePtr value,
                     bool value_required);

  TypeId id() const { return id_; }
  bool is_primitive() const { return id_ < TypeId::kStruct; }
  bool is_nested() const { return !is_primitive(); }

  int precision() const { return precision_; }      // decimal only
  int scale() const { return scale_; }              // decimal only
  int32_t fixed_length() const { return length_; }  // fixed only; 16 for uuid

  // Struct: its fields. List: one field, the element. Map: two fields, key then value.
  const std::vector<NestedField>& fields() const { return fields_; }
  const NestedField& element() const { return fields_[0]; }  // list only
  const NestedField& key() const { return fields_[0]; }      // map only
  const NestedField& value() const { return fields_[1]; }    // map only

  // Iceberg's spelling: "decimal(10,2)", "fixed[16]", "list<int>", "struct<1: a: optional int>".
  std::string ToString() const;

  bool Equals(const Type& other) const;
  // Equals, except that nested field ids may differ: the same names, types and nullability.
  // Two schemas built independently (a source's and a table's) compare this way.
  bool EqualsIgnoringIds(const Type& other) const;

 private:
  explicit Type(TypeId id) : id_(id) {}

  TypeId id_;
  int precision_ = 0;
  int scale_ = 0;
  int32_t length_ = 0;
  std::vector<NestedField> fields_;
};

// Bytes per value in a Column's value buffer for fixed-width primitive types; 0 for string,
// binary and nested types. Decimal values take 16 bytes (__int128), uuid 16, fixed(L) L bytes,
// boolean 1 byte.
int FixedWidthOf(const Type& type);

// The largest unscaled value a decimal of this precision can hold: 10^precision - 1.
__int128 MaxDecimalUnscaled(int precision);

}  // namespace nilus
