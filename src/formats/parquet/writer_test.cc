#include "formats/parquet/writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "formats/parquet/footer_reader.h"
#include "formats/parquet/rle_encoder.h"
#include "formats/parquet/schema_mapping.h"
#include "storage/fault_injection_file_io.h"
#include "storage/memory_file_io.h"

namespace nilus::parquet {
namespace {

// An independent decoder of the RLE / bit-packing hybrid, written from the spec, to check the
// encoder against.
std::vector<uint32_t> DecodeHybrid(const uint8_t* p, size_t size, int bit_width, size_t count) {
  std::vector<uint32_t> out;
  size_t pos = 0;
  auto varint = [&] {
    uint64_t v = 0;
    int shift = 0;
    while (true) {
      uint8_t b = p[pos++];
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7;
    }
  };
  while (out.size() < count && pos < size) {
    uint64_t header = varint();
    if (header & 1) {
      size_t n = (header >> 1) * 8;
      uint64_t bitpos = 0;
      for (size_t i = 0; i < n; ++i) {
        uint32_t v = 0;
        for (int b = 0; b < bit_width; ++b, ++bitpos) {
          v |= ((p[pos + bitpos / 8] >> (bitpos % 8)) & 1u) << b;
        }
        out.push_back(v);
      }
      pos += n * bit_width / 8;
    } else {
      size_t n = header >> 1;
      uint32_t v = 0;
      for (int b = 0; b < (bit_width + 7) / 8; ++b) v |= static_cast<uint32_t>(p[pos++]) << (8 * b);
      out.insert(out.end(), n, v);
    }
  }
  out.resize(count);
  return out;
}

TEST(RleEncoderTest, RoundTripsMixedRunsAndLiterals) {
  for (int bit_width : {1, 2, 3, 7, 8, 13, 20}) {
    std::vector<uint32_t> values;
    uint32_t mask = (1u << bit_width) - 1;
    for (int i = 0; i < 1000; ++i) values.push_back((i * 2654435761u) & mask);  // literals
    values.insert(values.end(), 37, 5 & mask);                                  // a long run
    values.insert(values.end(), 3, 1);                                          // a short run
    for (int i = 0; i < 13; ++i) values.push_back(i & mask);
    values.insert(values.end(), 8, mask);  // a run of exactly 8
    Buffer buf;
    EncodeRleBitPacked(values.data(), static_cast<int64_t>(values.size()), bit_width, &buf);
    EXPECT_EQ(DecodeHybrid(buf.data(), buf.size(), bit_width, values.size()), values)
        << "bit width " << bit_width;
  }
}

TEST(RleEncoderTest, AllEqualValuesBecomeOneRun) {
  std::vector<uint16_t> levels(100000, 1);
  Buffer buf;
  EncodeRleBitPacked(levels.data(), static_cast<int64_t>(levels.size()), 1, &buf);
  EXPECT_LE(buf.size(), 5u);
}

TEST(SchemaMappingTest, DecimalFixedLengthIsMinimal) {
  EXPECT_EQ(DecimalFixedLength(9), 4);
  EXPECT_EQ(DecimalFixedLength(18), 8);
  EXPECT_EQ(DecimalFixedLength(19), 9);
  EXPECT_EQ(DecimalFixedLength(38), 16);
}

TEST(SchemaMappingTest, NestedLevelsAndNames) {
  Schema schema({NestedField::Optional(
      1, "orders",
      Type::List(
          2,
          Type::Struct({NestedField::Required(3, "sku", Type::String()),
                        NestedField::Optional(
                            4, "attrs", Type::Map(5, Type::String(), 6, Type::Long(), false))}),
          false))});
  auto mapped = MapSchema(schema);
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  ASSERT_EQ(mapped->leaves.size(), 3u);
  const auto& sku = mapped->leaves[0];
  EXPECT_EQ(sku.dotted_path, "orders.list.element.sku");
  EXPECT_EQ(sku.max_def, 3);  // orders optional, list repeated, element optional
  EXPECT_EQ(sku.max_rep, 1);
  const auto& value = mapped->leaves[2];
  EXPECT_EQ(value.dotted_path, "orders.list.element.attrs.key_value.value");
  EXPECT_EQ(value.max_def, 6);
  EXPECT_EQ(value.max_rep, 2);
  EXPECT_EQ(value.field_id, 6);
}

SchemaPtr FlatSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "name", Type::String()),
      NestedField::Optional(3, "price", Type::Decimal(9, 2)),
      NestedField::Optional(4, "score", Type::Double()),
  });
}

