// nilus_iceberg_interop_writer OUTDIR: writes Iceberg tables for readers someone else wrote.
//
// Under OUTDIR it creates a SQLite catalog (catalog.db) and a warehouse (warehouse/) with
//   db.typed: unpartitioned, several column types and nulls, filled by 3 fast appends of one
//             Parquet file each;
//   db.parted: identity-partitioned by a string column, filled by 2 fast appends of the files
//              PartitionedFileWriter wrote.
// Then OUTDIR/expected.json lists, per table, the metadata file of the last commit (relative to
// OUTDIR), the warehouse's absolute location (what paths inside the metadata start with), the
// schema, and the expected rows in the canonical encoding of tests/interop/expected_json.h,
// built from the in-memory batches. Earlier output in OUTDIR is replaced.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/column_batch.h"
#include "expected_json.h"
#include "formats/parquet/writer.h"
#include "iceberg/catalog/sql_catalog.h"
#include "iceberg/file_writers.h"
#include "iceberg/partitioned_writer.h"
#include "iceberg/table.h"
#include "storage/local_file_io.h"

namespace nilus::iceberg {
namespace {

using interop::Json;

// Appends the rows of `batch` to `rows` as JSON objects keyed by column name.
void AppendRows(const ColumnBatch& batch, Json* rows) {
  const Schema& schema = *batch.schema();
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    Json row = Json::object();
    for (size_t c = 0; c < schema.fields().size(); ++c) {
      row[schema.fields()[c].name] = interop::ValueToJson(batch.column(static_cast<int>(c)), r);
    }
    rows->push_back(std::move(row));
  }
}

SchemaPtr TypedSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "name", Type::String()),
      NestedField::Optional(3, "amount", Type::Double()),
      NestedField::Optional(4, "price", Type::Decimal(10, 2)),
      NestedField::Optional(5, "day", Type::Date()),
      NestedField::Optional(6, "ts", Type::Timestamp()),
      NestedField::Optional(7, "tstz", Type::TimestampTz()),
      NestedField::Optional(8, "flag", Type::Boolean()),
  });
}

// Rows first_id .. first_id+n-1 of db.typed; every column but id is null on some rows.
// Timestamps carry sub-millisecond digits on purpose.
ColumnBatch TypedBatch(const SchemaPtr& schema, int64_t first_id, int n) {
  ColumnBatch batch(schema);
  for (int i = 0; i < n; ++i) {
    const int64_t id = first_id + i;
    batch.mutable_column(0)->AppendInt64(id);
    auto nullable = [&](int col, int every) {
      if (id % every == 0) batch.mutable_column(col)->AppendNull();
      return id % every != 0;
    };
    if (nullable(1, 7)) batch.mutable_column(1)->AppendBytes("name-" + std::to_string(id) + "-é");
    if (nullable(2, 5)) batch.mutable_column(2)->AppendDouble(static_cast<double>(id) * 1.25 - 3.5);
    if (nullable(3, 6)) {
      batch.mutable_column(3)->AppendDecimal(static_cast<__int128>(id * 137 - 900));
    }
    if (nullable(4, 4)) batch.mutable_column(4)->AppendInt32(static_cast<int32_t>(19000 + id * 3));
    if (nullable(5, 9)) {
      batch.mutable_column(5)->AppendInt64(int64_t{1700000000000000} + id * 1234567);
    }
    if (nullable(6, 8)) {
      batch.mutable_column(6)->AppendInt64(int64_t{1600000000000000} + id * 7654321);
    }
    if (nullable(7, 3)) batch.mutable_column(7)->AppendBool(id % 2 == 0);
  }
  return batch;
}

SchemaPtr PartedSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "region", Type::String()),
      NestedField::Optional(3, "value", Type::Double()),
  });
}

ColumnBatch PartedBatch(const SchemaPtr& schema, int64_t first_id, int n) {
  static const char* const kRegions[] = {"eu", "us", "apac"};
  ColumnBatch batch(schema);
  for (int i = 0; i < n; ++i) {
    const int64_t id = first_id + i;
    batch.mutable_column(0)->AppendInt64(id);
    if (id % 10 == 0) {
      batch.mutable_column(1)->AppendNull();  // the null partition
    } else {
      batch.mutable_column(1)->AppendBytes(kRegions[id % 3]);
    }
    batch.mutable_column(2)->AppendDouble(static_cast<double>(id) / 4.0);
  }
  return batch;
}

std::string Relative(const std::filesystem::path& path, const std::filesystem::path& base) {
  return std::filesystem::relative(path, base).generic_string();
}

