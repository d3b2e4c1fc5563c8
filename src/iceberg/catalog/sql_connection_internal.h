// Internal to the SQL catalog: one database connection behind a small interface, so that the
// catalog logic is written once for SQLite and PostgreSQL.
//
// Statements use `?` placeholders; the PostgreSQL backend rewrites them to $1, $2, ...
// Every value is bound as text (sqlite3_bind_text / PQexecParams), never spliced into SQL.
//
// Error mapping, shared by both backends:
//   - unique/primary-key violation, or (PostgreSQL) a duplicate table/object
//                                              -> AlreadyExists (not retryable)
//   - database busy/locked, connection failure,
//     serialization failure or deadlock        -> Unavailable (retryable)
//   - anything else                            -> IOError (not retryable)
// Messages name the redacted URI; callers add the table or namespace.
//
// Not thread-safe: the owner serializes calls.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/status.h"

namespace nilus::iceberg {

using SqlCatalogRow = std::vector<std::optional<std::string>>;

class SqlCatalogConnection {
 public:
  virtual ~SqlCatalogConnection() = default;

  // Runs a statement that returns no rows; returns the number of rows it changed.
  virtual Result<int64_t> Exec(const std::string& sql, const std::vector<std::string>& params) = 0;
  // Runs a query; returns all rows, NULLs as std::nullopt.
  virtual Result<std::vector<SqlCatalogRow>> Query(const std::string& sql,
                                                   const std::vector<std::string>& params) = 0;

  // Starts a transaction that takes the write lock at once (SQLite: BEGIN IMMEDIATE), so that a
  // read-then-write transaction never fails half-way on lock upgrade.
  virtual Status BeginWrite() = 0;
  virtual Status Commit() = 0;
  // Best effort; errors are ignored because the caller already reports the first failure.
  virtual void Rollback() = 0;

  // "sqlite" or "postgresql".
  virtual const char* dialect() const = 0;
  // The URI with any password removed; safe for messages and logs.
  const std::string& redacted_uri() const { return redacted_uri_; }

 protected:
  explicit SqlCatalogConnection(std::string redacted_uri)
      : redacted_uri_(std::move(redacted_uri)) {}

 private:
  std::string redacted_uri_;
};

// Removes the password from a connection URI: "postgresql://u:secret@h/db" ->
// "postgresql://u@h/db", and "password=secret" query/keyword values -> "password=***".
std::string RedactCatalogUri(const std::string& uri);

// Opens a connection for `uri`: sqlite:///path (SQLAlchemy style: sqlite:///rel.db is relative,
// sqlite:////abs.db absolute, sqlite:///:memory: in memory) or postgresql://... / postgres://...
// SQLite connections get a busy timeout and WAL journaling (files only).
// Errors: InvalidArgument for an unknown scheme, Unavailable when the database cannot be reached.
Result<std::unique_ptr<SqlCatalogConnection>> OpenSqlCatalogConnection(const std::string& uri);

}  // namespace nilus::iceberg
