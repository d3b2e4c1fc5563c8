// `nilus parquet inspect FILE [--json]`: prints a Parquet file's footer (file metadata, schema
// tree, row groups, column chunks with decoded statistics) and a summary of each column chunk's
// pages. Statistics are decoded by physical and logical type: dates, times and timestamps as
// ISO text, decimals with their scale, UUIDs in their usual form, strings truncated.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "cli/commands.h"
#include "core/value.h"
#include "formats/parquet/footer_reader.h"
#include "storage/local_file_io.h"

namespace nilus::cli {

namespace {

using nilus::parquet::ColumnMetaData;
using nilus::parquet::ConvertedType;
using nilus::parquet::FileMetaData;
using nilus::parquet::LogicalType;
using nilus::parquet::PageInfo;
using nilus::parquet::PageType;
using nilus::parquet::ParquetFileReader;
using nilus::parquet::PhysicalType;
using nilus::parquet::Repetition;
using nilus::parquet::SchemaElement;
using nilus::parquet::Statistics;
using nilus::parquet::TimeUnit;
using Json = nlohmann::ordered_json;

// Display limits: statistics of long strings and binaries, and key/value metadata (which often
// holds a whole Iceberg schema as JSON).
constexpr size_t kMaxStringBytes = 64;
constexpr size_t kMaxHexBytes = 32;
constexpr size_t kMaxMetadataValueBytes = 256;

std::string RepetitionName(Repetition r) {
  switch (r) {
    case Repetition::kRequired:
      return "required";
    case Repetition::kOptional:
      return "optional";
    case Repetition::kRepeated:
      return "repeated";
  }
  return fmt::format("repetition({})", static_cast<int32_t>(r));
}

std::string_view PageTypeName(PageType t) {
  switch (t) {
    case PageType::kDataPage:
      return "DATA_PAGE";
    case PageType::kIndexPage:
      return "INDEX_PAGE";
    case PageType::kDictionaryPage:
      return "DICTIONARY_PAGE";
    case PageType::kDataPageV2:
      return "DATA_PAGE_V2";
  }
  return "UNKNOWN";
}

std::string TimeUnitName(TimeUnit u) {
  switch (u) {
    case TimeUnit::kMillis:
      return "MILLIS";
    case TimeUnit::kMicros:
      return "MICROS";
    case TimeUnit::kNanos:
      return "NANOS";
  }
  return fmt::format("unit({})", static_cast<int32_t>(u));
}

// An enum name, or the number when this build does not know the value.
template <typename E>
std::string EnumName(std::string_view name, E value) {
  if (name != "UNKNOWN") return std::string(name);
  return fmt::format("UNKNOWN({})", static_cast<int32_t>(value));
}

std::string LogicalTypeName(const LogicalType& lt) {
  switch (lt.kind) {
    case LogicalType::kNone:
      return "NONE";
    case LogicalType::kString:
      return "STRING";
    case LogicalType::kMap:
      return "MAP";
    case LogicalType::kList:
      return "LIST";
    case LogicalType::kEnum:
      return "ENUM";
    case LogicalType::kDecimal:
      return fmt::format("DECIMAL({},{})", lt.decimal_precision, lt.decimal_scale);
    case LogicalType::kDate:
      return "DATE";
    case LogicalType::kTime:
    case LogicalType::kTimestamp:
      return fmt::format("{}({},isAdjustedToUTC={})",
                         lt.kind == LogicalType::kTime ? "TIME" : "TIMESTAMP",
                         TimeUnitName(lt.unit), lt.is_adjusted_to_utc);
    case LogicalType::kInteger:
      return fmt::format("INTEGER({},{})", lt.bit_width, lt.is_signed ? "signed" : "unsigned");
    case LogicalType::kUnknown:
      return "UNKNOWN";
    case LogicalType::kJson:
      return "JSON";
    case LogicalType::kBson:
      return "BSON";
    case LogicalType::kUuid:
      return "UUID";
  }
  // Members newer than the struct's enum (parquet.thrift numbering).
  switch (static_cast<int32_t>(lt.kind)) {
    case 15:
      return "FLOAT16";
    case 16:
      return "VARIANT";
    case 17:
      return "GEOMETRY";
    case 18:
      return "GEOGRAPHY";
  }
  return fmt::format("LOGICAL({})", static_cast<int32_t>(lt.kind));
}

Json LogicalTypeJson(const LogicalType& lt) {
  Json j;
  switch (lt.kind) {
    case LogicalType::kDecimal:
      j["type"] = "DECIMAL";
      j["precision"] = lt.decimal_precision;
      j["scale"] = lt.decimal_scale;
      break;
    case LogicalType::kTime:
    case LogicalType::kTimestamp:
      j["type"] = lt.kind == LogicalType::kTime ? "TIME" : "TIMESTAMP";
      j["unit"] = TimeUnitName(lt.unit);
      j["is_adjusted_to_utc"] = lt.is_adjusted_to_utc;
      break;
    case LogicalType::kInteger:
      j["type"] = "INTEGER";
      j["bit_width"] = lt.bit_width;
      j["is_signed"] = lt.is_signed;
      break;
    default:
      j["type"] = LogicalTypeName(lt);
      break;
  }
  return j;
}

std::string ConvertedTypeText(const SchemaElement& e) {
  std::string name = EnumName(parquet::ConvertedTypeName(*e.converted_type), *e.converted_type);
  if (*e.converted_type == ConvertedType::kDecimal) {
    name += fmt::format("({},{})", e.precision.value_or(0), e.scale.value_or(0));
  }
  return name;
}

std::string PhysicalTypeText(const SchemaElement& e) {
  std::string name = EnumName(parquet::PhysicalTypeName(*e.type), *e.type);
  if (*e.type == PhysicalType::kFixedLenByteArray && e.type_length) {
    name += fmt::format("({})", *e.type_length);
  }
  return name;
}

// --- Statistics values ---

// A decoded statistics value: text for people, JSON (a number where one fits) for machines.
struct Decoded {
  std::string text;
  Json json;
};

Decoded Text(std::string s) {
  Json j = s;
  return {std::move(s), std::move(j)};
}

template <typename T>
T LoadLE(std::string_view raw) {
  T v;
  std::memcpy(&v, raw.data(), sizeof(T));
  return v;
}

bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// At most kMaxStringBytes, cut at a UTF-8 character boundary, with "..." when cut.
std::string TruncateUtf8(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

std::string TruncatedHex(std::string_view raw) {
  if (raw.size() <= kMaxHexBytes) return "0x" + HexEncode(raw);
  return "0x" + HexEncode(raw.substr(0, kMaxHexBytes)) + "...";
}

// Quotes and escapes a string for the text output, so control bytes cannot garble a terminal.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

// Floats print in their shortest round-trip form for their own width.
template <typename F>
Decoded FloatingPoint(F d) {
  if (std::isnan(d)) return Text("NaN");
  if (std::isinf(d)) return Text(d > 0 ? "Infinity" : "-Infinity");
  return {fmt::format("{}", d), Json(static_cast<double>(d))};
}

// TimestampToString's arithmetic needs a day of headroom below INT64_MIN.
constexpr int64_t kMaxPrintableMicros = std::numeric_limits<int64_t>::max() - 86400LL * 1000000;

Decoded Timestamp(int64_t v, TimeUnit unit, bool utc) {
  int64_t micros = v;
  int64_t sub_micro_nanos = -1;
  if (unit == TimeUnit::kMillis) {
    if (v > kMaxPrintableMicros / 1000 || v < -kMaxPrintableMicros / 1000) {
      return {fmt::format("{} ms (out of range)", v), Json(v)};
    }
    micros = v * 1000;
  } else if (unit == TimeUnit::kNanos) {
    micros = v / 1000 - (v % 1000 < 0 ? 1 : 0);
    sub_micro_nanos = v - micros * 1000;
  }
  if (micros > kMaxPrintableMicros || micros < -kMaxPrintableMicros) {
    return {fmt::format("{} us (out of range)", v), Json(v)};
  }
  std::string s = TimestampToString(micros);
  if (sub_micro_nanos >= 0) s += fmt::format("{:03}", sub_micro_nanos);
  if (utc) s += "Z";
  return Text(std::move(s));
}

Decoded TimeOfDay(int64_t v, TimeUnit unit) {
  constexpr int64_t kMicrosPerDay = 86400LL * 1000000;
  int64_t micros = v;
  if (unit == TimeUnit::kMillis) {
    if (v < 0 || v > kMicrosPerDay / 1000) return {fmt::format("{} (out of range)", v), v};
    micros = v * 1000;
  }
  if (unit == TimeUnit::kNanos) micros = v / 1000;
  if (micros < 0 || micros > kMicrosPerDay) return {fmt::format("{} (out of range)", v), v};
  std::string s = TimeToString(micros);
  if (unit == TimeUnit::kNanos) s += fmt::format("{:03}", v % 1000);
  return Text(std::move(s));
}

Decoded Decimal(__int128 unscaled, int32_t scale) {
  if (scale < 0 || scale > 76)
    return Text(fmt::format("unscaled {} (bad scale {})", DecimalToString(unscaled, 0), scale));
  return Text(DecimalToString(unscaled, scale));
}

// A big-endian two's complement integer of up to 16 bytes (decimals in byte arrays).
bool BigEndianInt128(std::string_view raw, __int128* out) {
  if (raw.empty() || raw.size() > 16) return false;
  unsigned __int128 v =
      static_cast<signed char>(raw[0]) < 0 ? ~static_cast<unsigned __int128>(0) : 0;
  for (unsigned char c : raw) v = (v << 8) | c;
  *out = static_cast<__int128>(v);
  return true;
}

std::string UuidText(std::string_view raw) {
  const std::string h = HexEncode(raw);
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                     h.substr(16, 4), h.substr(20));
}

float HalfToFloat(uint16_t h) {
  const int sign = (h >> 15) ? -1 : 1;
  const int exp = (h >> 10) & 0x1f;
  const int frac = h & 0x3ff;
  if (exp == 0) return static_cast<float>(sign * std::ldexp(frac, -24));
  if (exp == 31) {
    return frac ? std::numeric_limits<float>::quiet_NaN()
                : sign * std::numeric_limits<float>::infinity();
  }
  return static_cast<float>(sign * std::ldexp(frac + 1024, exp - 25));
}

// Decodes one PLAIN-encoded statistics value of the leaf `e`.
Decoded DecodeStat(const SchemaElement& e, std::string_view raw) {
  const std::optional<LogicalType>& lt = e.logical_type;
  const auto kind = lt ? lt->kind : LogicalType::kNone;
  const auto ct = e.converted_type;
  auto has_ct = [&](ConvertedType c) { return ct && *ct == c; };
  const int32_t scale =
      lt && kind == LogicalType::kDecimal ? lt->decimal_scale : e.scale.value_or(0);
  const bool is_decimal = kind == LogicalType::kDecimal || has_ct(ConvertedType::kDecimal);
  auto invalid = [&](size_t want) {
    return Text(fmt::format("<{} bytes, expected {}: {}>", raw.size(), want, TruncatedHex(raw)));
  };
  const int32_t ct_value = ct ? static_cast<int32_t>(*ct) : -1;
  const bool is_unsigned = (kind == LogicalType::kInteger && !lt->is_signed) ||
                           (ct_value >= 11 && ct_value <= 14);  // UINT_8 .. UINT_64

  switch (e.type.value_or(PhysicalType::kByteArray)) {
    case PhysicalType::kBoolean:
      if (raw.size() != 1) return invalid(1);
      return {raw[0] ? "true" : "false", Json(raw[0] != 0)};
    case PhysicalType::kInt32: {
      if (raw.size() != 4) return invalid(4);
      const int32_t v = LoadLE<int32_t>(raw);
      if (is_decimal) return Decimal(v, scale);
      if (kind == LogicalType::kDate || has_ct(ConvertedType::kDate)) {
        return Text(DateToString(v));
      }
      if (kind == LogicalType::kTime) return TimeOfDay(v, lt->unit);
      if (has_ct(ConvertedType::kTimeMillis)) return TimeOfDay(v, TimeUnit::kMillis);
      if (is_unsigned) {
        const auto u = static_cast<uint32_t>(v);
        return {std::to_string(u), Json(u)};
      }
      return {std::to_string(v), Json(v)};
    }
    case PhysicalType::kInt64: {
      if (raw.size() != 8) return invalid(8);
      const int64_t v = LoadLE<int64_t>(raw);
      if (is_decimal) return Decimal(v, scale);
      if (kind == LogicalType::kTimestamp) return Timestamp(v, lt->unit, lt->is_adjusted_to_utc);
      if (has_ct(ConvertedType::kTimestampMicros)) return Timestamp(v, TimeUnit::kMicros, true);
      if (has_ct(ConvertedType::kTimestampMillis)) return Timestamp(v, TimeUnit::kMillis, true);
      if (kind == LogicalType::kTime) return TimeOfDay(v, lt->unit);
      if (has_ct(ConvertedType::kTimeMicros)) return TimeOfDay(v, TimeUnit::kMicros);
      if (is_unsigned) {
        const auto u = static_cast<uint64_t>(v);
        return {std::to_string(u), Json(u)};
      }
      return {std::to_string(v), Json(v)};
    }
    case PhysicalType::kInt96: {
      // Legacy timestamps: nanoseconds of the day, then the Julian day number.
      if (raw.size() != 12) return invalid(12);
      const int64_t nanos = LoadLE<int64_t>(raw);
      const int64_t julian = LoadLE<int32_t>(raw.substr(8));
      constexpr int64_t kJulianEpoch = 2440588;  // 1970-01-01
      const int64_t days = julian - kJulianEpoch;
      // Past about 250,000 years the microseconds no longer fit an int64.
      if (nanos < 0 || nanos >= 86400LL * 1000000000 || days > 100000000 || days < -100000000) {
        return Text(TruncatedHex(raw));
      }
      const int64_t micros = days * 86400LL * 1000000 + nanos / 1000;
      return Timestamp(micros, TimeUnit::kMicros, false);
    }
    case PhysicalType::kFloat:
      if (raw.size() != 4) return invalid(4);
      return FloatingPoint(LoadLE<float>(raw));
    case PhysicalType::kDouble:
      if (raw.size() != 8) return invalid(8);
      return FloatingPoint(LoadLE<double>(raw));
    case PhysicalType::kByteArray:
    case PhysicalType::kFixedLenByteArray: {
      if (is_decimal) {
        __int128 unscaled;
        if (BigEndianInt128(raw, &unscaled)) return Decimal(unscaled, scale);
        return Text(TruncatedHex(raw));
      }
      if (kind == LogicalType::kUuid && raw.size() == 16) return Text(UuidText(raw));
      if (static_cast<int32_t>(kind) == 15 && raw.size() == 2) {  // FLOAT16
        return FloatingPoint(HalfToFloat(LoadLE<uint16_t>(raw)));
      }
      const bool text = kind == LogicalType::kString || kind == LogicalType::kJson ||
                        kind == LogicalType::kEnum || has_ct(ConvertedType::kUtf8) ||
                        has_ct(ConvertedType::kJson) || has_ct(ConvertedType::kEnum);
      if (text && IsUtf8(raw)) {
        std::string s = TruncateUtf8(raw, kMaxStringBytes);
        return {Quoted(s), Json(s)};
      }
      return Text(TruncatedHex(raw));
    }
  }
  return Text(TruncatedHex(raw));
}

// --- The report, built once as JSON and printed either as JSON or as text ---

Json SchemaNodeJson(const std::vector<SchemaElement>& schema, size_t* index) {
  const SchemaElement& e = schema[(*index)++];
  Json j;
  j["name"] = e.name;
  if (e.repetition_type) j["repetition"] = RepetitionName(*e.repetition_type);
  if (e.type) j["physical_type"] = EnumName(parquet::PhysicalTypeName(*e.type), *e.type);
  if (e.type_length) j["type_length"] = *e.type_length;
  if (e.logical_type) j["logical_type"] = LogicalTypeJson(*e.logical_type);
  if (e.converted_type) j["converted_type"] = ConvertedTypeText(e);
  if (e.scale) j["scale"] = *e.scale;
  if (e.precision) j["precision"] = *e.precision;
  if (e.field_id) j["field_id"] = *e.field_id;
  const bool group = e.num_children && (*e.num_children > 0 || !e.type);
  if (group) {
    Json children = Json::array();
    // The reader validated the tree, so the children are there.
    for (int32_t i = 0; i < *e.num_children; ++i) children.push_back(SchemaNodeJson(schema, index));
    j["children"] = std::move(children);
  }
  return j;
}

Json StatisticsJson(const SchemaElement& leaf, const Statistics& s, std::string* text) {
  Json j;
  std::vector<std::string> parts;
  auto value = [&](const char* name, const std::optional<std::string>& v) {
    if (!v) return;
    Decoded d = DecodeStat(leaf, *v);
    j[name] = std::move(d.json);
    parts.push_back(fmt::format("{}={}", name, d.text));
  };
  auto count = [&](const char* name, const std::optional<int64_t>& v) {
    if (!v) return;
    j[name] = *v;
    parts.push_back(fmt::format("{}={}", name, *v));
  };
  value("min", s.min_value);
  value("max", s.max_value);
  // The deprecated fields, when the new ones are absent (older writers).
  if (!s.min_value) value("min_deprecated", s.min);
  if (!s.max_value) value("max_deprecated", s.max);
  count("null_count", s.null_count);
  count("nan_count", s.nan_count);
  count("distinct_count", s.distinct_count);
  if (s.is_min_value_exact) j["is_min_value_exact"] = *s.is_min_value_exact;
  if (s.is_max_value_exact) j["is_max_value_exact"] = *s.is_max_value_exact;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) *text += ' ';
    *text += parts[i];
  }
  return j;
}

