// PartitionedFileWriter: writes the rows of a table's batches into Parquet data files, one
// partition per file, splitting each batch by its rows' partition tuples and rolling to a new
// file when one grows past a target size.
//
// Usage:
//   NILUS_ASSIGN_OR_RAISE(auto w, PartitionedFileWriter::Make(io, location, schema, spec, opts));
//   NILUS_RETURN_NOT_OK(w->Write(batch));  // any number of times
//   NILUS_ASSIGN_OR_RAISE(std::vector<DataFile> files, w->Close());  // then commit them
//
// Files go to `<location>/data/<partition path>/<prefix>-<n>.parquet` (see PartitionPath), or
// `<location>/data/<prefix>-<n>.parquet` for an unpartitioned spec, n counting up from 0 across
// all partitions. Each returned DataFile carries one partition value per spec field, typed with
// the field's transform result type.
//
// Open files: each open partition keeps a ParquetWriter, which buffers up to a row group
// (ParquetWriterOptions::row_group_max_bytes) in memory. When a batch needs a writer and
// `max_open_files` are open, the least recently written one is closed (its file is complete
// and will be returned by Close); the partition gets a new file if rows for it arrive later.
// So unsorted input never fails, at the cost of more, smaller files; sort the input by the
// partition columns to avoid that.
//
// Errors poison the writer: every later Write or Close returns the first error, and the caller
// should call Abort(). Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/column_batch.h"
#include "formats/parquet/writer.h"
#include "iceberg/data_file.h"
#include "iceberg/partition_spec.h"
#include "storage/file_io.h"

namespace nilus::iceberg {

struct PartitionedWriterOptions {
  parquet::ParquetWriterOptions parquet;
  // A file is closed once the bytes flushed to it (whole row groups) reach this size.
  int64_t target_file_size = int64_t{512} << 20;
  // File names are `<file_prefix>-<n>.parquet`. Empty (the default) means a fresh UUID per
  // writer, so that two writers of one table never replace each other's (committed) files. A
  // caller-chosen prefix must be just as unique.
  std::string file_prefix;
  // Open ParquetWriters at most; past that the least recently written is closed.
  int max_open_files = 100;
};

// The human-readable form of a partition value, as Java's Transform.toHumanString writes it:
// "null" for a null (and for void); year "yyyy", month "yyyy-MM", day "yyyy-MM-dd", hour
// "yyyy-MM-dd-HH"; bucket as the number; identity and truncate by the value's type: dates
// "yyyy-MM-dd", times "HH:mm:ss[.f]", timestamps "yyyy-MM-ddTHH:mm:ss[.f]" (with "+00:00" for
// timestamptz), the fraction without trailing zeros, floats as Java prints them ("1.0",
// "1.0E10"), decimals with their scale, uuids hyphenated, binary and fixed as base64, strings
// as they are. Errors: TypeError for a value that does not hold its type's representation.
Result<std::string> PartitionValueToHumanString(const Transform& transform, const Value& value);

// `name=value` per field, joined by '/', names and values URL-encoded as Java's
// URLEncoder.encode(s, "UTF-8") does (letters, digits and ".-*_" kept, space as '+', every
// other byte as %XX), like Java's PartitionSpec.partitionToPath. Empty for a spec without
// fields. Errors: InvalidArgument when the number of values differs from the spec's fields,
// and as PartitionValueToHumanString.
Result<std::string> PartitionPath(const PartitionSpec& spec, const std::vector<Value>& values);

// URL-encodes as Java's URLEncoder.encode(s, "UTF-8"); exposed for tests.
std::string UrlEncodeForPath(std::string_view s);

class PartitionedFileWriter {
 public:
  // Checks the spec against the schema. Errors: as PartitionSpec::Validate; InvalidArgument
  // when a partition source is not a top-level column (partitioning by a field nested in a
  // struct is not supported here), or for a target size or file cap below 1. No I/O.
  static Result<std::unique_ptr<PartitionedFileWriter>> Make(FileIO* io, std::string table_location,
                                                             SchemaPtr schema, PartitionSpec spec,
                                                             PartitionedWriterOptions options = {});
  ~PartitionedFileWriter();

  // Splits the batch by partition and appends each part to its partition's file. The batch
  // must have the writer's schema. Errors: the transforms' errors, the Parquet writer's.
  Status Write(const ColumnBatch& batch);

  // Closes every open file and returns all files written, in the order they were completed.
  // A writer that received no rows returns no files. Calling Close twice is an error.
  Result<std::vector<DataFile>> Close();

  // Discards the open files and deletes the files already completed (best effort): nothing
  // this writer produced remains. Safe after an error; a no-op after a successful Close (the
  // returned files belong to the caller then). A writer destroyed before a successful Close
  // aborts this way.
  void Abort();

  // Files currently open.
  int num_open_files() const { return num_open_; }
  // Files completed so far (rolled or evicted), not counting the open ones.
  int64_t num_completed_files() const { return static_cast<int64_t>(completed_.size()); }

 private:
  struct Partition;

  PartitionedFileWriter() = default;
  // Appends `part` (rows of one partition) to that partition's file, opening or rolling files.
  Status WriteToPartition(Partition* p, const ColumnBatch& part);
  Status OpenFile(Partition* p);
  Status CloseFile(Partition* p);
  Status Fail(Status st);

  FileIO* io_ = nullptr;
  std::string location_;
  SchemaPtr schema_;
  PartitionSpec spec_;
  PartitionedWriterOptions options_;
  std::vector<int> source_columns_;  // per spec field, the top-level column index
  std::vector<TypePtr> result_types_;

  // Partitions seen so far, keyed by the serialized partition tuple.
  std::unordered_map<std::string, std::unique_ptr<Partition>> partitions_;
  std::vector<Partition*> order_;  // the same partitions, in the order they first appeared
  std::vector<DataFile> completed_;
  int num_open_ = 0;
  int64_t next_file_number_ = 0;
  uint64_t tick_ = 0;
  Status error_;
  bool closed_ = false;
};

}  // namespace nilus::iceberg
