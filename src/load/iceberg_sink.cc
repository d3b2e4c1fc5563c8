#include "load/iceberg_sink.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/column_take.h"
#include "core/logging.h"
#include "iceberg/partitioned_writer.h"
#include "iceberg/uuid_util.h"
#include "load/conform.h"

namespace nilus::load {

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

SchemaPtr CurrentSchemaPtr(const iceberg::TableMetadata& md) {
  for (const SchemaPtr& s : md.schemas) {
    if (s->schema_id() == md.current_schema_id) return s;
  }
  return nullptr;
}

Status CheckMergePartitioning(const std::string& table, const std::vector<std::string>& key,
                              const std::vector<std::string>& partition_sources) {
  for (const std::string& col : partition_sources) {
    if (std::find(key.begin(), key.end(), col) == key.end()) {
      return Status::NotImplemented(fmt::format(
          "table {}: merge into a table partitioned by '{}', which is not a primary key column, "
          "is not supported (a key's rows could sit in several partitions)",
          table, col));
    }
  }
  return Status::OK();
}

}  // namespace

Result<WriteDisposition> ParseWriteDisposition(std::string_view text) {
  if (text == "append") return WriteDisposition::kAppend;
  if (text == "replace") return WriteDisposition::kReplace;
  if (text == "merge") return WriteDisposition::kMerge;
  return Status::Invalid(
      fmt::format("write disposition '{}': expected append, replace or merge", text));
}

std::string_view WriteDispositionName(WriteDisposition d) {
  switch (d) {
    case WriteDisposition::kAppend:
      return "append";
    case WriteDisposition::kReplace:
      return "replace";
    case WriteDisposition::kMerge:
      return "merge";
  }
  return "?";
}

// The state of one Write ... Commit round.
struct IcebergSink::Round {
  // append/replace: the open writer, for the schema it was made with.
  std::unique_ptr<iceberg::PartitionedFileWriter> writer;
  SchemaPtr writer_schema;
  // Data files of writers closed because the schema changed mid-round.
  std::vector<iceberg::DataFile> closed_files;

  // merge: every batch of the round (in the table's current schema), which rows carry the
  // delete marker, and the newest row per key: key bytes -> (batch, row).
  struct Buffered {
    std::unique_ptr<ColumnBatch> batch;
    std::vector<uint8_t> deleted;
  };
  std::vector<Buffered> buffered;
  std::unordered_map<std::string, std::pair<int, int64_t>> newest;
  // Group merge: the group values whose earlier rows the commit deletes.
  std::unordered_set<std::string> groups;
  int64_t buffered_bytes = 0;

  std::vector<std::string> schema_changes;
  bool table_created = false;
  int64_t rows_received = 0;
  int64_t bytes_received = 0;
  double write_seconds = 0;
  Status error;
};

IcebergSink::IcebergSink(iceberg::Catalog* catalog, std::string ns, std::string name,
                         IcebergSinkOptions options)
    : catalog_(catalog),
      ns_(std::move(ns)),
      name_(std::move(name)),
      options_(std::move(options)),
      round_(std::make_unique<Round>()) {}

IcebergSink::~IcebergSink() { Abort(); }

std::string IcebergSink::FullName() const { return ns_ + "." + name_; }

