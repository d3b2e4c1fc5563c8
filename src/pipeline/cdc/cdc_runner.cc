#include "pipeline/cdc/cdc_runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/logging.h"
#include "extract/postgres/pg_connection.h"
#include "extract/postgres/pg_table_reader.h"
#include "extract/postgres/pgoutput.h"
#include "extract/postgres/replication_session.h"
#include "iceberg/uuid_util.h"
#include "pipeline/cdc/cdc_metrics.h"
#include "pipeline/cdc/cdc_table.h"
#include "pipeline/cdc/row_json.h"

namespace nilus::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

// A change's place in the stream: its transaction's commit LSN and its index inside it.
struct Position {
  Lsn lsn = 0;
  int64_t seq = -1;
  bool operator<=(const Position& o) const { return lsn < o.lsn || (lsn == o.lsn && seq <= o.seq); }
};

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::optional<Position>> ReadPosition(load::Sink* sink) {
  NILUS_ASSIGN_OR_RAISE(auto lsn, sink->LastCommittedProperty(kLsnProperty));
  if (!lsn) return std::optional<Position>();
  NILUS_ASSIGN_OR_RAISE(auto seq, sink->LastCommittedProperty(kSeqProperty));
  Position p;
  NILUS_ASSIGN_OR_RAISE(p.lsn, ParseLsn(*lsn));
  p.seq = -1;
  if (seq) {
    auto [end, ec] = std::from_chars(seq->data(), seq->data() + seq->size(), p.seq);
    if (ec != std::errc() || end != seq->data() + seq->size()) {
      return Status::Corruption(
          fmt::format("snapshot summary {} = '{}' is not a number", kSeqProperty, *seq));
    }
  }
  return std::optional<Position>(p);
}

// A streamed (not yet committed) transaction's messages, in memory and then in a file.
struct Spill {
  std::string memory;
  FILE* file = nullptr;
  std::string path;
  int64_t bytes = 0;
  std::set<uint32_t> aborted_subxids;
  ~Spill() {
    if (file != nullptr) {
      std::fclose(file);
      std::remove(path.c_str());
    }
  }
};

}  // namespace

// One published table with its two destinations.
struct TableState {
  TableConfig config;
  std::string source;       // "schema.table"
  std::string mirror_name;  // destination names
  std::string changelog_name;
  std::unique_ptr<CdcTable> table;
  std::unique_ptr<load::Sink> mirror;
  std::unique_ptr<load::Sink> changelog;
  Position mirror_pos, changelog_pos;  // committed
  Position pushed_pos;                 // newest change written into the open rounds
  bool has_uncommitted = false;
  CdcTableCounters* counters = nullptr;
};

struct CdcRunner::Rep {
  PipelineConfig config;
  SinkFactory* sinks;
  CdcRunnerOptions options;
  CdcRunSummary summary;

  std::unique_ptr<PgConnection> catalog;  // catalog queries, TOAST look-ups, heartbeats
  std::vector<std::unique_ptr<TableState>> tables;
  std::unordered_map<std::string, TableState*> by_source;
  std::unordered_map<uint32_t, TableState*> by_oid;

  // Stream state of one connection.
  bool in_txn = false;
  Position txn;  // seq: the next change's index
  int64_t txn_time_us = 0;
  uint32_t txn_xid = 0;
  Lsn last_end_lsn = 0;  // end of the newest transaction seen
  Lsn server_lsn = 0;    // the newest wal_end the server reported
  Lsn confirmed = 0;     // what we told the server is flushed
  Lsn flushable = 0;     // what we may confirm once the open rounds are committed
  std::map<uint32_t, std::unique_ptr<Spill>> spills;
  uint32_t stream_xid = 0;
  int64_t uncommitted_changes = 0;
  Clock::time_point last_flush = Clock::now();
  Clock::time_point last_status = Clock::now();
  Clock::time_point last_heartbeat = Clock::now();
  int proto_version = 1;
  std::unique_ptr<CdcMetrics> metrics;
  std::unique_ptr<MetricsServer> metrics_server;
  Clock::time_point last_probe = Clock::now() - std::chrono::hours(1);
  int64_t newest_commit_time_us = 0;
  Lsn replay_lsn = 0;  // the WAL position of the spilled message being replayed

  bool Stopping() const { return options.stop != nullptr && options.stop->load(); }
  int64_t PushBytes() const {
    return options.push_bytes > 0 ? options.push_bytes : config.resources.memory_budget / 8;
  }
  ReplicationSession* session = nullptr;  // while streaming
  // Inside a huge (streamed) transaction: push and commit part of it once the budgets are
  // reached. Positions are per change, so a partly committed transaction resumes exactly; the
  // slot is confirmed only past its end.
  Status BoundMemory() {
    int64_t bytes = 0;
    for (auto& t : tables) bytes += t->table->pending_bytes();
    if (bytes > PushBytes()) NILUS_RETURN_NOT_OK(PushAll());
    int64_t sink_bytes = 0;
    for (auto& t : tables) {
      if (t->mirror) sink_bytes += t->mirror->pending_bytes();
    }
    if (uncommitted_changes >= options.flush_max_changes ||
        sink_bytes > config.resources.memory_budget / 4) {
      return Flush(session);
    }
    return Status::OK();
  }

