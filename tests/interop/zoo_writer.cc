// The interop "type zoo": writes Parquet files with our writer into OUT_DIR, each beside an
// `<name>.expected.json` built from the in-memory batches. The node checkers in this folder
// read the files with DuckDB, parquet-wasm and hyparquet and compare.
//
// Usage: nilus_interop_zoo_writer OUT_DIR
#include <fmt/format.h>

#include <cstdio>
#include <limits>
#include <memory>
#include <string>

#include "expected_json.h"
#include "formats/parquet/testing/sample_data.h"
#include "storage/local_file_io.h"

namespace nilus::interop {
namespace {

using parquet::Compression;
using parquet::ParquetWriterOptions;
using parquet::testing::AppendRandomValue;
using parquet::testing::AppendSampleRows;
using parquet::testing::RandomValueOptions;
using parquet::testing::Rng;
using parquet::testing::SampleSchema;

constexpr int32_t kIntMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kIntMax = std::numeric_limits<int32_t>::max();
constexpr int64_t kLongMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();

// Sample rows split into batches of the given sizes.
std::vector<std::shared_ptr<ColumnBatch>> SampleBatches(const SchemaPtr& schema,
                                                        std::vector<int64_t> sizes) {
  std::vector<std::shared_ptr<ColumnBatch>> out;
  int64_t row = 0;
  for (int64_t n : sizes) {
    auto batch = std::make_shared<ColumnBatch>(schema);
    AppendSampleRows(batch.get(), row, n);
    row += n;
    out.push_back(std::move(batch));
  }
  return out;
}

FileSpec SampleFile(std::string name, Compression compression, std::vector<int64_t> sizes) {
  FileSpec spec;
  spec.name = std::move(name);
  spec.schema = SampleSchema();
  spec.options.compression = compression;
  spec.batches = SampleBatches(spec.schema, std::move(sizes));
  return spec;
}

// Every type, optional, every value null; nested columns included.
FileSpec AllNullFile() {
  std::vector<NestedField> fields;
  const SchemaPtr sample = SampleSchema();
  for (const auto& f : sample->fields()) {
    NestedField g = f;
    g.required = false;
    fields.push_back(g);
  }
  FileSpec spec;
  spec.name = "all_null";
  spec.schema = std::make_shared<Schema>(std::move(fields));
  auto batch = std::make_shared<ColumnBatch>(spec.schema);
  for (int r = 0; r < 70; ++r) {
    for (int c = 0; c < batch->num_columns(); ++c) batch->mutable_column(c)->AppendNull();
  }
  spec.batches.push_back(batch);
  spec.checks["all_null"] = true;
  return spec;
}

// 1 MB values: a string of 4-byte and 2-byte characters, an ASCII string and a binary value.
FileSpec LargeValuesFile() {
  auto schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Int()),
      NestedField::Optional(2, "s", Type::String()),
      NestedField::Optional(3, "b", Type::Binary()),
  });
  std::string utf8;
  while (utf8.size() < (1u << 20)) utf8 += "\xF0\x9F\x98\x80\xC3\xA9xyz";
  std::string ascii(1u << 20, 'q');
  ascii.back() = 'r';
  std::string bytes;
  Rng rng(42);
  for (size_t i = 0; i < (1u << 20); ++i) bytes.push_back(static_cast<char>(rng.Next()));

  auto batch = std::make_shared<ColumnBatch>(schema);
  auto add = [&](int32_t id, const std::string* s, const std::string* b) {
    batch->mutable_column(0)->AppendInt32(id);
    s ? batch->mutable_column(1)->AppendBytes(*s) : batch->mutable_column(1)->AppendNull();
    b ? batch->mutable_column(2)->AppendBytes(*b) : batch->mutable_column(2)->AppendNull();
  };
  const std::string empty, small = "x";
  add(0, &empty, &empty);
  add(1, &utf8, &bytes);
  add(2, &small, nullptr);
  add(3, &ascii, &small);
  add(4, nullptr, &bytes);
  FileSpec spec;
  spec.name = "large_values";
  spec.schema = schema;
  spec.batches.push_back(batch);
  // Statistics of at most this size are kept; larger ones are left out.
  spec.options.max_statistics_bytes = 4096;
  return spec;
}

