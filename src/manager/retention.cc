#include "manager/retention.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <utility>

#include "core/logging.h"
#include "extract/postgres/pg_connection.h"
#include "iceberg/catalog/sql_catalog.h"
#include "iceberg/table.h"
#include "iceberg/uuid_util.h"
#include "load/iceberg_sink.h"
#include "manager/archive_schema.h"
#include "manager/metadata_repository.h"
#include "storage/local_file_io.h"

namespace nilus::manager {

using pipeline::FormatMetaTime;
using pipeline::MetaRow;
using pipeline::MetaTable;
using pipeline::MetaTime;

namespace {

// Any 64-bit number (not the migration lock's): held for the length of one pass.
// The retention lock: (a constant, the schema the tables live in), so passes on the same tables
// exclude each other and passes on other schemas of the database (tests) do not.
constexpr const char* kRetentionLockArgs = "731142, hashtext(current_schema())";
// The catalog name the archive's tables are registered under (as `nilus run` does).
constexpr const char* kCatalogName = "nilus";

using Params = std::vector<std::optional<std::string>>;

std::string DaysKey(std::string_view table) { return "retention." + std::string(table) + "_days"; }

std::string ColumnList(const MetaTable& t) {
  std::string out;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (i) out += ", ";
    out += t.columns[i].name;
  }
  return out;
}

std::string KeyList(const MetaTable& t, std::string_view alias = "") {
  std::string out;
  for (size_t i = 0; i < t.primary_key.size(); ++i) {
    if (i) out += ", ";
    out += alias;
    out += t.primary_key[i];
  }
  return out;
}

// The condition on runs_info row `r` for "its rows of a table kept $1 long are due": $1 the
// table's cutoff, $2 the abandoned-running cutoff. With `archived`, only archived runs qualify.
std::string DueCondition(bool archived) {
  std::string s =
      "r.started_at < $1::timestamptz AND (r.status <> 'running' OR r.started_at < "
      "$2::timestamptz)";
  if (archived) {
    s += " AND EXISTS (SELECT 1 FROM " + std::string(kArchivedRunsTable) +
         " a WHERE a.run_id = r.run_id)";
  }
  return s;
}

std::string UuidArray(const std::vector<std::string>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += ids[i];
  }
  return out + "}";
}

// PostgreSQL's text form of a uuid[]: "{a,b,...}" (uuids are never quoted).
Result<std::vector<std::string>> ParseUuidArray(std::string_view text) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') {
    return Status::Corruption("not a uuid array: '" + std::string(text) + "'");
  }
  text = text.substr(1, text.size() - 2);
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    if (!pipeline::IsCanonicalUuid(item)) {
      return Status::Corruption("not a uuid in a uuid array: '" + std::string(item) + "'");
    }
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return out;
}

// "file:///x/" -> "/x".
std::string LocalWarehouse(std::string warehouse) {
  if (warehouse.rfind("file://", 0) == 0) warehouse = warehouse.substr(7);
  while (warehouse.size() > 1 && warehouse.back() == '/') warehouse.pop_back();
  return warehouse;
}

bool CrashHookSet() {
  const char* v = std::getenv(kCrashAfterArchiveCommitEnv);
  return v != nullptr && std::string_view(v) == "1";
}

}  // namespace

int RetentionDays(const RetentionOptions& options, std::string_view table) {
  auto it = options.table_days.find(std::string(table));
  return it == options.table_days.end() ? options.default_days : it->second;
}

