// Decoding of PostgreSQL's logical replication stream: the streaming-replication CopyData
// framing (XLogData 'w', primary keepalive 'k', and the standby status update we send back) and
// the pgoutput messages inside XLogData (protocol versions 1 to 4; PostgreSQL docs, "Logical
// Replication Message Formats").
//
// Decoded messages own their bytes, so a transaction can be buffered after the network buffer
// is reused. Tuple values are kept as sent: null, unchanged TOAST, text or binary. Binary values
// are in the send/recv format that PgDecodeValue (pg_binary.h) decodes.
//
// Errors: a message that is truncated, has trailing bytes, an unknown type byte, or a count or
// length that does not fit the message is Corruption, naming the message type and the byte
// offset. So is a stream block out of order (StreamStart inside a block; StreamStop outside one;
// Begin, Commit, StreamCommit or StreamAbort inside one), as PostgreSQL's own apply worker
// rejects it. The two-phase messages of protocol version 3 ('b', 'P', 'K', 'r', 'p') are
// NotImplemented: Nilus never enables the two_phase option. The decoder never reads outside
// the given buffer (fuzzed by tests/fuzz/pgoutput_fuzz.cc). docs/cdc-protocol.md has more.
//
// Thread-safety: a PgOutputDecoder holds the "inside a streamed transaction" state and belongs
// to one thread; the free functions are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/lsn.h"
#include "core/result.h"

namespace nilus::pgoutput {

// ---- Streaming replication framing (CopyBoth sub-protocol) -------------------------------------

// 'w': WAL data carrying one pgoutput message. `payload` points into the input buffer.
struct XLogData {
  Lsn wal_start = 0;
  Lsn wal_end = 0;
  int64_t send_time_us = 0;  // microseconds since 1970-01-01 (converted from PostgreSQL's epoch)
  std::string_view payload;
};

// 'k': the server's keepalive.
struct Keepalive {
  Lsn wal_end = 0;
  int64_t send_time_us = 0;  // since 1970-01-01
  bool reply_requested = false;
};

using ReplicationMessage = std::variant<XLogData, Keepalive>;

// Parses one CopyData message from START_REPLICATION. Corruption for anything else.
Result<ReplicationMessage> ParseReplicationMessage(std::string_view copy_data);

// The 34-byte standby status update ('r'): written/flushed/applied LSNs, the client clock in
// microseconds since 1970-01-01 (converted to PostgreSQL's epoch), and whether the server should
// reply at once.
std::string EncodeStandbyStatus(Lsn written, Lsn flushed, Lsn applied, int64_t now_us,
                                bool reply_requested);

// ---- pgoutput messages -------------------------------------------------------------------------

// One column value of a TupleData.
struct TupleValue {
  enum class Kind : char { kNull = 'n', kUnchanged = 'u', kText = 't', kBinary = 'b' };
  Kind kind = Kind::kNull;
  // kText/kBinary: the value's bytes in Tuple::bytes.
  uint32_t offset = 0;
  uint32_t length = 0;
};

struct Tuple {
  std::vector<TupleValue> values;
  std::string bytes;  // every value's bytes, back to back

  std::string_view ValueBytes(size_t i) const {
    return std::string_view(bytes).substr(values[i].offset, values[i].length);
  }
};

struct Begin {
  Lsn final_lsn = 0;           // the commit record's LSN
  int64_t commit_time_us = 0;  // since 1970-01-01
  uint32_t xid = 0;
};

struct Commit {
  uint8_t flags = 0;
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;  // the end of the commit record: the position to confirm once it is durable
  int64_t commit_time_us = 0;
};

struct Origin {
  Lsn commit_lsn = 0;
  std::string name;
};

struct RelationColumn {
  bool is_key = false;  // flags bit 1: part of the replica identity
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
};

struct Relation {
  uint32_t xid = 0;  // set inside a streamed transaction, else 0
  uint32_t oid = 0;
  std::string schema;  // "" is pg_catalog
  std::string name;
  char replica_identity = 'd';  // d default, n nothing, f full, i index
  std::vector<RelationColumn> columns;
};

struct Type {
  uint32_t xid = 0;
  uint32_t oid = 0;
  std::string schema;
  std::string name;
};

struct Insert {
  uint32_t xid = 0;
  uint32_t relation_oid = 0;
  Tuple new_tuple;
};

struct Update {
  uint32_t xid = 0;
  uint32_t relation_oid = 0;
  // 'K': the old key columns (others null), 'O': the whole old row (REPLICA IDENTITY FULL),
  // 0: no old tuple was sent.
  char old_kind = 0;
  Tuple old_tuple;
  Tuple new_tuple;
};

struct Delete {
  uint32_t xid = 0;
  uint32_t relation_oid = 0;
  char old_kind = 'K';  // 'K' or 'O' as for Update
  Tuple old_tuple;
};

struct Truncate {
  uint32_t xid = 0;
  uint8_t options = 0;  // 1 CASCADE, 2 RESTART IDENTITY
  std::vector<uint32_t> relation_oids;
};

// pg_logical_emit_message.
struct Message {
  uint32_t xid = 0;
  bool transactional = false;
  Lsn lsn = 0;
  std::string prefix;
  std::string content;
};

// Protocol version 2+: a block of a large in-progress transaction. The DML messages up to the
// matching StreamStop carry `xid`.
struct StreamStart {
  uint32_t xid = 0;
  bool first_segment = false;
};
struct StreamStop {};
struct StreamCommit {
  uint32_t xid = 0;
  uint8_t flags = 0;
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;
  int64_t commit_time_us = 0;
};
struct StreamAbort {
  uint32_t xid = 0;     // the top-level transaction
  uint32_t subxid = 0;  // == xid when the whole transaction aborted
  // Protocol version 4 with parallel streaming only; 0 otherwise.
  Lsn abort_lsn = 0;
  int64_t abort_time_us = 0;
};

using Msg = std::variant<Begin, Commit, Origin, Relation, Type, Insert, Update, Delete, Truncate,
                         Message, StreamStart, StreamStop, StreamCommit, StreamAbort>;

// "Begin", "Insert", ... for messages and metrics.
std::string_view MsgName(const Msg& msg);

class PgOutputDecoder {
 public:
  // `proto_version` is the one given to START_REPLICATION (1..4): it decides the layout of
  // StreamAbort. InvalidArgument-free: a version outside 1..4 is clamped.
  explicit PgOutputDecoder(int proto_version) : proto_version_(proto_version) {}

  // Decodes one XLogData payload. Tracks StreamStart/StreamStop to know whether DML messages
  // carry a transaction id. Corruption as described in the file comment; after an error the
  // decoder's state is unchanged.
  Result<Msg> Decode(std::string_view payload);

  bool in_stream() const { return in_stream_; }

 private:
  int proto_version_;
  bool in_stream_ = false;
};

}  // namespace nilus::pgoutput
