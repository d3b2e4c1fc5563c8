#include "formats/parquet/reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>

#include "formats/parquet/footer_reader.h"
#include "formats/parquet/rle_decoder.h"
#include "formats/parquet/rle_encoder.h"
#include "formats/parquet/writer.h"
#include "storage/local_file_io.h"
#include "storage/memory_file_io.h"

namespace nilus::parquet {
namespace {

// --- Comparing columns value by value ---

// Describes the first difference between entry i of `a` and entry j of `b`, or "".
std::string DiffEntry(const Column& a, int64_t i, const Column& b, int64_t j) {
  if (a.IsNull(i) != b.IsNull(j)) {
    return fmt::format("null {} vs {}", a.IsNull(i), b.IsNull(j));
  }
  if (a.IsNull(i)) return "";
  const Type& t = a.type_ref();
  switch (t.id()) {
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kUuid:
    case TypeId::kFixed:
      if (a.Bytes(i) != b.Bytes(j)) return fmt::format("'{}' vs '{}'", a.Bytes(i), b.Bytes(j));
      return "";
    case TypeId::kStruct:
      for (int c = 0; c < a.num_children(); ++c) {
        std::string d = DiffEntry(a.child(c), i, b.child(c), j);
        if (!d.empty()) return fmt::format(".{}: {}", t.fields()[c].name, d);
      }
      return "";
    case TypeId::kList:
    case TypeId::kMap: {
      int64_t an = a.offsets()[i + 1] - a.offsets()[i];
      int64_t bn = b.offsets()[j + 1] - b.offsets()[j];
      if (an != bn) return fmt::format("{} vs {} elements", an, bn);
      for (int c = 0; c < a.num_children(); ++c) {
        for (int64_t k = 0; k < an; ++k) {
          std::string d = DiffEntry(a.child(c), a.offsets()[i] + k, b.child(c), b.offsets()[j] + k);
          if (!d.empty()) return fmt::format("[{}].{}: {}", k, t.fields()[c].name, d);
        }
      }
      return "";
    }
    default: {
      int w = FixedWidthOf(t);
      if (std::memcmp(a.value_buffer().data() + i * w, b.value_buffer().data() + j * w, w) != 0) {
        return "different values";
      }
      return "";
    }
  }
}

// Expects the rows of `read` (in order) to equal the rows of `written`, however either side
// is split into batches.
void ExpectSameRows(const std::vector<const ColumnBatch*>& written,
                    const std::vector<const ColumnBatch*>& read) {
  int64_t total_w = 0, total_r = 0;
  for (auto* b : written) total_w += b->num_rows();
  for (auto* b : read) total_r += b->num_rows();
  ASSERT_EQ(total_w, total_r);
  size_t wb = 0, rb = 0;
  int64_t wi = 0, ri = 0;
  int failures = 0;
  for (int64_t row = 0; row < total_w; ++row) {
    while (wi == written[wb]->num_rows()) ++wb, wi = 0;
    while (ri == read[rb]->num_rows()) ++rb, ri = 0;
    for (int c = 0; c < written[wb]->num_columns(); ++c) {
      std::string d = DiffEntry(written[wb]->column(c), wi, read[rb]->column(c), ri);
      if (!d.empty() && ++failures <= 10) {
        ADD_FAILURE() << "row " << row << " column " << written[wb]->schema()->fields()[c].name
                      << ": " << d;
      }
    }
    ++wi;
    ++ri;
  }
  EXPECT_EQ(failures, 0);
}

// Reads every row group of a file.
std::vector<std::unique_ptr<ColumnBatch>> ReadAll(FileIO* io, const std::string& path,
                                                  const SchemaPtr& schema) {
  std::vector<std::unique_ptr<ColumnBatch>> out;
  auto reader = ParquetReader::Open(io, path, schema);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return out;
  for (int i = 0; i < (*reader)->num_row_groups(); ++i) {
    auto batch = (*reader)->ReadRowGroup(i);
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    if (!batch.ok()) return out;
    EXPECT_TRUE((*batch)->Validate().ok());
    out.push_back(std::move(*batch));
  }
  return out;
}

template <typename T>
std::vector<const ColumnBatch*> Ptrs(const std::vector<std::unique_ptr<T>>& v) {
  std::vector<const ColumnBatch*> out;
  for (const auto& b : v) out.push_back(b.get());
  return out;
}

// --- Random data ---

class RandomFiller {
 public:
  explicit RandomFiller(uint64_t seed) : rng_(seed) {}

