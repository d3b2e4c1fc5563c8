#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "formats/parquet/parquet_metadata.h"
#include "formats/parquet/thrift_compact_writer.h"

namespace nilus::parquet {
namespace {

SchemaElement Leaf(std::string name, PhysicalType type, Repetition rep, int32_t field_id) {
  SchemaElement e;
  e.name = std::move(name);
  e.type = type;
  e.repetition_type = rep;
  e.field_id = field_id;
  return e;
}

SchemaElement Group(std::string name, int32_t children, Repetition rep, int32_t field_id) {
  SchemaElement e;
  e.name = std::move(name);
  e.num_children = children;
  e.repetition_type = rep;
  e.field_id = field_id;
  return e;
}

LogicalType Logical(LogicalType::Kind kind) {
  LogicalType lt;
  lt.kind = kind;
  return lt;
}

LogicalType TimeLike(LogicalType::Kind kind, bool utc, TimeUnit unit) {
  LogicalType lt = Logical(kind);
  lt.is_adjusted_to_utc = utc;
  lt.unit = unit;
  return lt;
}

Statistics FullStatistics(int seed) {
  Statistics s;
  s.max = "old-max-" + std::to_string(seed);
  s.min = "old-min-" + std::to_string(seed);
  s.null_count = 3 + seed;
  s.distinct_count = 40 + seed;
  s.max_value = std::string("\xff\x00\x7f", 3) + std::to_string(seed);
  s.min_value = std::string("\x00\x01", 2) + std::to_string(seed);
  s.is_max_value_exact = true;
  s.is_min_value_exact = false;
  s.nan_count = 7 + seed;
  return s;
}

// A FileMetaData with every field the structs hold set, values all different so that a field
// decoded into the wrong member shows up.
FileMetaData FullFileMetaData() {
  FileMetaData md;
  md.version = 2;
  md.num_rows = 123456789012LL;
  md.created_by = "nilus test";
  md.key_value_metadata = {{"iceberg.schema", std::string("{\"a\":1}")}, {"no-value", {}}};

  SchemaElement root = Group("schema", 11, Repetition::kRequired, 0);
  root.repetition_type.reset();
  root.field_id.reset();
  md.schema.push_back(root);

  SchemaElement s = Leaf("s", PhysicalType::kByteArray, Repetition::kOptional, 1);
  s.converted_type = ConvertedType::kUtf8;
  s.logical_type = Logical(LogicalType::kString);
  md.schema.push_back(s);

  SchemaElement m = Group("m", 1, Repetition::kOptional, 2);
  m.converted_type = ConvertedType::kMap;
  m.logical_type = Logical(LogicalType::kMap);
  md.schema.push_back(m);
  md.schema.push_back(Group("key_value", 2, Repetition::kRepeated, 0));
  md.schema.back().field_id.reset();
  SchemaElement k = Leaf("key", PhysicalType::kByteArray, Repetition::kRequired, 3);
  k.converted_type = ConvertedType::kUtf8;
  k.logical_type = Logical(LogicalType::kString);
  md.schema.push_back(k);
  md.schema.push_back(Leaf("value", PhysicalType::kInt64, Repetition::kOptional, 4));

  SchemaElement l = Group("l", 1, Repetition::kOptional, 5);
  l.converted_type = ConvertedType::kList;
  l.logical_type = Logical(LogicalType::kList);
  md.schema.push_back(l);
  md.schema.push_back(Group("list", 1, Repetition::kRepeated, 0));
  md.schema.back().field_id.reset();
  md.schema.push_back(Leaf("element", PhysicalType::kInt32, Repetition::kOptional, 6));

  SchemaElement d9 = Leaf("d9", PhysicalType::kInt32, Repetition::kRequired, 7);
  d9.converted_type = ConvertedType::kDecimal;
  d9.scale = 2;
  d9.precision = 9;
  d9.logical_type = Logical(LogicalType::kDecimal);
  d9.logical_type->decimal_scale = 2;
  d9.logical_type->decimal_precision = 9;
  md.schema.push_back(d9);

  SchemaElement d38 = Leaf("d38", PhysicalType::kFixedLenByteArray, Repetition::kOptional, 8);
  d38.type_length = 16;
  d38.converted_type = ConvertedType::kDecimal;
  d38.scale = 10;
  d38.precision = 38;
  d38.logical_type = Logical(LogicalType::kDecimal);
  d38.logical_type->decimal_scale = 10;
  d38.logical_type->decimal_precision = 38;
  md.schema.push_back(d38);

  SchemaElement date = Leaf("date", PhysicalType::kInt32, Repetition::kOptional, 9);
  date.converted_type = ConvertedType::kDate;
  date.logical_type = Logical(LogicalType::kDate);
  md.schema.push_back(date);

  SchemaElement time = Leaf("time", PhysicalType::kInt64, Repetition::kOptional, 10);
  time.converted_type = ConvertedType::kTimeMicros;
  time.logical_type = TimeLike(LogicalType::kTime, false, TimeUnit::kMicros);
  md.schema.push_back(time);

  SchemaElement ts = Leaf("ts", PhysicalType::kInt64, Repetition::kOptional, 11);
  ts.converted_type = ConvertedType::kTimestampMicros;
  ts.logical_type = TimeLike(LogicalType::kTimestamp, false, TimeUnit::kMicros);
  md.schema.push_back(ts);

  SchemaElement tstz = Leaf("tstz", PhysicalType::kInt64, Repetition::kOptional, 12);
  tstz.converted_type = ConvertedType::kTimestampMillis;
  tstz.logical_type = TimeLike(LogicalType::kTimestamp, true, TimeUnit::kMillis);
  md.schema.push_back(tstz);

  SchemaElement tsn = Leaf("tsn", PhysicalType::kInt64, Repetition::kOptional, 13);
  tsn.logical_type = TimeLike(LogicalType::kTimestamp, true, TimeUnit::kNanos);
  md.schema.push_back(tsn);

  SchemaElement uuid = Leaf("uuid", PhysicalType::kFixedLenByteArray, Repetition::kOptional, 14);
  uuid.type_length = 16;
  uuid.logical_type = Logical(LogicalType::kUuid);
  md.schema.push_back(uuid);

  SchemaElement i8 = Leaf("i8", PhysicalType::kInt32, Repetition::kOptional, 15);
  i8.logical_type = Logical(LogicalType::kInteger);
  i8.logical_type->bit_width = 8;
  i8.logical_type->is_signed = false;
  md.schema.push_back(i8);

  SchemaElement json = Leaf("json", PhysicalType::kByteArray, Repetition::kOptional, 16);
  json.converted_type = ConvertedType::kJson;
  json.logical_type = Logical(LogicalType::kJson);
  md.schema.push_back(json);
  md.schema[0].num_children = 13;  // s, m, l, d9, d38, date, time, ts, tstz, tsn, uuid, i8, json
  md.num_type_defined_column_orders = 14;  // one per leaf

  for (int g = 0; g < 2; ++g) {
    RowGroup rg;
    rg.total_byte_size = 1000 + g;
    rg.num_rows = 500 + g;
    rg.file_offset = 4 + g;
    rg.total_compressed_size = 900 + g;
    rg.ordinal = static_cast<int16_t>(g);
    for (int c = 0; c < 3; ++c) {
      ColumnChunk cc;
      if (c == 2) cc.file_path = "other.parquet";
      cc.file_offset = 100 * g + c;
      ColumnMetaData cm;
      cm.type = c == 0 ? PhysicalType::kByteArray : PhysicalType::kDouble;
      cm.encodings = {Encoding::kPlain, Encoding::kRle, Encoding::kRleDictionary};
      cm.path_in_schema = {"m", "key_value", "key" + std::to_string(c)};
      cm.codec = c == 1 ? CompressionCodec::kSnappy : CompressionCodec::kZstd;
      cm.num_values = 7000 + c;
      cm.total_uncompressed_size = 8000 + c;
      cm.total_compressed_size = 6000 + c;
      cm.key_value_metadata = {{"col", "meta" + std::to_string(c)}};
      cm.data_page_offset = 60 + c;
      cm.index_page_offset = 70 + c;
      cm.dictionary_page_offset = 50 + c;
      cm.statistics = FullStatistics(c + 10 * g);
      cm.encoding_stats = {{PageType::kDictionaryPage, Encoding::kPlain, 1},
                           {PageType::kDataPage, Encoding::kRleDictionary, 5 + c},
                           {PageType::kDataPage, Encoding::kPlain, 2}};
      cc.meta_data = cm;
      rg.columns.push_back(cc);
    }
    md.row_groups.push_back(rg);
  }
  return md;
}

std::string Serialize(const FileMetaData& md) {
  Buffer buf;
  SerializeFileMetaData(md, &buf);
  return std::string(buf.view());
}

std::string Serialize(const PageHeader& h) {
  Buffer buf;
  SerializePageHeader(h, &buf);
  return std::string(buf.view());
}

Result<FileMetaData> Deserialize(std::string_view bytes) {
  return DeserializeFileMetaData(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

void ExpectStatisticsEq(const Statistics& a, const Statistics& b) {
  EXPECT_EQ(a.max, b.max);
  EXPECT_EQ(a.min, b.min);
  EXPECT_EQ(a.null_count, b.null_count);
  EXPECT_EQ(a.distinct_count, b.distinct_count);
  EXPECT_EQ(a.max_value, b.max_value);
  EXPECT_EQ(a.min_value, b.min_value);
  EXPECT_EQ(a.is_max_value_exact, b.is_max_value_exact);
  EXPECT_EQ(a.is_min_value_exact, b.is_min_value_exact);
  EXPECT_EQ(a.nan_count, b.nan_count);
}

void ExpectLogicalTypeEq(const std::optional<LogicalType>& a, const std::optional<LogicalType>& b) {
  ASSERT_EQ(a.has_value(), b.has_value());
  if (!a) return;
  EXPECT_EQ(a->kind, b->kind);
  if (a->kind == LogicalType::kDecimal) {
    EXPECT_EQ(a->decimal_scale, b->decimal_scale);
    EXPECT_EQ(a->decimal_precision, b->decimal_precision);
  }
  if (a->kind == LogicalType::kTime || a->kind == LogicalType::kTimestamp) {
    EXPECT_EQ(a->is_adjusted_to_utc, b->is_adjusted_to_utc);
    EXPECT_EQ(a->unit, b->unit);
  }
  if (a->kind == LogicalType::kInteger) {
    EXPECT_EQ(a->bit_width, b->bit_width);
    EXPECT_EQ(a->is_signed, b->is_signed);
  }
}

void ExpectKeyValuesEq(const std::vector<KeyValue>& a, const std::vector<KeyValue>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].key, b[i].key);
    EXPECT_EQ(a[i].value, b[i].value);
  }
}

void ExpectFileMetaDataEq(const FileMetaData& a, const FileMetaData& b) {
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.num_rows, b.num_rows);
  EXPECT_EQ(a.created_by, b.created_by);
  EXPECT_EQ(a.num_type_defined_column_orders, b.num_type_defined_column_orders);
  ExpectKeyValuesEq(a.key_value_metadata, b.key_value_metadata);
  ASSERT_EQ(a.schema.size(), b.schema.size());
  for (size_t i = 0; i < a.schema.size(); ++i) {
    SCOPED_TRACE("schema element " + a.schema[i].name);
    const auto& x = a.schema[i];
    const auto& y = b.schema[i];
    EXPECT_EQ(x.type, y.type);
    EXPECT_EQ(x.type_length, y.type_length);
    EXPECT_EQ(x.repetition_type, y.repetition_type);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.num_children, y.num_children);
    EXPECT_EQ(x.converted_type, y.converted_type);
    EXPECT_EQ(x.scale, y.scale);
    EXPECT_EQ(x.precision, y.precision);
    EXPECT_EQ(x.field_id, y.field_id);
    ExpectLogicalTypeEq(x.logical_type, y.logical_type);
  }
  ASSERT_EQ(a.row_groups.size(), b.row_groups.size());
  for (size_t g = 0; g < a.row_groups.size(); ++g) {
    const auto& x = a.row_groups[g];
    const auto& y = b.row_groups[g];
    EXPECT_EQ(x.total_byte_size, y.total_byte_size);
    EXPECT_EQ(x.num_rows, y.num_rows);
    EXPECT_EQ(x.file_offset, y.file_offset);
    EXPECT_EQ(x.total_compressed_size, y.total_compressed_size);
    EXPECT_EQ(x.ordinal, y.ordinal);
    ASSERT_EQ(x.columns.size(), y.columns.size());
    for (size_t c = 0; c < x.columns.size(); ++c) {
      SCOPED_TRACE("row group " + std::to_string(g) + " column " + std::to_string(c));
      const auto& p = x.columns[c];
      const auto& q = y.columns[c];
      EXPECT_EQ(p.file_path, q.file_path);
      EXPECT_EQ(p.file_offset, q.file_offset);
      ASSERT_EQ(p.meta_data.has_value(), q.meta_data.has_value());
      if (!p.meta_data) continue;
      const auto& m = *p.meta_data;
      const auto& n = *q.meta_data;
      EXPECT_EQ(m.type, n.type);
      EXPECT_EQ(m.encodings, n.encodings);
      EXPECT_EQ(m.path_in_schema, n.path_in_schema);
      EXPECT_EQ(m.codec, n.codec);
      EXPECT_EQ(m.num_values, n.num_values);
      EXPECT_EQ(m.total_uncompressed_size, n.total_uncompressed_size);
      EXPECT_EQ(m.total_compressed_size, n.total_compressed_size);
      ExpectKeyValuesEq(m.key_value_metadata, n.key_value_metadata);
      EXPECT_EQ(m.data_page_offset, n.data_page_offset);
      EXPECT_EQ(m.index_page_offset, n.index_page_offset);
      EXPECT_EQ(m.dictionary_page_offset, n.dictionary_page_offset);
      ASSERT_EQ(m.statistics.has_value(), n.statistics.has_value());
      if (m.statistics) ExpectStatisticsEq(*m.statistics, *n.statistics);
      ASSERT_EQ(m.encoding_stats.size(), n.encoding_stats.size());
      for (size_t i = 0; i < m.encoding_stats.size(); ++i) {
        EXPECT_EQ(m.encoding_stats[i].page_type, n.encoding_stats[i].page_type);
        EXPECT_EQ(m.encoding_stats[i].encoding, n.encoding_stats[i].encoding);
        EXPECT_EQ(m.encoding_stats[i].count, n.encoding_stats[i].count);
      }
    }
  }
}

