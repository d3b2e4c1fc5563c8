#include "pipeline/runner.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "extract/postgres/pg_connection.h"
#include "iceberg/catalog/sql_catalog.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "pipeline/concrete_factories.h"
#include "pipeline/metadata/sqlite_metadata_store.h"
#include "storage/local_file_io.h"

namespace nilus::pipeline {
namespace {

namespace fs = std::filesystem;

using Row = std::map<std::string, std::string>;

std::string Cell(const Column& col, int64_t row) {
  if (col.IsNull(row)) return "null";
  switch (col.type_ref().id()) {
    case TypeId::kInt:
      return std::to_string(col.Value<int32_t>(row));
    case TypeId::kDate:
      return DateToString(col.Value<int32_t>(row));
    case TypeId::kLong:
      return std::to_string(col.Value<int64_t>(row));
    case TypeId::kDouble: {
      std::ostringstream os;
      os << col.Value<double>(row);
      return os.str();
    }
    case TypeId::kString:
      return std::string(col.Bytes(row));
    case TypeId::kBoolean:
      return col.Value<uint8_t>(row) ? "true" : "false";
    default:
      return "?";
  }
}

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "nilus_runner_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    warehouse_ = dir_ + "/warehouse";
    fs::create_directories(warehouse_);
    auto store = iceberg::SqlCatalogStore::Open("sqlite:///" + warehouse_ + "/catalog.db", "nilus");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store.MoveValue();
    auto catalog = iceberg::Catalog::Make(store_.get(), &io_, warehouse_);
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = catalog.MoveValue();
  }
  void TearDown() override {
    catalog_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  void WriteFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  }

  PipelineConfig Config(const std::string& yaml) {
    std::vector<ConfigError> errors;
    auto config = ParsePipelineConfig(yaml, "test.yaml", ProcessEnv(), &errors);
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    return config.ok() ? config.MoveValue() : PipelineConfig{};
  }

  RunSummary Run(const PipelineConfig& config, RunnerOptions options = {}) {
    auto sources = MakeDefaultSourceFactory(&io_);
    auto sinks = MakeIcebergSinkFactory(catalog_.get(), config.destination.ns);
    options.state_dir = warehouse_ + "/_nilus";
    options.backoff_initial = std::chrono::milliseconds(1);
    PipelineRunner runner(config, sources.get(), sinks.get(), options);
    auto summary = runner.Run();
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    return summary.ok() ? summary.MoveValue() : RunSummary{};
  }

  std::vector<Row> ReadTable(const std::string& ns, const std::string& name) {
    std::vector<Row> out;
    auto table = catalog_->LoadTable(ns, name);
    EXPECT_TRUE(table.ok()) << table.status().ToString();
    if (!table.ok()) return out;
    auto batches = iceberg::ScanTable(**table);
    EXPECT_TRUE(batches.ok()) << batches.status().ToString();
    if (!batches.ok()) return out;
    for (const auto& b : *batches) {
      for (int64_t r = 0; r < b->num_rows(); ++r) {
        Row row;
        for (int c = 0; c < b->num_columns(); ++c) {
          row[b->schema()->fields()[c].name] = Cell(b->column(c), r);
        }
        out.push_back(std::move(row));
      }
    }
    return out;
  }

  std::map<std::string, Row> ByKey(const std::vector<Row>& rows, const std::string& key) {
    std::map<std::string, Row> out;
    for (const Row& r : rows) {
      EXPECT_TRUE(out.emplace(r.at(key), r).second) << key << " " << r.at(key) << " twice";
    }
    return out;
  }

  std::optional<std::string> SummaryProperty(const std::string& ns, const std::string& name,
                                             const std::string& key) {
    auto table = catalog_->LoadTable(ns, name);
    if (!table.ok()) return std::nullopt;
    auto sinks = MakeIcebergSinkFactory(catalog_.get(), ns);
    auto sink = sinks->Open(name, {});
    EXPECT_TRUE(sink.ok());
    auto v = (*sink)->LastCommittedProperty(key);
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : std::nullopt;
  }

