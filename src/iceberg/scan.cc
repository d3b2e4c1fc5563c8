#include "iceberg/scan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/column_take.h"
#include "formats/parquet/reader.h"
#include "iceberg/file_writers.h"
#include "iceberg/manifest.h"
#include "iceberg/manifest_list.h"

namespace nilus::iceberg {
namespace {

bool PartitionValueEquals(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
  return a.v == b.v;
}

bool PartitionTupleEquals(const std::vector<Value>& a, const std::vector<Value>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!PartitionValueEquals(a[i], b[i])) return false;
  }
  return true;
}

}  // namespace

std::string PartitionTupleKey(int32_t spec_id, const std::vector<Value>& partition) {
  std::string key(reinterpret_cast<const char*>(&spec_id), sizeof(spec_id));
  for (const Value& v : partition) {
    key.push_back(static_cast<char>(v.v.index()));
    std::visit(
        [&key](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::string>) {
            const uint64_t n = x.size();
            key.append(reinterpret_cast<const char*>(&n), sizeof(n));
            key.append(x);
          } else if constexpr (!std::is_same_v<T, std::monostate>) {
            key.append(reinterpret_cast<const char*>(&x), sizeof(x));
          }
        },
        v.v);
  }
  return key;
}

namespace {

// Appends one column's entries to the per-row keys: a null marker, or a valid marker and the
// value's bytes (length-prefixed when variable). Floating NaNs are made canonical so that every
// NaN matches every NaN, as Java's comparators treat them.
void AppendKeyColumn(const Column& col, std::vector<std::string>* keys) {
  const Type& type = col.type_ref();
  const int width = FixedWidthOf(type);
  const uint8_t* values = col.value_buffer().data();
  for (int64_t i = 0; i < col.length(); ++i) {
    std::string& k = (*keys)[i];
    if (col.IsNull(i)) {
      k.push_back('\0');
      continue;
    }
    k.push_back('\1');
    if (width == 0) {
      std::string_view bytes = col.Bytes(i);
      const uint64_t n = bytes.size();
      k.append(reinterpret_cast<const char*>(&n), sizeof(n));
      k.append(bytes);
    } else if (type.id() == TypeId::kFloat) {
      float f = col.Value<float>(i);
      if (std::isnan(f)) f = std::numeric_limits<float>::quiet_NaN();
      k.append(reinterpret_cast<const char*>(&f), sizeof(f));
    } else if (type.id() == TypeId::kDouble) {
      double d = col.Value<double>(i);
      if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
      k.append(reinterpret_cast<const char*>(&d), sizeof(d));
    } else {
      k.append(reinterpret_cast<const char*>(values) + i * width, width);
    }
  }
}

// The rows of one position-delete file, by the data file path they name.
struct PositionDeleteIndex {
  std::unordered_map<std::string, std::vector<int64_t>> by_path;  // sorted positions
};

// The key tuples of one equality-delete file.
struct EqualityDeleteSet {
  std::vector<int32_t> ids;  // sorted: the key column order
  std::unordered_set<std::string> keys;
};

}  // namespace

bool DeleteFileApplies(const ScanFile& del, const PartitionSpec& del_spec, const ScanFile& data) {
  const bool same_partition =
      del.spec_id == data.spec_id && PartitionTupleEquals(del.file.partition, data.file.partition);
  if (!same_partition && !del_spec.IsUnpartitioned()) return false;
  switch (del.file.content) {
    case DataFileContent::kPositionDeletes: {
      if (del.data_sequence_number < data.data_sequence_number) return false;
      const std::string& path = data.file.file_path;
      if (del.file.referenced_data_file && *del.file.referenced_data_file != path) return false;
      auto lower = del.file.lower_bounds.find(kDeleteFilePathFieldId);
      if (lower != del.file.lower_bounds.end() && path < lower->second) return false;
      auto upper = del.file.upper_bounds.find(kDeleteFilePathFieldId);
      if (upper != del.file.upper_bounds.end() && path > upper->second) return false;
      return true;
    }
    case DataFileContent::kEqualityDeletes:
      return del.data_sequence_number > data.data_sequence_number;
    case DataFileContent::kData:
      return false;
  }
  return false;
}

