#include "formats/parquet/footer_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace nilus::parquet {

namespace {

constexpr int64_t kMagicSize = 4;
// Head magic, footer length and tail magic.
constexpr int64_t kMinFileSize = 3 * kMagicSize;
// The tail read that usually holds the whole footer, so that opening a file takes two reads.
constexpr int64_t kTailReadSize = 64 * 1024;
// Page headers are read through a window that grows up to this size when a header (with large
// page statistics) does not fit; past it the header is treated as corrupt.
constexpr size_t kFirstHeaderWindow = 16 * 1024;
constexpr size_t kMaxHeaderWindow = 16 * 1024 * 1024;
constexpr int kMaxSchemaDepth = 64;

std::string Printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

class SchemaWalker {
 public:
  SchemaWalker(const std::vector<SchemaElement>& schema, std::vector<ColumnDescriptor>* out)
      : schema_(schema), out_(out) {}

  Status WalkRoot() {
    if (schema_.empty()) return Status::Corruption("schema is empty (no root element)");
    const SchemaElement& root = schema_[0];
    const int32_t n = root.num_children.value_or(0);
    if (n < 0) return Status::Corruption(fmt::format("root has {} children", n));
    next_ = 1;
    NILUS_RETURN_NOT_OK(VisitChildren(root, n, 1, 0, 0));
    if (next_ != schema_.size()) {
      return Status::Corruption(fmt::format(
          "schema has {} elements but the root's subtree ends after {}", schema_.size(), next_));
    }
    return Status::OK();
  }

 private:
  Status VisitChildren(const SchemaElement& parent, int32_t n, int depth, int16_t def,
                       int16_t rep) {
    if (depth > kMaxSchemaDepth) {
      return Status::Corruption(fmt::format("schema nested deeper than {}", kMaxSchemaDepth));
    }
    for (int32_t i = 0; i < n; ++i) {
      if (next_ >= schema_.size()) {
        return Status::Corruption(
            fmt::format("schema element '{}' declares {} children but the schema ends after {}",
                        Printable(parent.name), n, i));
      }
      NILUS_RETURN_NOT_OK(Visit(depth, def, rep));
    }
    return Status::OK();
  }

  Status Visit(int depth, int16_t def, int16_t rep) {
    const int index = static_cast<int>(next_++);
    const SchemaElement& e = schema_[static_cast<size_t>(index)];
    switch (e.repetition_type.value_or(Repetition::kRequired)) {
      case Repetition::kRequired:
        break;
      case Repetition::kOptional:
        ++def;
        break;
      case Repetition::kRepeated:
        ++def;
        ++rep;
        break;
      default:
        return Status::Corruption(fmt::format("schema element '{}' has repetition type {}",
                                              Printable(e.name),
                                              static_cast<int32_t>(*e.repetition_type)));
    }
    path_.push_back(e.name);
    // An element with children, or one without a type, is a group (possibly empty).
    const bool group = e.num_children && (*e.num_children > 0 || !e.type);
    if (group) {
      if (*e.num_children < 0) {
        return Status::Corruption(
            fmt::format("schema element '{}' has {} children", Printable(e.name), *e.num_children));
      }
      NILUS_RETURN_NOT_OK(VisitChildren(e, *e.num_children, depth + 1, def, rep));
    } else {
      if (!e.type) {
        return Status::Corruption(
            fmt::format("schema leaf '{}' has no physical type", Printable(e.name)));
      }
      ColumnDescriptor leaf;
      leaf.path_parts = path_;
      for (size_t i = 0; i < path_.size(); ++i) {
        if (i) leaf.path.push_back('.');
        leaf.path += path_[i];
      }
      leaf.schema_index = index;
      leaf.max_definition_level = def;
      leaf.max_repetition_level = rep;
      out_->push_back(std::move(leaf));
    }
    path_.pop_back();
    return Status::OK();
  }

