#include "formats/parquet/testing/sample_data.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

namespace nilus::parquet::testing {
namespace {

// A printable form of entry `row`, recursing into nested columns: enough to compare two
// columns entry by entry.
std::string Describe(const Column& c, int64_t row) {
  if (c.IsNull(row)) return "null";
  const Type& t = c.type_ref();
  switch (t.id()) {
    case TypeId::kList:
    case TypeId::kMap: {
      std::string s = "[";
      for (int64_t i = c.offsets()[row]; i < c.offsets()[row + 1]; ++i) {
        s += Describe(c.child(0), i);
        if (t.id() == TypeId::kMap) s += "=" + Describe(c.child(1), i);
        s += ",";
      }
      return s + "]";
    }
    case TypeId::kStruct: {
      std::string s = "{";
      for (int i = 0; i < c.num_children(); ++i) s += Describe(c.child(i), row) + ";";
      return s + "}";
    }
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kUuid:
    case TypeId::kFixed:
      return std::string(c.Bytes(row));
    default: {
      const int w = FixedWidthOf(t);
      return std::string(reinterpret_cast<const char*>(c.value_buffer().data()) + row * w, w);
    }
  }
}

TEST(SampleData, SchemaIsValidAndCoversEveryType) {
  SchemaPtr schema = SampleSchema();
  ASSERT_TRUE(schema->Validate().ok());
  std::set<TypeId> seen;
  for (const auto& f : schema->fields()) seen.insert(f.type->id());
  for (int id = 0; id <= static_cast<int>(TypeId::kMap); ++id) {
    EXPECT_TRUE(seen.count(static_cast<TypeId>(id))) << "type id " << id << " missing";
  }
}

TEST(SampleData, RowsDependOnTheRowIndexOnly) {
  SchemaPtr schema = SampleSchema();
  ColumnBatch whole(schema), first(schema), second(schema);
  AppendSampleRows(&whole, 0, 100);
  AppendSampleRows(&first, 0, 37);
  AppendSampleRows(&second, 37, 63);
  ASSERT_TRUE(whole.Validate().ok()) << whole.Validate().ToString();
  ASSERT_TRUE(first.Validate().ok());
  ASSERT_TRUE(second.Validate().ok());
  for (int c = 0; c < whole.num_columns(); ++c) {
    for (int64_t r = 0; r < 100; ++r) {
      const std::string split =
          r < 37 ? Describe(first.column(c), r) : Describe(second.column(c), r - 37);
      ASSERT_EQ(Describe(whole.column(c), r), split) << "column " << c << " row " << r;
    }
  }
}

TEST(SampleData, EdgeRowsAndNullRow) {
  SchemaPtr schema = SampleSchema();
  ColumnBatch batch(schema);
  AppendSampleRows(&batch, 0, 20);
  const int opt_double = schema->FindTopLevelIndex("opt_double");
  const int req_float = schema->FindTopLevelIndex("req_float");
  ASSERT_GE(opt_double, 0);
  ASSERT_GE(req_float, 0);
  EXPECT_TRUE(std::isnan(batch.column(opt_double).Value<double>(0)));
  EXPECT_TRUE(std::isinf(batch.column(opt_double).Value<double>(1)));
  const float neg_zero = batch.column(req_float).Value<float>(3);
  EXPECT_EQ(neg_zero, 0.0f);
  EXPECT_TRUE(std::signbit(neg_zero));
  for (int c = 0; c < batch.num_columns(); ++c) {
    EXPECT_EQ(batch.column(c).IsNull(16), !schema->fields()[c].required) << "column " << c;
  }
}

TEST(SampleData, RandomMapKeysAreDistinct) {
  auto map = Type::Map(2, Type::Decimal(1, 0), 3, Type::Long(), false);
  Column column(map);
  Rng rng(5);
  RandomValueOptions options;
  options.max_list_length = 16;
  for (int i = 0; i < 500; ++i) AppendRandomValue(&column, true, &rng, options);
  ASSERT_TRUE(column.Validate(true).ok());
  for (int64_t r = 0; r < column.length(); ++r) {
    std::set<std::string> keys;
    for (int64_t i = column.offsets()[r]; i < column.offsets()[r + 1]; ++i) {
      EXPECT_TRUE(keys.insert(Describe(column.child(0), i)).second) << "row " << r;
    }
  }
}

}  // namespace
}  // namespace nilus::parquet::testing
