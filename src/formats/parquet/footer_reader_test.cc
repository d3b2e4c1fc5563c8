#include "formats/parquet/footer_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "formats/parquet/testing/sample_data.h"
#include "formats/parquet/writer.h"
#include "storage/local_file_io.h"
#include "storage/memory_file_io.h"

namespace nilus::parquet {
namespace {

constexpr char kPath[] = "dir/t.parquet";

std::string LE32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

std::string SerializeMd(const FileMetaData& md) {
  Buffer buf;
  SerializeFileMetaData(md, &buf);
  return std::string(buf.view());
}

// "PAR1" + data + footer + footer length + "PAR1": the layout of every Parquet file.
std::string ParquetBytes(const std::string& data_area, const std::string& footer) {
  return "PAR1" + data_area + footer + LE32(static_cast<uint32_t>(footer.size())) + "PAR1";
}

SchemaElement Elem(std::string name, Repetition rep, std::optional<PhysicalType> type,
                   std::optional<int32_t> children = {}) {
  SchemaElement e;
  e.name = std::move(name);
  e.repetition_type = rep;
  e.type = type;
  e.num_children = children;
  return e;
}

// root { required int32 id; optional binary name;
//        optional group tags (LIST) { repeated group list { optional int32 element } }
//        optional group props (MAP) { repeated group key_value {
//            required binary key; optional group value { optional int64 a; required double b }}}}
std::vector<SchemaElement> NestedSchema() {
  std::vector<SchemaElement> s;
  s.push_back(Elem("schema", Repetition::kRequired, {}, 4));
  s[0].repetition_type.reset();
  s.push_back(Elem("id", Repetition::kRequired, PhysicalType::kInt32));
  s.push_back(Elem("name", Repetition::kOptional, PhysicalType::kByteArray));
  s.push_back(Elem("tags", Repetition::kOptional, {}, 1));
  s.push_back(Elem("list", Repetition::kRepeated, {}, 1));
  s.push_back(Elem("element", Repetition::kOptional, PhysicalType::kInt32));
  s.push_back(Elem("props", Repetition::kOptional, {}, 1));
  s.push_back(Elem("key_value", Repetition::kRepeated, {}, 2));
  s.push_back(Elem("key", Repetition::kRequired, PhysicalType::kByteArray));
  s.push_back(Elem("value", Repetition::kOptional, {}, 2));
  s.push_back(Elem("a", Repetition::kOptional, PhysicalType::kInt64));
  s.push_back(Elem("b", Repetition::kRequired, PhysicalType::kDouble));
  return s;
}

std::string SerializeHeader(const PageHeader& h) {
  Buffer buf;
  SerializePageHeader(h, &buf);
  return std::string(buf.view());
}

PageHeader DataPage(int32_t size, int32_t num_values, Encoding encoding) {
  PageHeader h;
  h.type = PageType::kDataPage;
  h.uncompressed_page_size = size;
  h.compressed_page_size = size;
  h.data_page_header.emplace();
  h.data_page_header->num_values = num_values;
  h.data_page_header->encoding = encoding;
  return h;
}

PageHeader DictPage(int32_t size, int32_t num_values) {
  PageHeader h;
  h.type = PageType::kDictionaryPage;
  h.uncompressed_page_size = size;
  h.compressed_page_size = size;
  h.dictionary_page_header.emplace();
  h.dictionary_page_header->num_values = num_values;
  return h;
}

// Appends pages (header + `compressed_page_size` filler bytes) to *data, which starts at file
// offset 4, and returns the ColumnMetaData that describes them.
ColumnMetaData AppendChunk(std::string* data, const std::vector<PageHeader>& pages,
                           std::vector<std::string> path) {
  ColumnMetaData cm;
  cm.path_in_schema = std::move(path);
  const int64_t start = 4 + static_cast<int64_t>(data->size());
  bool first_data = true;
  for (const PageHeader& h : pages) {
    const int64_t offset = 4 + static_cast<int64_t>(data->size());
    if (h.type == PageType::kDictionaryPage) cm.dictionary_page_offset = offset;
    if (h.type == PageType::kDataPage && first_data) {
      cm.data_page_offset = offset;
      first_data = false;
    }
    if (h.data_page_header) cm.num_values += h.data_page_header->num_values;
    *data += SerializeHeader(h);
    data->append(static_cast<size_t>(h.compressed_page_size), 'x');
  }
  cm.total_compressed_size = 4 + static_cast<int64_t>(data->size()) - start;
  cm.total_uncompressed_size = cm.total_compressed_size;
  cm.encodings = {Encoding::kPlain};
  return cm;
}

// A file with the nested schema and one row group; column 0 has a dictionary page and two data
// pages, the others one data page each.
struct TestFile {
  std::string bytes;
  FileMetaData md;
};

TestFile NestedFile(std::string big_statistics = "") {
  TestFile f;
  f.md.schema = NestedSchema();
  f.md.num_rows = 10;
  f.md.created_by = "footer reader test";
  RowGroup rg;
  rg.num_rows = 10;
  std::string data;
  std::vector<std::vector<PageHeader>> chunks = {
      {DictPage(30, 5), DataPage(20, 6, Encoding::kRleDictionary),
       DataPage(25, 4, Encoding::kPlain)},
      {DataPage(11, 10, Encoding::kPlain)},
      {DataPage(12, 10, Encoding::kPlain)},
      {DataPage(13, 10, Encoding::kPlain)},
      {DataPage(14, 10, Encoding::kPlain)},
      {DataPage(15, 10, Encoding::kPlain)},
  };
  if (!big_statistics.empty()) {
    chunks[1][0].data_page_header->statistics.emplace();
    chunks[1][0].data_page_header->statistics->max_value = big_statistics;
  }
  for (const auto& pages : chunks) {
    ColumnChunk cc;
    cc.meta_data = AppendChunk(&data, pages, {"x"});
    cc.file_offset = cc.meta_data->data_page_offset;
    rg.columns.push_back(cc);
  }
  f.md.row_groups.push_back(rg);
  f.bytes = ParquetBytes(data, SerializeMd(f.md));
  return f;
}

Result<std::unique_ptr<ParquetFileReader>> OpenBytes(MemoryFileIO* io, const std::string& bytes) {
  Status st = io->WriteFile(kPath, bytes);
  if (!st.ok()) return st;
  return ParquetFileReader::Open(io, kPath);
}

void ExpectOpenError(const std::string& bytes, StatusCode code, const std::string& needle) {
  MemoryFileIO io;
  auto r = OpenBytes(&io, bytes);
  ASSERT_FALSE(r.ok()) << "opened: " << needle;
  EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  EXPECT_NE(r.status().message().find(kPath), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
}

TEST(FooterReader, OpensAndDerivesLeafColumns) {
  TestFile f = NestedFile();
  MemoryFileIO io;
  auto r = OpenBytes(&io, f.bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ParquetFileReader& reader = **r;
  EXPECT_EQ(reader.file_size(), static_cast<int64_t>(f.bytes.size()));
  EXPECT_EQ(reader.footer_size(), static_cast<int64_t>(SerializeMd(f.md).size()));
  EXPECT_EQ(reader.metadata().created_by, "footer reader test");
  EXPECT_EQ(reader.metadata().num_rows, 10);
  ASSERT_EQ(reader.metadata().schema.size(), 12u);

  struct Want {
    const char* path;
    int schema_index;
    int def, rep;
  };
  const Want want[] = {{"id", 1, 0, 0},
                       {"name", 2, 1, 0},
                       {"tags.list.element", 5, 3, 1},
                       {"props.key_value.key", 8, 2, 1},
                       {"props.key_value.value.a", 10, 4, 1},
                       {"props.key_value.value.b", 11, 3, 1}};
  const auto& leaves = reader.leaf_columns();
  ASSERT_EQ(leaves.size(), 6u);
  for (size_t i = 0; i < leaves.size(); ++i) {
    EXPECT_EQ(leaves[i].path, want[i].path);
    EXPECT_EQ(leaves[i].schema_index, want[i].schema_index) << want[i].path;
    EXPECT_EQ(leaves[i].max_definition_level, want[i].def) << want[i].path;
    EXPECT_EQ(leaves[i].max_repetition_level, want[i].rep) << want[i].path;
  }
  EXPECT_EQ(leaves[4].path_parts, (std::vector<std::string>{"props", "key_value", "value", "a"}));
}

TEST(FooterReader, ReadsPageHeaders) {
  TestFile f = NestedFile();
  MemoryFileIO io;
  auto r = OpenBytes(&io, f.bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto pages = (*r)->ReadPageHeaders(0, 0);
  ASSERT_TRUE(pages.ok()) << pages.status().ToString();
  ASSERT_EQ(pages->size(), 3u);
  const ColumnMetaData& cm = *f.md.row_groups[0].columns[0].meta_data;
  EXPECT_EQ((*pages)[0].offset, *cm.dictionary_page_offset);
  EXPECT_EQ((*pages)[0].header.type, PageType::kDictionaryPage);
  EXPECT_EQ((*pages)[0].header.dictionary_page_header->num_values, 5);
  EXPECT_EQ((*pages)[1].offset, cm.data_page_offset);
  EXPECT_EQ((*pages)[1].offset, (*pages)[0].offset + (*pages)[0].header_size + 30);
  EXPECT_EQ((*pages)[1].header.data_page_header->encoding, Encoding::kRleDictionary);
  EXPECT_EQ((*pages)[2].header.data_page_header->encoding, Encoding::kPlain);
  EXPECT_EQ((*pages)[2].header.compressed_page_size, 25);
  EXPECT_EQ((*pages)[2].offset + (*pages)[2].header_size + 25,
            cm.dictionary_page_offset.value() + cm.total_compressed_size);
  // The page header bytes really are at the reported offsets.
  for (const PageInfo& p : *pages) {
    EXPECT_EQ(f.bytes.substr(static_cast<size_t>(p.offset), static_cast<size_t>(p.header_size)),
              SerializeHeader(p.header));
  }

  auto last = (*r)->ReadPageHeaders(0, 5);
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ((*last)[0].header.compressed_page_size, 15);

  EXPECT_EQ((*r)->ReadPageHeaders(1, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*r)->ReadPageHeaders(0, 6).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*r)->ReadPageHeaders(-1, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(FooterReader, PageHeaderLargerThanTheFirstReadWindow) {
  // 100 KB of page statistics: the header does not fit the first 16 KB window.
  TestFile f = NestedFile(std::string(100 * 1024, 's'));
  MemoryFileIO io;
  auto r = OpenBytes(&io, f.bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto pages = (*r)->ReadPageHeaders(0, 1);
  ASSERT_TRUE(pages.ok()) << pages.status().ToString();
  ASSERT_EQ(pages->size(), 1u);
  EXPECT_GT((*pages)[0].header_size, 100 * 1024);
  EXPECT_EQ((*pages)[0].header.data_page_header->statistics->max_value->size(), 100u * 1024);
}

TEST(FooterReader, FooterLargerThanTheTailRead) {
  TestFile f = NestedFile();
  const std::string data = f.bytes.substr(4, f.bytes.size() - 12 - SerializeMd(f.md).size());
  f.md.key_value_metadata.push_back({"big", std::string(200 * 1024, 'v')});
  MemoryFileIO io;
  auto r = OpenBytes(&io, ParquetBytes(data, SerializeMd(f.md)));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)->metadata().key_value_metadata.size(), 1u);
  EXPECT_EQ((*r)->metadata().key_value_metadata[0].value->size(), 200u * 1024);
  EXPECT_TRUE((*r)->ReadPageHeaders(0, 0).ok());
}

TEST(FooterReader, BadFilesAreClearErrors) {
  const std::string good = NestedFile().bytes;
  ExpectOpenError("", StatusCode::kCorruption, "0 bytes is too small");
  ExpectOpenError("PAR1PAR1", StatusCode::kCorruption, "8 bytes is too small");
  ExpectOpenError("PAR1" + LE32(0) + "PAR", StatusCode::kCorruption, "too small");

  std::string bad_tail = good;
  bad_tail.back() = '2';
  ExpectOpenError(bad_tail, StatusCode::kCorruption, "the last 4 bytes are 'PAR2'");
  std::string bad_head = good;
  bad_head[0] = '\x01';
  ExpectOpenError(bad_head, StatusCode::kCorruption, "the first 4 bytes are '\\x01AR1'");
  std::string encrypted = good;
  encrypted.replace(encrypted.size() - 4, 4, "PARE");
  ExpectOpenError(encrypted, StatusCode::kNotImplemented, "encrypted");

  // A footer length past the start of the file.
  std::string too_long = good;
  too_long.replace(too_long.size() - 8, 4, LE32(static_cast<uint32_t>(good.size())));
  ExpectOpenError(too_long, StatusCode::kCorruption, "footer length");
  too_long.replace(too_long.size() - 8, 4, LE32(0xffffffffu));
  ExpectOpenError(too_long, StatusCode::kCorruption, "footer length 4294967295 exceeds");

  // The smallest file that has room for nothing: an empty footer is bad Thrift.
  ExpectOpenError("PAR1" + LE32(0) + "PAR1", StatusCode::kCorruption, "Parquet FileMetaData");
  ExpectOpenError(ParquetBytes("", "garbage!"), StatusCode::kCorruption, "Parquet FileMetaData");
  // A footer length one byte short cuts the metadata.
  std::string short_len = good;
  const uint32_t len = static_cast<uint32_t>(SerializeMd(NestedFile().md).size());
  short_len.replace(short_len.size() - 8, 4, LE32(len - 1));
  ExpectOpenError(short_len, StatusCode::kCorruption, "Parquet FileMetaData");
}

TEST(FooterReader, EveryTruncatedFileFailsToOpen) {
  const std::string good = NestedFile().bytes;
  for (size_t n = 0; n < good.size(); ++n) {
    MemoryFileIO io;
    auto r = OpenBytes(&io, good.substr(0, n));
    ASSERT_FALSE(r.ok()) << "a prefix of " << n << " bytes opened";
  }
}

TEST(FooterReader, SchemaAndRowGroupMismatchesAreCorruption) {
  TestFile f = NestedFile();
  std::string data = f.bytes.substr(4, f.bytes.size() - 12 - SerializeMd(f.md).size());
  {
    FileMetaData md = f.md;
    md.row_groups[0].columns.pop_back();
    ExpectOpenError(ParquetBytes(data, SerializeMd(md)), StatusCode::kCorruption,
                    "row group 0 has 5 column chunks but the schema has 6 leaf columns");
  }
  {
    FileMetaData md = f.md;
    md.schema[0].num_children = 5;
    ExpectOpenError(ParquetBytes(data, SerializeMd(md)), StatusCode::kCorruption,
                    "declares 5 children but the schema ends");
  }
  {
    FileMetaData md = f.md;
    md.schema[0].num_children = 3;
    ExpectOpenError(ParquetBytes(data, SerializeMd(md)), StatusCode::kCorruption,
                    "root's subtree ends after");
  }
  {
    FileMetaData md = f.md;
    md.schema[1].type.reset();
    ExpectOpenError(ParquetBytes(data, SerializeMd(md)), StatusCode::kCorruption,
                    "leaf 'id' has no physical type");
  }
  {
    FileMetaData md = f.md;
    md.schema.clear();
    ExpectOpenError(ParquetBytes(data, SerializeMd(md)), StatusCode::kCorruption,
                    "schema is empty");
  }
}

TEST(FooterReader, BadColumnChunksAreCorruption) {
  TestFile f = NestedFile();
  std::string data = f.bytes.substr(4, f.bytes.size() - 12 - SerializeMd(f.md).size());
  MemoryFileIO io;
  auto open_with = [&](const FileMetaData& md) {
    auto r = OpenBytes(&io, ParquetBytes(data, SerializeMd(md)));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r;
  };
  {
    // The chunk claims more bytes than the data area holds.
    FileMetaData md = f.md;
    md.row_groups[0].columns[5].meta_data->total_compressed_size = 1 << 20;
    auto r = open_with(md);
    auto pages = (*r)->ReadPageHeaders(0, 5);
    EXPECT_EQ(pages.status().code(), StatusCode::kCorruption);
    EXPECT_NE(pages.status().message().find("outside the data area"), std::string::npos)
        << pages.status().message();
    EXPECT_NE(pages.status().message().find("props.key_value.value.b"), std::string::npos);
  }
  {
    // The chunk ends inside its last page.
    FileMetaData md = f.md;
    md.row_groups[0].columns[0].meta_data->total_compressed_size -= 1;
    auto r = open_with(md);
    auto pages = (*r)->ReadPageHeaders(0, 0);
    EXPECT_EQ(pages.status().code(), StatusCode::kCorruption);
    EXPECT_NE(pages.status().message().find("past the chunk's end"), std::string::npos)
        << pages.status().message();
  }
  {
    // The data page offset points at the page's data ('x' bytes), not at its header.
    FileMetaData md = f.md;
    auto& cm = *md.row_groups[0].columns[1].meta_data;
    const int64_t header_size =
        static_cast<int64_t>(SerializeHeader(DataPage(11, 10, Encoding::kPlain)).size());
    cm.data_page_offset += header_size;
    cm.total_compressed_size -= header_size;
    auto r = open_with(md);
    auto pages = (*r)->ReadPageHeaders(0, 1);
    EXPECT_EQ(pages.status().code(), StatusCode::kCorruption);
    EXPECT_NE(pages.status().message().find("page header at offset"), std::string::npos)
        << pages.status().message();
  }
  {
    FileMetaData md = f.md;
    md.row_groups[0].columns[2].meta_data.reset();
    auto r = open_with(md);
    EXPECT_EQ((*r)->ReadPageHeaders(0, 2).status().code(), StatusCode::kNotImplemented);
  }
}

TEST(FooterReader, MissingFileIsNotFound) {
  MemoryFileIO io;
  auto r = ParquetFileReader::Open(&io, "nope.parquet");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().ToString();
}

TEST(FooterReader, BuildLeafColumnsOfAFlatSchema) {
  std::vector<SchemaElement> s;
  s.push_back(Elem("root", Repetition::kRequired, {}, 2));
  s.push_back(Elem("a", Repetition::kOptional, PhysicalType::kBoolean));
  s.push_back(Elem("b", Repetition::kRepeated, PhysicalType::kInt64));  // a legacy 1-level list
  auto leaves = BuildLeafColumns(s);
  ASSERT_TRUE(leaves.ok()) << leaves.status().ToString();
  ASSERT_EQ(leaves->size(), 2u);
  EXPECT_EQ((*leaves)[1].path, "b");
  EXPECT_EQ((*leaves)[1].max_definition_level, 1);
  EXPECT_EQ((*leaves)[1].max_repetition_level, 1);

  // 100 levels of nesting is refused rather than recursed into.
  std::vector<SchemaElement> deep;
  deep.push_back(Elem("root", Repetition::kRequired, {}, 1));
  for (int i = 0; i < 100; ++i) deep.push_back(Elem("g", Repetition::kOptional, {}, 1));
  deep.push_back(Elem("leaf", Repetition::kOptional, PhysicalType::kInt32));
  EXPECT_EQ(BuildLeafColumns(deep).status().code(), StatusCode::kCorruption);
}

// Our own writer's output, read back: the footer agrees with the writer's metrics, every chunk's
// pages add up, and the page and dictionary limits show in the page headers.
TEST(FooterReader, ReadsAFileFromOurWriter) {
  MemoryFileIO io;
  SchemaPtr schema = testing::SampleSchema();
  ParquetWriterOptions options;
  options.compression = Compression::kZstd;
  options.row_group_max_rows = 1000;
  options.page_max_rows = 300;
  options.dictionary_max_bytes = 512;  // small: high-cardinality columns fall back to PLAIN
  options.key_value_metadata = {{"k", "v"}};
  auto writer = ParquetWriter::Open(&io, "w.parquet", schema, options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  constexpr int64_t kRows = 2500;
  for (int64_t first = 0; first < kRows; first += 500) {
    ColumnBatch batch(schema);
    testing::AppendSampleRows(&batch, first, 500);
    Status st = (*writer)->Write(batch);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  auto metrics = (*writer)->Close();
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();

  auto reader = ParquetFileReader::Open(&io, "w.parquet");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  const FileMetaData& md = (*reader)->metadata();
  EXPECT_EQ(md.num_rows, kRows);
  EXPECT_EQ((*reader)->file_size(), metrics->file_size);
  ASSERT_EQ(md.key_value_metadata.size(), 1u);
  EXPECT_EQ(md.key_value_metadata[0].value, "v");
  ASSERT_EQ(md.row_groups.size(), metrics->split_offsets.size());
  EXPECT_GE(md.row_groups.size(), 3u);
  int64_t rows = 0;
  for (size_t g = 0; g < md.row_groups.size(); ++g) {
    rows += md.row_groups[g].num_rows;
    EXPECT_LE(md.row_groups[g].num_rows, options.row_group_max_rows);
  }
  EXPECT_EQ(rows, kRows);

  const auto& leaves = (*reader)->leaf_columns();
  ASSERT_EQ(leaves.size(), metrics->columns.size());
  EXPECT_EQ(md.num_type_defined_column_orders, static_cast<int32_t>(leaves.size()));
  bool saw_fallback = false;
  for (size_t c = 0; c < leaves.size(); ++c) {
    SCOPED_TRACE(leaves[c].path);
    const SchemaElement& leaf = md.schema[static_cast<size_t>(leaves[c].schema_index)];
    EXPECT_EQ(leaves[c].path, metrics->columns[c].path);
    EXPECT_EQ(leaf.field_id, metrics->columns[c].field_id);
    int64_t value_count = 0;
    int64_t compressed = 0;
    for (size_t g = 0; g < md.row_groups.size(); ++g) {
      const ColumnMetaData& cm = *md.row_groups[g].columns[c].meta_data;
      EXPECT_EQ(cm.path_in_schema, leaves[c].path_parts);
      value_count += cm.num_values;
      compressed += cm.total_compressed_size;
      auto pages = (*reader)->ReadPageHeaders(static_cast<int>(g), static_cast<int>(c));
      ASSERT_TRUE(pages.ok()) << pages.status().ToString();
      int64_t page_values = 0;
      bool dict_data = false, plain_data = false;
      for (const PageInfo& p : *pages) {
        if (p.header.type == PageType::kDictionaryPage) {
          EXPECT_EQ(&p, &pages->front()) << "a dictionary page comes first";
          continue;
        }
        ASSERT_EQ(p.header.type, PageType::kDataPage);
        ASSERT_TRUE(p.header.data_page_header.has_value());
        const DataPageHeader& d = *p.header.data_page_header;
        page_values += d.num_values;
        if (leaves[c].max_repetition_level == 0) {
          EXPECT_LE(d.num_values, options.page_max_rows);  // one value per row
        }
        dict_data |= d.encoding == Encoding::kRleDictionary;
        plain_data |= d.encoding == Encoding::kPlain;
      }
      EXPECT_EQ(page_values, cm.num_values);
      if (dict_data && plain_data) saw_fallback = true;
    }
    EXPECT_EQ(value_count, metrics->columns[c].value_count);
    EXPECT_EQ(compressed, metrics->columns[c].compressed_size);
  }
  EXPECT_TRUE(saw_fallback) << "no column chunk switched from the dictionary to PLAIN";
}

template <typename T>
T DecodeLE(const std::optional<std::string>& bytes) {
  T v{};
  EXPECT_TRUE(bytes.has_value());
  if (!bytes) return v;
  EXPECT_EQ(bytes->size(), sizeof(T));
  if (bytes->size() == sizeof(T)) std::memcpy(&v, bytes->data(), sizeof(T));
  return v;
}

// A file written by DuckDB (see tests/data/parquet/README.md): footer bytes we did not write.
TEST(FooterReader, ReadsADuckDBGoldenFile) {
  const std::filesystem::path file = std::filesystem::path(__FILE__).parent_path() /
                                     "../../../tests/data/parquet/duckdb_small.parquet";
  ASSERT_TRUE(std::filesystem::exists(file)) << file;
  LocalFileIO io;
  auto r = ParquetFileReader::Open(&io, file.string());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const FileMetaData& md = (*r)->metadata();
  EXPECT_EQ(md.num_rows, 3);
  ASSERT_TRUE(md.created_by.has_value());
  EXPECT_EQ(md.created_by->rfind("DuckDB", 0), 0u) << *md.created_by;
  ASSERT_EQ(md.row_groups.size(), 1u);

  struct Want {
    const char* path;
    int def, rep;
  };
  const Want want[] = {{"i", 1, 0},
                       {"s", 1, 0},
                       {"d", 1, 0},
                       {"dt", 1, 0},
                       {"ts", 1, 0},
                       {"l.list.element", 3, 1},
                       {"st.x", 2, 0},
                       {"st.y", 2, 0},
                       {"m.key_value.key", 2, 1},
                       {"m.key_value.value", 3, 1}};
  const auto& leaves = (*r)->leaf_columns();
  ASSERT_EQ(leaves.size(), 10u);
  for (size_t c = 0; c < leaves.size(); ++c) {
    EXPECT_EQ(leaves[c].path, want[c].path);
    EXPECT_EQ(leaves[c].max_definition_level, want[c].def) << want[c].path;
    EXPECT_EQ(leaves[c].max_repetition_level, want[c].rep) << want[c].path;
  }
  const SchemaElement& d = md.schema[static_cast<size_t>(leaves[2].schema_index)];
  ASSERT_TRUE(d.logical_type.has_value());
  EXPECT_EQ(d.logical_type->kind, LogicalType::kDecimal);
  EXPECT_EQ(d.logical_type->decimal_precision, 9);
  EXPECT_EQ(d.logical_type->decimal_scale, 2);
  const SchemaElement& ts = md.schema[static_cast<size_t>(leaves[4].schema_index)];
  ASSERT_TRUE(ts.logical_type.has_value());
  EXPECT_EQ(ts.logical_type->kind, LogicalType::kTimestamp);
  EXPECT_EQ(ts.logical_type->unit, TimeUnit::kMicros);
  EXPECT_FALSE(ts.logical_type->is_adjusted_to_utc);

  auto stats = [&](size_t c) -> const Statistics& {
    return *md.row_groups[0].columns[c].meta_data->statistics;
  };
  EXPECT_EQ(DecodeLE<int32_t>(stats(0).min_value), -7);
  EXPECT_EQ(DecodeLE<int32_t>(stats(0).max_value), 1);
  EXPECT_EQ(stats(0).null_count, 1);
  EXPECT_EQ(stats(1).min_value, "apple");
  EXPECT_EQ(stats(1).max_value, "banana");
  EXPECT_EQ(DecodeLE<int32_t>(stats(2).min_value), -50);  // -0.50 unscaled
  EXPECT_EQ(DecodeLE<int32_t>(stats(2).max_value), 1234);
  EXPECT_EQ(DecodeLE<int32_t>(stats(3).min_value), -165);   // 1969-07-20
  EXPECT_EQ(DecodeLE<int32_t>(stats(3).max_value), 47482);  // 2100-01-01
  EXPECT_EQ(DecodeLE<int64_t>(stats(4).min_value), -2208988800LL * 1000000);
  EXPECT_EQ(DecodeLE<int64_t>(stats(4).max_value), 981173106LL * 1000000 + 789012);
  EXPECT_EQ(stats(5).null_count, 2);  // the empty and the null list

  for (size_t c = 0; c < leaves.size(); ++c) {
    const ColumnMetaData& cm = *md.row_groups[0].columns[c].meta_data;
    EXPECT_EQ(cm.codec, CompressionCodec::kZstd);
    EXPECT_EQ(cm.path_in_schema, leaves[c].path_parts);
    auto pages = (*r)->ReadPageHeaders(0, static_cast<int>(c));
    ASSERT_TRUE(pages.ok()) << pages.status().ToString();
    int64_t values = 0;
    for (const PageInfo& p : *pages) {
      if (p.header.data_page_header) values += p.header.data_page_header->num_values;
      if (p.header.data_page_header_v2) values += p.header.data_page_header_v2->num_values;
    }
    EXPECT_EQ(values, cm.num_values) << leaves[c].path;
  }
}

}  // namespace
}  // namespace nilus::parquet