  void Append(const NestedField& f, Column* c) {
    if (!f.required && Pick(6) == 0) {
      c->AppendNull();
      return;
    }
    AppendValue(*f.type, c);
  }

  std::unique_ptr<ColumnBatch> Batch(const SchemaPtr& schema, int64_t rows) {
    auto batch = std::make_unique<ColumnBatch>(schema);
    for (int64_t r = 0; r < rows; ++r) {
      for (int c = 0; c < batch->num_columns(); ++c) {
        Append(schema->fields()[c], batch->mutable_column(c));
      }
    }
    return batch;
  }

 private:
  uint64_t Pick(uint64_t n) { return rng_() % n; }

  std::string Str(size_t max_len, bool ascii) {
    std::string s(Pick(max_len + 1), 'a');
    // A small alphabet so that dictionaries pay off for some columns.
    for (char& ch : s) ch = ascii ? static_cast<char>('a' + Pick(3)) : static_cast<char>(Pick(256));
    return s;
  }

  void AppendValue(const Type& t, Column* c) {
    switch (t.id()) {
      case TypeId::kBoolean:
        c->AppendBool(Pick(2));
        break;
      case TypeId::kInt:
      case TypeId::kDate:
        c->AppendInt32(static_cast<int32_t>(rng_()));
        break;
      case TypeId::kLong:
      case TypeId::kTime:
      case TypeId::kTimestamp:
      case TypeId::kTimestampTz:
        c->AppendInt64(Pick(2) ? static_cast<int64_t>(rng_()) : static_cast<int64_t>(Pick(10)));
        break;
      case TypeId::kFloat:
        c->AppendFloat(static_cast<float>(static_cast<int32_t>(rng_())) / 7.0f);
        break;
      case TypeId::kDouble:
        c->AppendDouble(Pick(10) == 0 ? std::nan("") : static_cast<double>(rng_()) / 3.0);
        break;
      case TypeId::kDecimal: {
        __int128 max = MaxDecimalUnscaled(t.precision());
        unsigned __int128 r = (static_cast<unsigned __int128>(rng_()) << 64) | rng_();
        __int128 v = static_cast<__int128>(r % static_cast<unsigned __int128>(max));
        c->AppendDecimal(Pick(2) ? v : -v);
        break;
      }
      case TypeId::kString:
        c->AppendBytes(Str(12, true));
        break;
      case TypeId::kBinary:
        c->AppendBytes(Str(12, false));
        break;
      case TypeId::kUuid:
      case TypeId::kFixed: {
        std::string s(static_cast<size_t>(t.fixed_length()), '\0');
        for (char& ch : s) ch = static_cast<char>(Pick(256));
        c->AppendBytes(s);
        break;
      }
      case TypeId::kStruct:
        for (size_t i = 0; i < t.fields().size(); ++i) {
          Append(t.fields()[i], c->mutable_child(static_cast<int>(i)));
        }
        c->AppendStructValid();
        break;
      case TypeId::kList:
      case TypeId::kMap: {
        uint64_t n = Pick(4);  // 0: an empty list
        for (uint64_t k = 0; k < n; ++k) {
          for (size_t i = 0; i < t.fields().size(); ++i) {
            Append(t.fields()[i], c->mutable_child(static_cast<int>(i)));
          }
        }
        c->AppendListEnd();
        break;
      }
    }
  }

