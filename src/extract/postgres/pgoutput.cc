#include "extract/postgres/pgoutput.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "extract/postgres/pg_binary.h"

namespace nilus::pgoutput {

namespace {

// PostgreSQL's TimestampTz is microseconds since 2000-01-01. Saturate rather than overflow: the
// server sends +-infinity as INT64_MAX/MIN, and a corrupt value must not be undefined behaviour.
int64_t PgToUnixMicros(int64_t pg_us) {
  if (pg_us > std::numeric_limits<int64_t>::max() - kPgEpochMicros) {
    return std::numeric_limits<int64_t>::max();
  }
  return pg_us + kPgEpochMicros;
}

int64_t UnixToPgMicros(int64_t unix_us) {
  if (unix_us < std::numeric_limits<int64_t>::min() + kPgEpochMicros) {
    return std::numeric_limits<int64_t>::min();
  }
  return unix_us - kPgEpochMicros;
}

void Put64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

// Reads the big-endian fields of one message. The first failure sticks: later reads return
// zeros, so a fixed layout can be read straight through and checked once at Finish(). Loops
// whose length came from the message must check ok() themselves.
class Reader {
 public:
  // `layer` and `name` name the message in errors, e.g. "pgoutput" and "Insert" (two views, so
  // that naming costs nothing until an error is formatted).
  Reader(std::string_view data, std::string_view layer, std::string_view name)
      : data_(data), layer_(layer), name_(name) {}

  bool ok() const { return error_.empty(); }
  std::string_view data() const { return data_; }
  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

  uint8_t U8() { return Need(1) ? static_cast<uint8_t>(data_[pos_++]) : 0; }
  char Char() { return static_cast<char>(U8()); }
  int16_t I16() { return static_cast<int16_t>(Load(2)); }
  uint32_t U32() { return static_cast<uint32_t>(Load(4)); }
  int32_t I32() { return static_cast<int32_t>(Load(4)); }
  uint64_t U64() { return Load(8); }
  int64_t I64() { return static_cast<int64_t>(Load(8)); }

