// nilus_iceberg_interop_writer OUTDIR: writes Iceberg tables for readers someone else wrote.
//
// Under OUTDIR it creates a SQLite catalog (catalog.db) and a warehouse (warehouse/) with
//   db.typed: unpartitioned, several column types and nulls, filled by 3 fast appends of one
//             Parquet file each;
//   db.parted: identity-partitioned by a string column, filled by 2 fast appends of the files
//              PartitionedFileWriter wrote;
//   db.eqdel, db.posdel, db.partdel: row-level deletes committed with RowDelta: an
//              equality-delete file on id (with a deleted id re-inserted in the same commit and
//              in a later one), a position-delete file (rows of an older file and of a file
//              added in the same commit), and both kinds scoped to partitions of an
//              identity-partitioned table (see the functions below).
// Then OUTDIR/expected.json lists, per table, the metadata file of the last commit (relative to
// OUTDIR), the warehouse's absolute location (what paths inside the metadata start with), the
// schema, and the expected rows in the canonical encoding of tests/interop/expected_json.h,
// built from the in-memory batches (for tables with deletes: minus the rows this program
// deleted, by its own bookkeeping). Earlier output in OUTDIR is replaced.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
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

// Rows of PartedSchema with the given ids; `value` is id / 4 + bias, so that a re-inserted id
// carries a value its deleted predecessor did not.
ColumnBatch RowsBatch(const SchemaPtr& schema, const std::vector<int64_t>& ids, double bias) {
  static const char* const kRegions[] = {"eu", "us", "apac"};
  ColumnBatch batch(schema);
  for (int64_t id : ids) {
    batch.mutable_column(0)->AppendInt64(id);
    if (id % 10 == 0) {
      batch.mutable_column(1)->AppendNull();
    } else {
      batch.mutable_column(1)->AppendBytes(kRegions[id % 3]);
    }
    batch.mutable_column(2)->AppendDouble(static_cast<double>(id) / 4.0 + bias);
  }
  return batch;
}

std::vector<int64_t> IdRange(int64_t first, int64_t last) {
  std::vector<int64_t> ids;
  for (int64_t id = first; id <= last; ++id) ids.push_back(id);
  return ids;
}

// The rows a table with deletes should show, kept by the test's own bookkeeping: each data
// file's rows in file order, and the deletes applied by hand as the spec defines them (an
// equality delete removes matching rows of data files committed before it; a position delete
// removes one row of one file).
class ExpectedRows {
 public:
  // Records the rows of a data file (in file order), as committed now.
  void AddFile(const std::string& path, const ColumnBatch& batch) {
    const Schema& schema = *batch.schema();
    std::vector<Row>& rows = files_[path];
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      Row row{batch.column(0).Value<int64_t>(r), Json::object(), true};
      for (size_t c = 0; c < schema.fields().size(); ++c) {
        row.json[schema.fields()[c].name] =
            interop::ValueToJson(batch.column(static_cast<int>(c)), r);
      }
      rows.push_back(std::move(row));
    }
  }
  // Deletes by id from every file recorded so far (call before recording the files committed
  // with or after the delete). `only_path` restricts it to one file (a partition-scoped delete
  // on a table whose partition holds exactly these files).
  void DeleteIds(const std::set<int64_t>& ids, const std::set<std::string>& only_paths = {}) {
    for (auto& [path, rows] : files_) {
      if (!only_paths.empty() && only_paths.count(path) == 0) continue;
      for (Row& row : rows) {
        if (ids.count(row.id) != 0) row.live = false;
      }
    }
  }
  void DeletePosition(const std::string& path, int64_t pos) {
    files_.at(path).at(static_cast<size_t>(pos)).live = false;
  }
  // The id of row `pos` of `path`.
  int64_t IdAt(const std::string& path, int64_t pos) const {
    return files_.at(path).at(static_cast<size_t>(pos)).id;
  }
  int64_t Count(const std::string& path) const {
    return static_cast<int64_t>(files_.at(path).size());
  }
  Json Live() const {
    Json out = Json::array();
    for (const auto& [path, rows] : files_) {
      for (const Row& row : rows) {
        if (row.live) out.push_back(row.json);
      }
    }
    return out;
  }

 private:
  struct Row {
    int64_t id;
    Json json;
    bool live;
  };
  std::map<std::string, std::vector<Row>> files_;
};

