// The wide rows of the Manager's run archive (`nilus_meta.runs_archive` by default,
// docs/manager.md "Retention and archival"): one Iceberg row per run and table, holding the run's
// runs_info row and the extract, normalize and load rows of that table side by side.
//
// The columns are generated from the shared definition of the metadata tables
// (pipeline/metadata/metadata_schema.h), never listed by hand, so a column added there appears
// here too (the archive sink then adds it to the Iceberg table by schema evolution):
//   run_id        string, required    runs_info.run_id
//   pipeline      string, required    runs_info.pipeline
//   table_name    string, optional    the stage rows' table_name; null for a run without any
//   run_<c>       every other runs_info column, nullable as in runs_info
//   <stage>_<c>   for each stage table (extract_info -> extract_, normalize_info -> normalize_,
//                 load_info -> load_), every column except run_id and table_name, all
//                 optional (a table may lack a stage)
//   archived_at   timestamptz, required: when the row was archived
// Logical types map as: uuid, text, json -> string (JSON as its text); timestamp ->
// timestamptz (microseconds, UTC); int -> int; bigint -> long; bool -> boolean.
//
// Everything here is pure (the field list is built once, on first use): thread-safe.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/column_batch.h"
#include "core/result.h"
#include "core/schema.h"
#include "pipeline/metadata/metadata_schema.h"

namespace nilus::manager {

inline constexpr std::string_view kArchivedAtColumn = "archived_at";

// One column of the archive and where its value comes from.
struct ArchiveField {
  enum class Source {
    kColumn,     // column `column` of metadata table `table`
    kTableName,  // the table name shared by the run's stage rows (null for a run without any)
    kArchivedAt  // the archival time
  };
  std::string name;
  Source source = Source::kColumn;
  const pipeline::MetaTable* table = nullptr;  // kColumn only
  int column = -1;                             // index into table->columns; kColumn only
  TypePtr type;
  bool required = false;
};

// The archive columns in order (see the file comment). Field i has Iceberg field id i + 1 in
// ArchiveSchema().
const std::vector<ArchiveField>& ArchiveFields();
SchemaPtr ArchiveSchema();

// The column prefix of a metadata table: "run_" for runs_info, else the table name without its
// "_info" suffix followed by '_' ("extract_", "normalize_", "load_").
std::string ArchivePrefix(const pipeline::MetaTable& table);

// The Iceberg type that stores a metadata column of this logical type.
TypePtr ArchiveTypeOf(pipeline::MetaColumnType type);

// The stage tables: the metadata tables that are children of runs_info (extract_info,
// normalize_info, load_info), in MetadataTables() order.
std::vector<const pipeline::MetaTable*> ArchiveStageTables();

// One run as read from the database: its runs_info row and its stage rows.
struct ArchiveRun {
  ArchiveRun() : run(pipeline::RunsInfoTable()), stage_rows(ArchiveStageTables().size()) {}

  pipeline::MetaRow run;
  // stage_rows[i]: the run's rows of ArchiveStageTables()[i].
  std::vector<std::vector<pipeline::MetaRow>> stage_rows;
};

// The wide rows of `runs` as one batch of ArchiveSchema(): for each run in the order given, one
// row per table name found in any of its stage rows (in name order), with null stage columns
// for the stages that have no row for that table; a run without stage rows gives one row with a
// null table_name. Every row's archived_at is `archived_at`.
// Errors: InvalidArgument when a row belongs to another table than its slot, a stage row's
// run_id differs from its run's, a (run, table) appears twice in one stage, a value does not
// fit its column's type or a required value is null (none of which rows read back from the
// metadata tables can produce).
Result<std::unique_ptr<ColumnBatch>> BuildArchiveBatch(std::span<const ArchiveRun> runs,
                                                       pipeline::MetaTime archived_at);

}  // namespace nilus::manager
