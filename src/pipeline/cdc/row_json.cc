#include "pipeline/cdc/row_json.h"

#include <fmt/format.h>

#include <cmath>

#include "core/value.h"

namespace nilus::pipeline {

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20) {
          fmt::format_to(std::back_inserter(*out), "\\u{:04x}", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

namespace {

template <typename T>
void AppendFloating(T v, std::string* out) {
  if (std::isnan(v)) {
    out->append("\"NaN\"");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    // fmt's shortest round-trip form; "1e+20" and "0.5" are valid JSON numbers.
    fmt::format_to(std::back_inserter(*out), "{}", v);
  }
}

void AppendUuid(std::string_view b, std::string* out) {
  static const char* kHex = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out->push_back('-');
    const auto c = static_cast<unsigned char>(b[i]);
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 15]);
  }
  out->push_back('"');
}

}  // namespace

void AppendValueJson(const Column& col, int64_t i, std::string* out) {
  if (col.IsNull(i)) {
    out->append("null");
    return;
  }
  const Type& t = col.type_ref();
  switch (t.id()) {
    case TypeId::kBoolean:
      out->append(col.Value<uint8_t>(i) ? "true" : "false");
      return;
    case TypeId::kInt:
      fmt::format_to(std::back_inserter(*out), "{}", col.Value<int32_t>(i));
      return;
    case TypeId::kLong:
      fmt::format_to(std::back_inserter(*out), "{}", col.Value<int64_t>(i));
      return;
    case TypeId::kFloat:
      AppendFloating(col.Value<float>(i), out);
      return;
    case TypeId::kDouble:
      AppendFloating(col.Value<double>(i), out);
      return;
    case TypeId::kDecimal:
      out->append(DecimalToString(col.Value<__int128>(i), t.scale()));
      return;
    case TypeId::kDate:
      AppendJsonString(DateToString(col.Value<int32_t>(i)), out);
      return;
    case TypeId::kTime:
      AppendJsonString(TimeToString(col.Value<int64_t>(i)), out);
      return;
    case TypeId::kTimestamp:
      AppendJsonString(TimestampToString(col.Value<int64_t>(i)), out);
      return;
    case TypeId::kTimestampTz:
      AppendJsonString(TimestampToString(col.Value<int64_t>(i)) + "Z", out);
      return;
    case TypeId::kString:
      AppendJsonString(col.Bytes(i), out);
      return;
    case TypeId::kUuid:
      AppendUuid(col.Bytes(i), out);
      return;
    case TypeId::kFixed:
    case TypeId::kBinary:
      AppendJsonString("\\x" + HexEncode(col.Bytes(i)), out);
      return;
    case TypeId::kList: {
      const int64_t* off = col.offsets();
      out->push_back('[');
      for (int64_t e = off[i]; e < off[i + 1]; ++e) {
        if (e > off[i]) out->push_back(',');
        AppendValueJson(col.child(0), e, out);
      }
      out->push_back(']');
      return;
    }
    case TypeId::kMap: {
      const int64_t* off = col.offsets();
      out->push_back('[');
      for (int64_t e = off[i]; e < off[i + 1]; ++e) {
        if (e > off[i]) out->push_back(',');
        out->append("{\"key\":");
        AppendValueJson(col.child(0), e, out);
        out->append(",\"value\":");
        AppendValueJson(col.child(1), e, out);
        out->push_back('}');
      }
      out->push_back(']');
      return;
    }
    case TypeId::kStruct: {
      out->push_back('{');
      for (int f = 0; f < col.num_children(); ++f) {
        if (f > 0) out->push_back(',');
        AppendJsonString(t.fields()[f].name, out);
        out->push_back(':');
        AppendValueJson(col.child(f), i, out);
      }
      out->push_back('}');
      return;
    }
  }
  out->append("null");
}

void AppendRowJson(const ColumnBatch& batch, int64_t row, const std::vector<int>& columns,
                   std::string* out) {
  out->push_back('{');
  const auto& fields = batch.schema()->fields();
  bool first = true;
  auto one = [&](int c) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(fields[c].name, out);
    out->push_back(':');
    AppendValueJson(batch.column(c), row, out);
  };
  if (columns.empty()) {
    for (int c = 0; c < batch.num_columns(); ++c) one(c);
  } else {
    for (int c : columns) one(c);
  }
  out->push_back('}');
}

}  // namespace nilus::pipeline
