// ParquetWriter: writes ColumnBatches to one Parquet file, following the Iceberg spec's
// Parquet appendix for type mapping and field ids.
//
// Usage:
//   NILUS_ASSIGN_OR_RAISE(auto writer, ParquetWriter::Open(io, path, schema, options));
//   NILUS_RETURN_NOT_OK(writer->Write(batch));   // any number of times
//   NILUS_ASSIGN_OR_RAISE(ParquetFileMetrics m, writer->Close());
//
// The file appears at `path` only when Close() succeeds; after any error the writer is
// poisoned, every later call returns that error, and nothing is published.
// Memory is bounded by the row-group size (options.row_group_max_bytes), not the file size.
// A ParquetWriter is not thread-safe; it uses `options.pool` internally to encode and compress
// the column chunks of a row group in parallel.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/column_batch.h"
#include "core/thread_pool.h"
#include "core/value.h"
#include "storage/file_io.h"

namespace nilus::parquet {

enum class Compression { kNone, kSnappy, kZstd };

struct ParquetWriterOptions {
  Compression compression = Compression::kZstd;
  int zstd_level = 3;

  // A row group is closed when either limit is reached. Bytes are the in-memory size of the
  // buffered batches.
  int64_t row_group_max_bytes = 128LL << 20;
  int64_t row_group_max_rows = 1LL << 20;
  // A data page is closed when its encoded values reach either limit.
  int64_t page_max_bytes = 1LL << 20;
  int64_t page_max_rows = 20000;

  bool dictionary_enabled = true;
  // Past this many bytes of dictionary (PLAIN-encoded size) a column chunk falls back to PLAIN
  // for the rest of its pages.
  int64_t dictionary_max_bytes = 1LL << 20;

  // Statistics larger than this (a long string) are left out of the footer; the Iceberg
  // metrics still carry the full bounds.
  int64_t max_statistics_bytes = 4096;

  std::vector<std::pair<std::string, std::string>> key_value_metadata;
  std::string created_by = "nilus version 0.1.0";

  // Where column chunks are encoded; nullptr means ThreadPool::Default().
  ThreadPool* pool = nullptr;
};

// What Iceberg manifests need per leaf column (keyed by the leaf's field id).
struct ColumnMetrics {
  int32_t field_id = 0;
  std::string path;             // dotted Parquet path, e.g. "tags.list.element"
  int64_t compressed_size = 0;  // bytes of the column's chunks, headers included
  int64_t value_count = 0;      // leaf values, nulls included (Parquet num_values)
  int64_t null_count = 0;
  std::optional<int64_t> nan_count;  // float and double only
  std::optional<Value> lower_bound;  // absent when every value is null (or NaN)
  std::optional<Value> upper_bound;
};

struct ParquetFileMetrics {
  std::string path;
  int64_t file_size = 0;
  int64_t record_count = 0;
  std::vector<int64_t> split_offsets;  // start offset of every row group
  std::vector<ColumnMetrics> columns;  // one per leaf, in schema order
};

class ParquetWriter {
 public:
  // Validates the schema and options. No I/O happens until the first row group is flushed
  // (the output stream is opened here, but it publishes nothing until Close()).
  static Result<std::unique_ptr<ParquetWriter>> Open(FileIO* io, const std::string& path,
                                                     SchemaPtr schema,
                                                     ParquetWriterOptions options = {});
  ~ParquetWriter();

  // Encodes the batch into the current row group (in parallel across leaf columns) and
  // flushes the row group when a limit is reached. The batch must have the writer's schema.
  // A value that does not fit its type (a decimal overflow, invalid UTF-8, a wrong fixed
  // length, a null in a required field) is an InvalidArgument error naming the column and the
  // row (counted from the start of the file). Returns once the batch is no longer needed.
  Status Write(const ColumnBatch& batch);
  // The same, but may return before the batch is encoded: the writer keeps the pointer until
  // then, so the caller can build the next batch while this one is encoded. An error found
  // later is returned by a later Write or by Close.
  Status Write(std::shared_ptr<const ColumnBatch> batch);

  // Flushes the last row group, writes the footer and publishes the file.
  Result<ParquetFileMetrics> Close();

  // Discards the file. Safe after an error.
  void Abort();

  // Rows accepted so far.
  int64_t num_rows() const;
  // Bytes written to the stream so far (flushed row groups).
  int64_t bytes_written() const;

  struct Impl;

 private:
  explicit ParquetWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nilus::parquet
