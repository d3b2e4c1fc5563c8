// Parsing untyped text (CSV cells, JSON strings) into Iceberg values, and inferring the type of
// a text value. Used by the Normalizer; exposed for tests and for other text sources.
//
// Accepted spellings (strict, so that inference does not mistake free text for data):
//   boolean    true / false, any letter case
//   long       [+-]digits, within int64
//   double     [+-]digits[.digits][e[+-]digits] or [+-].digits...; "nan", "inf" and
//              "infinity" (any case) only when parsing into a double column, never inferred
//   decimal    [+-]digits[.digits]; more fraction digits than the scale fail unless they are 0
//   date       YYYY-MM-DD
//   time       HH:MM[:SS[.fraction]]
//   timestamp  YYYY-MM-DD('T'|' ')HH:MM[:SS[.fraction]]; the fraction keeps microseconds
//              (digits beyond the sixth are truncated)
//   timestamptz  a timestamp followed by 'Z' or an offset +HH, +HHMM or +HH:MM; stored in UTC
//   uuid       8-4-4-4-12 hex digits
// Every function returns false (and leaves *out unspecified) when the text does not match.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nilus::normalize {

bool ParseBoolText(std::string_view s, bool* out);
bool ParseLongText(std::string_view s, int64_t* out);
bool ParseDoubleText(std::string_view s, double* out);
// `scale` digits after the point; fails when the unscaled value needs more than `precision`
// digits.
bool ParseDecimalText(std::string_view s, int precision, int scale, __int128* out);
bool ParseDateText(std::string_view s, int32_t* days);
bool ParseTimeText(std::string_view s, int64_t* micros);
// Without a zone only (into a timestamp column).
bool ParseTimestampText(std::string_view s, int64_t* micros);
// With a zone only (into a timestamptz column); the result is UTC.
bool ParseTimestampTzText(std::string_view s, int64_t* micros);
// 16 big-endian bytes.
bool ParseUuidText(std::string_view s, std::string* bytes);

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

// The type a text value is inferred as, in this order: boolean, long, decimal(38,0) (an
// integer too large for long), double, date, timestamp, timestamptz, else string. An integer
// with a leading zero ("007") stays a string, so that codes keep their zeros.
enum class TextKind : uint8_t {
  kBool,
  kLong,
  kBigInteger,
  kDouble,
  kDate,
  kTimestamp,
  kTimestampTz,
  kString
};
TextKind InferTextKind(std::string_view s);

}  // namespace nilus::normalize