Status WriteTyped(Catalog* catalog, LocalFileIO* io, const std::filesystem::path& out,
                  Json* tables) {
  SchemaPtr schema = TypedSchema();
  NILUS_ASSIGN_OR_RAISE(
      auto table, catalog->CreateTable("db", "typed", *schema, PartitionSpec::Unpartitioned()));
  SchemaPtr table_schema = table->metadata().schemas.at(0);
  Json rows = Json::array();
  const int sizes[] = {40, 1, 25};
  int64_t next_id = 1;
  for (int commit = 0; commit < 3; ++commit) {
    ColumnBatch batch = TypedBatch(table_schema, next_id, sizes[commit]);
    next_id += sizes[commit];
    const std::string path =
        table->metadata().location + "/data/typed-" + std::to_string(commit) + ".parquet";
    NILUS_ASSIGN_OR_RAISE(auto writer, parquet::ParquetWriter::Open(io, path, table_schema));
    NILUS_RETURN_NOT_OK(writer->Write(batch));
    NILUS_ASSIGN_OR_RAISE(auto metrics, writer->Close());
    NILUS_ASSIGN_OR_RAISE(DataFile file, DataFileFromParquet(metrics, DataFileContent::kData, {}));
    auto append = table->NewFastAppend();
    append->AppendFile(std::move(file)).Set("nilus.interop-commit", std::to_string(commit));
    NILUS_RETURN_NOT_OK(append->Commit());
    AppendRows(batch, &rows);
  }
  Json t = Json::object();
  t["name"] = "db.typed";
  t["metadata"] = Relative(table->metadata_location(), out);
  t["table"] = Relative(table->metadata().location, out);
  t["schema"] = interop::SchemaToJson(*table_schema);
  t["rows"] = std::move(rows);
  tables->push_back(std::move(t));
  return Status::OK();
}

Status WriteParted(Catalog* catalog, LocalFileIO* io, const std::filesystem::path& out,
                   Json* tables) {
  SchemaPtr schema = PartedSchema();
  PartitionSpec spec;
  spec.fields.push_back(PartitionField{2, kPartitionDataIdStart, "region", Transform::Identity()});
  NILUS_ASSIGN_OR_RAISE(auto table, catalog->CreateTable("db", "parted", *schema, spec));
  SchemaPtr table_schema = table->metadata().schemas.at(0);
  // A copy: each commit replaces the table's metadata, and the pointer with it.
  const PartitionSpec* default_spec = table->metadata().DefaultSpec();
  if (default_spec == nullptr) return Status::Invalid("db.parted has no default spec");
  const PartitionSpec table_spec = *default_spec;
  Json rows = Json::array();
  int64_t next_id = 1;
  for (int commit = 0; commit < 2; ++commit) {
    ColumnBatch batch = PartedBatch(table_schema, next_id, 30);
    next_id += 30;
    // File names must differ between writers: the default prefix would make the second
    // commit overwrite the first commit's files.
    PartitionedWriterOptions options;
    options.file_prefix = "commit" + std::to_string(commit);
    NILUS_ASSIGN_OR_RAISE(auto writer,
                          PartitionedFileWriter::Make(io, table->metadata().location, table_schema,
                                                      table_spec, std::move(options)));
    NILUS_RETURN_NOT_OK(writer->Write(batch));
    NILUS_ASSIGN_OR_RAISE(std::vector<DataFile> files, writer->Close());
    auto append = table->NewFastAppend();
    for (DataFile& f : files) append->AppendFile(std::move(f));
    NILUS_RETURN_NOT_OK(append->Commit());
    AppendRows(batch, &rows);
  }
  Json t = Json::object();
  t["name"] = "db.parted";
  t["metadata"] = Relative(table->metadata_location(), out);
  t["table"] = Relative(table->metadata().location, out);
  t["schema"] = interop::SchemaToJson(*table_schema);
  t["rows"] = std::move(rows);
  tables->push_back(std::move(t));
  return Status::OK();
}

Status Run(const std::string& outdir) {
  std::error_code ec;
  const std::filesystem::path out = std::filesystem::absolute(outdir, ec);
  if (ec) return Status::IOError("cannot resolve " + outdir + ": " + ec.message());
  // Replace only what an earlier run wrote.
  for (const char* name : {"catalog.db", "warehouse", "expected.json"}) {
    std::filesystem::remove_all(out / name, ec);
    if (ec) return Status::IOError("cannot remove " + (out / name).string() + ": " + ec.message());
  }
  std::filesystem::create_directories(out, ec);
  if (ec) return Status::IOError("cannot create " + out.string() + ": " + ec.message());

  LocalFileIO io;
  NILUS_ASSIGN_OR_RAISE(
      auto store, SqlCatalogStore::Open("sqlite:///" + (out / "catalog.db").string(), "interop"));
  NILUS_RETURN_NOT_OK(store->CreateNamespace("db"));
  const std::string warehouse = (out / "warehouse").string();
  NILUS_ASSIGN_OR_RAISE(auto catalog, Catalog::Make(store.get(), &io, warehouse));

  Json tables = Json::array();
  NILUS_RETURN_NOT_OK(WriteTyped(catalog.get(), &io, out, &tables));
  NILUS_RETURN_NOT_OK(WriteParted(catalog.get(), &io, out, &tables));

  Json expected = Json::object();
  expected["warehouse"] = warehouse;  // absolute: the prefix of every path in the metadata
  expected["tables"] = std::move(tables);
  return io.WriteFile((out / "expected.json").string(), expected.dump(2) + "\n");
}

}  // namespace
}  // namespace nilus::iceberg

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  nilus::Status st = nilus::iceberg::Run(argv[1]);
  if (!st.ok()) {
    std::fprintf(stderr, "nilus_iceberg_interop_writer: %s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("wrote Iceberg tables and expected.json under %s\n", argv[1]);
  return 0;
}
