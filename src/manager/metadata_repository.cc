#include "manager/metadata_repository.h"

#include <libpq-fe.h>

#include <nlohmann/json.hpp>

#include "pipeline/metadata/run_records.h"

namespace nilus::manager {

using pipeline::FormatMetaTime;
using pipeline::MetaColumnType;
using pipeline::MetaRow;
using pipeline::MetaTable;
using pipeline::MetaTime;
using pipeline::MetaValue;
using pipeline::SqlDialect;

namespace {

// Any 64-bit number: the lock that serializes concurrent migrations.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7311422300491)";

std::string ColumnList(const MetaTable& t, std::string_view prefix = "") {
  std::string out;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (i) out += ", ";
    out += prefix;
    out += t.columns[i].name;
  }
  return out;
}

// Runs `body` inside BEGIN/COMMIT on `lease`; rolls back when it fails.
template <typename Fn>
Status InTransaction(PgLease* lease, Fn&& body) {
  NILUS_RETURN_NOT_OK(lease->Exec("BEGIN"));
  Status st = body();
  if (!st.ok()) {
    (void)lease->Exec("ROLLBACK");
    return st;
  }
  return lease->Exec("COMMIT");
}

std::string RowsToJsonArray(const MetaTable& t, const PgRows& rows) {
  std::string out = "[";
  for (int r = 0; r < rows.num_rows(); ++r) {
    Result<MetaRow> row = MetaRowFromPg(t, rows, r);
    if (!row.ok()) continue;  // cannot happen for rows our schema wrote; never fail a read
    if (out.size() > 1) out += ',';
    out += pipeline::MetaRowToJson(*row);
  }
  out += ']';
  return out;
}

std::optional<std::string> Opt(const PgRows& rows, int r, int c) {
  if (rows.IsNull(r, c)) return std::nullopt;
  return std::string(rows.Get(r, c));
}

// The statement that upserts a stage row and reads what it changed, built once per table (it
// runs for every record the API receives).
struct StageUpsert {
  std::string name;
  std::string sql;
};

const StageUpsert& StageUpsertFor(const MetaTable& table) {
  static const std::vector<StageUpsert> statements = [] {
    std::vector<StageUpsert> out;
    for (const MetaTable& t : pipeline::MetadataTables()) {
      std::string n(t.name);
      out.push_back(
          {"upsert_" + n,
           "WITH prev AS (SELECT row_count, byte_count, status FROM " + n +
               " WHERE run_id = $1 AND table_name = $2), up AS (" +
               pipeline::UpsertSql(SqlDialect::kPostgres, t) +
               " RETURNING row_count, byte_count, status, duration_ms) SELECT (SELECT pipeline "
               "FROM runs_info WHERE run_id = $1), up.row_count, up.byte_count, up.status, "
               "up.duration_ms, prev.row_count, prev.byte_count, prev.status FROM up LEFT JOIN "
               "prev ON true"});
    }
    return out;
  }();
  for (size_t i = 0; i < pipeline::MetadataTables().size(); ++i) {
    if (pipeline::MetadataTables()[i].name == table.name) return statements[i];
  }
  std::abort();  // only stage tables of the shared definition reach here
}

}  // namespace

Result<MetaRow> MetaRowFromPg(const MetaTable& table, const PgRows& rows, int r, int first) {
  MetaRow row(table);
  for (size_t i = 0; i < table.columns.size(); ++i) {
    int c = first + static_cast<int>(i);
    if (rows.IsNull(r, c)) continue;
    std::string_view text = rows.Get(r, c);
    MetaValue& out = row.mutable_values()[i];
    switch (table.columns[i].type) {
      case MetaColumnType::kBool:
        out = int64_t{text == "t" ? 1 : 0};
        break;
      case MetaColumnType::kInt32:
      case MetaColumnType::kInt64: {
        NILUS_ASSIGN_OR_RAISE(int64_t x, rows.GetInt(r, c));
        out = x;
        break;
      }
      case MetaColumnType::kTimestamp: {
        NILUS_ASSIGN_OR_RAISE(MetaTime t, pipeline::ParseMetaTime(text));
        out = FormatMetaTime(t);
        break;
      }
      default:
        out = std::string(text);
        break;
    }
  }
  return row;
}

