#include "iceberg/conversions.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace nilus::iceberg {
namespace {

void PutLE(std::string* out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLE(std::string_view b) {
  uint64_t v = 0;
  for (size_t i = 0; i < b.size(); ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(b[i])) << (8 * i);
  return v;
}

Status WrongLength(const Type& type, size_t got) {
  return Status::Invalid("single-value bytes for " + type.ToString() + " have wrong length " +
                         std::to_string(got));
}

// Decodes one UTF-8 sequence at text[pos]; returns its byte length (0 if malformed) and sets
// *cp. Rejects overlong forms, surrogates and values above U+10FFFF.
int DecodeUtf8(std::string_view text, size_t pos, uint32_t* cp) {
  const auto b0 = static_cast<uint8_t>(text[pos]);
  int len;
  uint32_t c;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  } else if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    c = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    c = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    c = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (pos + len > text.size()) return 0;
  for (int i = 1; i < len; ++i) {
    const auto b = static_cast<uint8_t>(text[pos + i]);
    if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
    c = (c << 6) | (b & 0x3F);
  }
  *cp = c;
  return len;
}

void EncodeUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

struct CodePointAt {
  size_t offset;
  uint32_t cp;
};

// Decodes at most max_count code points from the start of text.
Result<std::vector<CodePointAt>> DecodePrefix(std::string_view text, size_t max_count) {
  std::vector<CodePointAt> cps;
  size_t pos = 0;
  while (pos < text.size() && cps.size() < max_count) {
    uint32_t cp = 0;
    const int len = DecodeUtf8(text, pos, &cp);
    if (len == 0) {
      return Status::Invalid("malformed UTF-8 at byte " + std::to_string(pos));
    }
    cps.push_back({pos, cp});
    pos += len;
  }
  return cps;
}

Status CheckWidth(int width) {
  if (width < 1)
    return Status::Invalid("truncation width must be >= 1, got " + std::to_string(width));
  return Status::OK();
}

bool IsBytesType(TypeId id) { return id == TypeId::kString || id == TypeId::kBinary; }

}  // namespace

std::string DecimalToMinimalBytes(__int128 unscaled) {
  const auto u = static_cast<unsigned __int128>(unscaled);
  // Drop leading bytes while they only repeat the sign of the byte after them.
  int n = 16;
  while (n > 1) {
    const auto top = static_cast<uint8_t>(u >> (8 * (n - 1)));
    const auto next = static_cast<uint8_t>(u >> (8 * (n - 2)));
    const bool redundant = (top == 0x00 && (next & 0x80) == 0) || (top == 0xFF && (next & 0x80));
    if (!redundant) break;
    --n;
  }
  std::string out;
  out.reserve(n);
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  return out;
}

Result<__int128> DecimalFromBytes(std::string_view bytes) {
  if (bytes.empty() || bytes.size() > 16) {
    return Status::Invalid("decimal bytes must be 1..16 long, got " + std::to_string(bytes.size()));
  }
  // Sign-extend from the first byte, then shift the rest in.
  unsigned __int128 u =
      (static_cast<uint8_t>(bytes[0]) & 0x80) ? ~static_cast<unsigned __int128>(0) : 0;
  for (char c : bytes) u = (u << 8) | static_cast<uint8_t>(c);
  return static_cast<__int128>(u);
}

Result<std::string> ToBinary(const Value& value) {
  if (!value.type) return Status::TypeError("value without a type");
  const Type& type = *value.type;
  if (value.is_null()) return Status::TypeError("cannot serialize a null " + type.ToString());
  std::string out;
  auto mismatch = [&]() {
    return Status::TypeError("value does not hold the representation of " + type.ToString());
  };
  switch (type.id()) {
    case TypeId::kBoolean:
      if (!std::holds_alternative<bool>(value.v)) return mismatch();
      out.push_back(value.get<bool>() ? 1 : 0);
      return out;
    case TypeId::kInt:
    case TypeId::kDate:
      if (!std::holds_alternative<int32_t>(value.v)) return mismatch();
      PutLE(&out, static_cast<uint32_t>(value.get<int32_t>()), 4);
      return out;
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      if (!std::holds_alternative<int64_t>(value.v)) return mismatch();
      PutLE(&out, static_cast<uint64_t>(value.get<int64_t>()), 8);
      return out;
    case TypeId::kFloat: {
      if (!std::holds_alternative<float>(value.v)) return mismatch();
      uint32_t bits;
      const float f = value.get<float>();
      std::memcpy(&bits, &f, 4);
      PutLE(&out, bits, 4);
      return out;
    }
    case TypeId::kDouble: {
      if (!std::holds_alternative<double>(value.v)) return mismatch();
      uint64_t bits;
      const double d = value.get<double>();
      std::memcpy(&bits, &d, 8);
      PutLE(&out, bits, 8);
      return out;
    }
    case TypeId::kDecimal:
      if (!std::holds_alternative<__int128>(value.v)) return mismatch();
      return DecimalToMinimalBytes(value.get<__int128>());
    case TypeId::kUuid:
    case TypeId::kFixed: {
      if (!std::holds_alternative<std::string>(value.v)) return mismatch();
      const std::string& s = value.get<std::string>();
      if (s.size() != static_cast<size_t>(type.fixed_length())) {
        return Status::Invalid(type.ToString() + " value has " + std::to_string(s.size()) +
                               " bytes");
      }
      return s;
    }
    case TypeId::kString:
    case TypeId::kBinary:
      if (!std::holds_alternative<std::string>(value.v)) return mismatch();
      return value.get<std::string>();
    default:
      return Status::TypeError("no single-value serialization for " + type.ToString());
  }
}

