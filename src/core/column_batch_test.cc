#include "core/column_batch.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

namespace nilus {
namespace {

using NF = NestedField;

TEST(ColumnTest, FixedWidthTypes) {
  auto b = Column::Make(Type::Boolean());
  b->AppendBool(true);
  b->AppendBool(false);
  EXPECT_EQ(b->Value<uint8_t>(0), 1);
  EXPECT_EQ(b->Value<uint8_t>(1), 0);

  auto i = Column::Make(Type::Int());
  i->AppendInt32(std::numeric_limits<int32_t>::min());
  i->AppendInt32(42);
  EXPECT_EQ(i->Value<int32_t>(0), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(i->values<int32_t>()[1], 42);

  auto l = Column::Make(Type::Long());
  l->AppendInt64(std::numeric_limits<int64_t>::max());
  EXPECT_EQ(l->Value<int64_t>(0), std::numeric_limits<int64_t>::max());

  auto f = Column::Make(Type::Float());
  f->AppendFloat(-0.5f);
  EXPECT_EQ(f->Value<float>(0), -0.5f);

  auto d = Column::Make(Type::Double());
  d->AppendDouble(std::numeric_limits<double>::infinity());
  EXPECT_EQ(d->Value<double>(0), std::numeric_limits<double>::infinity());

  auto dec = Column::Make(Type::Decimal(38, 2));
  const __int128 big = -(static_cast<__int128>(1) << 120);
  dec->AppendDecimal(big);
  EXPECT_TRUE(dec->Value<__int128>(0) == big);

  auto date = Column::Make(Type::Date());
  date->AppendInt32(-1);
  auto time = Column::Make(Type::Time());
  time->AppendInt64(86399999999);
  auto ts = Column::Make(Type::Timestamp());
  ts->AppendInt64(-1);
  auto tstz = Column::Make(Type::TimestampTz());
  tstz->AppendInt64(1700000000000000);
  EXPECT_EQ(date->Value<int32_t>(0), -1);
  EXPECT_EQ(time->Value<int64_t>(0), 86399999999);
  EXPECT_EQ(ts->Value<int64_t>(0), -1);
  EXPECT_EQ(tstz->Value<int64_t>(0), 1700000000000000);

  for (Column* c : {b.get(), i.get(), l.get(), f.get(), d.get(), dec.get(), date.get(), time.get(),
                    ts.get(), tstz.get()}) {
    EXPECT_TRUE(c->Validate(true).ok()) << c->type()->ToString();
    EXPECT_EQ(c->null_count(), 0);
    EXPECT_FALSE(c->has_validity());
    EXPECT_EQ(c->validity_bitmap(), nullptr);
    EXPECT_EQ(c->value_buffer().size(),
              static_cast<size_t>(c->length() * FixedWidthOf(c->type_ref())));
    EXPECT_GT(c->MemoryUsage(), 0);
  }
}

TEST(ColumnTest, BytesTypes) {
  auto s = Column::Make(Type::String());
  s->AppendBytes("héllo");
  s->AppendBytes("");
  s->AppendBytes("\xF0\x9F\x98\x80");  // 4-byte UTF-8
  EXPECT_EQ(s->length(), 3);
  EXPECT_EQ(s->Bytes(0), "héllo");
  EXPECT_EQ(s->Bytes(1), "");
  EXPECT_EQ(s->Bytes(2), "\xF0\x9F\x98\x80");
  EXPECT_EQ(s->offsets()[0], 0);
  EXPECT_EQ(s->offsets()[3], static_cast<int64_t>(s->value_buffer().size()));

  auto bin = Column::Make(Type::Binary());
  bin->AppendBytes(std::string_view("\0\1\2", 3));
  EXPECT_EQ(bin->Bytes(0), std::string_view("\0\1\2", 3));

  auto uuid = Column::Make(Type::Uuid());
  const std::string u1(16, '\x11'), u2 = "0123456789abcdef";
  uuid->AppendBytes(u1);
  uuid->AppendBytes(u2);
  EXPECT_EQ(uuid->Bytes(0), u1);
  EXPECT_EQ(uuid->Bytes(1), u2);

  auto fixed = Column::Make(Type::Fixed(3));
  fixed->AppendBytes("abc");
  fixed->AppendBytes("xyz");
  EXPECT_EQ(fixed->Bytes(1), "xyz");

  for (Column* c : {s.get(), bin.get(), uuid.get(), fixed.get()}) {
    EXPECT_TRUE(c->Validate(true).ok()) << c->type()->ToString();
  }
  // A fixed value of the wrong length is caught.
  fixed->AppendBytes("toolong");
  EXPECT_FALSE(fixed->Validate(true).ok());
  uuid->AppendBytes("short");
  EXPECT_FALSE(uuid->Validate(false).ok());
}

TEST(ColumnTest, NullsInEveryPrimitive) {
  for (const TypePtr& type :
       {Type::Boolean(), Type::Int(), Type::Long(), Type::Float(), Type::Double(),
        Type::Decimal(20, 3), Type::Date(), Type::Time(), Type::Timestamp(), Type::TimestampTz(),
        Type::String(), Type::Uuid(), Type::Fixed(5), Type::Binary()}) {
    SCOPED_TRACE(type->ToString());
    Column c(type);
    c.AppendNull();  // first entry null: the bitmap is created lazily
    int w = FixedWidthOf(*type);
    std::string value = w > 0 ? std::string(w, '\x7f') : "v";
    if (w > 0) {
      c.mutable_values()->Append(value.data(), value.size());
      c.SetLengthAllValid(2);
    } else {
      c.AppendBytes(value);
    }
    c.AppendNull();
    ASSERT_EQ(c.length(), 3);
    EXPECT_EQ(c.null_count(), 2);
    EXPECT_TRUE(c.IsNull(0));
    EXPECT_TRUE(c.IsValid(1));
    EXPECT_TRUE(c.IsNull(2));
    ASSERT_NE(c.validity_bitmap(), nullptr);
    EXPECT_EQ(c.validity_bitmap()[0] & 0x7, 0x2);
    EXPECT_TRUE(c.Validate(false).ok()) << c.Validate(false).ToString();
    Status st = c.Validate(true);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("row 0"), std::string::npos) << st.ToString();
    if (w > 0) {
      // A null still occupies a zeroed slot.
      const uint8_t* slot = c.value_buffer().data();
      for (int k = 0; k < w; ++k) EXPECT_EQ(slot[k], 0);
      EXPECT_EQ(std::memcmp(slot + w, value.data(), w), 0);
    } else {
      EXPECT_EQ(c.Bytes(0), "");
      EXPECT_EQ(c.Bytes(1), "v");
      EXPECT_EQ(c.Bytes(2), "");
    }
  }
}

TEST(ColumnTest, ValidityAcrossManyEntries) {
  Column c(Type::Long());
  for (int64_t i = 0; i < 100; ++i) {
    if (i % 7 == 3) {
      c.AppendNull();
    } else {
      c.AppendInt64(i);
    }
  }
  EXPECT_EQ(c.null_count(), 14);
  for (int64_t i = 0; i < 100; ++i) {
    EXPECT_EQ(c.IsNull(i), i % 7 == 3) << i;
    if (i % 7 != 3) {
      EXPECT_EQ(c.Value<int64_t>(i), i);
    }
  }
  EXPECT_TRUE(c.Validate(false).ok());
}

TEST(ColumnTest, BulkBuildingAndSetNull) {
  Column c(Type::Int());
  c.Reserve(10);
  EXPECT_GE(c.value_buffer().capacity(), 40u);
  c.mutable_values()->Resize(40);
  for (int i = 0; i < 10; ++i) c.mutable_values()->as<int32_t>()[i] = i * i;
  c.SetLengthAllValid(10);
  EXPECT_EQ(c.length(), 10);
  EXPECT_FALSE(c.has_validity());
  c.SetNull(4);
  c.SetNull(4);  // twice counts once
  c.SetNull(9);
  EXPECT_EQ(c.null_count(), 2);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.IsNull(i), i == 4 || i == 9) << i;
  EXPECT_EQ(c.Value<int32_t>(3), 9);
  EXPECT_TRUE(c.Validate(false).ok());