Status MetadataRepository::Migrate(const std::vector<std::string>& extra_ddl) {
  NILUS_ASSIGN_OR_RAISE(PgLease lease, pool_->Acquire());
  return InTransaction(&lease, [&]() -> Status {
    NILUS_RETURN_NOT_OK(lease.Exec(kMigrationLock));
    NILUS_RETURN_NOT_OK(lease.Exec(pipeline::SchemaVersionTableDdl(SqlDialect::kPostgres)));
    NILUS_ASSIGN_OR_RAISE(PgRows cur, lease.Query("SELECT COALESCE(MAX(version), 0) FROM " +
                                                  std::string(pipeline::kSchemaVersionTable)));
    NILUS_ASSIGN_OR_RAISE(int64_t current, cur.GetInt(0, 0));
    const int latest = pipeline::MetadataSchemaVersion();
    if (current > latest) {
      return Status::Invalid("the Manager database is at schema version " +
                             std::to_string(current) + ", newer than this Nilus (version " +
                             std::to_string(latest) + "): upgrade the Manager");
    }
    for (int v = static_cast<int>(current) + 1; v <= latest; ++v) {
      for (const std::string& stmt : pipeline::MigrationStatements(SqlDialect::kPostgres, v)) {
        Status st = lease.Exec(stmt);
        if (!st.ok())
          return Status::IOError("migration " + std::to_string(v) + ": " + st.message());
      }
      NILUS_RETURN_NOT_OK(lease
                              .Query("INSERT INTO " + std::string(pipeline::kSchemaVersionTable) +
                                         " (version, applied_at) VALUES ($1, now())",
                                     {std::to_string(v)})
                              .status());
    }
    for (const std::string& stmt : extra_ddl) NILUS_RETURN_NOT_OK(lease.Exec(stmt));
    return Status::OK();
  });
}

Result<int> MetadataRepository::SchemaVersion() {
  NILUS_ASSIGN_OR_RAISE(PgLease lease, pool_->Acquire());
  NILUS_ASSIGN_OR_RAISE(PgRows exists,
                        lease.Execute("schema_version_exists", "SELECT to_regclass($1) IS NOT NULL",
                                      {std::string(pipeline::kSchemaVersionTable)}));
  if (exists.Get(0, 0) != "t") return 0;
  NILUS_ASSIGN_OR_RAISE(PgRows rows, lease.Execute("schema_version",
                                                   "SELECT COALESCE(MAX(version), 0) FROM " +
                                                       std::string(pipeline::kSchemaVersionTable),
                                                   {}));
  NILUS_ASSIGN_OR_RAISE(int64_t v, rows.GetInt(0, 0));
  return static_cast<int>(v);
}

Status MetadataRepository::BeginRun(const MetaRow& run) {
  static const std::string sql = pipeline::UpsertSql(
      SqlDialect::kPostgres, pipeline::RunsInfoTable(), pipeline::RunBeginColumns());
  NILUS_ASSIGN_OR_RAISE(PgLease lease, pool_->Acquire());
  return lease.Execute("begin_run", sql, pipeline::MetaRowTextParams(run)).status();
}

Result<RunFinishEffect> MetadataRepository::FinishRun(const std::string& run_id,
                                                      const std::string& status,
                                                      MetaTime finished_at,
                                                      const std::optional<std::string>& error) {
  static const std::string finish_sql = pipeline::FinishRunSql(SqlDialect::kPostgres);
  NILUS_ASSIGN_OR_RAISE(PgLease lease, pool_->Acquire());
  RunFinishEffect effect;
  Status st = InTransaction(&lease, [&]() -> Status {
    NILUS_ASSIGN_OR_RAISE(
        PgRows cur,
        lease.Execute("finish_run_read",
                      "SELECT pipeline, status, started_at FROM runs_info WHERE run_id = $1 "
                      "FOR UPDATE",
                      {run_id}));
    if (cur.num_rows() == 0) return Status::NotFound("run_id: no run " + run_id);
    effect.pipeline = std::string(cur.Get(0, 0));
    effect.newly_finished = cur.Get(0, 1) == "running";
    NILUS_ASSIGN_OR_RAISE(MetaTime started, pipeline::ParseMetaTime(cur.Get(0, 2)));
    int64_t duration_ms = std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(finished_at - started).count());
    return lease
        .Execute("finish_run", finish_sql,
                 {status, FormatMetaTime(finished_at), std::to_string(duration_ms), error, run_id})
        .status();
  });
  if (!st.ok()) return st;
  return effect;
}