  std::mt19937_64 rng_;
};

SchemaPtr AllTypesSchema() {
  auto opt = [](int32_t id, std::string name, TypePtr t) {
    return NestedField::Optional(id, std::move(name), std::move(t));
  };
  auto req = [](int32_t id, std::string name, TypePtr t) {
    return NestedField::Required(id, std::move(name), std::move(t));
  };
  return std::make_shared<Schema>(std::vector<NestedField>{
      req(1, "id", Type::Long()),
      opt(2, "flag", Type::Boolean()),
      req(3, "flag_req", Type::Boolean()),
      opt(4, "i", Type::Int()),
      opt(5, "f", Type::Float()),
      opt(6, "d", Type::Double()),
      opt(7, "dec9", Type::Decimal(9, 2)),
      opt(8, "dec18", Type::Decimal(18, 6)),
      opt(9, "dec38", Type::Decimal(38, 10)),
      req(10, "dec25", Type::Decimal(25, 0)),
      opt(11, "dt", Type::Date()),
      opt(12, "tm", Type::Time()),
      opt(13, "ts", Type::Timestamp()),
      opt(14, "tstz", Type::TimestampTz()),
      opt(15, "s", Type::String()),
      req(16, "s_req", Type::String()),
      opt(17, "u", Type::Uuid()),
      opt(18, "fx", Type::Fixed(5)),
      opt(19, "bin", Type::Binary()),
      opt(20, "tags", Type::List(21, Type::String(), false)),
      opt(22, "req_elems", Type::List(23, Type::Int(), true)),
      opt(24, "point",
          Type::Struct({opt(25, "x", Type::Double()), req(26, "y", Type::Long()),
                        opt(27, "inner", Type::Struct({opt(28, "z", Type::String())}))})),
      opt(29, "events",
          Type::List(30,
                     Type::Struct({req(31, "k", Type::String()),
                                   opt(32, "v", Type::List(33, Type::Int(), false))}),
                     false)),
      opt(34, "attrs",
          Type::Map(35, Type::String(), 36, Type::List(37, Type::Decimal(20, 2), false), false)),
      opt(38, "matrix", Type::List(39, Type::List(40, Type::Long(), false), false)),
      req(41, "counts", Type::Map(42, Type::Int(), 43, Type::Boolean(), true)),
  });
}

// Writes `batches` and checks that reading gives them back.
void RoundTrip(const SchemaPtr& schema, const std::vector<std::unique_ptr<ColumnBatch>>& batches,
               const ParquetWriterOptions& options) {
  MemoryFileIO io;
  auto writer = ParquetWriter::Open(&io, "rt.parquet", schema, options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  for (const auto& b : batches) ASSERT_TRUE((*writer)->Write(*b).ok());
  auto metrics = (*writer)->Close();
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  auto read = ReadAll(&io, "rt.parquet", schema);
  ExpectSameRows(Ptrs(batches), Ptrs(read));
}

TEST(ParquetReaderTest, RandomRoundTripEveryTypeAndCodec) {
  auto schema = AllTypesSchema();
  ASSERT_TRUE(schema->Validate().ok()) << schema->Validate().ToString();
  for (Compression codec : {Compression::kNone, Compression::kSnappy, Compression::kZstd}) {
    SCOPED_TRACE(static_cast<int>(codec));
    RandomFiller filler(42 + static_cast<int>(codec));
    std::vector<std::unique_ptr<ColumnBatch>> batches;
    for (int b = 0; b < 3; ++b) batches.push_back(filler.Batch(schema, 700));
    ParquetWriterOptions options;
    options.compression = codec;
    options.row_group_max_rows = 900;  // several row groups, split inside batches
    options.page_max_rows = 97;        // several pages per chunk
    options.dictionary_max_bytes = 2000;
    RoundTrip(schema, batches, options);
  }
}

TEST(ParquetReaderTest, RoundTripWithoutDictionaryAndOneBigPage) {
  auto schema = AllTypesSchema();
  RandomFiller filler(7);
  std::vector<std::unique_ptr<ColumnBatch>> batches;
  batches.push_back(filler.Batch(schema, 1500));
  ParquetWriterOptions options;
  options.dictionary_enabled = false;
  RoundTrip(schema, batches, options);
}

TEST(ParquetReaderTest, EmptyListsNullStructsAndAllNullColumns) {
  auto schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Optional(1, "l", Type::List(2, Type::Int(), false)),
      NestedField::Optional(3, "st", Type::Struct({NestedField::Required(4, "a", Type::Int())})),
      NestedField::Optional(5, "nothing", Type::String()),
  });
  auto batch = std::make_unique<ColumnBatch>(schema);
  Column* l = batch->mutable_column(0);
  Column* st = batch->mutable_column(1);
  for (int r = 0; r < 50; ++r) {
    if (r % 3 == 0) {
      l->AppendNull();
    } else if (r % 3 == 1) {
      l->AppendListEnd();  // empty
    } else {
      l->mutable_child(0)->AppendInt32(r);
      l->mutable_child(0)->AppendNull();
      l->AppendListEnd();
    }
    if (r % 2) {
      st->AppendNull();
    } else {
      st->mutable_child(0)->AppendInt32(-r);
      st->AppendStructValid();
    }
    batch->mutable_column(2)->AppendNull();
  }
  ASSERT_TRUE(batch->Validate().ok());
  std::vector<std::unique_ptr<ColumnBatch>> batches;
  batches.push_back(std::move(batch));
  RoundTrip(schema, batches, ParquetWriterOptions{});

