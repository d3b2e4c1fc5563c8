// A logical replication session over libpq (`replication=database`): prerequisite checks,
// publication and slot management, and the CopyBoth stream of START_REPLICATION.
//
// Usage (see src/pipeline/cdc_runner.cc):
//   NILUS_ASSIGN_OR_RAISE(auto s, ReplicationSession::Open(url));
//   NILUS_ASSIGN_OR_RAISE(auto report, s->CheckPrerequisites(tables));  // explains what fails
//   NILUS_RETURN_NOT_OK(s->EnsurePublication("nilus_shop", tables));
//   NILUS_ASSIGN_OR_RAISE(auto slot, s->GetSlot("nilus_shop"));
//   if (!slot) { NILUS_ASSIGN_OR_RAISE(auto created, s->CreateSlot("nilus_shop")); ... copy the
//     tables under created.snapshot_name on other connections while `s` stays idle ... }
//   NILUS_RETURN_NOT_OK(s->StartReplication({...}));
//   while (...) { NILUS_ASSIGN_OR_RAISE(auto data, s->Read(100ms)); ... s->SendStatus(...); }
//
// Errors follow PgConnection's mapping: a lost connection or a server shutting down is
// Unavailable (retryable: reconnect and start again from the slot); a missing privilege, a
// wrong wal_level or an invalidated slot is not retryable and the message says how to fix it.
// Messages never contain the password.
//
// Not thread-safe: one session belongs to one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/lsn.h"
#include "core/result.h"

struct pg_conn;    // libpq's PGconn
struct pg_result;  // libpq's PGresult

namespace nilus {

struct PgSystemInfo {
  std::string system_id;
  int timeline = 0;
  Lsn xlog_pos = 0;  // the server's current WAL flush position
  std::string dbname;
};

// One published table as the prerequisite check sees it.
struct PgCdcTableInfo {
  std::string qualified_name;  // "schema.table"
  uint32_t oid = 0;
  char replica_identity = 'd';  // pg_class.relreplident: d default, n nothing, f full, i index
  std::vector<std::string> primary_key;  // empty when the table has none
  // The columns an UPDATE or DELETE sends as the old key: the primary key under REPLICA
  // IDENTITY DEFAULT, the index's columns under INDEX; empty under FULL (the whole old row is
  // sent) and NOTHING.
  std::vector<std::string> identity_columns;
  // Whether UPDATE and DELETE can be mirrored: a primary key (or the index of REPLICA IDENTITY
  // INDEX) identifies rows, or REPLICA IDENTITY FULL makes every column the key.
  bool mirrorable = false;
  std::string note;  // for a table that is not mirrorable: what the user should do
};

struct PgCdcPrerequisites {
  int server_version_num = 0;  // e.g. 150004
  // For information: a new slot needs one free (CreateSlot fails when none is).
  int max_replication_slots = 0;
  int replication_slots_used = 0;
  std::vector<PgCdcTableInfo> tables;
};

struct PgSlotInfo {
  std::string name;
  std::string plugin;
  std::string database;
  bool active = false;
  Lsn restart_lsn = 0;
  Lsn confirmed_flush_lsn = 0;
  // pg_replication_slots.wal_status: reserved, extended, unreserved or lost. "lost" (or a
  // null restart_lsn on a logical slot) means invalidated: it cannot stream any more.
  std::string wal_status;
  bool invalidated = false;
};

struct PgCreatedSlot {
  Lsn consistent_point = 0;
  std::string snapshot_name;  // valid until the session runs its next command
};

struct PgStartOptions {
  std::string slot;
  Lsn start_lsn = 0;  // 0: the slot's confirmed_flush_lsn
  std::string publication;
  int proto_version =
      0;  // 0: the highest the server supports (1 before 14, 2 on 14, 3 on 15, 4 on 16+)
  bool binary = true;     // values in send/recv format (PostgreSQL 14+)
  bool streaming = true;  // stream large in-progress transactions (proto_version >= 2)
  bool messages = true;   // pass pg_logical_emit_message through
};

class ReplicationSession {
 public:
  ~ReplicationSession();
  ReplicationSession(const ReplicationSession&) = delete;
  ReplicationSession& operator=(const ReplicationSession&) = delete;

  // Connects with `replication=database` added to the libpq URL or conninfo (it overrides a
  // `replication` the URL may carry), and sets the same session parameters as PgConnection
  // (UTF8, UTC, ISO dates). Unavailable when the server cannot be reached; IOError (not
  // retryable) with a hint when the role may not replicate (pg_hba.conf or the REPLICATION
  // attribute).
  static Result<std::unique_ptr<ReplicationSession>> Open(const std::string& url);

