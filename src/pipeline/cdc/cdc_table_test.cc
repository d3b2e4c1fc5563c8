#include "pipeline/cdc/cdc_table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "pipeline/cdc/row_json.h"

namespace nilus::pipeline {
namespace {

using pgoutput::Tuple;
using Kind = pgoutput::TupleValue::Kind;

// A table (id int4 primary key, name text, qty int4) described by hand, as DescribePgTable
// would describe it.
PgTableDesc ItemsDesc() {
  PgTableDesc d;
  d.schema_name = "public";
  d.table_name = "items";
  d.oid = 4242;
  auto column = [](std::string name, uint32_t oid, PgWireKind kind, TypePtr type, bool not_null) {
    PgColumnDesc c;
    c.name = name;
    c.type.oid = oid;
    c.not_null = not_null;
    c.mapping.type = type;
    c.mapping.kind = kind;
    c.select_expr = "\"" + name + "\"";
    auto dec = std::make_shared<PgValueDecoder>();
    dec->kind = kind;
    dec->target = type;
    dec->required = not_null;
    dec->column = name;
    c.decoder = dec;
    return c;
  };
  d.columns.push_back(column("id", pg_oid::kInt4, PgWireKind::kInt4, Type::Int(), true));
  d.columns.push_back(column("name", pg_oid::kText, PgWireKind::kText, Type::String(), false));
  d.columns.push_back(column("qty", pg_oid::kInt4, PgWireKind::kInt4, Type::Int(), false));
  return d;
}

pgoutput::Relation ItemsRelation() {
  pgoutput::Relation r;
  r.oid = 4242;
  r.schema = "public";
  r.name = "items";
  r.columns = {{true, "id", pg_oid::kInt4, -1},
               {false, "name", pg_oid::kText, -1},
               {false, "qty", pg_oid::kInt4, -1}};
  return r;
}

// Builds a tuple from values: an int as binary int4, a string as text bytes, nullopt as
// null, "\x01u" as unchanged.
struct V {
  enum { kInt, kStr, kNull, kUnchanged } k;
  int32_t i = 0;
  std::string s;
};
V I(int32_t v) { return {V::kInt, v, ""}; }
V S(std::string v) { return {V::kStr, 0, std::move(v)}; }
V N() { return {V::kNull, 0, ""}; }
V U() { return {V::kUnchanged, 0, ""}; }

Tuple MakeTuple(std::vector<V> values) {
  Tuple t;
  for (const V& v : values) {
    pgoutput::TupleValue tv;
    if (v.k == V::kNull || v.k == V::kUnchanged) {
      tv.kind = v.k == V::kNull ? Kind::kNull : Kind::kUnchanged;
    } else {
      tv.kind = Kind::kBinary;
      tv.offset = static_cast<uint32_t>(t.bytes.size());
      if (v.k == V::kInt) {
        const uint32_t be = __builtin_bswap32(static_cast<uint32_t>(v.i));
        t.bytes.append(reinterpret_cast<const char*>(&be), 4);
        tv.length = 4;
      } else {
        t.bytes += v.s;
        tv.length = static_cast<uint32_t>(v.s.size());
      }
    }
    t.values.push_back(tv);
  }
  return t;
}

CdcChange Change(char op, int64_t seq, std::optional<Tuple> old_tuple, char old_kind,
                 std::optional<Tuple> new_tuple) {
  CdcChange c;
  c.op = op;
  c.lsn = 1000 + seq;
  c.commit_lsn = 5000;
  c.commit_time_us = 1'700'000'000'000'000;
  c.xid = 77;
  c.seq = seq;
  if (old_tuple) {
    c.old_kind = old_kind;
    c.old_tuple = std::move(*old_tuple);
  }
  if (new_tuple) {
    c.has_new = true;
    c.new_tuple = std::move(*new_tuple);
  }
  return c;
}

std::string Str(const Column& c, int64_t i) { return std::string(c.Bytes(i)); }

class CdcTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = std::make_unique<CdcTable>("public.items", ItemsDesc(), std::vector<std::string>{"id"},
                                        PgTypePolicy{});
    auto changed = table_->OnRelation(ItemsRelation(), nullptr);
    ASSERT_TRUE(changed.ok()) << changed.status().ToString();
    EXPECT_TRUE(*changed);
  }
  std::unique_ptr<CdcTable> table_;
};

TEST_F(CdcTableTest, MirrorSchemaHasKeyRequiredOthersOptionalAndMarker) {
  const auto& f = table_->mirror_schema()->fields();
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0].name, "id");
  EXPECT_TRUE(f[0].required);
  EXPECT_FALSE(f[1].required);
  EXPECT_FALSE(f[2].required);
  EXPECT_EQ(f[3].name, kCdcDeletedColumn);
}