// Counts the pages of a chunk by (page type, encoding), in order of first appearance.
Json PagesJson(const std::vector<PageInfo>& pages, std::string* text) {
  std::vector<std::pair<std::pair<std::string, std::string>, int64_t>> counts;
  int64_t values = 0;
  for (const PageInfo& p : pages) {
    std::string encoding = "-";
    const auto& h = p.header;
    if (h.data_page_header) {
      encoding = EnumName(parquet::EncodingName(h.data_page_header->encoding),
                          h.data_page_header->encoding);
      values += h.data_page_header->num_values;
    } else if (h.data_page_header_v2) {
      encoding = EnumName(parquet::EncodingName(h.data_page_header_v2->encoding),
                          h.data_page_header_v2->encoding);
      values += h.data_page_header_v2->num_values;
    } else if (h.dictionary_page_header) {
      encoding = EnumName(parquet::EncodingName(h.dictionary_page_header->encoding),
                          h.dictionary_page_header->encoding);
    }
    std::pair<std::string, std::string> key{EnumName(PageTypeName(h.type), h.type), encoding};
    auto it = std::find_if(counts.begin(), counts.end(),
                           [&](const auto& entry) { return entry.first == key; });
    if (it == counts.end()) {
      counts.push_back({std::move(key), 1});
    } else {
      ++it->second;
    }
  }
  Json j;
  j["count"] = pages.size();
  j["data_page_values"] = values;
  Json by = Json::array();
  *text = fmt::format("{} page{}", pages.size(), pages.size() == 1 ? "" : "s");
  std::string sep = ": ";
  for (const auto& [key, n] : counts) {
    by.push_back({{"page_type", key.first}, {"encoding", key.second}, {"count", n}});
    *text += fmt::format("{}{} {} {}", sep, n, key.first, key.second);
    sep = ", ";
  }
  j["by_type_and_encoding"] = std::move(by);
  return j;
}