// Writes `batch` as one unpartitioned data file `<table>/data/<name>`.
Result<DataFile> WriteDataFile(LocalFileIO* io, const Table& table, const std::string& name,
                               const ColumnBatch& batch) {
  const std::string path = table.metadata().location + "/data/" + name;
  NILUS_ASSIGN_OR_RAISE(auto writer, parquet::ParquetWriter::Open(io, path, batch.schema()));
  NILUS_RETURN_NOT_OK(writer->Write(batch));
  NILUS_ASSIGN_OR_RAISE(auto metrics, writer->Close());
  return DataFileFromParquet(metrics, DataFileContent::kData, {});
}

// An equality-delete file keyed on the id column (field 1) deleting `ids`.
Result<DataFile> WriteIdDeletes(LocalFileIO* io, const Table& table, const std::string& name,
                                const std::vector<int64_t>& ids, std::vector<Value> partition) {
  const SchemaPtr& schema = table.metadata().schemas.at(0);
  NILUS_ASSIGN_OR_RAISE(
      auto writer,
      EqualityDeleteWriter::Open(io, table.metadata().location + "/data/" + name, *schema, {1}));
  ColumnBatch keys(writer->delete_schema());
  for (int64_t id : ids) keys.mutable_column(0)->AppendInt64(id);
  NILUS_RETURN_NOT_OK(writer->Write(keys));
  return writer->Close(std::move(partition));
}

Json TableJson(const std::string& name, const Table& table, const std::filesystem::path& out,
               Json rows) {
  Json t = Json::object();
  t["name"] = name;
  t["metadata"] = Relative(table.metadata_location(), out);
  t["table"] = Relative(table.metadata().location, out);
  t["schema"] = interop::SchemaToJson(*table.metadata().schemas.at(0));
  t["rows"] = std::move(rows);
  return t;
}

// db.eqdel (unpartitioned): two appends (ids 1..20, 21..30); a row delta adding an
// equality-delete file on id {3, 7, 15, 22, 28} together with a data file that holds id 7 again
// (same sequence number as the delete: not deleted); then an append re-inserting 15 and 22
// (a later sequence number: visible).
Status WriteEqualityDeletes(Catalog* catalog, LocalFileIO* io, const std::filesystem::path& out,
                            Json* tables) {
  NILUS_ASSIGN_OR_RAISE(auto table, catalog->CreateTable("db", "eqdel", *PartedSchema(),
                                                         PartitionSpec::Unpartitioned()));
  SchemaPtr schema = table->metadata().schemas.at(0);
  ExpectedRows expected;
  int file_no = 0;
  auto append = [&](const std::vector<int64_t>& ids, double bias) -> Status {
    ColumnBatch batch = RowsBatch(schema, ids, bias);
    NILUS_ASSIGN_OR_RAISE(
        DataFile file,
        WriteDataFile(io, *table, "eqdel-data-" + std::to_string(file_no++) + ".parquet", batch));
    expected.AddFile(file.file_path, batch);
    auto op = table->NewFastAppend();
    op->AppendFile(std::move(file));
    return op->Commit();
  };
  NILUS_RETURN_NOT_OK(append(IdRange(1, 20), 0));
  NILUS_RETURN_NOT_OK(append(IdRange(21, 30), 0));

  const std::vector<int64_t> deleted = {3, 7, 15, 22, 28};
  NILUS_ASSIGN_OR_RAISE(DataFile deletes,
                        WriteIdDeletes(io, *table, "eqdel-deletes.parquet", deleted, {}));
  expected.DeleteIds({deleted.begin(), deleted.end()});
  ColumnBatch same_commit = RowsBatch(schema, {31, 7, 32}, 1000);
  NILUS_ASSIGN_OR_RAISE(DataFile same_file,
                        WriteDataFile(io, *table, "eqdel-data-same-commit.parquet", same_commit));
  expected.AddFile(same_file.file_path, same_commit);
  auto delta = table->NewRowDelta();
  delta->AddRows(std::move(same_file)).AddDeletes(std::move(deletes));
  NILUS_RETURN_NOT_OK(delta->Commit());

  NILUS_RETURN_NOT_OK(append({15, 40, 22}, 2000));
  tables->push_back(TableJson("db.eqdel", *table, out, expected.Live()));
  return Status::OK();
}

