// Normalizer: the Normalize stage for one pipeline table. It turns source batches (JSON
// documents, CSV text rows, typed column batches) into typed Iceberg-ready ColumnBatches for
// the root table and every child table, while keeping the evolving schema of each.
//
// What it does, in order, for every value:
//   1. Names: every key or column name goes through NormalizeIdentifier (identifier.h). Two
//      names of one object (or one CSV header, or one typed schema) that normalize to the same
//      name are an error naming both originals, the table and the file:line.
//   2. Flattening: a nested object's fields become columns joined with "__"
//      ({"address":{"city":..}} -> address__city). A list becomes a child table
//      "<table>__<column path>" with one row per element; an element that is an object is
//      flattened into the child's columns, a scalar goes to a column "value", a list becomes a
//      grandchild table "<child>__value". Objects and lists nested deeper than max_nesting
//      (root fields are at depth 0, a nested object's fields and a list's elements one deeper)
//      are stored as their minified JSON text in a string column instead.
//   3. Linking columns (ids are strings of 16 lower-case hex digits of a 64-bit HashParts,
//      see nilus_id.h):
//        root rows:  _nilus_load_id (the run's load id), _nilus_id
//        child rows: _nilus_id = ChildHash(parent _nilus_id, HashParts({child table name}),
//                    list index) (see ChildRowId), _nilus_parent_id, _nilus_list_idx (long,
//                    0-based), _nilus_root_id (the _nilus_id of the root row it descends
//                    from, at every depth: a merge deletes a rewritten root's descendants by it)
//      A root _nilus_id is HashParts({table name, key value 1, ..., key value N}) when the
//      table has a primary key of N <= 3 columns (values as text: integers in decimal, strings
//      as-is, dates/timestamps in ISO form; longer keys hash one "<len>:<value>..." part), so it
//      is stable across runs and child rows of a re-loaded parent keep their ids; JSON and typed
//      inputs give equal ids for equal keys. Without a key it is HashParts({load id, table,
//      source, line, sequence number of the row in this Normalizer}): unique within a run and
//      equal for equal input and load id.
//   4. Types: a column's type comes from its first non-null value (a field that is only ever
//      null creates no column). JSON: true/false -> boolean, integers -> long (integers beyond
//      long -> decimal(38,0)), other numbers -> double, strings -> string (never parsed for
//      inference). CSV text is inferred by InferTextKind (text_parse.h). A hint fixes the type.
//      Later values are coerced into the column's type when that loses nothing: long into
//      double (|v| <= 2^53), long or double into decimal(P,S) when the digits fit, date into
//      timestamp (midnight), int-range long into int, and text into any non-string type by
//      parsing it (text_parse.h). A value that does not fit widens the column along the ladder
//        int -> long, float -> double, decimal(P,S) -> decimal(P2,S)   (any time: Iceberg can
//                                                                       promote these)
//        long -> double, long -> decimal(38,0), date -> timestamp      (only while the column
//                                                                       has never been emitted
//                                                                       nor exists at the
//                                                                       destination; existing
//                                                                       values are converted)
//      and otherwise goes to a variant column "<column>__v_<kind>" of the value's own type
//      (kinds: bool, long, double, decimal, string, date, timestamp, timestamptz; e.g.
//      price__v_string). boolean never widens; nothing becomes string except through a variant
//      column; timestamp and timestamptz never mix. Hinted columns never widen. Under the
//      evolve contract no row is dropped and no value fails.
//   5. Contracts (SchemaContract): `tables` governs creating a table (root or child) that does
//      not exist at the destination; `columns` governs adding a column to a table that existed
//      at the destination before this run (see AddKnownTable; columns of a table created in
//      this run evolve freely); `data_type` governs every widening and every variant column.
//      evolve applies the change; freeze fails with an error naming the table, the column, the
//      value (truncated to 64 bytes) and the file:line; discard_row drops the whole root row
//      with its child rows; discard_value drops the value (for `tables`: the list that would
//      create the child table; for the root table the same as discard_row). Drops are counted
//      in stats().
//   6. Hints (TableHints): column types (with decimal precision and scale), nullability, and
//      the primary key. Primary-key columns and non-nullable columns are required; a row
//      without a value for them is an error naming the column and the file:line.
//   7. Typed inputs: a source column whose type is narrower than the table's column is
//      converted (int into long, float into double, date into timestamp, decimal precision);
//      one whose type Iceberg can promote the column to widens it; any other difference goes
//      to a variant column "<column>__v_<type>" (int, long, float, double, decimal, date,
//      time, timestamp, timestamptz, string, uuid, fixed, binary, struct, list, map). Nested
//      types pass through unchanged. A hint may cast int/long to double or decimal and date to
//      timestamp; other hint casts are NotImplemented.
//   Top-level names that normalize to "_nilus_..." are reserved for the linking columns and are
//   an error. A JSON document that is not an object is stored as if it were {"value": document}. A
//   known table that lacks the linking columns gets them as added columns. A row dropped by
//   discard_row may leave behind a column that an earlier field of the same row created.
//
// Schemas: each output table's Schema has field ids 1..n in column order. They are positional
// only: the loader maps columns to the Iceberg table's own field ids by name. The primary key
// columns are the root schema's identifier fields.
//
// Usage (per pipeline table):
//   NILUS_ASSIGN_OR_RAISE(auto norm, Normalizer::Make(options));
//   NILUS_RETURN_NOT_OK(norm->AddKnownTable("orders", *dest_schema));   // if it exists
//   while (batch) {
//     NILUS_ASSIGN_OR_RAISE(NormalizeResult r, norm->Normalize(batch));
//     apply r.changes to the Iceberg tables (SchemaUpdate), then load r.batches
//   }
// For a kTableCreated change, create the table from the NormalizedBatch's schema (or
// CurrentSchema()); the kColumnAdded changes listed for a new table are informational.
// Each Normalize call returns the rows of that input only: one NormalizedBatch per table that
// received rows, with the table's full current schema (columns not present in this input are
// all-null), and the schema changes made while normalizing it, in order.
//
// Not thread-safe: one thread uses a Normalizer. After an error the Normalizer's state is
// undefined; the run stops, and a rerun starts from a new Normalizer.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/column_batch.h"
#include "core/document_batch.h"
#include "core/result.h"
#include "core/schema.h"

