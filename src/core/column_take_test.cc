#include "core/column_take.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

namespace nilus {
namespace {

using NF = NestedField;

// Whether entry i of a equals entry j of b, recursively, nulls included.
bool EntryEq(const Column& a, int64_t i, const Column& b, int64_t j) {
  if (a.IsNull(i) != b.IsNull(j)) return false;
  switch (a.type_ref().id()) {
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kUuid:
    case TypeId::kFixed:
      return a.Bytes(i) == b.Bytes(j);
    case TypeId::kList:
    case TypeId::kMap: {
      int64_t la = a.offsets()[i + 1] - a.offsets()[i];
      int64_t lb = b.offsets()[j + 1] - b.offsets()[j];
      if (la != lb) return false;
      for (int c = 0; c < a.num_children(); ++c) {
        for (int64_t e = 0; e < la; ++e) {
          if (!EntryEq(a.child(c), a.offsets()[i] + e, b.child(c), b.offsets()[j] + e)) {
            return false;
          }
        }
      }
      return true;
    }
    case TypeId::kStruct:
      for (int c = 0; c < a.num_children(); ++c) {
        if (!EntryEq(a.child(c), i, b.child(c), j)) return false;
      }
      return true;
    default: {
      int w = FixedWidthOf(a.type_ref());
      return std::memcmp(a.value_buffer().data() + i * w, b.value_buffer().data() + j * w, w) == 0;
    }
  }
}

// Takes `rows` from src into a fresh column and checks every entry and the layout.
std::unique_ptr<Column> TakeAndCheck(const Column& src, const std::vector<int64_t>& rows) {
  auto dst = Column::Make(src.type());
  Status st = TakeInto(src, rows.data(), static_cast<int64_t>(rows.size()), dst.get());
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(dst->length(), static_cast<int64_t>(rows.size()));
  EXPECT_TRUE(dst->Validate(false).ok()) << dst->Validate(false).ToString();
  int64_t nulls = 0;
  for (size_t k = 0; k < rows.size(); ++k) {
    EXPECT_TRUE(EntryEq(*dst, static_cast<int64_t>(k), src, rows[k]))
        << src.type_ref().ToString() << " entry " << k << " (source row " << rows[k] << ")";
    if (src.IsNull(rows[k])) ++nulls;
  }
  EXPECT_EQ(dst->null_count(), nulls);
  return dst;
}

TEST(ColumnTakeTest, FixedWidthTypesWithNulls) {
  const std::vector<int64_t> rows = {3, 0, 3, 1, 4, 2};
  auto b = Column::Make(Type::Boolean());
  auto i32 = Column::Make(Type::Int());
  auto i64 = Column::Make(Type::Long());
  auto f = Column::Make(Type::Float());
  auto d = Column::Make(Type::Double());
  auto dec = Column::Make(Type::Decimal(38, 3));
  auto date = Column::Make(Type::Date());
  auto time = Column::Make(Type::Time());
  auto ts = Column::Make(Type::Timestamp());
  auto tstz = Column::Make(Type::TimestampTz());
  auto uuid = Column::Make(Type::Uuid());
  auto fixed = Column::Make(Type::Fixed(3));
  for (int r = 0; r < 5; ++r) {
    if (r == 1) {
      for (Column* c : {b.get(), i32.get(), i64.get(), f.get(), d.get(), dec.get(), date.get(),
                        time.get(), ts.get(), tstz.get(), uuid.get(), fixed.get()}) {
        c->AppendNull();
      }
      continue;
    }
    b->AppendBool(r % 2 == 0);
    i32->AppendInt32(-100 * r);
    i64->AppendInt64((int64_t{1} << 40) + r);
    f->AppendFloat(0.5f * r);
    d->AppendDouble(-1.25 * r);
    dec->AppendDecimal((static_cast<__int128>(1) << 100) * (r + 1));
    date->AppendInt32(19000 + r);
    time->AppendInt64(3600000000LL * r);
    ts->AppendInt64(1700000000000000LL + r);
    tstz->AppendInt64(-1700000000000000LL - r);
    uuid->AppendBytes(std::string(16, static_cast<char>('a' + r)));
    fixed->AppendBytes(std::string(3, static_cast<char>('0' + r)));
  }
  for (Column* c : {b.get(), i32.get(), i64.get(), f.get(), d.get(), dec.get(), date.get(),
                    time.get(), ts.get(), tstz.get(), uuid.get(), fixed.get()}) {
    ASSERT_TRUE(c->Validate(false).ok());
    auto out = TakeAndCheck(*c, rows);
    EXPECT_TRUE(out->IsNull(3)) << c->type_ref().ToString();
    EXPECT_EQ(out->null_count(), 1);
  }
  auto out = TakeAndCheck(*i32, rows);
  EXPECT_EQ(out->Value<int32_t>(0), -300);
  EXPECT_EQ(out->Value<int32_t>(1), 0);
  EXPECT_EQ(out->Value<int32_t>(2), -300);
  EXPECT_EQ(out->Value<int32_t>(4), -400);
  EXPECT_EQ(out->Value<int32_t>(5), -200);
  auto outd = TakeAndCheck(*dec, {4});
  EXPECT_TRUE(outd->Value<__int128>(0) == (static_cast<__int128>(1) << 100) * 5);
  auto outf = TakeAndCheck(*fixed, {2, 0});
  EXPECT_EQ(outf->Bytes(0), "222");
  EXPECT_EQ(outf->Bytes(1), "000");
  auto outb = TakeAndCheck(*b, {0, 3, 2});
  EXPECT_EQ(outb->Value<uint8_t>(0), 1);
  EXPECT_EQ(outb->Value<uint8_t>(1), 0);
  EXPECT_EQ(outb->Value<uint8_t>(2), 1);
}

TEST(ColumnTakeTest, NoValidityStaysWithoutNulls) {
  auto c = Column::Make(Type::Long());
  for (int r = 0; r < 10; ++r) c->AppendInt64(r * r);
  auto out = TakeAndCheck(*c, {9, 9, 0, 5});
  EXPECT_EQ(out->null_count(), 0);
  EXPECT_FALSE(out->has_validity());
  EXPECT_EQ(out->Value<int64_t>(0), 81);
  EXPECT_EQ(out->Value<int64_t>(3), 25);
}

TEST(ColumnTakeTest, StringsAndBinary) {
  auto s = Column::Make(Type::String());
  s->AppendBytes("alpha");
  s->AppendBytes("");
  s->AppendNull();
  s->AppendBytes("héllo wörld");
  auto out = TakeAndCheck(*s, {3, 2, 1, 0, 3});
  EXPECT_EQ(out->Bytes(0), "héllo wörld");
  EXPECT_TRUE(out->IsNull(1));
  EXPECT_EQ(out->Bytes(1), "");
  EXPECT_TRUE(out->IsValid(2));
  EXPECT_EQ(out->Bytes(2), "");
  EXPECT_EQ(out->Bytes(3), "alpha");
  EXPECT_EQ(out->Bytes(4), "héllo wörld");
  // Only the selected bytes are copied.
  EXPECT_EQ(out->value_buffer().size(), 2 * std::string("héllo wörld").size() + 5);
  EXPECT_EQ(out->offsets()[5], static_cast<int64_t>(out->value_buffer().size()));

  auto bin = Column::Make(Type::Binary());
  bin->AppendBytes(std::string("\0\x01\xff", 3));
  bin->AppendNull();
  auto outb = TakeAndCheck(*bin, {1, 0});
  EXPECT_EQ(outb->Bytes(1), std::string("\0\x01\xff", 3));
}

TEST(ColumnTakeTest, ListsCopyChildRanges) {
  auto list = Column::Make(Type::List(2, Type::Int(), false));
  auto append = [&](std::vector<int> v) {
    for (int x : v) {
      if (x < 0) {
        list->mutable_child(0)->AppendNull();
      } else {
        list->mutable_child(0)->AppendInt32(x);
      }
    }
    list->AppendListEnd();
  };
  append({1, 2, 3});
  list->AppendNull();
  append({});
  append({4, -1, 5});
  ASSERT_TRUE(list->Validate(false).ok());
  auto out = TakeAndCheck(*list, {3, 1, 0, 2, 3});
  EXPECT_EQ(std::vector<int64_t>(out->offsets(), out->offsets() + 6),
            (std::vector<int64_t>{0, 3, 3, 6, 6, 9}));
  EXPECT_TRUE(out->IsNull(1));
  EXPECT_TRUE(out->IsValid(3));
  const Column& el = out->child(0);
  EXPECT_EQ(el.length(), 9);
  EXPECT_EQ(el.Value<int32_t>(0), 4);
  EXPECT_TRUE(el.IsNull(1));
  EXPECT_EQ(el.Value<int32_t>(2), 5);
  EXPECT_EQ(el.Value<int32_t>(3), 1);
  EXPECT_EQ(el.Value<int32_t>(5), 3);
  EXPECT_EQ(el.null_count(), 2);
}

TEST(ColumnTakeTest, MapsOfListsAndStructsOfLists) {
  // map<string, list<long>>
  auto map = Column::Make(Type::Map(1, Type::String(), 2, Type::List(3, Type::Long(), true),
                                    /*value_required=*/false));
  Column* keys = map->mutable_child(0);
  Column* vals = map->mutable_child(1);
  keys->AppendBytes("a");
  vals->mutable_child(0)->AppendInt64(10);
  vals->mutable_child(0)->AppendInt64(11);
  vals->AppendListEnd();
  keys->AppendBytes("b");
  vals->AppendNull();
  map->AppendListEnd();  // {a: [10, 11], b: null}
  map->AppendNull();
  keys->AppendBytes("c");
  vals->mutable_child(0)->AppendInt64(12);
  vals->AppendListEnd();
  map->AppendListEnd();  // {c: [12]}
  ASSERT_TRUE(map->Validate(false).ok()) << map->Validate(false).ToString();
  auto out = TakeAndCheck(*map, {2, 0, 1});
  EXPECT_EQ(out->child(0).length(), 3);
  EXPECT_EQ(out->child(0).Bytes(0), "c");
  EXPECT_EQ(out->child(0).Bytes(2), "b");
  EXPECT_TRUE(out->child(1).IsNull(2));
  EXPECT_EQ(out->child(1).child(0).Value<int64_t>(0), 12);
  EXPECT_EQ(out->child(1).child(0).Value<int64_t>(2), 11);

  // struct<id: int, tags: list<struct<k: string, v: double>>, inner: struct<x: long>>
  auto entry =
      Type::Struct({NF::Required(5, "k", Type::String()), NF::Optional(6, "v", Type::Double())});
  auto inner = Type::Struct({NF::Optional(8, "x", Type::Long())});
  auto type = Type::Struct({NF::Required(1, "id", Type::Int()),
                            NF::Optional(2, "tags", Type::List(4, entry, true)),
                            NF::Optional(7, "inner", inner)});
  auto st = Column::Make(type);
  for (int r = 0; r < 6; ++r) {
    if (r == 2) {
      st->AppendNull();
      continue;
    }
    st->mutable_child(0)->AppendInt32(r);
    Column* tags = st->mutable_child(1);
    for (int e = 0; e < r % 3; ++e) {
      Column* es = tags->mutable_child(0);
      es->mutable_child(0)->AppendBytes("k" + std::to_string(r) + "_" + std::to_string(e));
      if (e == 1) {
        es->mutable_child(1)->AppendNull();
      } else {
        es->mutable_child(1)->AppendDouble(r + e / 10.0);
      }
      es->AppendStructValid();
    }
    tags->AppendListEnd();
    Column* in = st->mutable_child(2);
    if (r == 4) {
      in->AppendNull();
    } else {
      in->mutable_child(0)->AppendInt64(r * 1000);
      in->AppendStructValid();
    }
    st->AppendStructValid();
  }
  ASSERT_TRUE(st->Validate(false).ok()) << st->Validate(false).ToString();
  auto sout = TakeAndCheck(*st, {5, 2, 4, 1, 5, 0});
  EXPECT_TRUE(sout->IsNull(1));
  EXPECT_TRUE(sout->child(0).IsNull(1));  // a null struct has nulls in every child
  EXPECT_TRUE(sout->child(2).IsNull(2));
  EXPECT_EQ(sout->child(0).Value<int32_t>(0), 5);
  EXPECT_EQ(sout->child(2).child(0).Value<int64_t>(3), 1000);
  const Column& tags = sout->child(1);
  // Rows 5, 2(null), 4, 1, 5, 0 hold 2, 0, 1, 1, 2, 0 tags.
  EXPECT_EQ(std::vector<int64_t>(tags.offsets(), tags.offsets() + 7),
            (std::vector<int64_t>{0, 2, 2, 3, 4, 6, 6}));
  EXPECT_EQ(tags.child(0).child(0).Bytes(0), "k5_0");
  EXPECT_EQ(tags.child(0).child(0).Bytes(1), "k5_1");
  EXPECT_TRUE(tags.child(0).child(1).IsNull(1));
  EXPECT_EQ(tags.child(0).child(0).Bytes(2), "k4_0");
  EXPECT_EQ(tags.child(0).child(0).Bytes(3), "k1_0");
  EXPECT_DOUBLE_EQ(tags.child(0).child(1).Value<double>(3), 1.0);
}

TEST(ColumnTakeTest, EmptySelectionAndAppendingToANonEmptyColumn) {
  auto list = Column::Make(Type::List(2, Type::String(), true));
  list->mutable_child(0)->AppendBytes("x");
  list->mutable_child(0)->AppendBytes("y");
  list->AppendListEnd();
  list->AppendNull();
  auto empty = TakeAndCheck(*list, {});
  EXPECT_EQ(empty->length(), 0);
  EXPECT_EQ(empty->child(0).length(), 0);

  // Appending: the destination's existing entries stay, new offsets continue from them.
  auto dst = Column::Make(list->type());
  dst->mutable_child(0)->AppendBytes("pre");
  dst->AppendListEnd();
  const std::vector<int64_t> rows = {1, 0};
  ASSERT_TRUE(TakeInto(*list, rows.data(), 2, dst.get()).ok());
  ASSERT_TRUE(dst->Validate(false).ok()) << dst->Validate(false).ToString();
  EXPECT_EQ(dst->length(), 3);
  EXPECT_TRUE(dst->IsValid(0));
  EXPECT_TRUE(dst->IsNull(1));
  EXPECT_TRUE(EntryEq(*dst, 2, *list, 0));
  EXPECT_EQ(dst->child(0).Bytes(0), "pre");
  EXPECT_EQ(dst->child(0).Bytes(2), "y");
}

TEST(ColumnTakeTest, ErrorsLeaveTheDestinationUntouched) {
  auto c = Column::Make(Type::Int());
  c->AppendInt32(1);
  c->AppendInt32(2);
  auto dst = Column::Make(Type::Int());
  std::vector<int64_t> bad = {0, 2};
  Status st = TakeInto(*c, bad.data(), 2, dst.get());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("row 2"), std::string::npos) << st.ToString();
  EXPECT_EQ(dst->length(), 0);
  bad = {-1};
  EXPECT_FALSE(TakeInto(*c, bad.data(), 1, dst.get()).ok());
  auto wrong = Column::Make(Type::Long());
  std::vector<int64_t> ok = {0};
  EXPECT_EQ(TakeInto(*c, ok.data(), 1, wrong.get()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(wrong->length(), 0);
}

TEST(ColumnTakeTest, TakeRowsGathersEveryColumnOfABatch) {
  auto schema = std::make_shared<Schema>(
      std::vector<NF>{NF::Required(1, "id", Type::Long()), NF::Optional(2, "name", Type::String()),
                      NF::Optional(3, "scores", Type::List(4, Type::Double(), true))});
  ColumnBatch batch(schema);
  for (int r = 0; r < 5; ++r) {
    batch.mutable_column(0)->AppendInt64(r);
    if (r == 3) {
      batch.mutable_column(1)->AppendNull();
    } else {
      batch.mutable_column(1)->AppendBytes("n" + std::to_string(r));
    }
    for (int e = 0; e < r; ++e) batch.mutable_column(2)->mutable_child(0)->AppendDouble(r * e);
    batch.mutable_column(2)->AppendListEnd();
  }
  ASSERT_TRUE(batch.Validate().ok());
  auto out = TakeRows(batch, {4, 3, 3});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const ColumnBatch& b = **out;
  EXPECT_EQ(b.schema(), schema);
  EXPECT_EQ(b.num_rows(), 3);
  ASSERT_TRUE(b.Validate().ok()) << b.Validate().ToString();
  EXPECT_EQ(b.column(0).Value<int64_t>(0), 4);
  EXPECT_EQ(b.column(0).Value<int64_t>(2), 3);
  EXPECT_EQ(b.column(1).Bytes(0), "n4");
  EXPECT_TRUE(b.column(1).IsNull(1));
  EXPECT_EQ(b.column(2).child(0).length(), 4 + 3 + 3);
  EXPECT_DOUBLE_EQ(b.column(2).child(0).Value<double>(3), 12.0);

  auto none = TakeRows(batch, {});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)->num_rows(), 0);
  EXPECT_EQ((*none)->num_columns(), 3);
  EXPECT_TRUE((*none)->Validate().ok());

