#include "extract/files/json_reader.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace nilus {

namespace {

inline bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// A short, printable quote of the byte at an error.
std::string QuoteByte(char c) {
  if (c >= 0x20 && c < 0x7F) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02X}", static_cast<unsigned char>(c));
}

}  // namespace

// Where the scan of a JSON-array file stands between batches. A batch always ends at an element
// boundary or in top-level whitespace, so nothing inside an element needs to be carried.
struct JsonFileReader::ArrayState {
  enum Top {
    kBeforeArray,   // expecting '['
    kFirst,         // after '[': an element or ']'
    kAfterComma,    // after ',': an element
    kAfterElement,  // after an element: ',' or ']'
    kDone,          // after the closing ']': only whitespace
  };
  Top top = kBeforeArray;
  std::vector<char> stack;  // open brackets of the element being scanned
};

JsonFileReader::JsonFileReader(std::unique_ptr<ChunkedInput> input, const JsonReadOptions& options)
    : input_(std::move(input)), options_(options), format_(options.format) {}

JsonFileReader::~JsonFileReader() = default;

Result<std::unique_ptr<JsonFileReader>> JsonFileReader::Open(FileIO* io, const std::string& path,
                                                             const JsonReadOptions& options) {
  if (options.chunk_size == 0) return Status::Invalid("chunk_size must be positive");
  if (options.max_batch_records == 0) return Status::Invalid("max_batch_records must be positive");
  // Doc.length is 32-bit; keep far from it.
  if (options.max_record_bytes == 0 || options.max_record_bytes > (size_t{1} << 31)) {
    return Status::Invalid("max_record_bytes must be between 1 and 2 GiB");
  }
  NILUS_ASSIGN_OR_RAISE(auto input, ChunkedInput::Open(io, path));
  JsonReadOptions resolved = options;
  if (resolved.format == JsonFileFormat::kAuto) {
    // The extension settles it when it says JSON Lines: a file whose first line is an array
    // would otherwise look like one big array.
    for (std::string_view ext : {".jsonl", ".ndjson", ".jsonlines"}) {
      if (path.ends_with(ext)) resolved.format = JsonFileFormat::kLines;
    }
  }
  auto reader = std::unique_ptr<JsonFileReader>(new JsonFileReader(std::move(input), resolved));
  if (options.validate_json) reader->parser_ = std::make_unique<simdjson::dom::parser>();
  return reader;
}

const std::string& JsonFileReader::path() const { return input_->path(); }
int64_t JsonFileReader::bytes_read() const { return input_->position(); }

Status JsonFileReader::Fill(std::string* buf) {
  // Up to the chunk size, or one more chunk when a document is longer than that.
  const size_t want =
      buf->size() < options_.chunk_size ? options_.chunk_size - buf->size() : options_.chunk_size;
  NILUS_ASSIGN_OR_RAISE(size_t n, input_->AppendTo(buf, want, DocumentBatch::kPadding));
  (void)n;
  peak_buffer_bytes_ = std::max(peak_buffer_bytes_, buf->capacity());
  return Status::OK();
}

void JsonFileReader::DropPrefix(std::string* buf, size_t n) {
  base_line_ += std::count(buf->begin(), buf->begin() + static_cast<ptrdiff_t>(n), '\n');
  base_offset_ += static_cast<int64_t>(n);
  buf->erase(0, n);
}

// Skips a byte order mark and settles the format from the first non-whitespace byte.
Status JsonFileReader::Prepare(std::string* buf) {
  while (buf->size() < kUtf8Bom.size() && !input_->eof()) NILUS_RETURN_NOT_OK(Fill(buf));
  if (std::string_view(*buf).starts_with(kUtf8Bom)) {
    // Blank it rather than erase it, so offsets in messages stay file offsets.
    std::memset(buf->data(), ' ', kUtf8Bom.size());
  }
  while (format_ == JsonFileFormat::kAuto) {
    auto it = std::find_if_not(buf->begin(), buf->end(), IsJsonSpace);
    if (it != buf->end()) {
      format_ = *it == '[' ? JsonFileFormat::kArray : JsonFileFormat::kLines;
    } else if (input_->eof()) {
      format_ = JsonFileFormat::kLines;  // empty: no documents either way
    } else {
      DropPrefix(buf, buf->size());
      NILUS_RETURN_NOT_OK(Fill(buf));
    }
  }
  if (format_ == JsonFileFormat::kArray) array_ = std::make_unique<ArrayState>();
  prepared_ = true;
  return Status::OK();
}