Result<std::vector<StageWriteEffect>> MetadataRepository::UpsertStages(
    const MetaTable& table, const std::vector<MetaRow>& rows) {
  // One statement per record: the upsert, the previous counts and the run's pipeline, in one
  // round trip. `prev` reads the statement's snapshot, from before the upsert (a FOR UPDATE
  // there would skip the row the upsert changes). Two deliveries of the same record racing
  // each other may both count their growth: the metrics can over-count then, the rows cannot.
  const StageUpsert& upsert = StageUpsertFor(table);
  const std::string& name = upsert.name;
  const std::string& sql = upsert.sql;
  NILUS_ASSIGN_OR_RAISE(PgLease lease, pool_->Acquire());
  std::vector<StageWriteEffect> effects;
  effects.reserve(rows.size());
  auto write_all = [&]() -> Status {
    for (size_t i = 0; i < rows.size(); ++i) {
      Result<PgRows> res = lease.Execute(name, sql, pipeline::MetaRowTextParams(rows[i]));
      if (!res.ok()) {
        const Status& e = res.status();
        std::string where = "records[" + std::to_string(i) + "]";
        if (e.code() == StatusCode::kNotFound) {
          return Status::NotFound(where + ".run_id: no run " +
                                  std::get<std::string>(rows[i].values()[0]) +
                                  " (create the run first)");
        }
        if (e.code() == StatusCode::kInvalidArgument) {
          return Status::Invalid(where + ": " + e.message());
        }
        return e;
      }
      const PgRows& r = *res;
      StageWriteEffect eff;
      eff.pipeline = std::string(r.Get(0, 0));
      eff.table_name = std::get<std::string>(rows[i].values()[1]);
      int64_t rows_now = *r.GetInt(0, 1), bytes_now = *r.GetInt(0, 2);
      int64_t rows_before = r.IsNull(0, 5) ? 0 : *r.GetInt(0, 5);
      int64_t bytes_before = r.IsNull(0, 6) ? 0 : *r.GetInt(0, 6);
      eff.rows_added = std::max<int64_t>(0, rows_now - rows_before);
      eff.bytes_added = std::max<int64_t>(0, bytes_now - bytes_before);
      std::string_view status_now = r.Get(0, 3);
      bool was_final = !r.IsNull(0, 7) && r.Get(0, 7) != "running";
      if (status_now != "running" && !was_final && !r.IsNull(0, 4)) {
        eff.finished_seconds = static_cast<double>(*r.GetInt(0, 4)) / 1000.0;
      }
      effects.push_back(std::move(eff));
    }
    return Status::OK();
  };
  Status st = rows.size() == 1 ? write_all() : InTransaction(&lease, write_all);
  if (!st.ok()) return st;
  return effects;
}

