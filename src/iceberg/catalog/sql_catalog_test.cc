// Tests of SqlCatalogStore on SQLite (a temporary file and :memory:) and on PostgreSQL.
//
// The Pg* suites use the cluster named by NILUS_TEST_PG_URL (scripts/test sets it). Without it
// they fail, as tests/integration does: a silently skipped backend would look like a pass.
#include "iceberg/catalog/sql_catalog.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "iceberg/catalog/sql_connection_internal.h"

namespace nilus::iceberg {
namespace {

std::string UniqueCatalogName() {
  static std::atomic<int> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch().count();
  return "test_" + std::to_string(getpid()) + "_" + std::to_string(now) + "_" +
         std::to_string(counter++);
}

std::unique_ptr<SqlCatalogStore> OpenOrDie(const std::string& uri, const std::string& catalog) {
  auto store = SqlCatalogStore::Open(uri, catalog);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? store.MoveValue() : nullptr;
}

// ---------------------------------------------------------------------------------------------
// Checks shared by every backend.

void CheckNamespaces(const std::string& uri) {
  auto store = OpenOrDie(uri, UniqueCatalogName());
  ASSERT_NE(store, nullptr);

  auto top = store->ListNamespaces();
  ASSERT_TRUE(top.ok()) << top.status().ToString();
  EXPECT_TRUE(top->empty());
  EXPECT_FALSE(*store->NamespaceExists("shop"));

  ASSERT_TRUE(store->CreateNamespace("shop").ok());
  EXPECT_TRUE(*store->NamespaceExists("shop"));
  Status again = store->CreateNamespace("shop");
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
  EXPECT_NE(again.message().find("shop"), std::string::npos);

  // No properties given: the JdbcCatalog/PyIceberg marker.
  auto props = store->GetNamespaceProperties("shop");
  ASSERT_TRUE(props.ok()) << props.status().ToString();
  EXPECT_EQ(*props, (NamespaceProperties{{"exists", "true"}}));

  ASSERT_TRUE(store->CreateNamespace("lake.raw", {{"owner", "ana"}, {"tier", "bronze"}}).ok());
  ASSERT_TRUE(store->CreateNamespace("lake.gold").ok());
  // The parent of a nested namespace exists implicitly, as in PyIceberg.
  EXPECT_TRUE(*store->NamespaceExists("lake"));
  EXPECT_EQ(store->CreateNamespace("lake").code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(*store->NamespaceExists("lak"));
  EXPECT_FALSE(*store->NamespaceExists("lake.ra"));
  // LIKE wildcards in names are literal.
  EXPECT_FALSE(*store->NamespaceExists("lake_raw"));
  EXPECT_FALSE(*store->NamespaceExists("l%"));

  EXPECT_EQ(*store->ListNamespaces(), (std::vector<std::string>{"lake", "shop"}));
  EXPECT_EQ(*store->ListNamespaces("lake"), (std::vector<std::string>{"lake.gold", "lake.raw"}));
  EXPECT_TRUE(store->ListNamespaces("lake.raw")->empty());
  EXPECT_EQ(store->ListNamespaces("nope").status().code(), StatusCode::kNotFound);

  props = store->GetNamespaceProperties("lake.raw");
  ASSERT_TRUE(props.ok());
  EXPECT_EQ(*props, (NamespaceProperties{{"owner", "ana"}, {"tier", "bronze"}}));
  ASSERT_TRUE(
      store->SetNamespaceProperties("lake.raw", {{"tier", "silver"}, {"x", "1"}}, {"owner"}).ok());
  EXPECT_EQ(*store->GetNamespaceProperties("lake.raw"),
            (NamespaceProperties{{"tier", "silver"}, {"x", "1"}}));
  // Removing every property keeps the namespace.
  ASSERT_TRUE(store->SetNamespaceProperties("lake.raw", {}, {"tier", "x"}).ok());
  EXPECT_TRUE(*store->NamespaceExists("lake.raw"));
  EXPECT_EQ(*store->GetNamespaceProperties("lake.raw"), (NamespaceProperties{{"exists", "true"}}));
  EXPECT_EQ(store->SetNamespaceProperties("lake.raw", {{"a", "1"}}, {"a"}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store->SetNamespaceProperties("nope", {{"a", "1"}}).code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetNamespaceProperties("nope").status().code(), StatusCode::kNotFound);

  // Drop: refuses while tables live there.
  ASSERT_TRUE(store->CreateTable("shop", "orders", "file:///w/shop/orders/m/1.json").ok());
  Status busy = store->DropNamespace("shop");
  EXPECT_EQ(busy.code(), StatusCode::kInvalidArgument) << busy.ToString();
  EXPECT_NE(busy.message().find("shop"), std::string::npos);
  ASSERT_TRUE(store->DropTable("shop", "orders").ok());
  ASSERT_TRUE(store->DropNamespace("shop").ok());
  EXPECT_FALSE(*store->NamespaceExists("shop"));
  EXPECT_EQ(store->DropNamespace("shop").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store->DropNamespace("lake.gold").ok());
  EXPECT_EQ(*store->ListNamespaces("lake"), (std::vector<std::string>{"lake.raw"}));

  // Malformed names.
  EXPECT_EQ(store->CreateNamespace("").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->CreateNamespace("a..b").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->CreateNamespace(".a").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->CreateNamespace(std::string(256, 'n')).code(), StatusCode::kInvalidArgument);
}

void CheckTables(const std::string& uri) {
  auto store = OpenOrDie(uri, UniqueCatalogName());
  ASSERT_NE(store, nullptr);

  Status no_ns = store->CreateTable("shop", "orders", "file:///w/1.metadata.json");
  EXPECT_EQ(no_ns.code(), StatusCode::kNotFound) << no_ns.ToString();
  EXPECT_NE(no_ns.message().find("shop"), std::string::npos);

  ASSERT_TRUE(store->CreateNamespace("shop").ok());
  ASSERT_TRUE(store->CreateNamespace("archive").ok());
  ASSERT_TRUE(store->CreateTable("shop", "orders", "file:///w/orders/1.metadata.json").ok());
  ASSERT_TRUE(store->CreateTable("shop", "customers", "file:///w/customers/1.metadata.json").ok());
  Status dup = store->CreateTable("shop", "orders", "file:///w/other.metadata.json");
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists) << dup.ToString();
  EXPECT_NE(dup.message().find("shop.orders"), std::string::npos);

  auto loc = store->LoadTable("shop", "orders");
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(*loc, "file:///w/orders/1.metadata.json");
  auto missing = store->LoadTable("shop", "nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("shop.nope"), std::string::npos)
      << missing.status().ToString();

  EXPECT_EQ(*store->ListTables("shop"), (std::vector<std::string>{"customers", "orders"}));
  EXPECT_TRUE(store->ListTables("archive")->empty());
  EXPECT_EQ(store->ListTables("nope").status().code(), StatusCode::kNotFound);
  // A table makes its namespace's parents visible.
  ASSERT_TRUE(store->CreateNamespace("deep.er").ok());
  ASSERT_TRUE(store->CreateTable("deep.er", "t", "file:///w/t/1.metadata.json").ok());
  EXPECT_EQ(*store->ListNamespaces(), (std::vector<std::string>{"archive", "deep", "shop"}));

  // Rename.
  ASSERT_TRUE(store->RenameTable("shop", "customers", "archive", "clients").ok());
  EXPECT_EQ(store->LoadTable("shop", "customers").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*store->LoadTable("archive", "clients"), "file:///w/customers/1.metadata.json");
  EXPECT_EQ(store->RenameTable("shop", "ghost", "shop", "x").code(), StatusCode::kNotFound);
  Status taken = store->RenameTable("archive", "clients", "shop", "orders");
  EXPECT_EQ(taken.code(), StatusCode::kAlreadyExists) << taken.ToString();
  EXPECT_EQ(store->RenameTable("archive", "clients", "nowhere", "c").code(), StatusCode::kNotFound);
  EXPECT_EQ(*store->LoadTable("archive", "clients"), "file:///w/customers/1.metadata.json");

  // Drop returns the last pointer, after commits moved it.
  ASSERT_TRUE(store
                  ->SwapMetadataLocation("shop", "orders", "file:///w/orders/1.metadata.json",
                                         "file:///w/orders/2.metadata.json")
                  .ok());
  auto last = store->DropTable("shop", "orders");
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(*last, "file:///w/orders/2.metadata.json");
  EXPECT_EQ(store->DropTable("shop", "orders").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->LoadTable("shop", "orders").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->ListTables("shop")->empty());

  EXPECT_EQ(store->CreateTable("shop", "", "file:///x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->CreateTable("shop", "t", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->CreateTable("shop", "t", std::string(1001, 'x')).code(),
            StatusCode::kInvalidArgument);
}

// Reads the raw row, to see what other engines will see.
std::vector<SqlCatalogRow> RawTableRow(const std::string& uri, const std::string& catalog,
                                       const std::string& ns, const std::string& name) {
  auto conn = OpenSqlCatalogConnection(uri);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  if (!conn.ok()) return {};
  auto rows = (*conn)->Query(
      "SELECT metadata_location, previous_metadata_location, iceberg_type FROM iceberg_tables "
      "WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?",
      {catalog, ns, name});
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() ? *rows : std::vector<SqlCatalogRow>{};
}

void CheckSwap(const std::string& uri, bool can_reopen) {
  const std::string catalog = UniqueCatalogName();
  auto store = OpenOrDie(uri, catalog);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateNamespace("ns").ok());
  ASSERT_TRUE(store->CreateTable("ns", "t", "m/1.json").ok());

  ASSERT_TRUE(store->SwapMetadataLocation("ns", "t", "m/1.json", "m/2.json").ok());
  EXPECT_EQ(*store->LoadTable("ns", "t"), "m/2.json");

  // A writer that still believes in m/1.json lost the race.
  Status lost = store->SwapMetadataLocation("ns", "t", "m/1.json", "m/3.json");
  EXPECT_EQ(lost.code(), StatusCode::kConflict) << lost.ToString();
  EXPECT_TRUE(lost.retryable());
  EXPECT_NE(lost.message().find("ns.t"), std::string::npos);
  EXPECT_NE(lost.message().find("m/2.json"), std::string::npos);
  EXPECT_EQ(*store->LoadTable("ns", "t"), "m/2.json");

  Status gone = store->SwapMetadataLocation("ns", "missing", "m/1.json", "m/2.json");
  EXPECT_EQ(gone.code(), StatusCode::kNotFound) << gone.ToString();
  EXPECT_FALSE(gone.retryable());

  // Same schema, other catalog: invisible and untouched.
  // A second :memory: store would be a different database, so only files and servers qualify.
  if (can_reopen) {
    auto other = OpenOrDie(uri, catalog + "_other");
    ASSERT_NE(other, nullptr);
    EXPECT_EQ(other->LoadTable("ns", "t").status().code(), StatusCode::kNotFound);
    EXPECT_FALSE(*other->NamespaceExists("ns"));
    EXPECT_EQ(other->SwapMetadataLocation("ns", "t", "m/2.json", "m/9.json").code(),
              StatusCode::kNotFound);

    auto raw = RawTableRow(uri, catalog, "ns", "t");
    ASSERT_EQ(raw.size(), 1u);
    EXPECT_EQ(raw[0][0], "m/2.json");
    EXPECT_EQ(raw[0][1], "m/1.json");
    EXPECT_EQ(raw[0][2], "TABLE");
  }
  EXPECT_EQ(*store->LoadTable("ns", "t"), "m/2.json");
}

// Eight processes each land 50 compare-and-swap increments on one row, retrying on conflict.
// Every success read value N and wrote N+1, so 400 successes end at 400 only if no update
// was lost.
void CheckConcurrentSwaps(const std::string& uri) {
  constexpr int kProcs = 8;
  constexpr int kSwapsEach = 50;
  const std::string catalog = UniqueCatalogName();
  {
    auto store = OpenOrDie(uri, catalog);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->CreateNamespace("ns").ok());
    ASSERT_TRUE(store->CreateTable("ns", "counter", "counter-0").ok());
  }  // closed before fork: children must not share a connection

  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Child: plain exits only, no gtest assertions.
      auto store = SqlCatalogStore::Open(uri, catalog);
      if (!store.ok()) {
        fprintf(stderr, "child open: %s\n", store.status().ToString().c_str());
        _exit(10);
      }
      int done = 0;
      int attempts = 0;
      while (done < kSwapsEach) {
        if (++attempts > 100000) _exit(11);
        auto cur = (*store)->LoadTable("ns", "counter");
        if (!cur.ok()) {
          if (cur.status().retryable()) continue;
          fprintf(stderr, "child load: %s\n", cur.status().ToString().c_str());
          _exit(12);
        }
        long n = std::strtol(cur->c_str() + std::string("counter-").size(), nullptr, 10);
        Status st = (*store)->SwapMetadataLocation("ns", "counter", *cur,
                                                   "counter-" + std::to_string(n + 1));
        if (st.ok()) {
          ++done;
        } else if (!st.retryable()) {
          fprintf(stderr, "child swap: %s\n", st.ToString().c_str());
          _exit(13);
        }
      }
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto store = OpenOrDie(uri, catalog);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->LoadTable("ns", "counter"), "counter-" + std::to_string(kProcs * kSwapsEach));
  auto raw = RawTableRow(uri, catalog, "ns", "counter");
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_EQ(raw[0][1], "counter-" + std::to_string(kProcs * kSwapsEach - 1));
}

// Several processes opening a fresh database at once: table creation must be idempotent.
void CheckConcurrentOpen(const std::string& uri) {
  const std::string catalog = UniqueCatalogName();
  std::vector<pid_t> pids;
  for (int p = 0; p < 8; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = SqlCatalogStore::Open(uri, catalog);
      if (!store.ok()) {
        fprintf(stderr, "child open: %s\n", store.status().ToString().c_str());
        _exit(10);
      }
      Status st = (*store)->CreateNamespace("ns" + std::to_string(p));
      _exit(st.ok() ? 0 : 11);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto store = OpenOrDie(uri, catalog);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->ListNamespaces()->size(), 8u);
}

// ---------------------------------------------------------------------------------------------
// SQLite

class SqliteFileCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("nilus_icat_" + UniqueCatalogName());
    std::filesystem::create_directories(dir_);
    // Absolute path: sqlite:/// followed by "/tmp/...".
    uri_ = "sqlite:///" + (dir_ / "catalog.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string uri_;
};

TEST_F(SqliteFileCatalogTest, Namespaces) { CheckNamespaces(uri_); }
TEST_F(SqliteFileCatalogTest, Tables) { CheckTables(uri_); }
TEST_F(SqliteFileCatalogTest, SwapIsCompareAndSwap) { CheckSwap(uri_, true); }
TEST_F(SqliteFileCatalogTest, EightProcessesLoseNoUpdate) { CheckConcurrentSwaps(uri_); }
TEST_F(SqliteFileCatalogTest, ConcurrentOpenCreatesTablesOnce) { CheckConcurrentOpen(uri_); }

TEST_F(SqliteFileCatalogTest, SchemaMatchesJdbcCatalog) {
  auto store = OpenOrDie(uri_, "c");
  ASSERT_NE(store, nullptr);
  auto conn = OpenSqlCatalogConnection(uri_);
  ASSERT_TRUE(conn.ok());
  auto cols = (*conn)->Query(
      "SELECT name, type, \"notnull\", pk FROM pragma_table_info('iceberg_tables') ORDER BY cid",
      {});
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  std::vector<std::string> got;
  for (const auto& c : *cols) got.push_back(*c[0] + " " + *c[1] + " " + *c[2] + " " + *c[3]);
  EXPECT_EQ(got,
            (std::vector<std::string>{
                "catalog_name VARCHAR(255) 1 1", "table_namespace VARCHAR(255) 1 2",
                "table_name VARCHAR(255) 1 3", "metadata_location VARCHAR(1000) 0 0",
                "previous_metadata_location VARCHAR(1000) 0 0", "iceberg_type VARCHAR(5) 0 0"}));
  cols = (*conn)->Query(
      "SELECT name, type, pk FROM pragma_table_info('iceberg_namespace_properties') ORDER BY cid",
      {});
  ASSERT_TRUE(cols.ok());
  got.clear();
  for (const auto& c : *cols) got.push_back(*c[0] + " " + *c[1] + " " + *c[2]);
  EXPECT_EQ(got, (std::vector<std::string>{
                     "catalog_name VARCHAR(255) 1", "namespace VARCHAR(255) 2",
                     "property_key VARCHAR(255) 3", "property_value VARCHAR(1000) 0"}));
  // Opening again is idempotent.
  EXPECT_NE(OpenOrDie(uri_, "c"), nullptr);
}

// A database laid out by PyIceberg (no iceberg_type column), with rows it wrote.
TEST_F(SqliteFileCatalogTest, UsesTablesCreatedByPyIceberg) {
  {
    auto conn = OpenSqlCatalogConnection(uri_);
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(
        (*conn)
            ->Exec("CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) NOT NULL, "
                   "table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT "
                   "NULL, metadata_location VARCHAR(1000), previous_metadata_location "
                   "VARCHAR(1000), PRIMARY KEY (catalog_name, table_namespace, table_name))",
                   {})
            .ok());
    ASSERT_TRUE((*conn)
                    ->Exec("CREATE TABLE iceberg_namespace_properties (catalog_name VARCHAR(255) "
                           "NOT NULL, namespace VARCHAR(255) NOT NULL, property_key VARCHAR(255) "
                           "NOT NULL, property_value VARCHAR(1000) NOT NULL, PRIMARY KEY "
                           "(catalog_name, namespace, property_key))",
                           {})
                    .ok());
    ASSERT_TRUE((*conn)
                    ->Exec("INSERT INTO iceberg_namespace_properties VALUES ('py', 'default', "
                           "'exists', 'true')",
                           {})
                    .ok());
    ASSERT_TRUE((*conn)
                    ->Exec("INSERT INTO iceberg_tables VALUES ('py', 'default', 'taxis', "
                           "'file:///w/taxis/metadata/00000-a.metadata.json', NULL)",
                           {})
                    .ok());
  }
  auto store = OpenOrDie(uri_, "py");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->ListNamespaces(), (std::vector<std::string>{"default"}));
  EXPECT_EQ(*store->ListTables("default"), (std::vector<std::string>{"taxis"}));
  EXPECT_EQ(*store->LoadTable("default", "taxis"),
            "file:///w/taxis/metadata/00000-a.metadata.json");
  ASSERT_TRUE(store->CreateTable("default", "rides", "file:///w/rides/m.json").ok());
  ASSERT_TRUE(store
                  ->SwapMetadataLocation("default", "taxis",
                                         "file:///w/taxis/metadata/00000-a.metadata.json",
                                         "file:///w/taxis/metadata/00001-b.metadata.json")
                  .ok());
  EXPECT_EQ(*store->ListTables("default"), (std::vector<std::string>{"rides", "taxis"}));
}

// JdbcCatalog (schema V1) keeps views in iceberg_tables with iceberg_type = 'VIEW'.
TEST_F(SqliteFileCatalogTest, IgnoresJdbcViews) {
  auto store = OpenOrDie(uri_, "c");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateNamespace("ns").ok());
  ASSERT_TRUE(store->CreateTable("ns", "t", "t/1.json").ok());
  auto conn = OpenSqlCatalogConnection(uri_);
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(
      (*conn)
          ->Exec("INSERT INTO iceberg_tables VALUES ('c', 'ns', 'v', 'v/1.json', NULL, 'VIEW')", {})
          .ok());
  EXPECT_EQ(*store->ListTables("ns"), (std::vector<std::string>{"t"}));
  EXPECT_EQ(store->LoadTable("ns", "v").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->SwapMetadataLocation("ns", "v", "v/1.json", "v/2.json").code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store->DropTable("ns", "v").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->RenameTable("ns", "v", "ns", "w").code(), StatusCode::kNotFound);
  // The view still holds its name.
  EXPECT_EQ(store->CreateTable("ns", "v", "x.json").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store->RenameTable("ns", "t", "ns", "v").code(), StatusCode::kAlreadyExists);
  auto raw = RawTableRow(uri_, "c", "ns", "v");
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_EQ(raw[0][0], "v/1.json");
}