// Rows [first, first + n): name has 1000 distinct values, every 10th price is null.
std::unique_ptr<ColumnBatch> FlatBatch(const SchemaPtr& schema, int64_t first, int64_t n) {
  auto batch = std::make_unique<ColumnBatch>(schema);
  for (int64_t r = first; r < first + n; ++r) {
    batch->mutable_column(0)->AppendInt64(r);
    batch->mutable_column(1)->AppendBytes("name-" + std::to_string(r % 1000));
    if (r % 10 == 0) {
      batch->mutable_column(2)->AppendNull();
    } else {
      batch->mutable_column(2)->AppendDecimal(r - 500);
    }
    batch->mutable_column(3)->AppendDouble(static_cast<double>(r) / 4);
  }
  return batch;
}

int64_t ReadInt64(const std::string& s) {
  int64_t v;
  EXPECT_EQ(s.size(), 8u);
  std::memcpy(&v, s.data(), 8);
  return v;
}

TEST(ParquetWriterTest, WritesRowGroupsPagesAndStatistics) {
  MemoryFileIO io;
  auto schema = FlatSchema();
  ParquetWriterOptions options;
  options.row_group_max_rows = 4000;
  options.page_max_rows = 1000;
  options.key_value_metadata = {{"nilus.test", "yes"}};
  auto writer = ParquetWriter::Open(&io, "t.parquet", schema, options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  for (int b = 0; b < 3; ++b) {
    ASSERT_TRUE((*writer)->Write(*FlatBatch(schema, b * 3000, 3000)).ok());
  }
  auto metrics = (*writer)->Close();
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  EXPECT_EQ(metrics->record_count, 9000);
  EXPECT_EQ(metrics->split_offsets.size(), 3u);  // 4000 + 4000 + 1000 rows
  EXPECT_EQ(metrics->split_offsets[0], 4);       // right after the magic

  auto reader = ParquetFileReader::Open(&io, "t.parquet");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  const FileMetaData& md = (*reader)->metadata();
  EXPECT_EQ(md.num_rows, 9000);
  ASSERT_EQ(md.row_groups.size(), 3u);
  EXPECT_EQ(md.row_groups[0].num_rows, 4000);
  EXPECT_EQ(md.row_groups[2].num_rows, 1000);
  ASSERT_EQ(md.key_value_metadata.size(), 1u);
  EXPECT_EQ(md.key_value_metadata[0].key, "nilus.test");
  EXPECT_EQ(md.num_type_defined_column_orders, 4);
  EXPECT_EQ(metrics->file_size, (*reader)->file_size());

  // Pages are cut at page_max_rows: 4 data pages per column in a 4000-row group.
  auto pages = (*reader)->ReadPageHeaders(0, 0);
  ASSERT_TRUE(pages.ok()) << pages.status().ToString();
  int data_pages = 0;
  for (const auto& p : *pages) data_pages += p.header.type == PageType::kDataPage;
  EXPECT_EQ(data_pages, 4);

  const ColumnMetaData& id = *md.row_groups[1].columns[0].meta_data;
  ASSERT_TRUE(id.statistics.has_value());
  EXPECT_EQ(ReadInt64(*id.statistics->min_value), 4000);
  EXPECT_EQ(ReadInt64(*id.statistics->max_value), 7999);
  EXPECT_EQ(*id.statistics->null_count, 0);
  const ColumnMetaData& price = *md.row_groups[0].columns[2].meta_data;
  EXPECT_EQ(*price.statistics->null_count, 400);
  EXPECT_EQ(price.type, PhysicalType::kInt32);

  // Iceberg metrics cover the whole file.
  ASSERT_EQ(metrics->columns.size(), 4u);
  const ColumnMetrics& m_id = metrics->columns[0];
  EXPECT_EQ(m_id.field_id, 1);
  EXPECT_EQ(m_id.value_count, 9000);
  EXPECT_EQ(m_id.lower_bound->get<int64_t>(), 0);
  EXPECT_EQ(m_id.upper_bound->get<int64_t>(), 8999);
  const ColumnMetrics& m_name = metrics->columns[1];
  EXPECT_EQ(m_name.lower_bound->get<std::string>(), "name-0");
  EXPECT_EQ(m_name.upper_bound->get<std::string>(), "name-999");
  const ColumnMetrics& m_price = metrics->columns[2];
  EXPECT_EQ(m_price.null_count, 900);
  EXPECT_EQ(static_cast<int64_t>(m_price.lower_bound->get<__int128>()), 1 - 500);
  EXPECT_EQ(static_cast<int64_t>(m_price.upper_bound->get<__int128>()), 8999 - 500);
  EXPECT_EQ(metrics->columns[3].nan_count, 0);
  int64_t chunk_total = 0;
  for (const auto& rg : md.row_groups)
    chunk_total += rg.columns[1].meta_data->total_compressed_size;
  EXPECT_EQ(m_name.compressed_size, chunk_total);
}

TEST(ParquetWriterTest, DictionaryFallsBackToPlainPastTheLimit) {
  MemoryFileIO io;
  auto schema = std::make_shared<Schema>(
      std::vector<NestedField>{NestedField::Required(1, "s", Type::String()),
                               NestedField::Required(2, "low", Type::String())});
  ParquetWriterOptions options;
  options.page_max_rows = 500;
  options.dictionary_max_bytes = 4096;
  auto writer = ParquetWriter::Open(&io, "d.parquet", schema, options);
  ASSERT_TRUE(writer.ok());
  ColumnBatch batch(schema);
  for (int i = 0; i < 5000; ++i) {
    batch.mutable_column(0)->AppendBytes("unique-value-" + std::to_string(i));
    batch.mutable_column(1)->AppendBytes(i % 2 ? "odd" : "even");
  }
  ASSERT_TRUE((*writer)->Write(batch).ok());
  ASSERT_TRUE((*writer)->Close().ok());
  auto reader = ParquetFileReader::Open(&io, "d.parquet");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();

  auto pages = (*reader)->ReadPageHeaders(0, 0);
  ASSERT_TRUE(pages.ok());
  ASSERT_GE(pages->size(), 3u);
  EXPECT_EQ((*pages)[0].header.type, PageType::kDictionaryPage);
  EXPECT_EQ((*pages)[1].header.data_page_header->encoding, Encoding::kRleDictionary);
  EXPECT_EQ(pages->back().header.data_page_header->encoding, Encoding::kPlain);
  int64_t values = 0;
  for (const auto& p : *pages) {
    if (p.header.data_page_header) values += p.header.data_page_header->num_values;
  }
  EXPECT_EQ(values, 5000);

  auto low = (*reader)->ReadPageHeaders(0, 1);
  ASSERT_TRUE(low.ok());
  EXPECT_EQ((*low)[0].header.dictionary_page_header->num_values, 2);
  for (size_t i = 1; i < low->size(); ++i) {
    EXPECT_EQ((*low)[i].header.data_page_header->encoding, Encoding::kRleDictionary);
  }
}

TEST(ParquetWriterTest, FloatStatisticsSkipNaNAndNormalizeZero) {
  MemoryFileIO io;
  auto schema = std::make_shared<Schema>(
      std::vector<NestedField>{NestedField::Optional(1, "f", Type::Double())});
  auto writer = ParquetWriter::Open(&io, "f.parquet", schema);
  ASSERT_TRUE(writer.ok());
  ColumnBatch batch(schema);
  for (double v : {0.0, std::nan(""), 0.0, std::nan("")}) batch.mutable_column(0)->AppendDouble(v);
  batch.mutable_column(0)->AppendNull();
  ASSERT_TRUE((*writer)->Write(batch).ok());
  auto metrics = (*writer)->Close();
  ASSERT_TRUE(metrics.ok());
  const ColumnMetrics& m = metrics->columns[0];
  EXPECT_EQ(*m.nan_count, 2);
  EXPECT_EQ(m.null_count, 1);
  EXPECT_TRUE(std::signbit(m.lower_bound->get<double>()));   // -0.0
  EXPECT_FALSE(std::signbit(m.upper_bound->get<double>()));  // +0.0
}

TEST(ParquetWriterTest, ZeroRowFileIsValid) {
  MemoryFileIO io;
  auto writer = ParquetWriter::Open(&io, "empty.parquet", FlatSchema());
  ASSERT_TRUE(writer.ok());
  auto metrics = (*writer)->Close();
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->record_count, 0);
  auto reader = ParquetFileReader::Open(&io, "empty.parquet");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->metadata().row_groups.size(), 0u);
  EXPECT_EQ((*reader)->metadata().schema.size(), 5u);
}