Status ValidateRetentionOptions(const RetentionOptions& o) {
  auto days_ok = [](int d) { return d >= 1 && d <= kMaxRetentionDays; };
  auto bad_days = [](const std::string& key, int d) {
    return Status::Invalid(key + " (" + std::to_string(d) + ") must be 1 to " +
                           std::to_string(kMaxRetentionDays) + " days");
  };
  if (!days_ok(o.default_days)) return bad_days("retention.default_days", o.default_days);
  for (const auto& [table, days] : o.table_days) {
    if (pipeline::FindMetadataTable(table) == nullptr) {
      std::string names;
      for (const MetaTable& t : pipeline::MetadataTables()) {
        if (!names.empty()) names += ", ";
        names += DaysKey(t.name);
      }
      return Status::Invalid(DaysKey(table) + ": '" + table +
                             "' is not a metadata table (the keys are " + names + ")");
    }
    if (!days_ok(days)) return bad_days(DaysKey(table), days);
  }
  if (!days_ok(o.abandoned_running_days)) {
    return bad_days("retention.abandoned_running_days", o.abandoned_running_days);
  }
  if (o.batch_size < 1) {
    return Status::Invalid("retention.batch_size (" + std::to_string(o.batch_size) +
                           ") must be at least 1");
  }
  // A stage row cannot outlive its run: deleting the run cascades.
  const std::string runs(pipeline::RunsInfoTable().name);
  const int runs_days = RetentionDays(o, runs);
  const bool runs_set = o.table_days.count(runs) > 0;
  const std::string runs_desc = DaysKey(runs) + " (" + std::to_string(runs_days) +
                                (runs_set ? ")" : ", from retention.default_days)");
  for (const MetaTable* t : ArchiveStageTables()) {
    const std::string name(t->name);
    const int d = RetentionDays(o, name);
    if (d <= runs_days) continue;
    const std::string desc =
        o.table_days.count(name)
            ? DaysKey(name) + " (" + std::to_string(d) + ")"
            : "retention.default_days (" + std::to_string(d) + ", for " + name + ")";
    return Status::Invalid(desc + " is longer than " + runs_desc +
                           ": deleting a run deletes its stage rows");
  }
  const ArchiveOptions& a = o.archive;
  if (a.enabled) {
    if (a.warehouse.empty()) return Status::Invalid("archive.warehouse: required when enabled");
    if (a.catalog_uri.empty()) return Status::Invalid("archive.catalog: required when enabled");
    if (a.ns.empty()) return Status::Invalid("archive.namespace: must not be empty");
    if (a.table.empty()) return Status::Invalid("archive.table: must not be empty");
    if (a.batch_runs < 1) {
      return Status::Invalid("archive.batch_runs (" + std::to_string(a.batch_runs) +
                             ") must be at least 1");
    }
  }
  return Status::OK();
}

std::vector<std::string> RetentionBookkeepingDdl() {
  const std::string batches(kArchiveBatchesTable);
  const std::string archived(kArchivedRunsTable);
  const std::string runs(pipeline::RunsInfoTable().name);
  return {
      "CREATE TABLE IF NOT EXISTS " + batches +
          " (\n"
          "  batch_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
          "  load_id text NOT NULL UNIQUE,\n"
          "  run_ids uuid[] NOT NULL,\n"
          "  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),\n"
          "  created_at timestamptz NOT NULL,\n"
          "  finished_at timestamptz\n"
          ")",
      "CREATE INDEX IF NOT EXISTS " + batches + "_pending_idx ON " + batches +
          " (batch_id) WHERE state = 'pending'",
      "CREATE TABLE IF NOT EXISTS " + archived +
          " (\n"
          "  run_id uuid PRIMARY KEY REFERENCES " +
          runs +
          " (run_id) ON DELETE CASCADE,\n"
          "  load_id text NOT NULL,\n"
          "  archived_at timestamptz NOT NULL\n"
          ")",
  };
}

struct RetentionJob::Rep {
  std::string url;
  RetentionOptions options;
  std::unique_ptr<PgConnection> conn;
  // The archive's catalog, opened on first use. Destroyed in reverse order: io and store
  // outlive the catalog.
  LocalFileIO io;
  std::unique_ptr<iceberg::SqlCatalogStore> store;
  std::unique_ptr<iceberg::Catalog> catalog;

  Status Connect() {
    if (conn != nullptr && conn->is_ok()) return Status::OK();
    conn.reset();
    NILUS_ASSIGN_OR_RAISE(conn, PgConnection::Open(url));
    return Status::OK();
  }

  // Runs `body` in BEGIN/COMMIT (`begin` may add isolation); rolls back when it fails.
  template <typename Fn>
  Status InTransaction(const std::string& begin, Fn&& body) {
    NILUS_RETURN_NOT_OK(conn->Exec(begin));
    Status st = body();
    if (!st.ok()) {
      if (conn->is_ok()) (void)conn->Exec("ROLLBACK");
      return st;
    }
    return conn->Exec("COMMIT");
  }

  Result<int64_t> Count(const std::string& sql, const Params& params) {
    NILUS_ASSIGN_OR_RAISE(PgRows rows, conn->Query(sql, params));
    if (rows.num_rows() != 1) return Status::Internal("retention: expected one row from " + sql);
    return rows.GetInt(0, 0);
  }