TEST_F(SqliteFileCatalogTest, RelativePathUri) {
  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  auto store = SqlCatalogStore::Open("sqlite:///sub.db", "c");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir_ / "sub.db"));
}

TEST(SqliteMemoryCatalogTest, Namespaces) { CheckNamespaces("sqlite:///:memory:"); }
TEST(SqliteMemoryCatalogTest, Tables) { CheckTables("sqlite:///:memory:"); }
TEST(SqliteMemoryCatalogTest, SwapIsCompareAndSwap) { CheckSwap("sqlite:///:memory:", false); }

TEST(SqliteMemoryCatalogTest, ThreadsShareOneStore) {
  auto store = OpenOrDie("sqlite:///:memory:", "c");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateNamespace("ns").ok());
  ASSERT_TRUE(store->CreateTable("ns", "counter", "counter-0").ok());
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int done = 0; done < 25;) {
        auto cur = store->LoadTable("ns", "counter");
        if (!cur.ok()) return;
        long n = std::strtol(cur->c_str() + 8, nullptr, 10);
        Status st =
            store->SwapMetadataLocation("ns", "counter", *cur, "counter-" + std::to_string(n + 1));
        if (st.ok()) {
          ++done;
          ++successes;
        } else if (!st.retryable()) {
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(successes.load(), 100);
  EXPECT_EQ(*store->LoadTable("ns", "counter"), "counter-100");
}

TEST(SqlCatalogUriTest, RejectsUnknownSchemes) {
  auto store = SqlCatalogStore::Open("mysql://u:secret@h/db", "c");
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.status().message().find("secret"), std::string::npos)
      << store.status().ToString();
  EXPECT_EQ(SqlCatalogStore::Open("sqlite:///:memory:", "").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SqlCatalogUriTest, RedactsPasswords) {
  EXPECT_EQ(RedactCatalogUri("postgresql://app:s3cret@db:5432/shop"),
            "postgresql://app@db:5432/shop");
  EXPECT_EQ(RedactCatalogUri("postgresql://db/shop?user=a&password=s3cret&sslmode=off"),
            "postgresql://db/shop?user=a&password=***&sslmode=off");
  EXPECT_EQ(RedactCatalogUri("postgresql://app@db/shop"), "postgresql://app@db/shop");
  EXPECT_EQ(RedactCatalogUri("sqlite:///./w/catalog.db"), "sqlite:///./w/catalog.db");
}

TEST(SqlCatalogUriTest, UnreachableDatabaseIsRetryableAndNamed) {
  auto store = SqlCatalogStore::Open("sqlite:///no/such/dir/catalog.db", "c");
  EXPECT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("no/such/dir/catalog.db"), std::string::npos)
      << store.status().ToString();
  // Port 1 on loopback: nothing listens there.
  auto pg = SqlCatalogStore::Open("postgresql://u:hunter2@127.0.0.1:1/db?connect_timeout=2", "c");
  EXPECT_EQ(pg.status().code(), StatusCode::kUnavailable) << pg.status().ToString();
  EXPECT_TRUE(pg.status().retryable());
  EXPECT_EQ(pg.status().message().find("hunter2"), std::string::npos) << pg.status().ToString();
  EXPECT_NE(pg.status().message().find("127.0.0.1:1"), std::string::npos);
}

