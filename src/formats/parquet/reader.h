// ParquetReader: decodes the row groups of a Parquet file into ColumnBatches of a given
// Iceberg schema (used by compaction and tests).
//
// Usage:
//   NILUS_ASSIGN_OR_RAISE(auto reader, ParquetReader::Open(io, path, schema));
//   for (int i = 0; i < reader->num_row_groups(); ++i) {
//     NILUS_ASSIGN_OR_RAISE(std::unique_ptr<ColumnBatch> batch, reader->ReadRowGroup(i));
//   }
//
// Columns are matched to the schema's fields by Parquet field id, or by name when the file
// carries no field ids. A schema field missing from the file reads as all nulls (a column
// added after the file was written); a missing required field is an InvalidArgument error.
// The file may hold a narrower type than the schema asks for (int -> long, float -> double,
// a decimal of smaller precision), as Iceberg schema evolution allows.
//
// Supported: data pages v1 and v2; PLAIN, PLAIN_DICTIONARY and RLE_DICTIONARY values (and
// RLE booleans); RLE levels; uncompressed, snappy and zstd pages; 3-level lists and key_value
// maps. Not supported (NotImplemented): DELTA_* and BYTE_STREAM_SPLIT encodings, other codecs.
// Legacy 2-level lists and INT96 timestamps do not bind (InvalidArgument). Anything malformed
// is a Corruption error naming the file, row group and column, never a crash.
//
// A reader is not thread-safe, but separate readers of one file are independent.
#pragma once

#include <memory>
#include <string>

#include "core/column_batch.h"
#include "formats/parquet/footer_reader.h"
#include "storage/file_io.h"

namespace nilus::parquet {

class ParquetReader {
 public:
  // Parses the footer and matches the schema against the file's. Errors from
  // ParquetFileReader::Open; InvalidArgument when a field cannot be read as its schema type.
  static Result<std::unique_ptr<ParquetReader>> Open(FileIO* io, const std::string& path,
                                                     SchemaPtr schema);
  ~ParquetReader();

  int num_row_groups() const;
  int64_t num_rows() const;
  const ParquetFileReader& file() const;

  // Decodes one row group into a batch of the reader's schema.
  Result<std::unique_ptr<ColumnBatch>> ReadRowGroup(int i);

  struct Impl;

 private:
  explicit ParquetReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nilus::parquet