  Status Prepare(ReplicationSession* session);
  // Sink options of every destination: the pipeline's resources and `d`.
  load::IcebergSinkOptions SinkOptions(load::WriteDisposition d) const;
  load::IcebergSinkOptions ChangelogOptions(load::WriteDisposition d) const;
  load::IcebergSinkOptions MirrorOptions(const TableState& t, load::WriteDisposition d) const;
  // A commit recording position `pos` (streamed: also "nilus.streamed").
  load::CommitRequest PositionRequest(std::string load_id, const Position& pos,
                                      bool streamed) const;
  std::string StreamLoadId(const Position& pos) const {
    return fmt::format("cdc/{}/{}/{}", config.cdc->slot, LsnToString(pos.lsn), pos.seq);
  }
  Status OpenSinks(TableState* t);
  // Opens missing sinks and reads every table's committed positions; whether all have one.
  Result<bool> ReadPositions();
  int64_t PendingChanges() const {
    int64_t n = 0;
    for (const auto& t : tables) n += t->table->pending_changes();
    return n;
  }
  Status Snapshot(ReplicationSession* session);
  Status Stream(ReplicationSession* session);
  Status HandlePayload(std::string_view payload, Lsn wal_start, pgoutput::PgOutputDecoder* dec,
                       bool replay);
  Status OnChange(TableState* t, CdcChange change);
  Status OnTruncate(TableState* t, Lsn lsn);
  Status Push(TableState* t);
  Status PushAll();
  Status Flush(ReplicationSession* session);
  Status CommitTable(TableState* t);
  Status SpillAppend(uint32_t xid, std::string_view payload, Lsn wal_start);
  Status Replay(uint32_t xid, const pgoutput::StreamCommit& commit);
  void DropUncommitted();
  Status SendStatus(ReplicationSession* session, bool reply);
  // Every few seconds: lag and retained WAL from the server, for /metrics and the Manager.
  void ProbeServer();
  // Run metadata: the run's start, each table's cumulative stage records, the run's end.
  MetaTime started_at{};
  Clock::time_point started = Clock::now();
  void ReportBegin();
  void ReportTables();
  void ReportFinish(const Status& st);
};

void CdcRunner::Rep::ReportBegin() {
  if (options.metadata == nullptr) return;
  RunInfo info;
  info.run_id = summary.run_id;
  info.pipeline = config.name;
  info.mode = RunMode::kCdc;
  info.started_at = started_at;
  info.nilus_version = "0.1.0";
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) == 0) info.host = host;
  info.load_id = summary.run_id;
  info.tables_total = static_cast<int32_t>(config.source.tables.size());
  Status st = options.metadata->BeginRun(info);
  if (!st.ok()) Log().warn("run metadata: {}", st.ToString());
}

void CdcRunner::Rep::ReportTables() {
  if (options.metadata == nullptr) return;
  const MetaTime now = MetaTimeNow();
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  std::vector<ExtractInfo> ex;
  std::vector<NormalizeInfo> norm;
  std::vector<LoadInfo> loads;
  for (auto& t : tables) {
    const CdcTableCounters& c = *t->counters;
    const int64_t rows = c.inserts + c.updates + c.deletes + c.truncates + c.snapshot_rows;
    auto fill = [&](StageInfo* s, const std::string& name) {
      s->run_id = summary.run_id;
      s->table_name = name;
      s->status = StageStatus::kRunning;
      s->started_at = started_at;
      s->finished_at = now;
      s->duration_ms = ms;
      s->row_count = rows;
    };
    ExtractInfo e;
    fill(&e, t->mirror_name);
    e.source_kind = "postgres";
    e.source_table = t->source;
    e.lsn_to = LsnToString(t->changelog_pos.lsn);
    ex.push_back(std::move(e));
    NormalizeInfo n;
    fill(&n, t->mirror_name);
    norm.push_back(std::move(n));
    for (int k = 0; k < 2; ++k) {
      if (k == 0 && !t->mirror) continue;
      LoadInfo l;
      fill(&l, k == 0 ? t->mirror_name : t->changelog_name);
      l.destination_table = sinks->QualifiedName(l.table_name);
      l.write_disposition = k == 0 ? "merge" : "append";
      l.load_id = fmt::format("cdc/{}", config.cdc->slot);
      l.committed_lsn = LsnToString(k == 0 ? t->mirror_pos.lsn : t->changelog_pos.lsn);
      loads.push_back(std::move(l));
    }
  }
  for (Status s : {options.metadata->RecordExtract(ex), options.metadata->RecordNormalize(norm),
                   options.metadata->RecordLoad(loads)}) {
    if (!s.ok()) Log().warn("run metadata: {}", s.ToString());
  }
}

void CdcRunner::Rep::ReportFinish(const Status& st) {
  if (options.metadata == nullptr) return;
  ReportTables();
  RunFinish fin;
  fin.run_id = summary.run_id;
  fin.status = st.ok() ? RunStatus::kSucceeded : RunStatus::kFailed;
  fin.finished_at = MetaTimeNow();
  if (!st.ok()) fin.error = st.ToString();
  Status s = options.metadata->FinishRun(fin);
  if (!s.ok()) Log().warn("run metadata: {}", s.ToString());
}

void CdcRunner::Rep::ProbeServer() {
  // The gauges are read through /metrics and reported to the run metadata (the Manager).
  if (metrics_server == nullptr && options.metadata == nullptr) return;
  const auto now = Clock::now();
  if (now - last_probe < std::chrono::seconds(5)) return;
  last_probe = now;
  auto rows = catalog->Query(
      "SELECT (pg_catalog.pg_current_wal_lsn() - confirmed_flush_lsn)::bigint, "
      "(pg_catalog.pg_current_wal_lsn() - restart_lsn)::bigint FROM "
      "pg_catalog.pg_replication_slots "
      "WHERE slot_name = $1",
      {config.cdc->slot});
  if (!rows.ok() || rows->num_rows() != 1) return;
  const int64_t lag = rows->GetInt(0, 0).ValueOr(0);
  const int64_t retained = rows->GetInt(0, 1).ValueOr(0);
  const bool busy = in_txn || uncommitted_changes > 0;
  const double lag_s = busy && newest_commit_time_us > 0
                           ? std::max<double>(0, (NowMicros() - newest_commit_time_us) / 1e6)
                           : 0;
  metrics->SetLag(lag, lag_s);
  metrics->SetRetainedWal(retained);
  if (options.metadata != nullptr) {
    CdcLagReport report;
    report.pipeline = config.name;
    report.lag_bytes = lag;
    report.lag_seconds = lag_s;
    report.retained_wal_bytes = retained;
    report.confirmed_lsn = LsnToString(confirmed);
    Status st = options.metadata->ReportCdcLag(report);
    if (!st.ok()) Log().debug("run metadata: CDC lag: {}", st.ToString());
  }
}

