// Helpers of the Iceberg sink that work without I/O: parsing partition hints, planning the
// schema evolution a batch needs, reshaping a batch to the table's schema, and encoding key
// tuples for merge deduplication. Exposed for the sink and its tests; the pipeline runner
// needs only iceberg_sink.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/column_batch.h"
#include "core/result.h"
#include "core/schema.h"
#include "iceberg/partition_spec.h"
#include "iceberg/schema_update.h"

namespace nilus::load {

// One partition hint, as pipeline YAML spells it: "col" or "identity(col)", "year(col)",
// "month(col)", "day(col)", "hour(col)", "bucket(N,col)", "truncate(W,col)", "void(col)".
// Whitespace around the parts is ignored.
struct PartitionHint {
  std::string column;
  iceberg::Transform transform = iceberg::Transform::Identity();
  // The partition field's name, as Java names it: the column for identity, else
  // "<col>_year", "_month", "_day", "_hour", "_bucket", "_trunc", "_null" (void).
  std::string field_name;
};
// InvalidArgument naming the text for anything else.
Result<PartitionHint> ParsePartitionHint(std::string_view text);

// A partition spec over `schema` (columns found by name; field ids from 1000). Errors:
// InvalidArgument for an unknown column, TypeError when the transform does not fit the type.
Result<iceberg::PartitionSpec> BuildPartitionSpec(const Schema& schema,
                                                  const std::vector<std::string>& hints);

// What a batch schema needs from the table schema, by top-level column name.
struct SchemaEvolutionPlan {
  // Human-readable changes, e.g. "add column email: string", "widen qty: int -> long".
  std::vector<std::string> changes;
  // The recorded changes (empty() when none).
  iceberg::SchemaUpdate update = iceberg::SchemaUpdate::ForTableName("");
};

// Compares `batch_schema` with `table_schema` by top-level name. Columns named in `ignore`
// (the merge delete marker) are skipped. Batch columns the table lacks are added as optional
// columns; a narrower table type that Iceberg can widen (int->long, float->double,
// decimal(P,S)->decimal(P2,S)) is widened; an optional batch column whose table column is
// required (not an identifier field) makes the table column optional, and so does the absence
// of a required non-identifier table column from the batch. A batch type the table
// can hold after a cast (int into long, ...) needs nothing. Nested columns must equal the
// table's type apart from field ids (no evolution inside them yet). Errors: TypeError naming
// `table_name` and the column for an incompatible type.
Result<SchemaEvolutionPlan> PlanSchemaEvolution(iceberg::Table* table, std::string_view table_name,
                                                const Schema& table_schema,
                                                const Schema& batch_schema,
                                                const std::vector<std::string>& ignore);

// Whether a value of `from` can be stored in a column of `to` by ConformBatch (equal types,
// apart from nested field ids, or an Iceberg promotion: int->long, float->double,
// decimal(P,S)->decimal(P2>=P,S)).
bool CanStoreAs(const Type& from, const Type& to);

// Reshapes `batch` (consumed) to `table_schema` by column name: matching columns are moved,
// promoted ones cast, nested ones whose field ids differ from the table's rebuilt with the
// table's type (their leaves moved), table columns the batch lacks are filled with nulls, batch
// columns the table lacks (and `ignore`d ones) are dropped. Errors, naming `table_name` and
// the column: TypeError for a type that cannot be stored, InvalidArgument for a null in (or
// absence of) a required column.
Result<std::unique_ptr<ColumnBatch>> ConformBatch(std::unique_ptr<ColumnBatch> batch,
                                                  const SchemaPtr& table_schema,
                                                  std::string_view table_name,
                                                  const std::vector<std::string>& ignore);

// Appends the bytes identifying row `row`'s values of `columns` to `out`: equal tuples give
// equal bytes, and (null flag, fixed width or length prefix) keeps distinct tuples distinct.
// Columns must be primitive.
void AppendKeyBytes(const ColumnBatch& batch, const std::vector<int>& columns, int64_t row,
                    std::string* out);

// Whether row `row` of `column` equals `marker`: booleans as "true"/"false", integers in
// decimal, strings as-is; a null never matches. InvalidArgument for other column types.
Result<bool> MatchesMarker(const Column& column, int64_t row, std::string_view marker);

}  // namespace nilus::load
