#include "core/types.h"

#include <fmt/format.h>

namespace nilus {

#define NILUS_SINGLETON_TYPE(Name, Id)                \
  TypePtr Type::Name() {                              \
    static const TypePtr kType(new Type(TypeId::Id)); \
    return kType;                                     \
  }
NILUS_SINGLETON_TYPE(Boolean, kBoolean)
NILUS_SINGLETON_TYPE(Int, kInt)
NILUS_SINGLETON_TYPE(Long, kLong)
NILUS_SINGLETON_TYPE(Float, kFloat)
NILUS_SINGLETON_TYPE(Double, kDouble)
NILUS_SINGLETON_TYPE(Date, kDate)
NILUS_SINGLETON_TYPE(Time, kTime)
NILUS_SINGLETON_TYPE(Timestamp, kTimestamp)
NILUS_SINGLETON_TYPE(TimestampTz, kTimestampTz)
NILUS_SINGLETON_TYPE(String, kString)
NILUS_SINGLETON_TYPE(Binary, kBinary)
#undef NILUS_SINGLETON_TYPE

TypePtr Type::Uuid() {
  static const TypePtr kType = [] {
    auto* t = new Type(TypeId::kUuid);
    t->length_ = 16;
    return TypePtr(t);
  }();
  return kType;
}

TypePtr Type::Decimal(int precision, int scale) {
  auto* t = new Type(TypeId::kDecimal);
  t->precision_ = precision;
  t->scale_ = scale;
  return TypePtr(t);
}

Result<TypePtr> Type::MakeDecimal(int precision, int scale) {
  if (precision < 1 || precision > 38) {
    return Status::Invalid(fmt::format("decimal precision {} is outside 1..38", precision));
  }
  if (scale < 0 || scale > precision) {
    return Status::Invalid(
        fmt::format("decimal scale {} is outside 0..{} (the precision)", scale, precision));
  }
  return Decimal(precision, scale);
}

TypePtr Type::Fixed(int32_t length) {
  auto* t = new Type(TypeId::kFixed);
  t->length_ = length;
  return TypePtr(t);
}

TypePtr Type::Struct(std::vector<NestedField> fields) {
  auto* t = new Type(TypeId::kStruct);
  t->fields_ = std::move(fields);
  return TypePtr(t);
}

TypePtr Type::List(int32_t element_id, TypePtr element, bool element_required) {
  auto* t = new Type(TypeId::kList);
  t->fields_.push_back({element_id, "element", std::move(element), element_required, {}});
  return TypePtr(t);
}

TypePtr Type::Map(int32_t key_id, TypePtr key, int32_t value_id, TypePtr value,
                  bool value_required) {
  auto* t = new Type(TypeId::kMap);
  t->fields_.push_back({key_id, "key", std::move(key), true, {}});
  t->fields_.push_back({value_id, "value", std::move(value), value_required, {}});
  return TypePtr(t);
}

std::string Type::ToString() const {
  switch (id_) {
    case TypeId::kBoolean:
      return "boolean";
    case TypeId::kInt:
      return "int";
    case TypeId::kLong:
      return "long";
    case TypeId::kFloat:
      return "float";
    case TypeId::kDouble:
      return "double";
    case TypeId::kDecimal:
      return fmt::format("decimal({},{})", precision_, scale_);
    case TypeId::kDate:
      return "date";
    case TypeId::kTime:
      return "time";
    case TypeId::kTimestamp:
      return "timestamp";
    case TypeId::kTimestampTz:
      return "timestamptz";
    case TypeId::kString:
      return "string";
    case TypeId::kUuid:
      return "uuid";
    case TypeId::kFixed:
      return fmt::format("fixed[{}]", length_);
    case TypeId::kBinary:
      return "binary";
    case TypeId::kStruct: {
      std::string out = "struct<";
      for (size_t i = 0; i < fields_.size(); ++i) {
        const auto& f = fields_[i];
        if (i) out += ", ";
        out += fmt::format("{}: {}: {} {}", f.id, f.name, f.required ? "required" : "optional",
                           f.type->ToString());
      }
      return out + ">";
    }
    case TypeId::kList:
      return fmt::format("list<{}>", element().type->ToString());
    case TypeId::kMap:
      return fmt::format("map<{}, {}>", key().type->ToString(), value().type->ToString());
  }
  return "unknown";
}

namespace {

bool TypesEqual(const Type& x, const Type& y, bool compare_ids) {
  if (x.id() != y.id() || x.precision() != y.precision() || x.scale() != y.scale() ||
      x.fixed_length() != y.fixed_length() || x.fields().size() != y.fields().size()) {
    return false;
  }
  for (size_t i = 0; i < x.fields().size(); ++i) {
    const auto& a = x.fields()[i];
    const auto& b = y.fields()[i];
    if ((compare_ids && a.id != b.id) || a.name != b.name || a.required != b.required ||
        !TypesEqual(*a.type, *b.type, compare_ids)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool Type::Equals(const Type& other) const { return TypesEqual(*this, other, true); }

bool Type::EqualsIgnoringIds(const Type& other) const { return TypesEqual(*this, other, false); }

int FixedWidthOf(const Type& type) {
  switch (type.id()) {
    case TypeId::kBoolean:
      return 1;
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kFloat:
      return 4;
    case TypeId::kLong:
    case TypeId::kDouble:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return 8;
    case TypeId::kDecimal:
      return 16;
    case TypeId::kUuid:
    case TypeId::kFixed:
      return type.fixed_length();
    default:
      return 0;
  }
}

__int128 MaxDecimalUnscaled(int precision) {
  __int128 v = 1;
  for (int i = 0; i < precision; ++i) v *= 10;
  return v - 1;
}

}  // namespace nilus