TEST_F(CdcTableTest, BuildsMirrorRowsAndChangeLog) {
  table_->Add(Change('c', 0, std::nullopt, 0, MakeTuple({I(1), S("apple"), I(3)})));
  table_->Add(Change('u', 1, std::nullopt, 0, MakeTuple({I(1), S("apple \"red\""), N()})));
  table_->Add(Change('d', 2, MakeTuple({I(2), N(), N()}), 'K', std::nullopt));
  EXPECT_EQ(table_->pending_changes(), 3);
  std::unique_ptr<ColumnBatch> mirror, log;
  ASSERT_TRUE(table_->Build(nullptr, &mirror, &log).ok());
  EXPECT_EQ(table_->pending_changes(), 0);
  ASSERT_NE(mirror, nullptr);
  ASSERT_EQ(mirror->num_rows(), 3);
  EXPECT_EQ(mirror->column(0).Value<int32_t>(0), 1);
  EXPECT_EQ(Str(mirror->column(1), 1), "apple \"red\"");
  EXPECT_TRUE(mirror->column(2).IsNull(1));
  EXPECT_EQ(mirror->column(0).Value<int32_t>(2), 2);
  EXPECT_EQ(mirror->column(3).Value<uint8_t>(0), 0);
  EXPECT_EQ(mirror->column(3).Value<uint8_t>(2), 1);  // the delete's marker

  ASSERT_NE(log, nullptr);
  ASSERT_EQ(log->num_rows(), 3);
  EXPECT_EQ(Str(log->column(0), 0), "c");
  EXPECT_TRUE(log->column(1).IsNull(0));
  EXPECT_EQ(Str(log->column(2), 0), R"({"id":1,"name":"apple","qty":3})");
  EXPECT_EQ(Str(log->column(2), 1), R"({"id":1,"name":"apple \"red\"","qty":null})");
  EXPECT_EQ(Str(log->column(0), 2), "d");
  EXPECT_EQ(Str(log->column(1), 2), R"({"id":2})");
  EXPECT_TRUE(log->column(2).IsNull(2));
  EXPECT_EQ(log->column(3).Value<int64_t>(2), 1002);  // lsn
  EXPECT_EQ(log->column(4).Value<int64_t>(2), 5000);  // commit_lsn
  EXPECT_EQ(log->column(6).Value<int64_t>(2), 77);    // txid
  EXPECT_EQ(log->column(7).Value<int64_t>(2), 2);     // seq
}

TEST_F(CdcTableTest, KeyChangeDeletesTheOldKey) {
  table_->Add(Change('u', 0, MakeTuple({I(1), N(), N()}), 'K', MakeTuple({I(9), S("x"), I(1)})));
  std::unique_ptr<ColumnBatch> mirror, log;
  ASSERT_TRUE(table_->Build(nullptr, &mirror, &log).ok());
  ASSERT_EQ(mirror->num_rows(), 2);
  EXPECT_EQ(mirror->column(0).Value<int32_t>(0), 1);
  EXPECT_EQ(mirror->column(3).Value<uint8_t>(0), 1);
  EXPECT_EQ(mirror->column(0).Value<int32_t>(1), 9);
  EXPECT_EQ(mirror->column(3).Value<uint8_t>(1), 0);
  EXPECT_EQ(Str(log->column(1), 0), R"({"id":1})");
}

TEST_F(CdcTableTest, UnchangedToastComesFromTheFullOldRow) {
  table_->Add(
      Change('u', 0, MakeTuple({I(1), S("long text"), I(1)}), 'O', MakeTuple({I(1), U(), I(2)})));
  std::unique_ptr<ColumnBatch> mirror, log;
  ASSERT_TRUE(table_->Build(nullptr, &mirror, &log).ok());
  ASSERT_EQ(mirror->num_rows(), 1);
  EXPECT_EQ(Str(mirror->column(1), 0), "long text");
  EXPECT_EQ(mirror->column(2).Value<int32_t>(0), 2);
  EXPECT_EQ(Str(log->column(2), 0), R"({"id":1,"name":"long text","qty":2})");
}

TEST_F(CdcTableTest, UnchangedToastWithoutOldRowNeedsTheSource) {
  table_->Add(Change('u', 0, std::nullopt, 0, MakeTuple({I(1), U(), I(2)})));
  std::unique_ptr<ColumnBatch> mirror, log;
  Status st = table_->Build(nullptr, &mirror, &log);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("public.items"), std::string::npos) << st.ToString();
}

