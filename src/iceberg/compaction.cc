#include "iceberg/compaction.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "iceberg/partitioned_writer.h"
#include "iceberg/scan.h"

namespace nilus::iceberg {
namespace {

Result<int64_t> TargetFileSize(const TableMetadata& metadata, const CompactionOptions& options) {
  int64_t target = kDefaultTargetFileSizeBytes;
  if (options.target_file_size_bytes) {
    target = *options.target_file_size_bytes;
  } else if (auto it = metadata.properties.find(std::string(kWriteTargetFileSizeBytes));
             it != metadata.properties.end()) {
    const std::string& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), target);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return Status::Invalid(
          fmt::format("table property {} is not a number: '{}'", kWriteTargetFileSizeBytes, text));
    }
  }
  if (target < 1) {
    return Status::Invalid(fmt::format("target file size must be positive, not {}", target));
  }
  return target;
}

// The files of one partition that will be rewritten (indexes into ScanPlan::tasks).
struct CompactionGroup {
  std::vector<size_t> tasks;
};

}  // namespace

Result<CompactionResult> CompactTable(Table& table, const CompactionOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.min_input_files < 1) {
    return Status::Invalid(
        fmt::format("compaction of {}: min_input_files must be at least 1", table.FullName()));
  }
  const std::string what = "compaction of " + table.FullName();
  NILUS_RETURN_NOT_OK_CTX(table.Refresh(), what);
  // A copy: the reader keeps a pointer to it, and the table's own metadata changes at commit.
  const TableMetadata base = table.metadata();
  FileIO* io = table.io();
  auto target_size = TargetFileSize(base, options);
  if (!target_size.ok()) return target_size.status().WithContext(what);
  const int64_t target = *target_size;
  const int64_t small_below = target / 4 * 3 + (target % 4) * 3 / 4;

  CompactionResult result;
  auto finish = [&]() {
    result.elapsed_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return result;
  };
  // Unfiltered: whether a delete file still applies to a file that stays is decided over the
  // whole table.
  auto planned = PlanScan(io, base);
  if (!planned.ok()) return planned.status().WithContext(what);
  const ScanPlan& plan = *planned;
  if (!plan.snapshot_id) return finish();
  result.start_snapshot_id = plan.snapshot_id;

  // Group the candidates by partition, in a stable order.
  std::map<std::string, CompactionGroup> groups;
  for (size_t i = 0; i < plan.tasks.size(); ++i) {
    const FileScanTask& task = plan.tasks[i];
    if (options.filter) {
      const PartitionSpec* spec = base.SpecById(task.spec_id);
      auto match = options.filter->Matches(*spec, task.data_file.partition);
      if (!match.ok()) {
        return match.status().WithContext(
            fmt::format("{}: data file '{}'", what, task.data_file.file_path));
      }
      if (!*match) continue;
    }
    if (task.data_file.file_size_in_bytes >= small_below && task.deletes.empty()) continue;
    groups[PartitionTupleKey(task.spec_id, task.data_file.partition)].tasks.push_back(i);
  }
  std::vector<const CompactionGroup*> selected;
  for (const auto& [key, group] : groups) {
    bool has_deletes = false;
    for (size_t i : group.tasks) has_deletes |= !plan.tasks[i].deletes.empty();
    if (has_deletes || static_cast<int>(group.tasks.size()) >= options.min_input_files) {
      selected.push_back(&group);
    }
  }
  if (selected.empty()) return finish();

  // Delete files that applied to a rewritten file and to no file that stays are removed.
  std::unordered_set<std::string> rewritten;
  for (const CompactionGroup* group : selected) {
    for (size_t i : group->tasks) rewritten.insert(plan.tasks[i].data_file.file_path);
  }
  struct DeleteUse {
    bool rewritten = false;
    bool kept = false;
  };
  std::unordered_map<const ScanFile*, DeleteUse> uses;
  for (const FileScanTask& task : plan.tasks) {
    const bool gone = rewritten.count(task.data_file.file_path) > 0;
    for (const auto& del : task.deletes)
      (gone ? uses[del.get()].rewritten : uses[del.get()].kept) = true;
  }

  // Read and write, group by group, so that one partition's files are open at a time.
  NILUS_ASSIGN_OR_RAISE(auto reader, ScanReader::Make(io, base));
  const PartitionSpec* spec = base.DefaultSpec();
  if (spec == nullptr) return Status::Invalid(what + ": the table has no default spec");
  PartitionedWriterOptions writer_options;
  writer_options.parquet = options.parquet;
  writer_options.target_file_size = target;
  // Rolling happens at row-group boundaries: keep a group no larger than a file.
  writer_options.parquet.row_group_max_bytes =
      std::min(writer_options.parquet.row_group_max_bytes, target);
  std::vector<DataFile> added;
  auto discard_added = [&]() {
    for (const DataFile& f : added) (void)io->Delete(f.file_path);
  };
  for (const CompactionGroup* group : selected) {
    auto made =
        PartitionedFileWriter::Make(io, base.location, reader->projection(), *spec, writer_options);
    if (!made.ok()) {
      discard_added();
      return made.status().WithContext(what);
    }
    std::unique_ptr<PartitionedFileWriter> writer = made.MoveValue();
    Status st;
    for (size_t i : group->tasks) {
      const FileScanTask& task = plan.tasks[i];
      st = reader->Read(
          task, [&writer](std::unique_ptr<ColumnBatch> batch) { return writer->Write(*batch); });
      if (!st.ok()) break;
      ++result.data_files_read;
      result.bytes_read += task.data_file.file_size_in_bytes;
    }
    if (st.ok()) {
      auto files = writer->Close();
      if (files.ok()) {
        for (DataFile& f : *files) added.push_back(std::move(f));
      } else {
        st = files.status();
      }
    }
    if (!st.ok()) {
      writer->Abort();
      discard_added();
      return st.WithContext(what);
    }
    ++result.groups_rewritten;
  }
  const ScanStats& stats = reader->stats();
  result.rows_read = stats.rows_read;
  result.rows_deleted = stats.rows_position_deleted + stats.rows_equality_deleted;
  result.delete_files_read = stats.delete_files_read;
  for (const DataFile& f : added) {
    ++result.data_files_written;
    result.bytes_written += f.file_size_in_bytes;
    result.rows_written += f.record_count;
  }
  // Rows must not get lost or invented between reading and writing.
  if (result.rows_written != result.rows_read - result.rows_deleted) {
    discard_added();
    return Status::Internal(fmt::format("{}: wrote {} rows, expected {} read - {} deleted", what,
                                        result.rows_written, result.rows_read,
                                        result.rows_deleted));
  }

  auto rewrite = table.NewRewrite();
  rewrite->StartFrom(*plan.snapshot_id);
  for (const CompactionGroup* group : selected) {
    for (size_t i : group->tasks) rewrite->RemoveFile(plan.tasks[i].data_file);
  }
  for (const auto& del : plan.delete_files) {
    auto it = uses.find(del.get());
    if (it != uses.end() && it->second.rewritten && !it->second.kept) {
      rewrite->RemoveFile(del->file);
      ++result.delete_files_removed;
    }
  }
  for (const DataFile& f : added) rewrite->AddFile(f);
  for (const auto& [key, value] : options.summary) rewrite->Set(key, value);
  Status st = rewrite->Commit();
  if (!st.ok()) {
    // When the outcome is unknown the files may belong to the committed snapshot: keep them.
    if (st.code() != StatusCode::kUnavailable) discard_added();
    return st;
  }
  result.committed = true;
  if (rewrite->committed_snapshot())
    result.snapshot_id = rewrite->committed_snapshot()->snapshot_id;
  return finish();
}

}  // namespace nilus::iceberg
