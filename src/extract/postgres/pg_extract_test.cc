// The PostgreSQL extractor against a real server. The URL comes from NILUS_TEST_PG_URL (set by
// scripts/test, or `export NILUS_TEST_PG_URL=$(scripts/pg start DIR)`); without it every test
// here is skipped.
//
// Decoded values are compared with what PostgreSQL itself computes for the same rows (text
// casts, epoch arithmetic, encode(..., 'hex')), not with hard-coded results.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/value.h"
#include "extract/postgres/pg_connection.h"
#include "extract/postgres/pg_copy_reader.h"
#include "extract/postgres/pg_table_reader.h"
#include "extract/postgres/pg_types.h"

namespace nilus {
namespace {

std::string Unique(const std::string& stem) {
  return "nilus_pgx_" + stem + "_" + std::to_string(getpid());
}

// A decoded cell as text comparable with the expectation queries below.
std::optional<std::string> Format(const Column& c, int64_t i) {
  if (c.IsNull(i)) return std::nullopt;
  switch (c.type()->id()) {
    case TypeId::kBoolean:
      return c.Value<uint8_t>(i) ? "true" : "false";
    case TypeId::kInt:
    case TypeId::kDate:
      return std::to_string(c.Value<int32_t>(i));
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return std::to_string(c.Value<int64_t>(i));
    case TypeId::kFloat:
      return fmt::format("{}", c.Value<float>(i));
    case TypeId::kDouble:
      return fmt::format("{}", c.Value<double>(i));
    case TypeId::kDecimal:
      return DecimalToString(c.Value<__int128>(i), c.type()->scale());
    case TypeId::kString:
      return std::string(c.Bytes(i));
    case TypeId::kBinary:
    case TypeId::kUuid:
      return HexEncode(c.Bytes(i));
    default:
      return "<nested>";
  }
}

// Floats are compared as numbers: PostgreSQL's shortest text and fmt's may differ in spelling.
bool SameFloat(TypeId id, const std::string& decoded, const std::string& expected) {
  if (id == TypeId::kFloat) {
    const float a = std::strtof(decoded.c_str(), nullptr);
    const float b = std::strtof(expected.c_str(), nullptr);
    return (std::isnan(a) && std::isnan(b)) || a == b;
  }
  const double a = std::strtod(decoded.c_str(), nullptr);
  const double b = std::strtod(expected.c_str(), nullptr);
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

class PgExtractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("NILUS_TEST_PG_URL");
    if (url == nullptr || *url == '\0') {
      GTEST_SKIP() << "NILUS_TEST_PG_URL is not set; run scripts/test or export "
                      "NILUS_TEST_PG_URL=$(scripts/pg start DIR)";
    }
    url_ = url;
    auto conn = PgConnection::Open(url_);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_ = std::move(*conn);
  }
  void TearDown() override {
    for (const auto& sql : cleanup_) (void)conn_->Exec(sql);
  }

  void Exec(const std::string& sql) {
    Status st = conn_->Exec(sql);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  // id -> the expression's text (nullopt for NULL).
  std::map<int64_t, std::optional<std::string>> Expected(const std::string& table,
                                                         const std::string& expr) {
    std::map<int64_t, std::optional<std::string>> out;
    auto rows = conn_->Query("SELECT id, " + expr + " FROM " + table + " ORDER BY id");
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok()) return out;
    for (int r = 0; r < rows->num_rows(); ++r) {
      out[*rows->GetInt(r, 0)] =
          rows->IsNull(r, 1) ? std::nullopt : std::optional<std::string>(rows->Get(r, 1));
    }
    return out;
  }

  // Reads a whole table through PgTableReader.
  std::vector<std::unique_ptr<ColumnBatch>> ReadAll(const std::string& table,
                                                    PgTableReadOptions options, Status* error) {
    std::vector<std::unique_ptr<ColumnBatch>> out;
    auto reader = PgTableReader::Open(url_, table, options);
    if (!reader.ok()) {
      *error = reader.status();
      return out;
    }
    while (true) {
      auto b = (*reader)->Next();
      if (!b.ok()) {
        *error = b.status();
        return out;
      }
      if (*b == nullptr) break;
      EXPECT_TRUE((*b)->Validate().ok()) << (*b)->Validate().ToString();
      out.push_back(std::move(*b));
    }
    return out;
  }