Result<std::unique_ptr<IcebergSink>> IcebergSink::Open(iceberg::Catalog* catalog, std::string ns,
                                                       std::string name,
                                                       IcebergSinkOptions options) {
  if (catalog == nullptr) return Status::Invalid("iceberg sink: no catalog");
  const std::string full = ns + "." + name;
  const bool merge = options.disposition == WriteDisposition::kMerge;
  if (merge && options.primary_key.empty()) {
    return Status::Invalid(fmt::format("table {}: merge needs a primary key", full));
  }
  if (!merge && !options.group_delete_column.empty()) {
    return Status::Invalid(
        fmt::format("table {}: a group delete column needs the merge disposition", full));
  }
  if (!merge && !options.delete_marker_column.empty()) {
    return Status::Invalid(
        fmt::format("table {}: a delete marker column needs the merge disposition", full));
  }
  if (options.target_file_size < 1 || options.row_group_max_bytes < 1 ||
      options.memory_budget_bytes < 1 || options.merge_max_buffer_bytes < 0 ||
      options.max_open_files < 1 || options.commit_attempts < 1) {
    return Status::Invalid(
        fmt::format("table {}: sizes, file and attempt limits must be >= 1", full));
  }
  std::unique_ptr<IcebergSink> sink(
      new IcebergSink(catalog, std::move(ns), std::move(name), std::move(options)));
  Result<std::unique_ptr<iceberg::Table>> table = catalog->LoadTable(sink->ns_, sink->name_);
  if (table.ok()) {
    sink->table_ = table.MoveValue();
    const iceberg::TableMetadata& md = sink->table_->metadata();
    const Schema& schema = *md.CurrentSchema();
    for (const std::string& key : sink->options_.primary_key) {
      if (schema.FindTopLevelIndex(key) < 0) {
        return Status::Invalid(
            fmt::format("table {}: primary key column '{}' is not in the table", full, key));
      }
    }
    if (merge) {
      // Equality deletes of a partitioned spec reach only their own partition: a key must
      // always fall in one partition, so the spec may only use key columns, and older specs
      // could hold the key's earlier rows elsewhere.
      std::vector<std::string> sources;
      for (const iceberg::PartitionField& f : md.DefaultSpec()->fields) {
        const NestedField* field = schema.FindFieldById(f.source_id);
        sources.push_back(field != nullptr ? field->name : std::to_string(f.source_id));
      }
      NILUS_RETURN_NOT_OK(CheckMergePartitioning(full, sink->MergeDeleteColumns(), sources));
      if (!sink->options_.group_delete_column.empty() &&
          schema.FindTopLevelIndex(sink->options_.group_delete_column) < 0) {
        return Status::Invalid(fmt::format("table {}: group delete column '{}' is not in the table",
                                           full, sink->options_.group_delete_column));
      }
      if (md.partition_specs.size() > 1) {
        return Status::NotImplemented(fmt::format(
            "table {}: merge into a table whose partition spec evolved is not supported", full));
      }
    }
  } else if (table.status().code() != StatusCode::kNotFound) {
    return table.status();
  } else if (merge) {
    std::vector<std::string> sources;
    for (const std::string& hint : sink->options_.partition_by) {
      NILUS_ASSIGN_OR_RAISE(PartitionHint h, ParsePartitionHint(hint));
      sources.push_back(h.column);
    }
    NILUS_RETURN_NOT_OK(CheckMergePartitioning(full, sink->MergeDeleteColumns(), sources));
  }
  return sink;
}

Status IcebergSink::CreateTableFor(const Schema& batch_schema) {
  const std::string& marker = options_.delete_marker_column;
  std::vector<NestedField> fields;
  std::vector<int32_t> identifier_ids;
  for (const NestedField& f : batch_schema.fields()) {
    if (!marker.empty() && f.name == marker) continue;
    NestedField copy = f;
    const auto& pk = options_.primary_key;
    if (options_.key_is_identifier && std::find(pk.begin(), pk.end(), f.name) != pk.end()) {
      copy.required = true;  // identifier fields must be required
      identifier_ids.push_back(f.id);
    }
    fields.push_back(std::move(copy));
  }
  for (const std::string& key : options_.primary_key) {
    if (batch_schema.FindTopLevelIndex(key) < 0) {
      return Status::Invalid(
          fmt::format("table {}: primary key column '{}' is not in the data", FullName(), key));
    }
  }
  Schema schema(std::move(fields), 0, std::move(identifier_ids));
  NILUS_RETURN_NOT_OK_CTX(schema.Validate(), "table " + FullName());
  NILUS_ASSIGN_OR_RAISE(iceberg::PartitionSpec spec,
                        BuildPartitionSpec(schema, options_.partition_by));
  Result<std::unique_ptr<iceberg::Table>> created =
      catalog_->CreateTable(ns_, name_, schema, spec, options_.table_properties);
  if (created.ok()) {
    table_ = created.MoveValue();
    round_->table_created = true;
    return Status::OK();
  }
  // Another loader created it first: use theirs.
  if (created.status().code() != StatusCode::kAlreadyExists) return created.status();
  NILUS_ASSIGN_OR_RAISE(table_, catalog_->LoadTable(ns_, name_));
  return Status::OK();
}