  Column s(Type::String());
  s.Reserve(2, 6);
  s.mutable_values()->Append("abcdef");
  s.mutable_offsets()->push_back(2);
  s.mutable_offsets()->push_back(6);
  s.SetLengthAllValid(2);
  EXPECT_EQ(s.Bytes(0), "ab");
  EXPECT_EQ(s.Bytes(1), "cdef");
  EXPECT_TRUE(s.Validate(true).ok());
}

TEST(ColumnTest, ListOfInts) {
  Column list(Type::List(2, Type::Int(), true));
  Column* elems = list.mutable_child(0);
  elems->AppendInt32(1);
  elems->AppendInt32(2);
  list.AppendListEnd();  // [1, 2]
  list.AppendListEnd();  // []
  list.AppendNull();     // null
  elems->AppendInt32(3);
  list.AppendListEnd();  // [3]
  ASSERT_EQ(list.length(), 4);
  EXPECT_EQ(list.num_children(), 1);
  EXPECT_EQ(list.child(0).length(), 3);
  const int64_t* off = list.offsets();
  EXPECT_EQ(std::vector<int64_t>(off, off + 5), (std::vector<int64_t>{0, 2, 2, 2, 3}));
  EXPECT_TRUE(list.IsNull(2));
  EXPECT_FALSE(list.IsNull(1));
  EXPECT_TRUE(list.Validate(false).ok());
  EXPECT_FALSE(list.Validate(true).ok());

  // A null element in a list of required elements is caught.
  elems->AppendNull();
  list.AppendListEnd();
  Status st = list.Validate(false);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("element"), std::string::npos) << st.ToString();
}