  MemoryFileIO io;
  auto w = ParquetWriter::Open(&io, "x.parquet", schema, {});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(*batches[0]).ok());
  ASSERT_TRUE((*w)->Close().ok());
  auto read = ReadAll(&io, "x.parquet", schema);
  ASSERT_EQ(read.size(), 1u);
  const Column& rl = read[0]->column(0);
  EXPECT_TRUE(rl.IsNull(0));
  EXPECT_TRUE(rl.IsValid(1));
  EXPECT_EQ(rl.offsets()[2] - rl.offsets()[1], 0);
  EXPECT_EQ(rl.offsets()[3] - rl.offsets()[2], 2);
  EXPECT_EQ(read[0]->column(1).null_count(), 25);
  EXPECT_EQ(read[0]->column(2).null_count(), 50);
}

TEST(ParquetReaderTest, DictionaryAndFallbackPagesInOneChunk) {
  auto schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Optional(1, "s", Type::String()),
      NestedField::Optional(2, "n", Type::Long()),
  });
  auto batch = std::make_unique<ColumnBatch>(schema);
  for (int r = 0; r < 5000; ++r) {
    // Few distinct values first, then many, so the dictionary overflows midway.
    int key = r < 2000 ? r % 5 : r;
    batch->mutable_column(0)->AppendBytes("value-" + std::to_string(key));
    if (r % 13 == 0) {
      batch->mutable_column(1)->AppendNull();
    } else {
      batch->mutable_column(1)->AppendInt64(key);
    }
  }
  MemoryFileIO io;
  ParquetWriterOptions options;
  options.page_max_rows = 500;
  options.dictionary_max_bytes = 4000;
  auto w = ParquetWriter::Open(&io, "d.parquet", schema, options);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(*batch).ok());
  ASSERT_TRUE((*w)->Close().ok());

  auto file = ParquetFileReader::Open(&io, "d.parquet");
  ASSERT_TRUE(file.ok());
  auto pages = (*file)->ReadPageHeaders(0, 0);
  ASSERT_TRUE(pages.ok());
  int dict = 0, dict_data = 0, plain_data = 0;
  for (const auto& p : *pages) {
    if (p.header.type == PageType::kDictionaryPage) ++dict;
    if (p.header.data_page_header) {
      (p.header.data_page_header->encoding == Encoding::kRleDictionary ? dict_data : plain_data)++;
    }
  }
  EXPECT_EQ(dict, 1);
  EXPECT_GT(dict_data, 0);
  EXPECT_GT(plain_data, 0);

  auto read = ReadAll(&io, "d.parquet", schema);
  std::vector<std::unique_ptr<ColumnBatch>> written;
  written.push_back(std::move(batch));
  ExpectSameRows(Ptrs(written), Ptrs(read));
}

TEST(ParquetReaderTest, SchemaEvolutionPromotesAndAddsColumns) {
  auto old_schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "a", Type::Int()),
      NestedField::Optional(2, "f", Type::Float()),
      NestedField::Optional(3, "dec", Type::Decimal(5, 2)),
  });
  auto batch = std::make_unique<ColumnBatch>(old_schema);
  for (int r = 0; r < 10; ++r) {
    batch->mutable_column(0)->AppendInt32(-r * 1000);
    batch->mutable_column(1)->AppendFloat(r + 0.5f);
    batch->mutable_column(2)->AppendDecimal(r * 101);
  }
  MemoryFileIO io;
  auto w = ParquetWriter::Open(&io, "e.parquet", old_schema, {});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(*batch).ok());
  ASSERT_TRUE((*w)->Close().ok());

  // Renamed column 1 (matched by id), widened types, a new optional column and struct.
  auto new_schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Optional(4, "added", Type::String()),
      NestedField::Required(1, "a_renamed", Type::Long()),
      NestedField::Optional(2, "f", Type::Double()),
      NestedField::Optional(3, "dec", Type::Decimal(12, 2)),
      NestedField::Optional(5, "added_struct",
                            Type::Struct({NestedField::Optional(6, "x", Type::Int())})),
  });
  auto read = ReadAll(&io, "e.parquet", new_schema);
  ASSERT_EQ(read.size(), 1u);
  const ColumnBatch& b = *read[0];
  ASSERT_EQ(b.num_rows(), 10);
  for (int r = 0; r < 10; ++r) {
    EXPECT_TRUE(b.column(0).IsNull(r));
    EXPECT_EQ(b.column(1).Value<int64_t>(r), -r * 1000);
    EXPECT_EQ(b.column(2).Value<double>(r), r + 0.5);
    EXPECT_EQ(static_cast<int64_t>(b.column(3).Value<__int128>(r)), r * 101);
    EXPECT_TRUE(b.column(4).IsNull(r));
    EXPECT_TRUE(b.column(4).child(0).IsNull(r));
  }

  // A required column the file lacks cannot be read.
  auto bad = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(9, "missing", Type::Int()),
  });
  auto reader = ParquetReader::Open(&io, "e.parquet", bad);
  ASSERT_TRUE(reader.ok());
  auto rg = (*reader)->ReadRowGroup(0);
  EXPECT_FALSE(rg.ok());
  EXPECT_EQ(rg.status().code(), StatusCode::kInvalidArgument);
  // Neither can a type the file's values do not fit.
  auto narrower = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "a", Type::String()),
  });
  auto r2 = ParquetReader::Open(&io, "e.parquet", narrower);
  EXPECT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE((*reader)->ReadRowGroup(1).ok());
}