SchemaPtr NestedSchema() {
  auto person = Type::Struct({
      NestedField::Optional(11, "name", Type::String()),
      NestedField::Required(12, "age", Type::Int()),
      NestedField::Optional(13, "emails", Type::List(14, Type::String(), false)),
  });
  auto inner = Type::Struct({
      NestedField::Required(41, "c", Type::Long()),
      NestedField::Optional(42, "d", Type::List(43, Type::Int(), true)),
  });
  auto info = Type::Struct({
      NestedField::Optional(44, "a", Type::Int()),
      NestedField::Optional(45, "b", Type::String()),
      NestedField::Optional(46, "inner", inner),
  });
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Int()),
      NestedField::Optional(2, "people", Type::List(10, person, false)),
      NestedField::Optional(3, "scores", Type::Map(20, Type::String(), 21, Type::Long(), false)),
      NestedField::Optional(
          4, "groups",
          Type::Map(30, Type::Int(), 31, Type::List(32, Type::String(), false), false)),
      NestedField::Optional(5, "info", info),
      NestedField::Required(6, "req_list", Type::List(60, Type::Int(), true)),
      NestedField::Required(7, "opt_elems", Type::List(70, Type::Double(), false)),
  });
}

// Builders for the hand-written nested rows. Each appends one entry.
struct NestedRowBuilder {
  ColumnBatch* batch;

  Column* col(int i) { return batch->mutable_column(i); }

  void StringList(Column* list, std::initializer_list<const char*> items) {
    for (const char* s : items) {
      s ? list->mutable_child(0)->AppendBytes(s) : list->mutable_child(0)->AppendNull();
    }
    list->AppendListEnd();
  }
  // A valid person; NullPerson adds a null one.
  void Person(const char* name, int32_t age, bool emails_null,
              std::initializer_list<const char*> emails) {
    Column* people = col(1)->mutable_child(0);
    name ? people->mutable_child(0)->AppendBytes(name) : people->mutable_child(0)->AppendNull();
    people->mutable_child(1)->AppendInt32(age);
    if (emails_null) {
      people->mutable_child(2)->AppendNull();
    } else {
      StringList(people->mutable_child(2), emails);
    }
    people->AppendStructValid();
  }
  void NullPerson() { col(1)->mutable_child(0)->AppendNull(); }
  void Score(const char* key, std::optional<int64_t> v) {
    col(2)->mutable_child(0)->AppendBytes(key);
    v ? col(2)->mutable_child(1)->AppendInt64(*v) : col(2)->mutable_child(1)->AppendNull();
  }
  void Group(int32_t key, bool null_list, std::initializer_list<const char*> items) {
    col(3)->mutable_child(0)->AppendInt32(key);
    if (null_list) {
      col(3)->mutable_child(1)->AppendNull();
    } else {
      StringList(col(3)->mutable_child(1), items);
    }
  }
  // info: a, b, inner (c, d); nullopt/nullptr mean null.
  void Info(std::optional<int32_t> a, const char* b, bool inner_null, int64_t c, bool d_null,
            std::initializer_list<int32_t> d) {
    Column* info = col(4);
    a ? info->mutable_child(0)->AppendInt32(*a) : info->mutable_child(0)->AppendNull();
    b ? info->mutable_child(1)->AppendBytes(b) : info->mutable_child(1)->AppendNull();
    Column* inner = info->mutable_child(2);
    if (inner_null) {
      inner->AppendNull();
    } else {
      inner->mutable_child(0)->AppendInt64(c);
      if (d_null) {
        inner->mutable_child(1)->AppendNull();
      } else {
        for (int32_t x : d) inner->mutable_child(1)->mutable_child(0)->AppendInt32(x);
        inner->mutable_child(1)->AppendListEnd();
      }
      inner->AppendStructValid();
    }
    info->AppendStructValid();
  }
  void IntList(int c, std::initializer_list<int32_t> items) {
    for (int32_t x : items) col(c)->mutable_child(0)->AppendInt32(x);
    col(c)->AppendListEnd();
  }
  void DoubleList(int c, std::initializer_list<std::optional<double>> items) {
    for (auto x : items) {
      x ? col(c)->mutable_child(0)->AppendDouble(*x) : col(c)->mutable_child(0)->AppendNull();
    }
    col(c)->AppendListEnd();
  }
};

