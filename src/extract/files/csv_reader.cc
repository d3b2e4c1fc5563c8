#include "extract/files/csv_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace nilus {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr size_t kMaxChunk = size_t{1} << 30;

std::string QuoteChar(char c) {
  if (c >= 0x20 && c < 0x7F) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02X}", static_cast<unsigned char>(c));
}

// Cells whose raw text (quotes included) still has to be unescaped, marked in TextBatch::nulls
// while a batch is assembled.
constexpr uint8_t kQuotedPending = 2;

}  // namespace

CsvFileReader::CsvFileReader(std::unique_ptr<ChunkedInput> input, const CsvReadOptions& options)
    : input_(std::move(input)), options_(options) {}

Result<std::unique_ptr<CsvFileReader>> CsvFileReader::Open(FileIO* io, const std::string& path,
                                                           const CsvReadOptions& options) {
  const char d = options.delimiter;
  if (d == '\n' || d == '\r' || d == '\0' || (options.quote != '\0' && d == options.quote)) {
    return Status::Invalid(fmt::format("CSV delimiter {} is not allowed", QuoteChar(d)));
  }
  if (options.quote == '\n' || options.quote == '\r') {
    return Status::Invalid("CSV quote character may not be a line end");
  }
  if (options.chunk_size == 0 || options.chunk_size > kMaxChunk) {
    return Status::Invalid("chunk_size must be between 1 byte and 1 GiB");
  }
  if (options.max_record_bytes == 0 || options.max_record_bytes > kMaxChunk) {
    return Status::Invalid("max_record_bytes must be between 1 byte and 1 GiB");
  }
  if (options.max_batch_records == 0) return Status::Invalid("max_batch_records must be positive");
  NILUS_ASSIGN_OR_RAISE(auto input, ChunkedInput::Open(io, path));
  auto reader = std::unique_ptr<CsvFileReader>(new CsvFileReader(std::move(input), options));
  NILUS_RETURN_NOT_OK(reader->ReadHeader());
  return reader;
}

Status CsvFileReader::Fill(std::string* buf, size_t partial_row_bytes) {
  // Up to the chunk size; past it (a row longer than a chunk) grow geometrically, because the
  // row is scanned again from its start after each read.
  const size_t want = buf->size() < options_.chunk_size
                          ? options_.chunk_size - buf->size()
                          : std::max(options_.chunk_size, partial_row_bytes);
  NILUS_ASSIGN_OR_RAISE(size_t n, input_->AppendTo(buf, want));
  (void)n;
  peak_buffer_bytes_ = std::max(peak_buffer_bytes_, buf->capacity());
  return Status::OK();
}

void CsvFileReader::DropPrefix(std::string* buf, size_t n) {
  base_line_ += std::count(buf->begin(), buf->begin() + static_cast<ptrdiff_t>(n), '\n');
  base_offset_ += static_cast<int64_t>(n);
  buf->erase(0, n);
}

Status CsvFileReader::CheckUtf8(const std::string& buf, size_t end) const {
  const size_t invalid = FindInvalidUtf8(std::string_view(buf).substr(0, end));
  if (invalid < end) return InvalidUtf8Error(path(), buf, invalid, base_offset_, base_line_);
  return Status::OK();
}

bool CsvFileReader::IsBlankRow() const {
  return fields_.size() == 1 && !fields_[0].quoted && fields_[0].begin == fields_[0].end;
}

std::string CsvFileReader::FieldText(const std::string& buf, const FieldSpan& f) const {
  if (!f.quoted) return buf.substr(f.begin, f.end - f.begin);
  std::string out;
  for (uint32_t i = f.begin + 1; i + 1 < f.end; ++i) {
    out += buf[i];
    if (buf[i] == options_.quote) ++i;  // the second quote of a pair
  }
  return out;
}