Status JsonFileReader::ScanLines(std::string* buf, DocumentBatch* batch, size_t* consumed,
                                 int64_t* consumed_line) {
  size_t ls = 0;      // start of the current line
  size_t search = 0;  // where to look for its end
  int64_t line = base_line_;
  while (true) {
    const char* data = buf->data();
    const size_t size = buf->size();
    const void* nl = search < size ? std::memchr(data + search, '\n', size - search) : nullptr;
    size_t le;
    if (nl != nullptr) {
      le = static_cast<size_t>(static_cast<const char*>(nl) - data);
    } else if (input_->eof()) {
      if (ls >= size) break;
      le = size;  // a last line without a line end
    } else {
      if (!batch->docs.empty() && size >= options_.chunk_size) break;
      if (size - ls > options_.max_record_bytes) {
        return Status::Invalid(
            fmt::format("{}:{}: line longer than {} bytes (max_record_bytes); is this JSON Lines?",
                        batch->source, line, options_.max_record_bytes));
      }
      if (batch->docs.empty() && ls > 0) {  // only blank lines so far: don't hold on to them
        DropPrefix(buf, ls);
        ls = 0;
      }
      search = buf->size();
      NILUS_RETURN_NOT_OK(Fill(buf));
      continue;
    }
    // Trim the line end and surrounding blanks.
    size_t b = ls, e = le;
    while (b < e && IsJsonSpace(data[b])) ++b;
    while (e > b && IsJsonSpace(data[e - 1])) --e;
    if (b < e) {
      if (e - b > options_.max_record_bytes) {
        return Status::Invalid(fmt::format("{}:{}: line longer than {} bytes (max_record_bytes)",
                                           batch->source, line, options_.max_record_bytes));
      }
      batch->docs.push_back({b, static_cast<uint32_t>(e - b), line});
    }
    if (nl == nullptr) {
      ls = size;
      break;
    }
    ++line;
    ls = le + 1;
    search = ls;
    if (batch->docs.size() >= options_.max_batch_records) break;
  }
  *consumed = ls;
  *consumed_line = line;
  return Status::OK();
}

Status JsonFileReader::ArrayError(const std::string& buf, size_t pos, int64_t line,
                                  std::string_view what) const {
  // Invalid UTF-8 before the error is reported first, as it would be had a chunk ended before
  // the error, so the message does not depend on the chunk size.
  const size_t invalid = FindInvalidUtf8(std::string_view(buf).substr(0, pos));
  if (invalid < pos) return InvalidUtf8Error(path(), buf, invalid, base_offset_, base_line_);
  return Status::Invalid(fmt::format("{}:{}: malformed JSON array: {}", path(), line, what));
}

