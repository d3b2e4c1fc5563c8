// DocumentBatch: a batch of row-shaped source records (JSON documents) on their way from a file
// reader (extract) to Normalize, which parses, flattens and turns them into columns.
//
// TextBatch: rows of untyped text fields (CSV) whose types Normalize infers.
//
// Both keep where each record came from, so that errors can name the file and line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nilus {

struct DocumentBatch {
  // The file (or other source) the documents were read from, for messages.
  std::string source;
  // The documents' bytes, back to back. `padding` zero bytes follow the last document so that
  // SIMD parsers (simdjson needs 64) may read past the end.
  std::string buffer;
  static constexpr size_t kPadding = 64;
  struct Doc {
    uint64_t offset = 0;  // into buffer
    uint32_t length = 0;
    int64_t line = 0;  // 1-based line of the document's first byte in `source`
  };
  std::vector<Doc> docs;

  std::string_view DocText(size_t i) const {
    return std::string_view(buffer).substr(docs[i].offset, docs[i].length);
  }
  size_t size() const { return docs.size(); }
};

struct TextBatch {
  std::string source;
  // Column names from the header row (or given), in file order.
  std::vector<std::string> column_names;
  // Row-major cells; a null cell (an empty unquoted field, when the reader treats it as null) is
  // marked in `nulls`. cells.size() == nulls.size() == rows() * column_names.size().
  std::vector<std::string> cells;
  std::vector<bool> nulls;
  std::vector<int64_t> lines;  // 1-based line of each row's first byte

  size_t rows() const { return lines.size(); }
  std::string_view Cell(size_t row, size_t col) const {
    return cells[row * column_names.size() + col];
  }
  bool IsNull(size_t row, size_t col) const { return nulls[row * column_names.size() + col]; }
};

}  // namespace nilus