  void Sqlite(const std::string& db, const std::string& sql) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(h);
  }

  std::string dir_;
  std::string warehouse_;
  LocalFileIO io_;
  std::unique_ptr<iceberg::SqlCatalogStore> store_;
  std::unique_ptr<iceberg::Catalog> catalog_;
};

const char kOrdersJsonl[] =
    R"({"id": 1, "customer": {"name": "Ada", "city": "Cairo"}, "items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}], "tags": ["new", "vip"]}
{"id": 2, "customer": {"name": "Bo", "city": "Giza"}, "items": [{"sku": "c", "qty": 5}], "tags": []}
{"id": 3, "customer": {"name": "Cy"}, "items": [], "tags": ["old"]}
)";

TEST_F(RunnerTest, JsonlNestedObjectsAndListsBecomeChildTables) {
  WriteFile(dir_ + "/orders.jsonl", kOrdersJsonl);
  PipelineConfig config = Config(R"(
name: shop
source:
  kind: jsonl
  tables:
    - name: orders
      path: )" + dir_ + R"(/*.jsonl
destination:
  warehouse: )" + warehouse_ + "\n");
  RunSummary s = Run(config);
  ASSERT_EQ(s.tables.size(), 1u);
  ASSERT_TRUE(s.tables[0].ok) << s.tables[0].error;
  EXPECT_EQ(s.tables[0].rows_extracted, 3);

  auto orders = ByKey(ReadTable("shop", "orders"), "id");
  ASSERT_EQ(orders.size(), 3u);
  EXPECT_EQ(orders["1"]["customer__name"], "Ada");
  EXPECT_EQ(orders["2"]["customer__city"], "Giza");
  EXPECT_EQ(orders["3"]["customer__city"], "null");
  EXPECT_EQ(orders["1"]["_nilus_load_id"], TableLoadId(s.run_id, "orders"));

  auto items = ReadTable("shop", "orders__items");
  ASSERT_EQ(items.size(), 3u);
  std::map<std::string, std::string> parent_of_sku;
  for (const Row& r : items) parent_of_sku[r.at("sku")] = r.at("_nilus_parent_id");
  EXPECT_EQ(parent_of_sku["a"], orders["1"]["_nilus_id"]);
  EXPECT_EQ(parent_of_sku["b"], orders["1"]["_nilus_id"]);
  EXPECT_EQ(parent_of_sku["c"], orders["2"]["_nilus_id"]);
  for (const Row& r : items) {
    if (r.at("sku") == "b") {
      EXPECT_EQ(r.at("qty"), "1");
      EXPECT_EQ(r.at("_nilus_list_idx"), "1");
    }
  }
  auto tags = ReadTable("shop", "orders__tags");
  std::multiset<std::string> values;
  for (const Row& r : tags) values.insert(r.at("value"));
  EXPECT_EQ(values, (std::multiset<std::string>{"new", "vip", "old"}));
  // The run finished: no journal is left.
  EXPECT_FALSE(fs::exists(warehouse_ + "/_nilus/shop.journal.json"));
  // Root and child outputs are reported, root first.
  ASSERT_EQ(s.tables[0].outputs.size(), 3u);
  EXPECT_EQ(s.tables[0].outputs[0].table, "orders");
  EXPECT_EQ(s.tables[0].outputs[0].rows_loaded, 3);
  EXPECT_TRUE(s.tables[0].outputs[0].snapshot_id.has_value());
}

// A merge replaces the descendants of every root row it rewrites: a list that shrank, became
// empty or lost a nested list leaves no stale rows, a deleted root takes its children along,
// and untouched roots keep theirs.
TEST_F(RunnerTest, MergeReplacesChildRowsOfRewrittenRoots) {
  const std::string path = dir_ + "/orders.jsonl";
  WriteFile(path,
            R"({"id": 1, "items": [{"sku": "a", "parts": [1, 2]}, {"sku": "b"}, {"sku": "c"}]}
{"id": 2, "items": [{"sku": "d"}, {"sku": "e"}]}
{"id": 3, "items": [{"sku": "f", "parts": [3]}]}
{"id": 4, "items": [{"sku": "g"}]}
)");
  PipelineConfig config = Config(R"(
name: shop
source:
  kind: jsonl
  tables:
    - name: orders
      path: )" + path + R"(
      primary_key: [id]
      write_disposition: merge
      delete_marker: _deleted
destination:
  warehouse: )" + warehouse_ + "\n");
  RunSummary first = Run(config);
  ASSERT_TRUE(first.ok()) << first.tables[0].error;
  ASSERT_EQ(ReadTable("shop", "orders__items").size(), 7u);
  ASSERT_EQ(ReadTable("shop", "orders__items__parts").size(), 3u);

  // 1 shrinks to one item without parts, 2 empties its list, 3 is deleted, 4 is untouched
  // (absent from the file), 5 is new.
  WriteFile(path, R"({"id": 1, "items": [{"sku": "a2"}]}
{"id": 2, "items": []}
{"id": 3, "_deleted": true}
{"id": 5, "items": [{"sku": "h", "parts": [9]}]}
)");
  RunSummary second = Run(config);
  ASSERT_TRUE(second.ok()) << second.tables[0].error;

  auto orders = ByKey(ReadTable("shop", "orders"), "id");
  EXPECT_EQ(orders.size(), 4u);  // 1, 2, 4, 5
  EXPECT_EQ(orders.count("3"), 0u);
  std::map<std::string, std::set<std::string>> skus_of;  // root _nilus_id -> skus
  for (const Row& r : ReadTable("shop", "orders__items")) {
    EXPECT_TRUE(skus_of[r.at("_nilus_root_id")].insert(r.at("sku")).second) << r.at("sku");
    EXPECT_EQ(r.at("_nilus_parent_id"), r.at("_nilus_root_id"));
  }
  EXPECT_EQ(skus_of.size(), 3u);
  EXPECT_EQ(skus_of[orders["1"]["_nilus_id"]], (std::set<std::string>{"a2"}));
  EXPECT_EQ(skus_of[orders["4"]["_nilus_id"]], (std::set<std::string>{"g"}));
  EXPECT_EQ(skus_of[orders["5"]["_nilus_id"]], (std::set<std::string>{"h"}));
  auto parts = ReadTable("shop", "orders__items__parts");
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].at("value"), "9");
  EXPECT_EQ(parts[0].at("_nilus_root_id"), orders["5"]["_nilus_id"]);
}

TEST_F(RunnerTest, CsvTypesAreInferred) {
  WriteFile(dir_ + "/prices.csv",
            "id,price,day,label\n1,9.5,2024-01-02,a\n2,10,2024-02-03,\n3,11.25,2024-03-04,c\n");
  PipelineConfig config = Config(R"(
name: csvp
source:
  kind: csv
  tables:
    - name: prices
      path: )" + dir_ + R"(/prices.csv
      write_disposition: replace
destination:
  warehouse: )" + warehouse_ + "\n");
  RunSummary s = Run(config);
  ASSERT_TRUE(s.tables[0].ok) << s.tables[0].error;
  auto table = catalog_->LoadTable("csvp", "prices");
  ASSERT_TRUE(table.ok());
  const Schema* schema = (*table)->metadata().CurrentSchema();
  std::map<std::string, TypeId> types;
  for (const NestedField& f : schema->fields()) types[f.name] = f.type->id();
  EXPECT_EQ(types["id"], TypeId::kLong);
  EXPECT_EQ(types["price"], TypeId::kDouble);
  EXPECT_EQ(types["day"], TypeId::kDate);
  EXPECT_EQ(types["label"], TypeId::kString);
  auto rows = ByKey(ReadTable("csvp", "prices"), "id");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows["2"]["price"], "10");
  EXPECT_EQ(rows["3"]["day"], "2024-03-04");
  EXPECT_EQ(rows["2"]["label"], "null");

  // replace is idempotent: a second run leaves the same three rows.
  Run(config);
  EXPECT_EQ(ReadTable("csvp", "prices").size(), 3u);
}

TEST_F(RunnerTest, CsvBadRowsGoToTheQuarantineTable) {
  WriteFile(dir_ + "/q.csv", "id,name\n1,a\n2,b,extra\n3,c\n");
  PipelineConfig config = Config(R"(
name: qp
source:
  kind: csv
  tables:
    - name: q
      path: )" + dir_ + R"(/q.csv
      csv: { on_bad_row: quarantine }
destination:
  warehouse: )" + warehouse_ + "\n");
  RunSummary s = Run(config);
  ASSERT_TRUE(s.tables[0].ok) << s.tables[0].error;
  auto rows = ByKey(ReadTable("qp", "q"), "id");
  EXPECT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.count("2"), 0u);
  auto bad = ReadTable("qp", "q__nilus_quarantine");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0]["line"], "3");
  EXPECT_EQ(bad[0]["raw"], "2,b,extra");
  EXPECT_EQ(bad[0]["_nilus_load_id"], TableLoadId(s.run_id, "q"));
}

TEST_F(RunnerTest, SqliteMergeWithIncrementalCursor) {
  const std::string db = dir_ + "/inv.db";
  Sqlite(db,
         "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, modified_at INTEGER);"
         "INSERT INTO items VALUES (1,'a',10),(2,'b',20),(3,'c',30);");
  PipelineConfig config = Config(R"(
name: inv
source:
  kind: sqlite
  path: )" + db + R"(
  tables:
    - name: items
      write_disposition: merge
      incremental: { cursor: modified_at }
destination:
  warehouse: )" + warehouse_ + "\n");
  RunSummary s1 = Run(config);
  ASSERT_TRUE(s1.tables[0].ok) << s1.tables[0].error;
  EXPECT_EQ(s1.tables[0].rows_extracted, 3);
  EXPECT_EQ(SummaryProperty("inv", "items", "nilus.cursor"), "30");

  Sqlite(db,
         "UPDATE items SET name='B', modified_at=40 WHERE id=2;"
         "INSERT INTO items VALUES (4,'d',50);");
  // Local state is not needed: the cursor lives in the table.
  fs::remove_all(warehouse_ + "/_nilus");
  RunSummary s2 = Run(config);
  ASSERT_TRUE(s2.tables[0].ok) << s2.tables[0].error;
  EXPECT_EQ(s2.tables[0].rows_extracted, 2);
  EXPECT_EQ(s2.tables[0].cursor_from, "30");
  EXPECT_EQ(s2.tables[0].cursor_to, "50");
  EXPECT_EQ(SummaryProperty("inv", "items", "nilus.cursor"), "50");
  auto rows = ByKey(ReadTable("inv", "items"), "id");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows["2"]["name"], "B");
  EXPECT_EQ(rows["1"]["name"], "a");
  EXPECT_EQ(rows["4"]["modified_at"], "50");

  // Nothing new: nothing read, cursor kept.
  RunSummary s3 = Run(config);
  ASSERT_TRUE(s3.tables[0].ok) << s3.tables[0].error;
  EXPECT_EQ(s3.tables[0].rows_extracted, 0);
  EXPECT_EQ(SummaryProperty("inv", "items", "nilus.cursor"), "50");
  EXPECT_EQ(ReadTable("inv", "items").size(), 4u);

  // --full-refresh ignores the cursor and replaces.
  RunnerOptions full;
  full.full_refresh = true;
  RunSummary s4 = Run(config, full);
  ASSERT_TRUE(s4.tables[0].ok) << s4.tables[0].error;
  EXPECT_EQ(s4.tables[0].rows_extracted, 4);
  EXPECT_EQ(ReadTable("inv", "items").size(), 4u);
}

TEST_F(RunnerTest, SqliteAppendWithLagDedupesByKey) {
  const std::string db = dir_ + "/moves.db";
  Sqlite(db,
         "CREATE TABLE moves(id INTEGER PRIMARY KEY, qty INTEGER);"
         "INSERT INTO moves VALUES (1,5),(2,6),(3,7);");
  PipelineConfig config = Config(R"(
name: mv
source:
  kind: sqlite
  path: )" + db + R"(
  tables:
    - name: moves
      incremental: { cursor: id, lag: 2 }
destination:
  warehouse: )" + warehouse_ + "\n");
  ASSERT_TRUE(Run(config).tables[0].ok);
  Sqlite(db, "INSERT INTO moves VALUES (4,8);");
  RunSummary s = Run(config);
  ASSERT_TRUE(s.tables[0].ok) << s.tables[0].error;
  EXPECT_EQ(s.tables[0].cursor_from, "1");  // 3 - lag 2, inclusive
  EXPECT_EQ(s.tables[0].rows_extracted, 4);
  auto rows = ByKey(ReadTable("mv", "moves"), "id");  // fails on duplicates
  EXPECT_EQ(rows.size(), 4u);
}

TEST_F(RunnerTest, RerunAfterCrashLeavesNoDuplicates) {
  WriteFile(dir_ + "/orders.jsonl", kOrdersJsonl);
  WriteFile(dir_ + "/events.jsonl", "{\"e\": 1}\n{\"e\": 2}\n");
  PipelineConfig config = Config(R"(
name: crash
source:
  kind: jsonl
  tables:
    - name: events
      path: )" + dir_ + R"(/events.jsonl
    - name: orders
      path: )" + dir_ + R"(/orders.jsonl
destination:
  warehouse: )" + warehouse_ + "\n");
  // Run 1: events commits; orders "crashes" right after its first child table committed.
  RunnerOptions crash;
  crash.table_workers = 1;
  crash.after_commit_hook = [](const std::string& table) {
    if (table == "orders__tags") return Status::Internal("simulated crash");
    return Status::OK();
  };
  RunSummary s1 = Run(config, crash);
  ASSERT_TRUE(s1.tables[0].ok) << s1.tables[0].error;
  ASSERT_FALSE(s1.tables[1].ok);
  EXPECT_NE(s1.tables[1].error.find("orders"), std::string::npos);
  EXPECT_TRUE(fs::exists(warehouse_ + "/_nilus/crash.journal.json"));
  EXPECT_EQ(ReadTable("crash", "orders__tags").size(), 3u);

  // Run 2 resumes: same load ids, events skipped, the committed child not written twice.
  RunSummary s2 = Run(config);
  EXPECT_TRUE(s2.resumed);
  EXPECT_EQ(s2.run_id, s1.run_id);
  ASSERT_TRUE(s2.tables[0].ok);
  EXPECT_TRUE(s2.tables[0].skipped);
  ASSERT_TRUE(s2.tables[1].ok) << s2.tables[1].error;
  EXPECT_EQ(ReadTable("crash", "events").size(), 2u);
  EXPECT_EQ(ReadTable("crash", "orders").size(), 3u);
  EXPECT_EQ(ReadTable("crash", "orders__items").size(), 3u);
  EXPECT_EQ(ReadTable("crash", "orders__tags").size(), 3u);
  EXPECT_FALSE(fs::exists(warehouse_ + "/_nilus/crash.journal.json"));

  // A crash between the root's commit and the journal update: the rerun skips the table.
  crash.after_commit_hook = [](const std::string& table) {
    if (table == "events") return Status::Internal("simulated crash after commit");
    return Status::OK();
  };
  RunSummary s3 = Run(config, crash);
  EXPECT_FALSE(s3.tables[0].ok);
  RunSummary s4 = Run(config);
  EXPECT_EQ(s4.run_id, s3.run_id);
  EXPECT_TRUE(s4.tables[0].skipped);
  // Append: each finished run adds the file once (runs 1-2 and runs 3-4 are two loads).
  EXPECT_EQ(ReadTable("crash", "events").size(), 4u);
  EXPECT_EQ(ReadTable("crash", "orders").size(), 6u);
}

// Fails the first `failures` streams with a retryable error after their first chunk, as a
// dropped connection would.
class FlakySourceFactory final : public SourceFactory {
 public:
  FlakySourceFactory(SourceFactory* inner, int failures) : inner_(inner), failures_(failures) {}
  Result<std::unique_ptr<SourceStream>> Open(const PipelineConfig& config, const TableConfig& table,
                                             const std::optional<CursorRange>& range) override {
    ++opens;
    NILUS_ASSIGN_OR_RAISE(auto stream, inner_->Open(config, table, range));
    return std::unique_ptr<SourceStream>(new Stream(std::move(stream), failures_-- > 0));
  }
  int opens = 0;

 private:
  class Stream final : public SourceStream {
   public:
    Stream(std::unique_ptr<SourceStream> inner, bool fail)
        : inner_(std::move(inner)), fail_(fail) {}
    Result<bool> Next(SourceChunk* out) override {
      if (fail_ && chunks_ == 1) return Status::Unavailable("connection dropped (simulated)");
      ++chunks_;
      return inner_->Next(out);
    }
    int64_t bytes_read() const override { return inner_->bytes_read(); }
    int64_t rows_read() const override { return inner_->rows_read(); }
    int64_t total_bytes() const override { return inner_->total_bytes(); }
    std::vector<std::string> primary_key() const override { return inner_->primary_key(); }
    std::string description() const override { return inner_->description(); }

   private:
    std::unique_ptr<SourceStream> inner_;
    bool fail_;
    int chunks_ = 0;
  };
  SourceFactory* inner_;
  int failures_;
};

TEST_F(RunnerTest, RetryableErrorsAreRetriedWithoutDuplicates) {
  const std::string db = dir_ + "/big.db";
  std::string sql =
      "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE g(x) AS "
      "(SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 2000) INSERT INTO t "
      "SELECT x, 'v' || x FROM g;";
  Sqlite(db, sql);
  PipelineConfig config = Config(R"(
name: flaky
source:
  kind: sqlite
  path: )" + db + R"(
  tables:
    - t
destination:
  warehouse: )" + warehouse_ + "\n");
  auto inner = MakeDefaultSourceFactory(&io_);
  auto sinks = MakeIcebergSinkFactory(catalog_.get(), "flaky");
  RunnerOptions options;
  options.state_dir = warehouse_ + "/_nilus";
  options.backoff_initial = std::chrono::milliseconds(1);
  {
    // Two drops, then success: three attempts, every row once.
    FlakySourceFactory flaky(inner.get(), 2);
    PipelineRunner runner(config, &flaky, sinks.get(), options);
    auto s = runner.Run();
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(s->tables[0].ok) << s->tables[0].error;
    EXPECT_EQ(s->tables[0].attempts, 3);
    EXPECT_EQ(flaky.opens, 3);
    EXPECT_EQ(ByKey(ReadTable("flaky", "t"), "id").size(), 2000u);
  }
  {
    // Always dropping: the table fails after max_attempts, naming the cause; nothing committed.
    options.max_attempts = 3;
    FlakySourceFactory flaky(inner.get(), 100);
    PipelineRunner runner(config, &flaky, sinks.get(), options);
    auto s = runner.Run();
    ASSERT_TRUE(s.ok());
    EXPECT_FALSE(s->tables[0].ok);
    EXPECT_EQ(s->tables[0].attempts, 3);
    EXPECT_NE(s->tables[0].error.find("connection dropped"), std::string::npos);
    EXPECT_EQ(ReadTable("flaky", "t").size(), 2000u);
  }
}

TEST_F(RunnerTest, BadConfigReportsEveryError) {
  std::vector<ConfigError> errors;
  auto config = ParsePipelineConfig(R"(
name: bad
source:
  kind: sqlite
  path: x.db
  tables:
    - name: a
      write_disposition: upsert
    - name: b
      incremental: {}
destination: {}
)",
                                    "bad.yaml", ProcessEnv(), &errors);
  ASSERT_FALSE(config.ok());
  ASSERT_GE(errors.size(), 3u);
  std::set<std::string> paths;
  for (const ConfigError& e : errors) paths.insert(e.path);
  EXPECT_TRUE(paths.count("source.tables[0].write_disposition")) << config.status().ToString();
  EXPECT_TRUE(paths.count("source.tables[1].incremental.cursor")) << config.status().ToString();
}

TEST_F(RunnerTest, MissingTableFailsAloneAndMetadataIsRecorded) {
  const std::string db = dir_ + "/two.db";
  Sqlite(db,
         "CREATE TABLE present(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO present VALUES "
         "(1,'x'),(2,'y');");
  PipelineConfig config = Config(R"(
name: two
source:
  kind: sqlite
  path: )" + db + R"(
  tables:
    - name: nope
    - name: present
      write_disposition: replace
destination:
  warehouse: )" + warehouse_ + "\n");
  auto store = SqliteMetadataStore::Open(SqliteMetadataStore::DefaultPath(warehouse_));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  RunnerOptions options;
  options.metadata = store->get();
  std::vector<TableProgress> last;
  options.on_progress = [&](const std::vector<TableProgress>& p) { last = p; };
  RunSummary s = Run(config, options);
  ASSERT_EQ(s.tables.size(), 2u);
  EXPECT_FALSE(s.tables[0].ok);
  EXPECT_NE(s.tables[0].error.find("nope"), std::string::npos) << s.tables[0].error;
  EXPECT_EQ(s.tables[0].attempts, 1);  // NotFound is not retried
  ASSERT_TRUE(s.tables[1].ok) << s.tables[1].error;
  EXPECT_EQ(s.failed_tables(), 1);
  EXPECT_EQ(ReadTable("two", "present").size(), 2u);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0].state, "failed");
  EXPECT_EQ(last[1].state, "done");
  EXPECT_EQ(last[1].rows, 2);
  // The journal stays for the failed run.
  EXPECT_TRUE(fs::exists(warehouse_ + "/_nilus/two.journal.json"));

  auto detail = (*store)->GetRun(s.run_id);
  ASSERT_TRUE(detail.ok()) << detail.status().ToString();
  EXPECT_EQ(detail->run.status, RunStatus::kPartial);
  EXPECT_EQ(detail->run.pipeline, "two");
  ASSERT_EQ(detail->extract.size(), 2u);
  ASSERT_EQ(detail->load.size(), 2u);
  for (const LoadInfo& l : detail->load) {
    if (l.table_name == "present") {
      EXPECT_EQ(l.status, StageStatus::kSucceeded);
      EXPECT_EQ(l.row_count, 2);
      EXPECT_EQ(l.destination_table, "two.present");
      EXPECT_TRUE(l.snapshot_id.has_value());
    } else {
      EXPECT_EQ(l.status, StageStatus::kFailed);
      EXPECT_TRUE(l.error.has_value());
    }
  }
  EXPECT_EQ(detail->run.rows_loaded, 2);
}

TEST_F(RunnerTest, DryRunWritesNothing) {
  WriteFile(dir_ + "/orders.jsonl", kOrdersJsonl);
  PipelineConfig config = Config(R"(
name: dry
source:
  kind: jsonl
  tables:
    - name: orders
      path: )" + dir_ + R"(/orders.jsonl
destination:
  warehouse: )" + warehouse_ + "\n");
  RunnerOptions options;
  options.dry_run = true;
  RunSummary s = Run(config, options);
  ASSERT_TRUE(s.tables[0].ok) << s.tables[0].error;
  EXPECT_EQ(s.tables[0].dry_run_schemas.size(), 3u);
  EXPECT_FALSE(s.tables[0].changes.empty());
  auto tables = store_->ListTables("dry");
  EXPECT_TRUE(!tables.ok() || tables->empty());
  EXPECT_FALSE(fs::exists(warehouse_ + "/dry"));
}

TEST_F(RunnerTest, CursorRangeWithLag) {
  IncrementalConfig inc;
  inc.cursor = "ts";
  inc.initial_value = "2024-01-01T00:00:00";
  auto first = ComputeCursorRange(inc, std::nullopt);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->from, "2024-01-01T00:00:00");
  EXPECT_TRUE(first->from_inclusive);
  inc.lag = CursorLag{CursorLag::Kind::kDuration, std::chrono::minutes(10), 0, "10m"};
  auto next = ComputeCursorRange(inc, std::string("2024-05-01T12:00:00.000000"));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->from, "2024-05-01T11:50:00.000000");
  inc.lag = CursorLag{CursorLag::Kind::kNumber, {}, 100, "100"};
  auto num = ComputeCursorRange(inc, std::string("1000"));
  ASSERT_TRUE(num.ok());
  EXPECT_EQ(num->from, "900");
  EXPECT_FALSE(ComputeCursorRange(inc, std::string("2024-05-01T12:00:00")).ok());
}

// PostgreSQL: replace and incremental append. Needs NILUS_TEST_PG_URL.
TEST_F(RunnerTest, PostgresReplaceAndIncrementalAppend) {
  const char* url = std::getenv("NILUS_TEST_PG_URL");
  if (url == nullptr || *url == '\0') GTEST_SKIP() << "NILUS_TEST_PG_URL is not set";
  auto conn = PgConnection::Open(url);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ASSERT_TRUE((*conn)
                  ->Exec("DROP TABLE IF EXISTS runner_t; CREATE TABLE runner_t(id int8 PRIMARY "
                         "KEY, name text, amount numeric(10,2), at timestamptz);"
                         "INSERT INTO runner_t SELECT g, 'n' || g, g * 1.5, "
                         "'2024-01-01'::timestamptz + g * interval '1 minute' FROM "
                         "generate_series(1, 5000) g;")
                  .ok());
  auto make = [&](const std::string& name, const std::string& table_yaml) {
    return Config("name: " + name + "\nsource:\n  kind: postgres\n  url: " + url + "\n  tables:\n" +
                  table_yaml + "destination:\n  warehouse: " + warehouse_ + "\n");
  };
  PipelineConfig replace =
      make("pgrep", "    - name: public.runner_t\n      write_disposition: replace\n");
  PipelineConfig incremental =
      make("pginc", "    - name: public.runner_t\n      incremental: { cursor: id }\n");
  RunSummary r1 = Run(replace);
  RunSummary i1 = Run(incremental);
  ASSERT_TRUE(r1.tables[0].ok) << r1.tables[0].error;
  ASSERT_TRUE(i1.tables[0].ok) << i1.tables[0].error;
  EXPECT_EQ(ByKey(ReadTable("pgrep", "runner_t"), "id").size(), 5000u);
  EXPECT_EQ(ByKey(ReadTable("pginc", "runner_t"), "id").size(), 5000u);
  EXPECT_EQ(SummaryProperty("pginc", "runner_t", "nilus.cursor"), "5000");

  ASSERT_TRUE((*conn)
                  ->Exec("INSERT INTO runner_t SELECT g, 'n' || g, g, now() FROM "
                         "generate_series(5001, 5100) g; DELETE FROM runner_t WHERE id <= 10;")
                  .ok());
  RunSummary r2 = Run(replace);
  RunSummary i2 = Run(incremental);
  ASSERT_TRUE(r2.tables[0].ok) << r2.tables[0].error;
  ASSERT_TRUE(i2.tables[0].ok) << i2.tables[0].error;
  EXPECT_EQ(i2.tables[0].rows_extracted, 100);
  EXPECT_EQ(ByKey(ReadTable("pgrep", "runner_t"), "id").size(), 5090u);  // replaced
  EXPECT_EQ(ByKey(ReadTable("pginc", "runner_t"), "id").size(), 5100u);  // appended
  EXPECT_EQ(SummaryProperty("pginc", "runner_t", "nilus.cursor"), "5100");
  ASSERT_TRUE((*conn)->Exec("DROP TABLE runner_t").ok());
}

}  // namespace
}  // namespace nilus::pipeline
