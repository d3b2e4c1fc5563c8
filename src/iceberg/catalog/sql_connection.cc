#include <libpq-fe.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>

#include "iceberg/catalog/sql_connection_internal.h"

namespace nilus::iceberg {

std::string RedactCatalogUri(const std::string& uri) {
  std::string out = uri;
  size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    size_t start = scheme_end + 3;
    size_t authority_end = out.find_first_of("/?", start);
    if (authority_end == std::string::npos) authority_end = out.size();
    size_t at = out.rfind('@', authority_end);
    if (at != std::string::npos && at >= start) {
      size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  // Keyword style ("password=..."), in a query string or a conninfo string.
  const std::string key = "password=";
  size_t pos = 0;
  while ((pos = out.find(key, pos)) != std::string::npos) {
    size_t value_start = pos + key.size();
    size_t value_end = out.find_first_of("& ", value_start);
    if (value_end == std::string::npos) value_end = out.size();
    out.replace(value_start, value_end - value_start, "***");
    pos = value_start + 3;
  }
  return out;
}

namespace {

// ---------------------------------------------------------------------------------------------
// SQLite

// Long enough for eight processes queueing on one catalog row; a commit holds the lock briefly.
constexpr int kSqliteBusyTimeoutMs = 30000;

class SqliteCatalogConnection final : public SqlCatalogConnection {
 public:
  SqliteCatalogConnection(std::string redacted_uri, sqlite3* db)
      : SqlCatalogConnection(std::move(redacted_uri)), db_(db) {}
  ~SqliteCatalogConnection() override { sqlite3_close_v2(db_); }

  Result<int64_t> Exec(const std::string& sql, const std::vector<std::string>& params) override {
    NILUS_ASSIGN_OR_RAISE(sqlite3_stmt * stmt, Prepare(sql, params));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return Error(rc, sql);
    return static_cast<int64_t>(sqlite3_changes(db_));
  }

  Result<std::vector<SqlCatalogRow>> Query(const std::string& sql,
                                           const std::vector<std::string>& params) override {
    NILUS_ASSIGN_OR_RAISE(sqlite3_stmt * stmt, Prepare(sql, params));
    std::vector<SqlCatalogRow> rows;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      int n = sqlite3_column_count(stmt);
      SqlCatalogRow row(n);
      for (int i = 0; i < n; ++i) {
        if (sqlite3_column_type(stmt, i) == SQLITE_NULL) continue;
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        row[i] = std::string(text, sqlite3_column_bytes(stmt, i));
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return Error(rc, sql);
    return rows;
  }

  Status BeginWrite() override { return Exec("BEGIN IMMEDIATE", {}).status(); }
  Status Commit() override { return Exec("COMMIT", {}).status(); }
  void Rollback() override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  const char* dialect() const override { return "sqlite"; }

  // Maps an SQLite result code to a Status (see the header for the mapping).
  static Status MapError(int rc, const std::string& detail) {
    int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_PROTOCOL) {
      return Status::Unavailable("database is busy: " + detail);
    }
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
      return Status::AlreadyExists("unique key violated: " + detail);
    }
    if (primary == SQLITE_CANTOPEN) return Status::Unavailable("cannot open database: " + detail);
    return Status::IOError(detail);
  }

 private:
  Result<sqlite3_stmt*> Prepare(const std::string& sql, const std::vector<std::string>& params) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, sql);
    for (size_t i = 0; i < params.size(); ++i) {
      rc = sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].data(),
                             static_cast<int>(params[i].size()), SQLITE_TRANSIENT);
      if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return Error(rc, sql);
      }
    }
    return stmt;
  }

  Status Error(int rc, const std::string& sql) {
    return MapError(rc, "sqlite catalog " + redacted_uri() + ": " + sqlite3_errmsg(db_) +
                            " (statement: " + sql + ")");
  }

  sqlite3* db_;
};

Result<std::unique_ptr<SqlCatalogConnection>> OpenSqlite(const std::string& uri,
                                                         const std::string& path) {
  if (path.empty()) return Status::Invalid("sqlite catalog URI has no path: " + uri);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return SqliteCatalogConnection::MapError(rc, "sqlite catalog " + uri + ": " + msg);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kSqliteBusyTimeoutMs);
  auto conn = std::make_unique<SqliteCatalogConnection>(uri, db);
  if (path != ":memory:") {
    // WAL lets readers run beside the one writer. Switching needs a brief exclusive lock, which
    // another process opening at the same moment may hold: retry a few times.
    Status st;
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto rows = conn->Query("PRAGMA journal_mode=WAL", {});
      st = rows.status();
      if (st.ok() || !st.retryable()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20 * (attempt + 1)));
    }
    NILUS_RETURN_NOT_OK(st);
  }
  return std::unique_ptr<SqlCatalogConnection>(std::move(conn));
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

void IgnorePgNotice(void*, const char*) {}

class PgCatalogConnection final : public SqlCatalogConnection {
 public:
  PgCatalogConnection(std::string redacted_uri, PGconn* conn)
      : SqlCatalogConnection(std::move(redacted_uri)), conn_(conn) {}
  ~PgCatalogConnection() override { PQfinish(conn_); }