// Hand-written rows for every nesting case, then random rows; tiny pages so that nested
// columns cross page boundaries.
FileSpec NestedFile() {
  FileSpec spec;
  spec.name = "nested";
  spec.schema = NestedSchema();
  spec.options.page_max_rows = 7;
  spec.options.page_max_bytes = 512;
  auto batch = std::make_shared<ColumnBatch>(spec.schema);
  NestedRowBuilder b{batch.get()};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();

  // Row 0: empty list, empty maps, a struct whose children are all null.
  b.col(0)->AppendInt32(0);
  b.col(1)->AppendListEnd();
  b.col(2)->AppendListEnd();
  b.col(3)->AppendListEnd();
  b.Info(std::nullopt, nullptr, true, 0, false, {});
  b.IntList(5, {});
  b.DoubleList(6, {});
  // Row 1: null list, null maps, null struct.
  b.col(0)->AppendInt32(1);
  b.col(1)->AppendNull();
  b.col(2)->AppendNull();
  b.col(3)->AppendNull();
  b.col(4)->AppendNull();
  b.IntList(5, {1});
  b.DoubleList(6, {std::nullopt});
  // Row 2: a list of structs holding nulls, lists and 4-byte UTF-8; maps in non-sorted key
  // order with null values and null/empty lists.
  b.col(0)->AppendInt32(2);
  b.NullPerson();
  b.Person("ann", 30, false, {"a@x", nullptr, ""});
  b.Person(nullptr, -1, false, {});
  b.Person("\xF0\x9F\x98\x80", kIntMin, true, {});
  b.col(1)->AppendListEnd();
  b.Score("a", 1);
  b.Score("", std::nullopt);
  b.Score("\xF0\x9F\x98\x80", kLongMin);
  b.Score("b", kLongMax);
  b.col(2)->AppendListEnd();
  b.Group(1, false, {"x", "y"});
  b.Group(-5, false, {});
  b.Group(7, true, {});
  b.Group(kIntMax, false, {nullptr, ""});
  b.col(3)->AppendListEnd();
  b.Info(1, "x", false, 5, false, {1, 2, 3});
  b.IntList(5, {kIntMin, 0, kIntMax});
  b.DoubleList(6, {nan, -0.0, std::nullopt, inf});
  // Row 3.
  b.col(0)->AppendInt32(3);
  b.Person("", 0, false, {nullptr});
  b.col(1)->AppendListEnd();
  b.Score("k", std::nullopt);
  b.col(2)->AppendListEnd();
  b.Group(0, false, {nullptr});
  b.col(3)->AppendListEnd();
  b.Info(std::nullopt, "", false, -1, false, {});
  b.IntList(5, {5, 5, 5, 5});
  b.DoubleList(6, {1.5});
  // Row 4: a list holding one null struct.
  b.col(0)->AppendInt32(4);
  b.NullPerson();
  b.col(1)->AppendListEnd();
  b.Score("only", 42);
  b.col(2)->AppendListEnd();
  b.Group(kIntMin, false, {"min"});
  b.col(3)->AppendListEnd();
  b.Info(2, nullptr, false, 0, true, {});
  b.IntList(5, {});
  b.DoubleList(6, {std::nullopt, std::nullopt});

  // Random rows, in a second batch.
  auto more = std::make_shared<ColumnBatch>(spec.schema);
  Rng rng(7);
  RandomValueOptions opts;
  opts.max_list_length = 5;
  for (int r = 5; r < 300; ++r) {
    more->mutable_column(0)->AppendInt32(r);
    for (int c = 1; c < more->num_columns(); ++c) {
      AppendRandomValue(more->mutable_column(c), spec.schema->fields()[c].required, &rng, opts);
    }
  }
  spec.batches = {batch, more};
  return spec;
}

// Several row groups and many pages: small row and byte limits, batches that do not line up.
FileSpec RowGroupsByRowsFile() {
  FileSpec spec =
      SampleFile("row_groups_rows", Compression::kZstd, {777, 777, 777, 777, 777, 777, 777, 61});
  spec.options.row_group_max_rows = 1000;
  spec.options.page_max_rows = 100;
  spec.options.page_max_bytes = 4096;
  spec.checks["min_row_groups"] = 6;
  spec.checks["max_rows_per_group"] = 1000;
  spec.checks["max_rows_per_page"] = 100;
  return spec;
}

FileSpec RowGroupsByBytesFile() {
  FileSpec spec = SampleFile("row_groups_bytes", Compression::kSnappy, {500, 1500, 1000, 1000});
  spec.options.row_group_max_bytes = 512 << 10;
  spec.options.page_max_bytes = 256;
  spec.checks["min_row_groups"] = 4;
  return spec;
}