// db.posdel (unpartitioned): one append of two files (ids 1..25, 26..40); a row delta adding a
// data file (ids 50..54) and a position-delete file removing rows 0, 4, 5 and 24 of the first
// file and row 1 of the new one (same commit: deleted); then an append (ids 60..62). The second
// file keeps its rows at the same positions.
Status WritePositionDeletes(Catalog* catalog, LocalFileIO* io, const std::filesystem::path& out,
                            Json* tables) {
  NILUS_ASSIGN_OR_RAISE(auto table, catalog->CreateTable("db", "posdel", *PartedSchema(),
                                                         PartitionSpec::Unpartitioned()));
  SchemaPtr schema = table->metadata().schemas.at(0);
  ExpectedRows expected;
  ColumnBatch first = RowsBatch(schema, IdRange(1, 25), 0);
  ColumnBatch second = RowsBatch(schema, IdRange(26, 40), 0);
  NILUS_ASSIGN_OR_RAISE(DataFile first_file,
                        WriteDataFile(io, *table, "posdel-data-0.parquet", first));
  NILUS_ASSIGN_OR_RAISE(DataFile second_file,
                        WriteDataFile(io, *table, "posdel-data-1.parquet", second));
  const std::string first_path = first_file.file_path;
  expected.AddFile(first_file.file_path, first);
  expected.AddFile(second_file.file_path, second);
  auto append = table->NewFastAppend();
  append->AppendFile(std::move(first_file)).AppendFile(std::move(second_file));
  NILUS_RETURN_NOT_OK(append->Commit());

  ColumnBatch added = RowsBatch(schema, IdRange(50, 54), 0);
  NILUS_ASSIGN_OR_RAISE(DataFile added_file,
                        WriteDataFile(io, *table, "posdel-data-2.parquet", added));
  const std::string added_path = added_file.file_path;
  expected.AddFile(added_path, added);
  PositionDeleteWriter deletes(io, table->metadata().location + "/data/posdel-deletes.parquet");
  for (int64_t pos : {24, 0, 5, 4}) {  // unsorted on purpose: the writer sorts
    deletes.Add(first_path, pos);
    expected.DeletePosition(first_path, pos);
  }
  deletes.Add(added_path, 1);
  expected.DeletePosition(added_path, 1);
  NILUS_ASSIGN_OR_RAISE(DataFile delete_file, deletes.Close());
  auto delta = table->NewRowDelta();
  delta->AddRows(std::move(added_file))
      .AddDeletes(std::move(delete_file))
      .ValidateDataFilesExist({first_path});
  NILUS_RETURN_NOT_OK(delta->Commit());

  ColumnBatch last = RowsBatch(schema, IdRange(60, 62), 0);
  NILUS_ASSIGN_OR_RAISE(DataFile last_file,
                        WriteDataFile(io, *table, "posdel-data-3.parquet", last));
  expected.AddFile(last_file.file_path, last);
  auto append2 = table->NewFastAppend();
  append2->AppendFile(std::move(last_file));
  NILUS_RETURN_NOT_OK(append2->Commit());
  tables->push_back(TableJson("db.posdel", *table, out, expected.Live()));
  return Status::OK();
}

