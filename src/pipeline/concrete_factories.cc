#include "pipeline/concrete_factories.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "extract/files/file_set_reader.h"
#include "extract/postgres/pg_table_reader.h"
#include "extract/sqlite/sqlite_table_reader.h"
#include "iceberg/catalog/sql_catalog.h"
#include "iceberg/table_metadata.h"
#include "normalize/text_parse.h"

namespace nilus::pipeline {

namespace {

OnBadRow ToReaderPolicy(BadRowPolicy policy) {
  return policy == BadRowPolicy::kQuarantine ? OnBadRow::kQuarantine : OnBadRow::kFail;
}

// A typed BatchReader (postgres, sqlite) as a SourceStream.
class TypedStream final : public SourceStream {
 public:
  TypedStream(std::unique_ptr<BatchReader> reader, std::vector<std::string> key,
              std::string description, int64_t total)
      : reader_(std::move(reader)),
        key_(std::move(key)),
        description_(std::move(description)),
        total_(total) {}
  Result<bool> Next(SourceChunk* out) override {
    NILUS_ASSIGN_OR_RAISE(out->typed, reader_->Next());
    return out->typed != nullptr;
  }
  int64_t bytes_read() const override { return reader_->bytes_read(); }
  int64_t rows_read() const override { return reader_->rows_read(); }
  int64_t total_bytes() const override { return total_; }
  std::vector<std::string> primary_key() const override { return key_; }
  std::string description() const override { return description_; }

 private:
  std::unique_ptr<BatchReader> reader_;
  std::vector<std::string> key_;
  std::string description_;
  int64_t total_;
};

// A file-set reader (JSON or CSV) as a SourceStream; `Member` is the SourceChunk field its
// batches go to (docs or text).
template <typename Reader, auto Member>
class FileStream final : public SourceStream {
 public:
  FileStream(std::unique_ptr<Reader> reader, std::string pattern)
      : reader_(std::move(reader)), pattern_(std::move(pattern)) {}
  Result<bool> Next(SourceChunk* out) override {
    NILUS_ASSIGN_OR_RAISE(out->*Member, reader_->Next());
    return out->*Member != nullptr;
  }
  int64_t bytes_read() const override { return reader_->bytes_read(); }
  int64_t rows_read() const override { return reader_->records_read(); }
  int64_t total_bytes() const override { return reader_->total_bytes(); }
  std::vector<std::string> primary_key() const override { return {}; }
  std::string description() const override { return pattern_; }

 private:
  std::unique_ptr<Reader> reader_;
  std::string pattern_;
};
using JsonStream = FileStream<JsonFileSetReader, &SourceChunk::docs>;
using CsvStream = FileStream<CsvFileSetReader, &SourceChunk::text>;

class DefaultSourceFactory final : public SourceFactory {
 public:
  explicit DefaultSourceFactory(FileIO* io) : io_(io) {}

  Result<std::unique_ptr<SourceStream>> Open(const PipelineConfig& config, const TableConfig& table,
                                             const std::optional<CursorRange>& range) override {
    switch (config.source.kind) {
      case SourceKind::kPostgres:
        return OpenPostgres(config, table, range);
      case SourceKind::kSqlite:
        return OpenSqlite(config, table, range);
      case SourceKind::kJsonl: {
        JsonReadOptions opts;
        opts.on_bad_row = ToReaderPolicy(config.OnBadRowFor(table));
        NILUS_ASSIGN_OR_RAISE(auto reader, JsonFileSetReader::Open(io_, table.path, opts));
        return std::unique_ptr<SourceStream>(new JsonStream(std::move(reader), table.path));
      }
      case SourceKind::kCsv: {
        CsvReadOptions opts;
        opts.delimiter = table.csv.delimiter;
        opts.quote = table.csv.quote;
        opts.has_header = table.csv.header;
        if (!table.csv.header) {
          for (const CsvColumn& c : table.csv.schema) opts.column_names.push_back(c.name);
        }
        opts.on_bad_row = ToReaderPolicy(config.OnBadRowFor(table));
        NILUS_ASSIGN_OR_RAISE(auto reader, CsvFileSetReader::Open(io_, table.path, opts));
        return std::unique_ptr<SourceStream>(new CsvStream(std::move(reader), table.path));
      }
    }
    return Status::Invalid("unknown source kind");
  }

 private:
  Result<std::unique_ptr<SourceStream>> OpenPostgres(const PipelineConfig& config,
                                                     const TableConfig& table,
                                                     const std::optional<CursorRange>& range) {
    PgTableReadOptions opts;
    opts.connections = std::max(1, config.resources.pg_connections);
    // Batches in flight (the reader's queue, one per connection, the runner's queue of 4) stay
    // within a quarter of the memory budget; the rest is for normalize and the writers.
    opts.queue_batches = 4;
    opts.copy.batch_bytes = std::clamp<int64_t>(
        config.resources.memory_budget / 4 / (opts.queue_batches + opts.connections + 4),
        int64_t{1} << 20, int64_t{32} << 20);
    if (config.options.numeric_nan == NumericNanPolicy::kString) {
      opts.types.unconstrained_numeric = PgTypePolicy::UnconstrainedNumeric::kString;
    }
    if (range.has_value() && table.incremental.has_value()) {
      const std::string col = "\"" + table.incremental->cursor + "\"";
      std::string where;
      if (range->from.has_value()) {
        opts.params.push_back(*range->from);
        where =
            col + (range->from_inclusive ? " >= $" : " > $") + std::to_string(opts.params.size());
      }
      if (range->to.has_value()) {
        opts.params.push_back(*range->to);
        if (!where.empty()) where += " AND ";
        where += col + " < $" + std::to_string(opts.params.size());
      }
      opts.where = where;
    }
    NILUS_ASSIGN_OR_RAISE(auto reader, PgTableReader::Open(config.source.url, table.name, opts));
    std::vector<std::string> key = reader->table().info.primary_key;
    const int64_t total = reader->table().info.estimated_bytes;
    std::string desc = reader->table().info.qualified_name;
    return std::unique_ptr<SourceStream>(
        new TypedStream(std::move(reader), std::move(key), std::move(desc), total));
  }

