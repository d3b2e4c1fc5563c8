// The SQLite reader against databases built in each test. Expected values are computed by
// SQLite itself (casts, hex(), date()/strftime() on the same rows) where it can compute them.
#include "extract/sqlite/sqlite_table_reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "core/value.h"

namespace nilus {
namespace {

using Cell = std::optional<std::string>;
using Rows = std::vector<std::vector<Cell>>;

// A decoded cell as text comparable with the expectation queries.
Cell Format(const Column& c, int64_t i) {
  if (c.IsNull(i)) return std::nullopt;
  switch (c.type()->id()) {
    case TypeId::kBoolean:
      return c.Value<uint8_t>(i) ? "true" : "false";
    case TypeId::kDate:
      return DateToString(c.Value<int32_t>(i));
    case TypeId::kLong:
      return std::to_string(c.Value<int64_t>(i));
    case TypeId::kTime:
      return TimeToString(c.Value<int64_t>(i));
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return TimestampToString(c.Value<int64_t>(i));
    case TypeId::kDouble:
      return fmt::format("{}", c.Value<double>(i));
    case TypeId::kDecimal:
      return DecimalToString(c.Value<__int128>(i), c.type()->scale());
    case TypeId::kString:
      return std::string(c.Bytes(i));
    case TypeId::kBinary:
      return HexEncode(c.Bytes(i));
    default:
      return "<other>";
  }
}

class SqliteReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("nilus_sqlite_{}_{}", getpid(), info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "source.db").string();
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db_), SQLITE_OK);
  }
  void TearDown() override {
    sqlite3_close(db_);
    std::filesystem::remove_all(dir_);
  }

  void Exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "") << " in " << sql;
  }

  // Every row of `sql`, each column as SQLite's text (NULL as nullopt).
  Rows Query(const std::string& sql) {
    Rows out;
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_) << " in " << sql;
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::vector<Cell> row;
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        if (sqlite3_column_type(s, i) == SQLITE_NULL) {
          row.push_back(std::nullopt);
        } else if (sqlite3_column_type(s, i) == SQLITE_FLOAT) {
          row.push_back(fmt::format("{}", sqlite3_column_double(s, i)));
        } else {
          row.push_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, i)),
                                    sqlite3_column_bytes(s, i)));
        }
      }
      out.push_back(std::move(row));
    }
    sqlite3_finalize(s);
    return out;
  }

  static Rows ReadAll(SqliteTableReader* reader, int* batches = nullptr) {
    Rows out;
    int count = 0;
    while (true) {
      auto batch = reader->Next();
      EXPECT_TRUE(batch.ok()) << batch.status().ToString();
      if (!batch.ok() || *batch == nullptr) break;
      ++count;
      const ColumnBatch& b = **batch;
      EXPECT_TRUE(b.Validate().ok()) << b.Validate().ToString();
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        std::vector<Cell> row;
        for (int c = 0; c < b.num_columns(); ++c) row.push_back(Format(b.column(c), r));
        out.push_back(std::move(row));
      }
    }
    if (batches) *batches = count;
    return out;
  }

  std::unique_ptr<SqliteTableReader> OpenOrDie(const std::string& table,
                                               const SqliteTableReadOptions& options = {}) {
    auto r = SqliteTableReader::Open(path_, table, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.MoveValue() : nullptr;
  }

  std::filesystem::path dir_;
  std::string path_;
  sqlite3* db_ = nullptr;
};