TEST(MetadataSerde, FileMetaDataRoundTripsWithEveryField) {
  const FileMetaData md = FullFileMetaData();
  const std::string bytes = Serialize(md);
  auto back = Deserialize(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectFileMetaDataEq(md, *back);
  // Serializing what was read gives the same bytes.
  EXPECT_EQ(Serialize(*back), bytes);
}

TEST(MetadataSerde, MinimalFileMetaDataRoundTrips) {
  FileMetaData md;
  SchemaElement root;
  root.name = "root";
  root.num_children = 0;
  md.schema.push_back(root);
  auto back = Deserialize(Serialize(md));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectFileMetaDataEq(md, *back);
  EXPECT_FALSE(back->created_by.has_value());
  EXPECT_TRUE(back->row_groups.empty());
}

PageHeader DataPageV1() {
  PageHeader h;
  h.type = PageType::kDataPage;
  h.uncompressed_page_size = 4096;
  h.compressed_page_size = 1024;
  h.crc = -12345;
  DataPageHeader d;
  d.num_values = 1000;
  d.encoding = Encoding::kRleDictionary;
  d.definition_level_encoding = Encoding::kRle;
  d.repetition_level_encoding = Encoding::kBitPacked;
  d.statistics = FullStatistics(5);
  h.data_page_header = d;
  return h;
}

TEST(MetadataSerde, PageHeadersRoundTrip) {
  std::vector<PageHeader> headers;
  headers.push_back(DataPageV1());
  {
    PageHeader h;
    h.type = PageType::kDictionaryPage;
    h.uncompressed_page_size = 77;
    h.compressed_page_size = 66;
    h.dictionary_page_header = DictionaryPageHeader{12, Encoding::kPlain, true};
    headers.push_back(h);
  }
  {
    PageHeader h;
    h.type = PageType::kDataPageV2;
    h.uncompressed_page_size = 1 << 20;
    h.compressed_page_size = 1 << 19;
    h.data_page_header_v2 = DataPageHeaderV2{100, 7, 90, Encoding::kPlain, 11, 13, false};
    headers.push_back(h);
  }
  {
    PageHeader h;
    h.type = PageType::kIndexPage;
    h.uncompressed_page_size = 0;
    h.compressed_page_size = 0;
    headers.push_back(h);
  }
  for (const PageHeader& h : headers) {
    SCOPED_TRACE("page type " + std::to_string(static_cast<int>(h.type)));
    std::string bytes = Serialize(h);
    const size_t header_size = bytes.size();
    bytes += "page data that follows the header";
    size_t consumed = 0;
    auto back = DeserializePageHeader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                      &consumed);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(consumed, header_size);
    EXPECT_EQ(back->type, h.type);
    EXPECT_EQ(back->uncompressed_page_size, h.uncompressed_page_size);
    EXPECT_EQ(back->compressed_page_size, h.compressed_page_size);
    EXPECT_EQ(back->crc, h.crc);
    ASSERT_EQ(back->data_page_header.has_value(), h.data_page_header.has_value());
    if (h.data_page_header) {
      const auto& x = *h.data_page_header;
      const auto& y = *back->data_page_header;
      EXPECT_EQ(x.num_values, y.num_values);
      EXPECT_EQ(x.encoding, y.encoding);
      EXPECT_EQ(x.definition_level_encoding, y.definition_level_encoding);
      EXPECT_EQ(x.repetition_level_encoding, y.repetition_level_encoding);
      ASSERT_TRUE(y.statistics.has_value());
      ExpectStatisticsEq(*x.statistics, *y.statistics);
    }
    ASSERT_EQ(back->dictionary_page_header.has_value(), h.dictionary_page_header.has_value());
    if (h.dictionary_page_header) {
      EXPECT_EQ(back->dictionary_page_header->num_values, h.dictionary_page_header->num_values);
      EXPECT_EQ(back->dictionary_page_header->encoding, h.dictionary_page_header->encoding);
      EXPECT_EQ(back->dictionary_page_header->is_sorted, h.dictionary_page_header->is_sorted);
    }
    ASSERT_EQ(back->data_page_header_v2.has_value(), h.data_page_header_v2.has_value());
    if (h.data_page_header_v2) {
      const auto& x = *h.data_page_header_v2;
      const auto& y = *back->data_page_header_v2;
      EXPECT_EQ(x.num_values, y.num_values);
      EXPECT_EQ(x.num_nulls, y.num_nulls);
      EXPECT_EQ(x.num_rows, y.num_rows);
      EXPECT_EQ(x.encoding, y.encoding);
      EXPECT_EQ(x.definition_levels_byte_length, y.definition_levels_byte_length);
      EXPECT_EQ(x.repetition_levels_byte_length, y.repetition_levels_byte_length);
      EXPECT_EQ(x.is_compressed, y.is_compressed);
    }
    EXPECT_EQ(Serialize(*back), bytes.substr(0, header_size));
  }
}

