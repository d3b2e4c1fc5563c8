#include "manager/manager_server.h"

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/logging.h"
#include "extract/files/chunked_input.h"
#include "manager/manager_metrics.h"
#include "manager/metadata_repository.h"
#include "manager/pg_pool.h"
#include "manager/retention.h"
#include "pipeline/metadata/metadata_schema.h"

namespace nilus::manager {
namespace {

using nlohmann::json;
using pipeline::MetaRow;

constexpr int kMaxJsonDepth = 32;
constexpr size_t kMaxQueryValueBytes = 512;

enum class Access { kPublic, kRead, kWrite, kMetrics };

struct Reply {
  int code = 200;
  std::string body;
};

Reply Error(int code, std::string message) {
  json j;
  j["error"] = std::move(message);
  return {code, j.dump(-1, ' ', false, json::error_handler_t::replace)};
}

// Constant-time comparison, so response times reveal nothing about a token.
bool SameToken(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// Rejects nesting deeper than the limit before a parser sees it: a deeply nested document is
// an attack on recursive code and memory, never a metadata record.
Status CheckJsonDepth(std::string_view body, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        return Status::Invalid("body: JSON nested deeper than " + std::to_string(max_depth) +
                               " levels (at byte " + std::to_string(i) + ")");
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return Status::OK();
}

Result<json> ParseBody(const std::string& body) {
  if (body.empty()) return Status::Invalid("body: empty; expected a JSON object");
  size_t bad = FindInvalidUtf8(body);
  if (bad < body.size()) {
    return Status::Invalid("body: invalid UTF-8 at byte " + std::to_string(bad));
  }
  NILUS_RETURN_NOT_OK(CheckJsonDepth(body, kMaxJsonDepth));
  try {
    json j = json::parse(body);
    if (!j.is_object()) return Status::Invalid("body: expected a JSON object");
    return j;
  } catch (const json::exception& e) {
    return Status::Invalid(std::string("body: not valid JSON: ") + e.what());
  }
}

// A record of `table` from a JSON value; errors name `where` ("records[3]").
Result<MetaRow> RowFromJson(const pipeline::MetaTable& table, const json& value,
                            const std::string& where) {
  if (!value.is_object()) return Status::Invalid(where + ": expected a JSON object");
  Result<MetaRow> row = pipeline::MetaRowFromJson(table, value.dump());
  if (!row.ok()) return Status::Invalid(where + ": " + row.status().message());
  return row;
}

// A stage record's times must be in order; duration_ms, when left out, is derived from them
// (as the local store does).
Status CheckStageTimes(MetaRow* row, const std::string& where) {
  const auto* started = std::get_if<std::string>(&row->Get("started_at"));
  const auto* finished = std::get_if<std::string>(&row->Get("finished_at"));
  if (!started || !finished) return Status::OK();
  Result<pipeline::MetaTime> a = pipeline::ParseMetaTime(*started);
  Result<pipeline::MetaTime> b = pipeline::ParseMetaTime(*finished);
  if (!a.ok() || !b.ok()) return Status::OK();  // validation already named the field
  if (*b < *a) return Status::Invalid(where + ".finished_at: before started_at");
  if (std::holds_alternative<std::monostate>(row->Get("duration_ms"))) {
    row->Set("duration_ms",
             int64_t{std::chrono::duration_cast<std::chrono::milliseconds>(*b - *a).count()});
  }
  return Status::OK();
}

int HttpCode(const Status& st) {
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kTypeError:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

Reply FromStatus(const Status& st) {
  int code = HttpCode(st);
  if (code == 500) {
    Log().error("manager: {}", st.ToString());
    return Error(500, "internal error (the Manager's log has the details)");
  }
  if (code == 503) {
    Log().warn("manager: database unavailable: {}", st.message());
    return Error(503, "the metadata database is unavailable; retry later");
  }
  return Error(code, st.message());
}

std::string_view StageTableName(std::string_view stage) {
  if (stage == "extract") return "extract_info";
  if (stage == "normalize") return "normalize_info";
  if (stage == "load") return "load_info";
  return "";
}

Result<std::optional<std::string>> QueryText(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::optional<std::string>();
  if (req.get_param_value_count(name) > 1) {
    return Status::Invalid(std::string(name) + ": given more than once");
  }
  std::string v = req.get_param_value(name);
  if (v.size() > kMaxQueryValueBytes) {
    return Status::Invalid(std::string(name) + ": longer than " +
                           std::to_string(kMaxQueryValueBytes) + " bytes");
  }
  if (FindInvalidUtf8(v) < v.size() || v.find('\0') != std::string::npos) {
    return Status::Invalid(std::string(name) + ": not valid UTF-8 text");
  }
  return std::optional<std::string>(std::move(v));
}

Result<int> QueryInt(const httplib::Request& req, const char* name, int lo, int hi, int dflt) {
  NILUS_ASSIGN_OR_RAISE(std::optional<std::string> v, QueryText(req, name));
  if (!v) return dflt;
  size_t used = 0;
  long x = 0;
  try {
    x = std::stol(*v, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != v->size() || x < lo || x > hi) {
    return Status::Invalid(std::string(name) + ": expected an integer from " + std::to_string(lo) +
                           " to " + std::to_string(hi) + ", got '" + *v + "'");
  }
  return static_cast<int>(x);
}

Status CheckKnownParams(const httplib::Request& req, std::initializer_list<std::string_view> ok) {
  for (const auto& [k, v] : req.params) {
    if (std::find(ok.begin(), ok.end(), k) == ok.end()) {
      std::string known;
      for (std::string_view n : ok) known += (known.empty() ? "" : ", ") + std::string(n);
      return Status::Invalid("query parameter '" +
                             (FindInvalidUtf8(k) < k.size() ? std::string("?") : k) +
                             "': unknown (known: " + (known.empty() ? "none" : known) + ")");
    }
  }
  return Status::OK();
}

}  // namespace

struct ManagerServer::Rep {
  ManagerConfig config;
  std::unique_ptr<httplib::Server> http;
  std::unique_ptr<PgPool> pool;
  std::unique_ptr<MetadataRepository> repo;
  ManagerMetrics metrics;
  std::unique_ptr<RetentionJob> retention;
  int port = 0;
  bool tls = false;

  std::atomic<bool> migrated{false};
  std::atomic<bool> stopping{false};
  std::mutex mu;  // guards fatal, the run-count cache and the stop signal
  std::condition_variable wake;
  std::string fatal;
  std::vector<RunCount> run_counts;
  std::chrono::steady_clock::time_point run_counts_at{};
  std::thread listener;
  std::thread background;  // migration, then retention
  bool stopped = false;

  using Handler = std::function<Reply(const httplib::Request&)>;
  // pattern -> (route name, methods served), for the 405 answers.
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> methods_by_pattern;

  // Registers `fn` for `method` on `pattern` (`route` names it in metrics and messages).
  void Route(const std::string& method, const std::string& pattern, const std::string& route,
             Access access, Handler fn) {
    auto wrapped = [this, method, route, access, fn](const httplib::Request& req,
                                                     httplib::Response& res) {
      auto t0 = std::chrono::steady_clock::now();
      Reply reply = Authorize(req, access);
      if (reply.code == 200 && method == "POST") {
        std::string ct = req.get_header_value("Content-Type");
        if (ct.rfind("application/json", 0) != 0) {
          reply = Error(415, "Content-Type: expected application/json");
        }
      }
      if (reply.code == 200) {
        try {
          reply = fn(req);
        } catch (const std::exception& e) {
          Log().error("manager: {} {}: {}", method, route, e.what());
          reply = Error(500, "internal error (the Manager's log has the details)");
        }
      }
      res.status = reply.code;
      if (reply.code == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"nilus\"");
      bool text = route == "/metrics" || route == "/healthz" || route == "/readyz";
      res.set_content(std::move(reply.body),
                      text && reply.code < 400
                          ? (route == "/metrics" ? "text/plain; version=0.0.4; charset=utf-8"
                                                 : "text/plain; charset=utf-8")
                          : "application/json");
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      metrics.ObserveRequest(route, method, reply.code, secs);
    };
    if (method == "GET") {
      http->Get(pattern, wrapped);
    } else {
      http->Post(pattern, wrapped);
    }
    auto& entry = methods_by_pattern[pattern];
    entry.first = route;
    entry.second.push_back(method);
  }

  // 405 for the other methods of every registered pattern (after all routes, so a pattern
  // served by both GET and POST answers both).
  void RegisterMethodNotAllowed() {
    for (const auto& [pattern, entry] : methods_by_pattern) {
      const auto& [route, methods] = entry;
      std::string allowed;
      for (const std::string& m : methods) allowed += (allowed.empty() ? "" : ", ") + m;
      auto has = [&](const char* m) {
        return std::find(methods.begin(), methods.end(), m) != methods.end();
      };
      if (!has("GET")) http->Get(pattern, MethodNotAllowed(allowed, route));
      if (!has("POST")) http->Post(pattern, MethodNotAllowed(allowed, route));
      http->Put(pattern, MethodNotAllowed(allowed, route));
      http->Delete(pattern, MethodNotAllowed(allowed, route));
      http->Patch(pattern, MethodNotAllowed(allowed, route));
    }
  }

  httplib::Server::Handler MethodNotAllowed(const std::string& allowed, const std::string& route) {
    return [this, allowed, route](const httplib::Request& req, httplib::Response& res) {
      Reply r = Error(405, req.method + " " + route + ": method not allowed (use " + allowed + ")");
      res.status = 405;
      res.set_header("Allow", allowed);
      res.set_content(r.body, "application/json");
      metrics.ObserveRequest(route, req.method, 405, 0);
    };
  }

  Reply Authorize(const httplib::Request& req, Access access) const {
    if (access == Access::kPublic) return {};
    if (access == Access::kMetrics && config.metrics_public) return {};
    if (config.write_token.empty()) return {};  // authentication is off (warned at start)
    std::string header = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) {
      return Error(401, "Authorization: a bearer token is required");
    }
    std::string_view token = std::string_view(header).substr(kBearer.size());
    if (SameToken(token, config.write_token)) return {};
    bool is_read = !config.read_token.empty() && SameToken(token, config.read_token);
    if (is_read && access != Access::kWrite) return {};
    if (is_read) return Error(403, "Authorization: the read token cannot write");
    return Error(401, "Authorization: the token is not valid");
  }

  // ---- handlers

  Reply CreateRun(const httplib::Request& req) {
    Result<json> body = ParseBody(req.body);
    if (!body.ok()) return FromStatus(body.status());
    if (!body->contains("status")) (*body)["status"] = "running";
    // Totals are computed by the finish; a create never sets them.
    for (const char* total : {"tables_failed", "rows_extracted", "bytes_extracted", "rows_loaded",
                              "bytes_loaded", "files_loaded"}) {
      body->erase(total);
    }
    Result<MetaRow> row = RowFromJson(pipeline::RunsInfoTable(), *body, "run");
    if (!row.ok()) return FromStatus(row.status());
    Status st = repo->BeginRun(*row);
    if (!st.ok()) return FromStatus(st);
    json out;
    out["run_id"] = std::get<std::string>(row->Get("run_id"));
    return {200, out.dump()};
  }

  Reply FinishRun(const httplib::Request& req) {
    std::string run_id = req.matches[1];
    Result<json> body = ParseBody(req.body);
    if (!body.ok()) return FromStatus(body.status());
    for (auto it = body->begin(); it != body->end(); ++it) {
      if (it.key() != "status" && it.key() != "finished_at" && it.key() != "error") {
        return Error(400, "unknown field '" + it.key() + "' (known: status, finished_at, error)");
      }
    }
    const json& status = (*body)["status"];
    if (!status.is_string() ||
        (status != "succeeded" && status != "failed" && status != "partial")) {
      return Error(400, "status: required, one of succeeded, failed, partial");
    }
    const json& finished = (*body)["finished_at"];
    if (!finished.is_string()) return Error(400, "finished_at: required, an ISO 8601 timestamp");
    Result<pipeline::MetaTime> at = pipeline::ParseMetaTime(finished.get<std::string>());
    if (!at.ok()) return Error(400, "finished_at: " + at.status().message());
    std::optional<std::string> error;
    if (body->contains("error") && !(*body)["error"].is_null()) {
      if (!(*body)["error"].is_string()) return Error(400, "error: must be a string");
      error = (*body)["error"].get<std::string>();
    }
    Result<RunFinishEffect> eff = repo->FinishRun(run_id, status.get<std::string>(), *at, error);
    if (!eff.ok()) return FromStatus(eff.status());
    if (eff->newly_finished) metrics.RunFinished(eff->pipeline, status.get<std::string>());
    json out;
    out["run_id"] = run_id;
    out["status"] = status;
    return {200, out.dump()};
  }

  Reply AppendRecords(const httplib::Request& req) {
    std::string stage = req.matches[1];
    const pipeline::MetaTable* table = pipeline::FindMetadataTable(StageTableName(stage));
    if (table == nullptr)
      return Error(404, "stage '" + stage + "': expected extract, normalize or load");
    Result<json> body = ParseBody(req.body);
    if (!body.ok()) return FromStatus(body.status());
    for (auto it = body->begin(); it != body->end(); ++it) {
      if (it.key() != "records")
        return Error(400, "unknown field '" + it.key() + "' (known: records)");
    }
    const json& records = (*body)["records"];
    if (!records.is_array() || records.empty()) {
      return Error(
          400, "records: required, a non-empty array of " + std::string(table->name) + " records");
    }
    if (records.size() > static_cast<size_t>(config.max_records_per_request)) {
      return Error(413, "records: " + std::to_string(records.size()) + " records, more than " +
                            "max_records_per_request (" +
                            std::to_string(config.max_records_per_request) + ")");
    }
    std::vector<MetaRow> rows;
    rows.reserve(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      Result<MetaRow> row = RowFromJson(*table, records[i], "records[" + std::to_string(i) + "]");
      if (!row.ok()) return FromStatus(row.status());
      Status times = CheckStageTimes(&row.value(), "records[" + std::to_string(i) + "]");
      if (!times.ok()) return FromStatus(times);
      rows.push_back(std::move(row).value());
    }
    Result<std::vector<StageWriteEffect>> effects = repo->UpsertStages(*table, rows);
    if (!effects.ok()) return FromStatus(effects.status());
    metrics.AddStageWrites(stage, *effects);
    json out;
    out["accepted"] = rows.size();
    return {200, out.dump()};
  }

  Reply ReportLag(const httplib::Request& req) {
    Result<json> body = ParseBody(req.body);
    if (!body.ok()) return FromStatus(body.status());
    const json& b = *body;
    for (auto it = b.begin(); it != b.end(); ++it) {
      const std::string& k = it.key();
      if (k != "pipeline" && k != "lag_bytes" && k != "lag_seconds" && k != "retained_wal_bytes" &&
          k != "confirmed_lsn") {
        return Error(400, "unknown field '" + k +
                              "' (known: pipeline, lag_bytes, lag_seconds, retained_wal_bytes, "
                              "confirmed_lsn)");
      }
    }
    if (!b.contains("pipeline") || !b["pipeline"].is_string() ||
        b["pipeline"].get<std::string>().empty() || b["pipeline"].get<std::string>().size() > 256) {
      return Error(400, "pipeline: required, a non-empty string of at most 256 bytes");
    }
    CdcLag lag;
    if (!b.contains("lag_bytes") || !b["lag_bytes"].is_number_integer() || b["lag_bytes"] < 0) {
      return Error(400, "lag_bytes: required, a non-negative integer");
    }
    lag.lag_bytes = b["lag_bytes"].get<int64_t>();
    if (!b.contains("lag_seconds") || !b["lag_seconds"].is_number() || b["lag_seconds"] < 0) {
      return Error(400, "lag_seconds: required, a non-negative number");
    }
    lag.lag_seconds = b["lag_seconds"].get<double>();
    if (b.contains("retained_wal_bytes") && !b["retained_wal_bytes"].is_null()) {
      if (!b["retained_wal_bytes"].is_number_integer() || b["retained_wal_bytes"] < 0) {
        return Error(400, "retained_wal_bytes: must be a non-negative integer");
      }
      lag.retained_wal_bytes = b["retained_wal_bytes"].get<int64_t>();
    }
    if (b.contains("confirmed_lsn") && !b["confirmed_lsn"].is_null() &&
        !b["confirmed_lsn"].is_string()) {
      return Error(400, "confirmed_lsn: must be a string like \"16/B374D848\"");
    }
    lag.reported_at = std::chrono::steady_clock::now();
    metrics.SetCdcLag(b["pipeline"].get<std::string>(), lag);
    return {200, "{\"ok\":true}"};
  }

  Reply ListRuns(const httplib::Request& req) {
    Status st = CheckKnownParams(req, {"pipeline", "status", "from", "before", "limit", "after"});
    if (!st.ok()) return FromStatus(st);
    RunListFilter f;
    auto text = [&](const char* name, std::optional<std::string>* out) {
      Result<std::optional<std::string>> v = QueryText(req, name);
      if (!v.ok()) return v.status();
      *out = std::move(v).value();
      return Status::OK();
    };
    std::optional<std::string> from, before, after;
    for (auto [name, out] :
         {std::pair{"pipeline", &f.pipeline}, std::pair{"status", &f.status},
          std::pair{"from", &from}, std::pair{"before", &before}, std::pair{"after", &after}}) {
      st = text(name, out);
      if (!st.ok()) return FromStatus(st);
    }
    if (f.status && *f.status != "running" && *f.status != "succeeded" && *f.status != "failed" &&
        *f.status != "partial") {
      return Error(400, "status: expected running, succeeded, failed or partial");
    }
    for (auto [name, in, out] :
         {std::tuple{"from", &from, &f.from}, std::tuple{"before", &before, &f.before}}) {
      if (!*in) continue;
      Result<pipeline::MetaTime> t = pipeline::ParseMetaTime(**in);
      if (!t.ok()) return Error(400, std::string(name) + ": " + t.status().message());
      *out = *t;
    }
    if (after) {
      size_t comma = after->find(',');
      Result<pipeline::MetaTime> t = comma == std::string::npos
                                         ? Result<pipeline::MetaTime>(Status::Invalid(""))
                                         : pipeline::ParseMetaTime(after->substr(0, comma));
      std::string id = comma == std::string::npos ? "" : after->substr(comma + 1);
      if (!t.ok() || !pipeline::IsCanonicalUuid(id)) {
        return Error(400, "after: not a page token (use the 'next' value of the previous page)");
      }
      f.after = {*t, id};
    }
    Result<int> limit = QueryInt(req, "limit", 1, 1000, 50);
    if (!limit.ok()) return FromStatus(limit.status());
    f.limit = *limit;
    Result<RunPage> page = repo->ListRuns(f);
    if (!page.ok()) return FromStatus(page.status());
    std::string out = "{\"runs\":[";
    for (size_t i = 0; i < page->runs_json.size(); ++i) {
      if (i) out += ',';
      out += page->runs_json[i];
    }
    out += "],\"next\":";
    out += page->next ? json(*page->next).dump() : "null";
    out += "}";
    return {200, std::move(out)};
  }

  Reply GetRun(const httplib::Request& req) {
    Status st = CheckKnownParams(req, {});
    if (!st.ok()) return FromStatus(st);
    std::string run_id = req.matches[1];
    Result<std::optional<std::string>> run = repo->GetRunJson(run_id);
    if (!run.ok()) return FromStatus(run.status());
    if (!*run) return Error(404, "run_id: no run " + run_id);
    return {200, std::move(**run)};
  }

  Reply Pipelines(const httplib::Request& req, bool one) {
    Status st = CheckKnownParams(req, {"days"});
    if (!st.ok()) return FromStatus(st);
    Result<int> days = QueryInt(req, "days", 1, 366, 7);
    if (!days.ok()) return FromStatus(days.status());
    std::optional<std::string> name;
    if (one) {
      name = req.matches[1];
      if (FindInvalidUtf8(*name) < name->size() || name->size() > kMaxQueryValueBytes) {
        return Error(400, "pipeline: not valid UTF-8 text of at most 512 bytes");
      }
    }
    Result<std::string> out = repo->PipelineSummariesJson(*days, name);
    if (!out.ok()) return FromStatus(out.status());
    if (one) {
      json j = json::parse(*out);
      if (j["pipelines"].empty()) return Error(404, "pipeline: no run of pipeline " + *name);
      json single = j["pipelines"][0];
      single["days"] = *days;
      return {200, single.dump(-1, ' ', false, json::error_handler_t::replace)};
    }
    return {200, std::move(out).value()};
  }

  Reply Metrics() {
    std::vector<RunCount> counts;
    {
      std::lock_guard<std::mutex> l(mu);
      counts = run_counts;
      if (std::chrono::steady_clock::now() - run_counts_at < std::chrono::seconds(5) &&
          run_counts_at.time_since_epoch().count() != 0) {
        return {200, metrics.Render(counts)};
      }
    }
    if (migrated) {
      Result<std::vector<RunCount>> fresh = repo->CountRuns();
      if (fresh.ok()) {
        std::lock_guard<std::mutex> l(mu);
        run_counts = *fresh;
        run_counts_at = std::chrono::steady_clock::now();
        counts = *fresh;
      }
    }
    return {200, metrics.Render(counts)};
  }

  Reply Ready() {
    if (!migrated)
      return {503, "not ready: the schema is not migrated yet (database unreachable?)"};
    Result<int> v = repo->SchemaVersion();
    if (!v.ok()) return {503, "not ready: the database is unreachable"};
    if (*v != pipeline::MetadataSchemaVersion()) {
      return {503, "not ready: schema version " + std::to_string(*v) + ", expected " +
                       std::to_string(pipeline::MetadataSchemaVersion())};
    }
    return {200, "ready\n"};
  }

  void Routes() {
    const std::string uuid = "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";
    Route("GET", "/healthz", "/healthz", Access::kPublic, [](const httplib::Request&) {
      return Reply{200, "ok\n"};
    });
    Route("GET", "/readyz", "/readyz", Access::kPublic,
          [this](const httplib::Request&) { return Ready(); });
    Route("GET", "/metrics", "/metrics", Access::kMetrics,
          [this](const httplib::Request&) { return Metrics(); });
    Route("POST", "/api/v1/runs", "/api/v1/runs", Access::kWrite,
          [this](const httplib::Request& r) { return CreateRun(r); });
    Route("GET", "/api/v1/runs", "/api/v1/runs", Access::kRead,
          [this](const httplib::Request& r) { return ListRuns(r); });
    Route("POST", "/api/v1/runs/" + uuid + "/finish", "/api/v1/runs/{run_id}/finish",
          Access::kWrite, [this](const httplib::Request& r) { return FinishRun(r); });
    Route("GET", "/api/v1/runs/" + uuid, "/api/v1/runs/{run_id}", Access::kRead,
          [this](const httplib::Request& r) { return GetRun(r); });
    Route("POST", "/api/v1/records/(extract|normalize|load)", "/api/v1/records/{stage}",
          Access::kWrite, [this](const httplib::Request& r) { return AppendRecords(r); });
    Route("POST", "/api/v1/cdc/lag", "/api/v1/cdc/lag", Access::kWrite,
          [this](const httplib::Request& r) { return ReportLag(r); });
    Route("GET", "/api/v1/pipelines", "/api/v1/pipelines", Access::kRead,
          [this](const httplib::Request& r) { return Pipelines(r, false); });
    Route("GET", "/api/v1/pipelines/([^/]+)", "/api/v1/pipelines/{pipeline}", Access::kRead,
          [this](const httplib::Request& r) { return Pipelines(r, true); });
    RegisterMethodNotAllowed();
    http->set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          std::string msg = res.status == 404   ? "no such endpoint (docs/manager.md lists them)"
                            : res.status == 413 ? "body: larger than max_body_bytes"
                                                : "bad request";
          (void)req;
          res.set_content(Error(res.status, msg).body, "application/json");
          return httplib::Server::HandlerResponse::Handled;
        }));
  }