CdcRunner::CdcRunner(PipelineConfig config, SinkFactory* sinks, CdcRunnerOptions options)
    : rep_(std::make_unique<Rep>()) {
  rep_->config = std::move(config);
  rep_->sinks = sinks;
  rep_->options = std::move(options);
}

CdcRunner::~CdcRunner() = default;

load::IcebergSinkOptions CdcRunner::Rep::SinkOptions(load::WriteDisposition d) const {
  load::IcebergSinkOptions o;
  o.disposition = d;
  o.memory_budget_bytes = config.resources.memory_budget;
  o.target_file_size = config.resources.target_file_size;
  o.row_group_max_bytes = config.resources.row_group_size;
  return o;
}

load::IcebergSinkOptions CdcRunner::Rep::ChangelogOptions(load::WriteDisposition d) const {
  load::IcebergSinkOptions o = SinkOptions(d);
  if (!config.cdc->changelog_partition.empty()) {
    o.partition_by = {config.cdc->changelog_partition + "(commit_time)"};
  }
  return o;
}

load::IcebergSinkOptions CdcRunner::Rep::MirrorOptions(const TableState& t,
                                                       load::WriteDisposition d) const {
  load::IcebergSinkOptions o = SinkOptions(d);
  o.primary_key = t.table->key();
  o.key_is_identifier = !t.table->full_row_key();
  for (const auto& p : t.config.partition) o.partition_by.push_back(p.text);
  if (d == load::WriteDisposition::kMerge) {
    o.delete_marker_column = std::string(kCdcDeletedColumn);
    o.delete_marker_value = "true";
  }
  return o;
}

load::CommitRequest CdcRunner::Rep::PositionRequest(std::string load_id, const Position& pos,
                                                    bool streamed) const {
  load::CommitRequest req;
  req.load_id = std::move(load_id);
  req.properties = {{std::string(kLsnProperty), LsnToString(pos.lsn)},
                    {std::string(kSeqProperty), std::to_string(pos.seq)}};
  if (streamed) req.properties.emplace("nilus.streamed", "1");
  return req;
}

Status CdcRunner::Rep::OpenSinks(TableState* t) {
  NILUS_ASSIGN_OR_RAISE(
      t->changelog,
      sinks->Open(t->changelog_name, ChangelogOptions(load::WriteDisposition::kAppend)));
  if (t->table->mirrored()) {
    NILUS_ASSIGN_OR_RAISE(
        t->mirror, sinks->Open(t->mirror_name, MirrorOptions(*t, load::WriteDisposition::kMerge)));
  }
  return Status::OK();
}

Result<bool> CdcRunner::Rep::ReadPositions() {
  bool complete = true;
  for (auto& t : tables) {
    if (!t->changelog) NILUS_RETURN_NOT_OK(OpenSinks(t.get()));
    NILUS_ASSIGN_OR_RAISE(auto lp, ReadPosition(t->changelog.get()));
    complete &= lp.has_value();
    t->changelog_pos = lp.value_or(Position{});
    if (t->mirror) {
      NILUS_ASSIGN_OR_RAISE(auto mp, ReadPosition(t->mirror.get()));
      complete &= mp.has_value();
      t->mirror_pos = mp.value_or(Position{});
    }
  }
  return complete;
}

// "schema.*" in source.tables stands for every table of that schema (ordinary and
// partitioned tables, not partitions), each with the entry's other settings.
static Status ExpandSchemaEntries(PgConnection* conn, std::vector<TableConfig>* tables) {
  std::vector<TableConfig> out;
  std::set<std::string> named;
  for (const auto& t : *tables) {
    if (!t.name.ends_with(".*"))
      named.insert(t.name.find('.') == std::string::npos ? "public." + t.name : t.name);
  }
  for (const auto& t : *tables) {
    if (!t.name.ends_with(".*")) {
      out.push_back(t);
      continue;
    }
    const std::string schema = t.name.substr(0, t.name.size() - 2);
    NILUS_ASSIGN_OR_RAISE(
        PgRows rows,
        conn->Query("SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') "
                    "AND NOT c.relispartition ORDER BY 1",
                    {schema}));
    if (rows.num_rows() == 0) {
      return Status::NotFound(
          fmt::format("source.tables: schema {} has no tables ({})", schema, conn->description()));
    }
    for (int r = 0; r < rows.num_rows(); ++r) {
      TableConfig one = t;
      one.name = schema + "." + std::string(rows.Get(r, 0));
      if (!named.insert(one.name).second) continue;  // listed on its own: that entry wins
      out.push_back(std::move(one));
    }
  }
  *tables = std::move(out);
  return Status::OK();
}