TEST_F(SqliteReaderTest, TypeZooMatchesSqlite) {
  Exec(R"(CREATE TABLE zoo(
      id INTEGER PRIMARY KEY, i INT, bi BIGINT, si SMALLINT, b BOOLEAN,
      r REAL, d DOUBLE PRECISION, f FLOAT, n NUMERIC, dec DECIMAL(12, 2),
      t TEXT, vc VARCHAR(20), c CHAR(3), cl CLOB, j JSON, bl BLOB,
      dt DATE, ts DATETIME, tz TIMESTAMPTZ, tm TIME);
    INSERT INTO zoo VALUES
      (1, 42, 9223372036854775807, -32768, 1, 1.5, 0.1, -2.25e-300, 7, 12.34,
       'héllo 世界 🎉', 'abc', 'xyz', 'clob text', '{"a": [1, 2]}', x'00FF10',
       '2024-01-31', '2024-01-31 10:11:12.345', '2024-01-31 10:11:12+02:00', '10:11:12.5'),
      (2, -1, -9223372036854775808, 0, 0, -0.0, 1e300, 3.0, 2.5, '-0.5',
       '', 'a''quote', 'c', '', 42, randomblob(1000000),
       julianday('2024-02-29'), julianday('2023-06-15 08:09:10.123'), 1700000000, '00:00'),
      (3, NULL, NULL, NULL, 'TRUE', NULL, NULL, NULL, NULL, 99999,
       NULL, NULL, NULL, NULL, 1.25, zeroblob(0),
       unixepoch('1999-12-31'), '2020-02-29T23:59:59Z', '1970-01-01', NULL),
      (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);)");
  auto reader = OpenOrDie("zoo");
  ASSERT_NE(reader, nullptr);
  const Schema& schema = *reader->schema();
  std::vector<std::string> types;
  for (const auto& f : schema.fields()) types.push_back(f.type->ToString());
  EXPECT_EQ(types,
            (std::vector<std::string>{
                "long",   "long",   "long",          "long",      "boolean",     "double", "double",
                "double", "double", "decimal(12,2)", "string",    "string",      "string", "string",
                "string", "binary", "date",          "timestamp", "timestamptz", "time"}));
  EXPECT_EQ(reader->info().qualified_name, "main.zoo");
  EXPECT_EQ(reader->info().primary_key, std::vector<std::string>{"id"});
  EXPECT_EQ(schema.identifier_field_ids(), std::vector<int32_t>{1});
  EXPECT_TRUE(schema.fields()[0].required);
  EXPECT_FALSE(schema.fields()[1].required);
  EXPECT_EQ(reader->info().source_types[9], "DECIMAL(12, 2)");

  const Rows got = ReadAll(reader.get());
  // The same rows as SQLite prints them; dates and times through SQLite's own date functions
  // (INTEGER as 'unixepoch', REAL as a julian day, text as ISO 8601).
  const std::string ts = "'%Y-%m-%dT%H:%M:%f'";
  Rows want = Query(fmt::format(
      R"(SELECT id, i, bi, si, CASE WHEN b IS NULL THEN NULL WHEN b IN (1, 'TRUE') THEN 'true'
             ELSE 'false' END, r, d, f, n, iif(dec IS NULL, NULL, printf('%.2f', dec)), t, vc, c, cl, CAST(j AS TEXT),
             lower(hex(bl)),
             CASE typeof(dt) WHEN 'integer' THEN date(dt, 'unixepoch') ELSE date(dt) END,
             CASE typeof(ts) WHEN 'integer' THEN strftime({0}, ts, 'unixepoch')
                  ELSE strftime({0}, ts) END || '000',
             CASE typeof(tz) WHEN 'integer' THEN strftime({0}, tz, 'unixepoch')
                  ELSE strftime({0}, tz) END || '000',
             strftime('%H:%M:%f', '2000-01-01 ' || tm) || '000'
      FROM zoo ORDER BY rowid)",
      ts));
  // hex() of a NULL blob is '' in SQLite, not NULL.
  want[3][15] = std::nullopt;
  ASSERT_EQ(got.size(), want.size());
  for (size_t r = 0; r < got.size(); ++r) {
    for (size_t c = 0; c < got[r].size(); ++c) {
      EXPECT_EQ(got[r][c], want[r][c]) << "row " << r << " column " << schema.fields()[c].name;
    }
  }
  EXPECT_EQ(got[0][10], "héllo 世界 🎉");
  EXPECT_EQ(got[1][15]->size(), 2000000u);
  EXPECT_EQ(reader->rows_read(), 4);
  EXPECT_GT(reader->bytes_read(), 1000000);
}

