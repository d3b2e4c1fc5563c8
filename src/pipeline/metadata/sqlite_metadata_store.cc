#include "pipeline/metadata/sqlite_metadata_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <system_error>

namespace nilus::pipeline {
namespace {

constexpr int kBusyTimeoutMs = 10000;

// Maps a SQLite failure to a Status. `what` names the operation.
Status SqliteError(sqlite3* db, int rc, const std::string& path, std::string_view what) {
  std::string msg = "run metadata store " + path + ": " + std::string(what) + ": " +
                    (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Unavailable(msg);
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return Status::NotFound(msg + " (a stage record names a run that was never begun)");
  }
  if (primary == SQLITE_CONSTRAINT) return Status::Invalid(msg);
  return Status::IOError(msg);
}

// A prepared statement, finalized on destruction.
class Stmt {
 public:
  Stmt() = default;
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Status Prepare(sqlite3* db, const std::string& sql, const std::string& path) {
    db_ = db;
    path_ = &path;
    int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db, rc, path, "prepare");
    return Status::OK();
  }

  void Bind(int i, const MetaValue& v) {
    if (const int64_t* x = std::get_if<int64_t>(&v)) {
      sqlite3_bind_int64(stmt_, i, *x);
    } else if (const std::string* s = std::get_if<std::string>(&v)) {
      sqlite3_bind_text(stmt_, i, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(stmt_, i);
    }
  }

  // SQLITE_ROW -> true, SQLITE_DONE -> false.
  Result<bool> Step(std::string_view what) {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // The extended code (e.g. SQLITE_CONSTRAINT_FOREIGNKEY) comes from the connection.
    return SqliteError(db_, sqlite3_extended_errcode(db_), *path_, what);
  }

  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  MetaValue Column(int i) {
    switch (sqlite3_column_type(stmt_, i)) {
      case SQLITE_NULL:
        return MetaValue();
      case SQLITE_INTEGER:
        return MetaValue(static_cast<int64_t>(sqlite3_column_int64(stmt_, i)));
      default: {
        const unsigned char* text = sqlite3_column_text(stmt_, i);
        int n = sqlite3_column_bytes(stmt_, i);
        return MetaValue(std::string(reinterpret_cast<const char*>(text), n));
      }
    }
  }

  sqlite3_stmt* raw() { return stmt_; }

 private:
  sqlite3* db_ = nullptr;
  const std::string* path_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

struct SqliteMetadataStore::Rep {
  std::string path;
  sqlite3* db = nullptr;
  std::mutex mu;

  ~Rep() {
    if (db) sqlite3_close_v2(db);
  }

  Status Exec(const std::string& sql, std::string_view what) {
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return SqliteError(db, sqlite3_extended_errcode(db), path, what);
    return Status::OK();
  }

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT (rolled back on failure). The write lock is
  // taken up front so a read-then-write body cannot fail half-way on lock upgrade.
  template <typename Fn>
  Status InTransaction(Fn&& body) {
    NILUS_RETURN_NOT_OK(Exec("BEGIN IMMEDIATE", "begin transaction"));
    Status st = body();
    if (st.ok()) st = Exec("COMMIT", "commit");
    if (!st.ok()) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    return st;
  }

  Status Upsert(const std::string& sql, const std::vector<MetaRow>& rows, std::string_view what) {
    Stmt stmt;
    NILUS_RETURN_NOT_OK(stmt.Prepare(db, sql, path));
    for (const MetaRow& row : rows) {
      for (size_t i = 0; i < row.values().size(); ++i) {
        stmt.Bind(static_cast<int>(i) + 1, row.values()[i]);
      }
      NILUS_ASSIGN_OR_RAISE(bool has_row, stmt.Step(what));
      (void)has_row;
      stmt.Reset();
    }
    return Status::OK();
  }

  Result<int> SchemaVersionLocked() {
    Stmt stmt;
    NILUS_RETURN_NOT_OK(stmt.Prepare(
        db, "SELECT COALESCE(MAX(version), 0) FROM " + std::string(kSchemaVersionTable), path));
    NILUS_ASSIGN_OR_RAISE(bool has_row, stmt.Step("read schema version"));
    if (!has_row) return 0;
    return static_cast<int>(sqlite3_column_int64(stmt.raw(), 0));
  }

  Status MigrateLocked() {
    return InTransaction([&]() -> Status {
      NILUS_RETURN_NOT_OK(Exec(SchemaVersionTableDdl(SqlDialect::kSqlite), "create version table"));
      NILUS_ASSIGN_OR_RAISE(int current, SchemaVersionLocked());
      if (current > MetadataSchemaVersion()) {
        return Status::Invalid("run metadata store " + path + " has schema version " +
                               std::to_string(current) + ", newer than this Nilus (" +
                               std::to_string(MetadataSchemaVersion()) + "); upgrade Nilus");
      }
      for (int v = current + 1; v <= MetadataSchemaVersion(); ++v) {
        for (const std::string& stmt : MigrationStatements(SqlDialect::kSqlite, v)) {
          NILUS_RETURN_NOT_OK(Exec(stmt, "migration " + std::to_string(v)));
        }
        Stmt ins;
        NILUS_RETURN_NOT_OK(ins.Prepare(db,
                                        "INSERT INTO " + std::string(kSchemaVersionTable) +
                                            " (version, applied_at) VALUES (?1, ?2)",
                                        path));
        ins.Bind(1, MetaValue(int64_t{v}));
        ins.Bind(2,
                 MetaValue(FormatMetaTime(std::chrono::time_point_cast<std::chrono::microseconds>(
                     std::chrono::system_clock::now()))));
        NILUS_ASSIGN_OR_RAISE(bool has_row, ins.Step("record migration"));
        (void)has_row;
      }
      return Status::OK();
    });
  }

  // Reads every row of `sql` (a SelectAllSql of `table` plus clauses) with the given binds.
  Result<std::vector<MetaRow>> Select(const MetaTable& table, const std::string& sql,
                                      const std::vector<MetaValue>& binds) {
    Stmt stmt;
    NILUS_RETURN_NOT_OK(stmt.Prepare(db, sql, path));
    for (size_t i = 0; i < binds.size(); ++i) stmt.Bind(static_cast<int>(i) + 1, binds[i]);
    std::vector<MetaRow> rows;
    while (true) {
      NILUS_ASSIGN_OR_RAISE(bool has_row, stmt.Step("query"));
      if (!has_row) break;
      MetaRow row(table);
      for (size_t i = 0; i < table.columns.size(); ++i) {
        row.mutable_values()[i] = stmt.Column(static_cast<int>(i));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  template <typename Record>
  Status RecordStage(std::span<const Record> records, std::string_view what) {
    if (records.empty()) return Status::OK();
    std::vector<MetaRow> rows;
    rows.reserve(records.size());
    for (const Record& r : records) {
      NILUS_ASSIGN_OR_RAISE(MetaRow row, ToRow(r));
      rows.push_back(std::move(row));
    }
    const std::string sql = UpsertSql(SqlDialect::kSqlite, rows.front().table());
    std::lock_guard<std::mutex> lock(mu);
    return InTransaction([&] { return Upsert(sql, rows, what); });
  }
};

SqliteMetadataStore::SqliteMetadataStore(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
SqliteMetadataStore::~SqliteMetadataStore() = default;

const std::string& SqliteMetadataStore::path() const { return rep_->path; }

std::string SqliteMetadataStore::DefaultPath(std::string_view warehouse) {
  std::string_view base = warehouse;
  if (base.starts_with("file://")) base.remove_prefix(7);
  return (std::filesystem::path(std::string(base)) / "_nilus" / "metadata.db").string();
}

Result<std::unique_ptr<SqliteMetadataStore>> SqliteMetadataStore::Open(const std::string& path) {
  if (path.empty()) return Status::Invalid("run metadata store: empty path");
  if (path != ":memory:") {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return Status::IOError("run metadata store " + path + ": cannot create " + parent.string() +
                               ": " + ec.message());
      }
    }
  }
  auto rep = std::make_unique<Rep>();
  rep->path = path;
  // Our mutex serializes use of the connection, so SQLite's own can be off.
  int rc =
      sqlite3_open_v2(path.c_str(), &rep->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rep->db, rc, path, "open");
  sqlite3_extended_result_codes(rep->db, 1);
  sqlite3_busy_timeout(rep->db, kBusyTimeoutMs);
  if (path != ":memory:") {
    NILUS_RETURN_NOT_OK(rep->Exec("PRAGMA journal_mode=WAL", "enable WAL"));
    // In WAL mode NORMAL is durable against process crashes, which is what metadata needs.
    NILUS_RETURN_NOT_OK(rep->Exec("PRAGMA synchronous=NORMAL", "set synchronous"));
  }
  NILUS_RETURN_NOT_OK(rep->Exec("PRAGMA foreign_keys=ON", "enable foreign keys"));
  NILUS_RETURN_NOT_OK(rep->MigrateLocked());
  return std::unique_ptr<SqliteMetadataStore>(new SqliteMetadataStore(std::move(rep)));
}

Status SqliteMetadataStore::Migrate() {
  std::lock_guard<std::mutex> lock(rep_->mu);
  return rep_->MigrateLocked();
}

Result<int> SqliteMetadataStore::SchemaVersion() {
  std::lock_guard<std::mutex> lock(rep_->mu);
  return rep_->SchemaVersionLocked();
}

Status SqliteMetadataStore::BeginRun(const RunInfo& run) {
  NILUS_ASSIGN_OR_RAISE(MetaRow row, ToRow(run));
  const std::string sql = UpsertSql(SqlDialect::kSqlite, RunsInfoTable(), RunBeginColumns());
  std::lock_guard<std::mutex> lock(rep_->mu);
  return rep_->InTransaction([&] { return rep_->Upsert(sql, {row}, "begin run"); });
}

Status SqliteMetadataStore::RecordExtract(std::span<const ExtractInfo> records) {
  return rep_->RecordStage(records, "record extract_info");
}

Status SqliteMetadataStore::RecordNormalize(std::span<const NormalizeInfo> records) {
  return rep_->RecordStage(records, "record normalize_info");
}

Status SqliteMetadataStore::RecordLoad(std::span<const LoadInfo> records) {
  return rep_->RecordStage(records, "record load_info");
}

Status SqliteMetadataStore::FinishRun(const RunFinish& finish) {
  if (!IsCanonicalUuid(finish.run_id)) {
    return Status::Invalid("runs_info.run_id: '" + finish.run_id + "' is not a lower-case UUID");
  }
  if (finish.status == RunStatus::kRunning) {
    return Status::Invalid("runs_info.status: a finished run cannot be 'running'");
  }
  std::lock_guard<std::mutex> lock(rep_->mu);
  return rep_->InTransaction([&]() -> Status {
    Stmt sel;
    NILUS_RETURN_NOT_OK(
        sel.Prepare(rep_->db, "SELECT started_at FROM runs_info WHERE run_id = ?1", rep_->path));
    sel.Bind(1, MetaValue(finish.run_id));
    NILUS_ASSIGN_OR_RAISE(bool found, sel.Step("read run"));
    if (!found) {
      return Status::NotFound("run metadata store " + rep_->path + ": no run " + finish.run_id +
                              " (FinishRun before BeginRun)");
    }
    const MetaValue started_text = sel.Column(0);
    const std::string* started_str = std::get_if<std::string>(&started_text);
    if (!started_str) return Status::Corruption("runs_info.started_at is not text");
    NILUS_ASSIGN_OR_RAISE(MetaTime started, ParseMetaTime(*started_str));
    int64_t duration_ms = std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(finish.finished_at - started)
               .count());

    Stmt upd;
    NILUS_RETURN_NOT_OK(upd.Prepare(rep_->db, FinishRunSql(SqlDialect::kSqlite), rep_->path));
    upd.Bind(1, MetaValue(std::string(RunStatusName(finish.status))));
    upd.Bind(2, MetaValue(FormatMetaTime(finish.finished_at)));
    upd.Bind(3, MetaValue(duration_ms));
    upd.Bind(4, finish.error ? MetaValue(*finish.error) : MetaValue());
    upd.Bind(5, MetaValue(finish.run_id));
    NILUS_ASSIGN_OR_RAISE(bool has_row, upd.Step("finish run"));
    (void)has_row;
    return Status::OK();
  });
}

Result<std::vector<RunInfo>> SqliteMetadataStore::ListRuns(const RunListQuery& q) {
  std::string sql = SelectAllSql(RunsInfoTable());
  std::vector<MetaValue> binds;
  std::vector<std::string> where;
  auto next = [&](MetaValue v) {
    binds.push_back(std::move(v));
    return SqlPlaceholder(SqlDialect::kSqlite, static_cast<int>(binds.size()));
  };
  if (q.pipeline) where.push_back("pipeline = " + next(*q.pipeline));
  if (q.status) where.push_back("status = " + next(std::string(RunStatusName(*q.status))));
  if (q.started_from) where.push_back("started_at >= " + next(FormatMetaTime(*q.started_from)));
  if (q.started_before) {
    where.push_back("started_at < " + next(FormatMetaTime(*q.started_before)));
  }
  if (q.after) {
    std::string t = next(FormatMetaTime(q.after->started_at));
    std::string id = next(q.after->run_id);
    where.push_back("(started_at, run_id) < (" + t + ", " + id + ")");
  }
  for (size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  sql += " ORDER BY started_at DESC, run_id DESC LIMIT " +
         std::to_string(std::clamp(q.limit, 1, 1000));

  std::lock_guard<std::mutex> lock(rep_->mu);
  NILUS_ASSIGN_OR_RAISE(std::vector<MetaRow> rows, rep_->Select(RunsInfoTable(), sql, binds));
  std::vector<RunInfo> out;
  out.reserve(rows.size());
  for (const MetaRow& row : rows) {
    NILUS_ASSIGN_OR_RAISE(RunInfo r, RunInfoFromRow(row));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<RunInfo>> SqliteMetadataStore::ListRuns(std::string_view pipeline, int limit) {
  RunListQuery q;
  if (!pipeline.empty()) q.pipeline = std::string(pipeline);
  q.limit = limit;
  return ListRuns(q);
}

Result<RunDetail> SqliteMetadataStore::GetRun(std::string_view run_id) {
  std::vector<MetaValue> id = {MetaValue(std::string(run_id))};
  auto by_run = [](const MetaTable& t) {
    return SelectAllSql(t) + " WHERE run_id = ?1 ORDER BY table_name";
  };
  std::vector<MetaRow> runs, extract, normalize, load;
  {
    // One read transaction, so the run and its stage rows are a consistent picture.
    std::lock_guard<std::mutex> lock(rep_->mu);
    NILUS_RETURN_NOT_OK(rep_->Exec("BEGIN", "begin read"));
    auto read = [&]() -> Status {
      NILUS_ASSIGN_OR_RAISE(
          runs,
          rep_->Select(RunsInfoTable(), SelectAllSql(RunsInfoTable()) + " WHERE run_id = ?1", id));
      NILUS_ASSIGN_OR_RAISE(extract,
                            rep_->Select(ExtractInfoTable(), by_run(ExtractInfoTable()), id));
      NILUS_ASSIGN_OR_RAISE(normalize,
                            rep_->Select(NormalizeInfoTable(), by_run(NormalizeInfoTable()), id));
      NILUS_ASSIGN_OR_RAISE(load, rep_->Select(LoadInfoTable(), by_run(LoadInfoTable()), id));
      return Status::OK();
    };
    Status st = read();
    sqlite3_exec(rep_->db, "COMMIT", nullptr, nullptr, nullptr);
    NILUS_RETURN_NOT_OK(st);
  }
  if (runs.empty()) {
    return Status::NotFound("run metadata store " + rep_->path + ": no run " + std::string(run_id));
  }
  RunDetail detail;
  NILUS_ASSIGN_OR_RAISE(detail.run, RunInfoFromRow(runs.front()));
  for (const MetaRow& row : extract) {
    NILUS_ASSIGN_OR_RAISE(ExtractInfo r, ExtractInfoFromRow(row));
    detail.extract.push_back(std::move(r));
  }
  for (const MetaRow& row : normalize) {
    NILUS_ASSIGN_OR_RAISE(NormalizeInfo r, NormalizeInfoFromRow(row));
    detail.normalize.push_back(std::move(r));
  }
  for (const MetaRow& row : load) {
    NILUS_ASSIGN_OR_RAISE(LoadInfo r, LoadInfoFromRow(row));
    detail.load.push_back(std::move(r));
  }
  return detail;
}

}  // namespace nilus::pipeline
