// IcebergSink: loads batches into one Iceberg table and commits them as one snapshot per
// Commit, by write disposition (append, replace, merge), idempotently by load id.
//
// Usage (one load of one table):
//   NILUS_ASSIGN_OR_RAISE(auto sink, IcebergSink::Open(catalog, "shop", "orders", options));
//   NILUS_ASSIGN_OR_RAISE(auto cursor, sink->LastCommittedProperty("nilus.cursor.orders"));
//   ... extract from `cursor` on ...
//   NILUS_RETURN_NOT_OK(sink->Write(std::move(batch)));  // any number of times
//   NILUS_ASSIGN_OR_RAISE(LoadCommitResult r, sink->Commit({load_id, {{"nilus.cursor.orders",
//                                                                       "2024-05-01T..."}}}));
// Only after Commit returned OK may the caller move its checkpoint: the properties are in the
// snapshot that holds the data, so the destination is the source of truth for the cursor.
//
// Table creation: when the table does not exist, Write creates it from the first batch's
// schema (names and types; field ids are assigned by the catalog), with the primary key as
// identifier fields (made required) and the partition hints as spec. The merge delete marker
// column is never part of the table.
//
// Schema evolution: before writing a batch whose schema differs from the table's (by column
// name), the sink commits a schema change: new columns are added as optional, int/float/
// decimal columns are widened, required columns receiving nulls become optional. An
// incompatible type is a TypeError naming the table and the column; nothing is written.
// Schema changes are committed as they are found, before the data (a crash leaves the new
// columns, with no data in them).
//
// Data files: written through iceberg::PartitionedFileWriter as they arrive (append and
// replace), rolled at `target_file_size`; memory is bounded by the row-group size per open
// file (see IcebergSinkOptions::memory_budget_bytes).
//
// Merge keeps the rows of a round in memory until Commit to keep the last row per key (see
// IcebergSinkOptions::merge_max_buffer_bytes), then commits one RowDelta: the surviving rows
// (those with the delete marker are left out) and equality deletes on the key columns holding
// every key of the round. Deletes apply only to data of a lower sequence number, so they
// remove the keys' earlier rows but not the rows added by the same snapshot. A partitioned
// table is supported when its spec uses only key columns (then a key's rows always share one
// partition, and the delete files are partitioned like the data).
//
// Commit and idempotency: each commit writes "nilus.load-id" into the snapshot summary.
// Before committing, and again after a commit whose outcome was unknown, the sink looks for
// the load id in the table's snapshot ancestry; if it is there, the new files are deleted and
// the result says already_committed. Files written but not committed (an error, Abort, or the
// sink destroyed before Commit) are deleted best-effort; after a crash they remain as orphans
// that no snapshot lists. The check guards against reruns, not against two processes
// committing the same load id at the same moment (the runner must not start those).
//
// After Commit the sink may be reused for another round (Write ... Commit) with a new load id,
// e.g. "<id>-<chunk>" for a large load committed in chunks.
//
// Not thread-safe: one sink belongs to one thread. The Catalog must outlive the sink.
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
#include "formats/parquet/writer.h"
#include "iceberg/partitioned_writer.h"
#include "iceberg/table.h"
#include "load/sink.h"

namespace nilus::load {

struct IcebergSinkOptions {
  WriteDisposition disposition = WriteDisposition::kAppend;
  // Key columns by name. Required for merge. At table creation they become the schema's
  // identifier fields (required columns); for an existing table they must be its columns.
  std::vector<std::string> primary_key;
  // Whether a table created by the sink makes the primary key its identifier fields (and so
  // required columns). false: the key columns keep the batch's nullability and the schema has no
  // identifier fields; merge then matches keys with null equal to null (CDC mirrors of
  // REPLICA IDENTITY FULL tables, whose "key" is every column).
  bool key_is_identifier = true;
  // Partition hints used when the sink creates the table ("day(created_at)", "bucket(16,id)",
  // "region"; see ParsePartitionHint). An existing table keeps its spec.
  std::vector<std::string> partition_by;
  // Table properties set at creation.
  std::map<std::string, std::string> table_properties;

  // replace: overwrite only the partitions the load wrote to (dynamic partition overwrite)
  // instead of the whole table.
  bool replace_added_partitions = false;

  // merge: a row whose `delete_marker_column` equals `delete_marker_value` ("true" for a
  // boolean, decimal text for integers, the text for strings) deletes its key and is not
  // re-inserted. The marker column is never written to the table. Empty: no marker.
  std::string delete_marker_column;
  std::string delete_marker_value = "true";
  // merge of a child table: instead of equality deletes on the primary key, the round deletes
  // every earlier row whose `group_delete_column` (a string column) holds a group value of the
  // round: the values in the round's rows plus those passed to AddDeleteGroups. The round's
  // rows (deduplicated by primary key) are then inserted. The runner sets it to
  // "_nilus_root_id", so the children of an updated or deleted root row are replaced as a whole
  // and a list that shrank leaves no stale elements. The table must be unpartitioned or
  // partitioned by this column only. Empty: plain key merge.
  std::string group_delete_column;
  // merge: the rows of one round and a key index (about 64 bytes plus the key per distinct
  // key) are kept in memory until Commit, to keep the last row per key; past this many bytes
  // Write fails with InvalidArgument. 0: memory_budget_bytes. Commit in chunks (a new load id
  // per chunk, see pending_bytes()) to load more.
  int64_t merge_max_buffer_bytes = 0;

