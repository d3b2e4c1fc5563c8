// A pool of PostgreSQL connections for the Manager's request threads.
//
// Connections are opened on demand, up to `size`, and reused; a connection found broken after a
// statement is dropped and replaced by the next Acquire. Each connection remembers which named
// statements it has prepared, so a hot statement is parsed and planned once per connection.
// Every session runs with search_path = public (where the metadata tables live), UTC times and
// UTF-8.
//
// Thread-safe: Acquire may be called from any thread; a Lease is used by one thread at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/result.h"
#include "extract/postgres/pg_connection.h"

namespace nilus::manager {

class PgPool;

// One connection, borrowed from the pool; returned when the lease is destroyed.
class PgLease {
 public:
  PgLease(PgLease&& o) noexcept;
  PgLease& operator=(PgLease&&) = delete;
  PgLease(const PgLease&) = delete;
  ~PgLease();

  PgConnection* conn() { return conn_.get(); }

  // Runs the statement `name` (prepared from `sql` on first use on this connection) with text
  // parameters (nullopt: NULL). Errors as PgError describes.
  Result<PgRows> Execute(const std::string& name, const std::string& sql,
                         const std::vector<std::optional<std::string>>& params);
  // Runs `sql` unprepared (planned for these parameter values).
  Result<PgRows> Query(const std::string& sql,
                       const std::vector<std::optional<std::string>>& params = {});
  Status Exec(const std::string& sql);

 private:
  friend class PgPool;
  PgLease(PgPool* pool, std::unique_ptr<PgConnection> conn,
          std::shared_ptr<std::unordered_set<std::string>> prepared);
  Result<PgRows> Finish(pg_result* res, const std::string& what);

  PgPool* pool_;
  std::unique_ptr<PgConnection> conn_;
  std::shared_ptr<std::unordered_set<std::string>> prepared_;
};

class PgPool {
 public:
  // No I/O: connections open on the first Acquire.
  PgPool(std::string url, int size);
  ~PgPool();

  // A free connection, opening one if fewer than `size` exist, else waiting up to `wait`.
  // Errors: Unavailable (retryable) when the server cannot be reached or no connection frees
  // up in time; IOError for rejected credentials.
  Result<PgLease> Acquire(std::chrono::milliseconds wait = std::chrono::milliseconds(5000));

  // Connections open now (idle or leased), for tests.
  int open_connections();

 private:
  friend class PgLease;
  void Return(std::unique_ptr<PgConnection> conn,
              std::shared_ptr<std::unordered_set<std::string>> prepared);

  struct Idle {
    std::unique_ptr<PgConnection> conn;
    std::shared_ptr<std::unordered_set<std::string>> prepared;
  };
  const std::string url_;
  const int size_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<Idle> idle_;
  int open_ = 0;
};

// The Status for a failed statement, refined for the API: a foreign-key violation (23503) is
// NotFound, a check or not-null violation or bad input text (23514, 23502, 22xxx) is
// InvalidArgument; the rest as PgResultError maps them (connection problems: Unavailable).
Status PgError(const pg_conn* conn, const pg_result* res, std::string_view what,
               std::string_view description);

}  // namespace nilus::manager