  std::string_view Bytes(size_t n) {
    if (!Need(n)) return {};
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  // PostgreSQL's String: bytes up to a NUL terminator.
  std::string CString() {
    if (!ok()) return {};
    size_t end = data_.find('\0', pos_);
    if (end == std::string_view::npos) {
      Fail("string without NUL terminator");
      return {};
    }
    std::string out(data_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return out;
  }

  // Records a failure (only the first one is kept) in the field that starts `back` bytes
  // before the current offset: errors point at the bad field, not past it.
  void Fail(std::string detail, size_t back = 0) {
    if (!ok()) return;
    error_ = std::move(detail);
    error_pos_ = pos_ - std::min(back, pos_);
  }

  // The first failure, else Corruption for bytes left over after a complete message.
  Status Finish() const {
    if (!ok()) return Error(error_pos_, error_);
    if (remaining() != 0) {
      return Error(pos_, fmt::format("{} trailing bytes after the message", remaining()));
    }
    return Status::OK();
  }

  // "pgoutput Insert message at byte 9: ... (11-byte message)".
  Status Error(size_t pos, std::string_view detail) const {
    return Status::Corruption(fmt::format("{} {} message at byte {}: {} ({}-byte message)", layer_,
                                          name_, pos, detail, data_.size()));
  }

 private:
  bool Need(size_t n) {
    if (!ok()) return false;
    if (remaining() < n) {
      Fail(fmt::format("truncated, need {} bytes and {} are left", n, remaining()));
      return false;
    }
    return true;
  }

  uint64_t Load(size_t n) {
    if (!Need(n)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += n;
    return v;
  }

  std::string_view data_;
  std::string_view layer_;
  std::string_view name_;
  size_t pos_ = 0;
  std::string error_;  // empty while no read failed
  size_t error_pos_ = 0;
};

// TupleData: Int16 column count, then per column a kind byte and, for text and binary, an
// Int32 length and the bytes.
void ReadTuple(Reader& r, Tuple* tuple) {
  int16_t count = r.I16();
  if (!r.ok()) return;
  // Every column takes at least its kind byte: a count beyond that is corrupt, and checking it
  // first keeps a garbage count from reserving memory.
  if (count < 0 || static_cast<size_t>(count) > r.remaining()) {
    r.Fail(
        fmt::format("tuple column count {} does not fit the {} bytes left", count, r.remaining()),
        2);
    return;
  }
  // First pass: validate, and keep each value's offset in the message (it fits 32 bits: Decode
  // rejects larger messages); the second pass copies all bytes with one allocation.
  tuple->values.resize(count);
  size_t total = 0;
  for (int i = 0; i < count && r.ok(); ++i) {
    TupleValue& v = tuple->values[i];
    char kind = r.Char();
    switch (kind) {
      case 'n':
        v.kind = TupleValue::Kind::kNull;
        break;
      case 'u':
        v.kind = TupleValue::Kind::kUnchanged;
        break;
      case 't':
      case 'b': {
        v.kind = kind == 't' ? TupleValue::Kind::kText : TupleValue::Kind::kBinary;
        int32_t len = r.I32();
        if (!r.ok()) break;
        if (len < 0 || static_cast<size_t>(len) > r.remaining()) {
          r.Fail(fmt::format("column {} length {} does not fit the {} bytes left", i, len,
                             r.remaining()),
                 4);
          break;
        }
        v.offset = static_cast<uint32_t>(r.pos());
        v.length = static_cast<uint32_t>(len);
        r.Bytes(v.length);
        total += v.length;
        break;
      }
      default:
        if (r.ok()) {
          r.Fail(fmt::format("unknown tuple column kind 0x{:02x} for column {}",
                             static_cast<uint8_t>(kind), i),
                 1);
        }
        break;
    }
  }
  if (!r.ok()) return;
  tuple->bytes.reserve(total);
  for (TupleValue& v : tuple->values) {
    if (v.kind != TupleValue::Kind::kText && v.kind != TupleValue::Kind::kBinary) continue;
    std::string_view src = r.data().substr(v.offset, v.length);
    v.offset = static_cast<uint32_t>(tuple->bytes.size());
    tuple->bytes.append(src);
  }
}

// The name of a pgoutput message type byte, for errors; "" when unknown.
std::string_view TypeByteName(char type) {
  switch (type) {
    case 'B':
      return "Begin";
    case 'C':
      return "Commit";
    case 'O':
      return "Origin";
    case 'R':
      return "Relation";
    case 'Y':
      return "Type";
    case 'I':
      return "Insert";
    case 'U':
      return "Update";
    case 'D':
      return "Delete";
    case 'T':
      return "Truncate";
    case 'M':
      return "Message";
    case 'S':
      return "StreamStart";
    case 'E':
      return "StreamStop";
    case 'c':
      return "StreamCommit";
    case 'A':
      return "StreamAbort";
    // Two-phase commit (protocol version 3 with the two_phase option).
    case 'b':
      return "BeginPrepare";
    case 'P':
      return "Prepare";
    case 'K':
      return "CommitPrepared";
    case 'r':
      return "RollbackPrepared";
    case 'p':
      return "StreamPrepare";
    default:
      return "";
  }
}

std::string DescribeTypeByte(char type) {
  auto byte = static_cast<uint8_t>(type);
  if (byte >= 0x20 && byte < 0x7f) return fmt::format("'{}' (0x{:02x})", type, byte);
  return fmt::format("0x{:02x}", byte);
}

}  // namespace

Result<ReplicationMessage> ParseReplicationMessage(std::string_view copy_data) {
  if (copy_data.empty()) return Status::Corruption("replication message at byte 0: empty CopyData");
  switch (copy_data[0]) {
    case 'w': {
      Reader r(copy_data, "replication", "XLogData");
      r.U8();
      XLogData m;
      m.wal_start = r.U64();
      m.wal_end = r.U64();
      m.send_time_us = PgToUnixMicros(r.I64());
      // The payload is the rest, so there are never trailing bytes.
      m.payload = r.Bytes(r.remaining());
      NILUS_RETURN_NOT_OK(r.Finish());
      return ReplicationMessage(m);
    }
    case 'k': {
      Reader r(copy_data, "replication", "Keepalive");
      r.U8();
      Keepalive m;
      m.wal_end = r.U64();
      m.send_time_us = PgToUnixMicros(r.I64());
      m.reply_requested = r.U8() != 0;
      NILUS_RETURN_NOT_OK(r.Finish());
      return ReplicationMessage(m);
    }
    default:
      return Status::Corruption(
          fmt::format("replication message at byte 0: unknown CopyData type {} ({}-byte message)",
                      DescribeTypeByte(copy_data[0]), copy_data.size()));
  }
}

std::string EncodeStandbyStatus(Lsn written, Lsn flushed, Lsn applied, int64_t now_us,
                                bool reply_requested) {
  std::string out;
  out.reserve(34);
  out.push_back('r');
  Put64(&out, written);
  Put64(&out, flushed);
  Put64(&out, applied);
  Put64(&out, static_cast<uint64_t>(UnixToPgMicros(now_us)));
  out.push_back(reply_requested ? 1 : 0);
  return out;
}

std::string_view MsgName(const Msg& msg) {
  // In the order of the Msg alternatives.
  static constexpr std::string_view kNames[] = {
      "Begin",  "Commit",   "Origin",  "Relation",    "Type",       "Insert",       "Update",
      "Delete", "Truncate", "Message", "StreamStart", "StreamStop", "StreamCommit", "StreamAbort"};
  static_assert(std::size(kNames) == std::variant_size_v<Msg>);
  return kNames[msg.index()];
}

Result<Msg> PgOutputDecoder::Decode(std::string_view payload) {
  if (payload.empty()) return Status::Corruption("pgoutput message at byte 0: empty");
  // Tuple offsets are 32-bit; PostgreSQL's messages stay below 1 GiB.
  if (payload.size() > std::numeric_limits<uint32_t>::max()) {
    return Status::Corruption(
        fmt::format("pgoutput message at byte 0: {} bytes is too large", payload.size()));
  }
  const char type = payload[0];
  std::string_view name = TypeByteName(type);
  if (name.empty()) {
    return Status::Corruption(
        fmt::format("pgoutput message at byte 0: unknown type {} ({}-byte message)",
                    DescribeTypeByte(type), payload.size()));
  }
  Reader r(payload, "pgoutput", name);
  r.U8();
  const int version = proto_version_ < 1 ? 1 : (proto_version_ > 4 ? 4 : proto_version_);
  // Inside a StreamStart..StreamStop block, DML, Relation, Type, Truncate and Message carry the
  // streamed transaction's xid right after the type byte.
  auto stream_xid = [&]() -> uint32_t { return in_stream_ ? r.U32() : 0; };
  bool next_in_stream = in_stream_;
  Msg msg;

  switch (type) {
    case 'B': {
      if (in_stream_) {
        return r.Error(0, "Begin inside a streamed block (StreamStart without StreamStop)");
      }
      Begin m;
      m.final_lsn = r.U64();
      m.commit_time_us = PgToUnixMicros(r.I64());
      m.xid = r.U32();
      msg = m;
      break;
    }
    case 'C': {
      if (in_stream_) return r.Error(0, "Commit inside a streamed block");
      Commit m;
      m.flags = r.U8();
      m.commit_lsn = r.U64();
      m.end_lsn = r.U64();
      m.commit_time_us = PgToUnixMicros(r.I64());
      msg = m;
      break;
    }
    case 'O': {
      Origin m;
      m.commit_lsn = r.U64();
      m.name = r.CString();
      msg = std::move(m);
      break;
    }
    case 'R': {
      Relation m;
      m.xid = stream_xid();
      m.oid = r.U32();
      m.schema = r.CString();
      m.name = r.CString();
      m.replica_identity = r.Char();
      if (r.ok() && std::strchr("dnfi", m.replica_identity) == nullptr) {
        r.Fail(fmt::format("unknown replica identity {}", DescribeTypeByte(m.replica_identity)), 1);
      }
      int16_t count = r.I16();
      // A column takes at least 10 bytes: flags, an empty name's NUL, type oid, type modifier.
      if (r.ok() && (count < 0 || static_cast<size_t>(count) * 10 > r.remaining())) {
        r.Fail(fmt::format("column count {} does not fit the {} bytes left", count, r.remaining()),
               2);
      }
      if (r.ok()) m.columns.resize(count);
      for (int i = 0; i < count && r.ok(); ++i) {
        RelationColumn& c = m.columns[i];
        c.is_key = (r.U8() & 1) != 0;
        c.name = r.CString();
        c.type_oid = r.U32();
        c.type_modifier = r.I32();
      }
      msg = std::move(m);
      break;
    }
    case 'Y': {
      Type m;
      m.xid = stream_xid();
      m.oid = r.U32();
      m.schema = r.CString();
      m.name = r.CString();
      msg = std::move(m);
      break;
    }
    case 'I': {
      Insert m;
      m.xid = stream_xid();
      m.relation_oid = r.U32();
      char marker = r.Char();
      if (r.ok() && marker != 'N') {
        r.Fail(fmt::format("expected 'N' before the new tuple, got {}", DescribeTypeByte(marker)),
               1);
      }
      if (r.ok()) ReadTuple(r, &m.new_tuple);
      msg = std::move(m);
      break;
    }
    case 'U': {
      Update m;
      m.xid = stream_xid();
      m.relation_oid = r.U32();
      char marker = r.Char();
      if (r.ok() && (marker == 'K' || marker == 'O')) {
        m.old_kind = marker;
        ReadTuple(r, &m.old_tuple);
        marker = r.Char();
      }
      if (r.ok() && marker != 'N') {
        r.Fail(fmt::format("expected 'K', 'O' or 'N' before a tuple, got {}",
                           DescribeTypeByte(marker)),
               1);
      }
      if (r.ok()) ReadTuple(r, &m.new_tuple);
      msg = std::move(m);
      break;
    }
    case 'D': {
      Delete m;
      m.xid = stream_xid();
      m.relation_oid = r.U32();
      char marker = r.Char();
      if (r.ok() && marker != 'K' && marker != 'O') {
        r.Fail(fmt::format("expected 'K' or 'O' before the old tuple, got {}",
                           DescribeTypeByte(marker)),
               1);
      }
      m.old_kind = marker;
      if (r.ok()) ReadTuple(r, &m.old_tuple);
      msg = std::move(m);
      break;
    }
    case 'T': {
      Truncate m;
      m.xid = stream_xid();
      int32_t count = r.I32();
      m.options = r.U8();
      if (r.ok() && (count < 0 || static_cast<size_t>(count) * 4 > r.remaining())) {
        r.Fail(
            fmt::format("relation count {} does not fit the {} bytes left", count, r.remaining()),
            5);
      }
      if (r.ok()) {
        m.relation_oids.resize(count);
        for (uint32_t& oid : m.relation_oids) oid = r.U32();
      }
      msg = std::move(m);
      break;
    }
    case 'M': {
      Message m;
      m.xid = stream_xid();
      m.transactional = (r.U8() & 1) != 0;
      m.lsn = r.U64();
      m.prefix = r.CString();
      int32_t len = r.I32();
      if (r.ok() && (len < 0 || static_cast<size_t>(len) > r.remaining())) {
        r.Fail(fmt::format("content length {} does not fit the {} bytes left", len, r.remaining()),
               4);
      }
      if (r.ok()) m.content = std::string(r.Bytes(static_cast<size_t>(len)));
      msg = std::move(m);
      break;
    }
    case 'S': {
      // The same checks as PostgreSQL's apply worker: stream blocks neither nest nor interleave.
      if (in_stream_) return r.Error(0, "StreamStart inside a streamed block (no StreamStop)");
      StreamStart m;
      m.xid = r.U32();
      m.first_segment = r.U8() != 0;
      next_in_stream = true;
      msg = m;
      break;
    }
    case 'E': {
      if (!in_stream_) return r.Error(0, "StreamStop without StreamStart");
      next_in_stream = false;
      msg = StreamStop{};
      break;
    }
    case 'c': {
      if (in_stream_) return r.Error(0, "StreamCommit inside a streamed block (no StreamStop)");
      StreamCommit m;
      m.xid = r.U32();
      m.flags = r.U8();
      m.commit_lsn = r.U64();
      m.end_lsn = r.U64();
      m.commit_time_us = PgToUnixMicros(r.I64());
      msg = m;
      break;
    }
    case 'A': {
      if (in_stream_) return r.Error(0, "StreamAbort inside a streamed block (no StreamStop)");
      StreamAbort m;
      m.xid = r.U32();
      m.subxid = r.U32();
      // Version 4 adds the abort LSN and time only with streaming = parallel; the message does
      // not say which, so its length decides.
      if (r.ok() && version >= 4 && r.remaining() == 16) {
        m.abort_lsn = r.U64();
        m.abort_time_us = PgToUnixMicros(r.I64());
      }
      msg = m;
      break;
    }
    default:
      // Two-phase messages: known, but Nilus never asks for them (no two_phase option).
      return Status::NotImplemented(fmt::format(
          "pgoutput {} message: two-phase commit messages are not supported (the slot must not "
          "be created with two_phase)",
          name));
  }
  NILUS_RETURN_NOT_OK(r.Finish());
  in_stream_ = next_in_stream;
  return msg;
}

}  // namespace nilus::pgoutput