namespace nilus::normalize {

enum class ContractMode : uint8_t { kEvolve, kFreeze, kDiscardRow, kDiscardValue };

// "evolve", "freeze", "discard_row", "discard_value".
std::string_view ContractModeName(ContractMode mode);
Result<ContractMode> ParseContractMode(std::string_view name);

struct SchemaContract {
  ContractMode tables = ContractMode::kEvolve;
  ContractMode columns = ContractMode::kEvolve;
  ContractMode data_type = ContractMode::kEvolve;
};

// A column hint from the pipeline config.
struct ColumnHint {
  // The column's type (decimal precision and scale included); nullptr leaves it inferred.
  TypePtr type;
  // false makes the column required.
  std::optional<bool> nullable;
};

// Per-table settings from the pipeline config. Names may be given as in the source; they are
// normalized here. Column hints address flattened columns by their output name
// ("address__city").
struct TableHints {
  std::vector<std::string> primary_key;
  std::map<std::string, ColumnHint> columns;
  // Overrides the pipeline-wide contract for this table and its child tables.
  std::optional<SchemaContract> contract;
};

struct NormalizerOptions {
  // The root table's name (normalized here; child tables are named after it).
  std::string table;
  // The run's load id, written to _nilus_load_id.
  std::string load_id;
  // Depth from which nested objects and lists are kept as JSON strings; >= 0.
  int max_nesting = 5;
  // Pipeline-wide contract.
  SchemaContract contract;
  TableHints hints;
};

// The variant-column suffix of a type: "<column>__v_<suffix>" ("int", "string", "decimal", ...).
std::string_view VariantTypeSuffix(const Type& type);

struct SchemaChange {
  enum class Kind : uint8_t { kTableCreated, kColumnAdded, kColumnWidened, kVariantAdded };
  Kind kind;
  std::string table;
  // Empty for kTableCreated. For kVariantAdded, the variant column's name.
  std::string column;
  TypePtr old_type;  // kColumnWidened only
  TypePtr new_type;  // the added or widened column's type
  // Why, in words: where the first value that caused it came from.
  std::string reason;
  // For kTableCreated, the parent table ("" for the root).
  std::string parent_table;

  std::string ToString() const;
};

struct NormalizedBatch {
  std::string table;
  std::string parent_table;  // "" for the root table
  SchemaPtr schema;          // the table's current schema; batch->schema() is the same
  std::unique_ptr<ColumnBatch> batch;
};

struct NormalizeResult {
  std::vector<NormalizedBatch> batches;  // root first, then child tables in creation order
  std::vector<SchemaChange> changes;
};

struct NormalizeStats {
  int64_t rows_in = 0;                      // root rows read
  int64_t rows_discarded = 0;               // root rows dropped by a discard_row contract
  int64_t values_discarded = 0;             // values (or lists) dropped by a discard_value contract
  int64_t variant_values = 0;               // values written to variant columns
  std::map<std::string, int64_t> rows_out;  // per table, rows emitted
};

class Normalizer {
 public:
  // Checks the options (max_nesting >= 0, a non-empty table name, decimal hints valid).
  static Result<std::unique_ptr<Normalizer>> Make(NormalizerOptions options);
  ~Normalizer();
  Normalizer(const Normalizer&) = delete;
  Normalizer& operator=(const Normalizer&) = delete;

  // Declares that `table` (an output name such as "orders" or "orders__items") exists at the
  // destination with this schema. Its columns keep their types (only Iceberg promotions widen
  // them) and the `columns` contract applies to it. Call before the first Normalize.
  Status AddKnownTable(std::string_view table, const Schema& schema);

  // JSON documents. Errors: InvalidArgument for malformed JSON (with file:line), for name
  // collisions, for a missing primary key, and for freeze violations.
  Result<NormalizeResult> Normalize(const DocumentBatch& docs);
  // CSV rows; empty cells are null.
  Result<NormalizeResult> Normalize(const TextBatch& rows);
  // Typed rows (PostgreSQL, SQLite): names normalized, hints and contracts applied, types
  // compared with the table's current schema. `source` names the input in messages.
  Result<NormalizeResult> Normalize(std::unique_ptr<ColumnBatch> batch, std::string_view source);

  // The root table's normalized name.
  const std::string& table_name() const;
  // Every table seen or known, root first.
  std::vector<std::string> TableNames() const;
  // The table's current schema; nullptr for an unknown table.
  SchemaPtr CurrentSchema(std::string_view table) const;
  const NormalizeStats& stats() const;

 private:
  struct Impl;
  explicit Normalizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nilus::normalize
