#include "iceberg/catalog/sql_catalog.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>
#include <utility>

#include "iceberg/catalog/sql_connection_internal.h"

namespace nilus::iceberg {

namespace {

// Column sizes shared with JdbcCatalog (JdbcUtil) and PyIceberg (catalog/sql.py).
constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxLocationLength = 1000;
constexpr char kExistsProperty[] = "exists";

constexpr char kCreateTablesTable[] =
    "CREATE TABLE IF NOT EXISTS iceberg_tables ("
    "catalog_name VARCHAR(255) NOT NULL, "
    "table_namespace VARCHAR(255) NOT NULL, "
    "table_name VARCHAR(255) NOT NULL, "
    "metadata_location VARCHAR(1000), "
    "previous_metadata_location VARCHAR(1000), "
    "iceberg_type VARCHAR(5), "
    "PRIMARY KEY (catalog_name, table_namespace, table_name))";

constexpr char kCreatePropertiesTable[] =
    "CREATE TABLE IF NOT EXISTS iceberg_namespace_properties ("
    "catalog_name VARCHAR(255) NOT NULL, "
    "namespace VARCHAR(255) NOT NULL, "
    "property_key VARCHAR(255) NOT NULL, "
    "property_value VARCHAR(1000), "
    "PRIMARY KEY (catalog_name, namespace, property_key))";

// Escapes LIKE wildcards with '!' (used as the ESCAPE character), as PyIceberg does.
std::string EscapeLike(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '!' || c == '_' || c == '%') out += '!';
    out += c;
  }
  return out;
}

std::vector<std::string> SplitLevels(const std::string& ns) {
  std::vector<std::string> levels;
  size_t start = 0;
  while (true) {
    size_t dot = ns.find('.', start);
    levels.push_back(ns.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return levels;
}

Status ValidateNamespace(const std::string& ns) {
  if (ns.empty()) return Status::Invalid("namespace must not be empty");
  if (ns.size() > kMaxNameLength) {
    return Status::Invalid("namespace '" + ns + "' is longer than 255 characters");
  }
  for (const auto& level : SplitLevels(ns)) {
    if (level.empty()) return Status::Invalid("namespace '" + ns + "' has an empty level");
  }
  return Status::OK();
}

Status ValidateTableName(const std::string& ns, const std::string& name) {
  NILUS_RETURN_NOT_OK(ValidateNamespace(ns));
  if (name.empty()) return Status::Invalid("table name in namespace '" + ns + "' is empty");
  if (name.size() > kMaxNameLength) {
    return Status::Invalid("table name '" + name + "' is longer than 255 characters");
  }
  return Status::OK();
}

Status ValidateLocation(const std::string& location) {
  if (location.empty()) return Status::Invalid("metadata location must not be empty");
  if (location.size() > kMaxLocationLength) {
    return Status::Invalid("metadata location '" + location + "' is longer than 1000 characters");
  }
  return Status::OK();
}

}  // namespace

SqlCatalogStore::SqlCatalogStore(std::unique_ptr<SqlCatalogConnection> conn,
                                 std::string catalog_name)
    : conn_(std::move(conn)), catalog_name_(std::move(catalog_name)) {}

SqlCatalogStore::~SqlCatalogStore() = default;

const std::string& SqlCatalogStore::redacted_uri() const { return conn_->redacted_uri(); }

Result<std::unique_ptr<SqlCatalogStore>> SqlCatalogStore::Open(const std::string& uri,
                                                               const std::string& catalog_name) {
  if (catalog_name.empty() || catalog_name.size() > kMaxNameLength) {
    return Status::Invalid("catalog name must have 1 to 255 characters");
  }
  NILUS_ASSIGN_OR_RAISE(auto conn, OpenSqlCatalogConnection(uri));
  std::unique_ptr<SqlCatalogStore> store(new SqlCatalogStore(std::move(conn), catalog_name));
  NILUS_RETURN_NOT_OK(store->EnsureTables());
  return store;
}

Status SqlCatalogStore::EnsureTables() {
  // Concurrent CREATE TABLE IF NOT EXISTS may still collide in PostgreSQL's own catalog (a
  // duplicate type or a unique violation on pg_type); the loser tries again and then sees the
  // table.
  Status st;
  for (int attempt = 0; attempt < 10; ++attempt) {
    st = conn_->Exec(kCreateTablesTable, {}).status();
    if (st.ok()) st = conn_->Exec(kCreatePropertiesTable, {}).status();
    if (st.ok()) break;
    if (!st.retryable() && st.code() != StatusCode::kAlreadyExists) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10 * (attempt + 1)));
  }
  NILUS_RETURN_NOT_OK_CTX(st, "creating catalog tables in " + redacted_uri());
  // Tables made by PyIceberg or JdbcCatalog's V0 schema lack iceberg_type; use them as they are.
  has_type_column_ = conn_->Query("SELECT iceberg_type FROM iceberg_tables WHERE 1 = 0", {}).ok();
  return Status::OK();
}