// Appends, before the final stop byte of a serialized struct, fields this build does not know
// (in long form, so they need no delta from the last known id).
std::string WithUnknownTrailingFields(std::string bytes) {
  EXPECT_EQ(bytes.back(), '\0');
  bytes.pop_back();
  Buffer extra;
  ThriftCompactWriter w(&extra);
  w.StructBegin();
  // A FileMetaData field 8 (encryption_algorithm) shaped like the real one: a union of structs.
  w.FieldStructBegin(8);
  w.FieldStructBegin(1);
  w.FieldBinary(1, "aad prefix");
  w.FieldBool(3, true);
  w.StructEnd();
  w.StructEnd();
  w.FieldListBegin(300, ThriftType::kStruct, 2);
  for (int i = 0; i < 2; ++i) {
    w.StructBegin();
    w.FieldListBegin(1, ThriftType::kI64, 20);
    for (int j = 0; j < 20; ++j) w.I64(-j);
    w.StructEnd();
  }
  w.StructEnd();  // ends the helper struct: drop its stop byte, the original one follows
  std::string tail(extra.view());
  tail.pop_back();
  // The writer chose delta forms from id 0; rewrite the first header (field 8) in long form.
  EXPECT_EQ(static_cast<uint8_t>(tail[0]), (8 << 4) | 12);
  tail[0] = 12;
  tail.insert(tail.begin() + 1, static_cast<char>(16));  // zigzag(8)
  bytes += tail;
  bytes.push_back('\0');
  return bytes;
}