TEST_F(SqliteReaderTest, MismatchedValueIsATypeErrorNamingTheRow) {
  Exec(R"(CREATE TABLE m(id INTEGER PRIMARY KEY, n INTEGER, s TEXT);
    INSERT INTO m VALUES (1, 5, 'a'), (7, '12abc', 'b'), (8, 9, x'CAFE');)");
  auto reader = OpenOrDie("m");
  ASSERT_NE(reader, nullptr);
  auto batch = reader->Next();
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().code(), StatusCode::kTypeError);
  EXPECT_FALSE(batch.status().retryable());
  const std::string msg = batch.status().message();
  EXPECT_NE(msg.find("main.m"), std::string::npos) << msg;
  EXPECT_NE(msg.find("column 'n'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rowid 7"), std::string::npos) << msg;
  EXPECT_NE(msg.find("TEXT value '12abc'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("as_string_columns"), std::string::npos) << msg;
  // The reader is finished: the same error again.
  auto again = reader->Next();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(), msg);

  // A BLOB in a TEXT column is a mismatch too.
  SqliteTableReadOptions only_s;
  only_s.columns = {"S"};
  reader = OpenOrDie("m", only_s);
  ASSERT_NE(reader, nullptr);
  batch = reader->Next();
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.status().message().find("rowid 8: BLOB value x'CAFE'"), std::string::npos)
      << batch.status().message();

  // Read as strings, every value comes through.
  SqliteTableReadOptions lenient;
  lenient.as_string_columns = {"n", "s"};
  reader = OpenOrDie("m", lenient);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->schema()->fields()[1].type->id(), TypeId::kString);
  const Rows got = ReadAll(reader.get());
  const Rows want = Query(
      "SELECT id, CAST(n AS TEXT), CASE typeof(s) WHEN 'blob' THEN hex(s) "
      "ELSE s END FROM m ORDER BY id");
  EXPECT_EQ(got, want);
}

TEST_F(SqliteReaderTest, MismatchInWithoutRowidTableNamesThePrimaryKey) {
  Exec(R"(CREATE TABLE w(k TEXT, n INT, v REAL, PRIMARY KEY (k, n)) WITHOUT ROWID;
    INSERT INTO w VALUES ('a', 1, 1.5), ('b', 2, 'oops');)");
  auto reader = OpenOrDie("w");
  ASSERT_NE(reader, nullptr);
  auto batch = reader->Next();
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.status().message().find("primary key (k='b', n=2)"), std::string::npos)
      << batch.status().message();
}

TEST_F(SqliteReaderTest, WithoutRowidTableAndKeys) {
  Exec(R"(CREATE TABLE w(k TEXT, n INT, v TEXT, PRIMARY KEY (n, k)) WITHOUT ROWID;
    INSERT INTO w VALUES ('b', 2, 'x'), ('a', 2, NULL), ('c', 1, 'y');
    CREATE TABLE r(a TEXT PRIMARY KEY, b);
    CREATE TABLE nokey(a INT, b TEXT);)");
  auto reader = OpenOrDie("W");
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->info().qualified_name, "main.w");
  EXPECT_EQ(reader->info().primary_key, (std::vector<std::string>{"n", "k"}));
  EXPECT_EQ(reader->schema()->identifier_field_ids(), (std::vector<int32_t>{2, 1}));
  EXPECT_TRUE(reader->schema()->fields()[0].required);
  EXPECT_TRUE(reader->schema()->fields()[1].required);
  EXPECT_FALSE(reader->schema()->fields()[2].required);
  EXPECT_EQ(ReadAll(reader.get()), Query("SELECT k, n, v FROM w"));

  // A rowid table's TEXT PRIMARY KEY may hold NULL: a key, but no identifier fields.
  reader = OpenOrDie("r");
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->info().primary_key, std::vector<std::string>{"a"});
  EXPECT_TRUE(reader->schema()->identifier_field_ids().empty());
  EXPECT_FALSE(reader->schema()->fields()[0].required);

  reader = OpenOrDie("main.nokey");
  ASSERT_NE(reader, nullptr);
  EXPECT_TRUE(reader->info().primary_key.empty());
  EXPECT_TRUE(reader->schema()->identifier_field_ids().empty());
}