struct Report {
  Json json;
  std::string text;
  bool page_errors = false;
};

void Line(std::string* out, int indent, std::string_view s) {
  out->append(static_cast<size_t>(indent) * 2, ' ');
  out->append(s);
  out->push_back('\n');
}

void SchemaText(const std::vector<SchemaElement>& schema, size_t* index, int indent,
                std::string* out) {
  const SchemaElement& e = schema[(*index)++];
  const bool group = e.num_children && (*e.num_children > 0 || !e.type);
  std::string s = e.name + ":";
  if (e.repetition_type) s += " " + RepetitionName(*e.repetition_type);
  s += group ? " group" : " " + PhysicalTypeText(e);
  if (e.logical_type) s += " " + LogicalTypeName(*e.logical_type);
  if (e.converted_type) s += " (" + ConvertedTypeText(e) + ")";
  if (e.field_id) s += fmt::format(" id={}", *e.field_id);
  Line(out, indent, s);
  if (group) {
    for (int32_t i = 0; i < *e.num_children; ++i) SchemaText(schema, index, indent + 1, out);
  }
}

Report BuildReport(const ParquetFileReader& reader) {
  const FileMetaData& md = reader.metadata();
  Report rep;
  Json& j = rep.json;
  std::string& t = rep.text;

  j["file"] = reader.path();
  j["file_size"] = reader.file_size();
  j["footer_size"] = reader.footer_size();
  j["created_by"] = md.created_by ? Json(*md.created_by) : Json();
  j["version"] = md.version;
  j["num_rows"] = md.num_rows;
  j["num_row_groups"] = md.row_groups.size();
  Line(&t, 0, fmt::format("file: {}", reader.path()));
  Line(&t, 0,
       fmt::format("size: {} bytes (footer {} bytes)", reader.file_size(), reader.footer_size()));
  Line(&t, 0, fmt::format("created_by: {}", md.created_by ? Quoted(*md.created_by) : "-"));
  Line(&t, 0, fmt::format("version: {}", md.version));
  Line(&t, 0, fmt::format("rows: {}", md.num_rows));
  Line(&t, 0, fmt::format("row groups: {}", md.row_groups.size()));

  Json kvs = Json::array();
  if (!md.key_value_metadata.empty()) Line(&t, 0, "key/value metadata:");
  for (const auto& kv : md.key_value_metadata) {
    kvs.push_back({{"key", kv.key}, {"value", kv.value ? Json(*kv.value) : Json()}});
    Line(&t, 1,
         fmt::format("{} = {}", Quoted(kv.key),
                     kv.value ? Quoted(TruncateUtf8(*kv.value, kMaxMetadataValueBytes)) : "null"));
  }
  j["key_value_metadata"] = std::move(kvs);
  j["column_orders"] = md.num_type_defined_column_orders;
  Line(&t, 0,
       fmt::format("column orders: {} TYPE_DEFINED_ORDER", md.num_type_defined_column_orders));

  size_t index = 0;
  j["schema"] = SchemaNodeJson(md.schema, &index);
  Line(&t, 0, "schema:");
  index = 0;
  SchemaText(md.schema, &index, 1, &t);

  Json leaves = Json::array();
  for (const auto& leaf : reader.leaf_columns()) {
    leaves.push_back({{"path", leaf.path},
                      {"max_definition_level", leaf.max_definition_level},
                      {"max_repetition_level", leaf.max_repetition_level}});
  }
  j["leaf_columns"] = std::move(leaves);

  Json groups = Json::array();
  for (size_t g = 0; g < md.row_groups.size(); ++g) {
    const auto& rg = md.row_groups[g];
    Json gj;
    gj["num_rows"] = rg.num_rows;
    gj["total_byte_size"] = rg.total_byte_size;
    if (rg.total_compressed_size) gj["total_compressed_size"] = *rg.total_compressed_size;
    if (rg.file_offset) gj["file_offset"] = *rg.file_offset;
    if (rg.ordinal) gj["ordinal"] = *rg.ordinal;
    std::string head =
        fmt::format("row group {}: rows={} total_byte_size={}", g, rg.num_rows, rg.total_byte_size);
    if (rg.total_compressed_size) head += fmt::format(" compressed={}", *rg.total_compressed_size);
    if (rg.file_offset) head += fmt::format(" file_offset={}", *rg.file_offset);
    Line(&t, 0, head);

    Json cols = Json::array();
    for (size_t c = 0; c < rg.columns.size(); ++c) {
      const auto& chunk = rg.columns[c];
      const auto& leaf = reader.leaf_columns()[c];
      const SchemaElement& elem = md.schema[static_cast<size_t>(leaf.schema_index)];
      Json cj;
      cj["path"] = leaf.path;
      if (chunk.file_path) cj["file_path"] = *chunk.file_path;
      if (!chunk.meta_data) {
        cj["meta_data"] = nullptr;
        Line(&t, 1, fmt::format("column {} {}: no metadata", c, leaf.path));
        cols.push_back(std::move(cj));
        continue;
      }
      const ColumnMetaData& m = *chunk.meta_data;
      const std::string type = EnumName(parquet::PhysicalTypeName(m.type), m.type);
      const std::string codec = EnumName(parquet::CodecName(m.codec), m.codec);
      Json encs = Json::array();
      std::string enc_text;
      for (auto e : m.encodings) {
        std::string name = EnumName(parquet::EncodingName(e), e);
        enc_text += (enc_text.empty() ? "" : ",") + name;
        encs.push_back(std::move(name));
      }
      cj["physical_type"] = type;
      cj["encodings"] = std::move(encs);
      cj["codec"] = codec;
      cj["num_values"] = m.num_values;
      cj["total_compressed_size"] = m.total_compressed_size;
      cj["total_uncompressed_size"] = m.total_uncompressed_size;
      cj["data_page_offset"] = m.data_page_offset;
      if (m.dictionary_page_offset) cj["dictionary_page_offset"] = *m.dictionary_page_offset;
      if (m.index_page_offset) cj["index_page_offset"] = *m.index_page_offset;
      std::string logical = elem.logical_type ? " " + LogicalTypeName(*elem.logical_type) : "";
      Line(&t, 1,
           fmt::format("column {} {}: {}{} {} encodings={}", c, leaf.path, type, logical, codec,
                       enc_text));
      std::string sizes =
          fmt::format("values={} compressed={} uncompressed={} data_page_offset={}", m.num_values,
                      m.total_compressed_size, m.total_uncompressed_size, m.data_page_offset);
      if (m.dictionary_page_offset) {
        sizes += fmt::format(" dictionary_page_offset={}", *m.dictionary_page_offset);
      }
      Line(&t, 2, sizes);
      if (m.statistics) {
        std::string st;
        cj["statistics"] = StatisticsJson(elem, *m.statistics, &st);
        Line(&t, 2, "statistics: " + (st.empty() ? std::string("(empty)") : st));
      }
      if (!m.encoding_stats.empty()) {
        Json es = Json::array();
        for (const auto& s : m.encoding_stats) {
          es.push_back({{"page_type", EnumName(PageTypeName(s.page_type), s.page_type)},
                        {"encoding", EnumName(parquet::EncodingName(s.encoding), s.encoding)},
                        {"count", s.count}});
        }
        cj["encoding_stats"] = std::move(es);
      }
      auto pages = reader.ReadPageHeaders(static_cast<int>(g), static_cast<int>(c));
      if (pages.ok()) {
        std::string pt;
        cj["pages"] = PagesJson(*pages, &pt);
        Line(&t, 2, "pages: " + pt);
      } else {
        // A chunk stored elsewhere or encrypted is a limit of this reader, not a broken file.
        if (pages.status().code() != StatusCode::kNotImplemented) rep.page_errors = true;
        cj["pages"] = {{"error", pages.status().ToString()}};
        Line(&t, 2, "pages: " + pages.status().ToString());
      }
      cols.push_back(std::move(cj));
    }
    gj["columns"] = std::move(cols);
    groups.push_back(std::move(gj));
  }
  j["row_groups"] = std::move(groups);
  return rep;
}

}  // namespace

int RunParquetInspect(const std::string& path, bool json) {
  LocalFileIO io;
  auto reader = ParquetFileReader::Open(&io, path);
  if (!reader.ok()) {
    std::fprintf(stderr, "nilus parquet inspect: %s\n", reader.status().ToString().c_str());
    return 1;
  }
  Report rep = BuildReport(**reader);
  if (json) {
    // Replace invalid UTF-8 (binary key/value metadata) instead of failing the dump.
    const std::string out = rep.json.dump(2, ' ', false, Json::error_handler_t::replace);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fputc('\n', stdout);
  } else {
    std::fwrite(rep.text.data(), 1, rep.text.size(), stdout);
  }
  std::fflush(stdout);
  if (rep.page_errors) {
    std::fprintf(stderr, "nilus parquet inspect: %s: some column chunks have unreadable pages\n",
                 path.c_str());
    return 1;
  }
  return 0;
}

}  // namespace nilus::cli
