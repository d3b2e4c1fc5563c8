// Iceberg single-value binary serialization (spec Appendix D), used for the lower_bounds and
// upper_bounds maps of manifests, and the truncation of string/binary bounds for metrics.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/value.h"

namespace nilus::iceberg {

// Serializes a non-null primitive value: boolean as one byte (0/1); int, date, float as 4 bytes
// little-endian; long, time, timestamps, double as 8 bytes little-endian; string, binary, fixed
// as their raw bytes; uuid as its 16 big-endian bytes; decimal as its unscaled value in minimal
// big-endian two's complement. Errors: TypeError for nested types, nulls, or a value whose
// variant does not match its type.
Result<std::string> ToBinary(const Value& value);

// The inverse of ToBinary. As the spec allows after type promotion, a long accepts 4 bytes (an
// int) and a double accepts 4 bytes (a float). Errors: Invalid for a wrong length, TypeError
// for nested types.
Result<Value> FromBinary(const TypePtr& type, std::string_view bytes);

// The unscaled decimal in the fewest big-endian two's-complement bytes that keep its sign
// (1420 -> 05 8C, -1 -> FF, 0 -> 00). Also the bytes the bucket transform hashes.
std::string DecimalToMinimalBytes(__int128 unscaled);
// Reads 1..16 big-endian two's-complement bytes. Errors: Invalid for 0 or more than 16 bytes.
Result<__int128> DecimalFromBytes(std::string_view bytes);

// Default width of truncated string/binary bounds (Iceberg's "truncate(16)" metrics mode).
inline constexpr int kDefaultBoundWidth = 16;

// The first `code_points` code points of UTF-8 text (all of it if shorter). Errors: Invalid if
// the text is not well-formed UTF-8 within the part that is read.
Result<std::string_view> TruncateUtf8(std::string_view text, int code_points);
// The smallest string of at most `code_points` code points that is >= every string starting
// with `text`'s prefix: the prefix with its last incrementable code point incremented (the
// surrogate range is skipped) and what follows dropped. nullopt when no such bound exists
// (every kept code point is U+10FFFF). Text of at most `code_points` code points is returned
// unchanged.
Result<std::optional<std::string>> TruncateUtf8Upper(std::string_view text, int code_points);
// Bytes: the first `width` bytes with the last byte < 0xFF incremented and later bytes dropped;
// nullopt if all kept bytes are 0xFF. Input of at most `width` bytes is returned unchanged.
std::optional<std::string> TruncateBinaryUpper(std::string_view bytes, int width);

// Lower bound for metrics: strings keep their first `width` code points, binary its first
// `width` bytes; other types are returned unchanged. Errors: Invalid for malformed UTF-8 or a
// width < 1.
Result<Value> TruncateLowerBound(const Value& value, int width = kDefaultBoundWidth);
// Upper bound for metrics, rounded up as described above; nullopt means "no upper bound" (the
// caller must then omit it). Other types are returned unchanged.
Result<std::optional<Value>> TruncateUpperBound(const Value& value, int width = kDefaultBoundWidth);

}  // namespace nilus::iceberg
