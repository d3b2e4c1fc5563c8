// Compaction: rewrites a table's small data files, and files that have deletes to apply, into
// files of a target size, committed as one "replace" snapshot (RewriteFiles).
//
// Files are grouped by partition (spec id and partition tuple). In each group the candidates
// are the small files (below 75% of the target size) and the files some delete file applies
// to. A group is rewritten when it has at least `min_input_files` candidates, or when any
// candidate has deletes (then even alone: rewriting applies them). The candidates' live rows,
// deletes applied (see scan.h), are written with the table's current schema and default spec
// into new files under <location>/data/, rolled at the target size. The commit removes every
// input file, and every delete file that applied to some input file and to no file that stays;
// the new files take the planned snapshot's sequence number (RewriteFiles::StartFrom), so
// deletes committed meanwhile still apply to their rows.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/result.h"
#include "formats/parquet/writer.h"
#include "iceberg/table.h"

namespace nilus::iceberg {

// Table property holding the target data file size (Java's name).
inline constexpr std::string_view kWriteTargetFileSizeBytes = "write.target-file-size-bytes";
inline constexpr int64_t kDefaultTargetFileSizeBytes = int64_t{512} << 20;

struct CompactionOptions {
  // Unset: the table property write.target-file-size-bytes, else 512 MiB.
  std::optional<int64_t> target_file_size_bytes;
  // A group (partition) is rewritten when it has this many candidates; a group with deletes
  // to apply is rewritten whatever its count.
  int min_input_files = 2;
  // Only the partitions this filter selects (see PartitionFilter); every partition when unset.
  std::optional<PartitionFilter> filter;
  // Options of the files written (zstd by default, as the table's other writers).
  parquet::ParquetWriterOptions parquet;
  // Extra summary properties of the replace snapshot (reserved keys are refused at commit).
  std::map<std::string, std::string> summary;
};

struct CompactionResult {
  // False when nothing needed rewriting: no snapshot was made and the counts are zero.
  bool committed = false;
  std::optional<int64_t> snapshot_id;        // the replace snapshot
  std::optional<int64_t> start_snapshot_id;  // the snapshot the files were read from
  int64_t groups_rewritten = 0;
  int64_t data_files_read = 0;
  int64_t bytes_read = 0;    // file sizes of the data files read
  int64_t rows_read = 0;     // rows in them, before deletes
  int64_t rows_deleted = 0;  // rows dropped by position and equality deletes
  int64_t delete_files_read = 0;
  int64_t data_files_written = 0;
  int64_t bytes_written = 0;
  int64_t rows_written = 0;
  int64_t delete_files_removed = 0;
  double elapsed_ms = 0;
};

// Refreshes the table, plans its current snapshot, rewrites what needs it (see above) and
// commits. On success the Table holds the new metadata. If the commit fails, the new data
// files are deleted best-effort (kept when the outcome is unknown: Unavailable "commit state
// unknown"). Errors: InvalidArgument for bad options or a filter the table's specs cannot
// decide; read errors (naming the file); Conflict when another writer removed an input file
// or added position deletes against one meanwhile (run compaction again); commit errors.
Result<CompactionResult> CompactTable(Table& table, const CompactionOptions& options = {});

}  // namespace nilus::iceberg