  const std::string& description() const { return description_; }
  int server_version_num() const;

  Result<PgSystemInfo> IdentifySystem();

  // Checks wal_level = logical, the role's REPLICATION attribute (or superuser), free
  // replication slots, that each table ("schema.table" or "table" for public) exists, and
  // describes its replica identity and key. Returns InvalidArgument listing every failed
  // server-level check with how to fix it, then NotFound naming every missing table;
  // per-table findings come back in the result. Slots in use are only counted: the
  // pipeline's own slot may be one of them.
  Result<PgCdcPrerequisites> CheckPrerequisites(const std::vector<std::string>& tables);

  // Creates publication `name` FOR TABLE `tables` when it does not exist; otherwise adds the
  // tables it lacks (ALTER PUBLICATION ... ADD TABLE). Never removes tables. Call it before
  // CreateSlot: the slot decodes with the catalog as of each change, so a publication created
  // after the slot is "missing" for the changes before it. NotFound for a missing table.
  Status EnsurePublication(const std::string& name, const std::vector<std::string>& tables);

  // The slot's row in pg_replication_slots; nullopt when it does not exist. InvalidArgument
  // when it is physical, or exists with a plugin other than pgoutput or in another database.
  Result<std::optional<PgSlotInfo>> GetSlot(const std::string& name);

  // CREATE_REPLICATION_SLOT name LOGICAL pgoutput (SNAPSHOT 'export'). The snapshot can be
  // imported by other connections (SET TRANSACTION SNAPSHOT) until this session runs another
  // command. `name` must be 1 to 63 of [a-z0-9_] (InvalidArgument otherwise); AlreadyExists
  // when the slot exists; IOError with a hint when every slot is in use.
  Result<PgCreatedSlot> CreateSlot(const std::string& name);

  // DROP_REPLICATION_SLOT name WAIT. OK when it does not exist. Blocks while another session
  // streams from the slot.
  Status DropSlot(const std::string& name);

  // START_REPLICATION SLOT ... LOGICAL ... with the pgoutput options. Afterwards only Read,
  // SendStatus and EndStream may be called. The negotiated version is proto_version().
  // NotFound when the slot or the publication does not exist; Unavailable (retryable) when
  // another walsender still holds the slot (say, that of a run that just died); IOError with
  // a hint when the slot was invalidated; InvalidArgument for a protocol version the server
  // does not speak.
  Status StartReplication(const PgStartOptions& options);
  int proto_version() const { return proto_version_; }
  // The options in effect after StartReplication: `binary` and `messages` are dropped before
  // PostgreSQL 14, `streaming` with protocol version 1.
  bool binary() const { return binary_; }
  bool streams_transactions() const { return stream_transactions_; }
  bool messages() const { return messages_; }

  // The next CopyData message, or nullopt when none arrived within `timeout` (0: do not
  // wait). The view is valid until the next Read. Unavailable when the connection was lost or
  // the server ended the stream (it is shutting down, or the walsender was terminated); the
  // server's own error otherwise (e.g. NotFound for a publication dropped meanwhile). After an
  // error the stream is over: only EndStream (a no-op) and commands may follow.
  //
  // A shutting-down server waits until the flush position we report reaches all it has sent
  // (or wal_sender_timeout passes): answer keepalives, and confirm their wal_end when nothing
  // is pending.
  Result<std::optional<std::string_view>> Read(std::chrono::milliseconds timeout);

  // Sends a standby status update ('r') and flushes it. An invalid (0) `flushed` leaves the
  // slot's confirmed_flush_lsn alone. Unavailable when the connection is lost.
  Status SendStatus(Lsn written, Lsn flushed, Lsn applied, bool reply_requested = false);

  // Ends the CopyBoth stream cleanly (CopyDone) so the server records the last feedback, and
  // discards data still in flight; the session then takes commands again. OK when not
  // streaming.
  Status EndStream();

 private:
  ReplicationSession(pg_conn* conn, std::string description);
  Status Exec(const std::string& sql);

  pg_conn* conn_;
  std::string description_;
  // A command other than Read/SendStatus/EndStream while in the CopyBoth stream.
  Status CheckIdle(std::string_view what) const;
  // The Status for a failed result (or the connection's last error when `res` is null).
  Status ErrorFrom(const pg_result* res, std::string_view what) const;

  int proto_version_ = 0;
  bool binary_ = false;
  bool stream_transactions_ = false;
  bool messages_ = false;
  bool streaming_ = false;  // inside the CopyBoth stream of START_REPLICATION
  char* copy_buffer_ = nullptr;
};

}  // namespace nilus
