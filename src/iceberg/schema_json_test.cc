#include "iceberg/schema_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace nilus::iceberg {
namespace {

TEST(IcebergSchemaJson, EveryPrimitiveRoundTrips) {
  const TypePtr types[] = {
      Type::Boolean(),      Type::Int(),          Type::Long(), Type::Float(),   Type::Double(),
      Type::Decimal(10, 2), Type::Decimal(38, 0), Type::Date(), Type::Time(),    Type::Timestamp(),
      Type::TimestampTz(),  Type::String(),       Type::Uuid(), Type::Fixed(16), Type::Binary()};
  const char* spelled[] = {"boolean",       "int",           "long", "float",     "double",
                           "decimal(10,2)", "decimal(38,0)", "date", "time",      "timestamp",
                           "timestamptz",   "string",        "uuid", "fixed[16]", "binary"};
  for (size_t i = 0; i < std::size(types); ++i) {
    std::string json = TypeToJson(*types[i]);
    EXPECT_EQ(json, std::string("\"") + spelled[i] + "\"");
    auto back = TypeFromJson(json);
    ASSERT_TRUE(back.ok()) << json << ": " << back.status().ToString();
    EXPECT_TRUE((*back)->Equals(*types[i])) << json;
  }
}

TEST(IcebergSchemaJson, ParsesSpellingVariants) {
  auto d = ParsePrimitiveType("decimal(9, 2)");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ((*d)->precision(), 9);
  EXPECT_EQ((*d)->scale(), 2);
  auto f = ParsePrimitiveType(" fixed[ 3 ] ");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->fixed_length(), 3);
  EXPECT_TRUE(ParsePrimitiveType("LONG").ok());

  for (const char* bad : {"strin", "decimal(39,2)", "decimal(5,6)", "decimal(5)", "fixed[0]",
                          "fixed[x]", "timestamp_ns", "variant", ""}) {
    auto r = ParsePrimitiveType(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

Schema NestedSchema() {
  // struct<1 id: long, 2 tags: list<3: string>, 4 attrs: map<5: string, 6: optional
  //        struct<7 a: int, 8 b: optional decimal(20,4)>>, 9 point: optional struct<10 x, 11 y>>
  auto inner = Type::Struct({NestedField::Required(7, "a", Type::Int()),
                             NestedField::Optional(8, "b", Type::Decimal(20, 4))});
  auto point = Type::Struct({NestedField::Required(10, "x", Type::Double()),
                             NestedField::Required(11, "y", Type::Double())});
  NestedField id = NestedField::Required(1, "id", Type::Long());
  id.doc = "primary key";
  return Schema({id, NestedField::Optional(2, "tags", Type::List(3, Type::String(), true)),
                 NestedField::Required(4, "attrs", Type::Map(5, Type::String(), 6, inner, false)),
                 NestedField::Optional(9, "point", point)},
                /*schema_id=*/7, /*identifier_field_ids=*/{1});
}

TEST(IcebergSchemaJson, NestedSchemaRoundTrips) {
  Schema schema = NestedSchema();
  std::string json = SchemaToJson(schema);
  auto back = SchemaFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE((*back)->Equals(schema)) << (*back)->ToString() << " vs " << schema.ToString();
  EXPECT_EQ((*back)->fields()[0].doc, "primary key");
  EXPECT_EQ((*back)->schema_id(), 7);
  EXPECT_EQ((*back)->identifier_field_ids(), std::vector<int32_t>{1});
}

TEST(IcebergSchemaJson, WritesTheSpecShapes) {
  auto doc = nlohmann::json::parse(SchemaToJson(NestedSchema()));
  EXPECT_EQ(doc["type"], "struct");
  EXPECT_EQ(doc["schema-id"], 7);
  EXPECT_EQ(doc["identifier-field-ids"], nlohmann::json::array({1}));
  const auto& fields = doc["fields"];
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0]["doc"], "primary key");
  EXPECT_EQ(fields[0]["required"], true);
  const auto& list = fields[1]["type"];
  EXPECT_EQ(list["type"], "list");
  EXPECT_EQ(list["element-id"], 3);
  EXPECT_EQ(list["element"], "string");
  EXPECT_EQ(list["element-required"], true);
  const auto& map = fields[2]["type"];
  EXPECT_EQ(map["type"], "map");
  EXPECT_EQ(map["key-id"], 5);
  EXPECT_EQ(map["key"], "string");
  EXPECT_EQ(map["value-id"], 6);
  EXPECT_EQ(map["value-required"], false);
  EXPECT_EQ(map["value"]["type"], "struct");
  EXPECT_EQ(map["value"]["fields"][1]["type"], "decimal(20,4)");
  // An empty identifier list is left out, as Java does.
  auto plain = nlohmann::json::parse(SchemaToJson(Schema({}, 0)));
  EXPECT_FALSE(plain.contains("identifier-field-ids"));
}

TEST(IcebergSchemaJson, ErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* want;  // a substring of the error
  };
  const Case cases[] = {
      {R"({"type":"struct","fields":[{"id":1,"name":"a","required":true,"type":"strin"}]})",
       "fields[0].type"},
      {R"({"type":"struct","fields":[{"id":1,"name":"a","type":"int"}]})", "fields[0].required"},
      {R"({"type":"struct","fields":[{"id":"1","name":"a","required":true,"type":"int"}]})",
       "fields[0].id"},
      {R"({"type":"struct","fields":[{"id":1,"name":"l","required":true,
           "type":{"type":"list","element-id":2,"element":"int"}}]})",
       "fields[0].type.element-required"},
      {R"({"type":"struct","fields":[{"id":1,"name":"m","required":true,
           "type":{"type":"map","key-id":2,"key":"string","value-id":3,"value-required":true,
                   "value":{"type":"list","element-id":4,"element-required":true,
                            "element":"fixed[-1]"}}}]})",
       "fields[0].type.value.element"},
      {R"({"type":"struct","fields":[{"id":1,"name":"a","required":true,
           "type":{"type":"tuple"}}]})",
       "unknown nested type 'tuple'"},
      {R"({"type":"struct","fields":[{"id":1,"name":"a","required":true,"type":"int"})",
       "malformed JSON"},
  };
  for (const auto& c : cases) {
    auto r = SchemaFromJson(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos)
        << "error: " << r.status().ToString() << "\nwanted: " << c.want;
  }
}

TEST(IcebergSchemaJson, RejectsInvalidSchemas) {
  // Duplicate field ids parse but fail validation.
  auto r = SchemaFromJson(
      R"({"type":"struct","schema-id":0,"fields":[
          {"id":1,"name":"a","required":true,"type":"int"},
          {"id":1,"name":"b","required":true,"type":"int"}]})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("reuses field id 1"), std::string::npos)
      << r.status().ToString();

  auto ids = SchemaFromJson(
      R"({"type":"struct","schema-id":0,"identifier-field-ids":[9],"fields":[
          {"id":1,"name":"a","required":true,"type":"int"}]})");
  ASSERT_FALSE(ids.ok());
  EXPECT_NE(ids.status().message().find("identifier field id 9"), std::string::npos);
}

}  // namespace
}  // namespace nilus::iceberg
