// Decoders from PostgreSQL's binary send/recv format (network byte order) to Column appends.
//
// One set of decoders serves batch COPY (FORMAT binary) and, later, pgoutput in binary mode,
// which send values in the same format. A decoder takes one value as (data, len) -- len == -1
// is SQL NULL -- and appends exactly one entry to the target Column. Decoding allocates nothing
// per value (strings go straight into the column's arena; formatted text such as an interval
// uses a reused thread-local scratch buffer).
//
// Policies (documented in docs/type-mapping.md, PostgreSQL section):
//  - numeric NaN/+Infinity/-Infinity into a decimal column: null and a count in
//    PgDecodeStats (PgSpecialValuePolicy::kNull, the default) or a TypeError (kError). Into a
//    string column they are written as PostgreSQL prints them: "NaN", "Infinity", "-Infinity".
//  - date/timestamp infinity: null and a count (kNull, the default), clamped to
//    9999-12-31 / 9999-12-31T23:59:59.999999 and 0001-01-01 / 0001-01-01T00:00:00 (kClamp), or
//    a TypeError (kError).
//  - a policy null in a required (NOT NULL) column is a TypeError naming the column.
//  - numeric into decimal(P,S) must be exact: more fractional digits than S or more than P
//    digits is a TypeError naming the column and the value.
//  - multi-dimensional arrays are flattened in row-major order into one list.
//  - text is not re-validated: the session's client_encoding is UTF8, so PostgreSQL converts
//    (and validates) it; the Parquet writer checks UTF-8 again before writing.
//
// Thread-safety: decoders are immutable after construction and may be shared across threads;
// a PgDecodeContext belongs to one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/column_batch.h"
#include "core/status.h"

namespace nilus {

// How a value arrives on the wire (after any cast in the SELECT).
enum class PgWireKind : uint8_t {
  kBool,
  kInt2,
  kInt4,
  kInt8,
  kFloat4,
  kFloat8,
  kNumeric,
  kText,  // text, varchar, bpchar, name and every value cast with ::text
  kBytea,
  kDate,
  kTime,
  kTimestamp,
  kTimestampTz,
  kInterval,
  kUuid,
  kJson,
  kJsonb,
  kArray,
};

std::string_view PgWireKindName(PgWireKind kind);

enum class PgSpecialValuePolicy : uint8_t { kNull, kClamp, kError };

struct PgDecodeOptions {
  // NaN and +-Infinity in a numeric going to a decimal column (kClamp is treated as kNull).
  PgSpecialValuePolicy numeric_special = PgSpecialValuePolicy::kNull;
  // +-infinity in date, timestamp and timestamptz.
  PgSpecialValuePolicy infinity = PgSpecialValuePolicy::kNull;
};

// Counters for values a policy changed, to report as warnings.
struct PgDecodeStats {
  int64_t numeric_special_nulls = 0;
  int64_t infinity_nulls = 0;
  int64_t infinity_clamped = 0;
};

struct PgDecodeContext {
  PgDecodeOptions options;
  PgDecodeStats stats;
};

// How to decode one column (or array element). Built by the type mapping (pg_types.h) or by
// hand. The target column's type must match: kNumeric goes to decimal or string, kInterval to
// string, kArray to a list whose element type matches `element`.
struct PgValueDecoder {
  PgWireKind kind = PgWireKind::kText;
  // The Iceberg type of the target column.
  TypePtr target;
  // Whether the target field is required: a null from a policy is then an error.
  bool required = false;
  // For messages: the column name.
  std::string column;
  // kArray: the element type OID the stream must announce, and the element's decoder.
  uint32_t element_oid = 0;
  std::shared_ptr<const PgValueDecoder> element;
};

// Decodes one value (len == -1 for NULL) and appends exactly one entry to `out` on success.
// Errors: Corruption for a value whose bytes do not match the format (wrong length, bad array
// header); TypeError when a policy or a decimal's range rejects it. On error `out` may hold a
// partial entry and must be discarded.
Status PgDecodeValue(const PgValueDecoder& decoder, const uint8_t* data, int32_t len, Column* out,
                     PgDecodeContext* ctx);

// Formats a binary numeric as PostgreSQL's numeric_out prints it. Exposed for tests and CDC.
Status PgNumericToString(const uint8_t* data, int32_t len, std::string* out);

// Formats a binary interval as ISO 8601, as PostgreSQL prints it under IntervalStyle iso_8601
// (e.g. "P1Y2M3DT4H5M6.5S", "PT0S", "P-1Y-2M3DT-4H-5M-6S").
Status PgIntervalToIso8601(const uint8_t* data, int32_t len, std::string* out);

// Offsets between PostgreSQL's epoch (2000-01-01) and Iceberg's (1970-01-01).
inline constexpr int32_t kPgEpochDays = 10957;
inline constexpr int64_t kPgEpochMicros = 946684800000000LL;

}  // namespace nilus