  std::string url_;
  std::unique_ptr<PgConnection> conn_;
  std::vector<std::string> cleanup_;
};

struct ZooColumn {
  const char* name;
  const char* decl;
  const char* iceberg;   // expected Iceberg type
  const char* expected;  // SQL giving the text Format() must produce ("$c" is the column)
};

// Every mapped type. `expected` is computed by PostgreSQL per row.
const std::vector<ZooColumn>& ZooColumns() {
  static const std::vector<ZooColumn> cols = {
      {"b", "bool", "boolean", "$c::text"},
      {"i2", "int2", "int", "$c::text"},
      {"i4", "int4", "int", "$c::text"},
      {"i8", "int8", "long", "$c::text"},
      {"f4", "float4", "float", "$c::text"},
      {"f8", "float8", "double", "$c::text"},
      {"n", "numeric(20,5)", "decimal(20,5)", "CASE WHEN $c = 'NaN' THEN NULL ELSE $c::text END"},
      {"nbig", "numeric(60,10)", "string", "$c::text"},
      {"nneg", "numeric(3,-2)", "decimal(5,0)", "$c::text"},
      {"nsmall", "numeric(3,5)", "decimal(5,5)", "$c::text"},
      {"nu", "numeric", "decimal(38,9)",
       "CASE WHEN $c IN ('NaN', 'Infinity', '-Infinity') THEN NULL ELSE $c::numeric(38,9)::text "
       "END"},
      {"t", "text", "string", "$c"},
      {"vc", "varchar(10)", "string", "$c"},
      {"bp", "char(5)", "string", "$c"},
      {"nm", "name", "string", "$c"},
      {"by", "bytea", "binary", "encode($c, 'hex')"},
      {"d", "date", "date", "CASE WHEN isfinite($c) THEN ($c - DATE '1970-01-01')::text END"},
      {"tm", "time", "time", "(extract(epoch FROM $c) * 1000000)::bigint::text"},
      {"ts", "timestamp", "timestamp",
       "CASE WHEN isfinite($c) THEN (extract(epoch FROM $c) * 1000000)::bigint::text END"},
      {"tstz", "timestamptz", "timestamptz",
       "CASE WHEN isfinite($c) THEN (extract(epoch FROM $c) * 1000000)::bigint::text END"},
      {"iv", "interval", "string", "$c::text"},
      {"u", "uuid", "uuid", "replace($c::text, '-', '')"},
      {"j", "json", "string", "$c::text"},
      {"jb", "jsonb", "string", "$c::text"},
      {"en", "MOOD", "string", "$c::text"},
      {"ip", "inet", "string", "$c::text"},
      {"cid", "cidr", "string", "$c::text"},
      {"mac", "macaddr", "string", "$c::text"},
      {"mon", "money", "string", "$c::text"},
      {"ttz", "timetz", "string", "$c::text"},
      {"pt", "point", "string", "$c::text"},
      {"dpos", "POSINT", "int", "$c::text"},
      {"dm", "PRICE", "decimal(8,2)", "$c::text"},
  };
  return cols;
}

struct ZooArray {
  const char* name;
  const char* decl;
  const char* iceberg;
  const char* element_expected;  // SQL over the unnested element "e"
};

const std::vector<ZooArray>& ZooArrays() {
  static const std::vector<ZooArray> cols = {
      {"ai", "int4[]", "list<int>", "e::text"},
      {"at", "text[]", "list<string>", "e"},
      {"an", "numeric(10,2)[]", "list<decimal(10,2)>", "e::text"},
      {"ae", "MOOD[]", "list<string>", "e::text"},
      {"ats", "timestamptz[]", "list<timestamptz>",
       "CASE WHEN isfinite(e) THEN (extract(epoch FROM e) * 1000000)::bigint::text END"},
      {"aiv", "interval[]", "list<string>", "e::text"},
  };
  return cols;
}

TEST_F(PgExtractTest, TypeZooDecodesEveryMappedTypeExactly) {
  const std::string table = Unique("zoo");
  const std::string mood = Unique("mood"), posint = Unique("posint"), price = Unique("price");
  cleanup_ = {"DROP TABLE IF EXISTS " + table, "DROP TYPE IF EXISTS " + mood + " CASCADE",
              "DROP DOMAIN IF EXISTS " + posint + " CASCADE",
              "DROP DOMAIN IF EXISTS " + price + " CASCADE"};
  for (const auto& sql : cleanup_) Exec(sql);
  Exec("CREATE TYPE " + mood + " AS ENUM ('sad', 'ok', 'happy')");
  Exec("CREATE DOMAIN " + posint + " AS int4 CHECK (VALUE > 0)");
  Exec("CREATE DOMAIN " + price + " AS numeric(8,2)");
  auto subst = [&](std::string decl) {
    for (auto [from, to] : {std::pair<std::string, std::string>{"MOOD", mood},
                            {"POSINT", posint},
                            {"PRICE", price}}) {
      const size_t p = decl.find(from);
      if (p != std::string::npos) decl.replace(p, from.size(), to);
    }
    return decl;
  };
  std::string ddl = "CREATE TABLE " + table + " (id int PRIMARY KEY";
  for (const auto& c : ZooColumns()) ddl += std::string(", ") + c.name + " " + subst(c.decl);
  for (const auto& c : ZooArrays()) ddl += std::string(", ") + c.name + " " + subst(c.decl);
  ddl += ")";
  Exec(ddl);

  const std::string cols =
      "id, b, i2, i4, i8, f4, f8, n, nbig, nneg, nsmall, nu, t, vc, bp, nm, by, d, tm, ts, tstz, "
      "iv, u, j, jb, en, ip, cid, mac, mon, ttz, pt, dpos, dm, ai, at, an, ae, ats, aiv";
  // Typical values.
  Exec("INSERT INTO " + table + " (" + cols +
       ") VALUES (1, true, 12, 123456, 1234567890123, 1.5, 3.141592653589793, 12345.6789, "
       "'123456789012345678901234567890123456789012345678.0123456789', 12345, 0.00123, 42.5, "
       "'hello', 'varchar', 'ab', 'nm1', '\\x00ff10', '2024-02-29', '13:45:56.123456', "
       "'2024-02-29 23:59:59.123456', '2024-02-29 23:59:59.123456+02', "
       "'1 year 2 mons 3 days 04:05:06.5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', "
       "'{\"a\": [1, 2]}', '{\"b\": {\"c\": null}, \"a\": 1}', 'happy', '192.168.1.1/24', "
       "'10.0.0.0/8', '08:00:2b:01:02:03', 12.34, '10:00:00+05', '(1,2)', 7, 123456.78, "
       "'{1,2,3}', '{\"x\",\"y z\"}', '{1.10,-2.25}', '{sad,happy}', "
       "'{\"2020-01-01 00:00:00+00\",\"1999-12-31 23:59:59.999999+00\"}', '{\"1 day\",\"-2 "
       "hours\"}')");
  // Every column NULL.
  Exec("INSERT INTO " + table + " (id) VALUES (2)");
  // Minimums, specials and edge cases.
  Exec("INSERT INTO " + table + " (" + cols +
       ") VALUES (3, false, -32768, -2147483648, -9223372036854775808, '-Infinity', 'NaN', "
       "'NaN', '-99999999999999999999999999999999999999999999999999.9999999999', -99900, "
       "-0.00999, 'NaN', 'h\xC3\xA9llo w\xC3\xB6rld \xE2\x9C\x93 \xF0\x9F\x98\x80 "
       "\xE4\xB8\xAD\xE6\x96\x87', '', '     ', '', decode(repeat('ab', 1048576), 'hex'), "
       "'-infinity', '00:00:00', '-infinity', 'infinity', '-1 year -2 mons +3 days -04:05:06', "
       "'00000000-0000-0000-0000-000000000000', '[]', '{}', 'sad', '::1', '::/0', "
       "'ff:ff:ff:ff:ff:ff', '-92233720368547758.08', '00:00:00-12', '(-1.5,1e-300)', "
       "2147483647, -999999.99, '{}', '{NULL,\"\",x}', '{NULL}', '{}', '{infinity,NULL}', "
       "'{}')");
  // Maximums, multi-dimensional arrays, more numeric shapes.
  Exec("INSERT INTO " + table + " (" + cols +
       ") VALUES (4, true, 32767, 2147483647, 9223372036854775807, 3.4028235e38, "
       "1.7976931348623157e308, 999999999999999.99999, '0.0000000001', 99900, 0.00999, "
       "'99999999999999999999999999999.999999999', E'quote'' \"dq\" \\\\ tab\\t nl\\n end', "
       "'\xC3\xA9\xC3\xA9\xC3\xA9', 'xyzzy', 'a b', '\\x', 'infinity', '24:00:00', "
       "'0001-01-01 00:00:00', '1969-12-31 23:59:59.999999+00', '0', "
       "'ffffffff-ffff-ffff-ffff-ffffffffffff', '\"s\"', '[1, \"x\", null, true, 1.5e300]', "
       "'ok', '2001:db8::ff00:42:8329', '2001:db8::/32', '00:00:00:00:00:00', "
       "92233720368547758.07, '23:59:59.999999+14', '(0,0)', 1, 0, '{{1,2},{3,4}}', "
       "'{{a,NULL},{\"\xE2\x9C\x93\",d}}', '{{1.5,NULL},{NULL,-2}}', '{{ok},{sad}}', "
       "'{-infinity}', '{\"1 mon -1 day 00:00:00.000001\"}')");
  // Small and large magnitudes of unconstrained numeric, and -Infinity/Infinity in it.
  Exec("INSERT INTO " + table +
       " (id, nu, n, nneg, f4, f8) VALUES (5, 'Infinity', -0.00001, 0, 'NaN', '-0'), "
       "(6, '-Infinity', 0, 100, 1e-45, 5e-324), (7, 0.000000001, 1, -100, -1, -1), "
       "(8, -12345678901234567890123456789.123456789, NULL, NULL, NULL, NULL), (9, 10000, 1e14, "
       "NULL, NULL, NULL)");

  Status error;
  PgTableReadOptions options;
  options.connections = 1;
  options.copy.batch_rows = 4;  // several batches
  auto batches = ReadAll(table, options, &error);
  ASSERT_TRUE(error.ok()) << error.ToString();

  // The schema: Iceberg types, field ids, required id, identifier field = primary key.
  auto described = DescribePgTable(conn_.get(), table, PgTypePolicy{});
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  const Schema& schema = *described->info.schema;
  ASSERT_EQ(schema.fields().size(), 1 + ZooColumns().size() + ZooArrays().size());
  EXPECT_EQ(schema.fields()[0].type->ToString(), "int");
  EXPECT_TRUE(schema.fields()[0].required);
  EXPECT_EQ(schema.identifier_field_ids(), std::vector<int32_t>{1});
  EXPECT_EQ(described->info.primary_key, std::vector<std::string>{"id"});
  for (size_t i = 0; i < schema.fields().size(); ++i) {
    EXPECT_EQ(schema.fields()[i].id, static_cast<int32_t>(i + 1));
  }
  auto field_type = [&](const std::string& name) {
    return schema.fields()[schema.FindTopLevelIndex(name)].type->ToString();
  };
  for (const auto& c : ZooColumns()) EXPECT_EQ(field_type(c.name), c.iceberg) << c.name;
  for (const auto& c : ZooArrays()) EXPECT_EQ(field_type(c.name), c.iceberg) << c.name;

  // Index the decoded rows by id.
  std::map<int64_t, std::pair<const ColumnBatch*, int64_t>> rows;
  for (const auto& b : batches) {
    for (int64_t r = 0; r < b->num_rows(); ++r) {
      rows[b->column(0).Value<int32_t>(r)] = {b.get(), r};
    }
  }
  ASSERT_EQ(rows.size(), 9u);

  int compared = 0;  // non-null cells checked
  for (const auto& c : ZooColumns()) {
    std::string expr = c.expected;
    for (size_t p; (p = expr.find("$c")) != std::string::npos;) expr.replace(p, 2, c.name);
    const auto expected = Expected(table, expr);
    const int col = schema.FindTopLevelIndex(c.name);
    for (const auto& [id, want] : expected) {
      SCOPED_TRACE(std::string(c.name) + " id " + std::to_string(id) + " expr " + expr);
      const auto [batch, r] = rows.at(id);
      const Column& column = batch->column(col);
      const auto got = Format(column, r);
      ASSERT_EQ(got.has_value(), want.has_value()) << (got ? *got : "NULL");
      if (!want) continue;
      ++compared;
      const TypeId tid = column.type()->id();
      if (tid == TypeId::kFloat || tid == TypeId::kDouble) {
        EXPECT_TRUE(SameFloat(tid, *got, *want)) << *got << " vs " << *want;
      } else {
        EXPECT_EQ(*got, *want);
      }
    }
  }

  for (const auto& c : ZooArrays()) {
    SCOPED_TRACE(c.name);
    const int col = schema.FindTopLevelIndex(c.name);
    // Null arrays and lengths (cardinality counts every element of every dimension).
    const auto lengths = Expected(table, std::string("cardinality(") + c.name + ")::text");
    for (const auto& [id, want] : lengths) {
      const auto [batch, r] = rows.at(id);
      const Column& list = batch->column(col);
      ASSERT_EQ(list.IsValid(r), want.has_value()) << "id " << id;
      if (want) {
        EXPECT_EQ(std::to_string(list.offsets()[r + 1] - list.offsets()[r]), *want) << "id " << id;
      }
    }
    // Elements in row-major order (unnest flattens the same way).
    auto elems =
        conn_->Query("SELECT id, ord, " + std::string(c.element_expected) + " FROM " + table +
                     ", unnest(" + c.name + ") WITH ORDINALITY AS u(e, ord) ORDER BY id, ord");
    ASSERT_TRUE(elems.ok()) << elems.status().ToString();
    ASSERT_GT(elems->num_rows(), 0);
    for (int i = 0; i < elems->num_rows(); ++i) {
      const int64_t id = *elems->GetInt(i, 0);
      const int64_t ord = *elems->GetInt(i, 1);
      const auto [batch, r] = rows.at(id);
      const Column& list = batch->column(col);
      const auto got = Format(list.child(0), list.offsets()[r] + ord - 1);
      SCOPED_TRACE("id " + std::to_string(id) + " element " + std::to_string(ord));
      ASSERT_EQ(got.has_value(), !elems->IsNull(i, 2));
      if (got) EXPECT_EQ(*got, elems->Get(i, 2));
      ++compared;
    }
  }
  // Guards against a vacuous pass (144 cells when written).
  EXPECT_GT(compared, 120);
  std::printf("type zoo: %d non-null cells compared\n", compared);
}

TEST_F(PgExtractTest, PolicyCountersAndStrictUnconstrainedNumeric) {
  const std::string table = Unique("policy");
  cleanup_ = {"DROP TABLE IF EXISTS " + table};
  Exec(cleanup_[0]);
  Exec("CREATE TABLE " + table + " (id int, nu numeric, d date, ts timestamptz)");
  Exec("INSERT INTO " + table +
       " VALUES (1, 'NaN', 'infinity', '-infinity'), (2, 'Infinity', '2020-01-01', "
       "'infinity'), (3, 1.5, '-infinity', now())");
  auto conn = PgConnection::Open(url_);
  ASSERT_TRUE(conn.ok());
  auto desc = DescribePgTable(conn->get(), table, PgTypePolicy{});
  ASSERT_TRUE(desc.ok()) << desc.status().ToString();
  auto reader = PgCopyReader::Open(conn->get(), *desc, PgCopySql(*desc));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  int64_t rows = 0;
  while (true) {
    auto b = (*reader)->Next();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    if (*b == nullptr) break;
    rows += (*b)->num_rows();
  }
  EXPECT_EQ(rows, 3);
  auto counts = conn_->Query(
      "SELECT count(*) FILTER (WHERE nu IN ('NaN', 'Infinity', '-Infinity')), "
      "count(*) FILTER (WHERE NOT isfinite(d)) + count(*) FILTER (WHERE NOT isfinite(ts)) FROM " +
      table);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*reader)->stats().numeric_special_nulls, *counts->GetInt(0, 0));
  EXPECT_EQ((*reader)->stats().infinity_nulls, *counts->GetInt(0, 1));
  EXPECT_EQ((*reader)->rows_read(), 3);
  EXPECT_GT((*reader)->bytes_read(), 0);

  // A value with more fractional digits than decimal(38,9) holds: a clear TypeError by default,
  // kept exactly under the string policy.
  Exec("INSERT INTO " + table + " (id, nu) VALUES (4, 1.0000000001)");
  Status error;
  PgTableReadOptions options;
  ReadAll(table, options, &error);
  EXPECT_EQ(error.code(), StatusCode::kTypeError) << error.ToString();
  EXPECT_NE(error.message().find("nu"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("1.0000000001"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find(table), std::string::npos) << error.message();

  options.types.unconstrained_numeric = PgTypePolicy::UnconstrainedNumeric::kString;
  error = Status::OK();
  options.where = "id = $1";
  options.params = {"4"};
  auto batches = ReadAll(table, options, &error);
  ASSERT_TRUE(error.ok()) << error.ToString();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0]->column(1).type()->ToString(), "string");
  EXPECT_EQ(batches[0]->column(1).Bytes(0), "1.0000000001");
}