// Flips bytes all over the data pages of written files: every read must end in a value or
// an error, never a crash (the test runs under ASan/UBSan), and errors must name the file.
TEST(ParquetReaderTest, CorruptPagesAreErrorsNotCrashes) {
  auto schema = AllTypesSchema();
  RandomFiller filler(99);
  auto batch = filler.Batch(schema, 300);
  for (Compression codec : {Compression::kNone, Compression::kSnappy, Compression::kZstd}) {
    MemoryFileIO io;
    ParquetWriterOptions options;
    options.compression = codec;
    options.page_max_rows = 50;
    auto w = ParquetWriter::Open(&io, "c.parquet", schema, options);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(*batch).ok());
    ASSERT_TRUE((*w)->Close().ok());
    auto original = io.ReadFile("c.parquet");
    ASSERT_TRUE(original.ok());
    auto file = ParquetFileReader::Open(&io, "c.parquet");
    ASSERT_TRUE(file.ok());
    const int64_t data_end = (*file)->file_size() - 8 - (*file)->footer_size();

    std::mt19937_64 rng(1234);
    int errors = 0, named = 0;
    for (int trial = 0; trial < 120; ++trial) {
      std::string bytes = *original;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k) {
        int64_t pos = 4 + static_cast<int64_t>(rng() % static_cast<uint64_t>(data_end - 4));
        bytes[static_cast<size_t>(pos)] ^= static_cast<char>(1 + rng() % 255);
      }
      ASSERT_TRUE(io.WriteFile("bad.parquet", bytes).ok());
      auto reader = ParquetReader::Open(&io, "bad.parquet", schema);
      ASSERT_TRUE(reader.ok()) << reader.status().ToString();  // the footer is intact
      for (int g = 0; g < (*reader)->num_row_groups(); ++g) {
        auto rg = (*reader)->ReadRowGroup(g);
        if (!rg.ok()) {
          ++errors;
          named += rg.status().message().find("bad.parquet") != std::string::npos;
          EXPECT_TRUE(rg.status().code() == StatusCode::kCorruption ||
                      rg.status().code() == StatusCode::kNotImplemented)
              << rg.status().ToString();
        }
      }
    }
    EXPECT_GT(errors, 20) << "codec " << static_cast<int>(codec);
    EXPECT_EQ(named, errors);
  }
}

// Rewrites the header of the first page of type `type` of column `column` in row group 0,
// keeping its size.
void RewritePageHeader(MemoryFileIO* io, const std::string& path, int column, PageType type,
                       const std::function<void(PageHeader*)>& edit) {
  auto file = ParquetFileReader::Open(io, path);
  ASSERT_TRUE(file.ok());
  auto pages = (*file)->ReadPageHeaders(0, column);
  ASSERT_TRUE(pages.ok());
  auto it = std::find_if(pages->begin(), pages->end(),
                         [&](const PageInfo& p) { return p.header.type == type; });
  ASSERT_TRUE(it != pages->end());
  PageInfo info = *it;
  edit(&info.header);
  Buffer header;
  SerializePageHeader(info.header, &header);
  ASSERT_EQ(static_cast<int64_t>(header.size()), info.header_size);
  std::string bytes = *io->ReadFile(path);
  bytes.replace(static_cast<size_t>(info.offset), header.size(), header.view());
  ASSERT_TRUE(io->WriteFile(path, bytes).ok());
}