  Status EnsureCatalog() {
    if (catalog != nullptr) return Status::OK();
    const ArchiveOptions& a = options.archive;
    const std::string warehouse = LocalWarehouse(a.warehouse);
    std::error_code ec;
    if (warehouse.find("://") == std::string::npos) {
      std::filesystem::create_directories(warehouse, ec);
      if (ec) {
        return Status::IOError("archive.warehouse: cannot create " + warehouse + ": " +
                               ec.message());
      }
    }
    const std::string sqlite_prefix = "sqlite:///";
    if (a.catalog_uri.rfind(sqlite_prefix, 0) == 0) {
      const std::string file = a.catalog_uri.substr(sqlite_prefix.size());
      const std::filesystem::path dir = std::filesystem::path(file).parent_path();
      if (file != ":memory:" && !dir.empty()) std::filesystem::create_directories(dir, ec);
    }
    NILUS_ASSIGN_OR_RAISE(auto opened, iceberg::SqlCatalogStore::Open(a.catalog_uri, kCatalogName));
    NILUS_ASSIGN_OR_RAISE(auto made, iceberg::Catalog::Make(opened.get(), &io, warehouse));
    NILUS_ASSIGN_OR_RAISE(bool exists, opened->NamespaceExists(a.ns));
    if (!exists) {
      Status st = opened->CreateNamespace(a.ns);
      if (!st.ok() && st.code() != StatusCode::kAlreadyExists) return st;
    }
    store = std::move(opened);
    catalog = std::move(made);
    return Status::OK();
  }