  auto bad = TakeRows(batch, {0, 5});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'id'"), std::string::npos) << bad.status().ToString();
}

TEST(ColumnTakeTest, RandomSelectionsMatchTheSource) {
  std::mt19937_64 rng(42);
  auto type = Type::Struct({NF::Optional(1, "s", Type::String()),
                            NF::Optional(2, "l", Type::List(3, Type::Int(), false)),
                            NF::Optional(4, "d", Type::Decimal(20, 4))});
  auto c = Column::Make(type);
  const int kRows = 1000;
  for (int r = 0; r < kRows; ++r) {
    if (rng() % 10 == 0) {
      c->AppendNull();
      continue;
    }
    if (rng() % 5 == 0) {
      c->mutable_child(0)->AppendNull();
    } else {
      c->mutable_child(0)->AppendBytes(std::string(rng() % 20, static_cast<char>('a' + r % 26)));
    }
    Column* l = c->mutable_child(1);
    if (rng() % 8 == 0) {
      l->AppendNull();
    } else {
      int n = static_cast<int>(rng() % 6);
      for (int e = 0; e < n; ++e) {
        if (rng() % 7 == 0) {
          l->mutable_child(0)->AppendNull();
        } else {
          l->mutable_child(0)->AppendInt32(static_cast<int32_t>(rng()));
        }
      }
      l->AppendListEnd();
    }
    c->mutable_child(2)->AppendDecimal(static_cast<__int128>(static_cast<int64_t>(rng())) * 977);
    c->AppendStructValid();
  }
  ASSERT_TRUE(c->Validate(false).ok()) << c->Validate(false).ToString();
  std::vector<int64_t> rows;
  for (int k = 0; k < 3000; ++k) rows.push_back(static_cast<int64_t>(rng() % kRows));
  TakeAndCheck(*c, rows);
}

}  // namespace
}  // namespace nilus
