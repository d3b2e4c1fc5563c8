// A thin RAII wrapper around a libpq connection, for the PostgreSQL extractor (and later CDC).
//
// Errors follow DESIGN's habits: a failure to reach the server, a dropped connection, a
// serialization failure or an admin shutdown is retryable; bad credentials, a missing database,
// a syntax error or a missing table are not. Messages name the host, port, database and user but
// never the password.
//
// A PgConnection is not thread-safe: use one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

struct pg_conn;    // libpq's PGconn
struct pg_result;  // libpq's PGresult
struct pg_cancel;  // libpq's PGcancel

namespace nilus {

// The rows of a finished query, in text format. Owns the libpq result. Move-only.
class PgRows {
 public:
  PgRows() = default;
  explicit PgRows(pg_result* res);
  ~PgRows();
  PgRows(PgRows&& o) noexcept;
  PgRows& operator=(PgRows&& o) noexcept;
  PgRows(const PgRows&) = delete;
  PgRows& operator=(const PgRows&) = delete;

  int num_rows() const;
  int num_columns() const;
  bool IsNull(int row, int col) const;
  // The text of a cell ("" for null). Valid while this PgRows lives.
  std::string_view Get(int row, int col) const;
  // The cell parsed as an integer; InvalidArgument when it is null or not a number.
  Result<int64_t> GetInt(int row, int col) const;
  // The libpq result (nullptr when empty), for callers that need more than text cells.
  const pg_result* raw() const { return res_; }

 private:
  friend class PgConnection;
  pg_result* res_ = nullptr;
};

class PgConnection {
 public:
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Connects with a libpq URL or key=value string. The session is set up for extraction:
  // client_encoding UTF8 (text values then arrive as UTF-8), TimeZone UTC, DateStyle ISO,
  // IntervalStyle iso_8601 and extra_float_digits 3 (exact text for casts to text).
  // Errors: Unavailable (retryable) when the server cannot be reached; IOError (not retryable)
  // for rejected credentials or a missing database.
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& url);

  // "host:port/dbname as user", for messages. Never holds the password.
  const std::string& description() const { return description_; }

  // Runs one or more statements that return no rows we need (BEGIN, SET, ...).
  Status Exec(const std::string& sql);

  // Runs one statement with text parameters ($1, $2, ...; nullopt is NULL) and returns its rows.
  Result<PgRows> Query(const std::string& sql,
                       const std::vector<std::optional<std::string>>& params = {});

  // Starts `COPY ... TO STDOUT`. Until ReadCopyData reports the end, no other call may be made.
  Status BeginCopyOut(const std::string& sql);

  // The next chunk of COPY data. On success *data/*len point into a buffer owned by this
  // connection, valid until the next call. Returns false at the end of the COPY (after checking
  // that the COPY command succeeded).
  Result<bool> ReadCopyData(const uint8_t** data, int64_t* len);

  // A SQL string literal for `value`, quoted and escaped for this connection's encoding and
  // settings (PQescapeLiteral). For statements such as COPY that take no bind parameters.
  Result<std::string> QuoteLiteral(std::string_view value);

  // A quoted identifier ("My Col" -> "\"My Col\"").
  static std::string QuoteIdent(std::string_view name);

  // Asks the server to cancel the statement running on this connection (a COPY in progress
  // then ends with an error). The one method that is safe to call from another thread while
  // the owning thread is inside a call on this connection.
  void RequestCancel();

  // Whether the connection is still usable (not broken).
  bool is_ok() const;

  pg_conn* raw() { return conn_; }

 private:
  PgConnection(pg_conn* conn, std::string description)
      : conn_(conn), description_(std::move(description)) {}

  // A Status for a failed result: the server's message and SQLSTATE, mapped to a code and a
  // retryable flag.
  Status ErrorFrom(const pg_result* res, std::string_view what) const;

  pg_conn* conn_;
  pg_cancel* cancel_ = nullptr;  // made at Open, so RequestCancel touches nothing shared
  std::string description_;
  char* copy_buffer_ = nullptr;  // the last PQgetCopyData buffer, freed on the next read
};

// Opens a libpq connection to `url` (a URL or key=value string). Each of `overrides` (keyword,
// value) replaces what the URL says, e.g. {"replication", "database"}. Failures map as for
// PgConnection::Open, and the message describes the server as PgDescribe does (never the
// password). The caller owns the connection and must PQfinish it. Shared by PgConnection and
// ReplicationSession.
Result<pg_conn*> PgConnectRaw(
    const std::string& url, const std::vector<std::pair<std::string, std::string>>& overrides = {});

// "host:port/dbname as user" for `conn`, for messages.
std::string PgDescribe(const pg_conn* conn);

// The Status for a failed result on `conn`, or for the connection's last error when `res` is
// null: "<what> on <description>: <server message>", mapped by PgStatusFromSqlState, and
// Unavailable whenever the connection itself is broken.
Status PgResultError(const pg_conn* conn, const pg_result* res, std::string_view what,
                     std::string_view description);

// Maps a SQLSTATE to our status codes: class 08 (connection), 40001/40P01, 57P0x, 53xxx are
// retryable Unavailable; 42P01 (undefined table), 42703 (undefined column), 3F000 (undefined
// schema) are NotFound; 22xxx are TypeError; everything else IOError. Exposed for tests.
Status PgStatusFromSqlState(std::string_view sqlstate, std::string message);

}  // namespace nilus
