// Reading `COPY (SELECT ...) TO STDOUT (FORMAT binary)` straight into ColumnBatches.
//
// PgCopyParser is the stream parser, independent of libpq (tests feed it bytes). PgCopyReader
// runs the COPY on a connection and drives the parser as a BatchReader.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/buffer.h"
#include "extract/batch_source.h"
#include "extract/postgres/pg_binary.h"
#include "extract/postgres/pg_types.h"

namespace nilus {

class PgConnection;

// Parses the binary COPY format: the 19-byte header (signature, flags, extension), tuples
// (int16 field count, then per field an int32 length, -1 for NULL, and the bytes) and the
// trailer (field count -1). Bytes may arrive in chunks of any size. Not thread-safe.
class PgCopyParser {
 public:
  // `table` names the source in messages. One decoder per field, in order.
  PgCopyParser(std::string table, std::vector<std::shared_ptr<const PgValueDecoder>> decoders,
               PgDecodeOptions options = {});

  // Buffers stream bytes; a tuple is decoded only once all of its bytes are present.
  void Feed(const uint8_t* data, int64_t len);

  // Decodes buffered complete tuples into `batch` (whose columns match the decoders), stopping
  // after `max_rows` rows or once `max_bytes` bytes of tuples were decoded. Returns the number
  // of rows decoded. Errors: Corruption naming the table and the stream byte offset for a bad
  // header, a wrong field count, a malformed value or data after the trailer; TypeError (with
  // the same context) when a value does not fit its column.
  Result<int64_t> Decode(ColumnBatch* batch, int64_t max_rows, int64_t max_bytes);

  // At the end of the stream: Corruption unless the header and trailer were seen and no bytes
  // are left over.
  Status Finish() const;

  bool saw_trailer() const { return trailer_seen_; }
  // Bytes of the stream consumed by Decode so far.
  int64_t stream_offset() const { return base_offset_ + static_cast<int64_t>(read_pos_); }
  const PgDecodeStats& stats() const { return ctx_.stats; }

 private:
  Status Corrupt(int64_t pos, std::string_view what) const;

  std::string table_;
  std::vector<std::shared_ptr<const PgValueDecoder>> decoders_;
  PgDecodeContext ctx_;
  Buffer pending_;
  size_t read_pos_ = 0;      // start of unconsumed bytes in pending_
  int64_t base_offset_ = 0;  // stream offset of pending_[0]
  bool header_seen_ = false;
  bool trailer_seen_ = false;
};

struct PgCopyOptions {
  // A batch ends after this many rows or this many wire bytes, whichever comes first.
  int64_t batch_rows = 64 * 1024;
  int64_t batch_bytes = 32LL << 20;
  PgDecodeOptions decode;
};

// `COPY (SELECT <columns with casts> FROM "schema"."table" [WHERE <where>]) TO STDOUT
// (FORMAT binary)`. `where` is inserted as given (it may come from PgBindLiterals).
std::string PgCopySql(const PgTableDesc& table, std::string_view where = {});

// COPY takes no bind parameters, so $1..$n in `sql` (outside '...' strings and "..."
// identifiers; dollar-quoted strings and comments are not recognized, so keep them out) are
// replaced by literals quoted on `conn` (PQescapeLiteral; nullopt becomes NULL). The untyped
// literal takes the type of what it is compared with. InvalidArgument for $n beyond `params`.
Result<std::string> PgBindLiterals(PgConnection* conn, std::string_view sql,
                                   const std::vector<std::optional<std::string>>& params);

// Runs one COPY on a connection and returns its rows as batches. Not thread-safe.
class PgCopyReader : public BatchReader {
 public:
  // Starts `copy_sql` (see PgCopySql) on `conn`, which is borrowed: it must outlive the reader
  // and run nothing else until Next() returned nullptr or an error.
  static Result<std::unique_ptr<PgCopyReader>> Open(PgConnection* conn, const PgTableDesc& table,
                                                    const std::string& copy_sql,
                                                    const PgCopyOptions& options = {});

  SchemaPtr schema() const override { return schema_; }
  Result<std::unique_ptr<ColumnBatch>> Next() override;
  int64_t bytes_read() const override { return bytes_read_; }
  int64_t rows_read() const override { return rows_read_; }
  const PgDecodeStats& stats() const { return parser_.stats(); }

 private:
  PgCopyReader(PgConnection* conn, SchemaPtr schema, PgCopyParser parser, PgCopyOptions options)
      : conn_(conn), schema_(std::move(schema)), parser_(std::move(parser)), options_(options) {}

  PgConnection* conn_;
  SchemaPtr schema_;
  PgCopyParser parser_;
  PgCopyOptions options_;
  bool stream_ended_ = false;
  Status error_;  // the first error; returned again by later calls
  int64_t bytes_read_ = 0;
  int64_t rows_read_ = 0;
  // The previous batch's rows and value bytes per column: the next batch reserves that much up
  // front, so its buffers are not regrown (and copied) row by row.
  int64_t last_rows_ = 0;
  std::vector<int64_t> last_value_bytes_;
};

}  // namespace nilus