// A writer that cannot get the lock within its busy timeout gets a retryable error naming the
// database. (The store waits 30 s; a raw connection with a 50 ms timeout keeps the test fast.)
TEST_F(SqliteFileCatalogTest, BusyDatabaseIsRetryable) {
  auto store = OpenOrDie(uri_, "c");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateNamespace("ns").ok());
  auto holder = OpenSqlCatalogConnection(uri_);
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE((*holder)->BeginWrite().ok());
  auto waiter = OpenSqlCatalogConnection(uri_);
  ASSERT_TRUE(waiter.ok());
  ASSERT_TRUE((*waiter)->Query("PRAGMA busy_timeout = 50", {}).ok());
  Status st = (*waiter)->BeginWrite();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_TRUE(st.retryable());
  EXPECT_NE(st.message().find(uri_), std::string::npos) << st.ToString();
  (*holder)->Rollback();
  EXPECT_TRUE((*waiter)->BeginWrite().ok());
  (*waiter)->Rollback();
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

class PgCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("NILUS_TEST_PG_URL");
    if (url == nullptr || *url == '\0') {
      GTEST_FAIL() << "NILUS_TEST_PG_URL is not set. Run scripts/test, which starts a PostgreSQL "
                      "test cluster and sets it, or run `export NILUS_TEST_PG_URL=$(scripts/pg "
                      "start)` first.";
    }
    uri_ = url;
  }
  std::string uri_;
};