Status IcebergSink::EvolveFor(const Schema& batch_schema) {
  std::vector<std::string> ignore;
  if (!options_.delete_marker_column.empty()) ignore.push_back(options_.delete_marker_column);
  NILUS_ASSIGN_OR_RAISE(
      SchemaEvolutionPlan plan,
      PlanSchemaEvolution(table_.get(), FullName(), *table_->metadata().CurrentSchema(),
                          batch_schema, ignore));
  if (plan.update.empty()) return Status::OK();
  NILUS_RETURN_NOT_OK(plan.update.Commit());
  for (std::string& c : plan.changes) {
    Log().info("table {}: {}", FullName(), c);
    round_->schema_changes.push_back(std::move(c));
  }
  Round& r = *round_;
  // Rows buffered for merge move to the new schema; a widened key changes the key bytes, so
  // the index is rebuilt (in order, so the newest row still wins).
  if (!r.buffered.empty()) {
    SchemaPtr schema = CurrentSchemaPtr(table_->metadata());
    r.newest.clear();
    r.buffered_bytes = 0;
    for (size_t b = 0; b < r.buffered.size(); ++b) {
      NILUS_ASSIGN_OR_RAISE(r.buffered[b].batch,
                            ConformBatch(std::move(r.buffered[b].batch), schema, FullName(), {}));
      r.buffered_bytes += r.buffered[b].batch->MemoryUsage();
      IndexRows(static_cast<int>(b));
    }
  }
  return Status::OK();
}

iceberg::PartitionedWriterOptions IcebergSink::WriterOptions() const {
  iceberg::PartitionedWriterOptions wo;
  wo.parquet.compression = options_.compression;
  const bool partitioned = !table_->metadata().DefaultSpec()->IsUnpartitioned();
  const int64_t open_files = partitioned ? options_.max_open_files : 1;
  wo.parquet.row_group_max_bytes = std::max<int64_t>(
      1, std::min(options_.row_group_max_bytes, options_.memory_budget_bytes / (2 * open_files)));
  wo.parquet.pool = options_.pool;
  wo.target_file_size = options_.target_file_size;
  wo.max_open_files = options_.max_open_files;
  return wo;
}

Status IcebergSink::EnsureWriter(const SchemaPtr& schema) {
  Round& r = *round_;
  if (r.writer != nullptr && r.writer_schema->Equals(*schema)) return Status::OK();
  if (r.writer != nullptr) {
    // The schema changed mid-round: finish the files of the old schema (still readable by
    // field id) and continue in new files.
    NILUS_ASSIGN_OR_RAISE(std::vector<iceberg::DataFile> files, r.writer->Close());
    r.writer.reset();
    for (auto& f : files) r.closed_files.push_back(std::move(f));
  }
  NILUS_ASSIGN_OR_RAISE(r.writer, iceberg::PartitionedFileWriter::Make(
                                      table_->io(), table_->metadata().location, schema,
                                      *table_->metadata().DefaultSpec(), WriterOptions()));
  r.writer_schema = schema;
  return Status::OK();
}

Status IcebergSink::Write(std::unique_ptr<ColumnBatch> batch) {
  if (!round_->error.ok()) return round_->error;
  if (batch == nullptr) return Status::Invalid("iceberg sink: null batch");
  const auto start = Clock::now();
  Status st = WriteRows(std::move(batch));
  round_->write_seconds += SecondsSince(start);
  if (!st.ok()) {
    // Nothing of a failed round may be committed; its files go now.
    Status failed = st;
    Abort();
    round_->error = failed;
    return failed;
  }
  return st;
}

