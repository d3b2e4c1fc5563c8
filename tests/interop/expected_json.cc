#include "expected_json.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstring>

namespace nilus::interop {

namespace {

std::string Hex(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string FloatingToString(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  return buf;
}

// Written here rather than taken from core so that the expectation does not share code with
// what the writer may use.
std::string Int128ToString(__int128 v) {
  bool negative = v < 0;
  unsigned __int128 mag =
      negative ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(mag % 10)));
    mag /= 10;
  } while (mag != 0);
  return negative ? "-" + digits : digits;
}

std::string DecimalString(__int128 unscaled, int scale) {
  std::string s = Int128ToString(unscaled < 0 ? -unscaled : unscaled);
  if (scale > 0) {
    if (s.size() <= static_cast<size_t>(scale)) s.insert(0, scale + 1 - s.size(), '0');
    s.insert(s.size() - scale, ".");
  }
  return unscaled < 0 ? "-" + s : s;
}

std::string PrimitiveName(const Type& type) {
  switch (type.id()) {
    case TypeId::kBoolean:
      return "boolean";
    case TypeId::kInt:
      return "int";
    case TypeId::kLong:
      return "long";
    case TypeId::kFloat:
      return "float";
    case TypeId::kDouble:
      return "double";
    case TypeId::kDecimal:
      return fmt::format("decimal({}, {})", type.precision(), type.scale());
    case TypeId::kDate:
      return "date";
    case TypeId::kTime:
      return "time";
    case TypeId::kTimestamp:
      return "timestamp";
    case TypeId::kTimestampTz:
      return "timestamptz";
    case TypeId::kString:
      return "string";
    case TypeId::kUuid:
      return "uuid";
    case TypeId::kFixed:
      return fmt::format("fixed[{}]", type.fixed_length());
    case TypeId::kBinary:
      return "binary";
    default:
      return "?";
  }
}

Json FieldToJson(const NestedField& f) {
  Json j;
  j["id"] = f.id;
  j["name"] = f.name;
  j["required"] = f.required;
  j["type"] = TypeToJson(*f.type);
  return j;
}

const char* CompressionName(parquet::Compression c) {
  switch (c) {
    case parquet::Compression::kNone:
      return "UNCOMPRESSED";
    case parquet::Compression::kSnappy:
      return "SNAPPY";
    case parquet::Compression::kZstd:
      return "ZSTD";
  }
  return "?";
}

Json BoundToJson(const std::optional<Value>& v) {
  if (!v || v->is_null()) return nullptr;
  const Type& t = *v->type;
  switch (t.id()) {
    case TypeId::kBoolean:
      return v->get<bool>();
    case TypeId::kInt:
    case TypeId::kDate:
      return v->get<int32_t>();
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return std::to_string(v->get<int64_t>());
    case TypeId::kFloat:
      return FloatingToString(v->get<float>());
    case TypeId::kDouble:
      return FloatingToString(v->get<double>());
    case TypeId::kDecimal:
      return DecimalString(v->get<__int128>(), t.scale());
    case TypeId::kString: {
      // A truncated bound may not be valid UTF-8 if the writer has a bug: keep it as hex too.
      Json j = Json::object();
      j["hex"] = Hex(v->get<std::string>());
      return j;
    }
    default:
      return Hex(v->get<std::string>());
  }
}

}  // namespace

Json TypeToJson(const Type& type) {
  switch (type.id()) {
    case TypeId::kStruct: {
      Json j;
      j["type"] = "struct";
      j["fields"] = Json::array();
      for (const auto& f : type.fields()) j["fields"].push_back(FieldToJson(f));
      return j;
    }
    case TypeId::kList: {
      Json j;
      j["type"] = "list";
      j["element-id"] = type.element().id;
      j["element-required"] = type.element().required;
      j["element"] = TypeToJson(*type.element().type);
      return j;
    }
    case TypeId::kMap: {
      Json j;
      j["type"] = "map";
      j["key-id"] = type.key().id;
      j["key"] = TypeToJson(*type.key().type);
      j["value-id"] = type.value().id;
      j["value-required"] = type.value().required;
      j["value"] = TypeToJson(*type.value().type);
      return j;
    }
    default:
      return PrimitiveName(type);
  }
}

Json SchemaToJson(const Schema& schema) {
  Json j;
  j["type"] = "struct";
  j["schema-id"] = schema.schema_id();
  j["fields"] = Json::array();
  for (const auto& f : schema.fields()) j["fields"].push_back(FieldToJson(f));
  return j;
}