Status CdcRunner::Rep::Prepare(ReplicationSession* session) {
  std::vector<std::string> names;
  for (const auto& tc : config.source.tables) names.push_back(tc.name);
  NILUS_ASSIGN_OR_RAISE(PgCdcPrerequisites pre, session->CheckPrerequisites(names));
  NILUS_RETURN_NOT_OK(session->EnsurePublication(config.cdc->publication, names));
  if (!tables.empty()) return Status::OK();  // a reconnect: tables are set up already
  for (size_t i = 0; i < config.source.tables.size(); ++i) {
    const TableConfig& tc = config.source.tables[i];
    const PgCdcTableInfo& info = pre.tables[i];
    auto t = std::make_unique<TableState>();
    t->config = tc;
    t->source = info.qualified_name;
    t->mirror_name = tc.DestinationName();
    t->changelog_name = t->mirror_name + "__changelog";
    PgTypePolicy policy;
    if (config.options.numeric_nan == NumericNanPolicy::kString) {
      policy.unconstrained_numeric = PgTypePolicy::UnconstrainedNumeric::kString;
    }
    NILUS_ASSIGN_OR_RAISE(PgTableDesc desc,
                          DescribePgTable(catalog.get(), info.qualified_name, policy));
    std::vector<std::string> key = tc.primary_key.empty() ? info.primary_key : tc.primary_key;
    bool full_row_key = false;
    if (key.empty() && info.replica_identity == 'f') {
      // REPLICA IDENTITY FULL without a key: every (primitive) column is the key; rows equal in
      // all of them are one row in the mirror.
      for (const auto& c : desc.columns) {
        if (c.mapping.type->is_primitive()) key.push_back(c.name);
      }
      full_row_key = true;
      Log().info("{}: no primary key, REPLICA IDENTITY FULL: the mirror keys on every column",
                 info.qualified_name);
    }
    if (key.empty() || !info.mirrorable) {
      Log().warn("{}: {}", info.qualified_name,
                 info.note.empty() ? "no primary key: only its change log is written" : info.note);
      key.clear();
    }
    t->table = std::make_unique<CdcTable>(info.qualified_name, std::move(desc), std::move(key),
                                          policy, full_row_key, config.ContractFor(tc).data_type);
    NILUS_ASSIGN_OR_RAISE(SchemaPtr existing, sinks->ExistingSchema(t->mirror_name));
    if (existing) t->table->SetBaseTypes(*existing);
    t->counters = &summary.tables[info.qualified_name];
    by_source[info.qualified_name] = t.get();
    by_oid[info.oid] = t.get();
    tables.push_back(std::move(t));
  }
  return Status::OK();
}

Status CdcRunner::Rep::Snapshot(ReplicationSession* session) {
  NILUS_ASSIGN_OR_RAISE(PgCreatedSlot created, session->CreateSlot(config.cdc->slot));
  Log().info("slot {} created at {}; copying {} tables in snapshot {}", config.cdc->slot,
             LsnToString(created.consistent_point), tables.size(), created.snapshot_name);
  summary.snapshot_taken = true;
  const std::string cp = LsnToString(created.consistent_point);
  const int64_t now = NowMicros();
  for (auto& t : tables) {
    PgTableReadOptions ro;
    ro.snapshot = created.snapshot_name;
    ro.connections = std::max(1, config.resources.pg_connections);
    NILUS_ASSIGN_OR_RAISE(auto reader, PgTableReader::Open(config.source.url, t->source, ro));
    const load::IcebergSinkOptions mirror_opts =
        MirrorOptions(*t, load::WriteDisposition::kReplace);
    // The change log is replaced too, unless it holds streamed history (a re-snapshot after the
    // slot was lost): then the new 'r' rows are appended after it.
    load::IcebergSinkOptions log_opts = ChangelogOptions(load::WriteDisposition::kReplace);
    {
      NILUS_ASSIGN_OR_RAISE(auto probe, sinks->Open(t->changelog_name, log_opts));
      NILUS_ASSIGN_OR_RAISE(auto streamed, probe->LastCommittedProperty("nilus.streamed"));
      if (streamed) log_opts.disposition = load::WriteDisposition::kAppend;
    }
    NILUS_ASSIGN_OR_RAISE(auto log_sink, sinks->Open(t->changelog_name, log_opts));
    std::unique_ptr<load::Sink> mirror_sink;
    if (t->table->mirrored()) {
      NILUS_ASSIGN_OR_RAISE(mirror_sink, sinks->Open(t->mirror_name, mirror_opts));
    }
    std::string json;
    while (true) {
      NILUS_ASSIGN_OR_RAISE(auto batch, reader->Next());
      if (batch == nullptr) break;
      auto log = std::make_unique<ColumnBatch>(ChangelogSchema());
      for (int64_t r = 0; r < batch->num_rows(); ++r) {
        json.clear();
        AppendRowJson(*batch, r, {}, &json);
        AppendChangelogRow(log.get(), 'r', std::nullopt, json, created.consistent_point,
                           created.consistent_point, now, std::nullopt, std::nullopt);
      }
      t->counters->snapshot_rows += batch->num_rows();
      metrics->AddEvents(t->source, 'r', batch->num_rows());
      NILUS_RETURN_NOT_OK(log_sink->Write(std::move(log)));
      if (mirror_sink) NILUS_RETURN_NOT_OK(mirror_sink->Write(std::move(batch)));
    }
    const load::CommitRequest req =
        PositionRequest(fmt::format("snapshot/{}/{}/{}", config.cdc->slot, cp, t->source),
                        Position{created.consistent_point, -1}, /*streamed=*/false);
    // Commit an empty change log too, so its position exists; a missing table is created.
    if (t->counters->snapshot_rows == 0) {
      NILUS_RETURN_NOT_OK(log_sink->Write(std::make_unique<ColumnBatch>(ChangelogSchema())));
    }
    NILUS_RETURN_NOT_OK(log_sink->Commit(req).status());
    if (options.after_commit_hook)
      NILUS_RETURN_NOT_OK(options.after_commit_hook(t->changelog_name));
    if (mirror_sink) {
      if (t->counters->snapshot_rows == 0) {
        NILUS_RETURN_NOT_OK(mirror_sink->Write(std::make_unique<ColumnBatch>(reader->schema())));
      }
      NILUS_RETURN_NOT_OK(mirror_sink->Commit(req).status());
      if (options.after_commit_hook) NILUS_RETURN_NOT_OK(options.after_commit_hook(t->mirror_name));
    }
    Log().info("{}: {} rows copied", t->source, t->counters->snapshot_rows);
  }
  return Status::OK();
}