Status IcebergSink::WriteRows(std::unique_ptr<ColumnBatch> batch) {
  Round& r = *round_;
  if (table_ == nullptr) NILUS_RETURN_NOT_OK(CreateTableFor(*batch->schema()));
  NILUS_RETURN_NOT_OK(EvolveFor(*batch->schema()));
  r.rows_received += batch->num_rows();
  r.bytes_received += batch->MemoryUsage();
  SchemaPtr schema = CurrentSchemaPtr(table_->metadata());
  const std::string& marker = options_.delete_marker_column;

  if (options_.disposition != WriteDisposition::kMerge) {
    NILUS_ASSIGN_OR_RAISE(auto conformed, ConformBatch(std::move(batch), schema, FullName(), {}));
    NILUS_RETURN_NOT_OK(EnsureWriter(schema));
    return r.writer->Write(*conformed);
  }

  // Merge: note the marker, then keep the rows and index them by key.
  Round::Buffered buf;
  if (!marker.empty()) {
    const int m = batch->schema()->FindTopLevelIndex(marker);
    if (m >= 0) {
      const Column& col = batch->column(m);
      buf.deleted.resize(batch->num_rows());
      for (int64_t row = 0; row < batch->num_rows(); ++row) {
        NILUS_ASSIGN_OR_RAISE(bool del, MatchesMarker(col, row, options_.delete_marker_value));
        buf.deleted[row] = del ? 1 : 0;
      }
    }
  }
  std::vector<std::string> ignore;
  if (!marker.empty()) ignore.push_back(marker);
  NILUS_ASSIGN_OR_RAISE(buf.batch, ConformBatch(std::move(batch), schema, FullName(), ignore));
  if (buf.deleted.empty()) buf.deleted.assign(buf.batch->num_rows(), 0);
  r.buffered_bytes += buf.batch->MemoryUsage();
  if (!options_.group_delete_column.empty()) {
    const int g = buf.batch->schema()->FindTopLevelIndex(options_.group_delete_column);
    if (g < 0) {
      return Status::Invalid(fmt::format("table {}: a batch has no group delete column '{}'",
                                         FullName(), options_.group_delete_column));
    }
    const Column& col = buf.batch->column(g);
    for (int64_t row = 0; row < col.length(); ++row) {
      if (col.IsNull(row)) continue;
      AddGroup(std::string(col.Bytes(row)));
    }
  }
  r.buffered.push_back(std::move(buf));
  IndexRows(static_cast<int>(r.buffered.size()) - 1);
  const int64_t limit = options_.merge_max_buffer_bytes > 0 ? options_.merge_max_buffer_bytes
                                                            : options_.memory_budget_bytes;
  if (r.buffered_bytes > limit) {
    return Status::Invalid(fmt::format(
        "table {}: a merge round holds {} bytes, over its limit of {} (merge_max_buffer_bytes, "
        "else memory_budget_bytes); commit in smaller chunks or raise the limit",
        FullName(), r.buffered_bytes, limit));
  }
  return Status::OK();
}

std::vector<std::string> IcebergSink::MergeDeleteColumns() const {
  if (!options_.group_delete_column.empty()) return {options_.group_delete_column};
  return options_.primary_key;
}

void IcebergSink::AddGroup(std::string group) {
  constexpr int64_t kEntryOverhead = 48;  // hash node and bucket
  const int64_t size = static_cast<int64_t>(group.size());
  if (round_->groups.insert(std::move(group)).second) {
    round_->buffered_bytes += kEntryOverhead + size;
  }
}

Status IcebergSink::AddDeleteGroups(const std::vector<std::string>& groups) {
  if (options_.group_delete_column.empty()) {
    return Status::Invalid(
        fmt::format("table {}: AddDeleteGroups needs a group delete column", FullName()));
  }
  NILUS_RETURN_NOT_OK(round_->error);
  for (const std::string& g : groups) AddGroup(g);
  return Status::OK();
}

void IcebergSink::IndexRows(int b) {
  Round& r = *round_;
  const ColumnBatch& batch = *r.buffered[b].batch;
  std::vector<int> keys;
  for (const std::string& k : options_.primary_key) {
    keys.push_back(batch.schema()->FindTopLevelIndex(k));
  }
  constexpr int64_t kEntryOverhead = 64;  // hash node, bucket, (batch, row)
  std::string key;
  for (int64_t row = 0; row < batch.num_rows(); ++row) {
    key.clear();
    AppendKeyBytes(batch, keys, row, &key);
    auto [it, inserted] = r.newest.try_emplace(key, b, row);
    if (inserted) {
      r.buffered_bytes += kEntryOverhead + static_cast<int64_t>(key.size());
    } else {
      it->second = {b, row};
    }
  }
}

