#include "formats/parquet/testing/sample_data.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>

namespace nilus::parquet::testing {

uint64_t MixSeed(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Rng::Next() {
  uint64_t out = MixSeed(state_);
  state_ += 0x9e3779b97f4a7c15ULL;
  return out;
}

int64_t Rng::Range(int64_t lo, int64_t hi) {
  uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
  if (span == 0) return static_cast<int64_t>(Next());  // the whole int64 range
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + Next() % span);
}

namespace {

constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

const int32_t kIntEdges[] = {kInt32Min, kInt32Max, 0, -1, 1, kInt32Min + 1};
// 2^53 + 1 is the first integer a double cannot hold: it catches readers that go through
// JavaScript numbers.
const int64_t kLongEdges[] = {kInt64Min,
                              kInt64Max,
                              0,
                              -1,
                              (1LL << 53) + 1,
                              -(1LL << 53) - 1,
                              static_cast<int64_t>(kInt32Min) - 1};
const float kFloatEdges[] = {std::numeric_limits<float>::quiet_NaN(),
                             std::numeric_limits<float>::infinity(),
                             -std::numeric_limits<float>::infinity(),
                             -0.0f,
                             0.0f,
                             std::numeric_limits<float>::max(),
                             std::numeric_limits<float>::lowest(),
                             std::numeric_limits<float>::min(),
                             std::numeric_limits<float>::denorm_min(),
                             1.0f / 3.0f};
const double kDoubleEdges[] = {std::numeric_limits<double>::quiet_NaN(),
                               std::numeric_limits<double>::infinity(),
                               -std::numeric_limits<double>::infinity(),
                               -0.0,
                               0.0,
                               std::numeric_limits<double>::max(),
                               std::numeric_limits<double>::lowest(),
                               std::numeric_limits<double>::min(),
                               std::numeric_limits<double>::denorm_min(),
                               0.1,
                               9007199254740993.0};
// 0001-01-01, 1900-01-01, 1969-12-31, 1970-01-01, 2100-01-01, 2262-04-12, 9999-12-31.
const int32_t kDateEdges[] = {-719162, -25567, -1, 0, 47482, 106751, 2932896};
const int64_t kTimeEdges[] = {0, 86399999999LL, 1, 43200000001LL};
// 0001-01-01T00:00:00, 9999-12-31T23:59:59.999999, one microsecond before and after the
// epoch, 2100-01-01T00:00:00.000001, 1899-12-31T23:59:59.999999.
const int64_t kTimestampEdges[] = {-62135596800000000LL, 253402300799999999LL, -1, 0, 1,
                                   4102444800000001LL,   -2208988800000001LL};
const char* const kStringEdges[] = {
    "",
    "a",
    "\xF0\x9F\x98\x80",                        // U+1F600, 4 bytes
    "na\xC3\xAFve caf\xC3\xA9",                // 2-byte sequences
    "\xF0\x9D\x84\x9E clef and \xE2\x82\xAC",  // U+1D11E (4 bytes), U+20AC (3 bytes)
    "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",    // 3-byte sequences
    "tab\tnewline\nquote\"backslash\\",
    "\xEF\xBF\xBF\xF4\x8F\xBF\xBF",  // U+FFFF and U+10FFFF
    " leading and trailing spaces ",
};
const char* const kBinaryEdges[] = {"", "\x00", "\xff\xfe\xfd", "plain ascii", "\x00\x01\x00"};
const size_t kBinaryEdgeLengths[] = {0, 1, 3, 11, 3};

// Characters random strings are made of: ASCII, and 2-, 3- and 4-byte UTF-8 sequences.
const char* const kAlphabet[] = {"a",
                                 "b",
                                 "c",
                                 "x",
                                 "y",
                                 "z",
                                 "0",
                                 "7",
                                 " ",
                                 "_",
                                 "\xC3\xA9",
                                 "\xC3\x9F",
                                 "\xE4\xB8\xAD",
                                 "\xE2\x82\xAC",
                                 "\xF0\x9F\x98\x80",
                                 "\xF0\x9F\x8E\x89"};

template <typename T, size_t N>
constexpr int Count(const T (&)[N]) {
  return static_cast<int>(N);
}

__int128 Pow10(int n) {
  __int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

std::string RandomString(Rng* rng, int max_len) {
  std::string s;
  int len = static_cast<int>(rng->Below(static_cast<uint64_t>(max_len) + 1));
  for (int i = 0; i < len; ++i) s += kAlphabet[rng->Below(Count(kAlphabet))];
  return s;
}

std::string RandomBytes(Rng* rng, size_t len) {
  std::string s(len, '\0');
  for (auto& c : s) c = static_cast<char>(rng->Next() & 0xff);
  return s;
}

}  // namespace

int NumEdgeValues(const Type& type) {
  switch (type.id()) {
    case TypeId::kBoolean:
      return 2;
    case TypeId::kInt:
      return Count(kIntEdges);
    case TypeId::kLong:
      return Count(kLongEdges);
    case TypeId::kFloat:
      return Count(kFloatEdges);
    case TypeId::kDouble:
      return Count(kDoubleEdges);
    case TypeId::kDecimal:
      return 6;
    case TypeId::kDate:
      return Count(kDateEdges);
    case TypeId::kTime:
      return Count(kTimeEdges);
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return Count(kTimestampEdges);
    case TypeId::kString:
      return Count(kStringEdges);
    case TypeId::kUuid:
    case TypeId::kFixed:
      return 3;
    case TypeId::kBinary:
      return Count(kBinaryEdges);
    default:
      return 1;
  }
}

void AppendEdgeValue(Column* column, int64_t index) {
  const Type& type = column->type_ref();
  const int i = static_cast<int>(index % NumEdgeValues(type));
  switch (type.id()) {
    case TypeId::kBoolean:
      column->AppendBool(i == 0);
      break;
    case TypeId::kInt:
      column->AppendInt32(kIntEdges[i]);
      break;
    case TypeId::kLong:
      column->AppendInt64(kLongEdges[i]);
      break;
    case TypeId::kFloat:
      column->AppendFloat(kFloatEdges[i]);
      break;
    case TypeId::kDouble:
      column->AppendDouble(kDoubleEdges[i]);
      break;
    case TypeId::kDecimal: {
      const __int128 max = Pow10(type.precision()) - 1;
      const __int128 smallest_full = Pow10(type.precision() - 1);
      const __int128 edges[] = {max, -max, 0, -1, smallest_full, -smallest_full};
      column->AppendDecimal(edges[i]);
      break;
    }
    case TypeId::kDate:
      column->AppendInt32(kDateEdges[i]);
      break;
    case TypeId::kTime:
      column->AppendInt64(kTimeEdges[i]);
      break;
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      column->AppendInt64(kTimestampEdges[i]);
      break;
    case TypeId::kString:
      column->AppendBytes(kStringEdges[i]);
      break;
    case TypeId::kUuid:
    case TypeId::kFixed: {
      const size_t len = static_cast<size_t>(type.fixed_length());
      std::string bytes;
      if (i == 0) bytes.assign(len, '\0');
      if (i == 1) bytes.assign(len, '\xff');
      if (i == 2) {
        // 123e4567-e89b-12d3-a456-426614174000, cut or padded to the length.
        static const unsigned char kUuid[16] = {0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3,
                                                0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00};
        for (size_t k = 0; k < len; ++k) bytes.push_back(static_cast<char>(kUuid[k % 16]));
      }
      column->AppendBytes(bytes);
      break;
    }
    case TypeId::kBinary:
      column->AppendBytes(std::string_view(kBinaryEdges[i], kBinaryEdgeLengths[i]));
      break;
    default:
      column->AppendNull();
      break;
  }
}

void AppendRandomPrimitive(Column* column, Rng* rng, int edge_percent) {
  const Type& type = column->type_ref();
  if (rng->Percent(edge_percent)) {
    AppendEdgeValue(column, static_cast<int64_t>(rng->Below(NumEdgeValues(type))));
    return;
  }
  // Half of the ordinary values come from a small range, so dictionaries get repeats.
  const bool small = rng->Percent(50);
  switch (type.id()) {
    case TypeId::kBoolean:
      column->AppendBool(rng->Percent(50));
      break;
    case TypeId::kInt:
      column->AppendInt32(small ? static_cast<int32_t>(rng->Range(-100, 100))
                                : static_cast<int32_t>(rng->Next()));
      break;
    case TypeId::kLong:
      column->AppendInt64(small ? rng->Range(-1000, 1000) : static_cast<int64_t>(rng->Next()));
      break;
    case TypeId::kFloat:
      column->AppendFloat(small ? static_cast<float>(rng->Range(-100, 100)) / 4.0f
                                : static_cast<float>(static_cast<int64_t>(rng->Next())) / 1e9f);
      break;
    case TypeId::kDouble: {
      double d;
      if (small) {
        d = static_cast<double>(rng->Range(-1000, 1000)) / 8.0;
      } else {
        // Any finite bit pattern: exercises the full exponent range.
        uint64_t bits;
        do {
          bits = rng->Next();
          std::memcpy(&d, &bits, 8);
        } while (!std::isfinite(d));
      }
      column->AppendDouble(d);
      break;
    }
    case TypeId::kDecimal: {
      const __int128 max = Pow10(type.precision()) - 1;
      __int128 v;
      if (small) {
        v = rng->Range(-10000, 10000);
      } else {
        unsigned __int128 raw = (static_cast<unsigned __int128>(rng->Next()) << 64) | rng->Next();
        v = static_cast<__int128>(raw % static_cast<unsigned __int128>(max));
        if (rng->Percent(50)) v = -v;
      }
      if (v > max) v = max;
      if (v < -max) v = -max;
      column->AppendDecimal(v);
      break;
    }
    case TypeId::kDate:
      // 1900-01-01 .. 2199-12-31.
      column->AppendInt32(static_cast<int32_t>(rng->Range(-25567, 83947)));
      break;
    case TypeId::kTime:
      column->AppendInt64(rng->Range(0, 86399999999LL));
      break;
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      // 1900 .. 2200, with microseconds.
      column->AppendInt64(rng->Range(-2208988800000000LL, 7258118400000000LL));
      break;
    case TypeId::kString:
      column->AppendBytes(RandomString(rng, small ? 3 : 24));
      break;
    case TypeId::kUuid:
    case TypeId::kFixed:
      column->AppendBytes(RandomBytes(rng, static_cast<size_t>(type.fixed_length())));
      break;
    case TypeId::kBinary:
      column->AppendBytes(RandomBytes(rng, rng->Below(small ? 3 : 40)));
      break;
    default:
      column->AppendNull();
      break;
  }
}

void AppendDistinctKey(Column* column, int ordinal, Rng* rng) {
  const Type& type = column->type_ref();
  // A random high part and the ordinal in the low bits keep keys of one map apart.
  const int64_t high = static_cast<int64_t>(rng->Below(1 << 20));
  switch (type.id()) {
    case TypeId::kBoolean:
      column->AppendBool(ordinal % 2 == 0);
      break;
    case TypeId::kInt:
      column->AppendInt32(static_cast<int32_t>((high - (1 << 19)) * 16 + ordinal));
      break;
    case TypeId::kLong:
      column->AppendInt64((high - (1 << 19)) * 16 * 1000003 + ordinal);
      break;
    case TypeId::kFloat:
      column->AppendFloat(static_cast<float>(ordinal) - 7.5f);
      break;
    case TypeId::kDouble:
      column->AppendDouble(static_cast<double>(high * 16 + ordinal) / 8.0);
      break;
    case TypeId::kDecimal: {
      const __int128 max = Pow10(type.precision()) - 1;
      __int128 v = static_cast<__int128>(high) * 16 + ordinal;
      column->AppendDecimal(max >= v ? v : ordinal);
      break;
    }
    case TypeId::kDate:
      column->AppendInt32(static_cast<int32_t>(high % 4096 * 16 + ordinal));
      break;
    case TypeId::kTime:
      column->AppendInt64(high * 16 + ordinal);
      break;
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      column->AppendInt64((high - (1 << 19)) * 16 + ordinal);
      break;
    case TypeId::kString:
      column->AppendBytes(RandomString(rng, 6) + "#" + std::to_string(ordinal));
      break;
    case TypeId::kUuid:
    case TypeId::kFixed: {
      std::string bytes = RandomBytes(rng, static_cast<size_t>(type.fixed_length()));
      bytes.back() = static_cast<char>(ordinal);
      column->AppendBytes(bytes);
      break;
    }
    case TypeId::kBinary:
      column->AppendBytes(RandomBytes(rng, rng->Below(6)) + char(ordinal));
      break;
    default:
      column->AppendNull();
      break;
  }
}

void AppendRandomValue(Column* column, bool required, Rng* rng, const RandomValueOptions& options) {
  const Type& type = column->type_ref();
  if (!required && rng->Percent(options.null_percent)) {
    column->AppendNull();
    return;
  }
  switch (type.id()) {
    case TypeId::kStruct:
      for (int i = 0; i < column->num_children(); ++i) {
        AppendRandomValue(column->mutable_child(i), type.fields()[i].required, rng, options);
      }
      column->AppendStructValid();
      return;
    case TypeId::kList: {
      const int n = rng->Percent(options.empty_list_percent)
                        ? 0
                        : static_cast<int>(rng->Range(1, options.max_list_length));
      for (int i = 0; i < n; ++i) {
        AppendRandomValue(column->mutable_child(0), type.element().required, rng, options);
      }
      column->AppendListEnd();
      return;
    }
    case TypeId::kMap: {
      int n = rng->Percent(options.empty_list_percent)
                  ? 0
                  : static_cast<int>(rng->Range(1, options.max_list_length));
      if (type.key().type->id() == TypeId::kBoolean && n > 2) n = 2;
      // decimal(1,s) keys fall back to the bare ordinal, which must fit in one digit.
      if (type.key().type->id() == TypeId::kDecimal && n > 10) n = 10;
      if (n > 16) n = 16;
      for (int i = 0; i < n; ++i) {
        AppendDistinctKey(column->mutable_child(0), i, rng);
        AppendRandomValue(column->mutable_child(1), type.value().required, rng, options);
      }
      column->AppendListEnd();
      return;
    }
    default:
      AppendRandomPrimitive(column, rng, options.edge_percent);
      return;
  }
}

namespace {

struct PrimitiveSpec {
  const char* name;
  TypePtr type;
};

std::vector<PrimitiveSpec> PrimitiveSpecs() {
  return {{"bool", Type::Boolean()},       {"int", Type::Int()},
          {"long", Type::Long()},          {"float", Type::Float()},
          {"double", Type::Double()},      {"dec9", Type::Decimal(9, 2)},
          {"dec18", Type::Decimal(18, 4)}, {"dec38", Type::Decimal(38, 10)},
          {"date", Type::Date()},          {"time", Type::Time()},
          {"ts", Type::Timestamp()},       {"tstz", Type::TimestampTz()},
          {"string", Type::String()},      {"uuid", Type::Uuid()},
          {"fixed7", Type::Fixed(7)},      {"binary", Type::Binary()}};
}

constexpr uint64_t kSampleSeed = 0x6e696c7573ULL;  // "nilus"
constexpr int64_t kEdgeRows = 16;
constexpr int64_t kAllNullRow = 16;

}  // namespace

SchemaPtr SampleSchema() {
  std::vector<NestedField> fields;
  int32_t id = 1;
  for (const auto& spec : PrimitiveSpecs()) {
    fields.push_back(NestedField::Required(id++, std::string("req_") + spec.name, spec.type));
  }
  for (const auto& spec : PrimitiveSpecs()) {
    fields.push_back(NestedField::Optional(id++, std::string("opt_") + spec.name, spec.type));
  }
  // points: list<struct<x: required double, y: optional double, label: optional string>>
  {
    const int32_t list_id = id++, elem_id = id++;
    auto point = Type::Struct({NestedField::Required(id, "x", Type::Double()),
                               NestedField::Optional(id + 1, "y", Type::Double()),
                               NestedField::Optional(id + 2, "label", Type::String())});
    id += 3;
    fields.push_back(NestedField::Optional(list_id, "points", Type::List(elem_id, point, false)));
  }
  // attrs: map<string, long>
  {
    const int32_t map_id = id++, key_id = id++, value_id = id++;
    fields.push_back(NestedField::Optional(
        map_id, "attrs", Type::Map(key_id, Type::String(), value_id, Type::Long(), false)));
  }
  // tags_by_id: map<int, list<string>>
  {
    const int32_t map_id = id++, key_id = id++, value_id = id++, elem_id = id++;
    auto tags = Type::List(elem_id, Type::String(), false);
    fields.push_back(NestedField::Optional(map_id, "tags_by_id",
                                           Type::Map(key_id, Type::Int(), value_id, tags, false)));
  }
  // address: struct<street: optional string, zip: required int,
  //                 geo: optional struct<lat: required double, lon: optional double>>
  {
    const int32_t addr_id = id++, street_id = id++, zip_id = id++, geo_id = id++;
    const int32_t lat_id = id++, lon_id = id++;
    auto geo = Type::Struct({NestedField::Required(lat_id, "lat", Type::Double()),
                             NestedField::Optional(lon_id, "lon", Type::Double())});
    auto address = Type::Struct({NestedField::Optional(street_id, "street", Type::String()),
                                 NestedField::Required(zip_id, "zip", Type::Int()),
                                 NestedField::Optional(geo_id, "geo", geo)});
    fields.push_back(NestedField::Optional(addr_id, "address", address));
  }
  // matrix: required list<required list<optional int>>
  {
    const int32_t outer_id = id++, row_id = id++, cell_id = id++;
    auto row = Type::List(cell_id, Type::Int(), false);
    fields.push_back(NestedField::Required(outer_id, "matrix", Type::List(row_id, row, true)));
  }
  // amounts: optional list<required decimal(38,10)>
  {
    const int32_t list_id = id++, elem_id = id++;
    fields.push_back(NestedField::Optional(list_id, "amounts",
                                           Type::List(elem_id, Type::Decimal(38, 10), true)));
  }
  return std::make_shared<Schema>(std::move(fields));
}

void AppendSampleRows(ColumnBatch* batch, int64_t first_row, int64_t count) {
  const auto& fields = batch->schema()->fields();
  RandomValueOptions nested;
  nested.null_percent = 15;
  nested.edge_percent = 10;
  for (int64_t r = first_row; r < first_row + count; ++r) {
    Rng rng(MixSeed(kSampleSeed ^ static_cast<uint64_t>(r)));
    for (int c = 0; c < batch->num_columns(); ++c) {
      Column* column = batch->mutable_column(c);
      const NestedField& field = fields[c];
      if (!field.required && r == kAllNullRow) {
        column->AppendNull();
      } else if (field.type->is_primitive() && r < kEdgeRows) {
        AppendEdgeValue(column, r);
      } else if (field.type->is_primitive()) {
        if (!field.required && rng.Percent(10)) {
          column->AppendNull();
        } else {
          AppendRandomPrimitive(column, &rng, 10);
        }
      } else {
        AppendRandomValue(column, field.required, &rng, nested);
      }
    }
  }
}

}  // namespace nilus::parquet::testing
