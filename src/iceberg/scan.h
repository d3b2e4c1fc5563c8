// Table scans: planning which data files a snapshot holds and which delete files apply to each
// (spec "Scan Planning"), and reading their rows with position and equality deletes applied.
//
// Usage:
//   NILUS_ASSIGN_OR_RAISE(ScanPlan plan, PlanScan(table.io(), table.metadata()));
//   NILUS_ASSIGN_OR_RAISE(auto reader, ScanReader::Make(table.io(), table.metadata()));
//   for (const FileScanTask& task : plan.tasks) {
//     NILUS_RETURN_NOT_OK(reader->Read(task, [&](std::unique_ptr<ColumnBatch> batch) {...}));
//   }
// or, for small tables and tests, ScanTable(table) returns every live row.
//
// The delete rules (format version 2):
// - A position delete file applies to a data file when its data sequence number is >= the data
//   file's, and it is in the same partition (same spec id and equal partition tuple) or its
//   spec is unpartitioned. Its rows name the data file by path, so it is skipped when its
//   referenced_data_file names another file or its file_path bounds exclude the path.
// - An equality delete file applies when its data sequence number is > the data file's (rows
//   appended after the delete stay), and it is in the same partition or its spec is
//   unpartitioned (a global delete). A row is deleted when its values of the delete's
//   equality_ids equal one row of the delete file, a null matching a null.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/column_batch.h"
#include "core/result.h"
#include "iceberg/data_file.h"
#include "iceberg/table.h"
#include "iceberg/table_metadata.h"
#include "storage/file_io.h"

namespace nilus::iceberg {

// A live file of a snapshot with what planning needs from its manifest entry.
struct ScanFile {
  DataFile file;
  int64_t data_sequence_number = 0;
  int32_t spec_id = 0;
};

// One data file to read and the delete files that apply to it.
struct FileScanTask {
  DataFile data_file;
  int64_t data_sequence_number = 0;
  int32_t spec_id = 0;
  // Shared between the tasks they apply to (and ScanPlan::delete_files).
  std::vector<std::shared_ptr<const ScanFile>> deletes;
};

struct ScanOptions {
  // The snapshot to plan; the table's current snapshot when unset.
  std::optional<int64_t> snapshot_id;
  // Only data files whose partition matches (see PartitionFilter). Delete files are matched to
  // the selected data files by the rules above, whatever the filter.
  std::optional<PartitionFilter> filter;
};

struct ScanPlan {
  // The planned snapshot; nullopt for a table without snapshots (then everything is empty).
  std::optional<int64_t> snapshot_id;
  int64_t sequence_number = 0;
  // The selected live data files, in manifest order.
  std::vector<FileScanTask> tasks;
  // Every live delete file of the snapshot, applying to some task or not.
  std::vector<std::shared_ptr<const ScanFile>> delete_files;
};

// Whether delete file `del` applies to data file `data` by the rules above (sequence numbers,
// partition, and for position deletes the referenced file and file_path bounds). `del_spec`
// is the delete file's spec. Pure.
bool DeleteFileApplies(const ScanFile& del, const PartitionSpec& del_spec, const ScanFile& data);

// A byte string equal for two files exactly when they have the same spec id and equal partition
// tuples (null equal to null): a hash key for grouping files by partition.
std::string PartitionTupleKey(int32_t spec_id, const std::vector<Value>& partition);

// Reads the snapshot's manifest list and manifests (with sequence-number inheritance) and
// builds the tasks. Errors: NotFound for an unknown snapshot id, InvalidArgument for a
// manifest naming an unknown spec or a filter the spec cannot decide, FileIO and Avro errors.
Result<ScanPlan> PlanScan(FileIO* io, const TableMetadata& metadata,
                          const ScanOptions& options = {});

// Counters of one ScanReader.
struct ScanStats {
  int64_t data_files = 0;
  int64_t rows_read = 0;  // rows in the data files read, before deletes
  int64_t rows_position_deleted = 0;
  int64_t rows_equality_deleted = 0;
  int64_t delete_files_read = 0;  // each delete file counts once (they are cached)
};

// Reads tasks' data files with their deletes applied, into batches of a projection schema.
// Each delete file is read once per reader, the first time a task needs it, and kept in memory
// (position deletes as sorted positions per data file path, equality deletes as a hash set of
// key tuples). Not thread-safe. The metadata passed to Make must outlive the reader.
class ScanReader {
 public:
  // `projection`: the top-level fields to return, by field id (default: the table's current
  // schema). Equality-delete columns that the projection lacks are read as well and dropped.
  // No I/O. InvalidArgument for a table without a current schema.
  static Result<std::unique_ptr<ScanReader>> Make(FileIO* io, const TableMetadata& metadata,
                                                  SchemaPtr projection = nullptr);
  ~ScanReader();

  using BatchSink = std::function<Status(std::unique_ptr<ColumnBatch>)>;
  // Reads the task's data file row group by row group and passes each group's surviving rows
  // to `sink` as one batch of the projection schema (groups with no surviving row are
  // skipped). Errors: the Parquet reader's (naming the file), Corruption for a malformed delete
  // file, NotImplemented for an equality field that is not a top-level primitive column, and
  // whatever `sink` returns (which stops the read).
  Status Read(const FileScanTask& task, const BatchSink& sink);

  const SchemaPtr& projection() const { return projection_; }
  const ScanStats& stats() const { return stats_; }

 private:
  struct Caches;
  ScanReader(FileIO* io, const TableMetadata* metadata, SchemaPtr projection);

  FileIO* io_;
  const TableMetadata* metadata_;
  SchemaPtr projection_;
  ScanStats stats_;
  std::unique_ptr<Caches> caches_;
};

// Every live row of the table's current snapshot (or options.snapshot_id), deletes applied,
// in batches of `projection` (default: the current schema). Holds everything in memory: for
// tests and small tables. Errors as PlanScan and ScanReader::Read.
Result<std::vector<std::unique_ptr<ColumnBatch>>> ScanTable(const Table& table,
                                                            const ScanOptions& options = {},
                                                            SchemaPtr projection = nullptr);

}  // namespace nilus::iceberg