Status CdcRunner::Rep::OnChange(TableState* t, CdcChange change) {
  const Position pos{change.commit_lsn, change.seq};
  change.to_changelog = !(pos <= t->changelog_pos);
  change.to_mirror = t->table->mirrored() && !(pos <= t->mirror_pos);
  if (!change.to_changelog && !change.to_mirror) {
    ++t->counters->skipped;
    return Status::OK();
  }
  metrics->AddEvents(t->source, change.op, 1);
  newest_commit_time_us = change.commit_time_us;
  switch (change.op) {
    case 'c':
      ++t->counters->inserts;
      break;
    case 'u':
      ++t->counters->updates;
      break;
    case 'd':
      ++t->counters->deletes;
      break;
  }
  ++summary.events;
  t->pushed_pos = pos;
  t->has_uncommitted = true;
  t->table->Add(std::move(change));
  ++uncommitted_changes;
  return Status::OK();
}

Status CdcRunner::Rep::Push(TableState* t) {
  if (t->table->pending_changes() == 0) return Status::OK();
  std::unique_ptr<ColumnBatch> mirror, log;
  NILUS_RETURN_NOT_OK(t->table->Build(catalog.get(), &mirror, &log));
  if (log && log->num_rows() > 0) NILUS_RETURN_NOT_OK(t->changelog->Write(std::move(log)));
  if (mirror && t->mirror) NILUS_RETURN_NOT_OK(t->mirror->Write(std::move(mirror)));
  return Status::OK();
}

Status CdcRunner::Rep::PushAll() {
  for (auto& t : tables) NILUS_RETURN_NOT_OK(Push(t.get()));
  return Status::OK();
}

Status CdcRunner::Rep::CommitTable(TableState* t) {
  if (!t->has_uncommitted) return Status::OK();
  NILUS_RETURN_NOT_OK(Push(t));
  const load::CommitRequest req =
      PositionRequest(StreamLoadId(t->pushed_pos), t->pushed_pos, /*streamed=*/true);
  // The change log first: after a crash between the two, the mirror re-applies changes the
  // change log skips (CdcChange::to_mirror).
  if (t->changelog_pos.lsn != t->pushed_pos.lsn || t->changelog_pos.seq != t->pushed_pos.seq) {
    NILUS_RETURN_NOT_OK_CTX(t->changelog->Commit(req).status(), t->changelog_name);
    t->changelog_pos = t->pushed_pos;
    ++t->counters->commits;
    metrics->AddCommit(t->changelog_name);
    if (options.after_commit_hook)
      NILUS_RETURN_NOT_OK(options.after_commit_hook(t->changelog_name));
  }
  if (t->mirror && !(t->pushed_pos <= t->mirror_pos)) {
    NILUS_RETURN_NOT_OK_CTX(t->mirror->Commit(req).status(), t->mirror_name);
    t->mirror_pos = t->pushed_pos;
    ++t->counters->commits;
    metrics->AddCommit(t->mirror_name);
    if (options.after_commit_hook) NILUS_RETURN_NOT_OK(options.after_commit_hook(t->mirror_name));
  }
  t->has_uncommitted = false;
  return Status::OK();
}

Status CdcRunner::Rep::OnTruncate(TableState* t, Lsn lsn) {
  const Position pos{txn.lsn, txn.seq++};
  if (pos <= t->changelog_pos && (!t->mirror || pos <= t->mirror_pos)) {
    ++t->counters->skipped;
    return Status::OK();
  }
  ++t->counters->truncates;
  ++summary.events;
  metrics->AddEvents(t->source, 't', 1);
  // Changes before the truncate go to the change log; the mirror's open round is moot.
  NILUS_RETURN_NOT_OK(Push(t));
  auto log = std::make_unique<ColumnBatch>(ChangelogSchema());
  AppendChangelogRow(log.get(), 't', std::nullopt, std::nullopt, lsn, txn.lsn, txn_time_us,
                     static_cast<int64_t>(txn_xid), pos.seq);
  if (!(pos <= t->changelog_pos)) NILUS_RETURN_NOT_OK(t->changelog->Write(std::move(log)));
  t->pushed_pos = pos;
  t->has_uncommitted = true;
  if (t->mirror && !(pos <= t->mirror_pos)) {
    t->mirror->Abort();
    NILUS_ASSIGN_OR_RAISE(
        auto empty,
        sinks->Open(t->mirror_name, MirrorOptions(*t, load::WriteDisposition::kReplace)));
    NILUS_RETURN_NOT_OK_CTX(
        empty->Commit(PositionRequest(StreamLoadId(pos), pos, /*streamed=*/true)).status(),
        t->mirror_name);
    t->mirror_pos = pos;
    if (options.after_commit_hook) NILUS_RETURN_NOT_OK(options.after_commit_hook(t->mirror_name));
    // Reopen the merge sink on the emptied table.
    t->mirror.reset();
    NILUS_RETURN_NOT_OK(OpenSinks(t));
  }
  return CommitTable(t);
}

