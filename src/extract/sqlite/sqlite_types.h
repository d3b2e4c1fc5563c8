// SQLite -> Iceberg type mapping, and the value conversions the SQLite reader uses.
//
// SQLite is dynamically typed: a column's declared type only gives it an "affinity", and any
// column may hold a value of any storage class (NULL, INTEGER, REAL, TEXT, BLOB). The mapping
// below turns the declared type into an Iceberg type; the reader then checks every value
// against it (docs/type-mapping.md, "SQLite", has the full table and the policies).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/types.h"

namespace nilus {

// How values of a column are converted. Each kind accepts a documented set of storage classes.
enum class SqliteValueKind : uint8_t {
  kLong,           // INTEGER
  kDouble,         // REAL; INTEGER when exactly representable (|v| <= 2^53)
  kBoolean,        // INTEGER 0/1; TEXT 'true'/'false' (any case)
  kDecimal,        // INTEGER, REAL (shortest round-trip digits), TEXT decimal literal
  kString,         // TEXT (valid UTF-8); INTEGER and REAL rendered as text
  kLenientString,  // like kString, but a BLOB or non-UTF-8 TEXT becomes upper-case hex
  kBinary,         // BLOB; TEXT as its bytes
  kDate,           // TEXT ISO 8601, REAL julian day, INTEGER unix time; must be at midnight
  kTime,           // TEXT HH:MM[:SS[.fff]]
  kTimestamp,      // TEXT ISO 8601 (an offset is applied: stored in UTC), REAL julian day,
                   // INTEGER unix time
  kTimestampTz,    // as kTimestamp; TEXT without an offset is taken as UTC
  kUntyped,        // no declared type: resolved by SqliteTypePolicy::untyped before reading
};

struct SqliteTypePolicy {
  // NUMERIC / DECIMAL without a precision (and DECIMAL(p,s) with p > 38).
  enum class UnconstrainedNumeric : uint8_t { kDouble, kString };
  UnconstrainedNumeric unconstrained_numeric = UnconstrainedNumeric::kDouble;
  // Columns without a declared type. kInfer scans the column's storage classes once before
  // reading (one full-table query for all such columns); kString reads them as lenient strings.
  enum class Untyped : uint8_t { kInfer, kString };
  Untyped untyped = Untyped::kInfer;
  // What an INTEGER in a DATE / DATETIME / TIMESTAMP column counts: seconds (SQLite's
  // 'unixepoch' convention), milliseconds or microseconds since 1970-01-01 UTC.
  enum class IntegerTime : uint8_t { kUnixSeconds, kUnixMillis, kUnixMicros };
  IntegerTime integer_time = IntegerTime::kUnixSeconds;
};

struct SqliteTypeMapping {
  TypePtr type;  // nullptr for kUntyped
  SqliteValueKind kind = SqliteValueKind::kString;
};

// SQLite's column affinity for a declared type (the five rules of "Datatypes In SQLite" 3.1):
// 'I' integer, 'T' text, 'B' blob (none), 'R' real, 'N' numeric.
char SqliteAffinity(std::string_view declared_type);

// Maps a declared type ("VARCHAR(20)", "decimal(12, 2)", "" ...) to an Iceberg type.
SqliteTypeMapping MapSqliteDeclaredType(std::string_view declared_type,
                                        const SqliteTypePolicy& policy);

// "long", "decimal(12,2)", "string (lenient)", ... for messages.
std::string SqliteValueKindName(SqliteValueKind kind, const Type* type);

// Parses SQLite time-value text: "YYYY-MM-DD", "YYYY-MM-DD[ T]HH:MM[:SS[.fraction]]", each
// optionally followed by "Z" or "[+-]HH:MM" (possibly after spaces). Fraction digits past the
// sixth are dropped. An offset is applied, so the result is UTC. `had_offset` tells whether
// one was written. False for anything else, including impossible dates (February 30).
bool ParseSqliteDateTimeText(std::string_view text, int64_t* micros, bool* had_offset);

// "HH:MM[:SS[.fraction]]" -> microseconds since midnight. False otherwise.
bool ParseSqliteTimeText(std::string_view text, int64_t* micros);

// A REAL julian day number -> microseconds since 1970-01-01, rounded to the millisecond (a
// julian day double has a resolution of tens of microseconds; SQLite itself keeps
// milliseconds). False outside SQLite's julian range 0 .. 5373484.499999 (up to 9999-12-31).
bool SqliteJulianToMicros(double julian_day, int64_t* micros);

// An INTEGER time value in `unit` -> microseconds. False on overflow.
bool SqliteIntegerTimeToMicros(int64_t v, SqliteTypePolicy::IntegerTime unit, int64_t* micros);

// Parses a decimal literal ("-12.5", "1e3", ".5") into an unscaled value of `scale`, rounding
// half away from zero when it has more fractional digits (`rounded` says so). False when it is
// not a literal or does not fit `precision` digits.
bool ParseSqliteDecimal(std::string_view text, int precision, int scale, __int128* unscaled,
                        bool* rounded);

// The shortest text that reads back as exactly `v` ("0.1", "1e+20", "-0").
std::string SqliteFormatDouble(double v);

// Days since 1970-01-01 of a proleptic Gregorian date (no range check).
int64_t SqliteDaysFromCivil(int64_t year, int month, int day);

}  // namespace nilus