TEST(ParquetWriterTest, AsyncWritesProduceTheSameBytes) {
  MemoryFileIO io;
  auto schema = FlatSchema();
  ParquetWriterOptions options;
  options.row_group_max_rows = 2500;
  for (const char* path : {"sync.parquet", "async.parquet"}) {
    auto writer = ParquetWriter::Open(&io, path, schema, options);
    ASSERT_TRUE(writer.ok());
    for (int b = 0; b < 4; ++b) {
      std::shared_ptr<ColumnBatch> batch = FlatBatch(schema, b * 1777, 1777);
      Status st =
          std::string(path) == "sync.parquet" ? (*writer)->Write(*batch) : (*writer)->Write(batch);
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
    ASSERT_TRUE((*writer)->Close().ok());
  }
  EXPECT_EQ(*io.ReadFile("sync.parquet"), *io.ReadFile("async.parquet"));
}

// --- Bad input: errors name the column and the row, and nothing is published. ---

TEST(ParquetWriterTest, DecimalOverflowNamesColumnAndRow) {
  MemoryFileIO io;
  auto schema = FlatSchema();
  auto writer = ParquetWriter::Open(&io, "bad.parquet", schema);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(*FlatBatch(schema, 0, 100)).ok());
  auto batch = FlatBatch(schema, 100, 10);
  ColumnBatch bad(schema);
  for (int r = 0; r < 10; ++r) {
    bad.mutable_column(0)->AppendInt64(r);
    bad.mutable_column(1)->AppendBytes("x");
    bad.mutable_column(2)->AppendDecimal(r == 7 ? 1000000000 : r);  // > 9 digits at row 7
    bad.mutable_column(3)->AppendDouble(0);
  }
  Status st = (*writer)->Write(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'price' row 107"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("bad.parquet"), std::string::npos) << st.message();
  EXPECT_FALSE((*writer)->Close().ok());
  EXPECT_FALSE(*io.Exists("bad.parquet"));
}

TEST(ParquetWriterTest, InvalidUtf8NamesColumnAndRow) {
  MemoryFileIO io;
  auto schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Optional(1, "tags", Type::List(2, Type::String(), true))});
  auto writer = ParquetWriter::Open(&io, "utf8.parquet", schema);
  ASSERT_TRUE(writer.ok());
  ColumnBatch batch(schema);
  Column* tags = batch.mutable_column(0);
  for (int r = 0; r < 5; ++r) {
    tags->mutable_child(0)->AppendBytes("ok");
    // Row 3 holds a lone continuation byte; row 1 a valid 4-byte character.
    tags->mutable_child(0)->AppendBytes(r == 3 ? "\x80" : (r == 1 ? "\xF0\x9F\x98\x80" : "b"));
    tags->AppendListEnd();
  }
  Status st = (*writer)->Write(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'tags.list.element' row 3"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("UTF-8"), std::string::npos);
}