TEST_F(SqliteReaderTest, UntypedColumnsAreInferredOrReadAsStrings) {
  Exec(R"(CREATE TABLE u(a, b, c, d, e, f, g);
    INSERT INTO u VALUES (1, 1, 'x', x'01', 1, NULL, 9007199254740993),
                         (2, 2.5, 'y', x'02', 'two', NULL, 0.5),
                         (NULL, NULL, NULL, NULL, x'03', NULL, NULL);)");
  auto reader = OpenOrDie("u");
  ASSERT_NE(reader, nullptr);
  std::vector<std::string> types;
  for (const auto& f : reader->schema()->fields()) types.push_back(f.type->ToString());
  EXPECT_EQ(types, (std::vector<std::string>{"long", "double", "string", "binary", "string",
                                             "string", "string"}));
  Rows got = ReadAll(reader.get());
  Rows want = Query(
      "SELECT a, b, c, lower(hex(d)), CASE typeof(e) WHEN 'blob' THEN hex(e) ELSE e END, f, "
      "CAST(g AS TEXT) FROM u ORDER BY rowid");
  want[2][3] = std::nullopt;  // hex(NULL) is ''
  EXPECT_EQ(got, want);

  SqliteTableReadOptions as_string;
  as_string.types.untyped = SqliteTypePolicy::Untyped::kString;
  reader = OpenOrDie("u", as_string);
  ASSERT_NE(reader, nullptr);
  for (const auto& f : reader->schema()->fields()) EXPECT_EQ(f.type->id(), TypeId::kString);
  got = ReadAll(reader.get());
  want = Query(
      "SELECT CAST(a AS TEXT), CAST(b AS TEXT), c, hex(d), CASE typeof(e) WHEN 'blob' THEN "
      "hex(e) ELSE e END, f, CAST(g AS TEXT) FROM u ORDER BY rowid");
  want[2][3] = std::nullopt;
  EXPECT_EQ(got, want);
}

TEST_F(SqliteReaderTest, MissingTableColumnAndFile) {
  Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT);");
  auto r = SqliteTableReader::Open(path_, "nope", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("'nope'"), std::string::npos) << r.status().ToString();

  SqliteTableReadOptions cols;
  cols.columns = {"id", "zzz"};
  r = SqliteTableReader::Open(path_, "t", cols);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("'zzz'"), std::string::npos) << r.status().ToString();

  const std::string missing = (dir_ / "missing.db").string();
  r = SqliteTableReader::Open("sqlite:///" + missing, "t", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find(missing), std::string::npos) << r.status().ToString();
  // Read-only: the missing file was not created.
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST_F(SqliteReaderTest, NotASqliteFile) {
  const std::string csv = (dir_ / "data.csv").string();
  {
    std::ofstream out(csv);
    for (int i = 0; i < 200; ++i) out << "id,name,value\n" << i << ",x,1.5\n";
  }
  auto r = SqliteTableReader::Open(csv, "t", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'" + csv + "' is not a SQLite database"), std::string::npos)
      << r.status().ToString();
}

TEST_F(SqliteReaderTest, URLAndBatches) {
  Exec("CREATE TABLE big(id INTEGER PRIMARY KEY, v INT, s TEXT);");
  Exec(
      "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10000) "
      "INSERT INTO big SELECT x, x * 7 - 3000, printf('row %d', x) FROM n;");
  SqliteTableReadOptions opts;
  opts.batch_rows = 1000;
  auto r = SqliteTableReader::Open("sqlite:///" + path_, "big", opts);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int batches = 0;
  Rows got = ReadAll(r->get(), &batches);
  EXPECT_EQ(batches, 10);
  EXPECT_EQ((*r)->rows_read(), 10000);
  EXPECT_EQ(got, Query("SELECT id, v, s FROM big ORDER BY id"));
}

TEST_F(SqliteReaderTest, IncrementalCursorOnIntegersAndStrings) {
  Exec(R"(CREATE TABLE inc(id INTEGER PRIMARY KEY, name TEXT, amount DECIMAL(10, 2));
    INSERT INTO inc VALUES (1, 'apple', 1.5), (2, 'melon', 2.25), (3, 'zebra', 10),
                           (4, NULL, 3), (5, 'kiwi', NULL);)");
  SqliteTableReadOptions opts;
  opts.cursor.column = "id";
  opts.cursor.after = Value{Type::Long(), int64_t{2}};
  auto reader = OpenOrDie("inc", opts);
  ASSERT_NE(reader, nullptr);
  EXPECT_NE(reader->sql().find("WHERE \"id\" > ?1"), std::string::npos) << reader->sql();
  EXPECT_EQ(ReadAll(reader.get()),
            Query("SELECT id, name, iif(amount IS NULL, NULL, printf('%.2f', amount)) FROM inc "
                  "WHERE id > 2 ORDER BY id"));

  opts.cursor.column = "name";
  opts.cursor.after = Value{Type::String(), std::string("kiwi")};
  opts.cursor.inclusive = true;
  reader = OpenOrDie("inc", opts);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(ReadAll(reader.get()),
            Query("SELECT id, name, iif(amount IS NULL, NULL, printf('%.2f', amount)) FROM inc "
                  "WHERE name >= 'kiwi' ORDER BY id"));

  opts.cursor.column = "amount";
  opts.cursor.after = Value{Type::Decimal(10, 2), __int128{250}};
  opts.cursor.inclusive = false;
  reader = OpenOrDie("inc", opts);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(ReadAll(reader.get()),
            Query("SELECT id, name, iif(amount IS NULL, NULL, printf('%.2f', amount)) FROM inc "
                  "WHERE amount > 2.5 ORDER BY id"));

  // A cursor column that is not read is NotFound, even before there is a start value.
  opts.cursor.column = "missing";
  opts.cursor.after = Value{};
  auto missing = SqliteTableReader::Open(path_, "inc", opts);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("'missing'"), std::string::npos);

  // A start value of the wrong type is refused.
  opts.cursor.column = "id";
  opts.cursor.after = Value{Type::String(), std::string("2")};
  auto bad = SqliteTableReader::Open(path_, "inc", opts);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'id'"), std::string::npos) << bad.status().ToString();
}

