// Applying Iceberg partition transforms (spec "Partition Transforms") to single Values and to
// whole columns. The Transform descriptor itself (kind, parameter, parsing, result types) is
// in iceberg/partition_spec.h; this header adds the arithmetic: bucket hashing, truncation and
// the year/month/day/hour extraction. Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "core/column_batch.h"
#include "core/result.h"
#include "core/value.h"
#include "iceberg/partition_spec.h"

namespace nilus::iceberg {

// Transforms one value; the value's type is the source type, the result has
// t.ResultType(source). A null input (and any input to void) gives a null of the result type.
// Temporal transforms floor toward earlier periods, so pre-1970 values get negative results
// (1969-12-31T23:59:59.999999 is year -1, month -1, day -1, hour -1).
// Errors: TypeError when t cannot apply to the type or the value does not hold the type's
// representation; Invalid for malformed UTF-8 under truncate.
Result<Value> ApplyTransform(const Transform& t, const Value& value);

// Transforms every entry of `in` and appends the results to `out`, which must have type
// t.ResultType(in.type()). Nulls stay nulls. Used to compute each row's partition value before
// a batch is split across partitions. Errors: as ApplyTransform, and Invalid for a wrong `out`
// type; on error `out` may hold a partial result.
Status ApplyTransformToColumn(const Transform& t, const Column& in, Column* out);

// The 32-bit hash of a non-null value that bucket[N] uses (spec Appendix B): ints, dates and
// longs hash as 8-byte little-endian longs, decimals as minimal big-endian bytes of the
// unscaled value, strings as UTF-8, uuid as 16 big-endian bytes, fixed and binary as-is.
// Errors: TypeError for types that cannot be bucketed.
Result<int32_t> BucketHash(const Value& value);
// bucket_N(x) = (hash & Integer.MAX_VALUE) % N. Precondition: n > 0.
inline int32_t BucketOf(int32_t hash, int32_t n) { return (hash & 0x7fffffff) % n; }

}  // namespace nilus::iceberg