// db.partdel (identity-partitioned by region): an append of ids 1..30 (PartitionedFileWriter:
// one file per region and one for the null region); a row delta with an equality-delete file in
// partition eu (ids 6, 15, 27, all eu rows) and a position-delete file in partition us (rows 0
// and 2 of the us file); then an append re-inserting 15 (eu) and adding 31..33.
Status WritePartitionedDeletes(Catalog* catalog, LocalFileIO* io, const std::filesystem::path& out,
                               Json* tables) {
  PartitionSpec spec;
  spec.fields.push_back(PartitionField{2, kPartitionDataIdStart, "region", Transform::Identity()});
  NILUS_ASSIGN_OR_RAISE(auto table, catalog->CreateTable("db", "partdel", *PartedSchema(), spec));
  SchemaPtr schema = table->metadata().schemas.at(0);
  const PartitionSpec* default_spec = table->metadata().DefaultSpec();
  if (default_spec == nullptr) return Status::Invalid("db.partdel has no default spec");
  const PartitionSpec table_spec = *default_spec;
  ExpectedRows expected;

  // Writes `batch` with PartitionedFileWriter, records each file's rows (the batch's rows of its
  // partition, in batch order) and returns the files.
  auto write_parted = [&](const ColumnBatch& batch,
                          const std::string& prefix) -> Result<std::vector<DataFile>> {
    PartitionedWriterOptions options;
    options.file_prefix = prefix;
    NILUS_ASSIGN_OR_RAISE(
        auto writer, PartitionedFileWriter::Make(io, table->metadata().location, schema, table_spec,
                                                 std::move(options)));
    NILUS_RETURN_NOT_OK(writer->Write(batch));
    NILUS_ASSIGN_OR_RAISE(std::vector<DataFile> files, writer->Close());
    for (const DataFile& f : files) {
      if (f.partition.size() != 1) return Status::Invalid("expected one partition value");
      std::vector<int64_t> ids;
      for (int64_t r = 0; r < batch.num_rows(); ++r) {
        const Column& region = batch.column(1);
        const bool same =
            f.partition[0].is_null()
                ? region.IsNull(r)
                : !region.IsNull(r) && region.Bytes(r) == f.partition[0].get<std::string>();
        if (same) ids.push_back(batch.column(0).Value<int64_t>(r));
      }
      // The writer keeps a partition's rows in batch order.
      ColumnBatch part = RowsBatch(schema, ids, 0);
      expected.AddFile(f.file_path, part);
    }
    return files;
  };
  auto find = [](const std::vector<DataFile>& files, const char* region) -> const DataFile* {
    for (const DataFile& f : files) {
      if (!f.partition[0].is_null() && f.partition[0].get<std::string>() == region) return &f;
    }
    return nullptr;
  };

  NILUS_ASSIGN_OR_RAISE(std::vector<DataFile> files,
                        write_parted(RowsBatch(schema, IdRange(1, 30), 0), "first"));
  const DataFile* eu = find(files, "eu");
  const DataFile* us = find(files, "us");
  if (eu == nullptr || us == nullptr) return Status::Invalid("db.partdel: missing eu/us files");
  const std::string eu_path = eu->file_path;
  const std::string us_path = us->file_path;
  const std::vector<Value> eu_partition = eu->partition;
  const std::vector<Value> us_partition = us->partition;
  auto append = table->NewFastAppend();
  for (DataFile& f : files) append->AppendFile(std::move(f));
  NILUS_RETURN_NOT_OK(append->Commit());

  const std::vector<int64_t> deleted = {6, 15, 27};
  for (int64_t id : deleted) {
    if (id % 3 != 0 || id % 10 == 0) return Status::Invalid("db.partdel: not an eu id");
  }
  NILUS_ASSIGN_OR_RAISE(DataFile eq_file, WriteIdDeletes(io, *table, "region=eu/eqdel.parquet",
                                                         deleted, eu_partition));
  expected.DeleteIds({deleted.begin(), deleted.end()}, {eu_path});
  PositionDeleteWriter pos_writer(io,
                                  table->metadata().location + "/data/region=us/posdel.parquet");
  for (int64_t pos : {0, 2}) {
    pos_writer.Add(us_path, pos);
    expected.DeletePosition(us_path, pos);
  }
  NILUS_ASSIGN_OR_RAISE(DataFile pos_file, pos_writer.Close(us_partition));
  auto delta = table->NewRowDelta();
  delta->AddDeletes(std::move(eq_file)).AddDeletes(std::move(pos_file));
  NILUS_RETURN_NOT_OK(delta->Commit());

  NILUS_ASSIGN_OR_RAISE(std::vector<DataFile> later,
                        write_parted(RowsBatch(schema, {15, 31, 32, 33}, 0), "second"));
  auto append2 = table->NewFastAppend();
  for (DataFile& f : later) append2->AppendFile(std::move(f));
  NILUS_RETURN_NOT_OK(append2->Commit());
  tables->push_back(TableJson("db.partdel", *table, out, expected.Live()));
  return Status::OK();
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
  NILUS_RETURN_NOT_OK(WriteEqualityDeletes(catalog.get(), &io, out, &tables));
  NILUS_RETURN_NOT_OK(WritePositionDeletes(catalog.get(), &io, out, &tables));
  NILUS_RETURN_NOT_OK(WritePartitionedDeletes(catalog.get(), &io, out, &tables));

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