  // The runs (and their stage rows) of `run_ids` that still exist, oldest first, read in one
  // snapshot of the database.
  Result<std::vector<ArchiveRun>> ReadRuns(const std::vector<std::string>& run_ids) {
    std::vector<ArchiveRun> runs;
    const Params ids = {UuidArray(run_ids)};
    const std::vector<const MetaTable*> stages = ArchiveStageTables();
    NILUS_RETURN_NOT_OK(
        InTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", [&]() -> Status {
          const MetaTable& rt = pipeline::RunsInfoTable();
          NILUS_ASSIGN_OR_RAISE(PgRows rows, conn->Query("SELECT " + ColumnList(rt) + " FROM " +
                                                             std::string(rt.name) +
                                                             " WHERE run_id = ANY($1::uuid[]) "
                                                             "ORDER BY started_at, run_id",
                                                         ids));
          std::map<std::string, size_t> index;
          for (int r = 0; r < rows.num_rows(); ++r) {
            ArchiveRun run;
            NILUS_ASSIGN_OR_RAISE(run.run, MetaRowFromPg(rt, rows, r));
            index[std::string(rows.Get(r, 0))] = runs.size();
            runs.push_back(std::move(run));
          }
          for (size_t s = 0; s < stages.size(); ++s) {
            const MetaTable& st = *stages[s];
            NILUS_ASSIGN_OR_RAISE(
                PgRows srows,
                conn->Query("SELECT " + ColumnList(st) + " FROM " + std::string(st.name) +
                                " WHERE run_id = ANY($1::uuid[]) ORDER BY " + KeyList(st),
                            ids));
            const int run_col = pipeline::FindMetaColumn(st, "run_id");
            for (int r = 0; r < srows.num_rows(); ++r) {
              auto it = index.find(std::string(srows.Get(r, run_col)));
              if (it == index.end()) continue;  // cannot happen: the foreign key
              NILUS_ASSIGN_OR_RAISE(MetaRow row, MetaRowFromPg(st, srows, r));
              runs[it->second].stage_rows[s].push_back(std::move(row));
            }
          }
          return Status::OK();
        }));
    return runs;
  }

  // Steps 2 and 3 of a batch (see the header).
  Status FinishBatch(const std::string& batch_id, const std::string& load_id,
                     const std::vector<std::string>& run_ids, MetaTime now,
                     RetentionReport* report) {
    const ArchiveOptions& a = options.archive;
    const std::string ident = a.ns + "." + a.table;
    NILUS_RETURN_NOT_OK(EnsureCatalog());
    load::IcebergSinkOptions so;
    so.disposition = load::WriteDisposition::kAppend;
    so.memory_budget_bytes = int64_t{64} << 20;
    NILUS_ASSIGN_OR_RAISE(auto sink, load::IcebergSink::Open(catalog.get(), a.ns, a.table, so));
    NILUS_ASSIGN_OR_RAISE(bool committed, sink->IsLoadCommitted(load_id));
    if (committed) {
      Log().info("retention: archive batch {} (load id {}) is already in {}; marking its runs",
                 batch_id, load_id, ident);
    } else {
      NILUS_ASSIGN_OR_RAISE(std::vector<ArchiveRun> runs, ReadRuns(run_ids));
      NILUS_ASSIGN_OR_RAISE(auto batch, BuildArchiveBatch(runs, now));
      const int64_t rows = batch->num_rows();
      if (rows > 0) {
        NILUS_RETURN_NOT_OK_CTX(sink->Write(std::move(batch)), "archive " + ident);
        load::CommitRequest request;
        request.load_id = load_id;
        request.properties["nilus.archive.batch-id"] = batch_id;
        request.properties["nilus.archive.runs"] = std::to_string(runs.size());
        NILUS_ASSIGN_OR_RAISE(load::LoadCommitResult r, sink->Commit(request));
        if (r.committed) {
          ++report->archive_commits;
          report->archive_rows += r.rows_written;
          Log().info("retention: archived {} runs ({} rows) to {} (load id {})", runs.size(),
                     r.rows_written, ident, load_id);
          if (CrashHookSet()) {
            Log().warn("retention: {}=1: killing the process after the archive commit",
                       kCrashAfterArchiveCommitEnv);
            Log().flush();
            std::raise(SIGKILL);
          }
        }
      }
    }
    const std::string stamp = FormatMetaTime(now);
    return InTransaction("BEGIN", [&]() -> Status {
      NILUS_ASSIGN_OR_RAISE(
          int64_t marked,
          Count("WITH ins AS (INSERT INTO " + std::string(kArchivedRunsTable) +
                    " (run_id, load_id, archived_at) SELECT r.run_id, $2, $3::timestamptz FROM " +
                    std::string(pipeline::RunsInfoTable().name) +
                    " r WHERE r.run_id = ANY($1::uuid[]) ON CONFLICT (run_id) DO NOTHING "
                    "RETURNING 1) SELECT count(*) FROM ins",
                {UuidArray(run_ids), load_id, stamp}));
      NILUS_RETURN_NOT_OK(conn->Query("UPDATE " + std::string(kArchiveBatchesTable) +
                                          " SET state = 'done', finished_at = $2::timestamptz "
                                          "WHERE batch_id = $1::bigint",
                                      {batch_id, stamp})
                              .status());
      report->runs_archived += marked;
      return Status::OK();
    });
  }

  Status Archive(MetaTime now, RetentionReport* report) {
    const ArchiveOptions& a = options.archive;
    const std::string batches(kArchiveBatchesTable);
    // 1. Batches a crash or a failed pass left pending.
    NILUS_ASSIGN_OR_RAISE(PgRows pending,
                          conn->Query("SELECT batch_id, load_id, run_ids FROM " + batches +
                                      " WHERE state = 'pending' ORDER BY batch_id"));
    for (int r = 0; r < pending.num_rows(); ++r) {
      NILUS_ASSIGN_OR_RAISE(std::vector<std::string> ids, ParseUuidArray(pending.Get(r, 2)));
      const std::string batch_id(pending.Get(r, 0));
      Log().info("retention: finishing pending archive batch {} ({} runs)", batch_id, ids.size());
      NILUS_RETURN_NOT_OK(FinishBatch(batch_id, std::string(pending.Get(r, 1)), ids, now, report));
    }
    // 2. New batches of the runs about to expire.
    int min_days = options.default_days;
    for (const MetaTable& t : pipeline::MetadataTables()) {
      min_days = std::min(min_days, RetentionDays(options, t.name));
    }
    const Params params = {FormatMetaTime(now - std::chrono::days(min_days)),
                           FormatMetaTime(now - std::chrono::days(options.abandoned_running_days)),
                           std::to_string(a.batch_runs)};
    const std::string candidates =
        "SELECT r.run_id FROM " + std::string(pipeline::RunsInfoTable().name) + " r WHERE " +
        DueCondition(false) + " AND NOT EXISTS (SELECT 1 FROM " + std::string(kArchivedRunsTable) +
        " a WHERE a.run_id = r.run_id) ORDER BY r.started_at, r.run_id LIMIT $3::bigint";
    while (true) {
      NILUS_ASSIGN_OR_RAISE(PgRows rows, conn->Query(candidates, params));
      if (rows.num_rows() == 0) break;
      std::vector<std::string> ids;
      for (int r = 0; r < rows.num_rows(); ++r) ids.emplace_back(rows.Get(r, 0));
      const std::string load_id = iceberg::NewUuidV4();
      NILUS_ASSIGN_OR_RAISE(
          PgRows inserted,
          conn->Query("INSERT INTO " + batches +
                          " (load_id, run_ids, state, created_at) VALUES ($1, $2::uuid[], "
                          "'pending', $3::timestamptz) RETURNING batch_id",
                      {load_id, UuidArray(ids), FormatMetaTime(now)}));
      NILUS_RETURN_NOT_OK(FinishBatch(std::string(inserted.Get(0, 0)), load_id, ids, now, report));
      if (rows.num_rows() < a.batch_runs) break;
    }
    return Status::OK();
  }

  Status Delete(MetaTime now, RetentionReport* report) {
    const bool archived = options.archive.enabled;
    const std::string abandoned =
        FormatMetaTime(now - std::chrono::days(options.abandoned_running_days));
    const std::string limit = std::to_string(options.batch_size);
    const MetaTable& rt = pipeline::RunsInfoTable();
    // Stage tables first, so their counts are their own; runs_info last.
    std::vector<const MetaTable*> order = ArchiveStageTables();
    order.push_back(&rt);
    for (const MetaTable* t : order) {
      const std::string name(t->name);
      std::string select;
      if (t == &rt) {
        select = "SELECT r.run_id FROM " + name + " r WHERE " + DueCondition(archived);
      } else {
        select = "SELECT " + KeyList(*t, "s.") + " FROM " + name + " s JOIN " +
                 std::string(rt.name) + " r ON r.run_id = s.run_id WHERE " + DueCondition(archived);
      }
      const std::string sql = "WITH gone AS (DELETE FROM " + name + " WHERE (" + KeyList(*t) +
                              ") IN (" + select + " LIMIT $3::bigint) RETURNING 1) " +
                              "SELECT count(*) FROM gone";
      const Params params = {FormatMetaTime(now - std::chrono::days(RetentionDays(options, name))),
                             abandoned, limit};
      int64_t total = 0;
      while (true) {
        Result<int64_t> n = Count(sql, params);
        if (!n.ok()) {
          if (total > 0) report->deleted[name] += total;
          return n.status().WithContext("retention: deleting from " + name);
        }
        total += *n;
        if (*n < options.batch_size) break;
      }
      if (total > 0) report->deleted[name] += total;
    }
    if (archived) {
      // Batch records outlive their runs by nothing: runs_info's cutoff.
      NILUS_RETURN_NOT_OK(
          conn->Query("DELETE FROM " + std::string(kArchiveBatchesTable) +
                          " WHERE state = 'done' AND created_at < $1::timestamptz",
                      {FormatMetaTime(now - std::chrono::days(RetentionDays(options, rt.name)))})
              .status());
    }
    return Status::OK();
  }
};