Status IcebergSink::WriteMergeFiles(std::vector<iceberg::DataFile>* deletes) {
  Round& r = *round_;
  const bool group = !options_.group_delete_column.empty();
  if (r.newest.empty() && (!group || r.groups.empty())) return Status::OK();
  // The schema the rows were buffered in (another writer may have evolved the table since).
  SchemaPtr schema = r.buffered.empty() ? CurrentSchemaPtr(table_->metadata())
                                        : r.buffered.front().batch->schema();
  // The winning rows per batch, in row order.
  std::vector<std::vector<int64_t>> winners(r.buffered.size());
  for (const auto& [key, where] : r.newest) winners[where.first].push_back(where.second);

  // The delete rows hold the key columns, in the table schema's order, with the same ids, so
  // the table's spec (whose sources are key columns, see Open) partitions them like the data.
  std::vector<NestedField> key_fields;
  std::vector<int32_t> key_ids;
  std::vector<int> del_columns;
  const std::vector<std::string> del_names = MergeDeleteColumns();
  for (int i = 0; i < static_cast<int>(schema->fields().size()); ++i) {
    const NestedField& f = schema->fields()[i];
    if (std::find(del_names.begin(), del_names.end(), f.name) == del_names.end()) continue;
    if (!f.type->is_primitive()) {
      return Status::Invalid(
          fmt::format("table {}: primary key column '{}' is not primitive", FullName(), f.name));
    }
    if (group && f.type->id() != TypeId::kString) {
      return Status::Invalid(
          fmt::format("table {}: group delete column '{}' is not a string", FullName(), f.name));
    }
    key_fields.push_back(f);
    key_ids.push_back(f.id);
    del_columns.push_back(i);
  }
  auto del_schema = std::make_shared<const Schema>(std::move(key_fields));
  iceberg::PartitionedWriterOptions wo = WriterOptions();
  wo.file_prefix = iceberg::NewUuidV4() + "-eq-deletes";
  NILUS_ASSIGN_OR_RAISE(auto del_writer, iceberg::PartitionedFileWriter::Make(
                                             table_->io(), table_->metadata().location, del_schema,
                                             *table_->metadata().DefaultSpec(), wo));
  if (del_columns.size() != del_names.size()) {
    return Status::Invalid(
        fmt::format("table {}: merge key columns missing from the table", FullName()));
  }
  if (!r.newest.empty()) NILUS_RETURN_NOT_OK(EnsureWriter(schema));
  if (group) {
    // One delete row per group value, in bounded batches.
    constexpr size_t kGroupsPerBatch = 65536;
    auto it = r.groups.begin();
    while (it != r.groups.end()) {
      ColumnBatch keys(del_schema);
      for (size_t n = 0; n < kGroupsPerBatch && it != r.groups.end(); ++n, ++it) {
        keys.mutable_column(0)->AppendBytes(*it);
      }
      NILUS_RETURN_NOT_OK(del_writer->Write(keys));
    }
  }
  for (size_t b = 0; b < r.buffered.size(); ++b) {
    std::vector<int64_t>& rows = winners[b];
    if (rows.empty()) continue;
    std::sort(rows.begin(), rows.end());
    const Round::Buffered& buf = r.buffered[b];
    if (!group) {
      ColumnBatch keys(del_schema);
      for (size_t c = 0; c < del_columns.size(); ++c) {
        NILUS_RETURN_NOT_OK(TakeInto(buf.batch->column(del_columns[c]), rows.data(),
                                     static_cast<int64_t>(rows.size()), keys.mutable_column(c)));
      }
      NILUS_RETURN_NOT_OK(del_writer->Write(keys));
    }
    std::vector<int64_t> kept;
    kept.reserve(rows.size());
    for (int64_t row : rows) {
      if (buf.deleted[row] == 0) kept.push_back(row);
    }
    if (kept.empty()) continue;
    NILUS_ASSIGN_OR_RAISE(auto rows_batch, TakeRows(*buf.batch, kept));
    NILUS_RETURN_NOT_OK(r.writer->Write(*rows_batch));
  }
  NILUS_ASSIGN_OR_RAISE(std::vector<iceberg::DataFile> del_files, del_writer->Close());
  for (iceberg::DataFile& f : del_files) {
    f.content = iceberg::DataFileContent::kEqualityDeletes;
    f.equality_ids = key_ids;
    deletes->push_back(std::move(f));
  }
  // Rows are no longer needed once written.
  r.buffered.clear();
  r.newest.clear();
  r.groups.clear();
  return Status::OK();
}