TEST(ColumnTest, MapOfStringToOptionalLong) {
  Column map(Type::Map(2, Type::String(), 3, Type::Long(), false));
  Column* keys = map.mutable_child(0);
  Column* values = map.mutable_child(1);
  keys->AppendBytes("a");
  values->AppendInt64(1);
  keys->AppendBytes("b");
  values->AppendNull();
  map.AppendListEnd();  // {a: 1, b: null}
  map.AppendNull();
  ASSERT_EQ(map.length(), 2);
  EXPECT_EQ(map.child(0).Bytes(1), "b");
  EXPECT_TRUE(map.child(1).IsNull(1));
  EXPECT_TRUE(map.Validate(false).ok()) << map.Validate(false).ToString();

  // Keys are required.
  keys->AppendNull();
  values->AppendInt64(2);
  map.AppendListEnd();
  EXPECT_FALSE(map.Validate(false).ok());
}

TEST(ColumnTest, MapKeysAndValuesMustAlign) {
  Column map(Type::Map(2, Type::Int(), 3, Type::Int(), true));
  map.mutable_child(0)->AppendInt32(1);
  map.mutable_child(0)->AppendInt32(2);
  map.mutable_child(1)->AppendInt32(10);
  map.AppendListEnd();
  EXPECT_FALSE(map.Validate(false).ok());
}

TEST(ColumnTest, NullStructKeepsChildrenAligned) {
  auto point =
      Type::Struct({NF::Required(1, "x", Type::Double()), NF::Optional(2, "label", Type::String()),
                    NF::Optional(3, "tags", Type::List(4, Type::String(), true))});
  Column s(point);
  ASSERT_EQ(s.num_children(), 3);
  s.mutable_child(0)->AppendDouble(1.5);
  s.mutable_child(1)->AppendBytes("p");
  s.mutable_child(2)->mutable_child(0)->AppendBytes("t");
  s.mutable_child(2)->AppendListEnd();
  s.AppendStructValid();
  s.AppendNull();
  s.mutable_child(0)->AppendDouble(2.5);
  s.mutable_child(1)->AppendNull();
  s.mutable_child(2)->AppendNull();
  s.AppendStructValid();

  ASSERT_EQ(s.length(), 3);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(s.child(c).length(), 3) << c;
  EXPECT_TRUE(s.IsNull(1));
  EXPECT_TRUE(s.child(0).IsNull(1));  // required x is null only under the null struct
  EXPECT_TRUE(s.child(1).IsNull(1));
  EXPECT_TRUE(s.child(2).IsNull(1));
  EXPECT_EQ(s.child(0).Value<double>(2), 2.5);
  EXPECT_TRUE(s.Validate(false).ok()) << s.Validate(false).ToString();
  EXPECT_FALSE(s.Validate(true).ok());

  // A required child null under a valid struct entry is caught.
  s.mutable_child(0)->AppendNull();
  s.mutable_child(1)->AppendBytes("q");
  s.mutable_child(2)->AppendListEnd();
  s.AppendStructValid();
  Status st = s.Validate(false);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'x'"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("row 3"), std::string::npos) << st.ToString();
}

TEST(ColumnTest, ListOfStructs) {
  auto elem =
      Type::Struct({NF::Required(3, "k", Type::Int()), NF::Optional(4, "v", Type::Binary())});
  Column list(Type::List(2, elem, false));
  Column* structs = list.mutable_child(0);
  structs->mutable_child(0)->AppendInt32(1);
  structs->mutable_child(1)->AppendBytes("");
  structs->AppendStructValid();
  structs->AppendNull();
  list.AppendListEnd();
  list.AppendNull();
  EXPECT_TRUE(list.Validate(false).ok()) << list.Validate(false).ToString();
  EXPECT_EQ(list.child(0).length(), 2);
  EXPECT_TRUE(list.child(0).child(0).IsNull(1));
}

