// CsvFileReader: streams the rows of a CSV file (RFC 4180) into TextBatches, in chunks, with
// bounded memory. Types are not decided here: cells are text, Normalize infers.
//
// The dialect:
//  - fields are separated by `delimiter` (',' by default; ';', '\t', '|' or any other byte that
//    is not the quote, CR or LF) and rows end with LF or CRLF;
//  - a field that starts with `quote` is quoted: it may hold delimiters, line ends and doubled
//    quotes (""), which stand for one quote. After the closing quote only a delimiter or the
//    row end may follow; anything else makes the row bad ("unexpected 'x' after a closing
//    quote"). A quote inside an unquoted field is an ordinary character. quote = '\0' turns
//    quoting off;
//  - an empty unquoted field is null when empty_is_null (the default); a quoted empty field ("")
//    is always the empty string;
//  - a UTF-8 byte order mark at the start of the file is skipped;
//  - blank lines are skipped (counted for line numbers) when the file has more than one column;
//    with a single column an empty line is a row with one empty (null) field;
//  - the file must be UTF-8: anything else fails with "<file>:<line>: invalid UTF-8 at byte
//    offset <n> ...", whatever on_bad_row says.
//
// Column names: with has_header the first row is the header. Given column_names take
// precedence (the header row, if any, is then skipped unread). Without either, the names are
// column_1 .. column_n, n taken from the first row. An empty header name becomes column_<i>
// (its 1-based position); a duplicate name is InvalidArgument "<file>:<line>: duplicate column
// name 'x' (columns 2 and 5)". Names are as written: Normalize turns them into identifiers.
//
// Bad rows (a field count other than the header's, text after a closing quote) follow
// on_bad_row: fail with InvalidArgument "<file>:<line>: 5 fields, expected 4", skip, or
// quarantine into TextBatch::bad_records with the raw row text. An unterminated quoted field at
// the end of the file always fails (nothing after it can be trusted), as does a row longer than
// max_record_bytes (usually a stray quote).
//
// Memory: the reader reads chunk_size bytes at a time; the chunk becomes the batch buffer and
// cells are unescaped in place, so cell text is not copied. The reader's buffers stay near
// chunk_size plus twice the longest row; peak_buffer_bytes() reports the largest.
//
// Not thread-safe: one thread calls Next() at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/document_batch.h"
#include "core/result.h"
#include "extract/files/chunked_input.h"
#include "storage/file_io.h"

namespace nilus {

struct CsvReadOptions {
  char delimiter = ',';
  char quote = '"';  // '\0': no quoting
  bool has_header = true;
  std::vector<std::string> column_names;  // given names (see above)
  bool empty_is_null = true;
  // Bytes read per I/O and the target size of a batch's buffer (at most 1 GiB).
  size_t chunk_size = size_t{8} << 20;
  size_t max_batch_records = 100000;
  // A longer row fails the read (at most 1 GiB).
  size_t max_record_bytes = size_t{64} << 20;
  OnBadRow on_bad_row = OnBadRow::kFail;
};

class CsvFileReader {
 public:
  // Opens `path` through `io` (which must outlive the reader) and reads the header row (or the
  // first row, to count columns). InvalidArgument for bad options or a bad header, NotFound for
  // a missing file. An empty file has no columns and no rows: it is InvalidArgument unless
  // column names are given.
  static Result<std::unique_ptr<CsvFileReader>> Open(FileIO* io, const std::string& path,
                                                     const CsvReadOptions& options = {});

  const std::vector<std::string>& column_names() const { return column_names_; }

  // The next batch, or nullptr after the last one. A returned batch holds at least one row or
  // one quarantined record. After an error the reader is finished: further calls return the
  // same error.
  Result<std::unique_ptr<TextBatch>> Next();

  const std::string& path() const { return input_->path(); }
  int64_t bytes_read() const { return input_->position(); }
  int64_t records_read() const { return records_read_; }
  // Rows dropped under on_bad_row = skip or quarantine.
  int64_t bad_records_seen() const { return bad_records_seen_; }
  // The largest capacity of a buffer this reader allocated (batch buffers included).
  size_t peak_buffer_bytes() const { return peak_buffer_bytes_; }

 private:
  struct FieldSpan {
    uint32_t begin;  // raw bytes, quotes included
    uint32_t end;
    bool quoted;
  };
  enum class Scan { kRow, kNeedMore, kEnd };

  CsvFileReader(std::unique_ptr<ChunkedInput> input, const CsvReadOptions& options);

  Status ReadHeader();
  Result<std::unique_ptr<TextBatch>> NextImpl();
  // Scans the row that starts at `start` of `buf` into fields_. On kRow, *next is the start of
  // the following row, *line_ends the number of LFs the row spans (its own included), and
  // *bad_reason is non-empty when the row is malformed.
  Result<Scan> ScanRow(const std::string& buf, size_t start, int64_t line, size_t* next,
                       int64_t* line_ends, std::string* bad_reason);
  Status Fill(std::string* buf, size_t partial_row_bytes);
  void DropPrefix(std::string* buf, size_t n);
  bool IsBlankRow() const;
  // InvalidArgument naming the first byte of buf[0, end) that is not UTF-8, if any. buf must be
  // as read (not yet unescaped), starting at base_offset_.
  Status CheckUtf8(const std::string& buf, size_t end) const;
  std::string FieldText(const std::string& buf, const FieldSpan& f) const;

  std::unique_ptr<ChunkedInput> input_;
  CsvReadOptions options_;
  std::vector<std::string> column_names_;
  std::vector<FieldSpan> fields_;  // reused row by row
  // Bytes read but not yet handed out, starting at a row boundary; their first byte is at file
  // offset base_offset_, on line base_line_.
  std::string pending_;
  int64_t base_offset_ = 0;
  int64_t base_line_ = 1;
  Status error_;
  bool done_ = false;
  int64_t records_read_ = 0;
  int64_t bad_records_seen_ = 0;
  size_t peak_buffer_bytes_ = 0;
  size_t expected_rows_ = 0;  // the most rows a batch has had, to size the next one
};

}  // namespace nilus
