// Table-driven golden cases for the Normalizer: every tests/data/normalize/<case>.json names its
// input (a JSON Lines file beside it, CSV rows, or typed rows), the options, and the expected
// output tables, schema changes, counters or error. See tests/data/normalize/README.md.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/value.h"
#include "normalize/normalizer.h"
#include "normalize/text_parse.h"

namespace nilus::normalize {
namespace {

using nlohmann::json;

std::filesystem::path DataDir() {
  return std::filesystem::path(__FILE__).parent_path() / "../../tests/data/normalize";
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "long", "decimal(10,2)", ... -> a Type.
TypePtr ParseType(const std::string& s) {
  if (s == "boolean") return Type::Boolean();
  if (s == "int") return Type::Int();
  if (s == "long") return Type::Long();
  if (s == "float") return Type::Float();
  if (s == "double") return Type::Double();
  if (s == "date") return Type::Date();
  if (s == "time") return Type::Time();
  if (s == "timestamp") return Type::Timestamp();
  if (s == "timestamptz") return Type::TimestampTz();
  if (s == "string") return Type::String();
  if (s == "uuid") return Type::Uuid();
  int p = 0, sc = 0;
  if (std::sscanf(s.c_str(), "decimal(%d,%d)", &p, &sc) == 2) return Type::Decimal(p, sc);
  ADD_FAILURE() << "unknown type in test case: " << s;
  return Type::String();
}

// "name: type[ required]" -> a field.
NestedField ParseField(const std::string& spec, int32_t id) {
  auto colon = spec.find(": ");
  std::string name = spec.substr(0, colon);
  std::string rest = spec.substr(colon + 2);
  bool required = false;
  if (rest.size() > 9 && rest.substr(rest.size() - 9) == " required") {
    required = true;
    rest = rest.substr(0, rest.size() - 9);
  }
  return {id, name, ParseType(rest), required, {}};
}

std::string FieldSpec(const NestedField& f) {
  return f.name + ": " + f.type->ToString() + (f.required ? " required" : "");
}

json Cell(const Column& c, int64_t i) {
  if (c.IsNull(i)) return nullptr;
  const Type& t = c.type_ref();
  switch (t.id()) {
    case TypeId::kBoolean:
      return c.Value<uint8_t>(i) != 0;
    case TypeId::kInt:
    case TypeId::kDate:
      if (t.id() == TypeId::kDate) return DateToString(c.Value<int32_t>(i));
      return c.Value<int32_t>(i);
    case TypeId::kLong:
      return c.Value<int64_t>(i);
    case TypeId::kFloat:
      return c.Value<float>(i);
    case TypeId::kDouble:
      return c.Value<double>(i);
    case TypeId::kDecimal:
      return DecimalToString(c.Value<__int128>(i), t.scale());
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return TimestampToString(c.Value<int64_t>(i));
    case TypeId::kTime:
      return TimeToString(c.Value<int64_t>(i));
    case TypeId::kUuid:
      return HexEncode(c.Bytes(i));
    default:
      return std::string(c.Bytes(i));
  }
}

void AppendJson(Column* c, const json& v) {
  if (v.is_null()) {
    c->AppendNull();
    return;
  }
  const Type& t = c->type_ref();
  switch (t.id()) {
    case TypeId::kBoolean:
      c->AppendBool(v.get<bool>());
      break;
    case TypeId::kInt:
      c->AppendInt32(v.get<int32_t>());
      break;
    case TypeId::kLong:
      c->AppendInt64(v.get<int64_t>());
      break;
    case TypeId::kFloat:
      c->AppendFloat(v.get<float>());
      break;
    case TypeId::kDouble:
      c->AppendDouble(v.get<double>());
      break;
    case TypeId::kDecimal: {
      __int128 u = 0;
      EXPECT_TRUE(ParseDecimalText(v.get<std::string>(), t.precision(), t.scale(), &u));
      c->AppendDecimal(u);
      break;
    }
    case TypeId::kDate: {
      int32_t d = 0;
      EXPECT_TRUE(ParseDateText(v.get<std::string>(), &d));
      c->AppendInt32(d);
      break;
    }
    case TypeId::kTimestamp: {
      int64_t us = 0;
      EXPECT_TRUE(ParseTimestampText(v.get<std::string>(), &us));
      c->AppendInt64(us);
      break;
    }
    default:
      c->AppendBytes(v.get<std::string>());
  }
}

ContractMode Mode(const json& j, const char* key) {
  if (!j.contains(key)) return ContractMode::kEvolve;
  auto m = ParseContractMode(j[key].get<std::string>());
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : ContractMode::kEvolve;
}

std::string ChangeSpec(const SchemaChange& c) {
  switch (c.kind) {
    case SchemaChange::Kind::kTableCreated:
      return "table_created " + c.table;
    case SchemaChange::Kind::kColumnAdded:
      return "column_added " + c.table + "." + c.column + " " + c.new_type->ToString();
    case SchemaChange::Kind::kColumnWidened:
      return "column_widened " + c.table + "." + c.column + " " + c.old_type->ToString() + "->" +
             c.new_type->ToString();
    case SchemaChange::Kind::kVariantAdded:
      return "variant_added " + c.table + "." + c.column + " " + c.new_type->ToString();
  }
  return "?";
}

// Input split into the batches given to Normalize, one call each.
struct CaseInput {
  std::vector<DocumentBatch> docs;
  std::vector<TextBatch> texts;
  std::vector<std::unique_ptr<ColumnBatch>> typed;
};

CaseInput LoadInput(const json& spec, const std::string& case_name) {
  CaseInput in;
  const json& input = spec["input"];
  if (input.contains("jsonl")) {
    std::string file = input["jsonl"].get<std::string>();
    std::istringstream lines(ReadFile(DataDir() / file));
    std::string line;
    int64_t n = 0;
    in.docs.emplace_back();
    in.docs.back().source = file;
    while (std::getline(lines, line)) {
      ++n;
      if (line == "#batch") {  // starts the next Normalize call
        in.docs.emplace_back();
        in.docs.back().source = file;
        continue;
      }
      if (line.empty()) continue;
      DocumentBatch& b = in.docs.back();
      b.docs.push_back({b.buffer.size(), static_cast<uint32_t>(line.size()), n});
      b.buffer += line;
      b.buffer += '\n';
    }
    for (auto& b : in.docs) b.buffer.append(DocumentBatch::kPadding, '\0');
  }
  const json csv_batches = input.value("csv_batches", json::array());
  for (const json& batch : csv_batches) {
    TextBatch t;
    t.source = case_name + ".csv";
    for (const auto& c : batch["columns"]) t.column_names.push_back(c.get<std::string>());
    int64_t line = batch.value("first_line", 2);
    for (const auto& row : batch["rows"]) {
      for (const auto& cell : row) {
        std::string text = cell.is_null() ? "" : cell.get<std::string>();
        t.nulls.push_back(cell.is_null() ? 1 : 0);
        t.cells.push_back(
            {static_cast<uint32_t>(t.buffer.size()), static_cast<uint32_t>(text.size())});
        t.buffer += text;
      }
      t.lines.push_back(line++);
    }
    in.texts.push_back(std::move(t));
  }
  const json typed_batches = input.value("typed_batches", json::array());
  for (const json& batch : typed_batches) {
    std::vector<NestedField> fields;
    for (const auto& c : batch["columns"]) {
      fields.push_back(ParseField(c.get<std::string>(), static_cast<int32_t>(fields.size()) + 1));
    }
    auto b = std::make_unique<ColumnBatch>(std::make_shared<Schema>(fields));
    for (const auto& row : batch["rows"]) {
      for (size_t c = 0; c < fields.size(); ++c) AppendJson(b->mutable_column(c), row[c]);
    }
    in.typed.push_back(std::move(b));
  }
  return in;
}

struct TableOut {
  SchemaPtr schema;
  std::string parent;
  std::vector<json> rows;  // objects keyed by column name
};

class NormalizeGolden : public testing::TestWithParam<std::string> {};

TEST_P(NormalizeGolden, Case) {
  const std::string name = GetParam();
  json spec = json::parse(ReadFile(DataDir() / (name + ".json")));
  const json o = spec.value("options", json::object());

  NormalizerOptions opts;
  opts.table = o.value("table", "events");
  opts.load_id = o.value("load_id", "load-1");
  opts.max_nesting = o.value("max_nesting", 5);
  if (o.contains("contract")) {
    opts.contract.tables = Mode(o["contract"], "tables");
    opts.contract.columns = Mode(o["contract"], "columns");
    opts.contract.data_type = Mode(o["contract"], "data_type");
  }
  const json primary_key = o.value("primary_key", json::array());
  for (const auto& k : primary_key) {
    opts.hints.primary_key.push_back(k.get<std::string>());
  }
  const json hints = o.value("hints", json::object());
  for (const auto& [col, h] : hints.items()) {
    ColumnHint hint;
    if (h.contains("type")) hint.type = ParseType(h["type"].get<std::string>());
    if (h.contains("nullable")) hint.nullable = h["nullable"].get<bool>();
    opts.hints.columns[col] = hint;
  }
  auto made = Normalizer::Make(opts);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto norm = std::move(made).value();
  const json known = spec.value("known", json::object());
  for (const auto& [table, cols] : known.items()) {
    std::vector<NestedField> fields;
    for (const auto& c : cols) {
      fields.push_back(ParseField(c.get<std::string>(), static_cast<int32_t>(fields.size()) + 1));
    }
    ASSERT_TRUE(norm->AddKnownTable(table, Schema(fields)).ok());
  }

  CaseInput input = LoadInput(spec, name);
  std::vector<NormalizeResult> results;
  Status error;
  auto take = [&](Result<NormalizeResult> r) {
    if (!r.ok()) {
      error = r.status();
      return false;
    }
    results.push_back(std::move(r).value());
    return true;
  };
  for (const auto& d : input.docs) {
    if (!take(norm->Normalize(d))) break;
  }
  for (const auto& t : input.texts) {
    if (error.ok() && !take(norm->Normalize(t))) break;
  }
  for (auto& t : input.typed) {
    if (error.ok() && !take(norm->Normalize(std::move(t), name + ".typed"))) break;
  }

  const json& expect = spec["expect"];
  if (expect.contains("error")) {
    ASSERT_FALSE(error.ok()) << "expected an error";
    for (const auto& part : expect["error"]) {
      EXPECT_NE(error.message().find(part.get<std::string>()), std::string::npos)
          << "error message: " << error.message() << "\nmissing: " << part;
    }
    return;
  }
  ASSERT_TRUE(error.ok()) << error.ToString();

  std::map<std::string, TableOut> tables;
  std::vector<std::string> changes;
  for (auto& r : results) {
    for (const auto& c : r.changes) changes.push_back(ChangeSpec(c));
    for (auto& b : r.batches) {
      ASSERT_TRUE(b.batch->Validate().ok()) << b.table << ": " << b.batch->Validate().ToString();
      ASSERT_TRUE(b.schema->Validate().ok()) << b.schema->Validate().ToString();
      ASSERT_EQ(b.batch->schema().get(), b.schema.get());
      TableOut& t = tables[b.table];
      t.schema = b.schema;
      t.parent = b.parent_table;
      for (int64_t i = 0; i < b.batch->num_rows(); ++i) {
        json row = json::object();
        for (int c = 0; c < b.batch->num_columns(); ++c) {
          row[b.schema->fields()[c].name] = Cell(b.batch->column(c), i);
        }
        t.rows.push_back(std::move(row));
      }
    }
  }

  if (expect.contains("changes")) {
    std::vector<std::string> want = expect["changes"].get<std::vector<std::string>>();
    EXPECT_EQ(changes, want);
  }
  if (expect.contains("stats")) {
    const auto& st = norm->stats();
    const json& s = expect["stats"];
    if (s.contains("rows_in")) {
      EXPECT_EQ(st.rows_in, s["rows_in"].get<int64_t>());
    }
    if (s.contains("rows_discarded")) {
      EXPECT_EQ(st.rows_discarded, s["rows_discarded"].get<int64_t>());
    }
    if (s.contains("values_discarded")) {
      EXPECT_EQ(st.values_discarded, s["values_discarded"].get<int64_t>());
    }
    if (s.contains("variant_values")) {
      EXPECT_EQ(st.variant_values, s["variant_values"].get<int64_t>());
    }
  }

  const json& want_tables = expect["tables"];
  std::set<std::string> got_names, want_names;
  for (const auto& [n, t] : tables) got_names.insert(n);
  for (const auto& [n, t] : want_tables.items()) want_names.insert(n);
  EXPECT_EQ(got_names, want_names);

  for (const auto& [tname, want] : want_tables.items()) {
    SCOPED_TRACE("table " + tname);
    auto it = tables.find(tname);
    if (it == tables.end()) continue;
    const TableOut& got = it->second;
    if (want.contains("columns")) {
      std::vector<std::string> got_cols;
      for (const auto& f : got.schema->fields()) got_cols.push_back(FieldSpec(f));
      EXPECT_EQ(got_cols, want["columns"].get<std::vector<std::string>>());
    }
    if (want.contains("parent")) {
      EXPECT_EQ(got.parent, want["parent"].get<std::string>());
    }
    if (!want.contains("rows")) continue;
    ASSERT_EQ(got.rows.size(), want["rows"].size());
    for (size_t r = 0; r < got.rows.size(); ++r) {
      const json& w = want["rows"][r];
      const json& g = got.rows[r];
      for (const auto& [col, v] : g.items()) {
        if (col == "_nilus_id" || col == "_nilus_parent_id" || col == "_nilus_load_id" ||
            col == "_nilus_root_id") {
          if (!w.contains(col)) continue;
        }
        json expected = w.contains(col) ? w[col] : json(nullptr);
        EXPECT_EQ(v, expected) << "row " << r << " column " << col;
      }
      for (const auto& [col, v] : w.items()) {
        if (col == "^parent") {
          const TableOut& p = tables.at(got.parent);
          ASSERT_LT(v.get<size_t>(), p.rows.size());
          EXPECT_EQ(g["_nilus_parent_id"], p.rows[v.get<size_t>()]["_nilus_id"])
              << "row " << r << " is not linked to parent row " << v;
          continue;
        }
        EXPECT_TRUE(g.contains(col)) << "row " << r << " has no column " << col;
      }
    }
  }

  // Linking invariants, on every case: ids are 16 hex digits and unique per table, and every
  // child row points at an existing parent row.
  for (const auto& [tname, t] : tables) {
    std::set<std::string> ids;
    for (const auto& row : t.rows) {
      ASSERT_TRUE(row.contains("_nilus_id")) << tname;
      std::string id = row["_nilus_id"].get<std::string>();
      EXPECT_EQ(id.size(), 16u);
      EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
      EXPECT_TRUE(ids.insert(id).second) << "duplicate _nilus_id in " << tname;
    }
    if (t.parent.empty()) {
      for (const auto& row : t.rows) EXPECT_EQ(row["_nilus_load_id"], opts.load_id);
      continue;
    }
    std::set<std::string> parent_ids;
    for (const auto& row : tables.at(t.parent).rows) {
      parent_ids.insert(row["_nilus_id"].get<std::string>());
    }
    for (const auto& row : t.rows) {
      EXPECT_TRUE(parent_ids.count(row["_nilus_parent_id"].get<std::string>()))
          << "orphan row in " << tname;
    }
  }
  // Every child row's _nilus_root_id is the _nilus_id of the root row it descends from, found
  // by following _nilus_parent_id up the tables.
  std::map<std::string, std::pair<std::string, std::string>> up;  // id -> (table, parent id)
  for (const auto& [tname, t] : tables) {
    for (const auto& row : t.rows) {
      up[row["_nilus_id"].get<std::string>()] = {
          tname, t.parent.empty() ? "" : row["_nilus_parent_id"].get<std::string>()};
    }
  }
  for (const auto& [tname, t] : tables) {
    if (t.parent.empty()) continue;
    for (const auto& row : t.rows) {
      std::string id = row["_nilus_parent_id"].get<std::string>();
      for (int guard = 0; guard < 64 && up.count(id) && !up[id].second.empty(); ++guard) {
        id = up[id].second;
      }
      ASSERT_TRUE(row.contains("_nilus_root_id")) << tname;
      EXPECT_EQ(row["_nilus_root_id"].get<std::string>(), id) << "root id of a row in " << tname;
    }
  }
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(DataDir())) {
    if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Cases, NormalizeGolden, testing::ValuesIn(CaseNames()),
                         [](const testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace nilus::normalize
