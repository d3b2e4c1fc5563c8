// Reading a whole PostgreSQL table in parallel inside one snapshot.
//
// The table is split into CTID ranges by its size in pages. A coordinator connection opens a
// REPEATABLE READ transaction and exports its snapshot (or adopts a given one, such as the
// snapshot CREATE_REPLICATION_SLOT ... (SNAPSHOT 'export') returns); K worker connections each
// run `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '<id>'` and
// COPY their ranges in binary. Every row visible in the snapshot is read exactly once; rows
// committed after the snapshot are not seen.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "extract/batch_source.h"
#include "extract/postgres/pg_copy_reader.h"
#include "extract/postgres/pg_types.h"

namespace nilus {

// Pages [begin_page, end_page) of a table; end_page -1 means "to the end", so rows on pages
// added after planning are still covered (they are invisible in the snapshot anyway).
struct PgCtidRange {
  int64_t begin_page = 0;
  int64_t end_page = -1;
};

// Splits `pages` into ranges of `chunk_pages` pages (0 = about four ranges per connection).
// The first range starts at page 0 and the last one is open-ended. One open range when the
// table is smaller than `min_pages_to_split` or `connections` is 1.
std::vector<PgCtidRange> PgPlanCtidRanges(int64_t pages, int connections, int64_t chunk_pages,
                                          int64_t min_pages_to_split);

// `ctid >= '(a,0)'::tid AND ctid < '(b,0)'::tid`, leaving out the bounds a range does not have
// (empty for the single whole-table range). PostgreSQL 14+ runs it as a TID range scan.
std::string PgCtidRangeWhere(const PgCtidRange& range);

struct PgTableReadOptions {
  // Worker connections reading ranges in parallel (>= 1).
  int connections = 4;
  // Pages per CTID range; 0 picks about four ranges per connection.
  int64_t chunk_pages = 0;
  // Tables smaller than this many pages (8 MB at 8 kB pages) are read as one range.
  int64_t min_pages_to_split = 1024;
  // Columns to read, in order; empty reads all.
  std::vector<std::string> columns;
  // Optional row filter for incremental loads, e.g. `"updated_at" > $1`, with its parameters
  // (text; nullopt is NULL). Bound as quoted literals, since COPY takes no bind parameters.
  std::string where;
  std::vector<std::optional<std::string>> params;
  // An exported snapshot to read in; empty exports a new one on the coordinator connection.
  std::string snapshot;
  // Batches buffered between the workers and Next(); bounds memory together with
  // copy.batch_bytes: about (queue_batches + connections) * batch_bytes.
  int queue_batches = 8;
  PgCopyOptions copy;
  PgTypePolicy types;
};

// A BatchReader over a whole table. Next() must be called from one thread at a time; the
// workers run on threads of their own. Batches arrive in no particular order across ranges.
// Destroying the reader early stops the workers and closes their connections.
class PgTableReader : public BatchReader {
 public:
  // Connects (coordinator + workers), describes the table, plans the ranges and starts reading.
  // Errors: those of PgConnection::Open (Unavailable is retryable), NotFound for a missing
  // table or column, InvalidArgument for bad options or a snapshot that cannot be imported.
  static Result<std::unique_ptr<PgTableReader>> Open(const std::string& url, std::string_view table,
                                                     const PgTableReadOptions& options);
  ~PgTableReader() override;

  SchemaPtr schema() const override;
  Result<std::unique_ptr<ColumnBatch>> Next() override;
  int64_t bytes_read() const override;
  int64_t rows_read() const override;

  const PgTableDesc& table() const;
  // The snapshot every worker reads in.
  const std::string& snapshot_id() const;
  const std::vector<PgCtidRange>& ranges() const;
  // Values changed by a decode policy so far (NaN, infinity), summed over finished ranges.
  PgDecodeStats stats() const;

 private:
  struct Rep;
  explicit PgTableReader(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace nilus
