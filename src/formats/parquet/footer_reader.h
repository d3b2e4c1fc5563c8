// ParquetFileReader: opens any Parquet file through a FileIO and parses its footer (schema,
// row groups, column chunks, statistics). It also walks the page headers of a column chunk,
// which serves `nilus parquet inspect` and tests (dictionary fallback, page limits). It does not
// decode page data.
//
// Usage:
//   NILUS_ASSIGN_OR_RAISE(auto reader, ParquetFileReader::Open(io, path));
//   const FileMetaData& md = reader->metadata();
//   for (const ColumnDescriptor& c : reader->leaf_columns()) ... c.path, c.max_definition_level ...
//   NILUS_ASSIGN_OR_RAISE(std::vector<PageInfo> pages, reader->ReadPageHeaders(0, 0));
//
// A reader keeps the InputFile open. Its const methods may be called from several threads
// when the FileIO's InputFile::ReadAt is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "formats/parquet/parquet_metadata.h"
#include "storage/file_io.h"

namespace nilus::parquet {

// One leaf (primitive) column of the flat schema, in the order of a row group's columns.
struct ColumnDescriptor {
  std::vector<std::string> path_parts;  // names below the root, e.g. {"tags", "list", "element"}
  std::string path;                     // the parts joined with '.'
  int schema_index = 0;                 // index of the leaf's SchemaElement in metadata().schema
  int16_t max_definition_level = 0;
  int16_t max_repetition_level = 0;
};

// Derives the leaf columns from the flat, depth-first schema (root first). A schema whose
// num_children do not add up, a leaf without a physical type, or nesting deeper than 64 levels
// is a Corruption error.
Result<std::vector<ColumnDescriptor>> BuildLeafColumns(const std::vector<SchemaElement>& schema);

// One page of a column chunk.
struct PageInfo {
  int64_t offset = 0;       // file offset of the page header
  int64_t header_size = 0;  // bytes of the Thrift page header; the page data follows it
  PageHeader header;
};

class ParquetFileReader {
 public:
  // Reads and parses the footer. Errors name the path: IOError/NotFound from the FileIO;
  // Corruption for a file that is too small, lacks the "PAR1" magic at either end, declares a
  // footer longer than the file, or holds malformed metadata (bad Thrift, a schema that does not
  // add up, a row group whose column count differs from the schema's leaves); NotImplemented for
  // encrypted footers ("PARE").
  static Result<std::unique_ptr<ParquetFileReader>> Open(FileIO* io, const std::string& path);

  const FileMetaData& metadata() const { return metadata_; }
  const std::vector<ColumnDescriptor>& leaf_columns() const { return leaves_; }
  const std::string& path() const { return path_; }
  int64_t file_size() const { return file_size_; }
  // Bytes of the serialized FileMetaData.
  int64_t footer_size() const { return footer_size_; }

  // Walks the page headers of one column chunk, from its dictionary page (when it has one) or
  // its first data page, over total_compressed_size bytes. InvalidArgument for indices out of
  // range; Corruption when the chunk lies outside the data area of the file, a header does not
  // parse, or the pages do not exactly fill the chunk.
  Result<std::vector<PageInfo>> ReadPageHeaders(int row_group, int column) const;

 private:
  ParquetFileReader() = default;

  std::string path_;
  std::unique_ptr<InputFile> file_;
  int64_t file_size_ = 0;
  int64_t footer_size_ = 0;
  FileMetaData metadata_;
  std::vector<ColumnDescriptor> leaves_;
};

}  // namespace nilus::parquet