Result<CsvFileReader::Scan> CsvFileReader::ScanRow(const std::string& buf, size_t start,
                                                   int64_t line, size_t* next, int64_t* line_ends,
                                                   std::string* bad_reason) {
  const char* data = buf.data();
  const size_t size = buf.size();
  const bool eof = input_->eof();
  const char delim = options_.delimiter;
  const char quote = options_.quote;
  if (start >= size) return eof ? Scan::kEnd : Scan::kNeedMore;
  fields_.clear();
  bad_reason->clear();
  int64_t ends = 0;
  size_t p = start;
  while (true) {
    const size_t fstart = p;
    if (quote != '\0' && p < size && data[p] == quote) {
      size_t q = p + 1;
      while (true) {
        const void* found = q < size ? std::memchr(data + q, quote, size - q) : nullptr;
        if (found == nullptr) {
          if (!eof) return Scan::kNeedMore;
          const int64_t open_line = line + std::count(data + start, data + fstart, '\n');
          NILUS_RETURN_NOT_OK(CheckUtf8(buf, size));
          return Status::Invalid(fmt::format(
              "{}:{}: unterminated quoted field (the file ends inside it)", path(), open_line));
        }
        const size_t fq = static_cast<size_t>(static_cast<const char*>(found) - data);
        if (fq + 1 < size && data[fq + 1] == quote) {
          q = fq + 2;  // a doubled quote
          continue;
        }
        if (fq + 1 == size && !eof) return Scan::kNeedMore;  // "" might be cut in two
        p = fq + 1;
        break;
      }
      ends += CountNewlines(data + fstart, data + p);
      // After the closing quote: a delimiter, LF, CRLF or the end of the file.
      bool ok = p == size || data[p] == delim || data[p] == '\n';
      if (!ok && data[p] == '\r') {
        if (p + 1 == size) {
          if (!eof) return Scan::kNeedMore;
          ok = true;
        } else {
          ok = data[p + 1] == '\n';
        }
      }
      if (!ok) {
        if (bad_reason->empty()) {
          *bad_reason = fmt::format("unexpected {} after a closing quote", QuoteChar(data[p]));
        }
        p = FindByteOf(data, p, size, delim, '\n', '\n');
        if (p == size && !eof) return Scan::kNeedMore;
      }
      fields_.push_back({static_cast<uint32_t>(fstart), static_cast<uint32_t>(p), true});
    } else {
      p = FindByteOf(data, p, size, delim, '\n', '\n');
      if (p == size && !eof) return Scan::kNeedMore;
      size_t fend = p;
      if ((p == size || data[p] == '\n') && fend > fstart && data[fend - 1] == '\r') --fend;
      fields_.push_back({static_cast<uint32_t>(fstart), static_cast<uint32_t>(fend), false});
    }
    if (p == size) {
      *next = size;
      break;
    }
    const char c = data[p];
    if (c == delim) {
      ++p;
      continue;
    }
    if (c == '\r') {  // only after a quoted field, checked above
      if (p + 1 == size) {
        *next = size;
        break;
      }
      ++p;
    }
    ++ends;  // data[p] == '\n'
    *next = p + 1;
    break;
  }
  *line_ends = ends;
  return Scan::kRow;
}

