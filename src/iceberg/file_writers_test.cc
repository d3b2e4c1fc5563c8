#include "iceberg/file_writers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "formats/parquet/footer_reader.h"
#include "formats/parquet/reader.h"
#include "storage/memory_file_io.h"

namespace nilus::iceberg {
namespace {

SchemaPtr TableSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "name", Type::String()),
      NestedField::Optional(3, "score", Type::Double()),
      NestedField::Optional(4, "tags", Type::List(5, Type::String(), false)),
  });
}

TEST(DataFileFromParquetTest, FillsCountsAndSerializedTruncatedBounds) {
  MemoryFileIO io;
  auto schema = TableSchema();
  auto writer = parquet::ParquetWriter::Open(&io, "data/a.parquet", schema);
  ASSERT_TRUE(writer.ok());
  ColumnBatch batch(schema);
  const std::string long_name = "abcdefghijklmnopqrstuvwxyz";  // 26 code points
  for (int i = 0; i < 10; ++i) {
    batch.mutable_column(0)->AppendInt64(100 + i);
    if (i == 3) {
      batch.mutable_column(1)->AppendNull();
    } else {
      batch.mutable_column(1)->AppendBytes(i == 9 ? long_name : "b" + std::to_string(i));
    }
    batch.mutable_column(2)->AppendDouble(i == 5 ? std::nan("") : i * 1.5);
    batch.mutable_column(3)->AppendNull();
  }
  ASSERT_TRUE((*writer)->Write(batch).ok());
  auto metrics = (*writer)->Close();
  ASSERT_TRUE(metrics.ok());

  auto file = DataFileFromParquet(*metrics, DataFileContent::kData, {});
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->file_path, "data/a.parquet");
  EXPECT_EQ(file->record_count, 10);
  EXPECT_EQ(file->file_size_in_bytes, metrics->file_size);
  EXPECT_EQ(file->value_counts.at(1), 10);
  EXPECT_EQ(file->null_value_counts.at(2), 1);
  EXPECT_EQ(file->nan_value_counts.at(3), 1);
  EXPECT_EQ(file->nan_value_counts.count(1), 0u);
  EXPECT_EQ(file->null_value_counts.at(5), 10);  // the list element, keyed by its field id
  EXPECT_EQ(file->lower_bounds.count(5), 0u);    // all null: no bounds

  // long 100 and 109, little-endian.
  EXPECT_EQ(file->lower_bounds.at(1), std::string("\x64\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(file->upper_bounds.at(1), std::string("\x6d\0\0\0\0\0\0\0", 8));
  // "abc...z" is the smallest name; its lower bound keeps 16 code points.
  EXPECT_EQ(file->lower_bounds.at(2), long_name.substr(0, 16));
  EXPECT_EQ(file->upper_bounds.at(2), "b8");  // row 9 holds the long name, row 3 a null
  // Doubles skip NaN: 0.0 .. 13.5.
  double lo, hi;
  std::memcpy(&lo, file->lower_bounds.at(3).data(), 8);
  std::memcpy(&hi, file->upper_bounds.at(3).data(), 8);
  EXPECT_EQ(lo, 0.0);
  EXPECT_EQ(hi, 13.5);
  EXPECT_EQ(file->column_sizes.size(), 4u);
}

TEST(DataFileFromParquetTest, TruncatedUpperBoundIsRoundedUp) {
  MemoryFileIO io;
  auto schema = std::make_shared<Schema>(
      std::vector<NestedField>{NestedField::Required(1, "s", Type::String())});
  auto writer = parquet::ParquetWriter::Open(&io, "s.parquet", schema);
  ASSERT_TRUE(writer.ok());
  ColumnBatch batch(schema);
  batch.mutable_column(0)->AppendBytes("aaaaaaaaaaaaaaaaZZZZ");  // 20 code points
  ASSERT_TRUE((*writer)->Write(batch).ok());
  auto metrics = (*writer)->Close();
  ASSERT_TRUE(metrics.ok());
  auto file = DataFileFromParquet(*metrics, DataFileContent::kData, {}, 16);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->lower_bounds.at(1), "aaaaaaaaaaaaaaaa");
  EXPECT_EQ(file->upper_bounds.at(1), "aaaaaaaaaaaaaaab");
}

