#include "core/schema.h"

#include <gtest/gtest.h>

namespace nilus {
namespace {

using NF = NestedField;

// id, name, address struct<street, zip>, tags list<string>, attrs map<string, struct<v>>.
Schema Sample() {
  auto address = Type::Struct(
      {NF::Required(4, "street", Type::String()), NF::Optional(5, "zip", Type::Int())});
  auto tags = Type::List(6, Type::String(), false);
  auto attr_value = Type::Struct({NF::Optional(10, "v", Type::Double())});
  auto attrs = Type::Map(7, Type::String(), 8, attr_value, false);
  return Schema({NF::Required(1, "id", Type::Long()), NF::Optional(2, "address", address),
                 NF::Optional(3, "tags", tags), NF::Optional(9, "attrs", attrs)},
                /*schema_id=*/3, /*identifier_field_ids=*/{1});
}

TEST(SchemaTest, ValidSchema) {
  Schema s = Sample();
  EXPECT_TRUE(s.Validate().ok()) << s.Validate().ToString();
  EXPECT_EQ(s.schema_id(), 3);
  EXPECT_EQ(s.identifier_field_ids(), std::vector<int32_t>{1});
  EXPECT_TRUE(Schema({}).Validate().ok());
}

TEST(SchemaTest, DuplicateIdsAtAnyDepth) {
  Schema top({NF::Required(1, "a", Type::Int()), NF::Required(1, "b", Type::Int())});
  Status st = top.Validate();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'b'"), std::string::npos) << st.ToString();

  auto inner = Type::Struct({NF::Required(1, "x", Type::Int())});
  Schema nested({NF::Required(1, "a", Type::Int()), NF::Optional(2, "s", inner)});
  st = nested.Validate();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("s.x"), std::string::npos) << st.ToString();

  Schema in_list({NF::Optional(1, "l", Type::List(1, Type::Int(), true))});
  EXPECT_FALSE(in_list.Validate().ok());
  Schema in_map({NF::Optional(1, "m", Type::Map(2, Type::Int(), 2, Type::Int(), true))});
  EXPECT_FALSE(in_map.Validate().ok());
}

TEST(SchemaTest, NonPositiveIds) {
  EXPECT_FALSE(Schema({NF::Required(0, "a", Type::Int())}).Validate().ok());
  EXPECT_FALSE(Schema({NF::Required(-3, "a", Type::Int())}).Validate().ok());
}

TEST(SchemaTest, DuplicateNamesWithinAStruct) {
  Schema top({NF::Required(1, "a", Type::Int()), NF::Optional(2, "a", Type::Long())});
  Status st = top.Validate();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("duplicate"), std::string::npos) << st.ToString();
  // The same name in different structs is fine.
  auto inner = Type::Struct({NF::Required(3, "a", Type::Int())});
  EXPECT_TRUE(
      Schema({NF::Required(1, "a", Type::Int()), NF::Optional(2, "s", inner)}).Validate().ok());
  auto dup_inner =
      Type::Struct({NF::Required(3, "x", Type::Int()), NF::Required(4, "x", Type::Int())});
  EXPECT_FALSE(Schema({NF::Optional(2, "s", dup_inner)}).Validate().ok());
}

TEST(SchemaTest, MapKeys) {
  // Type::Map always makes the key required, so a map with an optional key cannot be built
  // through the public API; Validate's optional-key rule guards other constructions.
  auto map = Type::Map(2, Type::String(), 3, Type::Int(), false);
  EXPECT_TRUE(map->key().required);
  EXPECT_TRUE(Schema({NF::Optional(1, "m", map)}).Validate().ok());

  auto list_key = Type::Map(2, Type::List(4, Type::Int(), true), 3, Type::Int(), true);
  Status st = Schema({NF::Optional(1, "m", list_key)}).Validate();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'m'"), std::string::npos) << st.ToString();
  auto map_key =
      Type::Map(2, Type::Map(4, Type::Int(), 5, Type::Int(), true), 3, Type::Int(), true);
  EXPECT_FALSE(Schema({NF::Optional(1, "m", map_key)}).Validate().ok());
  auto struct_key =
      Type::Map(2, Type::Struct({NF::Required(4, "k", Type::Int())}), 3, Type::Int(), true);
  EXPECT_TRUE(Schema({NF::Optional(1, "m", struct_key)}).Validate().ok());
}

TEST(SchemaTest, BadPrimitiveParameters) {
  EXPECT_FALSE(Schema({NF::Required(1, "d", Type::Decimal(39, 2))}).Validate().ok());
  EXPECT_FALSE(Schema({NF::Required(1, "d", Type::Decimal(5, 6))}).Validate().ok());
  EXPECT_FALSE(Schema({NF::Required(1, "f", Type::Fixed(0))}).Validate().ok());
  EXPECT_FALSE(Schema({NF{1, "t", nullptr, true, {}}}).Validate().ok());
}

TEST(SchemaTest, IdentifierFieldsMustExist) {
  Schema s({NF::Required(1, "id", Type::Long())}, 0, {2});
  EXPECT_FALSE(s.Validate().ok());
}

TEST(SchemaTest, FindFieldById) {
  Schema s = Sample();
  ASSERT_NE(s.FindFieldById(1), nullptr);
  EXPECT_EQ(s.FindFieldById(1)->name, "id");
  ASSERT_NE(s.FindFieldById(5), nullptr);
  EXPECT_EQ(s.FindFieldById(5)->name, "zip");
  ASSERT_NE(s.FindFieldById(6), nullptr);
  EXPECT_EQ(s.FindFieldById(6)->name, "element");
  ASSERT_NE(s.FindFieldById(8), nullptr);
  EXPECT_EQ(s.FindFieldById(8)->name, "value");
  // Three levels down: attrs -> value -> v.
  ASSERT_NE(s.FindFieldById(10), nullptr);
  EXPECT_EQ(s.FindFieldById(10)->name, "v");
  EXPECT_TRUE(s.FindFieldById(10)->type->Equals(*Type::Double()));
  EXPECT_EQ(s.FindFieldById(11), nullptr);
  EXPECT_EQ(s.FindFieldById(0), nullptr);
}

TEST(SchemaTest, FindTopLevelIndex) {
  Schema s = Sample();
  EXPECT_EQ(s.FindTopLevelIndex("id"), 0);
  EXPECT_EQ(s.FindTopLevelIndex("attrs"), 3);
  EXPECT_EQ(s.FindTopLevelIndex("street"), -1);  // nested names are not top-level
  EXPECT_EQ(s.FindTopLevelIndex("nope"), -1);
}

TEST(SchemaTest, HighestFieldId) {
  EXPECT_EQ(Sample().HighestFieldId(), 10);
  EXPECT_EQ(Schema({}).HighestFieldId(), 0);
  auto deep = Type::List(42, Type::Struct({NF::Required(99, "x", Type::Int())}), true);
  EXPECT_EQ(Schema({NF::Optional(1, "l", deep)}).HighestFieldId(), 99);
}

TEST(SchemaTest, ToStringAndEquals) {
  Schema s({NF::Required(1, "id", Type::Long()), NF::Optional(2, "name", Type::String())});
  EXPECT_EQ(s.ToString(), "struct<1: id: required long, 2: name: optional string>");
  EXPECT_TRUE(Sample().Equals(Sample()));
  EXPECT_FALSE(s.Equals(Sample()));
  Schema other_id({NF::Required(1, "id", Type::Long()), NF::Optional(2, "name", Type::String())},
                  7);
  EXPECT_FALSE(s.Equals(other_id));
}

}  // namespace
}  // namespace nilus