Json ValueToJson(const Column& column, int64_t row) {
  if (column.IsNull(row)) return nullptr;
  const Type& type = column.type_ref();
  switch (type.id()) {
    case TypeId::kBoolean:
      return column.Value<uint8_t>(row) != 0;
    case TypeId::kInt:
    case TypeId::kDate:
      return column.Value<int32_t>(row);
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return std::to_string(column.Value<int64_t>(row));
    case TypeId::kFloat:
      return FloatingToString(column.Value<float>(row));
    case TypeId::kDouble:
      return FloatingToString(column.Value<double>(row));
    case TypeId::kDecimal: {
      __int128 v;
      std::memcpy(&v, column.value_buffer().data() + row * 16, 16);
      return DecimalString(v, type.scale());
    }
    case TypeId::kString:
      return std::string(column.Bytes(row));
    case TypeId::kUuid:
    case TypeId::kFixed:
    case TypeId::kBinary:
      return Hex(column.Bytes(row));
    case TypeId::kList: {
      Json arr = Json::array();
      for (int64_t i = column.offsets()[row]; i < column.offsets()[row + 1]; ++i) {
        arr.push_back(ValueToJson(column.child(0), i));
      }
      return arr;
    }
    case TypeId::kMap: {
      Json arr = Json::array();
      for (int64_t i = column.offsets()[row]; i < column.offsets()[row + 1]; ++i) {
        arr.push_back(
            Json::array({ValueToJson(column.child(0), i), ValueToJson(column.child(1), i)}));
      }
      return arr;
    }
    case TypeId::kStruct: {
      Json obj = Json::object();
      for (int i = 0; i < column.num_children(); ++i) {
        obj[type.fields()[i].name] = ValueToJson(column.child(i), row);
      }
      return obj;
    }
  }
  return nullptr;
}

Json OptionsToJson(const parquet::ParquetWriterOptions& o) {
  Json j;
  j["compression"] = CompressionName(o.compression);
  j["zstd_level"] = o.zstd_level;
  j["row_group_max_bytes"] = o.row_group_max_bytes;
  j["row_group_max_rows"] = o.row_group_max_rows;
  j["page_max_bytes"] = o.page_max_bytes;
  j["page_max_rows"] = o.page_max_rows;
  j["dictionary_enabled"] = o.dictionary_enabled;
  j["dictionary_max_bytes"] = o.dictionary_max_bytes;
  j["max_statistics_bytes"] = o.max_statistics_bytes;
  j["created_by"] = o.created_by;
  Json kv = Json::array();
  for (const auto& [k, v] : o.key_value_metadata) kv.push_back(Json::array({k, v}));
  j["key_value_metadata"] = kv;
  return j;
}

Json MetricsToJson(const parquet::ParquetFileMetrics& m) {
  Json j;
  j["file_size"] = m.file_size;
  j["record_count"] = m.record_count;
  j["split_offsets"] = m.split_offsets;
  j["columns"] = Json::array();
  for (const auto& c : m.columns) {
    Json cj;
    cj["field_id"] = c.field_id;
    cj["path"] = c.path;
    cj["compressed_size"] = c.compressed_size;
    cj["value_count"] = c.value_count;
    cj["null_count"] = c.null_count;
    cj["nan_count"] = c.nan_count ? Json(*c.nan_count) : Json(nullptr);
    cj["lower_bound"] = BoundToJson(c.lower_bound);
    cj["upper_bound"] = BoundToJson(c.upper_bound);
    j["columns"].push_back(cj);
  }
  return j;
}

Status WriteFileAndExpected(FileIO* io, const std::string& dir, const FileSpec& spec) {
  const std::string path = dir + "/" + spec.name + ".parquet";
  Json expected;
  expected["file"] = spec.name + ".parquet";
  expected["schema"] = SchemaToJson(*spec.schema);
  expected["options"] = OptionsToJson(spec.options);
  expected["checks"] = spec.checks;
  int64_t num_rows = 0;
  std::vector<int64_t> batch_rows;
  for (const auto& b : spec.batches) {
    NILUS_RETURN_NOT_OK_CTX(b->Validate(), spec.name + ": the test built an invalid batch");
    num_rows += b->num_rows();
    batch_rows.push_back(b->num_rows());
  }
  expected["num_rows"] = num_rows;
  expected["batch_rows"] = batch_rows;
  Json columns = Json::object();
  const auto& fields = spec.schema->fields();
  for (size_t c = 0; c < fields.size(); ++c) {
    Json values = Json::array();
    for (const auto& b : spec.batches) {
      for (int64_t r = 0; r < b->num_rows(); ++r) values.push_back(ValueToJson(b->column(c), r));
    }
    columns[fields[c].name] = std::move(values);
  }
  expected["columns"] = std::move(columns);

  // Alternate the two Write overloads so both stay covered.
  NILUS_ASSIGN_OR_RAISE(auto writer,
                        parquet::ParquetWriter::Open(io, path, spec.schema, spec.options));
  for (size_t i = 0; i < spec.batches.size(); ++i) {
    Status st = i % 2 == 0 ? writer->Write(*spec.batches[i]) : writer->Write(spec.batches[i]);
    NILUS_RETURN_NOT_OK_CTX(st, fmt::format("{}: Write of batch {}", spec.name, i));
  }
  auto metrics = writer->Close();
  NILUS_RETURN_NOT_OK_CTX(metrics.status(), spec.name + ": Close");
  expected["writer_metrics"] = MetricsToJson(*metrics);

  std::string text;
  try {
    text = expected.dump(1);
  } catch (const std::exception& e) {
    return Status::Internal(spec.name + ": cannot serialize the expected values: " + e.what());
  }
  return io->WriteFile(dir + "/" + spec.name + ".expected.json", text);
}

}  // namespace nilus::interop
