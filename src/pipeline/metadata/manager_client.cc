#include "pipeline/metadata/manager_client.h"

#include <fmt/format.h>
#include <httplib.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <system_error>
#include <thread>
#include <utility>

#include "core/logging.h"
#include "pipeline/metadata/sqlite_metadata_store.h"

namespace nilus::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr int kBusyTimeoutMs = 5000;
// How often an idle deliverer looks for records spooled by other processes, and retries the
// lease when another process holds it.
constexpr auto kIdlePoll = std::chrono::seconds(1);
// A deliverer renews its lease before every request; one that crashed loses it after this.
// Longer than a request can take (connect + write + read timeouts) plus the longest backoff.
constexpr int64_t kMinLeaseMs = 60000;
constexpr int kMaxRecordsLimit = 1000;

// Spool row kinds, as stored and as the prefix of the Idempotency-Key.
enum class Kind { kRun, kExtract, kNormalize, kLoad, kFinish };

std::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kRun:
      return "run";
    case Kind::kExtract:
      return "extract";
    case Kind::kNormalize:
      return "normalize";
    case Kind::kLoad:
      return "load";
    case Kind::kFinish:
      return "finish";
  }
  return "?";
}

std::optional<Kind> ParseKind(std::string_view s) {
  for (Kind k : {Kind::kRun, Kind::kExtract, Kind::kNormalize, Kind::kLoad, Kind::kFinish}) {
    if (KindName(k) == s) return k;
  }
  return std::nullopt;
}

bool IsStage(Kind k) { return k == Kind::kExtract || k == Kind::kNormalize || k == Kind::kLoad; }

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The Manager's base URL split into what httplib::Client takes (scheme://host[:port]) and a
// path prefix ("" or "/prefix", without a trailing slash).
struct ManagerUrl {
  std::string origin;
  std::string prefix;
};

Result<ManagerUrl> ParseManagerUrl(const std::string& url) {
  auto bad = [&](std::string_view why) {
    return Status::Invalid(fmt::format("manager: '{}' {}", url, why));
  };
  size_t scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") return bad("is not an http:// or https:// URL");
  if (url.find_first_of("?#") != std::string::npos) {
    return bad("must not have a query or fragment");
  }
  if (std::any_of(url.begin(), url.end(),
                  [](char c) { return std::iscntrl(static_cast<unsigned char>(c)) || c == ' '; })) {
    return bad("must not contain spaces or control characters");
  }
  const size_t start = scheme_end + 3;
  const size_t slash = url.find('/', start);
  const std::string authority =
      url.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
  if (authority.empty()) return bad("has no host");
  if (authority.find('@') != std::string::npos) {
    return bad("must not hold credentials: give the token as manager_token");
  }
  std::string host = authority;
  std::string port;
  if (authority.front() == '[') {  // an IPv6 literal
    size_t close = authority.find(']');
    if (close == std::string::npos) return bad("has an unterminated IPv6 address");
    host = authority.substr(0, close + 1);
    std::string rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("has text after its IPv6 address");
      port = rest.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return bad("has an empty port");
  }
  if (host.empty() || host == "[]") return bad("has no host");
  if (!port.empty()) {
    bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
                    return std::isdigit(static_cast<unsigned char>(c));
                  });
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
      return bad(fmt::format("has port '{}': expected 1..65535", port));
    }
  }
  ManagerUrl out;
  out.origin = scheme + "://" + authority;
  if (slash != std::string::npos) out.prefix = url.substr(slash);
  while (!out.prefix.empty() && out.prefix.back() == '/') out.prefix.pop_back();
  return out;
}

// FNV-1a, for the Idempotency-Key of a batch (stable across processes and builds).
uint64_t Fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The Manager's error message from a 4xx/5xx body ({"error": "...", "field": "..."}), else the
// body itself, shortened.
std::string ManagerMessage(const std::string& body) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    std::string msg = j["error"].get<std::string>();
    if (j.contains("field") && j["field"].is_string()) {
      msg += fmt::format(" (field {})", j["field"].get<std::string>());
    }
    return msg;
  }
  std::string text = body.substr(0, 300);
  if (body.size() > text.size()) text += "...";
  return text.empty() ? "no message" : text;
}