Result<RunPage> MetadataRepository::ListRuns(const RunListFilter& f) {
  const MetaTable& t = pipeline::RunsInfoTable();
  std::vector<std::optional<std::string>> params;
  std::vector<std::string> where;
  auto bind = [&](std::string v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  };
  if (f.pipeline) where.push_back("pipeline = " + bind(*f.pipeline));
  if (f.status) where.push_back("status = " + bind(*f.status));
  if (f.from) where.push_back("started_at >= " + bind(FormatMetaTime(*f.from)));
  if (f.before) where.push_back("started_at < " + bind(FormatMetaTime(*f.before)));
  if (f.after) {
    std::string a = bind(FormatMetaTime(f.after->first));
    std::string b = bind(f.after->second);
    where.push_back("(started_at, run_id) < (" + a + "::timestamptz, " + b + "::uuid)");
  }
  std::string sql = "SELECT " + ColumnList(t) + " FROM runs_info";
  for (size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  sql += " ORDER BY started_at DESC, run_id DESC LIMIT " + std::to_string(f.limit + 1);
  NILUS_ASSIGN_OR_RAISE(PgLease lease, pool_->Acquire());
  NILUS_ASSIGN_OR_RAISE(PgRows rows, lease.Query(sql, params));
  RunPage page;
  int n = std::min(rows.num_rows(), f.limit);
  for (int r = 0; r < n; ++r) {
    NILUS_ASSIGN_OR_RAISE(MetaRow row, MetaRowFromPg(t, rows, r));
    page.runs_json.push_back(pipeline::MetaRowToJson(row));
    if (r == n - 1 && rows.num_rows() > f.limit) {
      page.next = std::get<std::string>(row.Get("started_at")) + "," +
                  std::get<std::string>(row.Get("run_id"));
    }
  }
  return page;
}

Result<std::optional<std::string>> MetadataRepository::GetRunJson(const std::string& run_id) {
  NILUS_ASSIGN_OR_RAISE(PgLease lease, pool_->Acquire());
  std::string out;
  for (const MetaTable& t : pipeline::MetadataTables()) {
    std::string name(t.name);
    bool is_run = name == "runs_info";
    std::string sql = "SELECT " + ColumnList(t) + " FROM " + name + " WHERE run_id = $1" +
                      (is_run ? "" : " ORDER BY table_name");
    NILUS_ASSIGN_OR_RAISE(PgRows rows, lease.Execute("get_" + name, sql, {run_id}));
    if (is_run) {
      if (rows.num_rows() == 0) return std::optional<std::string>();
      NILUS_ASSIGN_OR_RAISE(MetaRow row, MetaRowFromPg(t, rows, 0));
      out = "{\"run\":" + pipeline::MetaRowToJson(row);
    } else {
      std::string key = name.substr(0, name.find('_'));  // extract | normalize | load
      out += ",\"" + key + "\":" + RowsToJsonArray(t, rows);
    }
  }
  out += "}";
  return std::optional<std::string>(std::move(out));
}

Result<std::string> MetadataRepository::PipelineSummariesJson(
    int days, const std::optional<std::string>& pipeline_name) {
  std::string sql =
      "WITH w AS (SELECT now() - make_interval(days => $1::int) AS since) "
      "SELECT pipeline,"
      " count(*) FILTER (WHERE started_at >= w.since),"
      " count(*) FILTER (WHERE started_at >= w.since AND status = 'succeeded'),"
      " count(*) FILTER (WHERE started_at >= w.since AND status IN ('failed', 'partial')),"
      " max(started_at), max(finished_at) FILTER (WHERE status = 'succeeded'),"
      " max(finished_at) FILTER (WHERE status IN ('failed', 'partial')),"
      " (array_agg(error ORDER BY started_at DESC) FILTER (WHERE status IN ('failed', "
      "'partial')))[1],"
      " COALESCE(sum(rows_loaded) FILTER (WHERE started_at >= w.since), 0),"
      " count(*) FILTER (WHERE status = 'running')"
      " FROM runs_info, w";
  std::vector<std::optional<std::string>> params = {std::to_string(days)};
  if (pipeline_name) {
    sql += " WHERE pipeline = $2";
    params.push_back(*pipeline_name);
  }
  sql += " GROUP BY pipeline ORDER BY pipeline";
  NILUS_ASSIGN_OR_RAISE(PgLease lease, pool_->Acquire());
  NILUS_ASSIGN_OR_RAISE(PgRows rows, lease.Query(sql, params));
  nlohmann::json list = nlohmann::json::array();
  auto time_or_null = [&](int r, int c) -> nlohmann::json {
    std::optional<std::string> v = Opt(rows, r, c);
    if (!v) return nullptr;
    Result<MetaTime> t = pipeline::ParseMetaTime(*v);
    return t.ok() ? nlohmann::json(FormatMetaTime(*t)) : nlohmann::json(*v);
  };
  for (int r = 0; r < rows.num_rows(); ++r) {
    int64_t runs = *rows.GetInt(r, 1), ok = *rows.GetInt(r, 2), failed = *rows.GetInt(r, 3);
    int64_t rows_loaded = *rows.GetInt(r, 8);
    nlohmann::json s;
    s["pipeline"] = std::string(rows.Get(r, 0));
    s["runs"] = runs;
    s["succeeded"] = ok;
    s["failed"] = failed;
    s["running"] = *rows.GetInt(r, 9);
    s["failure_rate"] = ok + failed > 0 ? static_cast<double>(failed) / double(ok + failed) : 0.0;
    s["last_run_at"] = time_or_null(r, 4);
    s["last_success_at"] = time_or_null(r, 5);
    s["last_failure_at"] = time_or_null(r, 6);
    std::optional<std::string> err = Opt(rows, r, 7);
    s["last_error"] = err ? nlohmann::json(*err) : nlohmann::json(nullptr);
    s["rows_loaded"] = rows_loaded;
    s["rows_per_day"] = static_cast<double>(rows_loaded) / days;
    list.push_back(std::move(s));
  }
  nlohmann::json out;
  out["days"] = days;
  out["pipelines"] = std::move(list);
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<RunCount>> MetadataRepository::CountRuns() {
  NILUS_ASSIGN_OR_RAISE(PgLease lease, pool_->Acquire());
  NILUS_ASSIGN_OR_RAISE(
      PgRows rows,
      lease.Execute("count_runs",
                    "SELECT pipeline, status, count(*) FROM runs_info GROUP BY pipeline, status "
                    "ORDER BY pipeline, status",
                    {}));
  std::vector<RunCount> out;
  for (int r = 0; r < rows.num_rows(); ++r) {
    out.push_back({std::string(rows.Get(r, 0)), std::string(rows.Get(r, 1)), *rows.GetInt(r, 2)});
  }
  return out;
}

}  // namespace nilus::manager
