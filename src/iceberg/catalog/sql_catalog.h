// SqlCatalogStore: the table pointers and namespaces of a SQL catalog, stored in the schema that
// Java's JdbcCatalog and PyIceberg's SqlCatalog use, so those engines can open our tables:
//
//   iceberg_tables(catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL,
//                  table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000),
//                  previous_metadata_location VARCHAR(1000), iceberg_type VARCHAR(5),
//                  PRIMARY KEY (catalog_name, table_namespace, table_name))
//   iceberg_namespace_properties(catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255)
//                  NOT NULL, property_key VARCHAR(255) NOT NULL, property_value VARCHAR(1000),
//                  PRIMARY KEY (catalog_name, namespace, property_key))
//
// iceberg_type is Java's schema "V1" column ('TABLE' or 'VIEW'; NULL for rows written by
// PyIceberg or Java's V0). Tables created by others without that column are used as they are.
//
// Namespaces are strings whose levels are joined with '.', e.g. "shop" or "lake.raw". A
// namespace exists when a property row or a table row names it or a namespace below it. A
// namespace created without properties gets the property exists=true, as JdbcCatalog and
// PyIceberg do.
//
// This layer only stores pointers: it neither reads nor writes metadata files.
//
// Thread-safety: a store owns one database connection; calls on one store are serialized by an
// internal mutex, so a store may be shared by threads (they queue). Never use a store in a
// child process after fork(): open a new one there. Many stores, in many processes, may use one
// database at once; SQLite files use WAL journaling, a busy timeout and write transactions that
// take the lock up front.
//
// Errors: NotFound (missing table or namespace), AlreadyExists, Conflict (retryable: a
// compare-and-swap lost), Unavailable (retryable: the database is busy or unreachable),
// InvalidArgument (bad names, non-empty namespace on drop), IOError (other database errors).
// Messages name the catalog URI (password removed) and the table or namespace.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/status.h"

namespace nilus::iceberg {

class SqlCatalogConnection;

using NamespaceProperties = std::map<std::string, std::string>;

class SqlCatalogStore {
 public:
  // Connects and creates the two catalog tables when missing (idempotent, safe when several
  // processes open at once). `uri`: sqlite:///relative/path.db, sqlite:////absolute/path.db,
  // sqlite:///:memory: (private to this store) or postgresql://user:pass@host:port/db.
  // `catalog_name` separates catalogs sharing one database.
  static Result<std::unique_ptr<SqlCatalogStore>> Open(const std::string& uri,
                                                       const std::string& catalog_name);
  ~SqlCatalogStore();
  SqlCatalogStore(const SqlCatalogStore&) = delete;
  SqlCatalogStore& operator=(const SqlCatalogStore&) = delete;

  const std::string& catalog_name() const { return catalog_name_; }
  // The URI with its password removed.
  const std::string& redacted_uri() const;

  // --- namespaces ---

  // AlreadyExists when the namespace exists (also when only tables or sub-namespaces name it).
  Status CreateNamespace(const std::string& ns, const NamespaceProperties& props = {});
  Result<bool> NamespaceExists(const std::string& ns);
  // The namespaces one level below `parent` ("" = top level), full dotted names, sorted.
  // NotFound when a non-empty parent does not exist.
  Result<std::vector<std::string>> ListNamespaces(const std::string& parent = "");
  // NotFound when the namespace does not exist.
  Result<NamespaceProperties> GetNamespaceProperties(const std::string& ns);
  // Sets `updates` and removes `removals` in one transaction. Removing every property keeps the
  // namespace alive with exists=true. NotFound when the namespace does not exist.
  Status SetNamespaceProperties(const std::string& ns, const NamespaceProperties& updates,
                                const std::vector<std::string>& removals = {});
  // Removes the namespace's properties. NotFound when missing; InvalidArgument while it holds
  // tables.
  Status DropNamespace(const std::string& ns);

  // --- tables ---

  // Registers a table pointing at `metadata_location`. NotFound when the namespace does not
  // exist; AlreadyExists when the table does.
  Status CreateTable(const std::string& ns, const std::string& name,
                     const std::string& metadata_location);
  // The current metadata location. NotFound naming the table.
  Result<std::string> LoadTable(const std::string& ns, const std::string& name);
  // Table names in `ns`, sorted. NotFound when the namespace does not exist.
  Result<std::vector<std::string>> ListTables(const std::string& ns);
  // NotFound when the source table or the target namespace is missing; AlreadyExists when the
  // target table exists.
  Status RenameTable(const std::string& from_ns, const std::string& from_name,
                     const std::string& to_ns, const std::string& to_name);
  // Unregisters the table (its files are untouched) and returns its last metadata location.
  Result<std::string> DropTable(const std::string& ns, const std::string& name);

  // The commit primitive: points the table at `new_location` if and only if it still points at
  // `expected_location`, recording `expected_location` as previous_metadata_location. Exactly one
  // row changes on success. Conflict (retryable) when another writer moved the pointer first;
  // NotFound when the table is gone. Unavailable (retryable) when the database is busy or
  // unreachable; if the connection died during COMMIT the outcome is unknown, and LoadTable tells
  // which location won.
  Status SwapMetadataLocation(const std::string& ns, const std::string& name,
                              const std::string& expected_location,
                              const std::string& new_location);

 private:
  SqlCatalogStore(std::unique_ptr<SqlCatalogConnection> conn, std::string catalog_name);
  Status EnsureTables();
  Result<bool> NamespaceExistsLocked(const std::string& ns);
  // tables_only: ignore JdbcCatalog views (they still occupy the name).
  Result<bool> TableExistsLocked(const std::string& ns, const std::string& name, bool tables_only);
  // SQL to append to a WHERE clause on iceberg_tables that keeps only tables.
  std::string TablesOnly() const;
  // Runs `body` inside a write transaction, rolling back on error.
  template <typename Fn>
  Status InWriteTransaction(Fn&& body);
  std::string TableRef(const std::string& ns, const std::string& name) const;
  std::string NamespaceRef(const std::string& ns) const;

  std::mutex mu_;
  std::unique_ptr<SqlCatalogConnection> conn_;
  std::string catalog_name_;
  bool has_type_column_ = false;
};

}  // namespace nilus::iceberg