Result<ScanPlan> PlanScan(FileIO* io, const TableMetadata& metadata, const ScanOptions& options) {
  ScanPlan plan;
  const Snapshot* snapshot = nullptr;
  if (options.snapshot_id) {
    snapshot = metadata.SnapshotById(*options.snapshot_id);
    if (snapshot == nullptr) {
      return Status::NotFound(
          fmt::format("table at '{}' has no snapshot {}", metadata.location, *options.snapshot_id));
    }
  } else {
    snapshot = metadata.CurrentSnapshot();
  }
  if (snapshot == nullptr) return plan;
  plan.snapshot_id = snapshot->snapshot_id;
  plan.sequence_number = snapshot->sequence_number;

  NILUS_ASSIGN_OR_RAISE(auto manifests, ReadManifestList(io, snapshot->manifest_list));
  for (const ManifestFile& manifest : manifests) {
    const PartitionSpec* spec = metadata.SpecById(manifest.partition_spec_id);
    if (spec == nullptr) {
      return Status::Invalid(fmt::format("manifest '{}' names unknown partition spec {}",
                                         manifest.manifest_path, manifest.partition_spec_id));
    }
    NILUS_ASSIGN_OR_RAISE(auto entries, ReadManifest(io, manifest));
    for (ManifestEntry& entry : entries) {
      if (entry.status == ManifestEntryStatus::kDeleted) continue;
      if (!entry.sequence_number) {
        return Status::Corruption(
            fmt::format("manifest '{}': live entry '{}' has no sequence number",
                        manifest.manifest_path, entry.data_file.file_path));
      }
      const bool is_data = entry.data_file.content == DataFileContent::kData;
      if (is_data != (manifest.content == ManifestContent::kData)) {
        return Status::Corruption(
            fmt::format("manifest '{}' mixes data and delete files", manifest.manifest_path));
      }
      if (is_data) {
        if (options.filter) {
          auto match = options.filter->Matches(*spec, entry.data_file.partition);
          if (!match.ok()) {
            return match.status().WithContext(
                fmt::format("data file '{}'", entry.data_file.file_path));
          }
          if (!*match) continue;
        }
        FileScanTask task;
        task.data_file = std::move(entry.data_file);
        task.data_sequence_number = *entry.sequence_number;
        task.spec_id = manifest.partition_spec_id;
        plan.tasks.push_back(std::move(task));
      } else {
        auto file = std::make_shared<ScanFile>();
        file->file = std::move(entry.data_file);
        file->data_sequence_number = *entry.sequence_number;
        file->spec_id = manifest.partition_spec_id;
        plan.delete_files.push_back(std::move(file));
      }
    }
  }
  if (plan.delete_files.empty()) return plan;

  // Deletes of partitioned specs can only apply within their partition; those of unpartitioned
  // specs may apply anywhere.
  std::unordered_map<std::string, std::vector<const ScanFile*>> by_partition;
  std::vector<const ScanFile*> global;
  std::unordered_map<const ScanFile*, std::shared_ptr<const ScanFile>> owner;
  for (const auto& del : plan.delete_files) {
    owner[del.get()] = del;
    const PartitionSpec* spec = metadata.SpecById(del->spec_id);
    if (spec->IsUnpartitioned()) {
      global.push_back(del.get());
    } else {
      by_partition[PartitionTupleKey(del->spec_id, del->file.partition)].push_back(del.get());
    }
  }
  for (FileScanTask& task : plan.tasks) {
    ScanFile data{task.data_file, task.data_sequence_number, task.spec_id};
    auto check = [&](const ScanFile* del) {
      if (DeleteFileApplies(*del, *metadata.SpecById(del->spec_id), data)) {
        task.deletes.push_back(owner[del]);
      }
    };
    auto it = by_partition.find(PartitionTupleKey(task.spec_id, task.data_file.partition));
    if (it != by_partition.end()) {
      for (const ScanFile* del : it->second) check(del);
    }
    for (const ScanFile* del : global) check(del);
  }
  return plan;
}

struct ScanReader::Caches {
  std::unordered_map<std::string, std::shared_ptr<const PositionDeleteIndex>> positions;
  std::unordered_map<std::string, std::shared_ptr<const EqualityDeleteSet>> equality;
};

ScanReader::ScanReader(FileIO* io, const TableMetadata* metadata, SchemaPtr projection)
    : io_(io),
      metadata_(metadata),
      projection_(std::move(projection)),
      caches_(std::make_unique<Caches>()) {}

ScanReader::~ScanReader() = default;

Result<std::unique_ptr<ScanReader>> ScanReader::Make(FileIO* io, const TableMetadata& metadata,
                                                     SchemaPtr projection) {
  if (projection == nullptr) {
    for (const SchemaPtr& s : metadata.schemas) {
      if (s->schema_id() == metadata.current_schema_id) projection = s;
    }
    if (projection == nullptr) {
      return Status::Invalid(fmt::format("table at '{}' has no current schema", metadata.location));
    }
  }
  return std::unique_ptr<ScanReader>(new ScanReader(io, &metadata, std::move(projection)));
}

