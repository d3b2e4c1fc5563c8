// Sink: where the pipeline runner sends a table's batches and how it commits them, without
// naming the destination (IcebergSink is the one implementation). Also the types the runner
// reads back: the write disposition, the commit request and its result.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/column_batch.h"
#include "core/result.h"

namespace nilus::load {

// The summary key every sink commit writes.
inline constexpr std::string_view kLoadIdProperty = "nilus.load-id";

enum class WriteDisposition { kAppend, kReplace, kMerge };

// "append" | "replace" | "merge" (InvalidArgument otherwise).
Result<WriteDisposition> ParseWriteDisposition(std::string_view text);
std::string_view WriteDispositionName(WriteDisposition d);

struct CommitRequest {
  // Unique per committed round; written as "nilus.load-id". Required.
  std::string load_id;
  // Further snapshot summary properties, e.g. {"nilus.cursor.orders", "..."}.
  std::map<std::string, std::string> properties;
};

struct LoadCommitResult {
  // A snapshot was committed by this call.
  bool committed = false;
  // The load id was found in the table already; nothing new was committed.
  bool already_committed = false;
  // The table was created by this sink (during this round).
  bool table_created = false;
  std::optional<int64_t> snapshot_id;  // the new snapshot (or the one holding the load id)
  int64_t data_files = 0;
  int64_t delete_files = 0;
  int64_t rows_written = 0;   // rows in the new data files
  int64_t rows_received = 0;  // rows passed to Write (before merge deduplication)
  int64_t keys_deleted = 0;   // merge: rows of the equality-delete file
  int64_t bytes_written = 0;  // data and delete files
  std::vector<std::string> schema_changes;
  int commit_attempts = 0;
  double write_seconds = 0;   // in Write (and, for merge, writing files at Commit)
  double commit_seconds = 0;  // the catalog commit
};

// One destination table. A load is a round of Write calls closed by Commit (or Abort); a sink
// may run several rounds, each with its own load id. Not thread-safe.
class Sink {
 public:
  virtual ~Sink() = default;

  // Adds rows to the current round. On error the round is dropped (its files deleted).
  virtual Status Write(std::unique_ptr<ColumnBatch> batch) = 0;
  // Commits the round atomically with `request`'s load id and properties, or does nothing when
  // that load id is already committed (see LoadCommitResult). Only after OK may the caller
  // move its checkpoint.
  virtual Result<LoadCommitResult> Commit(const CommitRequest& request) = 0;
  // Drops the current round.
  virtual void Abort() = 0;
  // Merge of a child table: the round also deletes every earlier row of these groups (see
  // IcebergSinkOptions::group_delete_column). Sinks without groups return InvalidArgument.
  virtual Status AddDeleteGroups(const std::vector<std::string>& groups) = 0;
  // The newest committed value of summary property `key` (a cursor or LSN), read from the
  // destination; nullopt when none.
  virtual Result<std::optional<std::string>> LastCommittedProperty(std::string_view key) = 0;
  // Whether a load with this id is committed.
  virtual Result<bool> IsLoadCommitted(std::string_view load_id) = 0;
  // Rows and in-memory bytes written in the current round (to commit large loads in chunks).
  virtual int64_t pending_rows() const = 0;
  virtual int64_t pending_bytes() const = 0;
};

}  // namespace nilus::load
