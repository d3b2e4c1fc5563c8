#include "extract/postgres/replication_session.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "extract/postgres/pg_connection.h"
#include "extract/postgres/pgoutput.h"

namespace nilus {

namespace {

struct TableName {
  std::string schema;
  std::string table;
};

// "schema.table", or "table" for public, split at the first dot as DescribePgTable does.
TableName SplitTableName(std::string_view q) {
  const size_t dot = q.find('.');
  if (dot == std::string_view::npos) return {"public", std::string(q)};
  return {std::string(q.substr(0, dot)), std::string(q.substr(dot + 1))};
}

bool IsPlainIdent(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// The table's name for SQL: always quoted, so that any name works.
std::string QuotedTable(const TableName& t) {
  return PgConnection::QuoteIdent(t.schema) + "." + PgConnection::QuoteIdent(t.table);
}

// The table's name for messages and hints: quoted only where SQL needs it, so that the common
// case reads "ALTER TABLE public.logs ..." and can still be pasted into psql.
std::string DisplayTable(const TableName& t) {
  auto part = [](const std::string& s) {
    return IsPlainIdent(s) ? s : PgConnection::QuoteIdent(s);
  };
  return part(t.schema) + "." + part(t.table);
}

// The server allows only lower-case letters, digits and underscores in slot names; checking
// them here lets replication commands carry them unquoted.
Status CheckSlotName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 63;
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (ok) return Status::OK();
  return Status::Invalid(
      fmt::format("replication slot name '{}' is invalid: use 1 to 63 lower-case letters, digits "
                  "and underscores",
                  name));
}

// A string literal for a replication command. Their grammar knows only '...' with '' for a
// quote (no E'' form), so PQescapeLiteral's output is not always accepted there.
std::string ReplicationLiteral(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

// The newest pgoutput protocol version each server speaks.
int MaxProtoVersion(int server_version_num) {
  if (server_version_num >= 160000) return 4;
  if (server_version_num >= 150000) return 3;
  if (server_version_num >= 140000) return 2;
  return 1;
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string SqlState(const PGresult* res) {
  const char* s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  return s ? s : "";
}

// PgResultError, sharpened for replication: codes PgStatusFromSqlState leaves as IOError that
// mean something precise here, and hints for the ones a user must act on.
Status ReplicationError(const PGconn* conn, const PGresult* res, std::string_view what,
                        std::string_view description) {
  Status st = PgResultError(conn, res, what, description);
  if (res == nullptr || PQstatus(conn) == CONNECTION_BAD) return st;
  const std::string state = SqlState(res);
  const std::string& msg = st.message();
  if (state == "42704") return Status::NotFound(msg);  // no such slot or publication
  if (state == "42710") return Status::AlreadyExists(msg);
  // "replication slot ... is active for PID n": often the walsender of a run that died, which
  // the server notices only after wal_sender_timeout.
  if (state == "55006") return Status::Unavailable(msg);
  if (state == "53400" && msg.find("replication slots") != std::string::npos) {
    return Status::IOError(
        msg +
        " (raise max_replication_slots, or drop the slots in pg_replication_slots that "
        "nobody reads)");
  }
  if (msg.find("can no longer get changes") != std::string::npos ||
      msg.find("has been invalidated") != std::string::npos) {
    return Status::IOError(
        msg + " (the slot is unusable: drop it and let the pipeline take a new snapshot)");
  }
  return st;
}

// Runs one statement with the simple protocol, the only one a replication connection takes,
// and wants a result of kind `want`.
Result<PgRows> Run(PGconn* conn, std::string_view description, const std::string& sql,
                   ExecStatusType want = PGRES_TUPLES_OK) {
  PGresult* raw = PQexec(conn, sql.c_str());
  PgRows rows(raw);
  const ExecStatusType st = PQresultStatus(raw);
  const bool ok = st == want || (want == PGRES_COMMAND_OK && st == PGRES_TUPLES_OK);
  if (!ok) return ReplicationError(conn, raw, sql, description);
  return rows;
}

Result<std::string> EscapeLiteral(PGconn* conn, std::string_view value,
                                  const std::string& description) {
  char* q = PQescapeLiteral(conn, value.data(), value.size());
  if (q == nullptr) return PgResultError(conn, nullptr, "quoting a literal", description);
  std::string out(q);
  PQfreemem(q);
  return out;
}

}  // namespace

ReplicationSession::ReplicationSession(pg_conn* conn, std::string description)
    : conn_(conn), description_(std::move(description)) {}

ReplicationSession::~ReplicationSession() {
  if (copy_buffer_) PQfreemem(copy_buffer_);
  if (conn_) PQfinish(conn_);
}

Result<std::unique_ptr<ReplicationSession>> ReplicationSession::Open(const std::string& url) {
  Result<PGconn*> conn = PgConnectRaw(url, {{"replication", "database"}});
  if (!conn.ok()) {
    const Status& st = conn.status();
    const std::string& msg = st.message();
    // A walsender refused for want of privilege fails the same way on every retry.
    if (!st.retryable() && (msg.find("replication role") != std::string::npos ||
                            msg.find("WAL sender") != std::string::npos ||
                            msg.find("pg_hba.conf") != std::string::npos)) {
      return Status::IOError(
          msg +
          " (logical replication needs a role with the REPLICATION attribute, granted by ALTER "
          "ROLE ... REPLICATION, and a pg_hba.conf line for the database itself: lines for "
          "\"replication\" cover physical replication only)");
    }
    return st;
  }
  std::unique_ptr<ReplicationSession> s(new ReplicationSession(*conn, PgDescribe(*conn)));
  // One statement a message: walsenders before the 2022 fix reject several in one query.
  for (const char* set :
       {"SET client_encoding = 'UTF8'", "SET TimeZone = 'UTC'", "SET DateStyle = 'ISO'",
        "SET IntervalStyle = 'iso_8601'", "SET extra_float_digits = 3"}) {
    NILUS_RETURN_NOT_OK(s->Exec(set));
  }
  return s;
}

int ReplicationSession::server_version_num() const { return PQserverVersion(conn_); }

Status ReplicationSession::CheckIdle(std::string_view what) const {
  if (!streaming_) return Status::OK();
  return Status::Invalid(
      fmt::format("{} on {}: the session is streaming; call EndStream first", what, description_));
}

Status ReplicationSession::ErrorFrom(const pg_result* res, std::string_view what) const {
  return ReplicationError(conn_, res, what, description_);
}

Status ReplicationSession::Exec(const std::string& sql) {
  return Run(conn_, description_, sql, PGRES_COMMAND_OK).status();
}

Result<PgSystemInfo> ReplicationSession::IdentifySystem() {
  NILUS_RETURN_NOT_OK(CheckIdle("IDENTIFY_SYSTEM"));
  NILUS_ASSIGN_OR_RAISE(PgRows res, Run(conn_, description_, "IDENTIFY_SYSTEM"));
  if (res.num_rows() != 1 || res.num_columns() < 4) {
    return Status::IOError(fmt::format("IDENTIFY_SYSTEM on {}: unexpected result shape ({}x{})",
                                       description_, res.num_rows(), res.num_columns()));
  }
  PgSystemInfo info;
  info.system_id = std::string(res.Get(0, 0));
  NILUS_ASSIGN_OR_RAISE(int64_t timeline, res.GetInt(0, 1));
  info.timeline = static_cast<int>(timeline);
  NILUS_ASSIGN_OR_RAISE(info.xlog_pos, ParseLsn(res.Get(0, 2)));
  info.dbname = std::string(res.Get(0, 3));
  return info;
}

Result<PgCdcPrerequisites> ReplicationSession::CheckPrerequisites(
    const std::vector<std::string>& tables) {
  NILUS_RETURN_NOT_OK(CheckIdle("CheckPrerequisites"));
  PgCdcPrerequisites out;
  out.server_version_num = server_version_num();

  static constexpr char kServerSql[] =
      "SELECT pg_catalog.current_setting('wal_level'), r.rolsuper, r.rolreplication, "
      "pg_catalog.current_setting('max_replication_slots')::int, "
      "(SELECT count(*) FROM pg_catalog.pg_replication_slots), current_user "
      "FROM pg_catalog.pg_roles r WHERE r.rolname = current_user";
  NILUS_ASSIGN_OR_RAISE(PgRows server, Run(conn_, description_, kServerSql));
  if (server.num_rows() != 1) {
    return Status::IOError(fmt::format(
        "checking CDC prerequisites on {}: the current role is not in pg_roles", description_));
  }
  std::vector<std::string> problems;
  const std::string_view wal_level = server.Get(0, 0);
  if (wal_level != "logical") {
    problems.push_back(fmt::format(
        "wal_level is '{}', not 'logical': run ALTER SYSTEM SET wal_level = logical (or set it in "
        "postgresql.conf) and restart the server",
        wal_level));
  }
  const std::string role(server.Get(0, 5));
  if (server.Get(0, 1) != "t" && server.Get(0, 2) != "t") {
    problems.push_back(fmt::format(
        "role {0} is neither superuser nor has the REPLICATION attribute: run ALTER ROLE {0} "
        "REPLICATION",
        IsPlainIdent(role) ? role : PgConnection::QuoteIdent(role)));
  }
  NILUS_ASSIGN_OR_RAISE(int64_t max_slots, server.GetInt(0, 3));
  NILUS_ASSIGN_OR_RAISE(int64_t used_slots, server.GetInt(0, 4));
  out.max_replication_slots = static_cast<int>(max_slots);
  out.replication_slots_used = static_cast<int>(used_slots);
  // A full set of slots is not an error here: the pipeline's slot may be among them.
  if (max_slots == 0) {
    problems.push_back(
        "max_replication_slots is 0: set it to at least 1 in postgresql.conf and restart the "
        "server");
  }
  if (!problems.empty()) {
    return Status::Invalid(fmt::format("PostgreSQL at {} is not ready for CDC: {}", description_,
                                       fmt::join(problems, "; ")));
  }

  std::vector<std::string> missing;
  for (const std::string& name : tables) {
    const TableName t = SplitTableName(name);
    NILUS_ASSIGN_OR_RAISE(std::string schema_lit, EscapeLiteral(conn_, t.schema, description_));
    NILUS_ASSIGN_OR_RAISE(std::string table_lit, EscapeLiteral(conn_, t.table, description_));
    const std::string rel_sql = fmt::format(
        "SELECT c.oid, c.relreplident, c.relkind FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = {} AND c.relname = {} AND c.relkind IN ('r', 'p')",
        schema_lit, table_lit);
    NILUS_ASSIGN_OR_RAISE(PgRows rel, Run(conn_, description_, rel_sql));
    if (rel.num_rows() == 0) {
      missing.push_back(DisplayTable(t));
      continue;
    }
    PgCdcTableInfo info;
    info.qualified_name = t.schema + "." + t.table;
    NILUS_ASSIGN_OR_RAISE(int64_t oid, rel.GetInt(0, 0));
    info.oid = static_cast<uint32_t>(oid);
    info.replica_identity = rel.Get(0, 1).empty() ? 'd' : rel.Get(0, 1)[0];

    // Key columns in the index's order, which is the key's order.
    const std::string key_sql = fmt::format(
        "SELECT i.indisprimary, i.indisreplident, a.attname FROM pg_catalog.pg_index i "
        "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY (i.indkey::int2[]) "
        "WHERE i.indrelid = {} AND (i.indisprimary OR i.indisreplident) "
        "ORDER BY i.indexrelid, array_position(i.indkey::int2[], a.attnum)",
        info.oid);
    NILUS_ASSIGN_OR_RAISE(PgRows keys, Run(conn_, description_, key_sql));
    std::vector<std::string> index_columns;
    for (int r = 0; r < keys.num_rows(); ++r) {
      if (keys.Get(r, 0) == "t") info.primary_key.emplace_back(keys.Get(r, 2));
      if (keys.Get(r, 1) == "t") index_columns.emplace_back(keys.Get(r, 2));
    }

    const std::string shown = DisplayTable(t);
    switch (info.replica_identity) {
      case 'f':
        info.mirrorable = true;
        break;
      case 'i':
        info.identity_columns = index_columns;
        info.mirrorable = !index_columns.empty();
        // A dropped identity index leaves 'i' behind, which then acts as NOTHING.
        if (!info.mirrorable) {
          info.note = fmt::format(
              "{0} has REPLICA IDENTITY USING INDEX but the index is gone: only its change log "
              "is written; run ALTER TABLE {0} REPLICA IDENTITY FULL (or DEFAULT with a primary "
              "key) to mirror it",
              shown);
        }
        break;
      case 'n':
        info.note = fmt::format(
            "{0} has REPLICA IDENTITY NOTHING: only its change log is written, and PostgreSQL "
            "rejects UPDATE and DELETE on it while a publication publishes them; run ALTER TABLE "
            "{0} REPLICA IDENTITY {1} to mirror it",
            shown, info.primary_key.empty() ? "FULL" : "DEFAULT");
        break;
      default:  // 'd'
        info.identity_columns = info.primary_key;
        info.mirrorable = !info.primary_key.empty();
        if (!info.mirrorable) {
          info.note = fmt::format(
              "{0} has no primary key and REPLICA IDENTITY DEFAULT: only its change log is "
              "written, and PostgreSQL rejects UPDATE and DELETE on it while a publication "
              "publishes them; run ALTER TABLE {0} REPLICA IDENTITY FULL to mirror it",
              shown);
        }
        break;
    }
    out.tables.push_back(std::move(info));
  }
  if (!missing.empty()) {
    return Status::NotFound(fmt::format("PostgreSQL {} {} not found on {}",
                                        missing.size() == 1 ? "table" : "tables",
                                        fmt::join(missing, ", "), description_));
  }
  return out;
}

Status ReplicationSession::EnsurePublication(const std::string& name,
                                             const std::vector<std::string>& tables) {
  NILUS_RETURN_NOT_OK(CheckIdle("EnsurePublication"));
  NILUS_ASSIGN_OR_RAISE(std::string name_lit, EscapeLiteral(conn_, name, description_));
  const std::string pub = PgConnection::QuoteIdent(name);

  const std::string exists_sql = fmt::format(
      "SELECT puballtables FROM pg_catalog.pg_publication WHERE pubname = {}", name_lit);
  NILUS_ASSIGN_OR_RAISE(PgRows exists, Run(conn_, description_, exists_sql));

  std::vector<TableName> wanted;
  for (const std::string& t : tables) wanted.push_back(SplitTableName(t));
  auto quoted_list = [](const std::vector<TableName>& list) {
    std::vector<std::string> parts;
    for (const TableName& t : list) parts.push_back(QuotedTable(t));
    return fmt::format("{}", fmt::join(parts, ", "));
  };

  if (exists.num_rows() == 0) {
    if (wanted.empty()) return Exec("CREATE PUBLICATION " + pub);
    return Exec(fmt::format("CREATE PUBLICATION {} FOR TABLE {}", pub, quoted_list(wanted)));
  }
  if (exists.Get(0, 0) == "t") return Status::OK();  // FOR ALL TABLES already has them

  const std::string have_sql = fmt::format(
      "SELECT schemaname, tablename FROM pg_catalog.pg_publication_tables WHERE pubname = {}",
      name_lit);
  NILUS_ASSIGN_OR_RAISE(PgRows have, Run(conn_, description_, have_sql));
  std::set<std::pair<std::string, std::string>> published;
  for (int r = 0; r < have.num_rows(); ++r) {
    published.emplace(std::string(have.Get(r, 0)), std::string(have.Get(r, 1)));
  }
  std::vector<TableName> add;
  for (const TableName& t : wanted) {
    if (published.insert({t.schema, t.table}).second) add.push_back(t);
  }
  if (add.empty()) return Status::OK();
  return Exec(fmt::format("ALTER PUBLICATION {} ADD TABLE {}", pub, quoted_list(add)));
}

Result<std::optional<PgSlotInfo>> ReplicationSession::GetSlot(const std::string& name) {
  NILUS_RETURN_NOT_OK(CheckIdle("GetSlot"));
  NILUS_ASSIGN_OR_RAISE(std::string name_lit, EscapeLiteral(conn_, name, description_));
  // wal_status appeared in PostgreSQL 13.
  const char* wal_status = server_version_num() >= 130000 ? "wal_status" : "NULL::text";
  const std::string sql = fmt::format(
      "SELECT slot_name, plugin, slot_type, database, active, restart_lsn, confirmed_flush_lsn, "
      "{}, database IS NOT DISTINCT FROM current_database() "
      "FROM pg_catalog.pg_replication_slots WHERE slot_name = {}",
      wal_status, name_lit);
  NILUS_ASSIGN_OR_RAISE(PgRows res, Run(conn_, description_, sql));
  if (res.num_rows() == 0) return std::optional<PgSlotInfo>();

  PgSlotInfo slot;
  slot.name = std::string(res.Get(0, 0));
  slot.plugin = std::string(res.Get(0, 1));
  slot.database = std::string(res.Get(0, 3));
  if (res.Get(0, 2) != "logical") {
    return Status::Invalid(fmt::format(
        "replication slot {} on {} is a {} slot; CDC needs a logical slot: drop it or choose "
        "another cdc.slot name",
        name, description_, res.Get(0, 2)));
  }
  if (slot.plugin != "pgoutput") {
    return Status::Invalid(fmt::format(
        "replication slot {} on {} uses the plugin {}, not pgoutput: drop it or choose another "
        "cdc.slot name",
        name, description_, slot.plugin));
  }
  if (res.Get(0, 8) != "t") {
    return Status::Invalid(
        fmt::format("replication slot {} on {} belongs to the database {}: choose another "
                    "cdc.slot name (slot names are server-wide)",
                    name, description_, slot.database));
  }
  slot.active = res.Get(0, 4) == "t";
  if (!res.IsNull(0, 5)) {
    NILUS_ASSIGN_OR_RAISE(slot.restart_lsn, ParseLsn(res.Get(0, 5)));
  }
  if (!res.IsNull(0, 6)) {
    NILUS_ASSIGN_OR_RAISE(slot.confirmed_flush_lsn, ParseLsn(res.Get(0, 6)));
  }
  slot.wal_status = std::string(res.Get(0, 7));
  slot.invalidated = slot.wal_status == "lost" || res.IsNull(0, 5);
  return std::optional<PgSlotInfo>(std::move(slot));
}

Result<PgCreatedSlot> ReplicationSession::CreateSlot(const std::string& name) {
  NILUS_RETURN_NOT_OK(CheckIdle("CreateSlot"));
  NILUS_RETURN_NOT_OK(CheckSlotName(name));
  // PostgreSQL 15 introduced the option list and deprecated the bare keyword.
  const std::string sql =
      server_version_num() >= 150000
          ? fmt::format("CREATE_REPLICATION_SLOT {} LOGICAL pgoutput (SNAPSHOT 'export')", name)
          : fmt::format("CREATE_REPLICATION_SLOT {} LOGICAL pgoutput EXPORT_SNAPSHOT", name);
  NILUS_ASSIGN_OR_RAISE(PgRows res, Run(conn_, description_, sql));
  if (res.num_rows() != 1 || res.num_columns() < 3) {
    return Status::IOError(fmt::format("{} on {}: unexpected result shape ({}x{})", sql,
                                       description_, res.num_rows(), res.num_columns()));
  }
  PgCreatedSlot created;
  NILUS_ASSIGN_OR_RAISE(created.consistent_point, ParseLsn(res.Get(0, 1)));
  created.snapshot_name = std::string(res.Get(0, 2));
  return created;
}

Status ReplicationSession::DropSlot(const std::string& name) {
  NILUS_RETURN_NOT_OK(CheckIdle("DropSlot"));
  NILUS_RETURN_NOT_OK(CheckSlotName(name));
  const std::string sql = fmt::format("DROP_REPLICATION_SLOT {} WAIT", name);
  Status st = Run(conn_, description_, sql, PGRES_COMMAND_OK).status();
  if (st.code() == StatusCode::kNotFound) return Status::OK();  // already gone
  return st;
}

Status ReplicationSession::StartReplication(const PgStartOptions& options) {
  NILUS_RETURN_NOT_OK(CheckIdle("StartReplication"));
  NILUS_RETURN_NOT_OK(CheckSlotName(options.slot));
  if (options.publication.empty()) {
    return Status::Invalid("StartReplication: no publication given");
  }
  const int version = server_version_num();
  const int max_proto = MaxProtoVersion(version);
  const int proto = options.proto_version == 0 ? max_proto : options.proto_version;
  if (proto < 1 || proto > max_proto) {
    return Status::Invalid(fmt::format(
        "pgoutput protocol version {} is not supported by {} (server version {}; at most {})",
        proto, description_, version, max_proto));
  }
  // The server would report a missing publication only when it decodes the first change,
  // deep inside Read; say it now.
  NILUS_ASSIGN_OR_RAISE(std::string pub_lit,
                        EscapeLiteral(conn_, options.publication, description_));
  NILUS_ASSIGN_OR_RAISE(PgRows pub,
                        Run(conn_, description_,
                            "SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = " + pub_lit));
  if (pub.num_rows() == 0) {
    return Status::NotFound(
        fmt::format("publication {} does not exist on {} (EnsurePublication "
                    "creates it, before the slot)",
                    options.publication, description_));
  }
  // Options the server would reject are dropped; the accessors tell the caller what is on.
  const bool binary = options.binary && version >= 140000;
  const bool stream_txns = options.streaming && proto >= 2;
  const bool messages = options.messages && version >= 140000;

  std::string sql =
      fmt::format("START_REPLICATION SLOT {} LOGICAL {} (proto_version '{}', publication_names {}",
                  options.slot, LsnToString(options.start_lsn), proto,
                  ReplicationLiteral(PgConnection::QuoteIdent(options.publication)));
  if (binary) sql += ", binary 'true'";
  // 'on' rather than 'parallel' (16+): parallel streaming interleaves transactions, which the
  // decoder does not expect.
  if (stream_txns) sql += ", streaming 'on'";
  if (messages) sql += ", messages 'true'";
  sql += ")";

  NILUS_RETURN_NOT_OK(Run(conn_, description_, sql, PGRES_COPY_BOTH).status());
  proto_version_ = proto;
  binary_ = binary;
  stream_transactions_ = stream_txns;
  messages_ = messages;
  streaming_ = true;
  return Status::OK();
}

Result<std::optional<std::string_view>> ReplicationSession::Read(
    std::chrono::milliseconds timeout) {
  if (!streaming_) {
    return Status::Invalid(fmt::format(
        "Read on {}: the session is not streaming (StartReplication first)", description_));
  }
  if (copy_buffer_) {
    PQfreemem(copy_buffer_);
    copy_buffer_ = nullptr;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const int n = PQgetCopyData(conn_, &copy_buffer_, /*async=*/1);
    if (n > 0) return std::optional<std::string_view>(std::string_view(copy_buffer_, n));
    if (n == -2) {
      streaming_ = false;
      Status st = PgResultError(conn_, nullptr, "reading the replication stream", description_);
      // Whatever libpq says, the stream is broken: a new session can carry on from the slot.
      if (st.code() != StatusCode::kUnavailable) return Status::Unavailable(st.message());
      return st;
    }
    if (n == -1) {
      // The server ended the stream: with an error (pg_terminate_backend, a decoding error),
      // by completing the command (a walsender that shuts down does so once we confirmed all it
      // sent, then closes the connection), or with CopyDone, to which we owe our own.
      streaming_ = false;
      Status st;
      bool completed = false;
      for (PGresult* r = PQgetResult(conn_); r != nullptr; r = PQgetResult(conn_)) {
        PgRows res(r);
        const ExecStatusType rs = PQresultStatus(r);
        if (rs == PGRES_COPY_IN) {
          if (PQputCopyEnd(conn_, nullptr) != 1) break;
          continue;
        }
        if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK) {
          completed = true;
          continue;
        }
        // After the command completed, the connection closing is expected, not news.
        if (st.ok() && !completed) st = ErrorFrom(r, "the replication stream");
      }
      if (!st.ok()) return st;
      return Status::Unavailable(fmt::format(
          "the server ended the replication stream on {} (it may be shutting down)", description_));
    }
    // n == 0: no whole message buffered; wait for the socket up to the deadline.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{};
    pfd.fd = PQsocket(conn_);
    pfd.events = POLLIN;
    if (pfd.fd < 0) {
      streaming_ = false;
      return Status::Unavailable(fmt::format(
          "reading the replication stream on {}: the connection is closed", description_));
    }
    const int ready = poll(&pfd, 1, left.count() > 0 ? static_cast<int>(left.count()) : 0);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(fmt::format("waiting for the replication stream on {}: {}",
                                         description_, std::strerror(errno)));
    }
    if (ready == 0) return std::optional<std::string_view>();
    if (PQconsumeInput(conn_) == 0) {
      streaming_ = false;
      Status st = PgResultError(conn_, nullptr, "reading the replication stream", description_);
      if (st.code() != StatusCode::kUnavailable) return Status::Unavailable(st.message());
      return st;
    }
  }
}

Status ReplicationSession::SendStatus(Lsn written, Lsn flushed, Lsn applied, bool reply_requested) {
  if (!streaming_) {
    return Status::Invalid(
        fmt::format("SendStatus on {}: the session is not streaming", description_));
  }
  const std::string msg =
      pgoutput::EncodeStandbyStatus(written, flushed, applied, NowMicros(), reply_requested);
  if (PQputCopyData(conn_, msg.data(), static_cast<int>(msg.size())) != 1 || PQflush(conn_) != 0) {
    Status st = PgResultError(conn_, nullptr, "sending a standby status update", description_);
    if (st.code() != StatusCode::kUnavailable) return Status::Unavailable(st.message());
    return st;
  }
  return Status::OK();
}

Status ReplicationSession::EndStream() {
  if (!streaming_) return Status::OK();  // never started, or the server already ended it
  streaming_ = false;
  if (copy_buffer_) {
    PQfreemem(copy_buffer_);
    copy_buffer_ = nullptr;
  }
  if (PQputCopyEnd(conn_, nullptr) != 1 || PQflush(conn_) != 0) {
    return Status::Unavailable(
        PgResultError(conn_, nullptr, "ending the replication stream", description_).message());
  }
  // The server may still send data until it reads our CopyDone; it answers with its own.
  for (;;) {
    char* buf = nullptr;
    const int n = PQgetCopyData(conn_, &buf, /*async=*/0);
    if (n > 0) {
      PQfreemem(buf);
      continue;
    }
    if (n == -2) {
      return Status::Unavailable(
          PgResultError(conn_, nullptr, "ending the replication stream", description_).message());
    }
    break;
  }
  Status st;
  for (PGresult* r = PQgetResult(conn_); r != nullptr; r = PQgetResult(conn_)) {
    PgRows res(r);
    const ExecStatusType rs = PQresultStatus(r);
    if (st.ok() && rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK) {
      st = ErrorFrom(r, "ending the replication stream");
    }
  }
  return st;
}

}  // namespace nilus