// A prepared statement, finalized on destruction.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& path) : db_(db), path_(path) {}
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Status Prepare(const std::string& sql) {
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr);
    if (rc != SQLITE_OK) return Error(rc, "prepare");
    return Status::OK();
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  // SQLITE_ROW -> true, SQLITE_DONE -> false.
  Result<bool> Step(std::string_view what) {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Error(sqlite3_extended_errcode(db_), what);
  }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t Int(int i) { return sqlite3_column_int64(stmt_, i); }
  std::string Text(int i) {
    const unsigned char* t = sqlite3_column_text(stmt_, i);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt_, i))
             : std::string();
  }

  Status Error(int rc, std::string_view what) const {
    std::string msg = fmt::format("manager spool {}: {}: {}", path_, what,
                                  db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Unavailable(msg);
    return Status::IOError(msg);
  }

 private:
  sqlite3* db_;
  const std::string& path_;
  sqlite3_stmt* stmt_ = nullptr;
};

// One record to spool.
struct SpoolEntry {
  Kind kind;
  std::string run_id;
  std::string natural_key;  // run_id, or run_id/table_name for stage records
  std::string body;         // JSON
};

// One spooled record, read back for delivery.
struct SpoolRow {
  int64_t seq = 0;
  Kind kind = Kind::kRun;
  std::string run_id;
  std::string natural_key;
  std::string body;
};

// What one request achieved.
enum class Outcome { kDelivered, kRetry, kRejected };

struct SendResult {
  Outcome outcome = Outcome::kRetry;
  int status = 0;       // HTTP status; 0 when no answer came
  std::string message;  // why it failed
  std::chrono::milliseconds retry_after{0};
};

}  // namespace

struct ManagerMetadataSink::Rep {
  ManagerClientOptions options;
  ManagerUrl url;
  std::string holder;  // this process's lease holder id

  // The spool connection; every use holds db_mu.
  std::mutex db_mu;
  sqlite3* db = nullptr;

  // Only the delivery thread uses the client (ClientImpl::stop() aside, which is made for
  // being called from another thread).
  std::unique_ptr<httplib::Client> client;
  std::thread thread;

  // Signals between callers, Flush and the delivery thread.
  std::mutex state_mu;
  std::condition_variable wake_cv;      // wakes the delivery thread
  std::condition_variable progress_cv;  // wakes Flush
  bool stop = false;
  bool kick = false;      // cut the backoff short (Flush)
  bool new_rows = false;  // this process spooled records
  std::optional<CdcLagReport> lag;
  uint64_t progress = 0;  // bumped after every delivery round

  // Delivery-thread state.
  int64_t solo_through = 0;  // after a rejected batch: send one at a time up to this seq
  bool failing = false;      // the last attempt failed (to log an outage once)

  ~Rep() {
    if (db) sqlite3_close_v2(db);
  }