namespace {

// The top-level field an equality id names: from the projection, else the current schema,
// else the newest older schema that has it (a column dropped since the delete was written).
Result<NestedField> FindEqualityField(const Schema& projection, const TableMetadata& metadata,
                                      int32_t id, const std::string& delete_path) {
  std::vector<const Schema*> order{&projection};
  if (const Schema* current = metadata.CurrentSchema()) order.push_back(current);
  for (auto it = metadata.schemas.rbegin(); it != metadata.schemas.rend(); ++it) {
    order.push_back(it->get());
  }
  for (const Schema* schema : order) {
    for (const NestedField& f : schema->fields()) {
      if (f.id != id) continue;
      if (!f.type->is_primitive()) {
        return Status::NotImplemented(
            fmt::format("equality-delete file '{}': field {} ('{}') is not a primitive column",
                        delete_path, id, f.name));
      }
      NestedField out = f;
      out.required = false;  // a column missing from an older file reads as null
      return out;
    }
  }
  return Status::Corruption(fmt::format(
      "equality-delete file '{}': field id {} is not a top-level column of any table schema",
      delete_path, id));
}

Result<std::shared_ptr<const PositionDeleteIndex>> LoadPositionDeletes(FileIO* io,
                                                                       const std::string& path) {
  NILUS_ASSIGN_OR_RAISE(auto reader,
                        parquet::ParquetReader::Open(io, path, PositionDeleteSchema()));
  auto index = std::make_shared<PositionDeleteIndex>();
  for (int rg = 0; rg < reader->num_row_groups(); ++rg) {
    NILUS_ASSIGN_OR_RAISE(auto batch, reader->ReadRowGroup(rg));
    const Column& paths = batch->column(0);
    const Column& positions = batch->column(1);
    std::string_view last_path;
    std::vector<int64_t>* last = nullptr;
    for (int64_t i = 0; i < batch->num_rows(); ++i) {
      if (paths.IsNull(i) || positions.IsNull(i)) {
        return Status::Corruption(fmt::format(
            "position-delete file '{}': null file_path or pos in row group {}", path, rg));
      }
      std::string_view p = paths.Bytes(i);
      // The rows are sorted by path: look the vector up once per path.
      if (last == nullptr || p != last_path) {
        last = &index->by_path[std::string(p)];
        last_path = p;
      }
      last->push_back(positions.Value<int64_t>(i));
    }
  }
  for (auto& [p, v] : index->by_path) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
  return std::shared_ptr<const PositionDeleteIndex>(std::move(index));
}

Result<std::shared_ptr<const EqualityDeleteSet>> LoadEqualityDeletes(
    FileIO* io, const DataFile& file, const Schema& projection, const TableMetadata& metadata) {
  if (file.equality_ids.empty()) {
    return Status::Corruption(
        fmt::format("equality-delete file '{}' has no equality_ids", file.file_path));
  }
  auto set = std::make_shared<EqualityDeleteSet>();
  set->ids = file.equality_ids;
  std::sort(set->ids.begin(), set->ids.end());
  set->ids.erase(std::unique(set->ids.begin(), set->ids.end()), set->ids.end());
  std::vector<NestedField> fields;
  for (int32_t id : set->ids) {
    NILUS_ASSIGN_OR_RAISE(NestedField f,
                          FindEqualityField(projection, metadata, id, file.file_path));
    fields.push_back(std::move(f));
  }
  auto schema = std::make_shared<Schema>(std::move(fields));
  NILUS_ASSIGN_OR_RAISE(auto reader, parquet::ParquetReader::Open(io, file.file_path, schema));
  std::vector<std::string> keys;
  for (int rg = 0; rg < reader->num_row_groups(); ++rg) {
    NILUS_ASSIGN_OR_RAISE(auto batch, reader->ReadRowGroup(rg));
    keys.assign(static_cast<size_t>(batch->num_rows()), std::string());
    for (int c = 0; c < batch->num_columns(); ++c) AppendKeyColumn(batch->column(c), &keys);
    for (std::string& k : keys) set->keys.insert(std::move(k));
  }
  return std::shared_ptr<const EqualityDeleteSet>(std::move(set));
}

}  // namespace