Status IcebergSink::FinishFiles(std::vector<iceberg::DataFile>* data,
                                std::vector<iceberg::DataFile>* deletes) {
  Round& r = *round_;
  if (options_.disposition == WriteDisposition::kMerge) {
    Status st = WriteMergeFiles(deletes);
    if (!st.ok()) {
      DeleteFilesQuietly(*deletes);
      deletes->clear();
      return st;
    }
  }
  if (r.writer != nullptr) {
    Result<std::vector<iceberg::DataFile>> files = r.writer->Close();
    r.writer.reset();
    if (!files.ok()) {
      DeleteFilesQuietly(*deletes);
      deletes->clear();
      return files.status();
    }
    for (auto& f : *files) r.closed_files.push_back(std::move(f));
  }
  *data = std::move(r.closed_files);
  r.closed_files.clear();
  return Status::OK();
}

std::optional<int64_t> IcebergSink::FindLoadSnapshot(std::string_view load_id) const {
  const iceberg::TableMetadata& md = table_->metadata();
  if (!md.current_snapshot_id) return std::nullopt;
  for (const iceberg::Snapshot* s : md.Ancestors(*md.current_snapshot_id)) {
    std::optional<std::string_view> v = s->SummaryValue(kLoadIdProperty);
    if (v && *v == load_id) return s->snapshot_id;
  }
  return std::nullopt;
}

void IcebergSink::DeleteFilesQuietly(const std::vector<iceberg::DataFile>& files) {
  if (table_ == nullptr) return;
  for (const iceberg::DataFile& f : files) {
    Status st = table_->io()->Delete(f.file_path);
    if (!st.ok()) {
      Log().warn("table {}: could not delete uncommitted file {} (left as an orphan): {}",
                 FullName(), f.file_path, st.ToString());
    }
  }
}

Status IcebergSink::CommitFiles(const CommitRequest& request,
                                const std::vector<iceberg::DataFile>& data,
                                const std::vector<iceberg::DataFile>& deletes,
                                LoadCommitResult* result) {
  Status last;
  for (int attempt = 1; attempt <= options_.commit_attempts; ++attempt) {
    result->commit_attempts = attempt;
    std::unique_ptr<iceberg::SnapshotProducer> producer;
    auto set_props = [&](auto& p) {
      p.Set(std::string(kLoadIdProperty), request.load_id);
      for (const auto& [k, v] : request.properties) p.Set(k, v);
    };
    switch (options_.disposition) {
      case WriteDisposition::kAppend: {
        auto p = table_->NewFastAppend();
        for (const auto& f : data) p->AppendFile(f);
        set_props(*p);
        producer = std::move(p);
        break;
      }
      case WriteDisposition::kReplace: {
        auto p = table_->NewOverwrite();
        for (const auto& f : data) p->AddFile(f);
        if (options_.replace_added_partitions) p->ReplaceAddedPartitions();
        set_props(*p);
        producer = std::move(p);
        break;
      }
      case WriteDisposition::kMerge: {
        auto p = table_->NewRowDelta();
        for (const auto& f : data) p->AddRows(f);
        for (const auto& f : deletes) p->AddDeletes(f);
        set_props(*p);
        producer = std::move(p);
        break;
      }
    }
    last = producer->Commit();
    if (last.ok()) {
      result->committed = true;
      result->snapshot_id = producer->committed_snapshot()->snapshot_id;
      return Status::OK();
    }
    if (last.code() != StatusCode::kUnavailable) return last;
    // The outcome is unknown: the catalog may hold our snapshot. Look before trying again.
    Log().warn("table {}: commit state unknown (attempt {}): {}", FullName(), attempt,
               last.ToString());
    if (!table_->Refresh().ok()) continue;
    if (std::optional<int64_t> id = FindLoadSnapshot(request.load_id)) {
      result->committed = true;
      result->snapshot_id = id;
      return Status::OK();
    }
  }
  return last;
}

