// DocumentBatch: a batch of row-shaped source records (JSON documents) on their way from a file
// reader (extract) to Normalize, which parses, flattens and turns them into columns.
//
// TextBatch: rows of untyped text fields (CSV) whose types Normalize infers.
//
// Both keep where each record came from, so that errors can name the file and line, and both
// carry the records a reader set aside under `on_bad_row: quarantine` (BadRecord), so that the
// quarantine rows travel with the data of the same batch and land in the same load.
//
// Neither type is thread-safe; a batch is owned by one stage at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nilus {

// A record a reader could not use and set aside instead of failing the run.
struct BadRecord {
  std::string source;  // file (or other source) name
  int64_t line = 0;    // 1-based line of the record's first byte
  std::string raw;     // the record's bytes as they were in the file (without the line end)
  std::string reason;  // e.g. "5 fields, expected 4" or "malformed JSON: ..."
};

struct DocumentBatch {
  // The file (or other source) the documents were read from, for messages.
  std::string source;
  // The documents' bytes, in file order. Layout guarantees, for a parser:
  //  - every byte of `buffer` that is not inside a document is JSON whitespace (a reader
  //    blanks the separators of a JSON array and any skipped line with spaces), so the range
  //    from the first document to the end may also be handed to a multi-document parser
  //    (simdjson iterate_many), which finds the same documents as long as each is one JSON
  //    value (a malformed line such as `1 2` would count as two there);
  //  - `buffer` ends with kPadding zero bytes after the last document, so for every document
  //    at least kPadding readable bytes follow its end (simdjson needs SIMDJSON_PADDING = 64).
  // Readers do not copy documents one by one: the buffer is the file chunk itself.
  std::string buffer;
  static constexpr size_t kPadding = 64;
  struct Doc {
    uint64_t offset = 0;  // into buffer
    uint32_t length = 0;  // without the line end or any surrounding whitespace
    // 1-based line of the document's first byte in `source`. A parser that rejects the
    // document reports "<source>:<line>: malformed JSON: <reason>".
    int64_t line = 0;
  };
  std::vector<Doc> docs;
  // Records set aside under on_bad_row = quarantine (never part of `docs`).
  std::vector<BadRecord> bad_records;

  std::string_view DocText(size_t i) const {
    return std::string_view(buffer).substr(docs[i].offset, docs[i].length);
  }
  // Readable bytes from the start of document i to the end of the buffer (>= length + kPadding),
  // the `capacity` a padded parser needs.
  size_t DocCapacity(size_t i) const { return buffer.size() - docs[i].offset; }
  size_t size() const { return docs.size(); }
};

struct TextBatch {
  std::string source;
  // Column names from the header row (or given), in file order. Every row has exactly this many
  // cells (rows with another count are failed, skipped or quarantined by the reader).
  std::vector<std::string> column_names;
  // Cell text, unescaped (a CSV reader has removed the quotes and collapsed doubled quotes), in
  // `buffer` at cells[i]. Row-major: cell (row, col) is cells[row * column_names.size() + col].
  // The buffer is the file chunk itself, edited in place, so bytes between cells are leftovers.
  std::string buffer;
  struct CellRef {
    uint32_t offset = 0;  // into buffer
    uint32_t length = 0;
  };
  std::vector<CellRef> cells;
  // 1 where the cell is null (an empty unquoted field, when the reader treats it as null);
  // a null cell has length 0. nulls.size() == cells.size().
  std::vector<uint8_t> nulls;
  std::vector<int64_t> lines;  // 1-based line of each row's first byte
  // Rows set aside under on_bad_row = quarantine (never part of the rows above).
  std::vector<BadRecord> bad_records;

  size_t rows() const { return lines.size(); }
  size_t columns() const { return column_names.size(); }
  std::string_view Cell(size_t row, size_t col) const {
    const CellRef& c = cells[row * column_names.size() + col];
    return std::string_view(buffer).substr(c.offset, c.length);
  }
  bool IsNull(size_t row, size_t col) const { return nulls[row * column_names.size() + col] != 0; }
};

}  // namespace nilus