TEST_F(SqliteReaderTest, IncrementalCursorOnTimestampsInEveryStorageForm) {
  // Rows in all three forms, two of them within one millisecond of the bound.
  Exec(R"(CREATE TABLE ev(id INTEGER PRIMARY KEY, at TIMESTAMP);
    INSERT INTO ev VALUES
      (1, '2024-01-01 00:00:00.000400'),
      (2, '2024-01-01T00:00:00.000600'),
      (3, julianday('2023-12-31 23:59:59')),
      (4, julianday('2024-01-01 00:00:01')),
      (5, unixepoch('2023-12-31 00:00:00')),
      (6, unixepoch('2024-06-01 00:00:00')),
      (7, '2024-01-01 01:00:00+02:00'),
      (8, NULL);)");
  SqliteTableReadOptions opts;
  auto all = OpenOrDie("ev", {});
  ASSERT_NE(all, nullptr);
  // The bound: 2024-01-01 00:00:00.000500, in microseconds since 1970.
  const int64_t bound = SqliteDaysFromCivil(2024, 1, 1) * 86400000000LL + 500;
  opts.columns = {"id", "at"};
  opts.cursor.column = "at";
  opts.cursor.after = Value{Type::Timestamp(), bound};
  auto reader = OpenOrDie("ev", opts);
  ASSERT_NE(reader, nullptr);
  // Every row whose full value (read without a cursor) is above the bound, and only those.
  Rows expected;
  for (const auto& row : ReadAll(all.get())) {
    if (row[1] && *row[1] > TimestampToString(bound)) expected.push_back(row);
  }
  const Rows got = ReadAll(reader.get());
  EXPECT_EQ(got, expected);
  std::vector<std::string> ids;
  for (const auto& row : got) ids.push_back(*row[0]);
  EXPECT_EQ(ids, (std::vector<std::string>{"2", "4", "6"}));

  // Inclusive at exactly row 4's value keeps row 4.
  opts.cursor.after =
      Value{Type::Timestamp(), int64_t{SqliteDaysFromCivil(2024, 1, 1) * 86400000000LL + 1000000}};
  opts.cursor.inclusive = true;
  reader = OpenOrDie("ev", opts);
  ASSERT_NE(reader, nullptr);
  ids.clear();
  for (const auto& row : ReadAll(reader.get())) ids.push_back(*row[0]);
  EXPECT_EQ(ids, (std::vector<std::string>{"4", "6"}));
}

TEST_F(SqliteReaderTest, RandomTimestampsAgreeWithSqlite) {
  // Random instants between 1900 and 2100 at millisecond precision, stored in all three forms.
  Exec("CREATE TABLE rt(id INTEGER PRIMARY KEY, ts TIMESTAMP, form TEXT);");
  Exec(R"(WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3000),
         t(x, s, f) AS (SELECT x, -2208988800 + abs(random()) % 6311433600, abs(random()) % 1000
                        FROM n)
    INSERT INTO rt SELECT x,
      CASE x % 3 WHEN 0 THEN 2440587.5 + (s * 1000 + f) / 86400000.0
                 WHEN 1 THEN s
                 ELSE strftime('%Y-%m-%d %H:%M:%S', s, 'unixepoch') || printf('.%03d', f) END,
      CASE x % 3 WHEN 0 THEN 'real' WHEN 1 THEN 'integer' ELSE 'text' END FROM t;)");
  EXPECT_EQ(Query("SELECT count(DISTINCT typeof(ts)) FROM rt")[0][0], "3");
  auto reader = OpenOrDie("rt");
  ASSERT_NE(reader, nullptr);
  const Rows got = ReadAll(reader.get());
  const Rows want = Query(
      "SELECT id, CASE typeof(ts) WHEN 'integer' THEN strftime('%Y-%m-%dT%H:%M:%f', ts, "
      "'unixepoch') ELSE strftime('%Y-%m-%dT%H:%M:%f', ts) END || '000', form FROM rt "
      "ORDER BY id");
  ASSERT_EQ(got.size(), 3000u);
  EXPECT_EQ(got, want);
}