TEST(ParquetReaderTest, MalformedPagesAreCorruptionNamingTheColumn) {
  auto schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "s", Type::String()),
  });
  auto batch = std::make_unique<ColumnBatch>(schema);
  for (int r = 0; r < 100; ++r) {
    batch->mutable_column(0)->AppendInt64(r);
    batch->mutable_column(1)->AppendBytes(r % 2 ? "odd" : "even");
  }
  auto write = [&](MemoryFileIO* io, Compression codec) {
    ParquetWriterOptions options;
    options.compression = codec;
    auto w = ParquetWriter::Open(io, "m.parquet", schema, options);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(*batch).ok());
    ASSERT_TRUE((*w)->Close().ok());
  };
  auto expect_corruption = [&](MemoryFileIO* io, const std::string& column,
                               const std::string& what) {
    auto reader = ParquetReader::Open(io, "m.parquet", schema);
    ASSERT_TRUE(reader.ok());
    auto rg = (*reader)->ReadRowGroup(0);
    ASSERT_FALSE(rg.ok());
    EXPECT_EQ(rg.status().code(), StatusCode::kCorruption) << rg.status().ToString();
    const std::string msg = rg.status().message();
    EXPECT_NE(msg.find("m.parquet"), std::string::npos) << msg;
    EXPECT_NE(msg.find("row group 0"), std::string::npos) << msg;
    EXPECT_NE(msg.find(column), std::string::npos) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  };
  {
    // A dictionary of one value, while the indices name two.
    MemoryFileIO io;
    write(&io, Compression::kNone);
    RewritePageHeader(&io, "m.parquet", 1, PageType::kDictionaryPage, [](PageHeader* h) {
      ASSERT_TRUE(h->dictionary_page_header.has_value());
      h->dictionary_page_header->num_values = 1;
    });
    expect_corruption(&io, "'s'", "beyond the dictionary");
  }
  {
    // More levels than the row group has rows.
    MemoryFileIO io;
    write(&io, Compression::kNone);
    RewritePageHeader(&io, "m.parquet", 0, PageType::kDataPage,
                      [](PageHeader* h) { h->data_page_header->num_values = 101; });
    expect_corruption(&io, "'id'", "more than");
  }
  {
    // Fewer levels than the column chunk declares.
    MemoryFileIO io;
    write(&io, Compression::kNone);
    RewritePageHeader(&io, "m.parquet", 0, PageType::kDataPage,
                      [](PageHeader* h) { h->data_page_header->num_values = 99; });
    expect_corruption(&io, "'id'", "the pages hold 99 values");
  }
  {
    // A zstd page that does not decompress to the declared size.
    MemoryFileIO io;
    write(&io, Compression::kZstd);
    RewritePageHeader(&io, "m.parquet", 0, PageType::kDataPage,
                      [](PageHeader* h) { h->uncompressed_page_size += 1; });
    expect_corruption(&io, "'id'", "ZSTD");
  }
}

TEST(ParquetReaderTest, RleDecoderMatchesTheEncoderAndStopsAtTheEnd) {
  std::mt19937_64 rng(5);
  for (int bw : {0, 1, 3, 8, 13, 20, 32}) {
    std::vector<uint32_t> values;
    uint64_t mask = bw == 0 ? 0 : (bw == 32 ? 0xffffffffull : (1ull << bw) - 1);
    for (int i = 0; i < 2000; ++i) {
      uint32_t v = static_cast<uint32_t>(rng() & mask);
      int run = rng() % 4 == 0 ? 20 : 1;
      for (int k = 0; k < run; ++k) values.push_back(v);
    }
    Buffer buf;
    EncodeRleBitPacked(values.data(), static_cast<int64_t>(values.size()), bw, &buf);
    RleBitPackedDecoder dec(buf.data(), buf.size(), bw);
    std::vector<uint32_t> got(values.size());
    // In uneven pieces, across run boundaries.
    size_t done = 0;
    while (done < got.size()) {
      size_t k = std::min<size_t>(got.size() - done, 1 + rng() % 50);
      ASSERT_TRUE(dec.GetBatch(got.data() + done, static_cast<int64_t>(k))) << bw;
      done += k;
    }
    EXPECT_EQ(got, values) << "bit width " << bw;
    if (bw > 0) {
      // Cut short: the decoder reports it instead of reading on.
      RleBitPackedDecoder cut(buf.data(), buf.size() / 2, bw);
      EXPECT_FALSE(cut.GetBatch(got.data(), static_cast<int64_t>(got.size())));
    }
  }
}

