// _nilus_id stability: the same input gives the same ids; with a primary key, ids do not depend
// on the load id, so a re-loaded parent keeps its id and its children's ids.
#include "normalize/nilus_id.h"

#include <gtest/gtest.h>

#include <map>

#include "normalize/normalizer.h"

namespace nilus::normalize {
namespace {

DocumentBatch Docs(const std::vector<std::string>& lines) {
  DocumentBatch b;
  b.source = "in.jsonl";
  int64_t n = 0;
  for (const auto& l : lines) {
    b.docs.push_back({b.buffer.size(), static_cast<uint32_t>(l.size()), ++n});
    b.buffer += l + "\n";
  }
  b.buffer.append(DocumentBatch::kPadding, '\0');
  return b;
}

// Every table's _nilus_id values, in row order.
std::map<std::string, std::vector<std::string>> Ids(const std::string& load_id,
                                                    std::vector<std::string> pk) {
  NormalizerOptions o;
  o.table = "orders";
  o.load_id = load_id;
  o.hints.primary_key = std::move(pk);
  auto norm = Normalizer::Make(o);
  EXPECT_TRUE(norm.ok());
  auto res = (*norm)->Normalize(Docs({
      R"({"id": 7, "lines": [{"sku": "a", "tags": ["x"]}, {"sku": "b"}]})",
      R"({"id": 8, "lines": [{"sku": "c"}]})",
  }));
  EXPECT_TRUE(res.ok()) << res.status().ToString();
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& b : res->batches) {
    int c = b.schema->FindTopLevelIndex("_nilus_id");
    EXPECT_GE(c, 0);
    for (int64_t i = 0; i < b.batch->num_rows(); ++i) {
      out[b.table].emplace_back(b.batch->column(c).Bytes(i));
    }
  }
  return out;
}

TEST(NilusId, SameInputSameIds) {
  auto a = Ids("load-1", {});
  auto b = Ids("load-1", {});
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a["orders"].size(), 2u);
  EXPECT_EQ(a["orders__lines"].size(), 3u);
  EXPECT_EQ(a["orders__lines__tags"].size(), 1u);
  EXPECT_NE(a["orders"][0], a["orders"][1]);
}

TEST(NilusId, WithoutKeyIdsDependOnTheLoad) {
  auto a = Ids("load-1", {});
  auto b = Ids("load-2", {});
  EXPECT_NE(a["orders"], b["orders"]);
  EXPECT_NE(a["orders__lines"], b["orders__lines"]);
}

TEST(NilusId, WithKeyIdsAreStableAcrossLoads) {
  auto a = Ids("load-1", {"id"});
  auto b = Ids("load-2", {"id"});
  EXPECT_EQ(a, b);
  // The documented derivation: root = hash(table, key values), child = hash(parent, table, idx).
  EXPECT_EQ(a["orders"][0], HashToHex(HashParts({"orders", "7"})));
  EXPECT_EQ(a["orders"][1], HashToHex(HashParts({"orders", "8"})));
  EXPECT_EQ(a["orders__lines"][0], ChildRowId(a["orders"][0], "orders__lines", 0));
  EXPECT_EQ(a["orders__lines"][1], ChildRowId(a["orders"][0], "orders__lines", 1));
  EXPECT_EQ(a["orders__lines"][2], ChildRowId(a["orders"][1], "orders__lines", 0));
  EXPECT_EQ(a["orders__lines__tags"][0],
            ChildRowId(a["orders__lines"][0], "orders__lines__tags", 0));
}

TEST(NilusId, HashFormat) {
  std::string h = HashToHex(HashParts({"a", "b"}));
  EXPECT_EQ(h.size(), 16u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(HashParts({"ab", "c"}), HashParts({"a", "bc"}));  // parts are separated
  EXPECT_EQ(HashToHex(0x0123456789abcdefULL), "0123456789abcdef");
  uint64_t back = 0;
  ASSERT_TRUE(ParseHashHex(h, &back));
  EXPECT_EQ(HashToHex(back), h);
  EXPECT_FALSE(ParseHashHex("0123456789ABCDEF", &back));
  EXPECT_FALSE(ParseHashHex("0123", &back));
  EXPECT_EQ(ChildRowId("xyz", "t", 0), "");
  // Child ids differ by parent, table and index.
  std::string p = HashToHex(HashParts({"p"}));
  std::string q = HashToHex(HashParts({"q"}));
  EXPECT_NE(ChildRowId(p, "t", 0), ChildRowId(q, "t", 0));
  EXPECT_NE(ChildRowId(p, "t", 0), ChildRowId(p, "u", 0));
  EXPECT_NE(ChildRowId(p, "t", 0), ChildRowId(p, "t", 1));
}

}  // namespace
}  // namespace nilus::normalize