  Status Exec(const char* sql, std::string_view what) {
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) {
      Stmt s(db, options.spool_path);
      return s.Error(sqlite3_extended_errcode(db), what);
    }
    return Status::OK();
  }

  // Runs `body` in BEGIN IMMEDIATE ... COMMIT (rolled back on failure). Caller holds db_mu.
  template <typename Fn>
  Status InTransaction(Fn&& body) {
    NILUS_RETURN_NOT_OK(Exec("BEGIN IMMEDIATE", "begin transaction"));
    Status st = body();
    if (st.ok()) st = Exec("COMMIT", "commit");
    if (!st.ok()) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return st;
  }

  Status CreateSchema() {
    return InTransaction([&]() -> Status {
      NILUS_RETURN_NOT_OK(
          Exec("CREATE TABLE IF NOT EXISTS spool ("
               "seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, run_id TEXT NOT NULL, "
               "natural_key TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL)",
               "create spool table"));
      NILUS_RETURN_NOT_OK(
          Exec("CREATE INDEX IF NOT EXISTS spool_by_key ON spool (kind, natural_key)",
               "create spool index"));
      NILUS_RETURN_NOT_OK(Exec("CREATE INDEX IF NOT EXISTS spool_by_run ON spool (run_id, kind)",
                               "create spool index"));
      return Exec(
          "CREATE TABLE IF NOT EXISTS spool_lease (id INTEGER PRIMARY KEY CHECK (id = 1), "
          "holder TEXT NOT NULL, expires_at_ms INTEGER NOT NULL)",
          "create lease table");
    });
  }

  // Appends the entries in one transaction. A stage record supersedes an older spooled record
  // with the same key, unless a begin or finish of its run lies between them (moving the record
  // past those would change what the Manager sees at that point): a CDC run re-sends every
  // table after each flush, and a long outage must not grow the spool without bound.
  Status Append(const std::vector<SpoolEntry>& entries) {
    const std::string created = FormatMetaTime(MetaTimeNow());
    std::lock_guard<std::mutex> lock(db_mu);
    NILUS_RETURN_NOT_OK(InTransaction([&]() -> Status {
      Stmt del(db, options.spool_path);
      NILUS_RETURN_NOT_OK(del.Prepare(
          "DELETE FROM spool WHERE kind = ?1 AND natural_key = ?2 AND NOT EXISTS ("
          "SELECT 1 FROM spool AS b WHERE b.run_id = ?3 AND b.kind IN ('run', 'finish') "
          "AND b.seq > spool.seq)"));
      Stmt ins(db, options.spool_path);
      NILUS_RETURN_NOT_OK(
          ins.Prepare("INSERT INTO spool (kind, run_id, natural_key, body, created_at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5)"));
      for (const SpoolEntry& e : entries) {
        if (IsStage(e.kind)) {
          del.Bind(1, KindName(e.kind));
          del.Bind(2, e.natural_key);
          del.Bind(3, e.run_id);
          NILUS_RETURN_NOT_OK(del.Step("coalesce").status());
          del.Reset();
        }
        ins.Bind(1, KindName(e.kind));
        ins.Bind(2, e.run_id);
        ins.Bind(3, e.natural_key);
        ins.Bind(4, e.body);
        ins.Bind(5, created);
        NILUS_RETURN_NOT_OK(ins.Step("spool a record").status());
        ins.Reset();
      }
      return Status::OK();
    }));
    {
      std::lock_guard<std::mutex> l(state_mu);
      new_rows = true;
    }
    wake_cv.notify_all();
    return Status::OK();
  }

  Result<std::vector<SpoolRow>> ReadHead(int limit) {
    std::lock_guard<std::mutex> lock(db_mu);
    Stmt s(db, options.spool_path);
    NILUS_RETURN_NOT_OK(
        s.Prepare("SELECT seq, kind, run_id, natural_key, body FROM spool ORDER BY seq LIMIT " +
                  std::to_string(limit)));
    std::vector<SpoolRow> rows;
    while (true) {
      NILUS_ASSIGN_OR_RAISE(bool has, s.Step("read the spool"));
      if (!has) break;
      SpoolRow r;
      r.seq = s.Int(0);
      std::string kind = s.Text(1);
      r.run_id = s.Text(2);
      r.natural_key = s.Text(3);
      r.body = s.Text(4);
      std::optional<Kind> k = ParseKind(kind);
      if (!k) {
        // Not ours (a newer Nilus?): leave it alone rather than guess, and stop here so that
        // order holds.
        return Status::Corruption(fmt::format("manager spool {}: record {} has unknown kind '{}'",
                                              options.spool_path, r.seq, kind));
      }
      r.kind = *k;
      rows.push_back(std::move(r));
    }
    return rows;
  }

  Status Delete(const std::vector<int64_t>& seqs) {
    std::lock_guard<std::mutex> lock(db_mu);
    return InTransaction([&]() -> Status {
      Stmt s(db, options.spool_path);
      NILUS_RETURN_NOT_OK(s.Prepare("DELETE FROM spool WHERE seq = ?1"));
      for (int64_t seq : seqs) {
        s.Bind(1, seq);
        NILUS_RETURN_NOT_OK(s.Step("delete delivered records").status());
        s.Reset();
      }
      return Status::OK();
    });
  }

  // COUNT(*) of the spool, or of the records up to `max_seq` when it is set.
  Result<int64_t> Count(std::optional<int64_t> max_seq) {
    std::lock_guard<std::mutex> lock(db_mu);
    Stmt s(db, options.spool_path);
    NILUS_RETURN_NOT_OK(s.Prepare(max_seq ? "SELECT COUNT(*) FROM spool WHERE seq <= ?1"
                                          : "SELECT COUNT(*) FROM spool"));
    if (max_seq) s.Bind(1, *max_seq);
    NILUS_ASSIGN_OR_RAISE(bool has, s.Step("count the spool"));
    return has ? s.Int(0) : 0;
  }

  Result<int64_t> MaxSeq() {
    std::lock_guard<std::mutex> lock(db_mu);
    Stmt s(db, options.spool_path);
    NILUS_RETURN_NOT_OK(s.Prepare("SELECT COALESCE(MAX(seq), 0) FROM spool"));
    NILUS_ASSIGN_OR_RAISE(bool has, s.Step("read the spool"));
    return has ? s.Int(0) : 0;
  }

  int64_t LeaseMs() const {
    return std::max<int64_t>(kMinLeaseMs,
                             4 * options.request_timeout.count() + 2 * options.max_backoff.count());
  }

  // Takes or renews the delivery lease; false when another live process holds it.
  Result<bool> TryLease() {
    const int64_t now = UnixMillis();
    std::lock_guard<std::mutex> lock(db_mu);
    Stmt s(db, options.spool_path);
    NILUS_RETURN_NOT_OK(
        s.Prepare("INSERT INTO spool_lease (id, holder, expires_at_ms) VALUES (1, ?1, ?2) "
                  "ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, "
                  "expires_at_ms = excluded.expires_at_ms "
                  "WHERE spool_lease.holder = excluded.holder OR spool_lease.expires_at_ms < ?3"));
    s.Bind(1, holder);
    s.Bind(2, now + LeaseMs());
    s.Bind(3, now);
    NILUS_RETURN_NOT_OK(s.Step("take the delivery lease").status());
    return sqlite3_changes(db) == 1;
  }

  void ReleaseLease() {
    std::lock_guard<std::mutex> lock(db_mu);
    Stmt s(db, options.spool_path);
    if (!s.Prepare("DELETE FROM spool_lease WHERE holder = ?1").ok()) return;
    s.Bind(1, holder);
    (void)s.Step("release the delivery lease");
  }

  void NotifyProgress() {
    {
      std::lock_guard<std::mutex> l(state_mu);
      ++progress;
    }
    progress_cv.notify_all();
  }

  // One POST. Never logs the headers (they hold the token).
  SendResult Post(const std::string& path, const std::string& body,
                  const std::string& idempotency_key) {
    httplib::Headers headers = {{"Idempotency-Key", idempotency_key}};
    if (!options.token.empty()) headers.emplace("Authorization", "Bearer " + options.token);
    httplib::Result res = client->Post(url.prefix + path, headers, body, "application/json");
    SendResult out;
    if (!res) {
      out.message = fmt::format("request failed: {} error", httplib::to_string(res.error()));
      return out;
    }
    out.status = res->status;
    if (out.status >= 200 && out.status < 300) {
      out.outcome = Outcome::kDelivered;
      return out;
    }
    out.message = fmt::format("HTTP {}: {}", out.status, ManagerMessage(res->body));
    const bool transient = out.status == 408 || out.status == 429 || out.status == 401 ||
                           out.status == 403 || out.status < 400 || out.status >= 500;
    out.outcome = transient ? Outcome::kRetry : Outcome::kRejected;
    if (res->has_header("Retry-After")) {
      std::string ra = res->get_header_value("Retry-After");
      if (!ra.empty() && ra.size() < 7 && std::all_of(ra.begin(), ra.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c));
          })) {
        out.retry_after = std::chrono::seconds(std::stoi(ra));
      }
    }
    return out;
  }

  void SendLag(const CdcLagReport& r) {
    Json j = {{"pipeline", r.pipeline}, {"lag_bytes", r.lag_bytes}, {"lag_seconds", r.lag_seconds}};
    if (r.retained_wal_bytes) j["retained_wal_bytes"] = *r.retained_wal_bytes;
    if (!r.confirmed_lsn.empty()) j["confirmed_lsn"] = r.confirmed_lsn;
    SendResult res = Post("/api/v1/cdc/lag", j.dump(), "lag:" + r.pipeline);
    if (res.outcome != Outcome::kDelivered) {
      Log().debug("manager {}: CDC lag report dropped: {}", options.url, res.message);
    }
  }

  enum class Round { kIdle, kProgress, kRetry };

  // Delivers the head of the spool: one begin or finish, or a batch of consecutive stage
  // records of one stage.
  Round DeliverHead(SendResult* failure) {
    Result<int64_t> newest = MaxSeq();
    if (!newest.ok()) {
      failure->message = newest.status().ToString();
      return Round::kRetry;
    }
    if (*newest == 0) return Round::kIdle;  // empty: no need for the lease
    // Only the lease holder delivers, so records keep their order across processes.
    Result<bool> leased = TryLease();
    if (!leased.ok()) {
      failure->message = leased.status().ToString();
      return Round::kRetry;
    }
    if (!*leased) return Round::kIdle;  // another process delivers
    Result<std::vector<SpoolRow>> head = ReadHead(options.max_records_per_request);
    if (!head.ok()) {
      failure->message = head.status().ToString();
      return Round::kRetry;
    }
    if (head->empty()) return Round::kIdle;
    const std::vector<SpoolRow>& rows = *head;
    const SpoolRow& first = rows.front();

    // The group: its seqs (all deleted on success) and the records sent (a record superseded by
    // a later one with the same key in the same batch is not sent: the later one wins anyway).
    std::vector<int64_t> seqs;
    std::vector<const SpoolRow*> group;
    if (!IsStage(first.kind) || first.seq <= solo_through) {
      group.push_back(&first);
    } else {
      int64_t bytes = 0;
      for (const SpoolRow& r : rows) {
        if (r.kind != first.kind || r.seq <= solo_through) break;
        if (!group.empty() &&
            bytes + static_cast<int64_t>(r.body.size()) + 1 > options.max_request_bytes) {
          break;
        }
        bytes += static_cast<int64_t>(r.body.size()) + 1;
        group.push_back(&r);
      }
    }
    for (const SpoolRow* r : group) seqs.push_back(r->seq);
    std::vector<const SpoolRow*> send;
    {
      std::map<std::string_view, size_t> last;
      for (size_t i = 0; i < group.size(); ++i) last[group[i]->natural_key] = i;
      for (size_t i = 0; i < group.size(); ++i) {
        if (last[group[i]->natural_key] == i) send.push_back(group[i]);
      }
    }

    std::string path, body, key;
    const std::string_view kind = KindName(first.kind);
    if (first.kind == Kind::kRun) {
      path = "/api/v1/runs";
      body = first.body;
    } else if (first.kind == Kind::kFinish) {
      path = "/api/v1/runs/" + first.run_id + "/finish";
      body = first.body;
    } else {
      path = fmt::format("/api/v1/records/{}", kind);
      body = "{\"records\":[";
      for (size_t i = 0; i < send.size(); ++i) {
        if (i > 0) body += ',';
        body += send[i]->body;
      }
      body += "]}";
    }
    if (send.size() == 1) {
      key = fmt::format("{}:{}", kind, send.front()->natural_key);
    } else {
      uint64_t h = Fnv1a("");
      for (const SpoolRow* r : send) h = Fnv1a(r->natural_key + "\n", h);
      key = fmt::format("{}:{}:{:016x}", kind, send.size(), h);
    }

    SendResult res = Post(path, body, key);
    if (res.outcome == Outcome::kRetry) {
      *failure = std::move(res);
      return Round::kRetry;
    }
    if (res.outcome == Outcome::kRejected && send.size() > 1) {
      // All or nothing on the Manager's side: find the bad record by sending one at a time.
      Log().info(
          "manager {}: a batch of {} {} records was rejected ({}); re-sending them one "
          "at a time",
          options.url, send.size(), kind, res.message);
      solo_through = seqs.back();
      return Round::kProgress;
    }
    if (res.outcome == Outcome::kRejected) {
      std::string note;
      if (res.status == 404) {
        note = fmt::format(" (the Manager has no run {}: its begin was rejected or never sent)",
                           first.run_id);
      }
      Log().error("manager {}: {} record {} rejected, dropped from the spool: {}{}", options.url,
                  kind, send.front()->natural_key, res.message, note);
    }
    Status del = Delete(seqs);
    if (!del.ok()) {
      // Delivered but still spooled: it is re-sent later, which is harmless.
      failure->message = del.ToString();
      return Round::kRetry;
    }
    return Round::kProgress;
  }

  void DeliverLoop() {
    std::chrono::milliseconds backoff = options.initial_backoff;
    std::optional<Clock::time_point> retry_at;
    bool busy = true;  // the spool may hold records: look before waiting
    while (true) {
      std::optional<CdcLagReport> lag_report;
      {
        std::unique_lock<std::mutex> l(state_mu);
        if (retry_at) {
          wake_cv.wait_until(l, *retry_at, [&] { return stop || kick; });
        } else if (!busy) {
          wake_cv.wait_for(l, kIdlePoll, [&] { return stop || kick || new_rows || lag; });
        }
        if (stop) return;
        if (kick || (retry_at && Clock::now() >= *retry_at)) retry_at.reset();
        kick = false;
        if (retry_at) continue;
        new_rows = false;
        lag_report.swap(lag);
      }
      if (lag_report) SendLag(*lag_report);

      SendResult failure;
      Round round = DeliverHead(&failure);
      NotifyProgress();
      if (round == Round::kProgress) {
        if (failing) {
          Log().info("manager {}: reachable again, delivering spooled records", options.url);
          failing = false;
        }
        backoff = options.initial_backoff;
        busy = true;
        continue;
      }
      busy = false;
      if (round == Round::kIdle) continue;
      // Retry: keep the records, wait, try the same head again.
      const std::string msg = fmt::format("manager {}: {}; records stay spooled and are retried",
                                          options.url, failure.message);
      if (!failing) {
        if (failure.status == 401 || failure.status == 403) {
          Log().error("{} (check manager_token)", msg);
        } else {
          Log().warn("{}", msg);
        }
        failing = true;
      } else {
        Log().debug("{}", msg);
      }
      std::chrono::milliseconds wait =
          std::min(std::max(backoff, failure.retry_after), options.max_backoff);
      retry_at = Clock::now() + wait;
      backoff = std::min(backoff * 2, options.max_backoff);
    }
  }
};