// --- Files written by DuckDB (tests/data/parquet/README.md) ---

std::string GoldenPath(const char* name) {
  return (std::filesystem::path(__FILE__).parent_path() / "../../../tests/data/parquet" / name)
      .string();
}

SchemaPtr DuckDBTypesSchema() {
  // DuckDB writes no field ids, so fields are matched by name.
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Optional(1, "i32", Type::Int()),
      NestedField::Optional(2, "i64", Type::Long()),
      NestedField::Optional(3, "s", Type::String()),
      NestedField::Optional(4, "d", Type::Double()),
      NestedField::Optional(5, "f", Type::Float()),
      NestedField::Optional(6, "b", Type::Boolean()),
      NestedField::Optional(7, "dec9", Type::Decimal(9, 2)),
      NestedField::Optional(8, "dec18", Type::Decimal(18, 3)),
      NestedField::Optional(9, "dec30", Type::Decimal(30, 5)),
      NestedField::Optional(10, "dt", Type::Date()),
      NestedField::Optional(11, "ts", Type::Timestamp()),
      NestedField::Optional(12, "l", Type::List(13, Type::Long(), false)),
      NestedField::Optional(14, "st",
                            Type::Struct({NestedField::Optional(15, "a", Type::Long()),
                                          NestedField::Optional(16, "b", Type::String())})),
      NestedField::Optional(17, "m", Type::Map(18, Type::String(), 19, Type::Long(), false)),
      NestedField::Optional(
          20, "ls",
          Type::List(
              21,
              Type::Struct({NestedField::Optional(22, "p", Type::Long()),
                            NestedField::Optional(23, "q", Type::List(24, Type::Long(), false))}),
              false)),
      NestedField::Optional(25, "not_in_file", Type::Int()),
  });
}

// Builds the rows the README's SQL produces, to compare with what we read.
std::unique_ptr<ColumnBatch> ExpectedDuckDBTypes(const SchemaPtr& schema, int64_t n) {
  auto b = std::make_unique<ColumnBatch>(schema);
  auto col = [&](int i) { return b->mutable_column(i); };
  for (int64_t i = 0; i < n; ++i) {
    col(0)->AppendInt32(static_cast<int32_t>(i));
    if (i % 7 == 0) {
      col(1)->AppendNull();
    } else {
      col(1)->AppendInt64(i * 1000003);
    }
    if (i % 7 == 1) {
      col(2)->AppendNull();
    } else {
      col(2)->AppendBytes("str" + std::to_string(i % 50));
    }
    col(3)->AppendDouble(static_cast<double>(i) / 4);
    col(4)->AppendFloat(static_cast<float>(i) / 4);
    if (i % 9 == 0) {
      col(5)->AppendNull();
    } else {
      col(5)->AppendBool(i % 3 == 0);
    }
    col(6)->AppendDecimal(i - 500);
    col(7)->AppendDecimal(i - 500);
    col(8)->AppendDecimal(i - 500);
    col(9)->AppendInt32(static_cast<int32_t>(10957 + i));  // 2000-01-01 + i days
    col(10)->AppendInt64(946684800000000LL + i * 1000000);
    if (i % 5 == 0) {
      col(11)->AppendNull();
    } else {
      for (int64_t k = 0; k < i % 4; ++k) col(11)->mutable_child(0)->AppendInt64(k);
      col(11)->AppendListEnd();
    }
    if (i % 11 == 0) {
      col(12)->AppendNull();
    } else {
      col(12)->mutable_child(0)->AppendInt64(i);
      if (i % 3 == 0) {
        col(12)->mutable_child(1)->AppendNull();
      } else {
        col(12)->mutable_child(1)->AppendBytes("x" + std::to_string(i));
      }
      col(12)->AppendStructValid();
    }
    if (i % 6 != 0) {
      col(13)->mutable_child(0)->AppendBytes("k" + std::to_string(i % 3));
      col(13)->mutable_child(1)->AppendInt64(i);
    }
    col(13)->AppendListEnd();
    Column* elem = col(14)->mutable_child(0);
    elem->mutable_child(0)->AppendInt64(i);
    elem->mutable_child(1)->mutable_child(0)->AppendInt64(i);
    elem->mutable_child(1)->mutable_child(0)->AppendNull();
    elem->mutable_child(1)->AppendListEnd();
    elem->AppendStructValid();
    col(14)->AppendListEnd();
    col(15)->AppendNull();
  }
  return b;
}

