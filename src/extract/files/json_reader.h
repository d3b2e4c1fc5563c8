// JsonFileReader: streams the documents of a JSON Lines file or of a JSON-array file
// ("[ {...}, {...} ]") into DocumentBatches, in chunks, with bounded memory.
//
// The reader finds document boundaries; it does not parse documents into values (Normalize does,
// with simdjson). What it guarantees about every document it returns:
//  - the bytes are valid UTF-8 (checked for the whole file: invalid UTF-8 fails the read with
//    "<file>:<line>: invalid UTF-8 at byte offset <n> ...", whatever on_bad_row says);
//  - Doc.line is the 1-based line of the document's first byte, so a parse error later can be
//    reported as "<file>:<line>: malformed JSON: <what>";
//  - with validate_json, the document is well-formed JSON (simdjson DOM parse of each document;
//    costs roughly one extra parse). A malformed one fails the read, or is skipped or quarantined
//    per on_bad_row. Without validate_json, syntax errors are Normalize's to report, with
//    Doc.line, and Normalize applies on_bad_row to them.
// The layout of DocumentBatch::buffer (documents in place, JSON whitespace between them, zero
// padding at the end) is described in core/document_batch.h.
//
// JSON Lines: one document per line, LF or CRLF. Blank lines (only spaces/tabs) are skipped but
// counted. A UTF-8 byte order mark at the start of the file is ignored.
//
// JSON arrays: the top-level array's elements are the documents (objects, arrays or scalars),
// found by a scanner that tracks strings, escapes and bracket nesting across chunk boundaries;
// no DOM of the file is built. Structural errors in the array itself (a missing ',' or ']',
// mismatched brackets, text after the closing ']', a trailing comma) always fail the read, since
// the element boundaries after them cannot be trusted.
//
// Memory: the reader reads `chunk_size` bytes at a time and hands each chunk (plus the carried
// start of a document cut by the chunk end) to the caller as the batch buffer, without copying
// documents. Its own buffers stay near chunk_size, plus twice the longest document;
// peak_buffer_bytes() reports the largest. A document longer than max_record_bytes fails.
//
// Not thread-safe: one thread calls Next() at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/document_batch.h"
#include "core/result.h"
#include "extract/files/chunked_input.h"
#include "storage/file_io.h"

namespace simdjson::dom {
class parser;
}  // namespace simdjson::dom

namespace nilus {

enum class JsonFileFormat {
  // A path ending in .jsonl, .ndjson or .jsonlines is kLines; otherwise '[' as the first byte
  // that is not whitespace (after a BOM) means kArray.
  kAuto,
  kLines,
  kArray,
};

struct JsonReadOptions {
  JsonFileFormat format = JsonFileFormat::kAuto;
  // Bytes read per I/O and the target size of a batch's buffer.
  size_t chunk_size = size_t{8} << 20;
  // At most this many documents per batch.
  size_t max_batch_records = 100000;
  // A longer document (or line) fails the read: it is likely not the format the user meant.
  size_t max_record_bytes = size_t{256} << 20;
  OnBadRow on_bad_row = OnBadRow::kFail;
  // Check each document is well-formed JSON (see above).
  bool validate_json = false;
};

class JsonFileReader {
 public:
  // Opens `path` through `io` (which must outlive the reader). No bytes are read yet.
  // InvalidArgument for bad options, NotFound for a missing file.
  static Result<std::unique_ptr<JsonFileReader>> Open(FileIO* io, const std::string& path,
                                                      const JsonReadOptions& options = {});
  ~JsonFileReader();

  // The next batch, or nullptr after the last one. A returned batch holds at least one document
  // or one quarantined record. After an error the reader is finished: further calls return the
  // same error.
  Result<std::unique_ptr<DocumentBatch>> Next();

  // The detected (or configured) format; kAuto until the first non-whitespace byte was read.
  JsonFileFormat format() const { return format_; }
  const std::string& path() const;
  int64_t bytes_read() const;
  int64_t records_read() const { return records_read_; }
  // Records dropped under on_bad_row = skip or quarantine.
  int64_t bad_records_seen() const { return bad_records_seen_; }
  // The largest capacity of a buffer this reader allocated (batch buffers included).
  size_t peak_buffer_bytes() const { return peak_buffer_bytes_; }

 private:
  struct ArrayState;
  JsonFileReader(std::unique_ptr<ChunkedInput> input, const JsonReadOptions& options);

  Result<std::unique_ptr<DocumentBatch>> NextImpl();
  Status Fill(std::string* buf);
  void DropPrefix(std::string* buf, size_t n);
  Status Prepare(std::string* buf);
  Status ScanLines(std::string* buf, DocumentBatch* batch, size_t* consumed,
                   int64_t* consumed_line);
  Status ScanArray(std::string* buf, DocumentBatch* batch, size_t* consumed,
                   int64_t* consumed_line);
  Status ArrayError(const std::string& buf, size_t pos, int64_t line, std::string_view what) const;
  Status Validate(DocumentBatch* batch);

  std::unique_ptr<ChunkedInput> input_;
  JsonReadOptions options_;
  JsonFileFormat format_;
  // Bytes read but not yet handed out. They start at a document boundary (or in top-level
  // whitespace); their first byte is at file offset base_offset_, on line base_line_.
  std::string pending_;
  int64_t base_offset_ = 0;
  int64_t base_line_ = 1;
  bool prepared_ = false;  // BOM and format handled
  std::unique_ptr<ArrayState> array_;
  std::unique_ptr<simdjson::dom::parser> parser_;  // only with validate_json
  Status error_;
  bool done_ = false;
  int64_t records_read_ = 0;
  int64_t bad_records_seen_ = 0;
  size_t peak_buffer_bytes_ = 0;
  size_t expected_docs_ = 0;  // the most documents a batch has had, to size the next one
};

}  // namespace nilus
