// API-level tests of the Normalizer that the golden cases do not express: ids across input
// kinds, counters, schema changes as text, option checks.
#include "normalize/normalizer.h"

#include <gtest/gtest.h>

#include "normalize/nilus_id.h"

namespace nilus::normalize {
namespace {

DocumentBatch Docs(const std::vector<std::string>& lines, std::string source = "in.jsonl") {
  DocumentBatch b;
  b.source = std::move(source);
  int64_t n = 0;
  for (const auto& l : lines) {
    b.docs.push_back({b.buffer.size(), static_cast<uint32_t>(l.size()), ++n});
    b.buffer += l + "\n";
  }
  b.buffer.append(DocumentBatch::kPadding, '\0');
  return b;
}

std::unique_ptr<Normalizer> Make(NormalizerOptions o) {
  auto n = Normalizer::Make(std::move(o));
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return std::move(n).value();
}

std::string IdAt(const NormalizedBatch& b, int64_t row) {
  int c = b.schema->FindTopLevelIndex("_nilus_id");
  return std::string(b.batch->column(c).Bytes(row));
}

TEST(Normalizer, TypedAndJsonGiveEqualIdsForEqualKeys) {
  NormalizerOptions o;
  o.table = "orders";
  o.load_id = "a";
  o.hints.primary_key = {"id", "region"};
  auto json_norm = Make(o);
  auto j = json_norm->Normalize(Docs({R"({"id": 7, "region": "eu"})"}));
  ASSERT_TRUE(j.ok()) << j.status().ToString();

  o.load_id = "b";
  auto typed_norm = Make(o);
  auto schema = std::make_shared<Schema>(
      std::vector<NestedField>{NestedField::Required(1, "ID", Type::Long()),
                               NestedField::Required(2, "Region", Type::String())});
  auto batch = std::make_unique<ColumnBatch>(schema);
  batch->mutable_column(0)->AppendInt64(7);
  batch->mutable_column(1)->AppendBytes("eu");
  auto t = typed_norm->Normalize(std::move(batch), "pg:public.orders");
  ASSERT_TRUE(t.ok()) << t.status().ToString();

  ASSERT_EQ(j->batches.size(), 1u);
  ASSERT_EQ(t->batches.size(), 1u);
  EXPECT_EQ(IdAt(j->batches[0], 0), IdAt(t->batches[0], 0));
  EXPECT_EQ(IdAt(j->batches[0], 0), HashToHex(HashParts({"orders", "7", "eu"})));
  // The key columns are required identifier fields.
  const Schema& s = *t->batches[0].schema;
  ASSERT_EQ(s.identifier_field_ids().size(), 2u);
  EXPECT_EQ(s.FindFieldById(s.identifier_field_ids()[0])->name, "id");
  EXPECT_TRUE(s.FindFieldById(s.identifier_field_ids()[1])->required);
}

TEST(Normalizer, StatsAndSchemaAcrossBatches) {
  NormalizerOptions o;
  o.table = "ev";
  o.load_id = "L";
  auto n = Make(o);
  auto r1 = n->Normalize(Docs({R"({"a": 1, "l": [1, 2]})", R"({"a": 2})"}));
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  auto r2 = n->Normalize(Docs({R"({"a": "x", "b": true})"}));
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  // The second batch's root batch carries the whole current schema.
  ASSERT_EQ(r2->batches.size(), 1u);
  EXPECT_EQ(r2->batches[0].schema->fields().size(), 5u);   // 2 linking + a, a__v_string, b
  EXPECT_TRUE(r2->batches[0].batch->column(2).IsNull(0));  // a
  ASSERT_EQ(r2->changes.size(), 2u);
  EXPECT_EQ(r2->changes[0].kind, SchemaChange::Kind::kVariantAdded);
  EXPECT_NE(r2->changes[0].ToString().find("ev.a__v_string"), std::string::npos);
  EXPECT_NE(r2->changes[0].ToString().find("in.jsonl:1"), std::string::npos);

  const auto& st = n->stats();
  EXPECT_EQ(st.rows_in, 3);
  EXPECT_EQ(st.rows_out.at("ev"), 3);
  EXPECT_EQ(st.rows_out.at("ev__l"), 2);
  EXPECT_EQ(st.variant_values, 1);
  EXPECT_EQ(n->TableNames(), (std::vector<std::string>{"ev", "ev__l"}));
  ASSERT_NE(n->CurrentSchema("ev__l"), nullptr);
  EXPECT_EQ(n->CurrentSchema("nope"), nullptr);
  EXPECT_EQ(r1->batches[1].parent_table, "ev");
}

TEST(Normalizer, KnownChildTableKeepsItsTypes) {
  NormalizerOptions o;
  o.table = "ev";
  o.load_id = "L";
  auto n = Make(o);
  Schema child({NestedField::Required(1, "_nilus_id", Type::String()),
                NestedField::Required(2, "_nilus_parent_id", Type::String()),
                NestedField::Required(3, "_nilus_list_idx", Type::Long()),
                NestedField::Required(4, "_nilus_root_id", Type::String()),
                NestedField::Optional(5, "value", Type::String())});
  ASSERT_TRUE(n->AddKnownTable("ev__l", child).ok());
  auto r = n->Normalize(Docs({R"({"l": ["a", 5]})"}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->changes.size(), 2u);  // root created, a variant for 5; the child is not new
  EXPECT_EQ(r->changes[0].kind, SchemaChange::Kind::kTableCreated);
  EXPECT_EQ(r->changes[0].table, "ev");
  EXPECT_EQ(r->changes[1].column, "value__v_long");
}

TEST(Normalizer, OptionChecks) {
  NormalizerOptions o;
  o.table = "t";
  o.max_nesting = -1;
  EXPECT_FALSE(Normalizer::Make(o).ok());
  o.max_nesting = 1;
  o.table = "";
  EXPECT_FALSE(Normalizer::Make(o).ok());
  EXPECT_EQ(*ParseContractMode("discard_row"), ContractMode::kDiscardRow);
  auto bad = ParseContractMode("frozen");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("frozen"), std::string::npos);
}

TEST(Normalizer, DocumentWithoutPaddingIsCopied) {
  NormalizerOptions o;
  o.table = "t";
  o.load_id = "L";
  auto n = Make(o);
  DocumentBatch b;
  b.source = "x";
  b.buffer = R"({"a": 1})";  // no padding at all: the parser must not read past the end
  b.docs.push_back({0, static_cast<uint32_t>(b.buffer.size()), 1});
  auto r = n->Normalize(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->batches[0].batch->num_rows(), 1);
}

}  // namespace
}  // namespace nilus::normalize