  const std::vector<SchemaElement>& schema_;
  std::vector<ColumnDescriptor>* out_;
  std::vector<std::string> path_;
  size_t next_ = 1;
};

uint32_t LoadLE32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

}  // namespace

Result<std::vector<ColumnDescriptor>> BuildLeafColumns(const std::vector<SchemaElement>& schema) {
  std::vector<ColumnDescriptor> leaves;
  SchemaWalker walker(schema, &leaves);
  NILUS_RETURN_NOT_OK_CTX(walker.WalkRoot(), "Parquet schema");
  return leaves;
}

Result<std::unique_ptr<ParquetFileReader>> ParquetFileReader::Open(FileIO* io,
                                                                   const std::string& path) {
  std::unique_ptr<ParquetFileReader> reader(new ParquetFileReader());
  reader->path_ = path;
  NILUS_ASSIGN_OR_RAISE(reader->file_, io->OpenInputFile(path));
  const InputFile& file = *reader->file_;
  NILUS_ASSIGN_OR_RAISE(const int64_t size, file.Size());
  reader->file_size_ = size;
  if (size < kMinFileSize) {
    return Status::Corruption(fmt::format(
        "{}: not a Parquet file: {} bytes is too small (a Parquet file has at least {})", path,
        size, kMinFileSize));
  }

  const int64_t tail_size = std::min(size, kTailReadSize);
  const int64_t tail_start = size - tail_size;
  std::string tail;
  NILUS_ASSIGN_OR_RAISE(tail, file.ReadAt(tail_start, static_cast<size_t>(tail_size)));
  const std::string_view tail_magic = std::string_view(tail).substr(tail.size() - kMagicSize);
  if (tail_magic == "PARE") {
    return Status::NotImplemented(
        fmt::format("{}: the Parquet footer is encrypted (PARE), which Nilus cannot read", path));
  }
  if (tail_magic != "PAR1") {
    return Status::Corruption(
        fmt::format("{}: not a Parquet file: the last 4 bytes are '{}', not the magic 'PAR1'", path,
                    Printable(tail_magic)));
  }
  std::string head;
  if (tail_start == 0) {
    head = tail.substr(0, kMagicSize);
  } else {
    NILUS_ASSIGN_OR_RAISE(head, file.ReadAt(0, kMagicSize));
  }
  if (head != "PAR1") {
    return Status::Corruption(
        fmt::format("{}: not a Parquet file: the first 4 bytes are '{}', not the magic 'PAR1'",
                    path, Printable(head)));
  }

  const int64_t footer_len = LoadLE32(tail.data() + tail.size() - 2 * kMagicSize);
  if (footer_len > size - kMinFileSize) {
    return Status::Corruption(fmt::format(
        "{}: footer length {} exceeds the {} bytes the file has between its magic numbers", path,
        footer_len, size - kMinFileSize));
  }
  reader->footer_size_ = footer_len;
  const int64_t footer_start = size - 2 * kMagicSize - footer_len;
  std::string footer_buf;
  std::string_view footer;
  if (footer_start >= tail_start) {
    footer = std::string_view(tail).substr(static_cast<size_t>(footer_start - tail_start),
                                           static_cast<size_t>(footer_len));
  } else {
    NILUS_ASSIGN_OR_RAISE(footer_buf, file.ReadAt(footer_start, static_cast<size_t>(footer_len)));
    footer = footer_buf;
  }

  auto md = DeserializeFileMetaData(reinterpret_cast<const uint8_t*>(footer.data()), footer.size());
  if (!md.ok()) return md.status().WithContext(path);
  reader->metadata_ = std::move(md).value();

  auto leaves = BuildLeafColumns(reader->metadata_.schema);
  if (!leaves.ok()) return leaves.status().WithContext(path);
  reader->leaves_ = std::move(leaves).value();

  const auto& row_groups = reader->metadata_.row_groups;
  for (size_t i = 0; i < row_groups.size(); ++i) {
    if (row_groups[i].columns.size() != reader->leaves_.size()) {
      return Status::Corruption(
          fmt::format("{}: row group {} has {} column chunks but the schema has {} leaf columns",
                      path, i, row_groups[i].columns.size(), reader->leaves_.size()));
    }
  }
  return reader;
}