Status CsvFileReader::ReadHeader() {
  std::string buf;
  while (buf.size() < kUtf8Bom.size() && !input_->eof()) NILUS_RETURN_NOT_OK(Fill(&buf, 0));
  if (std::string_view(buf).starts_with(kUtf8Bom)) DropPrefix(&buf, kUtf8Bom.size());

  const bool given = !options_.column_names.empty();
  if (given) column_names_ = options_.column_names;
  std::string where = "column_names";  // for messages about the names

  if (!given || options_.has_header) {
    size_t row_start = 0;
    int64_t line = base_line_;
    while (true) {
      size_t next = 0;
      int64_t ends = 0;
      std::string bad;
      NILUS_ASSIGN_OR_RAISE(Scan s, ScanRow(buf, row_start, line, &next, &ends, &bad));
      if (s == Scan::kEnd) {
        if (given) break;
        return Status::Invalid(fmt::format("{}: the file is empty: no {} to take column names from",
                                           path(),
                                           options_.has_header ? "header row" : "first row"));
      }
      if (s == Scan::kNeedMore) {
        if (buf.size() - row_start > options_.max_record_bytes) {
          return Status::Invalid(fmt::format("{}:{}: header row longer than {} bytes", path(), line,
                                             options_.max_record_bytes));
        }
        NILUS_RETURN_NOT_OK(Fill(&buf, buf.size() - row_start));
        continue;
      }
      if (IsBlankRow()) {  // blank lines before the header
        line += ends;
        row_start = next;
        continue;
      }
      const std::string_view row = std::string_view(buf).substr(row_start, next - row_start);
      const size_t invalid = FindInvalidUtf8(row);
      if (invalid < row.size()) {
        return InvalidUtf8Error(path(), buf, row_start + invalid, base_offset_, base_line_);
      }
      if (!bad.empty()) return Status::Invalid(fmt::format("{}:{}: {}", path(), line, bad));
      if (!options_.has_header) {
        // Count the first row's fields; the row itself is data.
        for (size_t i = 0; i < fields_.size(); ++i) {
          column_names_.push_back(fmt::format("column_{}", i + 1));
        }
        DropPrefix(&buf, row_start);
        break;
      }
      if (!given) {
        where = fmt::format("{}:{}", path(), line);
        for (size_t i = 0; i < fields_.size(); ++i) {
          std::string name = FieldText(buf, fields_[i]);
          if (name.empty()) name = fmt::format("column_{}", i + 1);
          column_names_.push_back(std::move(name));
        }
      }
      DropPrefix(&buf, next);
      break;
    }
  }
  std::unordered_map<std::string_view, size_t> seen;
  for (size_t i = 0; i < column_names_.size(); ++i) {
    auto [it, inserted] = seen.emplace(column_names_[i], i);
    if (!inserted) {
      return Status::Invalid(fmt::format("{}: duplicate column name '{}' (columns {} and {})",
                                         where, column_names_[i], it->second + 1, i + 1));
    }
  }
  if (column_names_.empty()) return Status::Invalid(fmt::format("{}: no columns", path()));
  pending_ = std::move(buf);
  return Status::OK();
}