std::string SqlCatalogStore::TableRef(const std::string& ns, const std::string& name) const {
  return "table '" + ns + "." + name + "' in catalog '" + catalog_name_ + "' (" + redacted_uri() +
         ")";
}

std::string SqlCatalogStore::NamespaceRef(const std::string& ns) const {
  return "namespace '" + ns + "' in catalog '" + catalog_name_ + "' (" + redacted_uri() + ")";
}

template <typename Fn>
Status SqlCatalogStore::InWriteTransaction(Fn&& body) {
  NILUS_RETURN_NOT_OK(conn_->BeginWrite());
  Status st = body();
  if (st.ok()) st = conn_->Commit();
  if (!st.ok()) conn_->Rollback();
  return st;
}

Result<bool> SqlCatalogStore::NamespaceExistsLocked(const std::string& ns) {
  const std::string below = EscapeLike(ns) + ".%";
  NILUS_ASSIGN_OR_RAISE(auto rows, conn_->Query("SELECT 1 FROM iceberg_tables WHERE catalog_name "
                                                "= ? AND (table_namespace = ? OR table_namespace "
                                                "LIKE ? ESCAPE '!') LIMIT 1",
                                                {catalog_name_, ns, below}));
  if (!rows.empty()) return true;
  NILUS_ASSIGN_OR_RAISE(rows, conn_->Query("SELECT 1 FROM iceberg_namespace_properties WHERE "
                                           "catalog_name = ? AND (namespace = ? OR namespace LIKE "
                                           "? ESCAPE '!') LIMIT 1",
                                           {catalog_name_, ns, below}));
  return !rows.empty();
}

std::string SqlCatalogStore::TablesOnly() const {
  // Java's V1 schema keeps views in the same table; they are not tables.
  return has_type_column_ ? " AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)" : "";
}

Result<bool> SqlCatalogStore::TableExistsLocked(const std::string& ns, const std::string& name,
                                                bool tables_only) {
  NILUS_ASSIGN_OR_RAISE(auto rows,
                        conn_->Query(std::string("SELECT 1 FROM iceberg_tables WHERE catalog_name "
                                                 "= ? AND table_namespace = ? AND table_name = ?") +
                                         (tables_only ? TablesOnly() : ""),
                                     {catalog_name_, ns, name}));
  return !rows.empty();
}

// --- namespaces ------------------------------------------------------------------------------