RetentionJob::RetentionJob(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
RetentionJob::~RetentionJob() = default;

Result<std::unique_ptr<RetentionJob>> RetentionJob::Make(std::string database_url,
                                                         RetentionOptions options) {
  NILUS_RETURN_NOT_OK(ValidateRetentionOptions(options));
  auto rep = std::make_unique<Rep>();
  rep->url = std::move(database_url);
  rep->options = std::move(options);
  return std::unique_ptr<RetentionJob>(new RetentionJob(std::move(rep)));
}

Result<RetentionReport> RetentionJob::RunOnce(MetaTime now) {
  Rep& r = *rep_;
  RetentionReport report;
  NILUS_RETURN_NOT_OK_CTX(r.Connect(), "retention");
  NILUS_ASSIGN_OR_RAISE(PgRows locked, r.conn->Query(std::string("SELECT pg_try_advisory_lock(") +
                                                     kRetentionLockArgs + ")"));
  if (locked.Get(0, 0) != "t") {
    Log().info("retention: another process is running retention on this database; skipped");
    report.lock_busy = true;
    return report;
  }
  Status st = Status::OK();
  if (r.options.archive.enabled) {
    st = r.Archive(now, &report);
    if (!st.ok()) st = st.WithContext("retention: archive");
  }
  if (st.ok()) st = r.Delete(now, &report);
  if (r.conn->is_ok()) {
    (void)r.conn->Query(std::string("SELECT pg_advisory_unlock(") + kRetentionLockArgs + ")");
  }
  if (!st.ok()) return st;
  return report;
}

}  // namespace nilus::manager
