#include "iceberg/partition_spec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "iceberg/sort_order.h"

namespace nilus::iceberg {
namespace {

Schema EventSchema() {
  return Schema({NestedField::Required(1, "id", Type::Long()),
                 NestedField::Optional(2, "ts", Type::TimestampTz()),
                 NestedField::Optional(3, "day", Type::Date()),
                 NestedField::Optional(4, "name", Type::String()),
                 NestedField::Optional(5, "score", Type::Double()),
                 NestedField::Optional(6, "price", Type::Decimal(12, 2)),
                 NestedField::Optional(7, "tags", Type::List(8, Type::String(), true))});
}

TEST(IcebergPartitionSpec, TransformsParseAndPrint) {
  for (const char* text : {"identity", "year", "month", "day", "hour", "void", "bucket[16]",
                           "bucket[1]", "truncate[10]", "truncate[2147483647]"}) {
    auto t = Transform::Parse(text);
    ASSERT_TRUE(t.ok()) << text << ": " << t.status().ToString();
    EXPECT_EQ(t->ToString(), text);
  }
  auto b = Transform::Parse("bucket[16]");
  EXPECT_EQ(b->kind(), TransformKind::kBucket);
  EXPECT_EQ(b->param(), 16);
  EXPECT_EQ(Transform::Parse("truncate[3]")->kind(), TransformKind::kTruncate);
}

TEST(IcebergPartitionSpec, BadTransformsAreNamed) {
  for (const char* text : {"bucket[0]", "bucket[-1]", "bucket[]", "bucket[x]", "bucket16",
                           "truncate[2147483648]", "Identity", "days", "zorder", ""}) {
    auto t = Transform::Parse(text);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find(std::string("'") + text + "'"), std::string::npos)
        << t.status().ToString();
  }
  EXPECT_FALSE(Transform::Bucket(0).ok());
  EXPECT_FALSE(Transform::Truncate(-3).ok());
}

TEST(IcebergPartitionSpec, ResultTypesFollowTheSpec) {
  auto rt = [](const Transform& t, const TypePtr& source) { return t.ResultType(*source); };
  EXPECT_EQ((*rt(Transform::Identity(), Type::String()))->id(), TypeId::kString);
  EXPECT_EQ((*rt(Transform::Year(), Type::Date()))->id(), TypeId::kInt);
  EXPECT_EQ((*rt(Transform::Month(), Type::Timestamp()))->id(), TypeId::kInt);
  EXPECT_EQ((*rt(Transform::Day(), Type::TimestampTz()))->id(), TypeId::kDate);
  EXPECT_EQ((*rt(Transform::Hour(), Type::TimestampTz()))->id(), TypeId::kInt);
  EXPECT_EQ((*rt(*Transform::Bucket(8), Type::Uuid()))->id(), TypeId::kInt);
  auto dec = rt(*Transform::Truncate(10), Type::Decimal(12, 2));
  ASSERT_TRUE(dec.ok());
  EXPECT_TRUE((*dec)->Equals(*Type::Decimal(12, 2)));
  EXPECT_EQ((*rt(Transform::Void(), Type::Double()))->id(), TypeId::kDouble);

  // Combinations the spec does not allow.
  EXPECT_EQ(rt(Transform::Hour(), Type::Date()).status().code(), StatusCode::kTypeError);
  EXPECT_FALSE(rt(Transform::Year(), Type::Long()).ok());
  EXPECT_FALSE(rt(*Transform::Bucket(4), Type::Double()).ok());
  EXPECT_FALSE(rt(*Transform::Bucket(4), Type::Boolean()).ok());
  EXPECT_FALSE(rt(*Transform::Truncate(4), Type::Date()).ok());
  EXPECT_FALSE(rt(Transform::Identity(), Type::List(1, Type::Int(), true)).ok());
}

PartitionSpec DaySpec() {
  PartitionSpec spec;
  spec.spec_id = 3;
  spec.fields.push_back({2, 1000, "ts_day", Transform::Day()});
  spec.fields.push_back({1, 1001, "id_bucket", *Transform::Bucket(16)});
  spec.fields.push_back({4, 1002, "name_trunc", *Transform::Truncate(4)});
  return spec;
}

TEST(IcebergPartitionSpec, JsonRoundTripAndShape) {
  PartitionSpec spec = DaySpec();
  std::string json = PartitionSpecToJson(spec);
  auto back = PartitionSpecFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, spec);

  auto doc = nlohmann::json::parse(json);
  EXPECT_EQ(doc["spec-id"], 3);
  EXPECT_EQ(doc["fields"][1]["transform"], "bucket[16]");
  EXPECT_EQ(doc["fields"][1]["source-id"], 1);
  EXPECT_EQ(doc["fields"][1]["field-id"], 1001);
  EXPECT_EQ(doc["fields"][1]["name"], "id_bucket");
  EXPECT_EQ(nlohmann::json::parse(PartitionFieldsToJson(spec)), doc["fields"]);
}