TEST(MetadataSerde, UnknownFieldsAreSkipped) {
  const FileMetaData md = FullFileMetaData();
  const std::string bytes = Serialize(md);
  const std::string extended = WithUnknownTrailingFields(bytes);
  ASSERT_GT(extended.size(), bytes.size());
  auto back = Deserialize(extended);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectFileMetaDataEq(md, *back);
  EXPECT_EQ(Serialize(*back), bytes);
}

TEST(MetadataSerde, UnknownLogicalTypeMembersAreKept) {
  // A LogicalType member newer than this build (16: VARIANT).
  FileMetaData md;
  SchemaElement root;
  root.name = "root";
  root.num_children = 1;
  md.schema.push_back(root);
  SchemaElement v;
  v.name = "v";
  v.num_children = 0;
  v.logical_type = Logical(static_cast<LogicalType::Kind>(16));
  md.schema.push_back(v);
  auto back = Deserialize(Serialize(md));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->schema[1].logical_type.has_value());
  EXPECT_EQ(static_cast<int>(back->schema[1].logical_type->kind), 16);
}

TEST(MetadataSerde, EveryTruncationIsCorruption) {
  const std::string bytes = Serialize(FullFileMetaData());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = Deserialize(std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes parsed";
    ASSERT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
    ASSERT_NE(r.status().message().find("Parquet FileMetaData"), std::string::npos);
  }
  const std::string page = Serialize(DataPageV1());
  for (size_t n = 0; n < page.size(); ++n) {
    size_t consumed = 0;
    auto r = DeserializePageHeader(reinterpret_cast<const uint8_t*>(page.data()), n, &consumed);
    ASSERT_EQ(r.status().code(), StatusCode::kCorruption) << "prefix " << n;
  }
}