Status JsonFileReader::ScanArray(std::string* buf, DocumentBatch* batch, size_t* consumed_out,
                                 int64_t* consumed_line_out) {
  ArrayState& st = *array_;
  size_t pos = 0;
  int64_t line = base_line_;
  size_t consumed = 0;
  int64_t consumed_line = line;
  bool in_elem = false;
  bool in_string = false, escape = false, scalar = false;
  size_t elem_start = 0;
  int64_t elem_line = 0;

  auto end_element = [&](size_t end) {
    batch->docs.push_back({elem_start, static_cast<uint32_t>(end - elem_start), elem_line});
    in_elem = false;
    st.top = ArrayState::kAfterElement;
    pos = end;
    consumed = end;
    consumed_line = line;
  };

  while (true) {
    char* data = buf->data();
    const size_t size = buf->size();
    if (pos >= size) {
      if (input_->eof()) break;
      if (!batch->docs.empty() && size >= options_.chunk_size) break;
      if (in_elem && size - elem_start > options_.max_record_bytes) {
        return Status::Invalid(
            fmt::format("{}:{}: array element longer than {} bytes (max_record_bytes)", path(),
                        elem_line, options_.max_record_bytes));
      }
      if (batch->docs.empty()) {  // only whitespace so far: don't hold on to it
        const size_t keep = in_elem ? elem_start : pos;
        DropPrefix(buf, keep);
        pos -= keep;
        elem_start -= in_elem ? keep : 0;
        consumed = 0;
        consumed_line = base_line_;
      }
      NILUS_RETURN_NOT_OK(Fill(buf));
      continue;
    }

    if (!in_elem) {
      const char c = data[pos];
      if (IsJsonSpace(c)) {
        if (c == '\n') ++line;
        ++pos;
        consumed = pos;
        consumed_line = line;
        continue;
      }
      switch (st.top) {
        case ArrayState::kBeforeArray:
          if (c != '[')
            return ArrayError(*buf, pos, line, fmt::format("expected '[', found {}", QuoteByte(c)));
          data[pos++] = ' ';
          st.top = ArrayState::kFirst;
          consumed = pos;
          consumed_line = line;
          continue;
        case ArrayState::kFirst:
          if (c == ']') {
            data[pos++] = ' ';
            st.top = ArrayState::kDone;
            consumed = pos;
            consumed_line = line;
            continue;
          }
          break;
        case ArrayState::kAfterComma:
          if (c == ']') return ArrayError(*buf, pos, line, "a ',' before the closing ']'");
          break;
        case ArrayState::kAfterElement:
          if (c == ',' || c == ']') {
            data[pos++] = ' ';
            st.top = c == ',' ? ArrayState::kAfterComma : ArrayState::kDone;
            consumed = pos;
            consumed_line = line;
            continue;
          }
          return ArrayError(
              *buf, pos, line,
              fmt::format("expected ',' or ']' after an element, found {}", QuoteByte(c)));
        case ArrayState::kDone:
          return ArrayError(
              *buf, pos, line,
              fmt::format("{} after the closing ']' (for a file of one JSON value per line, "
                          "set the format to JSON Lines)",
                          QuoteByte(c)));
      }
      // An element starts.
      in_elem = true;
      elem_start = pos;
      elem_line = line;
      st.stack.clear();
      in_string = escape = scalar = false;
      if (c == '{' || c == '[') {
        st.stack.push_back(c);
      } else if (c == '"') {
        in_string = true;
      } else if (c == ']' || c == '}' || c == ',' || c == ':') {
        return ArrayError(*buf, pos, line, fmt::format("unexpected {}", QuoteByte(c)));
      } else {
        scalar = true;  // number, true, false, null (checked by the parser later)
      }
      ++pos;
      continue;
    }

    if (scalar) {
      while (pos < size) {
        const char c = data[pos];
        if (IsJsonSpace(c) || c == ',' || c == ']' || c == '}') break;
        ++pos;
      }
      if (pos < size) end_element(pos);
      if (batch->docs.size() >= options_.max_batch_records) break;
      continue;
    }

    // Inside a string or a container. Tight loop: this is where the bytes are.
    bool ended = false;
    while (pos < size) {
      if (in_string && !escape) {
        // Skip the ordinary bytes of the string in one go.
        pos = FindByteOf(data, pos, size, '"', '\\', '\n');
        if (pos == size) break;
      }
      const char c = data[pos];
      if (in_string) {
        if (escape) {
          escape = false;
        } else if (c == '\\') {
          escape = true;
        } else if (c == '"') {
          in_string = false;
          if (st.stack.empty()) {
            end_element(pos + 1);
            ended = true;
            break;
          }
        } else if (c == '\n') {
          ++line;  // invalid JSON, but keep the line count right for the message
        }
        ++pos;
        continue;
      }
      switch (c) {
        case '"':
          in_string = true;
          break;
        case '{':
        case '[':
          st.stack.push_back(c);
          break;
        case '}':
        case ']': {
          const char open = c == '}' ? '{' : '[';
          if (st.stack.back() != open) {
            return ArrayError(*buf, pos, line,
                              fmt::format("'{}' closes '{}' of the element at line {}", c,
                                          st.stack.back(), elem_line));
          }
          st.stack.pop_back();
          if (st.stack.empty()) {
            end_element(pos + 1);
            ended = true;
          }
          break;
        }
        case '\n':
          ++line;
          break;
        default:
          break;
      }
      if (ended) break;
      ++pos;
    }
    if (ended && batch->docs.size() >= options_.max_batch_records) break;
  }

  if (input_->eof() && pos >= buf->size()) {
    if (in_elem) {
      if (scalar) {
        end_element(buf->size());
      } else {
        return ArrayError(
            *buf, pos, line,
            fmt::format("the file ends inside the element that starts at line {}", elem_line));
      }
    }
    switch (st.top) {
      case ArrayState::kFirst:
      case ArrayState::kAfterComma:
      case ArrayState::kAfterElement:
        return ArrayError(*buf, pos, line, "the file ends before the closing ']'");
      default:
        break;
    }
  }
  if (in_elem) {
    consumed = elem_start;
    consumed_line = elem_line;
  }
  *consumed_out = consumed;
  *consumed_line_out = consumed_line;
  return Status::OK();
}

