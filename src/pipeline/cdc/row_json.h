// JSON text of one row of a ColumnBatch, for the change log's `before` and `after` columns.
//
// Values are written as a reader of the change log expects them: numbers as JSON numbers
// (decimals exactly, with their scale; NaN and infinities as the strings "NaN", "Infinity",
// "-Infinity"), booleans as true/false, dates, times and timestamps as ISO 8601 strings
// (timestamptz with a trailing "Z"), uuids in their 8-4-4-4-12 form, binary as "\\x<hex>" as
// PostgreSQL prints bytea, lists as arrays, structs as objects, maps as arrays of
// {"key","value"} objects, SQL NULL as null. Strings are escaped per RFC 8259.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/column_batch.h"

namespace nilus::pipeline {

// Appends the JSON object of row `row` over the columns `columns` (indexes into the batch;
// empty: all) to `out`.
void AppendRowJson(const ColumnBatch& batch, int64_t row, const std::vector<int>& columns,
                   std::string* out);

// Appends one value (entry `i` of `column`) as JSON.
void AppendValueJson(const Column& column, int64_t i, std::string* out);

// Appends `s` as a quoted JSON string.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace nilus::pipeline
