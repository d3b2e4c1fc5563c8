#include "core/types.h"

#include <gtest/gtest.h>

namespace nilus {
namespace {

TEST(TypesTest, PrimitiveSpelling) {
  // Iceberg's spelling of every primitive type (spec "Primitive Types").
  EXPECT_EQ(Type::Boolean()->ToString(), "boolean");
  EXPECT_EQ(Type::Int()->ToString(), "int");
  EXPECT_EQ(Type::Long()->ToString(), "long");
  EXPECT_EQ(Type::Float()->ToString(), "float");
  EXPECT_EQ(Type::Double()->ToString(), "double");
  EXPECT_EQ(Type::Decimal(10, 2)->ToString(), "decimal(10,2)");
  EXPECT_EQ(Type::Date()->ToString(), "date");
  EXPECT_EQ(Type::Time()->ToString(), "time");
  EXPECT_EQ(Type::Timestamp()->ToString(), "timestamp");
  EXPECT_EQ(Type::TimestampTz()->ToString(), "timestamptz");
  EXPECT_EQ(Type::String()->ToString(), "string");
  EXPECT_EQ(Type::Uuid()->ToString(), "uuid");
  EXPECT_EQ(Type::Fixed(16)->ToString(), "fixed[16]");
  EXPECT_EQ(Type::Binary()->ToString(), "binary");
}

TEST(TypesTest, NestedSpelling) {
  auto list = Type::List(3, Type::Int(), true);
  EXPECT_EQ(list->ToString(), "list<int>");
  auto map = Type::Map(4, Type::String(), 5, Type::Decimal(38, 10), false);
  EXPECT_EQ(map->ToString(), "map<string, decimal(38,10)>");
  auto st = Type::Struct(
      {NestedField::Required(1, "id", Type::Long()), NestedField::Optional(2, "tags", list)});
  EXPECT_EQ(st->ToString(), "struct<1: id: required long, 2: tags: optional list<int>>");
}

TEST(TypesTest, Accessors) {
  EXPECT_TRUE(Type::Int()->is_primitive());
  EXPECT_TRUE(Type::Binary()->is_primitive());
  EXPECT_TRUE(Type::Struct({})->is_nested());
  auto dec = Type::Decimal(12, 3);
  EXPECT_EQ(dec->id(), TypeId::kDecimal);
  EXPECT_EQ(dec->precision(), 12);
  EXPECT_EQ(dec->scale(), 3);
  EXPECT_EQ(Type::Uuid()->fixed_length(), 16);
  EXPECT_EQ(Type::Fixed(7)->fixed_length(), 7);

  auto list = Type::List(9, Type::String(), false);
  EXPECT_EQ(list->element().id, 9);
  EXPECT_EQ(list->element().name, "element");
  EXPECT_FALSE(list->element().required);
  auto map = Type::Map(10, Type::Int(), 11, Type::Long(), true);
  EXPECT_EQ(map->key().name, "key");
  EXPECT_TRUE(map->key().required);
  EXPECT_EQ(map->value().name, "value");
  EXPECT_EQ(map->value().id, 11);
  EXPECT_TRUE(map->value().required);
  EXPECT_EQ(map->fields().size(), 2u);
}

TEST(TypesTest, Equals) {
  EXPECT_TRUE(Type::Int()->Equals(*Type::Int()));
  EXPECT_FALSE(Type::Int()->Equals(*Type::Long()));
  EXPECT_TRUE(Type::Decimal(10, 2)->Equals(*Type::Decimal(10, 2)));
  EXPECT_FALSE(Type::Decimal(10, 2)->Equals(*Type::Decimal(10, 3)));
  EXPECT_FALSE(Type::Decimal(10, 2)->Equals(*Type::Decimal(11, 2)));
  EXPECT_TRUE(Type::Fixed(4)->Equals(*Type::Fixed(4)));
  EXPECT_FALSE(Type::Fixed(4)->Equals(*Type::Fixed(5)));
  EXPECT_FALSE(Type::Fixed(16)->Equals(*Type::Uuid()));

  auto make = [](int32_t id, const char* name, bool required, TypePtr type) {
    return Type::Struct({NestedField{id, name, std::move(type), required, {}}});
  };
  auto base = make(1, "a", true, Type::Int());
  EXPECT_TRUE(base->Equals(*make(1, "a", true, Type::Int())));
  EXPECT_FALSE(base->Equals(*make(2, "a", true, Type::Int())));
  EXPECT_FALSE(base->Equals(*make(1, "b", true, Type::Int())));
  EXPECT_FALSE(base->Equals(*make(1, "a", false, Type::Int())));
  EXPECT_FALSE(base->Equals(*make(1, "a", true, Type::Long())));
  EXPECT_FALSE(base->Equals(*Type::Struct({})));
  EXPECT_TRUE(Type::List(1, Type::Int(), true)->Equals(*Type::List(1, Type::Int(), true)));
  EXPECT_FALSE(Type::List(1, Type::Int(), true)->Equals(*Type::List(1, Type::Int(), false)));
  EXPECT_FALSE(Type::List(1, Type::Int(), true)->Equals(*Type::List(2, Type::Int(), true)));
  EXPECT_FALSE(Type::Map(1, Type::Int(), 2, Type::Int(), true)
                   ->Equals(*Type::Map(1, Type::Int(), 2, Type::Long(), true)));
}

TEST(TypesTest, MakeDecimalValidates) {
  EXPECT_TRUE(Type::MakeDecimal(1, 0).ok());
  EXPECT_TRUE(Type::MakeDecimal(38, 0).ok());
  EXPECT_TRUE(Type::MakeDecimal(38, 38).ok());
  auto ok = Type::MakeDecimal(20, 5);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE((*ok)->Equals(*Type::Decimal(20, 5)));
  for (auto [p, s] : {std::pair{0, 0}, {39, 0}, {-1, 0}, {10, 11}, {10, -1}}) {
    auto bad = Type::MakeDecimal(p, s);
    EXPECT_FALSE(bad.ok()) << p << "," << s;
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(TypesTest, FixedWidthOf) {
  EXPECT_EQ(FixedWidthOf(*Type::Boolean()), 1);
  EXPECT_EQ(FixedWidthOf(*Type::Int()), 4);
  EXPECT_EQ(FixedWidthOf(*Type::Date()), 4);
  EXPECT_EQ(FixedWidthOf(*Type::Float()), 4);
  EXPECT_EQ(FixedWidthOf(*Type::Long()), 8);
  EXPECT_EQ(FixedWidthOf(*Type::Double()), 8);
  EXPECT_EQ(FixedWidthOf(*Type::Time()), 8);
  EXPECT_EQ(FixedWidthOf(*Type::Timestamp()), 8);
  EXPECT_EQ(FixedWidthOf(*Type::TimestampTz()), 8);
  EXPECT_EQ(FixedWidthOf(*Type::Decimal(5, 1)), 16);
  EXPECT_EQ(FixedWidthOf(*Type::Uuid()), 16);
  EXPECT_EQ(FixedWidthOf(*Type::Fixed(3)), 3);
  EXPECT_EQ(FixedWidthOf(*Type::String()), 0);
  EXPECT_EQ(FixedWidthOf(*Type::Binary()), 0);
  EXPECT_EQ(FixedWidthOf(*Type::List(1, Type::Int(), true)), 0);
  EXPECT_EQ(FixedWidthOf(*Type::Struct({})), 0);
}

TEST(TypesTest, MaxDecimalUnscaled) {
  EXPECT_EQ(MaxDecimalUnscaled(1), 9);
  EXPECT_EQ(MaxDecimalUnscaled(9), 999999999);
  EXPECT_EQ(MaxDecimalUnscaled(18), 999999999999999999LL);
  // 10^38 - 1, computed independently.
  const __int128 expected =
      (static_cast<__int128>(0x4b3b4ca85a86c47aULL) << 64) | 0x098a223fffffffffULL;
  EXPECT_TRUE(MaxDecimalUnscaled(38) == expected);
  EXPECT_TRUE(MaxDecimalUnscaled(38) > 0);  // no overflow into the sign bit
}

TEST(TypesTest, EqualsIgnoringIdsComparesShapeOnly) {
  TypePtr a = Type::List(5, Type::String(), false);
  TypePtr b = Type::List(1001, Type::String(), false);
  TypePtr c = Type::List(1001, Type::String(), true);
  TypePtr d = Type::List(5, Type::Long(), false);
  EXPECT_FALSE(a->Equals(*b));
  EXPECT_TRUE(a->EqualsIgnoringIds(*b));
  EXPECT_FALSE(a->EqualsIgnoringIds(*c));
  EXPECT_FALSE(a->EqualsIgnoringIds(*d));
}

}  // namespace
}  // namespace nilus