TEST(ColumnTest, StructChildLengthMismatch) {
  Column s(Type::Struct({NF::Optional(1, "a", Type::Int()), NF::Optional(2, "b", Type::Int())}));
  s.mutable_child(0)->AppendInt32(1);
  s.AppendStructValid();  // b was never appended
  Status st = s.Validate(false);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'b'"), std::string::npos) << st.ToString();
}

TEST(ColumnTest, ValidateCatchesBadOffsets) {
  Column s(Type::String());
  s.AppendBytes("abc");
  s.AppendBytes("de");
  ASSERT_TRUE(s.Validate(true).ok());
  (*s.mutable_offsets())[1] = 4;
  (*s.mutable_offsets())[2] = 3;  // decreasing
  Status st = s.Validate(true);
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_NE(st.message().find("row 1"), std::string::npos) << st.ToString();
  (*s.mutable_offsets())[1] = 3;
  (*s.mutable_offsets())[2] = 99;  // beyond the arena
  EXPECT_FALSE(s.Validate(true).ok());
  (*s.mutable_offsets())[0] = -1;  // before the arena
  (*s.mutable_offsets())[2] = 5;
  EXPECT_FALSE(s.Validate(true).ok());
  (*s.mutable_offsets())[0] = 0;
  ASSERT_TRUE(s.Validate(true).ok());
  s.mutable_offsets()->push_back(5);  // one offset too many
  EXPECT_FALSE(s.Validate(true).ok());

  Column list(Type::List(2, Type::Int(), true));
  list.mutable_child(0)->AppendInt32(1);
  list.AppendListEnd();
  (*list.mutable_offsets())[1] = 2;  // beyond the child
  EXPECT_FALSE(list.Validate(false).ok());
}

TEST(ColumnTest, ValidateCatchesBadValueLength) {
  Column c(Type::Long());
  c.AppendInt64(1);
  c.AppendInt64(2);
  c.mutable_values()->Resize(12);
  EXPECT_EQ(c.Validate(true).code(), StatusCode::kInternal);
}

TEST(ColumnBatchTest, BuildAndValidate) {
  auto schema = std::make_shared<Schema>(
      std::vector<NF>{NF::Required(1, "id", Type::Long()), NF::Optional(2, "name", Type::String()),
                      NF::Optional(3, "scores", Type::List(4, Type::Double(), true))});
  ColumnBatch batch(schema);
  EXPECT_EQ(batch.schema(), schema);
  ASSERT_EQ(batch.num_columns(), 3);
  EXPECT_EQ(batch.num_rows(), 0);
  EXPECT_TRUE(batch.Validate().ok());
  for (int64_t r = 0; r < 5; ++r) {
    batch.mutable_column(0)->AppendInt64(r);
    if (r == 2) {
      batch.mutable_column(1)->AppendNull();
    } else {
      batch.mutable_column(1)->AppendBytes("row" + std::to_string(r));
    }
    Column* scores = batch.mutable_column(2);
    for (int64_t k = 0; k < r; ++k) scores->mutable_child(0)->AppendDouble(k * 0.5);
    scores->AppendListEnd();
  }
  EXPECT_EQ(batch.num_rows(), 5);
  EXPECT_TRUE(batch.Validate().ok()) << batch.Validate().ToString();
  EXPECT_EQ(batch.column(2).child(0).length(), 10);
  const int64_t usage = batch.MemoryUsage();
  EXPECT_GE(usage, 5 * 8 + 10 * 8);
  EXPECT_EQ(usage, batch.column(0).MemoryUsage() + batch.column(1).MemoryUsage() +
                       batch.column(2).MemoryUsage());

  // A null in a required column names the column and the row.
  batch.mutable_column(0)->SetNull(3);
  Status st = batch.Validate();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'id'"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("row 3"), std::string::npos) << st.ToString();
}

TEST(ColumnBatchTest, ColumnsOfDifferentLengths) {
  auto schema = std::make_shared<Schema>(
      std::vector<NF>{NF::Optional(1, "a", Type::Int()), NF::Optional(2, "b", Type::Int())});
  ColumnBatch batch(schema);
  batch.mutable_column(0)->AppendInt32(1);
  Status st = batch.Validate();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'b'"), std::string::npos) << st.ToString();
}

}  // namespace
}  // namespace nilus
