// Writers of the Parquet files an Iceberg table holds: data files, position-delete files and
// equality-delete files, each returned as the DataFile a manifest records.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/column_batch.h"
#include "formats/parquet/writer.h"
#include "iceberg/conversions.h"
#include "iceberg/data_file.h"
#include "storage/file_io.h"

namespace nilus::iceberg {

// Field ids the spec reserves for position-delete files.
inline constexpr int32_t kDeleteFilePathFieldId = 2147483546;
inline constexpr int32_t kDeletePosFieldId = 2147483545;

// Builds the DataFile of a written Parquet file from the writer's metrics: column sizes, value,
// null and NaN counts, and bounds in single-value serialization, strings and binary truncated
// to `bound_width` (a string upper bound rounded up, or left out when it cannot be).
// `partition` holds one value per partition field. Errors: InvalidArgument for malformed UTF-8
// in a string bound.
Result<DataFile> DataFileFromParquet(const parquet::ParquetFileMetrics& metrics,
                                     DataFileContent content, std::vector<Value> partition,
                                     int bound_width = kDefaultBoundWidth);

// The schema of a position-delete file: file_path string, pos long, both required.
SchemaPtr PositionDeleteSchema();

// Collects (data file path, row position) pairs and writes them sorted by path, then position,
// as the spec requires. The pairs are held in memory until Close(). Not thread-safe.
class PositionDeleteWriter {
 public:
  PositionDeleteWriter(FileIO* io, std::string path, parquet::ParquetWriterOptions options = {});

  void Add(std::string_view data_file_path, int64_t pos);
  int64_t size() const { return static_cast<int64_t>(deletes_.size()); }

  // Writes and publishes the file. A file with no deletes is an InvalidArgument error.
  Result<DataFile> Close(std::vector<Value> partition = {});

 private:
  FileIO* io_;
  std::string path_;
  parquet::ParquetWriterOptions options_;
  std::vector<std::pair<std::string, int64_t>> deletes_;
};

// Writes rows that delete, by equality on `equality_ids`, every earlier row with the same
// values. The rows written hold the table schema's top-level fields named by `equality_ids`,
// in the table schema's order (see DeleteSchema()).
class EqualityDeleteWriter {
 public:
  // Errors: InvalidArgument when an id is not a top-level primitive field of `table_schema`
  // or the list is empty.
  static Result<std::unique_ptr<EqualityDeleteWriter>> Open(
      FileIO* io, const std::string& path, const Schema& table_schema,
      std::vector<int32_t> equality_ids, parquet::ParquetWriterOptions options = {});

  // The schema batches passed to Write must have.
  const SchemaPtr& delete_schema() const { return delete_schema_; }
  Status Write(const ColumnBatch& keys) { return writer_->Write(keys); }
  Result<DataFile> Close(std::vector<Value> partition = {});

 private:
  EqualityDeleteWriter() = default;
  SchemaPtr delete_schema_;
  std::vector<int32_t> equality_ids_;
  std::unique_ptr<parquet::ParquetWriter> writer_;
};

}  // namespace nilus::iceberg
