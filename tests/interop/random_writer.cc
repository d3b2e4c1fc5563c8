// Randomized round-trip input: random schemas (nesting depth up to 3, every type, random
// required/optional), random data (nulls, empty lists, edge values) and random writer options,
// written with our writer beside expected-values JSON. check_random.mjs reads them back.
//
// Usage: nilus_interop_random_writer OUT_DIR SEED COUNT [MAX_ROWS]
// Case i uses its own generator seeded from (SEED, i), so one case can be rebuilt alone.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "expected_json.h"
#include "formats/parquet/testing/sample_data.h"
#include "storage/local_file_io.h"

namespace nilus::interop {
namespace {

using parquet::Compression;
using parquet::testing::AppendRandomValue;
using parquet::testing::MixSeed;
using parquet::testing::RandomValueOptions;
using parquet::testing::Rng;

constexpr int kMaxDepth = 3;

TypePtr RandomPrimitive(Rng* rng, bool map_key) {
  // Float, double and boolean keys are left out: readers disagree on how to compare -0.0 with
  // 0.0 and NaN with NaN as map keys, and the Iceberg spec does not settle it either.
  static const TypeId kAll[] = {
      TypeId::kBoolean, TypeId::kInt,  TypeId::kLong,  TypeId::kFloat,     TypeId::kDouble,
      TypeId::kDecimal, TypeId::kDate, TypeId::kTime,  TypeId::kTimestamp, TypeId::kTimestampTz,
      TypeId::kString,  TypeId::kUuid, TypeId::kFixed, TypeId::kBinary};
  TypeId id;
  do {
    id = kAll[rng->Below(std::size(kAll))];
  } while (map_key && (id == TypeId::kFloat || id == TypeId::kDouble || id == TypeId::kBoolean));
  switch (id) {
    case TypeId::kBoolean:
      return Type::Boolean();
    case TypeId::kInt:
      return Type::Int();
    case TypeId::kLong:
      return Type::Long();
    case TypeId::kFloat:
      return Type::Float();
    case TypeId::kDouble:
      return Type::Double();
    case TypeId::kDecimal: {
      // Favor the boundaries between INT32, INT64 and FIXED_LEN_BYTE_ARRAY.
      static const int kPrecisions[] = {1, 9, 10, 18, 19, 38};
      int p = rng->Percent(50) ? kPrecisions[rng->Below(std::size(kPrecisions))]
                               : static_cast<int>(rng->Range(1, 38));
      int s = static_cast<int>(rng->Range(0, p));
      return Type::Decimal(p, s);
    }
    case TypeId::kDate:
      return Type::Date();
    case TypeId::kTime:
      return Type::Time();
    case TypeId::kTimestamp:
      return Type::Timestamp();
    case TypeId::kTimestampTz:
      return Type::TimestampTz();
    case TypeId::kString:
      return Type::String();
    case TypeId::kUuid:
      return Type::Uuid();
    case TypeId::kFixed:
      return Type::Fixed(static_cast<int32_t>(rng->Range(1, 20)));
    default:
      return Type::Binary();
  }
}

TypePtr RandomType(Rng* rng, int depth, int32_t* next_id) {
  if (depth >= kMaxDepth || rng->Percent(60)) return RandomPrimitive(rng, false);
  switch (rng->Below(3)) {
    case 0: {
      const int n = static_cast<int>(rng->Range(1, 4));
      std::vector<NestedField> fields;
      for (int i = 0; i < n; ++i) {
        const int32_t id = (*next_id)++;
        fields.push_back(
            {id, fmt::format("f{}", i), RandomType(rng, depth + 1, next_id), rng->Percent(40), {}});
      }
      return Type::Struct(std::move(fields));
    }
    case 1: {
      const int32_t id = (*next_id)++;
      return Type::List(id, RandomType(rng, depth + 1, next_id), rng->Percent(40));
    }
    default: {
      const int32_t key_id = (*next_id)++;
      const int32_t value_id = (*next_id)++;
      TypePtr key = RandomPrimitive(rng, true);
      return Type::Map(key_id, key, value_id, RandomType(rng, depth + 1, next_id),
                       rng->Percent(40));
    }
  }
}

FileSpec RandomCase(uint64_t seed, int index, int64_t max_rows) {
  Rng rng(MixSeed(seed * 1000003ULL + static_cast<uint64_t>(index)));
  FileSpec spec;
  spec.name = fmt::format("case_{:04}", index);

  int32_t next_id = 1;
  std::vector<NestedField> fields;
  const int num_columns = static_cast<int>(rng.Range(1, 6));
  for (int c = 0; c < num_columns; ++c) {
    const int32_t id = next_id++;
    fields.push_back(
        {id, fmt::format("c{}", c), RandomType(&rng, 0, &next_id), rng.Percent(35), {}});
  }
  spec.schema = std::make_shared<Schema>(std::move(fields));

  auto& o = spec.options;
  static const Compression kCodecs[] = {Compression::kZstd, Compression::kSnappy,
                                        Compression::kNone};
  o.compression = kCodecs[rng.Below(3)];
  o.zstd_level = static_cast<int>(rng.Range(1, 5));
  o.dictionary_enabled = rng.Percent(80);
  if (rng.Percent(40)) o.dictionary_max_bytes = rng.Range(64, 8192);
  if (rng.Percent(50)) o.page_max_rows = rng.Range(1, 50);
  if (rng.Percent(40)) o.page_max_bytes = rng.Range(64, 4096);
  if (rng.Percent(40)) o.row_group_max_rows = rng.Range(1, 200);
  if (rng.Percent(30)) o.row_group_max_bytes = rng.Range(1024, 64 << 10);

  // Per-column value options; now and then a column that is entirely null.
  std::vector<RandomValueOptions> column_options;
  for (int c = 0; c < num_columns; ++c) {
    RandomValueOptions v;
    v.null_percent = rng.Percent(5) ? 100 : static_cast<int>(rng.Range(0, 50));
    v.edge_percent = static_cast<int>(rng.Range(0, 40));
    v.empty_list_percent = static_cast<int>(rng.Range(0, 40));
    v.max_list_length = static_cast<int>(rng.Range(1, 5));
    column_options.push_back(v);
  }
  const int64_t total_rows = rng.Percent(5) ? 0 : rng.Range(1, max_rows);
  int64_t written = 0;
  const int num_batches = static_cast<int>(rng.Range(1, 4));
  for (int b = 0; b < num_batches; ++b) {
    const int64_t n =
        b + 1 == num_batches ? total_rows - written : rng.Range(0, total_rows - written);
    auto batch = std::make_shared<ColumnBatch>(spec.schema);
    for (int64_t r = 0; r < n; ++r) {
      for (int c = 0; c < num_columns; ++c) {
        AppendRandomValue(batch->mutable_column(c), spec.schema->fields()[c].required, &rng,
                          column_options[c]);
      }
    }
    written += n;
    spec.batches.push_back(std::move(batch));
  }
  return spec;
}

Status Run(const std::string& dir, uint64_t seed, int count, int64_t max_rows) {
  LocalFileIO io;
  Json manifest;
  manifest["seed"] = std::to_string(seed);
  manifest["cases"] = Json::array();
  for (int i = 0; i < count; ++i) {
    FileSpec spec = RandomCase(seed, i, max_rows);
    NILUS_RETURN_NOT_OK_CTX(
        WriteFileAndExpected(&io, dir, spec),
        fmt::format("seed {} case {} (schema {})", seed, i, spec.schema->ToString()));
    manifest["cases"].push_back(spec.name);
  }
  return io.WriteFile(dir + "/random.json", manifest.dump(1));
}

}  // namespace
}  // namespace nilus::interop

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: %s OUT_DIR SEED COUNT [MAX_ROWS]\n", argv[0]);
    return 2;
  }
  const uint64_t seed = std::strtoull(argv[2], nullptr, 10);
  const int count = std::atoi(argv[3]);
  const int64_t max_rows = argc == 5 ? std::atoll(argv[4]) : 400;
  nilus::Status st = nilus::interop::Run(argv[1], seed, count, max_rows < 1 ? 1 : max_rows);
  if (!st.ok()) {
    std::fprintf(stderr, "random writer failed (NILUS_SEED=%s): %s\n", argv[2],
                 st.ToString().c_str());
    return 1;
  }
  std::printf("wrote %d random cases with seed %s into %s\n", count, argv[2], argv[1]);
  return 0;
}