TEST_F(SqliteReaderTest, EmptyTable) {
  Exec("CREATE TABLE e(a INTEGER NOT NULL, b);");
  auto reader = OpenOrDie("e");
  ASSERT_NE(reader, nullptr);
  EXPECT_TRUE(reader->schema()->fields()[0].required);
  // No values to infer from: the untyped column is a string.
  EXPECT_EQ(reader->schema()->fields()[1].type->id(), TypeId::kString);
  auto batch = reader->Next();
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(*batch, nullptr);
  EXPECT_EQ(reader->rows_read(), 0);
}

TEST_F(SqliteReaderTest, GeneratedColumnsAreRead) {
  Exec(R"(CREATE TABLE g(a INT, b INT GENERATED ALWAYS AS (a * 2) VIRTUAL,
                         c TEXT GENERATED ALWAYS AS ('#' || a) STORED);
    INSERT INTO g(a) VALUES (1), (5), (NULL);)");
  auto reader = OpenOrDie("g");
  ASSERT_NE(reader, nullptr);
  ASSERT_EQ(reader->schema()->fields().size(), 3u);
  EXPECT_EQ(ReadAll(reader.get()), Query("SELECT a, b, c FROM g ORDER BY rowid"));
}

TEST_F(SqliteReaderTest, LockedDatabaseIsRetryable) {
  Exec("CREATE TABLE t(a INT); INSERT INTO t VALUES (1);");
  // A writer holding an exclusive lock (rollback journal mode) keeps readers out.
  Exec("BEGIN EXCLUSIVE; INSERT INTO t VALUES (2);");
  SqliteTableReadOptions opts;
  opts.busy_timeout_ms = 50;
  auto r = SqliteTableReader::Open(path_, "t", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_TRUE(r.status().retryable());
  Exec("COMMIT;");
  auto reader = OpenOrDie("t", opts);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(ReadAll(reader.get()), Query("SELECT a FROM t ORDER BY rowid"));
}

TEST_F(SqliteReaderTest, DateWithTimeOfDayIsAMismatch) {
  Exec(R"(CREATE TABLE d(id INTEGER PRIMARY KEY, day DATE);
    INSERT INTO d VALUES (1, '2024-01-01'), (2, '2024-01-01 12:00:00');)");
  auto reader = OpenOrDie("d");
  ASSERT_NE(reader, nullptr);
  auto batch = reader->Next();
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.status().message().find("rowid 2"), std::string::npos);
  EXPECT_NE(batch.status().message().find("time of day"), std::string::npos);
}

TEST_F(SqliteReaderTest, ViewsAreReadWithRowPositions) {
  Exec(R"(CREATE TABLE base(a INTEGER, b TEXT);
    INSERT INTO base VALUES (1, 'x'), (2, 'y'), ('three', 'z');
    CREATE VIEW v AS SELECT a, b FROM base WHERE typeof(a) = 'integer';
    CREATE VIEW all_rows AS SELECT a, b FROM base;)");
  auto reader = OpenOrDie("v");
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->schema()->fields()[0].type->id(), TypeId::kLong);
  EXPECT_EQ(ReadAll(reader.get()), Query("SELECT a, b FROM v"));
  // A view has no rowid: the row is named by its position in the result.
  reader = OpenOrDie("all_rows");
  ASSERT_NE(reader, nullptr);
  auto batch = reader->Next();
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.status().message().find("row 3 of the result"), std::string::npos)
      << batch.status().message();
}