Status SqlCatalogStore::CreateNamespace(const std::string& ns, const NamespaceProperties& props) {
  NILUS_RETURN_NOT_OK(ValidateNamespace(ns));
  std::lock_guard<std::mutex> lock(mu_);
  NamespaceProperties rows = props;
  if (rows.empty()) rows[kExistsProperty] = "true";
  Status st = InWriteTransaction([&]() -> Status {
    NILUS_ASSIGN_OR_RAISE(bool exists, NamespaceExistsLocked(ns));
    if (exists) return Status::AlreadyExists(NamespaceRef(ns) + " already exists");
    for (const auto& [key, value] : rows) {
      NILUS_RETURN_NOT_OK(conn_
                              ->Exec("INSERT INTO iceberg_namespace_properties (catalog_name, "
                                     "namespace, property_key, property_value) VALUES (?, ?, ?, ?)",
                                     {catalog_name_, ns, key, value})
                              .status());
    }
    return Status::OK();
  });
  if (st.code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists(NamespaceRef(ns) + " already exists");
  }
  return st.ok() ? st : st.WithContext("creating " + NamespaceRef(ns));
}

Result<bool> SqlCatalogStore::NamespaceExists(const std::string& ns) {
  NILUS_RETURN_NOT_OK(ValidateNamespace(ns));
  std::lock_guard<std::mutex> lock(mu_);
  return NamespaceExistsLocked(ns);
}

Result<std::vector<std::string>> SqlCatalogStore::ListNamespaces(const std::string& parent) {
  if (!parent.empty()) NILUS_RETURN_NOT_OK(ValidateNamespace(parent));
  std::lock_guard<std::mutex> lock(mu_);
  if (!parent.empty()) {
    NILUS_ASSIGN_OR_RAISE(bool exists, NamespaceExistsLocked(parent));
    if (!exists) return Status::NotFound(NamespaceRef(parent) + " does not exist");
  }
  const std::string pattern = parent.empty() ? "%" : EscapeLike(parent) + ".%";
  NILUS_ASSIGN_OR_RAISE(
      auto rows, conn_->Query("SELECT table_namespace FROM iceberg_tables WHERE catalog_name = ? "
                              "AND table_namespace LIKE ? ESCAPE '!' UNION SELECT namespace FROM "
                              "iceberg_namespace_properties WHERE catalog_name = ? AND namespace "
                              "LIKE ? ESCAPE '!'",
                              {catalog_name_, pattern, catalog_name_, pattern}));
  const size_t depth = parent.empty() ? 0 : SplitLevels(parent).size();
  std::set<std::string> children;
  for (const auto& row : rows) {
    if (!row[0]) continue;
    auto levels = SplitLevels(*row[0]);
    if (levels.size() <= depth) continue;
    std::string child;
    for (size_t i = 0; i <= depth; ++i) child += (i ? "." : "") + levels[i];
    children.insert(std::move(child));
  }
  return std::vector<std::string>(children.begin(), children.end());
}

Result<NamespaceProperties> SqlCatalogStore::GetNamespaceProperties(const std::string& ns) {
  NILUS_RETURN_NOT_OK(ValidateNamespace(ns));
  std::lock_guard<std::mutex> lock(mu_);
  NILUS_ASSIGN_OR_RAISE(bool exists, NamespaceExistsLocked(ns));
  if (!exists) return Status::NotFound(NamespaceRef(ns) + " does not exist");
  NILUS_ASSIGN_OR_RAISE(auto rows, conn_->Query("SELECT property_key, property_value FROM "
                                                "iceberg_namespace_properties WHERE catalog_name "
                                                "= ? AND namespace = ?",
                                                {catalog_name_, ns}));
  NamespaceProperties props;
  for (const auto& row : rows) {
    if (row[0]) props[*row[0]] = row[1].value_or("");
  }
  return props;
}