TEST(MetadataSerde, ErrorsNameTheField) {
  FileMetaData md = FullFileMetaData();
  std::string bytes = Serialize(md);
  // Cut inside the first row group's first column's statistics.min_value.
  const std::string needle = std::string("\x00\x01", 2) + "0";
  const size_t at = bytes.find(needle);
  ASSERT_NE(at, std::string::npos);
  auto r = Deserialize(std::string_view(bytes).substr(0, at + 1));
  ASSERT_FALSE(r.ok());
  const std::string msg = r.status().message();
  EXPECT_NE(
      msg.find("Parquet FileMetaData: row_groups[0].columns[0].meta_data.statistics.min_value: "
               "thrift: binary length 3 exceeds the 1 bytes left"),
      std::string::npos)
      << msg;
  EXPECT_NE(msg.find("at byte"), std::string::npos) << msg;
}

TEST(MetadataSerde, WrongWireTypeAndMissingRequiredFields) {
  {
    Buffer buf;
    ThriftCompactWriter w(&buf);
    w.StructBegin();
    w.FieldI64(1, 2);  // version must be an i32
    w.StructEnd();
    auto r = DeserializeFileMetaData(buf.data(), buf.size());
    ASSERT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find("version: thrift: field 1 has wire type i64, expected i32"),
              std::string::npos)
        << r.status().message();
  }
  {
    Buffer buf;
    ThriftCompactWriter w(&buf);
    w.StructBegin();
    w.FieldI32(1, 2);
    w.FieldListBegin(2, ThriftType::kStruct, 0);
    w.FieldI64(3, 0);
    w.StructEnd();  // no row_groups
    auto r = DeserializeFileMetaData(buf.data(), buf.size());
    ASSERT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find("missing required field 4 (row_groups)"), std::string::npos)
        << r.status().message();
  }
  {
    Buffer buf;
    ThriftCompactWriter w(&buf);
    w.StructBegin();
    w.FieldI32(1, 2);
    w.FieldListBegin(2, ThriftType::kI32, 1);  // a schema of i32s instead of structs
    w.I32(5);
    w.FieldI64(3, 0);
    w.FieldListBegin(4, ThriftType::kStruct, 0);
    w.StructEnd();
    auto r = DeserializeFileMetaData(buf.data(), buf.size());
    ASSERT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find("list of i32, expected a list of struct"),
              std::string::npos)
        << r.status().message();
  }
}