Status ScanReader::Read(const FileScanTask& task, const BatchSink& sink) {
  const std::string& path = task.data_file.file_path;
  // Gather the deletes: positions for this file, and the equality sets.
  std::vector<int64_t> positions;
  std::vector<std::shared_ptr<const EqualityDeleteSet>> equality;
  for (const auto& del : task.deletes) {
    const std::string& del_path = del->file.file_path;
    if (del->file.content == DataFileContent::kPositionDeletes) {
      auto it = caches_->positions.find(del_path);
      if (it == caches_->positions.end()) {
        NILUS_ASSIGN_OR_RAISE(auto index, LoadPositionDeletes(io_, del_path));
        ++stats_.delete_files_read;
        it = caches_->positions.emplace(del_path, std::move(index)).first;
      }
      auto rows = it->second->by_path.find(path);
      if (rows != it->second->by_path.end()) {
        positions.insert(positions.end(), rows->second.begin(), rows->second.end());
      }
    } else if (del->file.content == DataFileContent::kEqualityDeletes) {
      auto it = caches_->equality.find(del_path);
      if (it == caches_->equality.end()) {
        NILUS_ASSIGN_OR_RAISE(auto set,
                              LoadEqualityDeletes(io_, del->file, *projection_, *metadata_));
        ++stats_.delete_files_read;
        it = caches_->equality.emplace(del_path, std::move(set)).first;
      }
      if (!it->second->keys.empty()) equality.push_back(it->second);
    }
  }
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());

  // The read schema: the projection, then equality columns it lacks.
  SchemaPtr read_schema = projection_;
  std::map<int32_t, int> column_of;  // field id -> column in the read schema
  for (size_t i = 0; i < projection_->fields().size(); ++i) {
    column_of[projection_->fields()[i].id] = static_cast<int>(i);
  }
  {
    std::vector<NestedField> extra;
    for (const auto& set : equality) {
      for (int32_t id : set->ids) {
        if (column_of.count(id)) continue;
        NILUS_ASSIGN_OR_RAISE(NestedField f, FindEqualityField(*projection_, *metadata_, id, path));
        column_of[id] = static_cast<int>(projection_->fields().size() + extra.size());
        extra.push_back(std::move(f));
      }
    }
    if (!extra.empty()) {
      std::vector<NestedField> fields = projection_->fields();
      fields.insert(fields.end(), extra.begin(), extra.end());
      read_schema = std::make_shared<Schema>(std::move(fields), projection_->schema_id());
    }
  }

  NILUS_ASSIGN_OR_RAISE(auto reader, parquet::ParquetReader::Open(io_, path, read_schema));
  ++stats_.data_files;
  int64_t base = 0;  // position of the row group's first row in the file
  size_t next_pos = 0;
  std::vector<uint8_t> deleted;
  std::map<std::vector<int32_t>, std::vector<std::string>> keys_by_ids;
  std::vector<int64_t> keep;
  for (int rg = 0; rg < reader->num_row_groups(); ++rg) {
    NILUS_ASSIGN_OR_RAISE(std::unique_ptr<ColumnBatch> batch, reader->ReadRowGroup(rg));
    const int64_t n = batch->num_rows();
    stats_.rows_read += n;
    deleted.assign(static_cast<size_t>(n), 0);
    int64_t removed = 0;
    while (next_pos < positions.size() && positions[next_pos] < base + n) {
      const int64_t p = positions[next_pos++];
      if (p >= base && !deleted[p - base]) {
        deleted[p - base] = 1;
        ++removed;
      }
    }
    stats_.rows_position_deleted += removed;
    // Each distinct key column list is encoded once per row group.
    keys_by_ids.clear();
    for (const auto& set : equality) {
      auto [it, fresh] = keys_by_ids.try_emplace(set->ids);
      std::vector<std::string>& keys = it->second;
      if (fresh) {
        keys.assign(static_cast<size_t>(n), std::string());
        for (int32_t id : set->ids) AppendKeyColumn(batch->column(column_of.at(id)), &keys);
      }
      for (int64_t i = 0; i < n; ++i) {
        if (!deleted[i] && set->keys.count(keys[i])) {
          deleted[i] = 1;
          ++removed;
          ++stats_.rows_equality_deleted;
        }
      }
    }
    base += n;
    if (removed == n) continue;
    if (removed == 0 && read_schema == projection_) {
      NILUS_RETURN_NOT_OK(sink(std::move(batch)));
      continue;
    }
    keep.clear();
    for (int64_t i = 0; i < n; ++i) {
      if (!deleted[i]) keep.push_back(i);
    }
    auto out = std::make_unique<ColumnBatch>(projection_);
    for (int c = 0; c < out->num_columns(); ++c) {
      NILUS_RETURN_NOT_OK(TakeInto(batch->column(c), keep.data(), static_cast<int64_t>(keep.size()),
                                   out->mutable_column(c)));
    }
    NILUS_RETURN_NOT_OK(sink(std::move(out)));
  }
  return Status::OK();
}

Result<std::vector<std::unique_ptr<ColumnBatch>>> ScanTable(const Table& table,
                                                            const ScanOptions& options,
                                                            SchemaPtr projection) {
  NILUS_ASSIGN_OR_RAISE(ScanPlan plan, PlanScan(table.io(), table.metadata(), options));
  NILUS_ASSIGN_OR_RAISE(auto reader,
                        ScanReader::Make(table.io(), table.metadata(), std::move(projection)));
  std::vector<std::unique_ptr<ColumnBatch>> out;
  for (const FileScanTask& task : plan.tasks) {
    NILUS_RETURN_NOT_OK(reader->Read(task, [&out](std::unique_ptr<ColumnBatch> batch) {
      out.push_back(std::move(batch));
      return Status::OK();
    }));
  }
  return out;
}

}  // namespace nilus::iceberg