TEST_F(CdcTableTest, ChangesTheMirrorHoldsAlreadyGoOnlyToTheChangeLog) {
  CdcChange a = Change('c', 0, std::nullopt, 0, MakeTuple({I(1), S("a"), I(1)}));
  a.to_mirror = false;
  CdcChange b = Change('c', 1, std::nullopt, 0, MakeTuple({I(2), S("b"), I(1)}));
  b.to_changelog = false;
  table_->Add(std::move(a));
  table_->Add(std::move(b));
  std::unique_ptr<ColumnBatch> mirror, log;
  ASSERT_TRUE(table_->Build(nullptr, &mirror, &log).ok());
  ASSERT_EQ(mirror->num_rows(), 1);
  EXPECT_EQ(mirror->column(0).Value<int32_t>(0), 2);
  ASSERT_EQ(log->num_rows(), 1);
  EXPECT_EQ(log->column(7).Value<int64_t>(0), 0);
}

TEST_F(CdcTableTest, DroppedColumnLeavesTheSchema) {
  pgoutput::Relation r = ItemsRelation();
  r.columns.pop_back();  // qty dropped
  auto changed = table_->OnRelation(r, nullptr);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(table_->mirror_schema()->FindTopLevelIndex("qty"), -1);
  table_->Add(Change('c', 0, std::nullopt, 0, MakeTuple({I(5), S("e")})));
  std::unique_ptr<ColumnBatch> mirror, log;
  ASSERT_TRUE(table_->Build(nullptr, &mirror, &log).ok());
  EXPECT_EQ(mirror->num_columns(), 3);
  EXPECT_EQ(Str(log->column(2), 0), R"({"id":5,"name":"e"})");
}

TEST_F(CdcTableTest, DiscardedChangesAreNotBuilt) {
  table_->Add(Change('u', 0, std::nullopt, 0, MakeTuple({I(1), U(), I(2)})));
  EXPECT_GT(table_->pending_bytes(), 0);
  table_->DiscardPending();
  EXPECT_EQ(table_->pending_changes(), 0);
  EXPECT_EQ(table_->pending_bytes(), 0);
  std::unique_ptr<ColumnBatch> mirror, log;
  ASSERT_TRUE(table_->Build(nullptr, &mirror, &log).ok());
  EXPECT_EQ(mirror, nullptr);
  EXPECT_EQ(log, nullptr);
}

TEST_F(CdcTableTest, NullKeyIsAnError) {
  table_->Add(Change('c', 0, std::nullopt, 0, MakeTuple({N(), S("x"), I(1)})));
  std::unique_ptr<ColumnBatch> mirror, log;
  Status st = table_->Build(nullptr, &mirror, &log);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("key column id"), std::string::npos) << st.ToString();
}

TEST(RowJsonTest, ValuesAsAReaderExpects) {
  auto schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Optional(1, "b", Type::Boolean()),
      NestedField::Optional(2, "d", Type::Double()),
      NestedField::Optional(3, "dec", Type::Decimal(10, 2)),
      NestedField::Optional(4, "day", Type::Date()),
      NestedField::Optional(5, "ts", Type::TimestampTz()),
      NestedField::Optional(6, "s", Type::String()),
      NestedField::Optional(7, "bin", Type::Binary()),
      NestedField::Optional(8, "l", Type::List(9, Type::Long(), false)),
  });
  ColumnBatch batch(schema);
  batch.mutable_column(0)->AppendBool(true);
  batch.mutable_column(1)->AppendDouble(std::nan(""));
  batch.mutable_column(2)->AppendDecimal(-12345);
  batch.mutable_column(3)->AppendInt32(19723);  // 2024-01-01
  batch.mutable_column(4)->AppendInt64(1'704'067'200'000'000);
  batch.mutable_column(5)->AppendBytes("tab\tquote\"nl\n\x01");
  batch.mutable_column(6)->AppendBytes(std::string("\x00\xff", 2));
  Column* l = batch.mutable_column(7);
  l->mutable_child(0)->AppendInt64(1);
  l->mutable_child(0)->AppendNull();
  l->AppendListEnd();
  std::string out;
  AppendRowJson(batch, 0, {}, &out);
  EXPECT_EQ(out, R"({"b":true,"d":"NaN","dec":-123.45,"day":"2024-01-01",)"
                 R"("ts":"2024-01-01T00:00:00.000000Z","s":"tab\tquote\"nl\n\u0001",)"
                 R"("bin":"\\x00ff","l":[1,null]})");
}

}  // namespace
}  // namespace nilus::pipeline