  Result<int64_t> Exec(const std::string& sql, const std::vector<std::string>& params) override {
    NILUS_ASSIGN_OR_RAISE(PGresult * res, Run(sql, params));
    const char* tuples = PQcmdTuples(res);
    int64_t n = (tuples && *tuples) ? std::strtoll(tuples, nullptr, 10) : 0;
    PQclear(res);
    return n;
  }

  Result<std::vector<SqlCatalogRow>> Query(const std::string& sql,
                                           const std::vector<std::string>& params) override {
    NILUS_ASSIGN_OR_RAISE(PGresult * res, Run(sql, params));
    std::vector<SqlCatalogRow> rows;
    int nrows = PQntuples(res);
    int ncols = PQnfields(res);
    rows.reserve(nrows);
    for (int r = 0; r < nrows; ++r) {
      SqlCatalogRow row(ncols);
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(res, r, c)) continue;
        row[c] = std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c));
      }
      rows.push_back(std::move(row));
    }
    PQclear(res);
    return rows;
  }

  Status BeginWrite() override {
    NILUS_RETURN_NOT_OK(Exec("BEGIN", {}).status());
    in_txn_ = true;
    return Status::OK();
  }
  Status Commit() override {
    in_txn_ = false;
    return Exec("COMMIT", {}).status();
  }
  void Rollback() override {
    in_txn_ = false;
    if (PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      PQclear(PQexec(conn_, "ROLLBACK"));
    }
  }
  const char* dialect() const override { return "postgresql"; }

 private:
  // Rewrites ? placeholders to $1, $2, ... Our statements have no '?' inside literals.
  static std::string Numbered(const std::string& sql) {
    std::string out;
    int n = 0;
    for (char c : sql) {
      if (c == '?') {
        out += '$' + std::to_string(++n);
      } else {
        out += c;
      }
    }
    return out;
  }

  Result<PGresult*> Run(const std::string& sql, const std::vector<std::string>& params) {
    // A dropped connection is re-established between transactions, never inside one.
    if (PQstatus(conn_) != CONNECTION_OK && !in_txn_) {
      PQreset(conn_);
      if (PQstatus(conn_) != CONNECTION_OK) {
        return Status::Unavailable("postgresql catalog " + redacted_uri() +
                                   ": connection lost: " + PQerrorMessage(conn_));
      }
    }
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.c_str());
    PGresult* res = PQexecParams(conn_, Numbered(sql).c_str(), static_cast<int>(params.size()),
                                 nullptr, values.data(), nullptr, nullptr, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return res;

    std::string sqlstate;
    std::string msg;
    if (res) {
      const char* code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
      if (code) sqlstate = code;
      msg = PQresultErrorMessage(res);
      PQclear(res);
    }
    if (msg.empty()) msg = PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    std::string detail = "postgresql catalog " + redacted_uri() + ": " + msg +
                         (sqlstate.empty() ? "" : " [SQLSTATE " + sqlstate + "]") +
                         " (statement: " + sql + ")";
    if (sqlstate == "23505") return Status::AlreadyExists("unique key violated: " + detail);
    // duplicate_table / duplicate_object: concurrent CREATE TABLE IF NOT EXISTS can raise these.
    if (sqlstate == "42P07" || sqlstate == "42710") return Status::AlreadyExists(detail);
    if (PQstatus(conn_) != CONNECTION_OK || sqlstate.rfind("08", 0) == 0 || sqlstate == "40001" ||
        sqlstate == "40P01" || sqlstate.rfind("57P", 0) == 0 || sqlstate == "53300") {
      return Status::Unavailable(detail);
    }
    return Status::IOError(detail);
  }

  PGconn* conn_;
  bool in_txn_ = false;
};

Result<std::unique_ptr<SqlCatalogConnection>> OpenPg(const std::string& uri,
                                                     const std::string& redacted) {
  PGconn* conn = PQconnectdb(uri.c_str());
  if (conn == nullptr) return Status::Unavailable("postgresql catalog " + redacted + ": no memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(conn);
    return Status::Unavailable("postgresql catalog " + redacted + ": cannot connect: " + msg);
  }
  // CREATE TABLE IF NOT EXISTS reports through notices; they are expected, not news.
  PQsetNoticeProcessor(conn, IgnorePgNotice, nullptr);
  return std::unique_ptr<SqlCatalogConnection>(
      std::make_unique<PgCatalogConnection>(redacted, conn));
}

}  // namespace

Result<std::unique_ptr<SqlCatalogConnection>> OpenSqlCatalogConnection(const std::string& uri) {
  const std::string sqlite_prefix = "sqlite:///";
  if (uri.rfind(sqlite_prefix, 0) == 0) return OpenSqlite(uri, uri.substr(sqlite_prefix.size()));
  if (uri.rfind("postgresql://", 0) == 0 || uri.rfind("postgres://", 0) == 0) {
    return OpenPg(uri, RedactCatalogUri(uri));
  }
  return Status::Invalid("unsupported catalog URI '" + RedactCatalogUri(uri) +
                         "': expected sqlite:///PATH or postgresql://...");
}

}  // namespace nilus::iceberg