TEST(SqliteTypesTest, DeclaredTypeMapping) {
  const SqliteTypePolicy p;
  struct Case {
    const char* declared;
    const char* type;
  };
  const Case cases[] = {
      {"INTEGER", "long"},
      {"int", "long"},
      {"TINYINT", "long"},
      {"unsigned big int", "long"},
      {"BOOLEAN", "boolean"},
      {"bool", "boolean"},
      {"REAL", "double"},
      {"DOUBLE PRECISION", "double"},
      {"FLOAT", "double"},
      {"NUMERIC", "double"},
      {"DECIMAL(10,5)", "decimal(10,5)"},
      {"numeric ( 38 , 0 )", "decimal(38,0)"},
      {"DECIMAL(7)", "decimal(7,0)"},
      {"DECIMAL(50,2)", "double"},
      {"TEXT", "string"},
      {"VARCHAR(255)", "string"},
      {"NCHAR(55)", "string"},
      {"CLOB", "string"},
      {"JSON", "string"},
      {"BLOB", "binary"},
      {"DATE", "date"},
      {"DATETIME", "timestamp"},
      {"timestamp", "timestamp"},
      {"TIMESTAMP WITH TIME ZONE", "timestamptz"},
      {"TIME", "time"},
      {"MONEY", "string"},
  };
  for (const Case& c : cases) {
    SqliteTypeMapping m = MapSqliteDeclaredType(c.declared, p);
    ASSERT_NE(m.type, nullptr) << c.declared;
    EXPECT_EQ(m.type->ToString(), c.type) << c.declared;
  }
  EXPECT_EQ(MapSqliteDeclaredType("", p).kind, SqliteValueKind::kUntyped);
  SqliteTypePolicy s;
  s.unconstrained_numeric = SqliteTypePolicy::UnconstrainedNumeric::kString;
  EXPECT_EQ(MapSqliteDeclaredType("NUMERIC", s).type->ToString(), "string");
  EXPECT_EQ(SqliteAffinity("FLOATING POINT"), 'I');  // SQLite's documented quirk
  EXPECT_EQ(SqliteAffinity("STRING"), 'N');
}

TEST(SqliteTypesTest, DecimalAndTimeParsing) {
  __int128 v = 0;
  bool rounded = false;
  ASSERT_TRUE(ParseSqliteDecimal("12.345", 10, 2, &v, &rounded));
  EXPECT_EQ(DecimalToString(v, 2), "12.35");
  EXPECT_TRUE(rounded);
  ASSERT_TRUE(ParseSqliteDecimal("-1e3", 10, 2, &v, &rounded));
  EXPECT_EQ(DecimalToString(v, 2), "-1000.00");
  EXPECT_FALSE(rounded);
  ASSERT_TRUE(ParseSqliteDecimal(".5", 3, 1, &v, &rounded));
  EXPECT_EQ(DecimalToString(v, 1), "0.5");
  EXPECT_FALSE(ParseSqliteDecimal("12abc", 10, 2, &v, &rounded));
  EXPECT_FALSE(ParseSqliteDecimal("123456789", 10, 2, &v, &rounded));
  ASSERT_TRUE(ParseSqliteDecimal("12345678.99", 10, 2, &v, &rounded));
  EXPECT_FALSE(ParseSqliteDecimal("99999999.995", 10, 2, &v, &rounded));  // rounds past P

  int64_t micros = 0;
  bool had_offset = false;
  EXPECT_FALSE(ParseSqliteDateTimeText("2023-02-29", &micros, &had_offset));
  EXPECT_FALSE(ParseSqliteDateTimeText("2024-01-31 25:00", &micros, &had_offset));
  EXPECT_FALSE(ParseSqliteDateTimeText("2024-01-31x", &micros, &had_offset));
  ASSERT_TRUE(ParseSqliteDateTimeText("1970-01-02 00:00:01.0000019", &micros, &had_offset));
  EXPECT_EQ(micros, 86401000001);
  EXPECT_FALSE(had_offset);
  ASSERT_TRUE(ParseSqliteDateTimeText("1970-01-01T01:00-01:30", &micros, &had_offset));
  EXPECT_EQ(micros, int64_t{150} * 60 * 1000000);
  EXPECT_TRUE(had_offset);
  EXPECT_TRUE(SqliteJulianToMicros(2440587.5, &micros));
  EXPECT_EQ(micros, 0);
  EXPECT_FALSE(SqliteJulianToMicros(-1.0, &micros));
  EXPECT_EQ(SqliteFormatDouble(0.1), "0.1");
}

}  // namespace
}  // namespace nilus