Status JsonFileReader::Validate(DocumentBatch* batch) {
  size_t kept = 0;
  for (size_t i = 0; i < batch->docs.size(); ++i) {
    const DocumentBatch::Doc& doc = batch->docs[i];
    auto result = parser_->parse(batch->buffer.data() + doc.offset, doc.length,
                                 /*realloc_if_needed=*/false);
    if (result.error() == simdjson::SUCCESS) {
      batch->docs[kept++] = doc;
      continue;
    }
    std::string reason = fmt::format("malformed JSON: {}", simdjson::error_message(result.error()));
    switch (options_.on_bad_row) {
      case OnBadRow::kFail:
        return Status::Invalid(fmt::format("{}:{}: {}", batch->source, doc.line, reason));
      case OnBadRow::kQuarantine:
        batch->bad_records.push_back(
            {batch->source, doc.line, std::string(batch->DocText(i)), std::move(reason)});
        [[fallthrough]];
      case OnBadRow::kSkip:
        // Blank it, so the buffer stays documents separated by whitespace.
        std::memset(batch->buffer.data() + doc.offset, ' ', doc.length);
        ++bad_records_seen_;
        break;
    }
  }
  batch->docs.resize(kept);
  return Status::OK();
}

Result<std::unique_ptr<DocumentBatch>> JsonFileReader::NextImpl() {
  while (!done_) {
    auto batch = std::make_unique<DocumentBatch>();
    batch->source = path();
    batch->docs.reserve(expected_docs_);  // growing it showed up in profiles
    std::string buf = std::move(pending_);
    pending_ = std::string();
    if (!prepared_) NILUS_RETURN_NOT_OK(Prepare(&buf));

    size_t consumed = 0;
    int64_t consumed_line = base_line_;
    if (format_ == JsonFileFormat::kArray) {
      NILUS_RETURN_NOT_OK(ScanArray(&buf, batch.get(), &consumed, &consumed_line));
    } else {
      NILUS_RETURN_NOT_OK(ScanLines(&buf, batch.get(), &consumed, &consumed_line));
    }

    // Only complete documents are checked, so a character cut by the chunk end is no error.
    const size_t bad = FindInvalidUtf8(std::string_view(buf).substr(0, consumed));
    if (bad < consumed) {
      return InvalidUtf8Error(path(), buf, bad, base_offset_, base_line_);
    }

    pending_.assign(buf, consumed, std::string::npos);
    peak_buffer_bytes_ = std::max(peak_buffer_bytes_, pending_.capacity());
    buf.resize(consumed);
    buf.append(DocumentBatch::kPadding, '\0');
    base_offset_ += static_cast<int64_t>(consumed);
    base_line_ = consumed_line;
    if (input_->eof() && pending_.empty()) done_ = true;

    batch->buffer = std::move(buf);
    if (parser_ != nullptr) NILUS_RETURN_NOT_OK(Validate(batch.get()));
    if (batch->docs.empty() && batch->bad_records.empty()) continue;
    records_read_ += static_cast<int64_t>(batch->docs.size());
    expected_docs_ = std::max(expected_docs_, batch->docs.size());
    return batch;
  }
  return std::unique_ptr<DocumentBatch>();
}

Result<std::unique_ptr<DocumentBatch>> JsonFileReader::Next() {
  if (!error_.ok()) return error_;
  auto result = NextImpl();
  if (!result.ok()) {
    error_ = result.status();
    done_ = true;
  }
  return result;
}

}  // namespace nilus