Result<std::vector<PageInfo>> ParquetFileReader::ReadPageHeaders(int row_group, int column) const {
  const auto& row_groups = metadata_.row_groups;
  if (row_group < 0 || static_cast<size_t>(row_group) >= row_groups.size()) {
    return Status::Invalid(fmt::format("{}: row group {} out of range (the file has {})", path_,
                                       row_group, row_groups.size()));
  }
  const RowGroup& rg = row_groups[static_cast<size_t>(row_group)];
  if (column < 0 || static_cast<size_t>(column) >= rg.columns.size()) {
    return Status::Invalid(fmt::format("{}: column {} out of range (row group {} has {})", path_,
                                       column, row_group, rg.columns.size()));
  }
  const ColumnChunk& chunk = rg.columns[static_cast<size_t>(column)];
  const std::string where = fmt::format("{}: row group {} column {} ({})", path_, row_group, column,
                                        leaves_[static_cast<size_t>(column)].path);
  if (chunk.file_path) {
    return Status::NotImplemented(
        fmt::format("{}: the column chunk lives in another file ({})", where, *chunk.file_path));
  }
  if (!chunk.meta_data) {
    return Status::NotImplemented(
        fmt::format("{}: the column chunk has no metadata (encrypted column?)", where));
  }
  const ColumnMetaData& cm = *chunk.meta_data;
  int64_t start = cm.data_page_offset;
  // Some writers record 0 for "no dictionary"; a dictionary page always precedes the data.
  if (cm.dictionary_page_offset && *cm.dictionary_page_offset > 0 &&
      *cm.dictionary_page_offset < start) {
    start = *cm.dictionary_page_offset;
  }
  const int64_t data_end = file_size_ - 2 * kMagicSize - footer_size_;
  if (start < kMagicSize || start > data_end || cm.total_compressed_size < 0 ||
      cm.total_compressed_size > data_end - start) {
    return Status::Corruption(fmt::format(
        "{}: the column chunk at offset {} of {} bytes lies outside the data area [{}, {})", where,
        start, cm.total_compressed_size, kMagicSize, data_end));
  }
  const int64_t end = start + cm.total_compressed_size;

  std::vector<PageInfo> pages;
  std::string window;
  int64_t pos = start;
  while (pos < end) {
    const size_t left = static_cast<size_t>(end - pos);
    size_t want = std::min(left, kFirstHeaderWindow);
    PageInfo info;
    size_t consumed = 0;
    for (;;) {
      NILUS_ASSIGN_OR_RAISE(window, file_->ReadAt(pos, want));
      auto header =
          DeserializePageHeader(reinterpret_cast<const uint8_t*>(window.data()), want, &consumed);
      if (header.ok()) {
        info.header = std::move(header).value();
        break;
      }
      // The header may just be longer than the window; grow it while the chunk allows.
      if (want == left || want >= kMaxHeaderWindow) {
        return header.status().WithContext(fmt::format("{}: page header at offset {}", where, pos));
      }
      want = std::min({left, want * 4, kMaxHeaderWindow});
    }
    const int64_t page_size = info.header.compressed_page_size;
    const int64_t data_start = pos + static_cast<int64_t>(consumed);
    if (page_size < 0 || page_size > end - data_start) {
      return Status::Corruption(
          fmt::format("{}: the page at offset {} declares {} compressed bytes, past the chunk's "
                      "end at offset {}",
                      where, pos, page_size, end));
    }
    info.offset = pos;
    info.header_size = static_cast<int64_t>(consumed);
    pages.push_back(std::move(info));
    pos = data_start + page_size;
  }
  return pages;
}

}  // namespace nilus::parquet
