// ColumnChunkWriter: encodes one leaf column of the file, one column chunk per row group.
// Internal to the Parquet writer.
//
// Append() runs on a pool thread, but the calls for one column are sequential (the writer
// keeps them on one strand). Pages are compressed by separate pool tasks as soon as they are
// cut, so one wide column can keep both cores busy. Finish() waits for those tasks; it must
// not run on a pool thread.
#pragma once

#include <future>
#include <memory>
#include <vector>

#include "core/column_batch.h"
#include "core/thread_pool.h"
#include "formats/parquet/parquet_metadata.h"
#include "formats/parquet/schema_mapping.h"
#include "formats/parquet/writer.h"

namespace nilus::parquet {

// A column chunk ready to be written: its pages in file order (dictionary page first), each
// as header bytes followed by page bytes.
struct FinishedChunk {
  std::vector<Buffer> pieces;
  ColumnMetaData meta;  // data_page_offset / dictionary_page_offset relative to chunk start
  int64_t total_bytes = 0;
};

class ColumnChunkWriter {
 public:
  static std::unique_ptr<ColumnChunkWriter> Make(const LeafColumn& leaf,
                                                 const ParquetWriterOptions& options,
                                                 ThreadPool* pool);
  virtual ~ColumnChunkWriter() = default;

  // Encodes rows [begin, end) of `batch` into the current chunk. `first_row` is the file row
  // number of batch row 0, for error messages.
  virtual Status Append(const ColumnBatch& batch, int64_t begin, int64_t end,
                        int64_t first_row) = 0;

  // Cuts the last page, waits for compression and hands over the chunk. The writer is then
  // ready for the next row group.
  virtual Result<FinishedChunk> Finish() = 0;

  // File-level metrics (over every finished chunk); valid after the last Finish().
  virtual ColumnMetrics Metrics() const = 0;
};

}  // namespace nilus::parquet