  Result<std::unique_ptr<SourceStream>> OpenSqlite(const PipelineConfig& config,
                                                   const TableConfig& table,
                                                   const std::optional<CursorRange>& range) {
    SqliteTableReadOptions opts;
    if (range.has_value() && table.incremental.has_value()) {
      if (range->to.has_value()) {
        return Status::NotImplemented("table '" + table.name +
                                      "': incremental.end_value is not supported for sqlite yet");
      }
      if (range->from.has_value()) {
        // The cursor's Value needs the column's type: describe the table first.
        NILUS_ASSIGN_OR_RAISE(auto probe,
                              SqliteTableReader::Open(config.source.path, table.name, {}));
        const Schema& schema = *probe->schema();
        TypePtr type;
        for (const NestedField& f : schema.fields()) {
          if (f.name == table.incremental->cursor) type = f.type;
        }
        if (type == nullptr) {
          return Status::NotFound("table '" + table.name + "': cursor column '" +
                                  table.incremental->cursor + "' not found");
        }
        opts.cursor.column = table.incremental->cursor;
        NILUS_ASSIGN_OR_RAISE(opts.cursor.after, CursorTextToValue(type, *range->from));
        opts.cursor.inclusive = range->from_inclusive;
      }
    }
    NILUS_ASSIGN_OR_RAISE(auto reader,
                          SqliteTableReader::Open(config.source.path, table.name, opts));
    std::vector<std::string> key = reader->info().primary_key;
    std::string desc = reader->info().qualified_name;
    const int64_t total = reader->info().estimated_bytes;
    return std::unique_ptr<SourceStream>(
        new TypedStream(std::move(reader), std::move(key), std::move(desc), total));
  }

  FileIO* io_;
};

class IcebergSinkFactory final : public SinkFactory {
 public:
  IcebergSinkFactory(iceberg::Catalog* catalog, std::string ns)
      : catalog_(catalog), ns_(std::move(ns)) {}

  Result<std::unique_ptr<load::Sink>> Open(const std::string& name,
                                           const load::IcebergSinkOptions& options) override {
    NILUS_RETURN_NOT_OK(EnsureNamespace());
    NILUS_ASSIGN_OR_RAISE(auto sink, load::IcebergSink::Open(catalog_, ns_, name, options));
    return std::unique_ptr<load::Sink>(std::move(sink));
  }

  Result<SchemaPtr> ExistingSchema(const std::string& name) override {
    NILUS_ASSIGN_OR_RAISE(bool exists, catalog_->store()->NamespaceExists(ns_));
    if (!exists) return SchemaPtr();
    auto table = catalog_->LoadTable(ns_, name);
    if (!table.ok()) {
      if (table.status().code() == StatusCode::kNotFound) return SchemaPtr();
      return table.status();
    }
    const Schema* schema = (*table)->metadata().CurrentSchema();
    if (schema == nullptr) return SchemaPtr();
    return SchemaPtr(std::make_shared<Schema>(*schema));
  }

  Result<std::vector<std::string>> ListTables() override {
    NILUS_ASSIGN_OR_RAISE(bool exists, catalog_->store()->NamespaceExists(ns_));
    if (!exists) return std::vector<std::string>{};
    return catalog_->store()->ListTables(ns_);
  }

  std::string QualifiedName(const std::string& name) const override { return ns_ + "." + name; }

 private:
  Status EnsureNamespace() {
    std::lock_guard<std::mutex> lock(mu_);
    if (namespace_ready_) return Status::OK();
    NILUS_ASSIGN_OR_RAISE(bool exists, catalog_->store()->NamespaceExists(ns_));
    if (!exists) {
      Status st = catalog_->store()->CreateNamespace(ns_);
      if (!st.ok() && st.code() != StatusCode::kAlreadyExists) return st;
    }
    namespace_ready_ = true;
    return Status::OK();
  }

  iceberg::Catalog* catalog_;
  std::string ns_;
  std::mutex mu_;
  bool namespace_ready_ = false;
};

}  // namespace

std::unique_ptr<SourceFactory> MakeDefaultSourceFactory(FileIO* io) {
  return std::make_unique<DefaultSourceFactory>(io);
}

std::unique_ptr<SinkFactory> MakeIcebergSinkFactory(iceberg::Catalog* catalog, std::string ns) {
  return std::make_unique<IcebergSinkFactory>(catalog, std::move(ns));
}

}  // namespace nilus::pipeline