TEST_F(PgCatalogTest, Namespaces) { CheckNamespaces(uri_); }
TEST_F(PgCatalogTest, Tables) { CheckTables(uri_); }
TEST_F(PgCatalogTest, SwapIsCompareAndSwap) { CheckSwap(uri_, true); }
TEST_F(PgCatalogTest, EightProcessesLoseNoUpdate) { CheckConcurrentSwaps(uri_); }
// In a fresh schema, so that the eight openers really race to create the tables.
TEST_F(PgCatalogTest, ConcurrentOpenCreatesTablesOnce) {
  auto admin = OpenSqlCatalogConnection(uri_);
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  const std::string schema = UniqueCatalogName();
  ASSERT_TRUE((*admin)->Exec("CREATE SCHEMA " + schema, {}).ok());
  const std::string uri = uri_ + (uri_.find('?') == std::string::npos ? "?" : "&") +
                          "options=-csearch_path%3D" + schema;
  CheckConcurrentOpen(uri);
  auto in_schema = (*admin)->Query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1",
      {schema});
  ASSERT_TRUE(in_schema.ok());
  ASSERT_EQ(in_schema->size(), 2u);
  EXPECT_EQ((*in_schema)[0][0], "iceberg_namespace_properties");
  EXPECT_EQ((*in_schema)[1][0], "iceberg_tables");
  EXPECT_TRUE((*admin)->Exec("DROP SCHEMA " + schema + " CASCADE", {}).ok());
}

