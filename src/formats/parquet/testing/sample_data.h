// Deterministic and random sample data for the Parquet writer: the `nilus parquet demo` file,
// the interop "type zoo" and randomized round-trip tests all build their batches here.
//
// Everything is a pure function of its inputs (a row index or an Rng state), so the same data
// can be rebuilt elsewhere, e.g. to produce expected values independently of the writer.
// Not thread-safe per Rng; the free functions hold no state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/column_batch.h"
#include "core/schema.h"

namespace nilus::parquet::testing {

// splitmix64: small, fast and good enough for test data. Same seed, same sequence.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n) { return Next() % n; }
  // Uniform in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi);
  // True with probability percent/100.
  bool Percent(int percent) { return static_cast<int>(Below(100)) < percent; }

 private:
  uint64_t state_;
};

// Mixes a 64-bit value into a well-spread seed (the splitmix64 finalizer).
uint64_t MixSeed(uint64_t x);

// How often AppendRandomValue produces nulls, edge values and empty containers, and how
// large containers get.
struct RandomValueOptions {
  int null_percent = 15;        // for optional fields only
  int edge_percent = 15;        // primitive values taken from the type's edge values
  int empty_list_percent = 15;  // lists and maps with no entries
  int max_list_length = 4;
};

// How many edge values the primitive type has (>= 1). Edge values are the type's extremes and
// oddities: int/long min and max, NaN, +-inf and -0.0, decimals of maximal magnitude, dates
// before 1970 and after 2100, negative timestamps with microseconds, empty and 4-byte UTF-8
// strings, empty binary, all-zero and all-0xff uuid/fixed bytes.
int NumEdgeValues(const Type& type);
// Appends edge value number `index % NumEdgeValues(type)` to a primitive column.
void AppendEdgeValue(Column* column, int64_t index);
// Appends an ordinary random value (an edge value with probability edge_percent).
void AppendRandomPrimitive(Column* column, Rng* rng, int edge_percent);
// Appends a random value of the column's type, recursing into nested types. `required` says
// whether the field may be null; a null optional struct puts nulls in all its children.
// Map keys are distinct within each map.
void AppendRandomValue(Column* column, bool required, Rng* rng, const RandomValueOptions& options);
// Appends a map key, distinct from keys appended with another `ordinal` (< 16) in the same map.
void AppendDistinctKey(Column* column, int ordinal, Rng* rng);

// The sample schema: one required and one optional column of every Iceberg primitive type
// (named req_<t> and opt_<t>), then nested columns: a list of structs, maps string->long and
// int->list<string>, a struct holding a struct, a list of lists and a list of decimals.
// Field ids start at 1 and are unique at every depth.
SchemaPtr SampleSchema();
// Appends rows [first_row, first_row + count) of the sample data set to a batch of
// SampleSchema(). Row r depends on r alone, so the rows may be built in any split. Rows 0..15
// of each primitive column cycle through the type's edge values; later rows are random with
// some edge values. Optional columns hold nulls (row 16 is null in every optional column).
void AppendSampleRows(ColumnBatch* batch, int64_t first_row, int64_t count);

// The number of rows `nilus parquet demo` writes.
inline constexpr int64_t kDemoRows = 1000;

}  // namespace nilus::parquet::testing