TEST(ParquetWriterTest, SplitCharacterAcrossEntriesIsInvalid) {
  MemoryFileIO io;
  auto schema = std::make_shared<Schema>(
      std::vector<NestedField>{NestedField::Required(1, "s", Type::String())});
  auto writer = ParquetWriter::Open(&io, "split.parquet", schema);
  ASSERT_TRUE(writer.ok());
  ColumnBatch batch(schema);
  // Together the two entries form a valid "é"; each alone is invalid.
  batch.mutable_column(0)->AppendBytes("\xC3");
  batch.mutable_column(0)->AppendBytes("\xA9");
  Status st = (*writer)->Write(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'s' row 0"), std::string::npos) << st.message();
}

TEST(ParquetWriterTest, NullInRequiredNestedFieldIsRejected) {
  MemoryFileIO io;
  auto schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Optional(1, "s", Type::Struct({NestedField::Required(2, "a", Type::Int())}))});
  auto writer = ParquetWriter::Open(&io, "req.parquet", schema);
  ASSERT_TRUE(writer.ok());
  ColumnBatch batch(schema);
  Column* s = batch.mutable_column(0);
  s->mutable_child(0)->AppendInt32(1);
  s->AppendStructValid();
  s->AppendNull();  // a null struct is fine
  s->mutable_child(0)->AppendNull();
  s->AppendStructValid();  // a valid struct with a null required field is not
  Status st = (*writer)->Write(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("row 2"), std::string::npos) << st.message();
}

