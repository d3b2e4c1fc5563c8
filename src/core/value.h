// Value: one typed scalar, e.g. a column's lower or upper bound. Holds its type's physical
// representation: bool, int32 (int, date), int64 (long, time, timestamps), float, double,
// __int128 (decimal unscaled), or bytes (string, binary, uuid, fixed).
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "core/types.h"

namespace nilus {

struct Value {
  TypePtr type;
  std::variant<std::monostate, bool, int32_t, int64_t, float, double, __int128, std::string> v;

  bool is_null() const { return std::holds_alternative<std::monostate>(v); }
  template <typename T>
  const T& get() const {
    return std::get<T>(v);
  }
  // Human-readable: dates as YYYY-MM-DD, timestamps as ISO 8601, decimals with their scale,
  // binary as hex, strings as-is.
  std::string ToString() const;
};

// Formats an unscaled decimal with the given scale, e.g. (12345, 2) -> "123.45".
std::string DecimalToString(__int128 unscaled, int scale);
// Days since 1970-01-01 -> "YYYY-MM-DD" (proleptic Gregorian; years may be < 1000 or > 9999).
std::string DateToString(int32_t days);
// Microseconds since epoch -> "YYYY-MM-DDTHH:MM:SS.ffffff".
std::string TimestampToString(int64_t micros);
// Microseconds since midnight -> "HH:MM:SS.ffffff".
std::string TimeToString(int64_t micros);
std::string HexEncode(std::string_view bytes);

}  // namespace nilus