TEST(ParquetReaderTest, ReadsDuckDBGoldenFiles) {
  LocalFileIO io;
  auto schema = DuckDBTypesSchema();
  for (auto [name, rows] :
       {std::pair{"duckdb_types_none.parquet", 300}, std::pair{"duckdb_types_snappy.parquet", 400},
        std::pair{"duckdb_types_zstd.parquet", 1000}}) {
    SCOPED_TRACE(name);
    auto read = ReadAll(&io, GoldenPath(name), schema);
    ASSERT_FALSE(read.empty());
    auto expected = ExpectedDuckDBTypes(schema, rows);
    std::vector<std::unique_ptr<ColumnBatch>> want;
    want.push_back(std::move(expected));
    ExpectSameRows(Ptrs(want), Ptrs(read));
  }
}

// DuckDB's "PARQUET_VERSION v2" keeps v1 page headers but dictionary-encodes with
// RLE_DICTIONARY.
TEST(ParquetReaderTest, ReadsDuckDBV2Encodings) {
  LocalFileIO io;
  auto schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Optional(1, "s", Type::String()),
      NestedField::Optional(2, "ls", Type::List(3, Type::String(), false)),
  });
  auto read = ReadAll(&io, GoldenPath("duckdb_strings_v2.parquet"), schema);
  auto want = std::make_unique<ColumnBatch>(schema);
  for (int i = 0; i < 1000; ++i) {
    if (i % 7 == 1) {
      want->mutable_column(0)->AppendNull();
    } else {
      want->mutable_column(0)->AppendBytes("str" + std::to_string(i % 50));
    }
    if (i % 5 == 0) {
      want->mutable_column(1)->AppendNull();
    } else {
      want->mutable_column(1)->mutable_child(0)->AppendBytes("e" + std::to_string(i % 3));
      want->mutable_column(1)->mutable_child(0)->AppendNull();
      want->mutable_column(1)->AppendListEnd();
    }
  }
  std::vector<std::unique_ptr<ColumnBatch>> w;
  w.push_back(std::move(want));
  ExpectSameRows(Ptrs(w), Ptrs(read));
}

// hyparquet-writer writes DataPageHeaderV2 pages (levels outside the compressed section).
TEST(ParquetReaderTest, ReadsDataPageV2) {
  LocalFileIO io;
  const std::string path = GoldenPath("hyparquet_v2.parquet");
  auto file = ParquetFileReader::Open(&io, path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  for (int c = 0; c < 4; ++c) {
    auto pages = (*file)->ReadPageHeaders(0, c);
    ASSERT_TRUE(pages.ok());
    bool v2 = false;
    for (const auto& p : *pages) v2 |= p.header.type == PageType::kDataPageV2;
    EXPECT_TRUE(v2) << "column " << c;
  }
  auto schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Optional(1, "i", Type::Int()), NestedField::Optional(2, "s", Type::String()),
      NestedField::Optional(3, "d", Type::Double()),
      NestedField::Optional(4, "b", Type::Boolean()),  // RLE-encoded values
  });
  auto read = ReadAll(&io, path, schema);
  auto want = std::make_unique<ColumnBatch>(schema);
  for (int k = 0; k < 200; ++k) {
    if (k % 7 == 0) {
      want->mutable_column(0)->AppendNull();
    } else {
      want->mutable_column(0)->AppendInt32(k * 3 - 100);
    }
    if (k % 5 == 0) {
      want->mutable_column(1)->AppendNull();
    } else {
      want->mutable_column(1)->AppendBytes("v" + std::to_string(k % 4));
    }
    want->mutable_column(2)->AppendDouble(k / 8.0);
    want->mutable_column(3)->AppendBool(k % 3 == 0);
  }
  std::vector<std::unique_ptr<ColumnBatch>> w;
  w.push_back(std::move(want));
  ExpectSameRows(Ptrs(w), Ptrs(read));
}

}  // namespace
}  // namespace nilus::parquet