namespace nilus::normalize {
namespace {

TEST(Normalizer, NumbersBeyondUint64AndNonObjectDocuments) {
  NormalizerOptions o;
  o.table = "t";
  o.load_id = "L";
  auto n = Make(o);
  auto r = n->Normalize(Docs({R"({"n": 123456789012345678901234567890})", "5", "[1, 2]",
                              R"({"s": "12345678901234567890123 \" 12345678901234567890123",
                                  "n": -12345678901234567890123})"}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const NormalizedBatch& root = r->batches[0];
  int n_col = root.schema->FindTopLevelIndex("n");
  ASSERT_GE(n_col, 0);
  // simdjson reads integers beyond 64 bits as doubles.
  EXPECT_EQ(root.schema->fields()[n_col].type->id(), TypeId::kDouble);
  int v_col = root.schema->FindTopLevelIndex("value");
  ASSERT_GE(v_col, 0);
  EXPECT_EQ(root.batch->column(v_col).Value<int64_t>(1), 5);
  int s_col = root.schema->FindTopLevelIndex("s");
  ASSERT_GE(s_col, 0);
  EXPECT_EQ(root.batch->column(s_col).Bytes(3),
            "12345678901234567890123 \" 12345678901234567890123");  // strings untouched
  EXPECT_DOUBLE_EQ(root.batch->column(n_col).Value<double>(3), -12345678901234567890123.0);
  ASSERT_EQ(r->batches.size(), 2u);
  EXPECT_EQ(r->batches[1].table, "t__value");
  EXPECT_EQ(r->batches[1].batch->num_rows(), 2);
}

// A typed source column whose nested ids differ from the destination's (the table assigned its
// own) is the same column, not a type change: no variant column.
TEST(Normalizer, TypedListMatchesKnownColumnWhateverItsIds) {
  NormalizerOptions o;
  o.table = "customers";
  o.load_id = "L";
  auto n = Make(o);
  Schema known({NestedField::Optional(1, "id", Type::Long()),
                NestedField::Optional(2, "tags", Type::List(7, Type::String(), false))});
  ASSERT_TRUE(n->AddKnownTable("customers", known).ok());
  auto schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Optional(1, "id", Type::Long()),
      NestedField::Optional(2, "tags", Type::List(100, Type::String(), false))});
  auto batch = std::make_unique<ColumnBatch>(schema);
  batch->mutable_column(0)->AppendInt64(1);
  batch->mutable_column(1)->mutable_child(0)->AppendBytes("vip");
  batch->mutable_column(1)->AppendListEnd();
  auto r = n->Normalize(std::move(batch), "test");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const SchemaChange& c : r->changes) {
    EXPECT_NE(c.kind, SchemaChange::Kind::kVariantAdded) << c.column;
  }
  ASSERT_FALSE(r->batches.empty());
  const Schema& out = *r->batches[0].schema;
  EXPECT_EQ(out.FindTopLevelIndex("tags__v_list"), -1);
  const int tags = out.FindTopLevelIndex("tags");
  ASSERT_GE(tags, 0);
  EXPECT_EQ(r->batches[0].batch->column(tags).null_count(), 0);
}

}  // namespace
}  // namespace nilus::normalize