// The mapping read from pg_catalog for one column of each type, table-driven.
TEST_F(PgExtractTest, TypeMappingFromCatalog) {
  struct Case {
    const char* decl;
    const char* iceberg;
    bool cast_to_text;
    bool required;
  };
  const std::vector<Case> cases = {
      {"boolean", "boolean", false, false},
      {"smallint NOT NULL", "int", false, true},
      {"integer", "int", false, false},
      {"bigint", "long", false, false},
      {"real", "float", false, false},
      {"double precision", "double", false, false},
      {"numeric(38,0)", "decimal(38,0)", false, false},
      {"numeric(39,2)", "string", false, false},
      {"numeric(1000,500)", "string", false, false},
      {"numeric(2,-3)", "decimal(5,0)", false, false},
      {"numeric(35,-3)", "decimal(38,0)", false, false},
      {"numeric(36,-3)", "string", false, false},
      {"numeric(2,4)", "decimal(4,4)", false, false},
      {"numeric", "decimal(38,9)", false, false},
      {"text", "string", false, false},
      {"varchar(40)", "string", false, false},
      {"character(3)", "string", false, false},
      {"name", "string", false, false},
      {"\"char\"", "string", true, false},
      {"bytea", "binary", false, false},
      {"date", "date", false, false},
      {"time(3)", "time", false, false},
      {"timestamp(0)", "timestamp", false, false},
      {"timestamptz", "timestamptz", false, false},
      {"interval", "string", false, false},
      {"uuid", "uuid", false, false},
      {"json", "string", false, false},
      {"jsonb", "string", false, false},
      {"inet", "string", true, false},
      {"cidr", "string", true, false},
      {"macaddr", "string", true, false},
      {"macaddr8", "string", true, false},
      {"money", "string", true, false},
      {"timetz", "string", true, false},
      {"bit(3)", "string", true, false},
      {"tsvector", "string", true, false},
      {"int4range", "string", true, false},
      {"xml", "string", true, false},
      {"oid", "string", true, false},
      {"int8[]", "list<long>", false, false},
      {"numeric(5,1)[]", "list<decimal(5,1)>", false, false},
      {"inet[]", "list<string>", true, false},
      {"DOMAIN_NN", "decimal(6,2)", false, true},
      {"DOMAIN_NN[]", "list<decimal(6,2)>", false, false},
  };
  const std::string table = Unique("mapping");
  const std::string dom = Unique("dom");
  cleanup_ = {"DROP TABLE IF EXISTS " + table, "DROP DOMAIN IF EXISTS " + dom + " CASCADE"};
  for (const auto& sql : cleanup_) Exec(sql);
  // A domain over a domain over numeric(6,2), NOT NULL at the inner level.
  Exec("CREATE DOMAIN " + dom + "_inner AS numeric(6,2) NOT NULL");
  cleanup_.push_back("DROP DOMAIN IF EXISTS " + dom + "_inner CASCADE");
  Exec("CREATE DOMAIN " + dom + " AS " + dom + "_inner");
  std::string ddl = "CREATE TABLE " + table + " (";
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string decl = cases[i].decl;
    if (decl.rfind("DOMAIN_NN", 0) == 0) decl = dom + decl.substr(9);
    ddl += (i ? ", c" : "c") + std::to_string(i) + " " + decl;
  }
  Exec(ddl + ")");
  auto desc = DescribePgTable(conn_.get(), table, PgTypePolicy{});
  ASSERT_TRUE(desc.ok()) << desc.status().ToString();
  ASSERT_EQ(desc->columns.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].decl);
    const auto& c = desc->columns[i];
    EXPECT_EQ(c.mapping.type->ToString(), cases[i].iceberg);
    EXPECT_EQ(c.mapping.cast_to_text, cases[i].cast_to_text);
    EXPECT_EQ(desc->info.schema->fields()[i].required, cases[i].required);
    EXPECT_EQ(c.select_expr.find("::text") != std::string::npos, cases[i].cast_to_text);
  }
  // The source type names come from format_type.
  for (size_t i = 0; i < cases.size(); ++i) {
    if (std::string(cases[i].decl) == "varchar(40)") {
      EXPECT_EQ(desc->info.source_types[i], "character varying(40)");
    }
    if (std::string(cases[i].decl) == "numeric(2,-3)") {
      EXPECT_EQ(desc->info.source_types[i], "numeric(2,-3)");
    }
  }
  EXPECT_TRUE(desc->info.primary_key.empty());
  EXPECT_TRUE(desc->info.schema->identifier_field_ids().empty());
  // The same table read back: every column decodes (all NULL but one row) without error.
  // c1 and the domain column are NOT NULL.
  Status error;
  std::string cols = "c1", vals = "1";
  for (size_t i = 0; i < cases.size(); ++i) {
    if (std::string(cases[i].decl) == "DOMAIN_NN") {
      cols += ", c" + std::to_string(i);
      vals += ", 12.5";
    }
  }
  Exec("INSERT INTO " + table + " (" + cols + ") VALUES (" + vals + ")");
  auto batches = ReadAll(table, PgTableReadOptions{}, &error);
  ASSERT_TRUE(error.ok()) << error.ToString();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0]->num_rows(), 1);
}