TEST(PositionDeleteWriterTest, SortsByPathThenPosition) {
  MemoryFileIO io;
  PositionDeleteWriter writer(&io, "del.parquet");
  writer.Add("s3://b/data/2.parquet", 7);
  writer.Add("s3://b/data/1.parquet", 9);
  writer.Add("s3://b/data/2.parquet", 1);
  writer.Add("s3://b/data/1.parquet", 3);
  writer.Add("s3://b/data/1.parquet", 3);  // a duplicate is written once
  auto file = writer.Close();
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->content, DataFileContent::kPositionDeletes);
  EXPECT_EQ(file->record_count, 4);
  EXPECT_FALSE(file->referenced_data_file.has_value());
  EXPECT_EQ(file->lower_bounds.at(kDeleteFilePathFieldId), "s3://b/data/1.pa");
  EXPECT_EQ(file->lower_bounds.at(kDeletePosFieldId), std::string("\x01\0\0\0\0\0\0\0", 8));

  // Read the rows back: sorted by path, then position, without the duplicate.
  auto rows = parquet::ParquetReader::Open(&io, "del.parquet", PositionDeleteSchema());
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ((*rows)->num_row_groups(), 1);
  auto batch = (*rows)->ReadRowGroup(0);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  std::vector<std::pair<std::string, int64_t>> got;
  for (int64_t r = 0; r < (*batch)->num_rows(); ++r) {
    got.emplace_back((*batch)->column(0).Bytes(r), (*batch)->column(1).Value<int64_t>(r));
  }
  std::vector<std::pair<std::string, int64_t>> want = {{"s3://b/data/1.parquet", 3},
                                                       {"s3://b/data/1.parquet", 9},
                                                       {"s3://b/data/2.parquet", 1},
                                                       {"s3://b/data/2.parquet", 7}};
  EXPECT_EQ(got, want);

  auto reader = parquet::ParquetFileReader::Open(&io, "del.parquet");
  ASSERT_TRUE(reader.ok());
  const auto& schema = (*reader)->metadata().schema;
  ASSERT_EQ(schema.size(), 3u);
  EXPECT_EQ(schema[1].name, "file_path");
  EXPECT_EQ(*schema[1].field_id, kDeleteFilePathFieldId);
  EXPECT_EQ(*schema[2].field_id, kDeletePosFieldId);
}

TEST(PositionDeleteWriterTest, OneReferencedFileIsNamed) {
  MemoryFileIO io;
  PositionDeleteWriter writer(&io, "del.parquet");
  writer.Add("data/1.parquet", 3);
  writer.Add("data/1.parquet", 1);
  auto file = writer.Close();
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->referenced_data_file, "data/1.parquet");
}

TEST(PositionDeleteWriterTest, EmptyFileIsAnError) {
  MemoryFileIO io;
  PositionDeleteWriter writer(&io, "del.parquet");
  EXPECT_EQ(writer.Close().status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(*io.Exists("del.parquet"));
}

TEST(EqualityDeleteWriterTest, ProjectsKeyColumnsAndSetsEqualityIds) {
  MemoryFileIO io;
  auto writer = EqualityDeleteWriter::Open(&io, "eq.parquet", *TableSchema(), {2, 1});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  const auto& ds = (*writer)->delete_schema();
  ASSERT_EQ(ds->fields().size(), 2u);
  EXPECT_EQ(ds->fields()[0].name, "id");
  EXPECT_EQ(ds->fields()[1].name, "name");
  ColumnBatch keys(ds);
  keys.mutable_column(0)->AppendInt64(5);
  keys.mutable_column(1)->AppendBytes("x");
  ASSERT_TRUE((*writer)->Write(keys).ok());
  auto file = (*writer)->Close();
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->content, DataFileContent::kEqualityDeletes);
  EXPECT_EQ(file->equality_ids, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(file->record_count, 1);
}

TEST(EqualityDeleteWriterTest, RejectsUnknownOrNestedIds) {
  MemoryFileIO io;
  auto unknown = EqualityDeleteWriter::Open(&io, "eq.parquet", *TableSchema(), {42});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("42"), std::string::npos);
  auto nested = EqualityDeleteWriter::Open(&io, "eq.parquet", *TableSchema(), {4});
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.status().message().find("tags"), std::string::npos);
  EXPECT_FALSE(EqualityDeleteWriter::Open(&io, "eq.parquet", *TableSchema(), {}).ok());
}

}  // namespace
}  // namespace nilus::iceberg