Status CdcRunner::Rep::SpillAppend(uint32_t xid, std::string_view payload, Lsn wal_start) {
  auto& s = spills[xid];
  if (!s) s = std::make_unique<Spill>();
  const uint32_t len = static_cast<uint32_t>(payload.size());
  std::string rec;
  rec.append(reinterpret_cast<const char*>(&len), 4);
  rec.append(reinterpret_cast<const char*>(&wal_start), 8);
  rec.append(payload);
  s->bytes += static_cast<int64_t>(rec.size());
  if (s->file == nullptr &&
      static_cast<int64_t>(s->memory.size() + rec.size()) <= options.spill_memory_bytes) {
    s->memory += rec;
    return Status::OK();
  }
  if (s->file == nullptr) {
    std::string dir = options.state_dir.empty() ? std::filesystem::temp_directory_path().string()
                                                : options.state_dir;
    s->path = fmt::format("{}/nilus-spill-{}-{}-{}.bin", dir, getpid(), config.cdc->slot, xid);
    s->file = std::fopen(s->path.c_str(), "w+b");
    if (s->file == nullptr) {
      return Status::IOError(fmt::format("cannot create spill file {}", s->path));
    }
    if (!s->memory.empty() &&
        std::fwrite(s->memory.data(), 1, s->memory.size(), s->file) != s->memory.size()) {
      return Status::IOError(fmt::format("cannot write spill file {}", s->path));
    }
    s->memory.clear();
    s->memory.shrink_to_fit();
  }
  if (std::fwrite(rec.data(), 1, rec.size(), s->file) != rec.size()) {
    return Status::IOError(fmt::format("cannot write spill file {} (disk full?)", s->path));
  }
  return Status::OK();
}

Status CdcRunner::Rep::Replay(uint32_t xid, const pgoutput::StreamCommit& commit) {
  auto it = spills.find(xid);
  in_txn = true;
  txn = {commit.commit_lsn, 0};
  txn_time_us = commit.commit_time_us;
  txn_xid = xid;
  if (it != spills.end()) {
    Spill& s = *it->second;
    pgoutput::PgOutputDecoder dec(proto_version);
    int64_t replayed = 0;
    // Replayed messages were sent inside a stream block: they carry their xid.
    std::string start(1, 'S');
    const uint32_t be = __builtin_bswap32(xid);
    start.append(reinterpret_cast<const char*>(&be), 4);
    start.push_back(1);
    NILUS_RETURN_NOT_OK(dec.Decode(start).status());
    auto one = [&](std::string_view rec) -> Status {
      return HandlePayload(rec, 0, &dec, /*replay=*/true);
    };
    std::string buf;
    auto each = [&](const char* p, size_t n, auto&& fn) -> Status {
      size_t off = 0;
      while (off + 12 <= n) {
        uint32_t len;
        Lsn lsn;
        std::memcpy(&len, p + off, 4);
        std::memcpy(&lsn, p + off + 4, 8);
        if (off + 12 + len > n) break;
        // The subtransaction's xid is in the message (after the type byte).
        std::string_view payload(p + off + 12, len);
        bool aborted = false;
        if (payload.size() >= 5 && !s.aborted_subxids.empty()) {
          uint32_t sub;
          std::memcpy(&sub, payload.data() + 1, 4);
          aborted = s.aborted_subxids.count(__builtin_bswap32(sub)) > 0;
        }
        if (!aborted) {
          replay_lsn = lsn;
          NILUS_RETURN_NOT_OK(fn(payload));
          if ((++replayed & 1023) == 0) NILUS_RETURN_NOT_OK(BoundMemory());
        }
        off += 12 + len;
      }
      return off == n ? Status::OK()
                      : Status::Corruption("spill file of transaction " + std::to_string(xid) +
                                           " is truncated");
    };
    if (s.file == nullptr) {
      NILUS_RETURN_NOT_OK(each(s.memory.data(), s.memory.size(), one));
    } else {
      // Read back in pieces so memory stays bounded.
      std::fflush(s.file);
      std::fseek(s.file, 0, SEEK_SET);
      std::string chunk;
      while (true) {
        char hdr[12];
        if (std::fread(hdr, 1, 12, s.file) != 12) break;
        uint32_t len;
        std::memcpy(&len, hdr, 4);
        chunk.assign(hdr, 12);
        chunk.resize(12 + len);
        if (std::fread(chunk.data() + 12, 1, len, s.file) != len) {
          return Status::Corruption(fmt::format("spill file {} is truncated", s.path));
        }
        NILUS_RETURN_NOT_OK(each(chunk.data(), chunk.size(), one));
      }
    }
    spills.erase(it);
  }
  in_txn = false;
  last_end_lsn = commit.end_lsn;
  flushable = commit.end_lsn;
  return Status::OK();
}