Status SqlCatalogStore::SetNamespaceProperties(const std::string& ns,
                                               const NamespaceProperties& updates,
                                               const std::vector<std::string>& removals) {
  NILUS_RETURN_NOT_OK(ValidateNamespace(ns));
  for (const auto& key : removals) {
    if (updates.count(key)) {
      return Status::Invalid("property '" + key + "' of " + NamespaceRef(ns) +
                             " is both set and removed");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  Status st = InWriteTransaction([&]() -> Status {
    NILUS_ASSIGN_OR_RAISE(bool exists, NamespaceExistsLocked(ns));
    if (!exists) return Status::NotFound(NamespaceRef(ns) + " does not exist");
    const std::string del =
        "DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ? AND "
        "property_key = ?";
    for (const auto& key : removals) {
      NILUS_RETURN_NOT_OK(conn_->Exec(del, {catalog_name_, ns, key}).status());
    }
    for (const auto& [key, value] : updates) {
      NILUS_RETURN_NOT_OK(conn_->Exec(del, {catalog_name_, ns, key}).status());
      NILUS_RETURN_NOT_OK(conn_
                              ->Exec("INSERT INTO iceberg_namespace_properties (catalog_name, "
                                     "namespace, property_key, property_value) VALUES (?, ?, ?, ?)",
                                     {catalog_name_, ns, key, value})
                              .status());
    }
    // Without any property row a namespace that holds no tables would silently vanish.
    NILUS_ASSIGN_OR_RAISE(auto left,
                          conn_->Query("SELECT 1 FROM iceberg_namespace_properties "
                                       "WHERE catalog_name = ? AND namespace = ? LIMIT 1",
                                       {catalog_name_, ns}));
    if (left.empty()) {
      NILUS_RETURN_NOT_OK(conn_
                              ->Exec("INSERT INTO iceberg_namespace_properties (catalog_name, "
                                     "namespace, property_key, property_value) VALUES (?, ?, ?, ?)",
                                     {catalog_name_, ns, kExistsProperty, "true"})
                              .status());
    }
    return Status::OK();
  });
  if (st.ok() || st.code() == StatusCode::kNotFound) return st;
  return st.WithContext("updating properties of " + NamespaceRef(ns));
}

Status SqlCatalogStore::DropNamespace(const std::string& ns) {
  NILUS_RETURN_NOT_OK(ValidateNamespace(ns));
  std::lock_guard<std::mutex> lock(mu_);
  Status st = InWriteTransaction([&]() -> Status {
    NILUS_ASSIGN_OR_RAISE(bool exists, NamespaceExistsLocked(ns));
    if (!exists) return Status::NotFound(NamespaceRef(ns) + " does not exist");
    NILUS_ASSIGN_OR_RAISE(auto tables, conn_->Query("SELECT table_name FROM iceberg_tables WHERE "
                                                    "catalog_name = ? AND table_namespace = ?",
                                                    {catalog_name_, ns}));
    if (!tables.empty()) {
      return Status::Invalid("cannot drop " + NamespaceRef(ns) + ": it holds " +
                             std::to_string(tables.size()) + " table(s)");
    }
    return conn_
        ->Exec("DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?",
               {catalog_name_, ns})
        .status();
  });
  if (st.ok() || st.code() == StatusCode::kNotFound || st.code() == StatusCode::kInvalidArgument) {
    return st;
  }
  return st.WithContext("dropping " + NamespaceRef(ns));
}

// --- tables ----------------------------------------------------------------------------------

Status SqlCatalogStore::CreateTable(const std::string& ns, const std::string& name,
                                    const std::string& metadata_location) {
  NILUS_RETURN_NOT_OK(ValidateTableName(ns, name));
  NILUS_RETURN_NOT_OK(ValidateLocation(metadata_location));
  std::lock_guard<std::mutex> lock(mu_);
  Status st = InWriteTransaction([&]() -> Status {
    NILUS_ASSIGN_OR_RAISE(bool ns_exists, NamespaceExistsLocked(ns));
    if (!ns_exists) {
      return Status::NotFound("cannot create " + TableRef(ns, name) + ": namespace '" + ns +
                              "' does not exist");
    }
    if (has_type_column_) {
      return conn_
          ->Exec(
              "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, "
              "metadata_location, previous_metadata_location, iceberg_type) VALUES (?, ?, ?, ?, "
              "NULL, 'TABLE')",
              {catalog_name_, ns, name, metadata_location})
          .status();
    }
    return conn_
        ->Exec(
            "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, "
            "metadata_location, previous_metadata_location) VALUES (?, ?, ?, ?, NULL)",
            {catalog_name_, ns, name, metadata_location})
        .status();
  });
  if (st.code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists(TableRef(ns, name) + " already exists");
  }
  if (st.ok() || st.code() == StatusCode::kNotFound) return st;
  return st.WithContext("creating " + TableRef(ns, name));
}

Result<std::string> SqlCatalogStore::LoadTable(const std::string& ns, const std::string& name) {
  NILUS_RETURN_NOT_OK(ValidateTableName(ns, name));
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql =
      "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = "
      "? AND table_name = ?";
  sql += TablesOnly();
  auto rows = conn_->Query(sql, {catalog_name_, ns, name});
  if (!rows.ok()) return rows.status().WithContext("loading " + TableRef(ns, name));
  if (rows->empty()) return Status::NotFound(TableRef(ns, name) + " does not exist");
  const auto& location = (*rows)[0][0];
  if (!location || location->empty()) {
    return Status::Corruption(TableRef(ns, name) + " has no metadata_location");
  }
  return *location;
}

Result<std::vector<std::string>> SqlCatalogStore::ListTables(const std::string& ns) {
  NILUS_RETURN_NOT_OK(ValidateNamespace(ns));
  std::lock_guard<std::mutex> lock(mu_);
  NILUS_ASSIGN_OR_RAISE(bool exists, NamespaceExistsLocked(ns));
  if (!exists) return Status::NotFound(NamespaceRef(ns) + " does not exist");
  std::string sql =
      "SELECT table_name FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?";
  sql += TablesOnly();
  NILUS_ASSIGN_OR_RAISE(auto rows, conn_->Query(sql, {catalog_name_, ns}));
  std::vector<std::string> names;
  for (const auto& row : rows) {
    if (row[0]) names.push_back(*row[0]);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status SqlCatalogStore::RenameTable(const std::string& from_ns, const std::string& from_name,
                                    const std::string& to_ns, const std::string& to_name) {
  NILUS_RETURN_NOT_OK(ValidateTableName(from_ns, from_name));
  NILUS_RETURN_NOT_OK(ValidateTableName(to_ns, to_name));
  std::lock_guard<std::mutex> lock(mu_);
  Status st = InWriteTransaction([&]() -> Status {
    NILUS_ASSIGN_OR_RAISE(bool ns_exists, NamespaceExistsLocked(to_ns));
    if (!ns_exists) {
      return Status::NotFound("cannot rename " + TableRef(from_ns, from_name) + " to '" + to_ns +
                              "." + to_name + "': namespace '" + to_ns + "' does not exist");
    }
    NILUS_ASSIGN_OR_RAISE(bool source_exists, TableExistsLocked(from_ns, from_name, true));
    if (!source_exists) return Status::NotFound(TableRef(from_ns, from_name) + " does not exist");
    if (from_ns == to_ns && from_name == to_name) return Status::OK();
    NILUS_ASSIGN_OR_RAISE(bool target_exists, TableExistsLocked(to_ns, to_name, false));
    if (target_exists) {
      return Status::AlreadyExists("cannot rename " + TableRef(from_ns, from_name) + ": " +
                                   TableRef(to_ns, to_name) + " already exists");
    }
    NILUS_ASSIGN_OR_RAISE(int64_t changed,
                          conn_->Exec(std::string("UPDATE iceberg_tables SET table_namespace = ?, "
                                                  "table_name = ? WHERE catalog_name = ? AND "
                                                  "table_namespace = ? AND table_name = ?") +
                                          TablesOnly(),
                                      {to_ns, to_name, catalog_name_, from_ns, from_name}));
    if (changed != 1) return Status::NotFound(TableRef(from_ns, from_name) + " does not exist");
    return Status::OK();
  });
  if (st.ok() || st.code() == StatusCode::kNotFound) return st;
  if (st.code() == StatusCode::kAlreadyExists && st.message().rfind("cannot rename", 0) != 0) {
    // A concurrent creator took the name between our check and the update.
    return Status::AlreadyExists("cannot rename " + TableRef(from_ns, from_name) + ": " +
                                 TableRef(to_ns, to_name) + " already exists");
  }
  if (st.code() == StatusCode::kAlreadyExists) return st;
  return st.WithContext("renaming " + TableRef(from_ns, from_name));
}

Result<std::string> SqlCatalogStore::DropTable(const std::string& ns, const std::string& name) {
  NILUS_RETURN_NOT_OK(ValidateTableName(ns, name));
  std::lock_guard<std::mutex> lock(mu_);
  std::string last;
  Status st = InWriteTransaction([&]() -> Status {
    NILUS_ASSIGN_OR_RAISE(
        auto rows, conn_->Query(std::string("SELECT metadata_location FROM iceberg_tables WHERE "
                                            "catalog_name = ? AND table_namespace = ? AND "
                                            "table_name = ?") +
                                    TablesOnly(),
                                {catalog_name_, ns, name}));
    if (rows.empty()) return Status::NotFound(TableRef(ns, name) + " does not exist");
    last = rows[0][0].value_or("");
    NILUS_ASSIGN_OR_RAISE(
        int64_t changed, conn_->Exec(std::string("DELETE FROM iceberg_tables WHERE catalog_name "
                                                 "= ? AND table_namespace = ? AND table_name = ?") +
                                         TablesOnly(),
                                     {catalog_name_, ns, name}));
    if (changed != 1) return Status::NotFound(TableRef(ns, name) + " does not exist");
    return Status::OK();
  });
  if (st.code() == StatusCode::kNotFound) return st;
  if (!st.ok()) return st.WithContext("dropping " + TableRef(ns, name));
  return last;
}

Status SqlCatalogStore::SwapMetadataLocation(const std::string& ns, const std::string& name,
                                             const std::string& expected_location,
                                             const std::string& new_location) {
  NILUS_RETURN_NOT_OK(ValidateTableName(ns, name));
  NILUS_RETURN_NOT_OK(ValidateLocation(expected_location));
  NILUS_RETURN_NOT_OK(ValidateLocation(new_location));
  std::lock_guard<std::mutex> lock(mu_);
  Status st = InWriteTransaction([&]() -> Status {
    NILUS_ASSIGN_OR_RAISE(
        int64_t changed,
        conn_->Exec(
            std::string("UPDATE iceberg_tables SET metadata_location = ?, "
                        "previous_metadata_location = ? WHERE catalog_name = ? AND "
                        "table_namespace = ? AND table_name = ? AND metadata_location = ?") +
                TablesOnly(),
            {new_location, expected_location, catalog_name_, ns, name, expected_location}));
    if (changed == 1) return Status::OK();
    if (changed > 1) {
      return Status::Internal("swap of " + TableRef(ns, name) + " changed " +
                              std::to_string(changed) + " rows");
    }
    NILUS_ASSIGN_OR_RAISE(
        auto rows, conn_->Query(std::string("SELECT metadata_location FROM iceberg_tables WHERE "
                                            "catalog_name = ? AND table_namespace = ? AND "
                                            "table_name = ?") +
                                    TablesOnly(),
                                {catalog_name_, ns, name}));
    if (rows.empty()) return Status::NotFound(TableRef(ns, name) + " does not exist");
    return Status::Conflict("commit to " + TableRef(ns, name) + " lost: expected metadata '" +
                            expected_location + "' but the catalog points at '" +
                            rows[0][0].value_or("") + "'");
  });
  if (st.ok() || st.code() == StatusCode::kNotFound || st.code() == StatusCode::kConflict ||
      st.code() == StatusCode::kInternal) {
    return st;
  }
  return st.WithContext("committing " + TableRef(ns, name));
}

}  // namespace nilus::iceberg