  // The memory the sink's writers may hold: row groups are built in memory, one per open file,
  // so a row group is capped at memory_budget_bytes / (2 x files that may be open: 1 for an
  // unpartitioned table, else max_open_files); the factor 2 leaves room for encoding.
  int64_t memory_budget_bytes = int64_t{512} << 20;
  // Data files roll once this many bytes were flushed to them.
  int64_t target_file_size = int64_t{512} << 20;
  // In-memory size of a row group before it is flushed (per open file), before the cap above.
  int64_t row_group_max_bytes = int64_t{128} << 20;
  parquet::Compression compression = parquet::Compression::kZstd;
  int max_open_files = 16;
  // Where column chunks are encoded; nullptr: ThreadPool::Default().
  ThreadPool* pool = nullptr;

  // Attempts of a commit whose outcome was unknown (Unavailable); conflicts with other
  // writers are retried by the Iceberg producers themselves.
  int commit_attempts = 3;
};

class IcebergSink final : public Sink {
 public:
  // Loads `ns`.`name` if it exists (it is created on the first Write otherwise). Checks the
  // options. Errors: InvalidArgument (merge without primary key, a key or marker column
  // missing from an existing table), NotImplemented (merge into a table partitioned by a
  // column outside the primary key, or whose spec evolved), catalog/FileIO errors.
  static Result<std::unique_ptr<IcebergSink>> Open(iceberg::Catalog* catalog, std::string ns,
                                                   std::string name, IcebergSinkOptions options);
  ~IcebergSink() override;

  // Evolves the table for `batch`'s schema (see the file comment), then writes its rows
  // (merge: buffers them). On error the round is aborted: its files are deleted, and later
  // Write calls and the round's Commit return that error (Commit, or Abort, ends the round).
  Status Write(std::unique_ptr<ColumnBatch> batch) override;

  // Commits the round's rows as one snapshot by the disposition, with `request`'s load id and
  // properties. A round with no rows still commits a snapshot (recording the properties; for
  // replace it empties the table), unless the table does not exist yet (then nothing happens
  // and `committed` is false). Errors: InvalidArgument (no load id, reserved keys), Conflict
  // (a concurrent change the producer cannot rebase over), Unavailable (state unknown after
  // the last attempt; the files are kept then), FileIO/catalog errors. The round ends either
  // way.
  Result<LoadCommitResult> Commit(const CommitRequest& request) override;

  // Drops the current round: deletes its files. The sink can start a new round.
  void Abort() override;

  // Group merge (options.group_delete_column): adds group values whose earlier rows the
  // round's commit deletes, also when the round has no rows for them (a root row whose list
  // became empty, or that was deleted). InvalidArgument without group_delete_column.
  Status AddDeleteGroups(const std::vector<std::string>& groups) override;

  // The newest value of summary property `key` in the table's current snapshot ancestry, read
  // fresh from the catalog. nullopt when the table or the property does not exist.
  Result<std::optional<std::string>> LastCommittedProperty(std::string_view key) override;
  // Whether a snapshot in the current ancestry has "nilus.load-id" == `load_id` (fresh).
  Result<bool> IsLoadCommitted(std::string_view load_id) override;

  // Rows and in-memory bytes passed to Write in the current round: a runner committing a
  // large load in chunks commits when these pass its threshold.
  int64_t pending_rows() const override;
  int64_t pending_bytes() const override;

  // nullptr until the table exists.
  const iceberg::Table* table() const { return table_.get(); }

 private:
  struct Round;
  IcebergSink(iceberg::Catalog* catalog, std::string ns, std::string name,
              IcebergSinkOptions options);

  std::string FullName() const;
  Status CreateTableFor(const Schema& batch_schema);
  Status EvolveFor(const Schema& batch_schema);
  Status WriteRows(std::unique_ptr<ColumnBatch> batch);
  // Writer options for the table's default spec, with the row-group cap of the budget.
  iceberg::PartitionedWriterOptions WriterOptions() const;
  // The columns a merge's equality deletes hold: the group column, else the primary key.
  std::vector<std::string> MergeDeleteColumns() const;
  void AddGroup(std::string group);
  // Indexes buffered batch `b` by key (the newest row wins) and counts the index's memory.
  void IndexRows(int b);
  // Opens the writer for `schema`, finishing the files of a writer for an older schema.
  Status EnsureWriter(const SchemaPtr& schema);
  // Closes the writer (and for merge writes the deduplicated rows and the delete file).
  Status FinishFiles(std::vector<iceberg::DataFile>* data, std::vector<iceberg::DataFile>* deletes);
  Status WriteMergeFiles(std::vector<iceberg::DataFile>* deletes);
  Status CommitFiles(const CommitRequest& request, const std::vector<iceberg::DataFile>& data,
                     const std::vector<iceberg::DataFile>& deletes, LoadCommitResult* result);
  std::optional<int64_t> FindLoadSnapshot(std::string_view load_id) const;
  void DeleteFilesQuietly(const std::vector<iceberg::DataFile>& files);
  void ResetRound();

  iceberg::Catalog* catalog_;
  std::string ns_;
  std::string name_;
  IcebergSinkOptions options_;
  std::unique_ptr<iceberg::Table> table_;
  std::unique_ptr<Round> round_;
};

}  // namespace nilus::load