  // Migrates (retrying while the database is unreachable), then runs the retention job every
  // retention_interval until Stop.
  void Background() {
    std::chrono::milliseconds backoff(200);
    while (!stopping) {
      Status st = repo->Migrate(RetentionBookkeepingDdl());
      if (st.ok()) {
        migrated = true;
        Log().info("manager: schema at version {}", pipeline::MetadataSchemaVersion());
        break;
      }
      if (st.code() != StatusCode::kUnavailable) {
        std::lock_guard<std::mutex> l(mu);
        fatal = st.ToString();
        Log().error("manager: cannot migrate the database: {}", st.ToString());
        wake.notify_all();
        return;
      }
      Log().warn("manager: database unavailable, retrying in {} ms: {}", backoff.count(),
                 st.message());
      std::unique_lock<std::mutex> l(mu);
      wake.wait_for(l, backoff, [&] { return stopping.load(); });
      backoff = std::min(backoff * 2, std::chrono::milliseconds(10000));
    }
    if (!retention) return;
    while (!stopping) {
      Result<RetentionReport> report = retention->RunOnce(pipeline::MetaTimeNow());
      if (report.ok()) {
        for (const auto& [table, n] : report->deleted) metrics.AddRetentionDeleted(table, n);
        metrics.AddArchivedRows(report->archive_rows);
        if (report->archive_rows > 0 || !report->deleted.empty()) {
          int64_t deleted = 0;
          for (const auto& [t, n] : report->deleted) deleted += n;
          Log().info("manager: retention archived {} runs ({} rows), deleted {} rows",
                     report->runs_archived, report->archive_rows, deleted);
        }
      } else {
        Log().warn("manager: retention pass failed (retried next interval): {}",
                   report.status().ToString());
      }
      std::unique_lock<std::mutex> l(mu);
      wake.wait_for(l, config.retention_interval, [&] { return stopping.load(); });
    }
  }
};