TEST(IcebergPartitionSpec, JsonErrorsNameTheField) {
  auto unknown = PartitionSpecFromJson(
      R"({"spec-id":0,"fields":[{"name":"a","transform":"identity","source-id":1,"field-id":1000},
          {"name":"b","transform":"zorder","source-id":1,"field-id":1001}]})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("fields[1].transform"), std::string::npos)
      << unknown.status().ToString();
  EXPECT_NE(unknown.status().message().find("unknown partition transform 'zorder'"),
            std::string::npos);

  auto missing = PartitionSpecFromJson(R"({"spec-id":0,"fields":[{"name":"a","source-id":1}]})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("fields[0].transform"), std::string::npos);

  // v1 specs carry no field ids: they are numbered from 1000.
  auto v1 = PartitionSpecFromJson(
      R"({"spec-id":0,"fields":[{"name":"a","transform":"identity","source-id":1},
                                {"name":"b","transform":"void","source-id":2}]})");
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->fields[1].field_id, 1001);
}

TEST(IcebergPartitionSpec, ValidatesAgainstTheSchema) {
  Schema schema = EventSchema();
  PartitionSpec spec = DaySpec();
  ASSERT_TRUE(spec.Validate(schema).ok()) << spec.Validate(schema).ToString();
  auto type = spec.PartitionType(schema);
  ASSERT_TRUE(type.ok());
  ASSERT_EQ((*type)->fields().size(), 3u);
  EXPECT_EQ((*type)->fields()[0].id, 1000);
  EXPECT_EQ((*type)->fields()[0].name, "ts_day");
  EXPECT_EQ((*type)->fields()[0].type->id(), TypeId::kDate);
  EXPECT_FALSE((*type)->fields()[0].required);
  EXPECT_EQ((*type)->fields()[1].type->id(), TypeId::kInt);
  EXPECT_EQ((*type)->fields()[2].type->id(), TypeId::kString);
  EXPECT_EQ(spec.LastAssignedFieldId(), 1002);
  EXPECT_FALSE(spec.IsUnpartitioned());
  EXPECT_TRUE(PartitionSpec::Unpartitioned().IsUnpartitioned());
  EXPECT_EQ(PartitionSpec::Unpartitioned().LastAssignedFieldId(), 999);

  auto expect_error = [&](PartitionSpec bad, const std::string& want) {
    Status st = bad.Validate(schema);
    ASSERT_FALSE(st.ok()) << want;
    EXPECT_NE(st.message().find(want), std::string::npos) << st.ToString();
  };
  PartitionSpec bad = spec;
  bad.fields[0].source_id = 99;
  expect_error(bad, "source id 99 is not in the schema");
  bad = spec;
  bad.fields[1].field_id = 1000;
  expect_error(bad, "field id is used twice");
  bad = spec;
  bad.fields[2].name = "ts_day";
  expect_error(bad, "name is used twice");
  bad = spec;
  bad.fields[0].field_id = 5;
  expect_error(bad, "start at 1000");
  bad = spec;
  bad.fields[0].source_id = 5;  // day of a double
  expect_error(bad, "transform 'day' cannot apply to type double");
}

TEST(IcebergSortOrder, JsonRoundTripAndValidation) {
  SortOrder order;
  order.order_id = 1;
  order.fields.push_back({Transform::Identity(), 4, SortDirection::kAsc, NullOrder::kNullsFirst});
  order.fields.push_back({*Transform::Bucket(4), 1, SortDirection::kDesc, NullOrder::kNullsLast});
  std::string json = SortOrderToJson(order);
  auto back = SortOrderFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, order);
  auto doc = nlohmann::json::parse(json);
  EXPECT_EQ(doc["order-id"], 1);
  EXPECT_EQ(doc["fields"][1]["transform"], "bucket[4]");
  EXPECT_EQ(doc["fields"][1]["direction"], "desc");
  EXPECT_EQ(doc["fields"][1]["null-order"], "nulls-last");

  Schema schema = EventSchema();
  EXPECT_TRUE(order.Validate(schema).ok());
  EXPECT_TRUE(SortOrder::Unsorted().Validate(schema).ok());
  SortOrder zero = order;
  zero.order_id = 0;
  EXPECT_FALSE(zero.Validate(schema).ok());
  SortOrder missing = order;
  missing.fields[0].source_id = 42;
  EXPECT_FALSE(missing.Validate(schema).ok());

  auto bad = SortOrderFromJson(
      R"({"order-id":1,"fields":[{"transform":"identity","source-id":1,"direction":"up",
                                  "null-order":"nulls-first"}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("fields[0].direction"), std::string::npos)
      << bad.status().ToString();
}

}  // namespace
}  // namespace nilus::iceberg
