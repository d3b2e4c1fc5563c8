// Reading one SQLite table (or view) through libsqlite3 into ColumnBatches.
//
// The database is opened read-only. The schema comes from `PRAGMA table_xinfo` (declared
// types, NOT NULL, primary-key order; generated columns included, hidden virtual-table columns
// left out) and is mapped to Iceberg types by sqlite_types.h. One
// `SELECT <columns> FROM "schema"."table" [WHERE <cursor predicate>]` is stepped inside one
// read transaction, so every batch comes from the same consistent state of the database, and
// values are appended straight into the batch's columns.
//
// SQLite lets any column hold any storage class. A value that does not fit its column's type
// ('12abc' in an INTEGER column) stops the read with a TypeError naming the table, the column,
// the row (rowid, or the primary key of a WITHOUT ROWID table, or its position for a view) and
// the value. Listing the column in `as_string_columns` reads it as a string instead, which
// accepts every value.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/value.h"
#include "extract/batch_source.h"
#include "extract/sqlite/sqlite_types.h"

namespace nilus {

// An incremental cursor: only rows whose `column` is above `after` (or at/above it when
// `inclusive`) are read; rows whose cursor is NULL are left out.
//
// `after` must have the column's Iceberg type (an int Value for a long column is accepted) and
// is bound as a typed parameter: `"col" > ?` for long, double, decimal (bound as text, which
// SQLite compares numerically against a NUMERIC column), string and boolean columns, which an
// index on the column can serve. Date, timestamp and timestamptz columns may hold ISO text,
// julian REALs and unix INTEGERs side by side, which SQLite orders by storage class, not by
// time; for them the WHERE compares every form converted to unix milliseconds (no index use)
// and the reader then drops the rows whose exact value does not pass, so nothing is missed or
// read twice at the sub-millisecond boundary.
struct SqliteCursorFilter {
  std::string column;  // empty: no filter
  Value after;
  bool inclusive = false;
};

struct SqliteTableReadOptions {
  // Columns to read, in order; empty reads all (matched case-insensitively, as SQLite does).
  std::vector<std::string> columns;
  // Columns read as lenient strings whatever their declared type: numbers rendered as text,
  // BLOBs (and TEXT that is not UTF-8) as upper-case hex. The escape hatch for dirty columns.
  std::vector<std::string> as_string_columns;
  SqliteCursorFilter cursor;
  // A batch ends after this many rows or this many value bytes, whichever comes first.
  int64_t batch_rows = 64 * 1024;
  int64_t batch_bytes = 32LL << 20;
  // How long a read waits for a writer's lock before it fails with a retryable error.
  int busy_timeout_ms = 10000;
  SqliteTypePolicy types;
};

// One column as the reader sees it.
struct SqliteColumnDesc {
  std::string name;
  std::string declared_type;  // as written in CREATE TABLE; empty for none
  bool not_null = false;
  int pk_position = 0;  // 1-based position in the primary key; 0 when not part of it
  SqliteValueKind kind = SqliteValueKind::kString;
};

// Values the reader changed by a documented policy.
struct SqliteReadStats {
  // Decimal values with more fractional digits than the column's scale, rounded half away
  // from zero (usually REALs such as 0.1 + 0.2 in a DECIMAL(10,2) column).
  int64_t decimals_rounded = 0;
};

// Not thread-safe: one thread calls Next() at a time; the reader owns its connection.
class SqliteTableReader : public BatchReader {
 public:
  // `database` is a file path or a `sqlite:///<path>` URL (`sqlite:///data/app.db` is relative,
  // `sqlite:////srv/app.db` absolute, as SQLAlchemy spells them); `file:` URIs are passed to
  // SQLite as URIs. `table` is "name" or "main.name" / "temp.name".
  // Errors: NotFound for a missing database file, table or column (naming it); InvalidArgument
  // for a file that is not a SQLite database (naming the file), bad options or a bad cursor
  // value; Unavailable (retryable) when the database stays locked past the busy timeout;
  // TypeError when kInfer finds nothing it can map.
  static Result<std::unique_ptr<SqliteTableReader>> Open(const std::string& database,
                                                         const std::string& table,
                                                         const SqliteTableReadOptions& options);
  ~SqliteTableReader() override;

  SchemaPtr schema() const override;
  // TypeError for a value that does not fit its column (see above); Unavailable (retryable)
  // for a database that stays locked; Corruption for a damaged file.
  Result<std::unique_ptr<ColumnBatch>> Next() override;
  // Value bytes read: text and blob lengths, 8 per INTEGER or REAL.
  int64_t bytes_read() const override;
  int64_t rows_read() const override;

  const SourceTableInfo& info() const;
  const std::vector<SqliteColumnDesc>& columns() const;
  // The SELECT the reader runs (with ?1 for the cursor), for logs and dry runs.
  const std::string& sql() const;
  SqliteReadStats stats() const;

 private:
  struct Rep;
  explicit SqliteTableReader(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace nilus