TEST(MetadataSerde, RandomByteFlipsNeverCrash) {
  const std::string bytes = Serialize(FullFileMetaData());
  const std::string page = Serialize(DataPageV1());
  uint64_t state = 42;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  int parsed = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    std::string a = bytes;
    std::string b = page;
    const int flips = 1 + static_cast<int>(next() % 4);
    for (int i = 0; i < flips; ++i) {
      a[next() % a.size()] ^= static_cast<char>(1 + next() % 255);
      b[next() % b.size()] ^= static_cast<char>(1 + next() % 255);
    }
    auto r = Deserialize(a);
    if (r.ok()) {
      ++parsed;
    } else {
      ASSERT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
    }
    size_t consumed = 0;
    auto p = DeserializePageHeader(reinterpret_cast<const uint8_t*>(b.data()), b.size(), &consumed);
    if (p.ok()) {
      EXPECT_LE(consumed, b.size());
    }
  }
  // Flips inside string payloads still parse: the loop exercised both outcomes.
  EXPECT_GT(parsed, 0);
  EXPECT_LT(parsed, 2000);
}

TEST(MetadataNames, NamesFollowParquetThrift) {
  EXPECT_EQ(PhysicalTypeName(PhysicalType::kFixedLenByteArray), "FIXED_LEN_BYTE_ARRAY");
  EXPECT_EQ(PhysicalTypeName(PhysicalType::kBoolean), "BOOLEAN");
  EXPECT_EQ(PhysicalTypeName(static_cast<PhysicalType>(99)), "UNKNOWN");
  EXPECT_EQ(EncodingName(Encoding::kRleDictionary), "RLE_DICTIONARY");
  EXPECT_EQ(EncodingName(Encoding::kPlain), "PLAIN");
  EXPECT_EQ(EncodingName(static_cast<Encoding>(1)), "UNKNOWN");  // the retired GROUP_VAR_INT
  EXPECT_EQ(CodecName(CompressionCodec::kZstd), "ZSTD");
  EXPECT_EQ(CodecName(CompressionCodec::kUncompressed), "UNCOMPRESSED");
  EXPECT_EQ(CodecName(CompressionCodec::kLz4Raw), "LZ4_RAW");
  EXPECT_EQ(ConvertedTypeName(ConvertedType::kTimestampMicros), "TIMESTAMP_MICROS");
  EXPECT_EQ(ConvertedTypeName(ConvertedType::kUtf8), "UTF8");
  EXPECT_EQ(ConvertedTypeName(static_cast<ConvertedType>(15)), "INT_8");
  EXPECT_EQ(ConvertedTypeName(static_cast<ConvertedType>(21)), "INTERVAL");
  EXPECT_EQ(ConvertedTypeName(static_cast<ConvertedType>(99)), "UNKNOWN");
}

}  // namespace
}  // namespace nilus::parquet