Result<LoadCommitResult> IcebergSink::Commit(const CommitRequest& request) {
  LoadCommitResult result;
  if (!round_->error.ok()) {
    Status err = round_->error;
    ResetRound();
    return err;
  }
  if (request.load_id.empty()) return Status::Invalid("commit: the load id is empty");
  result.table_created = round_->table_created;
  result.schema_changes = round_->schema_changes;
  result.rows_received = round_->rows_received;
  result.write_seconds = round_->write_seconds;
  if (table_ == nullptr) {
    // No batch arrived and the table does not exist: there is no schema to create it from.
    Result<std::unique_ptr<iceberg::Table>> t = catalog_->LoadTable(ns_, name_);
    if (!t.ok() && t.status().code() == StatusCode::kNotFound) {
      ResetRound();
      return result;
    }
    if (!t.ok()) {
      ResetRound();
      return t.status();
    }
    table_ = t.MoveValue();
  }

  Status refreshed = table_->Refresh();
  if (!refreshed.ok()) {
    Abort();
    return refreshed;
  }
  if (std::optional<int64_t> id = FindLoadSnapshot(request.load_id)) {
    Log().info("table {}: load {} is already committed (snapshot {}); nothing to do", FullName(),
               request.load_id, *id);
    Abort();
    result.already_committed = true;
    result.snapshot_id = id;
    return result;
  }

  const auto write_start = Clock::now();
  std::vector<iceberg::DataFile> data;
  std::vector<iceberg::DataFile> deletes;
  Status st = FinishFiles(&data, &deletes);
  result.write_seconds += SecondsSince(write_start);
  if (!st.ok()) {
    Abort();
    return st;
  }
  for (const auto& f : data) {
    result.rows_written += f.record_count;
    result.bytes_written += f.file_size_in_bytes;
  }
  for (const auto& f : deletes) {
    result.keys_deleted += f.record_count;
    result.bytes_written += f.file_size_in_bytes;
  }
  result.data_files = static_cast<int64_t>(data.size());
  result.delete_files = static_cast<int64_t>(deletes.size());

  const auto commit_start = Clock::now();
  st = CommitFiles(request, data, deletes, &result);
  result.commit_seconds = SecondsSince(commit_start);
  if (!st.ok()) {
    // When the outcome stayed unknown, the files may belong to a committed snapshot.
    if (st.code() != StatusCode::kUnavailable) {
      DeleteFilesQuietly(data);
      DeleteFilesQuietly(deletes);
    }
    ResetRound();
    return st;
  }
  ResetRound();
  return result;
}

void IcebergSink::Abort() {
  if (round_ == nullptr) return;
  if (round_->writer != nullptr) round_->writer->Abort();
  round_->writer.reset();
  DeleteFilesQuietly(round_->closed_files);
  ResetRound();
}

void IcebergSink::ResetRound() { round_ = std::make_unique<Round>(); }

int64_t IcebergSink::pending_rows() const { return round_->rows_received; }
int64_t IcebergSink::pending_bytes() const { return round_->bytes_received; }

Result<std::optional<std::string>> IcebergSink::LastCommittedProperty(std::string_view key) {
  if (table_ == nullptr) {
    Result<std::unique_ptr<iceberg::Table>> t = catalog_->LoadTable(ns_, name_);
    if (!t.ok() && t.status().code() == StatusCode::kNotFound) {
      return std::optional<std::string>();
    }
    if (!t.ok()) return t.status();
    table_ = t.MoveValue();
  } else {
    NILUS_RETURN_NOT_OK(table_->Refresh());
  }
  return table_->metadata().FindLatestSummaryProperty(key);
}

Result<bool> IcebergSink::IsLoadCommitted(std::string_view load_id) {
  NILUS_ASSIGN_OR_RAISE(std::optional<std::string> unused, LastCommittedProperty(kLoadIdProperty));
  (void)unused;
  if (table_ == nullptr) return false;
  return FindLoadSnapshot(load_id).has_value();
}

}  // namespace nilus::load