Result<std::unique_ptr<TextBatch>> CsvFileReader::NextImpl() {
  const size_t ncols = column_names_.size();
  while (!done_) {
    auto batch = std::make_unique<TextBatch>();
    batch->source = path();
    batch->column_names = column_names_;
    // Sized like the previous batch: growing these vectors showed up in profiles.
    batch->lines.reserve(expected_rows_);
    batch->cells.reserve(expected_rows_ * ncols);
    batch->nulls.reserve(expected_rows_ * ncols);
    std::string buf = std::move(pending_);
    pending_ = std::string();
    size_t row_start = 0;
    int64_t line = base_line_;
    while (true) {
      size_t next = 0;
      int64_t ends = 0;
      std::string bad;
      NILUS_ASSIGN_OR_RAISE(Scan s, ScanRow(buf, row_start, line, &next, &ends, &bad));
      if (s == Scan::kEnd) break;
      if (s == Scan::kNeedMore) {
        const bool have = batch->rows() > 0 || !batch->bad_records.empty();
        if (have && buf.size() >= options_.chunk_size) break;
        if (buf.size() - row_start > options_.max_record_bytes) {
          return Status::Invalid(fmt::format(
              "{}:{}: row longer than {} bytes (max_record_bytes); is a quote left open?", path(),
              line, options_.max_record_bytes));
        }
        if (!have && row_start > 0) {  // only blank or skipped rows: don't hold on to them
          NILUS_RETURN_NOT_OK(CheckUtf8(buf, row_start));
          DropPrefix(&buf, row_start);
          row_start = 0;
        }
        NILUS_RETURN_NOT_OK(Fill(&buf, buf.size() - row_start));
        continue;
      }
      if (ncols > 1 && IsBlankRow()) {
        // skipped
      } else if (!bad.empty() || fields_.size() != ncols) {
        if (bad.empty()) bad = fmt::format("{} fields, expected {}", fields_.size(), ncols);
        if (options_.on_bad_row == OnBadRow::kFail) {
          NILUS_RETURN_NOT_OK(CheckUtf8(buf, next));
          return Status::Invalid(fmt::format("{}:{}: {}", path(), line, bad));
        }
        if (options_.on_bad_row == OnBadRow::kQuarantine) {
          std::string_view raw = std::string_view(buf).substr(row_start, next - row_start);
          if (raw.ends_with('\n')) raw.remove_suffix(1);
          if (raw.ends_with('\r')) raw.remove_suffix(1);
          batch->bad_records.push_back({path(), line, std::string(raw), std::move(bad)});
        }
        ++bad_records_seen_;
      } else {
        for (const FieldSpan& f : fields_) {
          batch->cells.push_back({f.begin, f.end - f.begin});
          uint8_t flag = 0;
          if (f.quoted) {
            flag = kQuotedPending;
          } else if (f.begin == f.end && options_.empty_is_null) {
            flag = 1;
          }
          batch->nulls.push_back(flag);
        }
        batch->lines.push_back(line);
      }
      line += ends;
      row_start = next;
      if (batch->rows() >= options_.max_batch_records) break;
    }
    const size_t consumed = row_start;

    // Check the encoding on the bytes as read, before unescaping moves them, so that the offset
    // and line in the message are right. Only complete rows: a character cut by the chunk end
    // is no error.
    NILUS_RETURN_NOT_OK(CheckUtf8(buf, consumed));

    // Unescape quoted cells in place. Without doubled quotes (the usual case) the cell is just
    // narrowed; otherwise the text is compacted, which only shrinks it.
    const char quote = options_.quote;
    char* d = buf.data();
    for (size_t i = 0; i < batch->cells.size(); ++i) {
      if (batch->nulls[i] != kQuotedPending) continue;
      batch->nulls[i] = 0;
      TextBatch::CellRef& cell = batch->cells[i];
      const uint32_t begin = cell.offset + 1;
      const uint32_t end = cell.offset + cell.length - 1;  // the closing quote
      const void* q = std::memchr(d + begin, quote, end - begin);
      if (q == nullptr) {
        cell = {begin, end - begin};
        continue;
      }
      // Compact from the first pair on: copy each run that ends with one quote of a pair.
      uint32_t out = static_cast<uint32_t>(static_cast<const char*>(q) - d) + 1;
      uint32_t in = out + 1;  // past the second quote of the pair
      while (in < end) {
        const void* next = std::memchr(d + in, quote, end - in);
        const uint32_t stop =
            next == nullptr ? end : static_cast<uint32_t>(static_cast<const char*>(next) - d) + 1;
        std::memmove(d + out, d + in, stop - in);
        out += stop - in;
        in = stop + 1;
      }
      cell = {begin, out - begin};
    }

    pending_.assign(buf, consumed, std::string::npos);
    peak_buffer_bytes_ = std::max(peak_buffer_bytes_, pending_.capacity());
    buf.resize(consumed);
    base_offset_ += static_cast<int64_t>(consumed);
    base_line_ = line;
    if (input_->eof() && pending_.empty()) done_ = true;
    if (batch->rows() == 0 && batch->bad_records.empty()) continue;
    records_read_ += static_cast<int64_t>(batch->rows());
    expected_rows_ = std::max(expected_rows_, batch->rows());
    batch->buffer = std::move(buf);
    return batch;
  }
  return std::unique_ptr<TextBatch>();
}

Result<std::unique_ptr<TextBatch>> CsvFileReader::Next() {
  if (!error_.ok()) return error_;
  auto result = NextImpl();
  if (!result.ok()) {
    error_ = result.status();
    done_ = true;
  }
  return result;
}

}  // namespace nilus