Status CdcRunner::Rep::HandlePayload(std::string_view payload, Lsn wal_start,
                                     pgoutput::PgOutputDecoder* dec, bool replay) {
  if (!replay && dec->in_stream() && !payload.empty() && payload[0] != 'E' && payload[0] != 'S' &&
      payload[0] != 'c' && payload[0] != 'A') {
    // Inside a stream block: keep the message for Stream Commit (the decoder only checks it).
    NILUS_RETURN_NOT_OK(dec->Decode(payload).status());
    return SpillAppend(stream_xid, payload, wal_start);
  }
  NILUS_ASSIGN_OR_RAISE(pgoutput::Msg msg, dec->Decode(payload));
  const Lsn change_lsn = replay ? replay_lsn : wal_start;
  if (auto* b = std::get_if<pgoutput::Begin>(&msg)) {
    in_txn = true;
    txn = {b->final_lsn, 0};
    txn_time_us = b->commit_time_us;
    txn_xid = b->xid;
  } else if (auto* c = std::get_if<pgoutput::Commit>(&msg)) {
    in_txn = false;
    last_end_lsn = c->end_lsn;
    flushable = c->end_lsn;
  } else if (auto* r = std::get_if<pgoutput::Relation>(&msg)) {
    auto it = by_oid.find(r->oid);
    TableState* t = it != by_oid.end() ? it->second : nullptr;
    if (t == nullptr) {
      auto s = by_source.find(r->schema + "." + r->name);
      if (s != by_source.end()) {
        t = s->second;
        by_oid[r->oid] = t;
      }
    }
    if (t != nullptr) {
      // Changes sent under the previous relation are written under it (LSN order).
      NILUS_RETURN_NOT_OK(Push(t));
      NILUS_ASSIGN_OR_RAISE(bool changed, t->table->OnRelation(*r, catalog.get()));
      if (changed) Log().info("{}: relation has {} columns", t->source, r->columns.size());
    }
  } else if (std::holds_alternative<pgoutput::Insert>(msg) ||
             std::holds_alternative<pgoutput::Update>(msg) ||
             std::holds_alternative<pgoutput::Delete>(msg)) {
    // Every change takes a seq, also those of tables we do not track, so seqs do not depend on
    // the configured tables.
    CdcChange ch;
    uint32_t oid = 0;
    if (auto* ins = std::get_if<pgoutput::Insert>(&msg)) {
      ch.op = 'c';
      oid = ins->relation_oid;
      ch.has_new = true;
      ch.new_tuple = std::move(ins->new_tuple);
    } else if (auto* up = std::get_if<pgoutput::Update>(&msg)) {
      ch.op = 'u';
      oid = up->relation_oid;
      ch.old_kind = up->old_kind;
      ch.old_tuple = std::move(up->old_tuple);
      ch.has_new = true;
      ch.new_tuple = std::move(up->new_tuple);
    } else {
      auto& del = std::get<pgoutput::Delete>(msg);
      ch.op = 'd';
      oid = del.relation_oid;
      ch.old_kind = del.old_kind;
      ch.old_tuple = std::move(del.old_tuple);
    }
    ch.lsn = change_lsn;
    ch.commit_lsn = txn.lsn;
    ch.commit_time_us = txn_time_us;
    ch.xid = txn_xid;
    ch.seq = txn.seq++;
    auto it = by_oid.find(oid);
    if (it != by_oid.end()) NILUS_RETURN_NOT_OK(OnChange(it->second, std::move(ch)));
  } else if (auto* tr = std::get_if<pgoutput::Truncate>(&msg)) {
    for (uint32_t oid : tr->relation_oids) {
      auto it = by_oid.find(oid);
      if (it != by_oid.end()) {
        NILUS_RETURN_NOT_OK(OnTruncate(it->second, change_lsn));
      } else {
        ++txn.seq;
      }
    }
  } else if (auto* ss = std::get_if<pgoutput::StreamStart>(&msg)) {
    stream_xid = ss->xid;
  } else if (auto* sc = std::get_if<pgoutput::StreamCommit>(&msg)) {
    NILUS_RETURN_NOT_OK(Replay(sc->xid, *sc));
  } else if (auto* sa = std::get_if<pgoutput::StreamAbort>(&msg)) {
    if (sa->subxid == sa->xid || sa->subxid == 0) {
      spills.erase(sa->xid);
    } else {
      auto it = spills.find(sa->xid);
      if (it != spills.end()) it->second->aborted_subxids.insert(sa->subxid);
    }
  }
  // Type, Origin, Message and Stream Stop need nothing.
  return Status::OK();
}

void CdcRunner::Rep::DropUncommitted() {
  for (auto& t : tables) {
    if (t->mirror) t->mirror->Abort();
    if (t->changelog) t->changelog->Abort();
    t->table->DiscardPending();
    t->has_uncommitted = false;
  }
  spills.clear();
  uncommitted_changes = 0;
  in_txn = false;
}

Status CdcRunner::Rep::SendStatus(ReplicationSession* session, bool reply) {
  last_status = Clock::now();
  metrics->SetConfirmedLsn(confirmed);
  const Lsn written = std::max(server_lsn, confirmed);
  return session->SendStatus(written, confirmed, confirmed, reply);
}

Status CdcRunner::Rep::Flush(ReplicationSession* session) {
  const auto start = Clock::now();
  bool any = false;
  for (auto& t : tables) {
    any |= t->has_uncommitted;
    NILUS_RETURN_NOT_OK(CommitTable(t.get()));
  }
  uncommitted_changes = 0;
  last_flush = Clock::now();
  if (any) {
    ++summary.flushes;
    const double secs = std::chrono::duration<double>(last_flush - start).count();
    summary.flush_seconds += secs;
    metrics->ObserveFlush(secs);
    ReportTables();
  }
  // Everything received is committed: the newest finished transaction may be confirmed.
  if (flushable > confirmed) {
    confirmed = flushable;
    NILUS_RETURN_NOT_OK(SendStatus(session, false));
  }
  return Status::OK();
}

