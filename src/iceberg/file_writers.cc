#include "iceberg/file_writers.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace nilus::iceberg {

Result<DataFile> DataFileFromParquet(const parquet::ParquetFileMetrics& metrics,
                                     DataFileContent content, std::vector<Value> partition,
                                     int bound_width) {
  DataFile file;
  file.content = content;
  file.file_path = metrics.path;
  file.partition = std::move(partition);
  file.record_count = metrics.record_count;
  file.file_size_in_bytes = metrics.file_size;
  file.split_offsets = metrics.split_offsets;
  for (const auto& c : metrics.columns) {
    file.column_sizes[c.field_id] = c.compressed_size;
    file.value_counts[c.field_id] = c.value_count;
    file.null_value_counts[c.field_id] = c.null_count;
    if (c.nan_count) file.nan_value_counts[c.field_id] = *c.nan_count;
    auto where = [&](std::string_view which) {
      return fmt::format("{} bound of column '{}' in '{}'", which, c.path, metrics.path);
    };
    if (c.lower_bound) {
      auto lower = TruncateLowerBound(*c.lower_bound, bound_width);
      if (!lower.ok()) return lower.status().WithContext(where("lower"));
      auto bytes = ToBinary(*lower);
      if (!bytes.ok()) return bytes.status().WithContext(where("lower"));
      file.lower_bounds[c.field_id] = std::move(bytes).value();
    }
    if (c.upper_bound) {
      auto upper = TruncateUpperBound(*c.upper_bound, bound_width);
      if (!upper.ok()) return upper.status().WithContext(where("upper"));
      if (upper->has_value()) {
        auto bytes = ToBinary(**upper);
        if (!bytes.ok()) return bytes.status().WithContext(where("upper"));
        file.upper_bounds[c.field_id] = std::move(bytes).value();
      }
    }
  }
  return file;
}

SchemaPtr PositionDeleteSchema() {
  static const SchemaPtr kSchema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(kDeleteFilePathFieldId, "file_path", Type::String()),
      NestedField::Required(kDeletePosFieldId, "pos", Type::Long()),
  });
  return kSchema;
}

PositionDeleteWriter::PositionDeleteWriter(FileIO* io, std::string path,
                                           parquet::ParquetWriterOptions options)
    : io_(io), path_(std::move(path)), options_(std::move(options)) {}

void PositionDeleteWriter::Add(std::string_view data_file_path, int64_t pos) {
  deletes_.emplace_back(std::string(data_file_path), pos);
}

Result<DataFile> PositionDeleteWriter::Close(std::vector<Value> partition) {
  if (deletes_.empty()) {
    return Status::Invalid(fmt::format("position-delete file '{}' has no deletes", path_));
  }
  std::sort(deletes_.begin(), deletes_.end());
  deletes_.erase(std::unique(deletes_.begin(), deletes_.end()), deletes_.end());
  NILUS_ASSIGN_OR_RAISE(auto writer,
                        parquet::ParquetWriter::Open(io_, path_, PositionDeleteSchema(), options_));
  constexpr size_t kBatchRows = 64 * 1024;
  for (size_t begin = 0; begin < deletes_.size(); begin += kBatchRows) {
    ColumnBatch batch(PositionDeleteSchema());
    size_t end = std::min(deletes_.size(), begin + kBatchRows);
    for (size_t i = begin; i < end; ++i) {
      batch.mutable_column(0)->AppendBytes(deletes_[i].first);
      batch.mutable_column(1)->AppendInt64(deletes_[i].second);
    }
    NILUS_RETURN_NOT_OK(writer->Write(batch));
  }
  NILUS_ASSIGN_OR_RAISE(auto metrics, writer->Close());
  bool one_file = deletes_.front().first == deletes_.back().first;
  NILUS_ASSIGN_OR_RAISE(
      DataFile file,
      DataFileFromParquet(metrics, DataFileContent::kPositionDeletes, std::move(partition)));
  if (one_file) file.referenced_data_file = deletes_.front().first;
  deletes_.clear();
  return file;
}

Result<std::unique_ptr<EqualityDeleteWriter>> EqualityDeleteWriter::Open(
    FileIO* io, const std::string& path, const Schema& table_schema,
    std::vector<int32_t> equality_ids, parquet::ParquetWriterOptions options) {
  if (equality_ids.empty()) {
    return Status::Invalid(fmt::format("equality-delete file '{}' needs equality field ids", path));
  }
  std::set<int32_t> wanted(equality_ids.begin(), equality_ids.end());
  std::vector<NestedField> fields;
  for (const auto& f : table_schema.fields()) {
    if (!wanted.count(f.id)) continue;
    if (!f.type->is_primitive()) {
      return Status::Invalid(
          fmt::format("equality-delete file '{}': field '{}' ({}) is not a primitive column", path,
                      f.name, f.type->ToString()));
    }
    fields.push_back(f);
    wanted.erase(f.id);
  }
  if (!wanted.empty()) {
    return Status::Invalid(fmt::format(
        "equality-delete file '{}': field id {} is not a top-level column of the table schema",
        path, *wanted.begin()));
  }
  std::unique_ptr<EqualityDeleteWriter> w(new EqualityDeleteWriter());
  w->delete_schema_ = std::make_shared<Schema>(std::move(fields), table_schema.schema_id());
  w->equality_ids_ = std::move(equality_ids);
  std::sort(w->equality_ids_.begin(), w->equality_ids_.end());
  NILUS_ASSIGN_OR_RAISE(
      w->writer_, parquet::ParquetWriter::Open(io, path, w->delete_schema_, std::move(options)));
  return w;
}

Result<DataFile> EqualityDeleteWriter::Close(std::vector<Value> partition) {
  NILUS_ASSIGN_OR_RAISE(auto metrics, writer_->Close());
  NILUS_ASSIGN_OR_RAISE(
      DataFile file,
      DataFileFromParquet(metrics, DataFileContent::kEqualityDeletes, std::move(partition)));
  file.equality_ids = equality_ids_;
  return file;
}

}  // namespace nilus::iceberg