ManagerMetadataSink::ManagerMetadataSink(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

std::string ManagerMetadataSink::DefaultSpoolPath(std::string_view warehouse) {
  return (std::filesystem::path(SqliteMetadataStore::DefaultPath(warehouse)).parent_path() /
          "manager-spool.db")
      .string();
}

Result<std::unique_ptr<ManagerMetadataSink>> ManagerMetadataSink::Open(
    const ManagerClientOptions& options) {
  NILUS_ASSIGN_OR_RAISE(ManagerUrl url, ParseManagerUrl(options.url));
  if (std::any_of(options.token.begin(), options.token.end(),
                  [](char c) { return std::iscntrl(static_cast<unsigned char>(c)) || c == ' '; })) {
    return Status::Invalid("manager_token: must not contain spaces or control characters");
  }
  if (options.spool_path.empty()) return Status::Invalid("manager: empty spool path");
  if (options.max_records_per_request < 1 || options.max_records_per_request > kMaxRecordsLimit) {
    return Status::Invalid(fmt::format("manager: max_records_per_request {} is outside 1..{}",
                                       options.max_records_per_request, kMaxRecordsLimit));
  }
  if (options.flush_timeout.count() < 0) {
    return Status::Invalid("manager_flush_timeout: must not be negative");
  }
  if (options.request_timeout.count() <= 0 || options.initial_backoff.count() <= 0 ||
      options.max_backoff < options.initial_backoff) {
    return Status::Invalid(
        "manager: request_timeout and initial_backoff must be > 0, and max_backoff >= "
        "initial_backoff");
  }
  if (options.max_request_bytes <= 0) {
    return Status::Invalid("manager: max_request_bytes must be > 0");
  }

  auto rep = std::make_unique<Rep>();
  rep->options = options;
  rep->url = url;
  {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    std::random_device rd;
    const uint64_t nonce = (uint64_t{rd()} << 32) ^ rd();
    rep->holder = fmt::format("{}:{}:{:016x}", host, getpid(), nonce);
  }

  const std::string& path = options.spool_path;
  if (path != ":memory:") {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return Status::IOError(fmt::format("manager spool {}: cannot create {}: {}", path,
                                           parent.string(), ec.message()));
      }
    }
  }
  int rc =
      sqlite3_open_v2(path.c_str(), &rep->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    return Status::IOError(fmt::format("manager spool {}: open: {}", path,
                                       rep->db ? sqlite3_errmsg(rep->db) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(rep->db, 1);
  sqlite3_busy_timeout(rep->db, kBusyTimeoutMs);
  if (path != ":memory:") {
    NILUS_RETURN_NOT_OK(rep->Exec("PRAGMA journal_mode=WAL", "enable WAL"));
    NILUS_RETURN_NOT_OK(rep->Exec("PRAGMA synchronous=NORMAL", "set synchronous"));
  }
  NILUS_RETURN_NOT_OK(rep->CreateSchema());
  NILUS_ASSIGN_OR_RAISE(int64_t left, rep->Count(std::nullopt));
  if (left > 0) {
    Log().info("manager {}: {} records left in {} by earlier runs are delivered first", options.url,
               left, path);
  }

  rep->client = std::make_unique<httplib::Client>(url.origin);
  if (!rep->client->is_valid()) {
    return Status::Invalid(
        fmt::format("manager: cannot make an HTTP client for '{}'", options.url));
  }
  rep->client->set_connection_timeout(options.request_timeout);
  rep->client->set_read_timeout(options.request_timeout);
  rep->client->set_write_timeout(options.request_timeout);
  rep->client->set_keep_alive(true);
  // Headers and body go out in separate writes: without this, Nagle's algorithm and delayed
  // ACKs cost ~40 ms per request on a kept-alive connection.
  rep->client->set_tcp_nodelay(true);

  Rep* r = rep.get();
  rep->thread = std::thread([r] { r->DeliverLoop(); });
  return std::unique_ptr<ManagerMetadataSink>(new ManagerMetadataSink(std::move(rep)));
}

ManagerMetadataSink::~ManagerMetadataSink() {
  Rep& r = *rep_;
  Status flushed = Flush(Clock::now() + r.options.flush_timeout);
  {
    std::lock_guard<std::mutex> l(r.state_mu);
    r.stop = true;
  }
  r.wake_cv.notify_all();
  r.client->stop();  // aborts a request in flight
  if (r.thread.joinable()) r.thread.join();
  r.ReleaseLease();
  Result<int64_t> left = r.Count(std::nullopt);
  if (!left.ok()) {
    Log().warn("manager {}: {}", r.options.url, left.status().ToString());
  } else if (*left > 0) {
    Log().warn(
        "manager {}: {} records stay spooled in {}; the next run on this warehouse delivers them",
        r.options.url, *left, r.options.spool_path);
  } else {
    Log().debug("manager {}: every record delivered", r.options.url);
  }
}

const std::string& ManagerMetadataSink::spool_path() const { return rep_->options.spool_path; }

Status ManagerMetadataSink::BeginRun(const RunInfo& run) {
  NILUS_ASSIGN_OR_RAISE(MetaRow row, ToRow(run));
  return rep_->Append({SpoolEntry{Kind::kRun, run.run_id, run.run_id, MetaRowToJson(row)}});
}

namespace {

template <typename Record>
Result<std::vector<SpoolEntry>> StageEntries(Kind kind, std::span<const Record> records) {
  std::vector<SpoolEntry> out;
  out.reserve(records.size());
  for (const Record& r : records) {
    NILUS_ASSIGN_OR_RAISE(MetaRow row, ToRow(r));
    out.push_back(SpoolEntry{kind, r.run_id, r.run_id + "/" + r.table_name, MetaRowToJson(row)});
  }
  return out;
}

}  // namespace

Status ManagerMetadataSink::RecordExtract(std::span<const ExtractInfo> records) {
  if (records.empty()) return Status::OK();
  NILUS_ASSIGN_OR_RAISE(auto entries, StageEntries(Kind::kExtract, records));
  return rep_->Append(entries);
}

Status ManagerMetadataSink::RecordNormalize(std::span<const NormalizeInfo> records) {
  if (records.empty()) return Status::OK();
  NILUS_ASSIGN_OR_RAISE(auto entries, StageEntries(Kind::kNormalize, records));
  return rep_->Append(entries);
}

Status ManagerMetadataSink::RecordLoad(std::span<const LoadInfo> records) {
  if (records.empty()) return Status::OK();
  NILUS_ASSIGN_OR_RAISE(auto entries, StageEntries(Kind::kLoad, records));
  return rep_->Append(entries);
}

Status ManagerMetadataSink::FinishRun(const RunFinish& finish) {
  if (!IsCanonicalUuid(finish.run_id)) {
    return Status::Invalid("runs_info.run_id: '" + finish.run_id + "' is not a lower-case UUID");
  }
  if (finish.status == RunStatus::kRunning) {
    return Status::Invalid("runs_info.status: a finished run cannot be 'running'");
  }
  Json j = {{"status", std::string(RunStatusName(finish.status))},
            {"finished_at", FormatMetaTime(finish.finished_at)}};
  if (finish.error) j["error"] = *finish.error;
  // Invalid UTF-8 in an error message must not make the record undeliverable.
  std::string body = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  return rep_->Append({SpoolEntry{Kind::kFinish, finish.run_id, finish.run_id, std::move(body)}});
}

Status ManagerMetadataSink::ReportCdcLag(const CdcLagReport& report) {
  if (report.pipeline.empty()) return Status::Invalid("cdc lag: empty pipeline name");
  {
    std::lock_guard<std::mutex> l(rep_->state_mu);
    rep_->lag = report;
  }
  rep_->wake_cv.notify_all();
  return Status::OK();
}

Status ManagerMetadataSink::Flush(std::chrono::steady_clock::time_point deadline) {
  Rep& r = *rep_;
  NILUS_ASSIGN_OR_RAISE(int64_t target, r.MaxSeq());
  if (target == 0) return Status::OK();
  {
    std::lock_guard<std::mutex> l(r.state_mu);
    r.kick = true;
  }
  r.wake_cv.notify_all();
  while (true) {
    uint64_t seen;
    {
      std::lock_guard<std::mutex> l(r.state_mu);
      seen = r.progress;
    }
    NILUS_ASSIGN_OR_RAISE(int64_t left, r.Count(target));
    if (left == 0) return Status::OK();
    const auto now = Clock::now();
    if (now >= deadline) {
      return Status::Unavailable(fmt::format("manager {}: {} records still spooled in {}",
                                             r.options.url, left, r.options.spool_path));
    }
    // Progress of this process's deliverer wakes us; another process's is polled.
    std::unique_lock<std::mutex> l(r.state_mu);
    r.progress_cv.wait_until(l, std::min(deadline, now + std::chrono::milliseconds(100)),
                             [&] { return r.progress != seen; });
  }
}

Result<int64_t> ManagerMetadataSink::SpooledRecords() { return rep_->Count(std::nullopt); }

// --- TeeMetadataSink ---

TeeMetadataSink::TeeMetadataSink(std::vector<MetadataSink*> sinks) {
  for (MetadataSink* s : sinks) {
    if (s != nullptr) sinks_.push_back(s);
  }
}

template <typename Fn>
Status TeeMetadataSink::ForEach(Fn&& fn) {
  Status first;
  for (MetadataSink* s : sinks_) {
    Status st = fn(s);
    if (!st.ok() && first.ok()) first = std::move(st);
  }
  return first;
}

Status TeeMetadataSink::BeginRun(const RunInfo& run) {
  return ForEach([&](MetadataSink* s) { return s->BeginRun(run); });
}
Status TeeMetadataSink::RecordExtract(std::span<const ExtractInfo> records) {
  return ForEach([&](MetadataSink* s) { return s->RecordExtract(records); });
}
Status TeeMetadataSink::RecordNormalize(std::span<const NormalizeInfo> records) {
  return ForEach([&](MetadataSink* s) { return s->RecordNormalize(records); });
}
Status TeeMetadataSink::RecordLoad(std::span<const LoadInfo> records) {
  return ForEach([&](MetadataSink* s) { return s->RecordLoad(records); });
}
Status TeeMetadataSink::FinishRun(const RunFinish& finish) {
  return ForEach([&](MetadataSink* s) { return s->FinishRun(finish); });
}
Status TeeMetadataSink::ReportCdcLag(const CdcLagReport& report) {
  return ForEach([&](MetadataSink* s) { return s->ReportCdcLag(report); });
}

}  // namespace nilus::pipeline
