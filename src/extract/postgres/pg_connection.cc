#include "extract/postgres/pg_connection.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <charconv>
#include <utility>

namespace nilus {

namespace {

std::string TrimMessage(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool Contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

// Connection errors that another attempt cannot fix: the server answered and said no.
bool IsPermanentConnectError(std::string_view msg) {
  return Contains(msg, "password authentication failed") || Contains(msg, "does not exist") ||
         Contains(msg, "no pg_hba.conf entry") || Contains(msg, "no password supplied") ||
         Contains(msg, "permission denied") || Contains(msg, "authentication failed") ||
         Contains(msg, "must be superuser or replication role") ||
         Contains(msg, "invalid connection option") || Contains(msg, "invalid URI") ||
         Contains(msg, "missing \"=\"");
}

}  // namespace

std::string PgDescribe(const pg_conn* conn) {
  const char* host = PQhost(conn);
  const char* port = PQport(conn);
  const char* db = PQdb(conn);
  const char* user = PQuser(conn);
  return fmt::format("{}:{}/{} as {}", host && *host ? host : "(default host)",
                     port && *port ? port : "(default port)", db ? db : "", user ? user : "");
}

Result<pg_conn*> PgConnectRaw(const std::string& url,
                              const std::vector<std::pair<std::string, std::string>>& overrides) {
  // With expand_dbname, keywords after "dbname" override what the URL or conninfo says.
  std::vector<const char*> keys = {"dbname"};
  std::vector<const char*> values = {url.c_str()};
  for (const auto& [key, value] : overrides) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return Status::Internal("libpq could not allocate a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string err = TrimMessage(PQerrorMessage(conn));
    // A URL libpq cannot parse leaves no host/port to describe; never echo the URL itself,
    // which may hold a password.
    std::string msg = fmt::format("connecting to PostgreSQL at {}: {}", PgDescribe(conn), err);
    PQfinish(conn);
    if (IsPermanentConnectError(err)) return Status::IOError(std::move(msg), false);
    return Status::Unavailable(std::move(msg));
  }
  return conn;
}

Status PgResultError(const pg_conn* conn, const pg_result* res, std::string_view what,
                     std::string_view description) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string server = TrimMessage(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  if (server.empty()) server = TrimMessage(PQerrorMessage(conn));
  std::string msg = fmt::format("{} on {}: {}", what, description, server);
  if (PQstatus(conn) == CONNECTION_BAD) return Status::Unavailable(std::move(msg));
  return PgStatusFromSqlState(state ? state : "", std::move(msg));
}

// ---------------------------------------------------------------------------------------------
// PgRows

PgRows::PgRows(pg_result* res) : res_(res) {}
PgRows::~PgRows() {
  if (res_) PQclear(res_);
}
PgRows::PgRows(PgRows&& o) noexcept : res_(std::exchange(o.res_, nullptr)) {}
PgRows& PgRows::operator=(PgRows&& o) noexcept {
  std::swap(res_, o.res_);
  return *this;
}
int PgRows::num_rows() const { return res_ ? PQntuples(res_) : 0; }
int PgRows::num_columns() const { return res_ ? PQnfields(res_) : 0; }
bool PgRows::IsNull(int row, int col) const { return PQgetisnull(res_, row, col) == 1; }
std::string_view PgRows::Get(int row, int col) const {
  return {PQgetvalue(res_, row, col), static_cast<size_t>(PQgetlength(res_, row, col))};
}
Result<int64_t> PgRows::GetInt(int row, int col) const {
  if (IsNull(row, col)) return Status::Invalid(fmt::format("null at row {} column {}", row, col));
  std::string_view s = Get(row, col);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return Status::Invalid(fmt::format("'{}' is not an integer", s));
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// PgConnection

Status PgStatusFromSqlState(std::string_view sqlstate, std::string message) {
  if (sqlstate.size() == 5) {
    std::string_view cls = sqlstate.substr(0, 2);
    if (cls == "08" || sqlstate == "40001" || sqlstate == "40P01" || cls == "57" || cls == "53") {
      return Status::Unavailable(std::move(message));
    }
    if (sqlstate == "42P01" || sqlstate == "42703" || sqlstate == "3F000" || sqlstate == "3D000") {
      return Status::NotFound(std::move(message));
    }
    if (cls == "22") return Status::TypeError(std::move(message));
  }
  return Status::IOError(std::move(message));
}

PgConnection::~PgConnection() {
  if (cancel_) PQfreeCancel(cancel_);
  if (copy_buffer_) PQfreemem(copy_buffer_);
  if (conn_) PQfinish(conn_);
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& url) {
  NILUS_ASSIGN_OR_RAISE(PGconn * conn, PgConnectRaw(url));
  std::unique_ptr<PgConnection> c(new PgConnection(conn, PgDescribe(conn)));
  c->cancel_ = PQgetCancel(conn);
  NILUS_RETURN_NOT_OK(
      c->Exec("SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; "
              "SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 3"));
  return c;
}

void PgConnection::RequestCancel() {
  if (cancel_ == nullptr) return;
  char err[256];
  (void)PQcancel(cancel_, err, sizeof(err));  // best effort: the caller is stopping anyway
}

bool PgConnection::is_ok() const { return PQstatus(conn_) == CONNECTION_OK; }

Status PgConnection::ErrorFrom(const pg_result* res, std::string_view what) const {
  return PgResultError(conn_, res, what, description_);
}

Status PgConnection::Exec(const std::string& sql) {
  PgRows res(PQexec(conn_, sql.c_str()));
  const ExecStatusType st = PQresultStatus(res.res_);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorFrom(res.res_, sql);
  return Status::OK();
}

Result<PgRows> PgConnection::Query(const std::string& sql,
                                   const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgRows res(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                          values.data(), nullptr, nullptr, /*resultFormat=*/0));
  const ExecStatusType st = PQresultStatus(res.res_);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorFrom(res.res_, sql);
  return res;
}

Status PgConnection::BeginCopyOut(const std::string& sql) {
  PgRows res(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(res.res_) != PGRES_COPY_OUT) return ErrorFrom(res.res_, sql);
  return Status::OK();
}

Result<bool> PgConnection::ReadCopyData(const uint8_t** data, int64_t* len) {
  if (copy_buffer_) {
    PQfreemem(copy_buffer_);
    copy_buffer_ = nullptr;
  }
  const int n = PQgetCopyData(conn_, &copy_buffer_, /*async=*/0);
  if (n > 0) {
    *data = reinterpret_cast<const uint8_t*>(copy_buffer_);
    *len = n;
    return true;
  }
  if (n == -2) return ErrorFrom(nullptr, "reading COPY data");
  // -1: the COPY is over; its final result says whether it succeeded.
  Status st;
  for (PGresult* r = PQgetResult(conn_); r != nullptr; r = PQgetResult(conn_)) {
    PgRows res(r);
    if (st.ok() && PQresultStatus(r) != PGRES_COMMAND_OK) st = ErrorFrom(r, "COPY");
  }
  NILUS_RETURN_NOT_OK(st);
  *data = nullptr;
  *len = 0;
  return false;
}

Result<std::string> PgConnection::QuoteLiteral(std::string_view value) {
  char* q = PQescapeLiteral(conn_, value.data(), value.size());
  if (q == nullptr) {
    return Status::Invalid(fmt::format("cannot quote a literal on {}: {}", description_,
                                       TrimMessage(PQerrorMessage(conn_))));
  }
  std::string out(q);
  PQfreemem(q);
  return out;
}

std::string PgConnection::QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace nilus