TEST_F(PgExtractTest, ParallelCtidReadInOneSnapshotEqualsSingleRead) {
  const std::string table = Unique("big");
  cleanup_ = {"DROP TABLE IF EXISTS " + table};
  Exec(cleanup_[0]);
  Exec("CREATE TABLE " + table + " (id int8 PRIMARY KEY, pad text)");
  Exec("INSERT INTO " + table +
       " SELECT g, repeat('x', 40 + g % 50) FROM generate_series(1, "
       "200000) g");
  Exec("DELETE FROM " + table + " WHERE id % 7 = 0");  // holes in the pages

  auto ids_of = [](const std::vector<std::unique_ptr<ColumnBatch>>& batches) {
    std::vector<int64_t> ids;
    for (const auto& b : batches) {
      for (int64_t r = 0; r < b->num_rows(); ++r) ids.push_back(b->column(0).Value<int64_t>(r));
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  };

  Status error;
  PgTableReadOptions single;
  single.connections = 1;
  const auto single_ids = ids_of(ReadAll(table, single, &error));
  ASSERT_TRUE(error.ok()) << error.ToString();
  auto count = conn_->Query("SELECT count(*) FROM " + table);
  ASSERT_TRUE(count.ok());
  ASSERT_EQ(static_cast<int64_t>(single_ids.size()), *count->GetInt(0, 0));

  PgTableReadOptions par;
  par.connections = 4;
  par.copy.batch_rows = 2048;
  par.queue_batches = 2;  // workers wait on the queue, so most ranges are unread below
  auto reader = PgTableReader::Open(url_, table, par);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_GT((*reader)->ranges().size(), 4u);
  EXPECT_FALSE((*reader)->snapshot_id().empty());
  std::vector<std::unique_ptr<ColumnBatch>> batches;
  auto first = (*reader)->Next();
  ASSERT_TRUE(first.ok() && *first != nullptr);
  batches.push_back(std::move(*first));

  // Concurrent writes after the snapshot: new rows, updated rows (new tuple versions on new
  // pages) and deleted rows. None of it may show: the read sees exactly the snapshot.
  Exec("INSERT INTO " + table + " SELECT g, 'new' FROM generate_series(1000001, 1005000) g");
  Exec("UPDATE " + table + " SET pad = 'updated' WHERE id <= 20000");
  Exec("DELETE FROM " + table + " WHERE id BETWEEN 190001 AND 200000");

  while (true) {
    auto b = (*reader)->Next();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    if (*b == nullptr) break;
    EXPECT_LE((*b)->num_rows(), 2048);
    for (int64_t r = 0; r < (*b)->num_rows(); ++r) {
      ASSERT_NE((*b)->column(1).Bytes(r), "updated");
    }
    batches.push_back(std::move(*b));
  }
  const auto par_ids = ids_of(batches);
  EXPECT_EQ(par_ids.size(), single_ids.size());
  EXPECT_TRUE(par_ids == single_ids) << "parallel read differs from the single read";
  EXPECT_TRUE(std::adjacent_find(par_ids.begin(), par_ids.end()) == par_ids.end())
      << "duplicate ids";
  EXPECT_EQ((*reader)->rows_read(), static_cast<int64_t>(single_ids.size()));
  EXPECT_GT((*reader)->bytes_read(), 0);
  // The writes happened: the table now differs from the snapshot.
  auto now = conn_->Query("SELECT count(*) FROM " + table);
  ASSERT_TRUE(now.ok());
  EXPECT_NE(*now->GetInt(0, 0), static_cast<int64_t>(single_ids.size()));

  // An incremental filter combined with the ranges, with a bound parameter.
  PgTableReadOptions inc = par;
  inc.where = "id > $1";
  inc.params = {"1000000"};
  const auto inc_ids = ids_of(ReadAll(table, inc, &error));
  ASSERT_TRUE(error.ok()) << error.ToString();
  EXPECT_EQ(inc_ids.size(), 5000u);
  EXPECT_EQ(inc_ids.front(), 1000001);
}

TEST_F(PgExtractTest, WhereParametersAreQuotedLiterals) {
  const std::string table = Unique("people");
  cleanup_ = {"DROP TABLE IF EXISTS " + table};
  Exec(cleanup_[0]);
  Exec("CREATE TABLE " + table + " (id int, name text, at date)");
  Exec("INSERT INTO " + table +
       " VALUES (1, 'o''brien', '2024-01-01'), (2, 'x'' OR ''1''=''1', '2024-06-01'), (3, "
       "'$1', '2025-01-01')");
  Status error;
  PgTableReadOptions o;
  o.where = "name = $1 OR (at > $2 AND name <> '$1')";
  o.params = {"o'brien", "2024-12-31"};
  auto batches = ReadAll(table, o, &error);
  ASSERT_TRUE(error.ok()) << error.ToString();
  std::set<int32_t> ids;
  for (const auto& b : batches) {
    for (int64_t r = 0; r < b->num_rows(); ++r) ids.insert(b->column(0).Value<int32_t>(r));
  }
  EXPECT_EQ(ids, std::set<int32_t>{1});
  o.params = {std::nullopt, "2024-05-01"};  // name = NULL matches nothing
  batches = ReadAll(table, o, &error);
  ASSERT_TRUE(error.ok()) << error.ToString();
  ids.clear();
  for (const auto& b : batches) {
    for (int64_t r = 0; r < b->num_rows(); ++r) ids.insert(b->column(0).Value<int32_t>(r));
  }
  EXPECT_EQ(ids, std::set<int32_t>{2});
  o.params = {"x"};
  ReadAll(table, o, &error);
  EXPECT_EQ(error.code(), StatusCode::kInvalidArgument) << error.ToString();
}

TEST_F(PgExtractTest, MissingTableAndColumnAreNotFound) {
  const std::string table = Unique("exists");
  cleanup_ = {"DROP TABLE IF EXISTS " + table};
  Exec(cleanup_[0]);
  Exec("CREATE TABLE " + table + " (id int, name text)");
  Status error;
  ReadAll("public.no_such_table_" + std::to_string(getpid()), PgTableReadOptions{}, &error);
  EXPECT_EQ(error.code(), StatusCode::kNotFound) << error.ToString();
  EXPECT_NE(error.message().find("public.no_such_table_"), std::string::npos) << error.message();
  EXPECT_FALSE(error.retryable());

  PgTableReadOptions o;
  o.columns = {"id", "no_such_column"};
  ReadAll(table, o, &error);
  EXPECT_EQ(error.code(), StatusCode::kNotFound) << error.ToString();
  EXPECT_NE(error.message().find("no_such_column"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find(table), std::string::npos) << error.message();

  // A column dropped between describing and reading: the server's error comes back.
  auto desc = DescribePgTable(conn_.get(), table, PgTypePolicy{});
  ASSERT_TRUE(desc.ok());
  Exec("ALTER TABLE " + table + " DROP COLUMN name");
  auto other = PgConnection::Open(url_);
  ASSERT_TRUE(other.ok());
  auto reader = PgCopyReader::Open(other->get(), *desc, PgCopySql(*desc));
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kNotFound) << reader.status().ToString();
  EXPECT_NE(reader.status().message().find("name"), std::string::npos);
}

// scripts/pg trusts loopback connections, so a wrong password cannot be rejected there; the
// test uses a database that does not exist (rejected by the server after the password step)
// and an unreachable port instead, and checks that the password never shows in the message.
TEST_F(PgExtractTest, ConnectionErrorsNameTheTargetButNotThePassword) {
  auto rows = conn_->Query("SELECT current_setting('port'), current_user");
  ASSERT_TRUE(rows.ok());
  const std::string port(rows->Get(0, 0)), user(rows->Get(0, 1));
  const std::string secret = "s3cret-pw-" + std::to_string(getpid());
  const std::string bad_db = "postgresql://" + user + ":" + secret + "@127.0.0.1:" + port +
                             "/no_such_db_" + std::to_string(getpid());
  auto c = PgConnection::Open(bad_db);
  ASSERT_FALSE(c.ok());
  EXPECT_FALSE(c.status().retryable()) << c.status().ToString();
  EXPECT_NE(c.status().message().find("no_such_db_"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("127.0.0.1:" + port), std::string::npos)
      << c.status().message();
  EXPECT_EQ(c.status().message().find(secret), std::string::npos) << c.status().message();

  // Nothing listens on port 1: retryable Unavailable.
  auto refused = PgConnection::Open("postgresql://" + user + ":" + secret +
                                    "@127.0.0.1:1/nilus?connect_timeout=3");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status().ToString();
  EXPECT_TRUE(refused.status().retryable());
  EXPECT_EQ(refused.status().message().find(secret), std::string::npos);

  // The table reader passes the same error through.
  Status error;
  ReadAll("public.x", PgTableReadOptions{}, &error);  // with the good URL: NotFound
  EXPECT_EQ(error.code(), StatusCode::kNotFound);
  auto r = PgTableReader::Open(bad_db, "public.x", PgTableReadOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find(secret), std::string::npos);
}

TEST_F(PgExtractTest, SnapshotFromElsewhereIsAdoptedAndBadSnapshotRejected) {
  const std::string table = Unique("snap");
  cleanup_ = {"DROP TABLE IF EXISTS " + table};
  Exec(cleanup_[0]);
  Exec("CREATE TABLE " + table + " (id int)");
  Exec("INSERT INTO " + table + " SELECT generate_series(1, 10)");
  // A snapshot exported by another session (as CREATE_REPLICATION_SLOT would).
  auto holder = PgConnection::Open(url_);
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE((*holder)->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ").ok());
  auto snap = (*holder)->Query("SELECT pg_export_snapshot()");
  ASSERT_TRUE(snap.ok());
  Exec("INSERT INTO " + table + " SELECT generate_series(11, 20)");
  Status error;
  PgTableReadOptions o;
  o.snapshot = std::string(snap->Get(0, 0));
  auto batches = ReadAll(table, o, &error);
  ASSERT_TRUE(error.ok()) << error.ToString();
  int64_t rows = 0;
  for (const auto& b : batches) rows += b->num_rows();
  EXPECT_EQ(rows, 10);
  o.snapshot = "00000003-0000001B-1";
  ReadAll(table, o, &error);
  EXPECT_EQ(error.code(), StatusCode::kInvalidArgument) << error.ToString();
}

TEST_F(PgExtractTest, EarlyDestroyStopsWorkersAndDroppedConnectionIsRetryable) {
  const std::string table = Unique("drop");
  cleanup_ = {"DROP TABLE IF EXISTS " + table};
  Exec(cleanup_[0]);
  Exec("CREATE TABLE " + table + " (id int8, pad text)");
  Exec("INSERT INTO " + table + " SELECT g, repeat('y', 100) FROM generate_series(1, 150000) g");
  PgTableReadOptions o;
  o.connections = 3;
  o.copy.batch_rows = 1000;
  o.queue_batches = 1;
  {
    // Destroyed after one batch while the workers are mid-COPY: must return promptly.
    auto reader = PgTableReader::Open(url_, table, o);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    auto b = (*reader)->Next();
    ASSERT_TRUE(b.ok() && *b != nullptr);
  }
  // The worker sessions are gone (give the server a moment to notice the closed sockets).
  for (int i = 0; i < 50; ++i) {
    auto left = conn_->Query(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT%' AND query LIKE "
        "'%" +
        table + "%' AND pid <> pg_backend_pid()");
    ASSERT_TRUE(left.ok());
    if (*left->GetInt(0, 0) == 0) break;
    ASSERT_LT(i, 49) << "worker sessions still running";
    usleep(100000);
  }

  // Workers whose server sessions are terminated mid-read: a retryable Unavailable error.
  auto reader = PgTableReader::Open(url_, table, o);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto first = (*reader)->Next();
  ASSERT_TRUE(first.ok() && *first != nullptr);
  auto killed = conn_->Query(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE backend_type = "
      "'client backend' AND pid <> pg_backend_pid() AND (query LIKE 'COPY (SELECT%' OR query "
      "LIKE 'SET TRANSACTION SNAPSHOT%') AND query LIKE '%" +
      table + "%'");
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  Status error;
  int64_t rows = (*first)->num_rows();
  while (true) {
    auto b = (*reader)->Next();
    if (!b.ok()) {
      error = b.status();
      break;
    }
    if (*b == nullptr) break;
    rows += (*b)->num_rows();
  }
  ASSERT_FALSE(error.ok()) << "read " << rows << " rows without noticing the dropped sessions";
  EXPECT_EQ(error.code(), StatusCode::kUnavailable) << error.ToString();
  EXPECT_TRUE(error.retryable()) << error.ToString();
  EXPECT_NE(error.message().find(table), std::string::npos) << error.message();
}

TEST_F(PgExtractTest, BatchesRespectTheByteLimit) {
  const std::string table = Unique("bytes");
  cleanup_ = {"DROP TABLE IF EXISTS " + table};
  Exec(cleanup_[0]);
  Exec("CREATE TABLE " + table + " (id int, pad text)");
  Exec("INSERT INTO " + table + " SELECT g, repeat('z', 1000) FROM generate_series(1, 2000) g");
  PgTableReadOptions o;
  o.connections = 1;
  o.copy.batch_bytes = 64 * 1024;
  Status error;
  auto batches = ReadAll(table, o, &error);
  ASSERT_TRUE(error.ok()) << error.ToString();
  // A tuple is 2 (field count) + 4 + 4 (id) + 4 + 1000 (pad) = 1014 bytes; a batch ends with
  // the first tuple that reaches 64 kB: 65 tuples (64 make 64896 bytes, 65 make 65910).
  const int64_t per_batch = (o.copy.batch_bytes + 1013) / 1014;
  ASSERT_EQ(per_batch, 65);
  int64_t rows = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    rows += batches[i]->num_rows();
    if (i + 1 < batches.size()) EXPECT_EQ(batches[i]->num_rows(), per_batch) << i;
  }
  EXPECT_EQ(rows, 2000);
  EXPECT_EQ(static_cast<int64_t>(batches.size()), (2000 + per_batch - 1) / per_batch);
}

TEST_F(PgExtractTest, ViewsAndPartitionedTablesAreReadAsOneRange) {
  const std::string parent = Unique("parted"), view = Unique("view");
  cleanup_ = {"DROP VIEW IF EXISTS " + view, "DROP TABLE IF EXISTS " + parent};
  for (const auto& sql : cleanup_) Exec(sql);
  Exec("CREATE TABLE " + parent + " (id int PRIMARY KEY, v text) PARTITION BY RANGE (id)");
  Exec("CREATE TABLE " + parent + "_a PARTITION OF " + parent + " FOR VALUES FROM (0) TO (500)");
  Exec("CREATE TABLE " + parent + "_b PARTITION OF " + parent + " FOR VALUES FROM (500) TO (1000)");
  Exec("INSERT INTO " + parent + " SELECT g, g::text FROM generate_series(0, 999) g");
  Exec("CREATE VIEW " + view + " AS SELECT id * 2 AS twice, v FROM " + parent + " WHERE id < 100");
  PgTableReadOptions o;
  o.connections = 4;
  o.min_pages_to_split = 0;
  for (const auto& [name, want] : {std::pair<std::string, int64_t>{parent, 1000}, {view, 100}}) {
    SCOPED_TRACE(name);
    auto reader = PgTableReader::Open(url_, name, o);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->ranges().size(), 1u);
    int64_t rows = 0;
    while (true) {
      auto b = (*reader)->Next();
      ASSERT_TRUE(b.ok()) << b.status().ToString();
      if (*b == nullptr) break;
      rows += (*b)->num_rows();
    }
    EXPECT_EQ(rows, want);
  }
  auto desc = DescribePgTable(conn_.get(), parent, PgTypePolicy{});
  ASSERT_TRUE(desc.ok());
  EXPECT_EQ(desc->info.primary_key, std::vector<std::string>{"id"});
}

}  // namespace
}  // namespace nilus