// Low-cardinality columns keep their dictionary; high-cardinality ones outgrow a small
// dictionary limit and fall back to PLAIN.
FileSpec DictionaryFile(bool enabled) {
  auto schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "low_card_str", Type::String()),
      NestedField::Optional(2, "high_card_str", Type::String()),
      NestedField::Required(3, "low_card_long", Type::Long()),
      NestedField::Required(4, "high_card_long", Type::Long()),
      NestedField::Optional(5, "low_card_dec", Type::Decimal(38, 2)),
      NestedField::Optional(6, "high_card_double", Type::Double()),
  });
  static const char* const kWords[] = {"alpha",   "beta", "gamma", "delta", "", "\xF0\x9F\x98\x80",
                                       "epsilon", "zeta"};
  FileSpec spec;
  spec.name = enabled ? "dictionary" : "dictionary_disabled";
  spec.schema = schema;
  spec.options.dictionary_enabled = enabled;
  spec.options.dictionary_max_bytes = 4096;
  spec.options.page_max_rows = 1000;
  Rng rng(99);
  for (int b = 0; b < 3; ++b) {
    auto batch = std::make_shared<ColumnBatch>(schema);
    for (int i = 0; i < 4000; ++i) {
      const int64_t r = b * 4000 + i;
      batch->mutable_column(0)->AppendBytes(kWords[rng.Below(8)]);
      if (r % 17 == 3) {
        batch->mutable_column(1)->AppendNull();
      } else {
        batch->mutable_column(1)->AppendBytes(fmt::format("row-{:08}-{:016x}", r, rng.Next()));
      }
      batch->mutable_column(2)->AppendInt64(static_cast<int64_t>(rng.Below(5)) * 1000000007LL);
      batch->mutable_column(3)->AppendInt64(static_cast<int64_t>(rng.Next()));
      if (r % 11 == 0) {
        batch->mutable_column(4)->AppendNull();
      } else {
        batch->mutable_column(4)->AppendDecimal(static_cast<__int128>(rng.Below(3)) - 1);
      }
      batch->mutable_column(5)->AppendDouble(static_cast<double>(r) * 1.25 + 0.001);
    }
    spec.batches.push_back(batch);
  }
  if (enabled) {
    spec.checks["dictionary_kept"] = {"low_card_str", "low_card_long", "low_card_dec"};
    spec.checks["dictionary_fallback"] = {"high_card_str", "high_card_long", "high_card_double"};
  } else {
    spec.checks["no_dictionary"] = true;
  }
  return spec;
}

Status Run(const std::string& dir) {
  LocalFileIO io;
  std::vector<FileSpec> specs;
  specs.push_back(SampleFile("sample_zstd", Compression::kZstd, {300, 1, 0, 199}));
  specs.back().options.zstd_level = 9;
  specs.back().options.key_value_metadata = {{"nilus.test", "zoo"}, {"empty", ""}};
  specs.push_back(SampleFile("sample_snappy", Compression::kSnappy, {500}));
  specs.push_back(SampleFile("sample_none", Compression::kNone, {250, 250}));
  // The same rows as `nilus parquet demo`, to check the demo's output against.
  specs.push_back(SampleFile("sample_demo", Compression::kZstd, {parquet::testing::kDemoRows}));
  specs.push_back(SampleFile("one_row", Compression::kZstd, {1}));
  specs.push_back(SampleFile("empty", Compression::kZstd, {}));
  specs.push_back(SampleFile("empty_batch", Compression::kSnappy, {0}));
  specs.push_back(AllNullFile());
  specs.push_back(LargeValuesFile());
  specs.push_back(NestedFile());
  specs.push_back(RowGroupsByRowsFile());
  specs.push_back(RowGroupsByBytesFile());
  specs.push_back(DictionaryFile(true));
  specs.push_back(DictionaryFile(false));

  Json manifest = Json::array();
  for (const auto& spec : specs) {
    NILUS_RETURN_NOT_OK(WriteFileAndExpected(&io, dir, spec));
    manifest.push_back(spec.name);
    std::printf("wrote %s/%s.parquet\n", dir.c_str(), spec.name.c_str());
  }
  return io.WriteFile(dir + "/zoo.json", manifest.dump(1));
}

}  // namespace
}  // namespace nilus::interop

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  nilus::Status st = nilus::interop::Run(argv[1]);
  if (!st.ok()) {
    std::fprintf(stderr, "zoo writer failed: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