Status CdcRunner::Rep::Stream(ReplicationSession* session) {
  PgStartOptions so;
  so.slot = config.cdc->slot;
  so.publication = config.cdc->publication;
  NILUS_RETURN_NOT_OK(session->StartReplication(so));
  this->session = session;
  proto_version = session->proto_version();
  pgoutput::PgOutputDecoder dec(proto_version);
  Log().info("streaming from slot {} (pgoutput protocol {})", so.slot, proto_version);
  last_flush = Clock::now();
  const auto interval = config.cdc->flush_interval;
  while (true) {
    if (Stopping()) {
      NILUS_RETURN_NOT_OK(PushAll());
      NILUS_RETURN_NOT_OK(Flush(session));
      return session->EndStream();
    }
    NILUS_ASSIGN_OR_RAISE(auto data, session->Read(std::chrono::milliseconds(100)));
    if (data) {
      NILUS_ASSIGN_OR_RAISE(pgoutput::ReplicationMessage rm,
                            pgoutput::ParseReplicationMessage(*data));
      if (auto* x = std::get_if<pgoutput::XLogData>(&rm)) {
        server_lsn = std::max(server_lsn, x->wal_end);
        NILUS_RETURN_NOT_OK(HandlePayload(x->payload, x->wal_start, &dec, false));
      } else if (auto* k = std::get_if<pgoutput::Keepalive>(&rm)) {
        server_lsn = std::max(server_lsn, k->wal_end);
        if (!in_txn && uncommitted_changes == 0 && spills.empty()) {
          // Nothing of ours is pending: the slot may follow the server (idle tables).
          flushable = std::max(flushable, k->wal_end);
          if (flushable > confirmed) confirmed = flushable;
        }
        if (k->reply_requested) NILUS_RETURN_NOT_OK(SendStatus(session, false));
      }
    }
    if (PendingChanges() > 0) NILUS_RETURN_NOT_OK(BoundMemory());
    const auto now = Clock::now();
    // With a target, everything up to it is received once a transaction ending past it (or a
    // keepalive past it outside a transaction) arrived: commit now rather than at the interval.
    const bool target_received = summary.target_lsn != 0 && !in_txn &&
                                 std::max(last_end_lsn, server_lsn) >= summary.target_lsn;
    if (uncommitted_changes > 0 && (now - last_flush >= interval || target_received)) {
      NILUS_RETURN_NOT_OK(Flush(session));
    }
    if (uncommitted_changes == 0 && !in_txn && flushable > confirmed) {
      confirmed = flushable;
      NILUS_RETURN_NOT_OK(SendStatus(session, false));
    }
    ProbeServer();
    if (now - last_status >= options.status_interval) {
      NILUS_RETURN_NOT_OK(SendStatus(session, false));
    }
    if (config.cdc->heartbeat && now - last_heartbeat >= *config.cdc->heartbeat) {
      last_heartbeat = now;
      NILUS_RETURN_NOT_OK(
          catalog->Exec("SELECT pg_catalog.pg_logical_emit_message(false, 'nilus_heartbeat', '')"));
    }
    if (summary.target_lsn != 0 && confirmed >= summary.target_lsn && uncommitted_changes == 0 &&
        !in_txn) {
      Log().info("reached {} (target {})", LsnToString(confirmed), LsnToString(summary.target_lsn));
      return session->EndStream();
    }
  }
}

Result<CdcRunSummary> CdcRunner::Run() {
  Rep& r = *rep_;
  const auto t0 = Clock::now();
  if (!r.config.cdc) return Status::Invalid("the pipeline has no cdc: section");
  if (r.config.source.kind != SourceKind::kPostgres) {
    return Status::Invalid("cdc: needs source.kind postgres");
  }
  r.summary.run_id = iceberg::NewUuidV4();
  r.started_at = MetaTimeNow();
  r.ReportBegin();
  r.metrics = std::make_unique<CdcMetrics>(r.config.name);
  if (r.config.cdc->metrics_port) {
    NILUS_ASSIGN_OR_RAISE(r.metrics_server,
                          MetricsServer::Start("0.0.0.0", *r.config.cdc->metrics_port,
                                               [m = r.metrics.get()] { return m->Render(); }));
    Log().info("serving /metrics on port {}", r.metrics_server->port());
  }
  int attempt = 0;
  auto backoff = r.options.backoff_initial;
  while (true) {
    Status st = [&]() -> Status {
      NILUS_ASSIGN_OR_RAISE(r.catalog, PgConnection::Open(r.config.source.url));
      if (r.tables.empty()) {
        NILUS_RETURN_NOT_OK(ExpandSchemaEntries(r.catalog.get(), &r.config.source.tables));
      }
      if (r.summary.target_lsn == 0) {
        if (r.options.until_lsn) r.summary.target_lsn = *r.options.until_lsn;
        if (r.options.until_current) {
          NILUS_ASSIGN_OR_RAISE(
              PgRows rows, r.catalog->Query("SELECT pg_catalog.pg_current_wal_insert_lsn()::text"));
          NILUS_ASSIGN_OR_RAISE(r.summary.target_lsn, ParseLsn(rows.Get(0, 0)));
        }
      }
      NILUS_ASSIGN_OR_RAISE(auto session, ReplicationSession::Open(r.config.source.url));
      NILUS_RETURN_NOT_OK(r.Prepare(session.get()));
      NILUS_ASSIGN_OR_RAISE(auto slot, session->GetSlot(r.config.cdc->slot));
      if (slot && slot->invalidated) {
        return Status::Invalid(fmt::format(
            "replication slot {} is invalidated (wal_status {}): the WAL it needed was removed, "
            "so changes were lost. Recover with a new snapshot: drop the slot (SELECT "
            "pg_drop_replication_slot('{}')) and run again; the mirrors are copied anew "
            "(docs/operations.md, \"Invalidated slots\")",
            slot->name, slot->wal_status, slot->name));
      }
      // Committed positions; a table without one has not finished its snapshot.
      NILUS_ASSIGN_OR_RAISE(bool complete, r.ReadPositions());
      if (!slot || !complete) {
        if (slot) {
          Log().warn("slot {} exists but the initial snapshot did not finish: starting it again",
                     r.config.cdc->slot);
          NILUS_RETURN_NOT_OK(session->DropSlot(r.config.cdc->slot));
        }
        // The snapshot sinks create and replace the tables; reopen ours afterwards.
        for (auto& t : r.tables) {
          t->mirror.reset();
          t->changelog.reset();
        }
        NILUS_RETURN_NOT_OK(r.Snapshot(session.get()));
        NILUS_RETURN_NOT_OK(r.ReadPositions().status());
      } else {
        r.confirmed = slot->confirmed_flush_lsn;
        r.flushable = r.confirmed;
      }
      return r.Stream(session.get());
    }();
    if (st.ok()) break;
    r.DropUncommitted();
    if (!st.retryable() || r.Stopping() ||
        (r.options.max_attempts > 0 && ++attempt >= r.options.max_attempts)) {
      r.ReportFinish(st);
      return st;
    }
    ++r.summary.reconnects;
    r.metrics->AddReconnect();
    Log().warn("{}; reconnecting in {} ms", st.ToString(), backoff.count());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, r.options.backoff_max);
  }
  r.ReportFinish(Status::OK());
  r.summary.confirmed_lsn = r.confirmed;
  r.summary.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r.summary;
}

}  // namespace nilus::pipeline