Result<Value> FromBinary(const TypePtr& type, std::string_view bytes) {
  if (!type) return Status::TypeError("no type given");
  Value out{type, {}};
  switch (type->id()) {
    case TypeId::kBoolean:
      if (bytes.size() != 1) return WrongLength(*type, bytes.size());
      out.v = bytes[0] != 0;
      return out;
    case TypeId::kInt:
    case TypeId::kDate:
      if (bytes.size() != 4) return WrongLength(*type, bytes.size());
      out.v = static_cast<int32_t>(static_cast<uint32_t>(GetLE(bytes)));
      return out;
    case TypeId::kLong:
      // A bound written while the column was still an int.
      if (bytes.size() == 4) {
        out.v = static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(GetLE(bytes))));
        return out;
      }
      [[fallthrough]];
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      if (bytes.size() != 8) return WrongLength(*type, bytes.size());
      out.v = static_cast<int64_t>(GetLE(bytes));
      return out;
    case TypeId::kFloat: {
      if (bytes.size() != 4) return WrongLength(*type, bytes.size());
      const auto bits = static_cast<uint32_t>(GetLE(bytes));
      float f;
      std::memcpy(&f, &bits, 4);
      out.v = f;
      return out;
    }
    case TypeId::kDouble: {
      if (bytes.size() == 4) {  // promoted from float
        const auto bits = static_cast<uint32_t>(GetLE(bytes));
        float f;
        std::memcpy(&f, &bits, 4);
        out.v = static_cast<double>(f);
        return out;
      }
      if (bytes.size() != 8) return WrongLength(*type, bytes.size());
      const uint64_t bits = GetLE(bytes);
      double d;
      std::memcpy(&d, &bits, 8);
      out.v = d;
      return out;
    }
    case TypeId::kDecimal: {
      NILUS_ASSIGN_OR_RAISE(__int128 unscaled, DecimalFromBytes(bytes));
      out.v = unscaled;
      return out;
    }
    case TypeId::kUuid:
    case TypeId::kFixed:
      if (bytes.size() != static_cast<size_t>(type->fixed_length())) {
        return WrongLength(*type, bytes.size());
      }
      out.v = std::string(bytes);
      return out;
    case TypeId::kString:
    case TypeId::kBinary:
      out.v = std::string(bytes);
      return out;
    default:
      return Status::TypeError("no single-value serialization for " + type->ToString());
  }
}

Result<std::string_view> TruncateUtf8(std::string_view text, int code_points) {
  NILUS_RETURN_NOT_OK(CheckWidth(code_points));
  NILUS_ASSIGN_OR_RAISE(auto cps, DecodePrefix(text, static_cast<size_t>(code_points) + 1));
  if (cps.size() <= static_cast<size_t>(code_points)) return text;
  return text.substr(0, cps[code_points].offset);
}

Result<std::optional<std::string>> TruncateUtf8Upper(std::string_view text, int code_points) {
  NILUS_RETURN_NOT_OK(CheckWidth(code_points));
  NILUS_ASSIGN_OR_RAISE(auto cps, DecodePrefix(text, static_cast<size_t>(code_points) + 1));
  if (cps.size() <= static_cast<size_t>(code_points)) return std::optional<std::string>(text);
  // UTF-8 byte order equals code point order, so bumping a code point gives a larger string.
  for (int i = code_points - 1; i >= 0; --i) {
    uint32_t next = cps[i].cp + 1;
    if (next >= 0xD800 && next <= 0xDFFF) next = 0xE000;  // surrogates are not encodable
    if (next > 0x10FFFF) continue;
    std::string out(text.substr(0, cps[i].offset));
    EncodeUtf8(next, &out);
    return std::optional<std::string>(std::move(out));
  }
  return std::optional<std::string>();
}

std::optional<std::string> TruncateBinaryUpper(std::string_view bytes, int width) {
  if (width < 1) return std::nullopt;
  if (bytes.size() <= static_cast<size_t>(width)) return std::string(bytes);
  for (int i = width - 1; i >= 0; --i) {
    const auto b = static_cast<uint8_t>(bytes[i]);
    if (b == 0xFF) continue;
    std::string out(bytes.substr(0, i));
    out.push_back(static_cast<char>(b + 1));
    return out;
  }
  return std::nullopt;
}

Result<Value> TruncateLowerBound(const Value& value, int width) {
  NILUS_RETURN_NOT_OK(CheckWidth(width));
  if (!value.type || value.is_null() || !IsBytesType(value.type->id())) return value;
  if (!std::holds_alternative<std::string>(value.v)) {
    return Status::TypeError("value does not hold bytes for " + value.type->ToString());
  }
  const std::string& s = value.get<std::string>();
  if (value.type->id() == TypeId::kBinary) {
    return Value{value.type, s.substr(0, std::min<size_t>(s.size(), width))};
  }
  NILUS_ASSIGN_OR_RAISE(std::string_view prefix, TruncateUtf8(s, width));
  return Value{value.type, std::string(prefix)};
}

Result<std::optional<Value>> TruncateUpperBound(const Value& value, int width) {
  NILUS_RETURN_NOT_OK(CheckWidth(width));
  if (!value.type || value.is_null() || !IsBytesType(value.type->id())) {
    return std::optional<Value>(value);
  }
  if (!std::holds_alternative<std::string>(value.v)) {
    return Status::TypeError("value does not hold bytes for " + value.type->ToString());
  }
  const std::string& s = value.get<std::string>();
  std::optional<std::string> bound;
  if (value.type->id() == TypeId::kBinary) {
    bound = TruncateBinaryUpper(s, width);
  } else {
    NILUS_ASSIGN_OR_RAISE(bound, TruncateUtf8Upper(s, width));
  }
  if (!bound) return std::optional<Value>();
  return std::optional<Value>(Value{value.type, std::move(*bound)});
}

}  // namespace nilus::iceberg