TEST_F(PgCatalogTest, SchemaMatchesJdbcCatalog) {
  ASSERT_NE(OpenOrDie(uri_, UniqueCatalogName()), nullptr);
  auto conn = OpenSqlCatalogConnection(uri_);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto cols = (*conn)->Query(
      "SELECT table_name, column_name, data_type, character_maximum_length::text, is_nullable "
      "FROM information_schema.columns WHERE table_name IN ('iceberg_tables', "
      "'iceberg_namespace_properties') AND table_schema = current_schema() ORDER BY table_name, "
      "ordinal_position",
      {});
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  std::vector<std::string> got;
  for (const auto& c : *cols) {
    got.push_back(*c[0] + "." + *c[1] + " " + *c[2] + "(" + *c[3] + ") " + *c[4]);
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "iceberg_namespace_properties.catalog_name character varying(255) NO",
                     "iceberg_namespace_properties.namespace character varying(255) NO",
                     "iceberg_namespace_properties.property_key character varying(255) NO",
                     "iceberg_namespace_properties.property_value character varying(1000) YES",
                     "iceberg_tables.catalog_name character varying(255) NO",
                     "iceberg_tables.table_namespace character varying(255) NO",
                     "iceberg_tables.table_name character varying(255) NO",
                     "iceberg_tables.metadata_location character varying(1000) YES",
                     "iceberg_tables.previous_metadata_location character varying(1000) YES",
                     "iceberg_tables.iceberg_type character varying(5) YES"}));
}

TEST_F(PgCatalogTest, DuplicateKeyMapsToAlreadyExists) {
  auto conn = OpenSqlCatalogConnection(uri_);
  ASSERT_TRUE(conn.ok());
  ASSERT_NE(OpenOrDie(uri_, "c"), nullptr);
  const std::string cat = UniqueCatalogName();
  const std::string ins = "INSERT INTO iceberg_namespace_properties VALUES (?, 'ns', 'k', 'v')";
  ASSERT_TRUE((*conn)->Exec(ins, {cat}).ok());
  Status st = (*conn)->Exec(ins, {cat}).status();
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists) << st.ToString();
  ASSERT_TRUE(
      (*conn)->Exec("DELETE FROM iceberg_namespace_properties WHERE catalog_name = ?", {cat}).ok());
}

}  // namespace
}  // namespace nilus::iceberg
