#include "manager/pg_pool.h"

#include <libpq-fe.h>

namespace nilus::manager {

Status PgError(const pg_conn* conn, const pg_result* res, std::string_view what,
               std::string_view description) {
  if (res != nullptr) {
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char* msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    std::string s = state ? state : "";
    std::string m = msg ? msg : "";
    if (s == "23503") return Status::NotFound(m);
    if (s == "23514" || s == "23502" || s.rfind("22", 0) == 0) return Status::Invalid(m);
  }
  return PgResultError(conn, res, what, description);
}

PgLease::PgLease(PgPool* pool, std::unique_ptr<PgConnection> conn,
                 std::shared_ptr<std::unordered_set<std::string>> prepared)
    : pool_(pool), conn_(std::move(conn)), prepared_(std::move(prepared)) {}

PgLease::PgLease(PgLease&& o) noexcept
    : pool_(o.pool_), conn_(std::move(o.conn_)), prepared_(std::move(o.prepared_)) {
  o.pool_ = nullptr;
}

PgLease::~PgLease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Return(std::move(conn_), std::move(prepared_));
}

Result<PgRows> PgLease::Finish(pg_result* res, const std::string& what) {
  PgRows rows(res);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return PgError(conn_->raw(), res, what, conn_->description());
  }
  return rows;
}

namespace {
std::vector<const char*> Values(const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> v;
  v.reserve(params.size());
  for (const auto& p : params) v.push_back(p ? p->c_str() : nullptr);
  return v;
}
}  // namespace

Result<PgRows> PgLease::Execute(const std::string& name, const std::string& sql,
                                const std::vector<std::optional<std::string>>& params) {
  PGconn* c = conn_->raw();
  if (!prepared_->count(name)) {
    PgRows prep(PQprepare(c, name.c_str(), sql.c_str(), 0, nullptr));
    if (PQresultStatus(prep.raw()) != PGRES_COMMAND_OK) {
      return PgError(c, prep.raw(), "prepare " + name, conn_->description());
    }
    prepared_->insert(name);
  }
  std::vector<const char*> values = Values(params);
  return Finish(PQexecPrepared(c, name.c_str(), static_cast<int>(values.size()), values.data(),
                               nullptr, nullptr, 0),
                name);
}

Result<PgRows> PgLease::Query(const std::string& sql,
                              const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values = Values(params);
  return Finish(PQexecParams(conn_->raw(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0),
                "query");
}

Status PgLease::Exec(const std::string& sql) {
  PgRows rows(PQexec(conn_->raw(), sql.c_str()));
  ExecStatusType st = PQresultStatus(rows.raw());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return PgError(conn_->raw(), rows.raw(), "statement", conn_->description());
  }
  return Status::OK();
}

PgPool::PgPool(std::string url, int size) : url_(std::move(url)), size_(size < 1 ? 1 : size) {}

PgPool::~PgPool() = default;

Result<PgLease> PgPool::Acquire(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (idle_.empty() && open_ >= size_) {
    if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= size_) {
      return Status::Unavailable("all " + std::to_string(size_) +
                                 " database connections are busy (pool_size)");
    }
  }
  if (!idle_.empty()) {
    Idle idle = std::move(idle_.back());
    idle_.pop_back();
    return PgLease(this, std::move(idle.conn), std::move(idle.prepared));
  }
  ++open_;
  lock.unlock();
  Result<std::unique_ptr<PgConnection>> conn = PgConnection::Open(url_);
  Status st = conn.ok() ? (*conn)->Exec("SET search_path TO public") : conn.status();
  if (!st.ok()) {
    std::lock_guard<std::mutex> l(mu_);
    --open_;
    freed_.notify_one();
    return st;
  }
  return PgLease(this, std::move(conn).value(),
                 std::make_shared<std::unordered_set<std::string>>());
}

void PgPool::Return(std::unique_ptr<PgConnection> conn,
                    std::shared_ptr<std::unordered_set<std::string>> prepared) {
  // A broken connection, or one left inside a transaction by an error path, is not reused.
  bool reusable = conn->is_ok() && PQtransactionStatus(conn->raw()) == PQTRANS_IDLE;
  std::lock_guard<std::mutex> l(mu_);
  if (reusable) {
    idle_.push_back({std::move(conn), std::move(prepared)});
  } else {
    --open_;
  }
  freed_.notify_one();
}

int PgPool::open_connections() {
  std::lock_guard<std::mutex> l(mu_);
  return open_;
}

}  // namespace nilus::manager
