#include "extract/postgres/pg_copy_reader.h"

#include <fmt/format.h>

#include <cstring>

#include "extract/postgres/pg_connection.h"

namespace nilus {

namespace {

constexpr uint8_t kSignature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};
constexpr size_t kHeaderFixed = 19;  // signature, flags, extension length

inline int32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return static_cast<int32_t>(__builtin_bswap32(v));
}
inline int16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return static_cast<int16_t>(__builtin_bswap16(v));
}

}  // namespace

PgCopyParser::PgCopyParser(std::string table,
                           std::vector<std::shared_ptr<const PgValueDecoder>> decoders,
                           PgDecodeOptions options)
    : table_(std::move(table)), decoders_(std::move(decoders)) {
  ctx_.options = options;
}

void PgCopyParser::Feed(const uint8_t* data, int64_t len) {
  // Drop consumed bytes first so the buffer holds at most one partial tuple plus this chunk.
  if (read_pos_ > 0) {
    const size_t left = pending_.size() - read_pos_;
    if (left > 0) std::memmove(pending_.data(), pending_.data() + read_pos_, left);
    pending_.Resize(left);
    base_offset_ += static_cast<int64_t>(read_pos_);
    read_pos_ = 0;
  }
  pending_.Append(data, static_cast<size_t>(len));
}

Status PgCopyParser::Corrupt(int64_t pos, std::string_view what) const {
  return Status::Corruption(
      fmt::format("COPY stream of {} at byte offset {}: {}", table_, base_offset_ + pos, what));
}

Result<int64_t> PgCopyParser::Decode(ColumnBatch* batch, int64_t max_rows, int64_t max_bytes) {
  const uint8_t* buf = pending_.data();
  const size_t size = pending_.size();
  size_t pos = read_pos_;
  int64_t rows = 0;
  int64_t bytes = 0;
  const int ncols = static_cast<int>(decoders_.size());
  if (batch->num_columns() != ncols) {
    return Status::Internal(fmt::format("COPY of {}: batch has {} columns, decoders {}", table_,
                                        batch->num_columns(), ncols));
  }
  if (!header_seen_) {
    if (size - pos < kHeaderFixed) return 0;
    if (std::memcmp(buf + pos, kSignature, sizeof(kSignature)) != 0) {
      return Corrupt(static_cast<int64_t>(pos), "bad binary COPY signature");
    }
    const int32_t flags = Load32(buf + pos + 11);
    // Bits 0-15 are critical format flags and bit 16 asks for OIDs: none may be set. Bits 17-31
    // are backwards-compatible and ignored.
    if ((flags & 0x1ffff) != 0) {
      return Corrupt(static_cast<int64_t>(pos + 11),
                     fmt::format("unsupported header flags {:#x}", flags));
    }
    const int32_t ext = Load32(buf + pos + 15);
    if (ext < 0) return Corrupt(static_cast<int64_t>(pos + 15), "negative header extension");
    if (size - pos < kHeaderFixed + static_cast<size_t>(ext)) return 0;
    pos += kHeaderFixed + static_cast<size_t>(ext);
    header_seen_ = true;
  }
  while (true) {
    if (trailer_seen_) {
      if (pos < size) {
        read_pos_ = pos;
        return Corrupt(static_cast<int64_t>(pos), "data after the COPY trailer");
      }
      break;
    }
    if (rows >= max_rows || bytes >= max_bytes) break;
    if (size - pos < 2) break;
    const int16_t fields = Load16(buf + pos);
    if (fields == -1) {
      trailer_seen_ = true;
      pos += 2;
      continue;
    }
    if (fields != ncols) {
      read_pos_ = pos;
      return Corrupt(static_cast<int64_t>(pos),
                     fmt::format("tuple with {} fields, expected {}", fields, ncols));
    }
    // Find the tuple's end first, so that a tuple is decoded only when it is complete.
    size_t p = pos + 2;
    bool complete = true;
    for (int i = 0; i < ncols; ++i) {
      if (size - p < 4) {
        complete = false;
        break;
      }
      const int32_t len = Load32(buf + p);
      if (len < -1) {
        read_pos_ = pos;
        return Corrupt(static_cast<int64_t>(p), fmt::format("field length {}", len));
      }
      p += 4;
      if (len > 0) {
        if (size - p < static_cast<size_t>(len)) {
          complete = false;
          break;
        }
        p += static_cast<size_t>(len);
      }
    }
    if (!complete) break;
    const size_t end = p;
    p = pos + 2;
    for (int i = 0; i < ncols; ++i) {
      const int32_t len = Load32(buf + p);
      Status st = PgDecodeValue(*decoders_[i], buf + p + 4, len, batch->mutable_column(i), &ctx_);
      if (!st.ok()) {
        read_pos_ = pos;
        return st.WithContext(
            fmt::format("COPY stream of {} at byte offset {}", table_, base_offset_ + p));
      }
      p += 4 + (len > 0 ? static_cast<size_t>(len) : 0);
    }
    bytes += static_cast<int64_t>(end - pos);
    pos = end;
    ++rows;
  }
  read_pos_ = pos;
  return rows;
}