TEST(ParquetWriterTest, RejectsBatchOfAnotherSchema) {
  MemoryFileIO io;
  auto writer = ParquetWriter::Open(&io, "x.parquet", FlatSchema());
  ASSERT_TRUE(writer.ok());
  auto other = std::make_shared<Schema>(
      std::vector<NestedField>{NestedField::Required(1, "id", Type::Int())});
  ColumnBatch batch(other);
  batch.mutable_column(0)->AppendInt32(1);
  EXPECT_EQ((*writer)->Write(batch).code(), StatusCode::kInvalidArgument);
}

TEST(ParquetWriterTest, RejectsBadOptions) {
  MemoryFileIO io;
  ParquetWriterOptions options;
  options.page_max_rows = 0;
  auto writer = ParquetWriter::Open(&io, "x.parquet", FlatSchema(), options);
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.status().message().find("page_max_rows"), std::string::npos);
}

// --- I/O failures: the error comes back and no file that looks valid is left. ---

class WriterFaultTest : public ::testing::TestWithParam<int> {};

TEST_P(WriterFaultTest, FailedWriteLeavesNoFile) {
  MemoryFileIO base;
  FaultInjectionFileIO io(&base);
  auto schema = FlatSchema();
  ParquetWriterOptions options;
  options.row_group_max_rows = 1000;
  io.FailWrite(GetParam());
  auto writer = ParquetWriter::Open(&io, "f.parquet", schema, options);
  ASSERT_TRUE(writer.ok());
  Status st;
  for (int b = 0; b < 3 && st.ok(); ++b) st = (*writer)->Write(*FlatBatch(schema, b * 1500, 1500));
  if (st.ok()) st = (*writer)->Close().status();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kIOError) << st.ToString();
  EXPECT_FALSE(*base.Exists("f.parquet"));
  EXPECT_EQ(base.num_files(), 0u);
}

INSTANTIATE_TEST_SUITE_P(EveryEarlyWrite, WriterFaultTest, ::testing::Range(1, 12));

TEST(ParquetWriterTest, TruncatedWriteLeavesNoFile) {
  MemoryFileIO base;
  FaultInjectionFileIO io(&base);
  io.TruncateWrite(3, 2);
  auto schema = FlatSchema();
  auto writer = ParquetWriter::Open(&io, "t.parquet", schema);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(*FlatBatch(schema, 0, 100)).ok());
  EXPECT_FALSE((*writer)->Close().ok());
  EXPECT_FALSE(*base.Exists("t.parquet"));
}

TEST(ParquetWriterTest, FailedCloseLeavesNoFile) {
  MemoryFileIO base;
  FaultInjectionFileIO io(&base);
  io.FailClose(1);
  auto schema = FlatSchema();
  auto writer = ParquetWriter::Open(&io, "c.parquet", schema);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(*FlatBatch(schema, 0, 100)).ok());
  EXPECT_FALSE((*writer)->Close().ok());
  EXPECT_FALSE(*base.Exists("c.parquet"));
}

}  // namespace
}  // namespace nilus::parquet