RetentionOptions RetentionOptionsFrom(const ManagerConfig& c) {
  RetentionOptions ro;
  ro.default_days = c.retention_default_days;
  ro.table_days = c.retention_table_days;
  ro.batch_size = c.retention_batch_size;
  ro.abandoned_running_days = c.abandoned_running_days;
  ro.archive.enabled = c.archive_enabled;
  ro.archive.warehouse = c.archive_warehouse;
  ro.archive.catalog_uri = c.archive_catalog;
  ro.archive.ns = c.archive_namespace;
  ro.archive.table = c.archive_table;
  ro.archive.batch_runs = c.archive_batch_runs;
  return ro;
}

ManagerServer::ManagerServer(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

ManagerServer::~ManagerServer() { Stop(rep_->config.shutdown_timeout); }

Result<std::unique_ptr<ManagerServer>> ManagerServer::Start(const ManagerConfig& config) {
  auto rep = std::make_unique<Rep>();
  rep->config = config;
  if (!config.tls_cert_file.empty()) {
    auto ssl = std::make_unique<httplib::SSLServer>(config.tls_cert_file.c_str(),
                                                    config.tls_key_file.c_str());
    if (!ssl->is_valid()) {
      return Status::Invalid("tls: cannot load tls.cert_file " + config.tls_cert_file +
                             " with tls.key_file " + config.tls_key_file);
    }
    rep->http = std::move(ssl);
    rep->tls = true;
  } else {
    rep->http = std::make_unique<httplib::Server>();
  }
  if (config.retention_interval.count() > 0) {
    RetentionOptions ro = RetentionOptionsFrom(config);
    NILUS_RETURN_NOT_OK(ValidateRetentionOptions(ro));
    NILUS_ASSIGN_OR_RAISE(rep->retention, RetentionJob::Make(config.database, std::move(ro)));
  }
  rep->pool = std::make_unique<PgPool>(config.database, config.pool_size);
  rep->repo = std::make_unique<MetadataRepository>(rep->pool.get());
  const int threads = config.threads;
  rep->http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  rep->http->set_payload_max_length(static_cast<size_t>(config.max_body_bytes));
  rep->http->set_keep_alive_max_count(100000);
  // Small JSON answers: without TCP_NODELAY, Nagle's algorithm and delayed ACKs add ~40 ms
  // to every request on a kept-alive connection.
  rep->http->set_tcp_nodelay(true);
  rep->http->set_read_timeout(10, 0);
  rep->http->set_write_timeout(10, 0);
  rep->Routes();
  int port = config.listen_port;
  if (port == 0) {
    port = rep->http->bind_to_any_port(config.listen_host);
  } else if (!rep->http->bind_to_port(config.listen_host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return Status::IOError("listen: cannot bind " + config.listen_host + ":" +
                           std::to_string(config.listen_port) +
                           " (in use, or not an address here)");
  }
  rep->port = port;
  if (config.write_token.empty()) {
    Log().warn(
        "manager: auth.write_token is empty: every endpoint is open to anyone who can "
        "reach {}:{}",
        config.listen_host, port);
  }
  Rep* r = rep.get();
  rep->listener = std::thread([r] { r->http->listen_after_bind(); });
  rep->background = std::thread([r] { r->Background(); });
  return std::unique_ptr<ManagerServer>(new ManagerServer(std::move(rep)));
}

int ManagerServer::port() const { return rep_->port; }
bool ManagerServer::tls() const { return rep_->tls; }

bool ManagerServer::ready() { return rep_->Ready().code == 200; }

std::string ManagerServer::fatal_error() {
  std::lock_guard<std::mutex> l(rep_->mu);
  return rep_->fatal;
}

bool ManagerServer::Stop(std::chrono::milliseconds timeout) {
  if (rep_->stopped) return true;
  rep_->stopped = true;
  {
    std::lock_guard<std::mutex> l(rep_->mu);
    rep_->stopping = true;
    rep_->wake.notify_all();
  }
  rep_->http->stop();
  // listen_after_bind returns once the worker threads have finished their requests.
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::thread joiner([this, done] {
    if (rep_->listener.joinable()) rep_->listener.join();
    if (rep_->background.joinable()) rep_->background.join();
    *done = true;
  });
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!*done && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!*done) {
    joiner.detach();
    return false;
  }
  joiner.join();
  return true;
}

}  // namespace nilus::manager