Status PgCopyParser::Finish() const {
  if (!header_seen_) return Corrupt(static_cast<int64_t>(read_pos_), "stream ended before header");
  if (!trailer_seen_) {
    return Corrupt(static_cast<int64_t>(pending_.size()), pending_.size() > read_pos_
                                                              ? "stream ended inside a tuple"
                                                              : "stream ended without the trailer");
  }
  if (pending_.size() > read_pos_) {
    return Corrupt(static_cast<int64_t>(read_pos_), "data after the COPY trailer");
  }
  return Status::OK();
}

std::string PgCopySql(const PgTableDesc& table, std::string_view where) {
  std::string sql = "COPY (SELECT " + PgSelectList(table) + " FROM " +
                    PgConnection::QuoteIdent(table.schema_name) + "." +
                    PgConnection::QuoteIdent(table.table_name);
  if (!where.empty()) {
    sql += " WHERE ";
    sql += where;
  }
  sql += ") TO STDOUT (FORMAT binary)";
  return sql;
}

Result<std::string> PgBindLiterals(PgConnection* conn, std::string_view sql,
                                   const std::vector<std::optional<std::string>>& params) {
  std::string out;
  out.reserve(sql.size());
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      // Copy a quoted string or identifier whole; a doubled quote stays inside it.
      size_t j = i + 1;
      while (j < sql.size()) {
        if (sql[j] == c) {
          if (j + 1 < sql.size() && sql[j + 1] == c) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      if (j >= sql.size()) return Status::Invalid("unterminated quote in SQL: " + std::string(sql));
      out.append(sql.substr(i, j + 1 - i));
      i = j + 1;
      continue;
    }
    if (c == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      size_t j = i + 1;
      size_t n = 0;
      while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9' && n < 100000) {
        n = n * 10 + static_cast<size_t>(sql[j] - '0');
        ++j;
      }
      if (n == 0 || n > params.size()) {
        return Status::Invalid(fmt::format("parameter ${} but {} given", n, params.size()));
      }
      if (params[n - 1]) {
        NILUS_ASSIGN_OR_RAISE(std::string lit, conn->QuoteLiteral(*params[n - 1]));
        out += lit;
      } else {
        out += "NULL";
      }
      i = j;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

Result<std::unique_ptr<PgCopyReader>> PgCopyReader::Open(PgConnection* conn,
                                                         const PgTableDesc& table,
                                                         const std::string& copy_sql,
                                                         const PgCopyOptions& options) {
  if (options.batch_rows <= 0 || options.batch_bytes <= 0) {
    return Status::Invalid("batch_rows and batch_bytes must be positive");
  }
  std::vector<std::shared_ptr<const PgValueDecoder>> decoders;
  for (const auto& c : table.columns) decoders.push_back(c.decoder);
  NILUS_RETURN_NOT_OK_CTX(conn->BeginCopyOut(copy_sql), table.info.qualified_name);
  PgCopyParser parser(table.info.qualified_name, std::move(decoders), options.decode);
  return std::unique_ptr<PgCopyReader>(
      new PgCopyReader(conn, table.info.schema, std::move(parser), options));
}

Result<std::unique_ptr<ColumnBatch>> PgCopyReader::Next() {
  if (!error_.ok()) return error_;
  if (stream_ended_) return std::unique_ptr<ColumnBatch>();
  auto batch = std::make_unique<ColumnBatch>(schema_);
  if (last_rows_ > 0) {
    for (int c = 0; c < batch->num_columns(); ++c) {
      batch->mutable_column(c)->Reserve(last_rows_, last_value_bytes_[c]);
    }
  }
  int64_t rows = 0;
  int64_t bytes_before = parser_.stream_offset();
  auto fail = [&](Status st) -> Status {
    error_ = st;
    return st;
  };
  while (true) {
    Result<int64_t> n =
        parser_.Decode(batch.get(), options_.batch_rows - rows,
                       options_.batch_bytes - (parser_.stream_offset() - bytes_before));
    if (!n.ok()) return fail(n.status());
    rows += *n;
    if (rows >= options_.batch_rows ||
        parser_.stream_offset() - bytes_before >= options_.batch_bytes) {
      break;
    }
    const uint8_t* data = nullptr;
    int64_t len = 0;
    Result<bool> more = conn_->ReadCopyData(&data, &len);
    if (!more.ok()) return fail(more.status());
    if (!*more) {
      stream_ended_ = true;
      Status st = parser_.Finish();
      if (!st.ok()) return fail(st);
      break;
    }
    bytes_read_ += len;
    parser_.Feed(data, len);
  }
  rows_read_ += rows;
  if (rows == 0 && stream_ended_) return std::unique_ptr<ColumnBatch>();
  last_rows_ = rows;
  last_value_bytes_.resize(batch->num_columns());
  for (int c = 0; c < batch->num_columns(); ++c) {
    const Column& col = batch->column(c);
    // Fixed-width columns are reserved by row count; only variable-width bytes are remembered.
    last_value_bytes_[c] =
        FixedWidthOf(col.type_ref()) > 0 ? 0 : static_cast<int64_t>(col.value_buffer().size());
  }
  return batch;
}

}  // namespace nilus
