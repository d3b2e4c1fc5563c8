// Batch sources: the interface every row-shaped source (PostgreSQL, SQLite, CSV, ...) offers to
// the pipeline. A source describes a table (SourceTableInfo) and hands out its rows as typed
// ColumnBatches through a BatchReader.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/column_batch.h"
#include "core/result.h"
#include "core/schema.h"

namespace nilus {

// What a source knows about one table before reading it.
struct SourceTableInfo {
  // The source's name for the table, e.g. "public.orders" or "main.users".
  std::string qualified_name;
  // Iceberg schema of the rows the reader produces: top-level field ids are 1..n in column
  // order, nested ids (list elements) follow after n. Identifier field ids are the primary key
  // when the source has one.
  SchemaPtr schema;
  // Primary key column names in key order; empty when the table has none.
  std::vector<std::string> primary_key;
  // Per top-level column, the source's own type name (e.g. "numeric(12,2)", "character
  // varying(40)"), for logs, dry runs and docs.
  std::vector<std::string> source_types;
  // Estimates from the source's statistics; -1 when unknown. Only for progress and planning.
  int64_t estimated_rows = -1;
  int64_t estimated_bytes = -1;
};

// Reads a sequence of ColumnBatches, all with schema(). Not thread-safe: one thread calls
// Next() at a time. Implementations may read ahead on threads of their own.
class BatchReader {
 public:
  virtual ~BatchReader() = default;

  // The schema of every batch (the same object each time).
  virtual SchemaPtr schema() const = 0;

  // The next batch, or nullptr once the source is exhausted. After an error the reader is
  // finished: further calls return the same error or nullptr. Errors carry the retryable flag
  // (a dropped connection is retryable; a type conflict is not).
  virtual Result<std::unique_ptr<ColumnBatch>> Next() = 0;

  // Source bytes consumed so far (wire bytes for a database, file bytes for a file).
  virtual int64_t bytes_read() const = 0;

  // Rows returned by Next() so far.
  virtual int64_t rows_read() const = 0;
};

}  // namespace nilus
