#include "extract/postgres/pg_table_reader.h"

#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "extract/postgres/pg_connection.h"

namespace nilus {

std::vector<PgCtidRange> PgPlanCtidRanges(int64_t pages, int connections, int64_t chunk_pages,
                                          int64_t min_pages_to_split) {
  if (connections <= 1 || pages < min_pages_to_split || pages <= 1) return {PgCtidRange{0, -1}};
  if (chunk_pages <= 0) {
    const int64_t want = static_cast<int64_t>(connections) * 4;
    chunk_pages = (pages + want - 1) / want;
  }
  if (chunk_pages < 1) chunk_pages = 1;
  std::vector<PgCtidRange> out;
  for (int64_t a = 0; a < pages; a += chunk_pages) out.push_back({a, a + chunk_pages});
  out.back().end_page = -1;
  return out;
}

std::string PgCtidRangeWhere(const PgCtidRange& range) {
  std::string lo =
      range.begin_page > 0 ? fmt::format("ctid >= '({},0)'::tid", range.begin_page) : std::string();
  std::string hi =
      range.end_page >= 0 ? fmt::format("ctid < '({},0)'::tid", range.end_page) : std::string();
  if (!lo.empty() && !hi.empty()) return lo + " AND " + hi;
  return lo.empty() ? hi : lo;
}

namespace {

// A bounded queue of batches between the workers and Next(). The first error wins and is
// returned ahead of any queued batch.
class PgBatchQueue {
 public:
  PgBatchQueue(size_t capacity, int producers) : capacity_(capacity), producers_(producers) {}

  // Blocks while full. False once the queue was cancelled or failed: the producer stops.
  bool Push(std::unique_ptr<ColumnBatch> batch) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_ || stopped(); });
    if (stopped()) return false;
    items_.push_back(std::move(batch));
    not_empty_.notify_one();
    return true;
  }

  Result<std::unique_ptr<ColumnBatch>> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !items_.empty() || producers_ == 0 || !error_.ok(); });
    if (!error_.ok()) return error_;
    if (items_.empty()) return std::unique_ptr<ColumnBatch>();
    auto b = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return b;
  }

  void ProducerDone() {
    std::lock_guard<std::mutex> lock(mu_);
    --producers_;
    not_empty_.notify_all();
  }
  void Fail(Status st) {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_.ok()) error_ = std::move(st);
    not_empty_.notify_all();
    not_full_.notify_all();
  }
  void Cancel() {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    not_full_.notify_all();
  }
  bool IsStopped() {
    std::lock_guard<std::mutex> lock(mu_);
    return stopped();
  }

 private:
  bool stopped() const { return cancelled_ || !error_.ok(); }

  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::unique_ptr<ColumnBatch>> items_;
  size_t capacity_;
  int producers_;
  bool cancelled_ = false;
  Status error_;
};

Status BeginInSnapshot(PgConnection* conn, const std::string& snapshot) {
  NILUS_RETURN_NOT_OK(conn->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  NILUS_ASSIGN_OR_RAISE(std::string lit, conn->QuoteLiteral(snapshot));
  Status st = conn->Exec("SET TRANSACTION SNAPSHOT " + lit);
  if (!st.ok()) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("cannot import snapshot {}: {}", snapshot, st.message()),
                  st.retryable());
  }
  return Status::OK();
}

}  // namespace

struct PgTableReader::Rep {
  PgTableDesc table;
  std::string snapshot;
  std::vector<PgCtidRange> ranges;
  std::string where;  // the user's filter with literals bound; may be empty
  PgCopyOptions copy;
  std::unique_ptr<PgConnection> coordinator;
  std::vector<std::unique_ptr<PgConnection>> workers;
  std::vector<std::thread> threads;
  std::unique_ptr<PgBatchQueue> queue;
  std::atomic<size_t> next_range{0};
  std::atomic<int64_t> bytes{0};
  int64_t rows = 0;
  mutable std::mutex stats_mu;
  PgDecodeStats stats;
  bool done = false;

  std::string RangeWhere(size_t i) const {
    std::string ctid = PgCtidRangeWhere(ranges[i]);
    if (where.empty()) return ctid;
    if (ctid.empty()) return where;
    return ctid + " AND (" + where + ")";
  }

  void Work(PgConnection* conn) {
    while (!queue->IsStopped()) {
      const size_t i = next_range.fetch_add(1);
      if (i >= ranges.size()) break;
      Status st = ReadRange(conn, i);
      if (!st.ok()) {
        queue->Fail(st);
        break;
      }
    }
    queue->ProducerDone();
  }

  Status ReadRange(PgConnection* conn, size_t i) {
    NILUS_ASSIGN_OR_RAISE(auto reader,
                          PgCopyReader::Open(conn, table, PgCopySql(table, RangeWhere(i)), copy));
    int64_t seen = 0;
    Status result;
    while (true) {
      auto batch = reader->Next();
      if (!batch.ok()) {
        result = batch.status();
        break;
      }
      bytes.fetch_add(reader->bytes_read() - seen);
      seen = reader->bytes_read();
      if (*batch == nullptr) break;
      // A cancelled reader abandons the COPY; the connection is not reused after that.
      if (!queue->Push(std::move(*batch))) break;
    }
    std::lock_guard<std::mutex> lock(stats_mu);
    stats.numeric_special_nulls += reader->stats().numeric_special_nulls;
    stats.infinity_nulls += reader->stats().infinity_nulls;
    stats.infinity_clamped += reader->stats().infinity_clamped;
    if (result.ok()) return result;
    const PgCtidRange& r = ranges[i];
    return result.WithContext(
        r.end_page < 0 ? fmt::format("CTID range from page {}", r.begin_page)
                       : fmt::format("CTID range of pages {}..{}", r.begin_page, r.end_page - 1));
  }

  void Stop() {
    if (queue) queue->Cancel();
    // Workers blocked inside a COPY that has not finished wake up with an error and exit.
    if (!done) {
      for (auto& w : workers) w->RequestCancel();
    }
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
    threads.clear();
  }
};

PgTableReader::PgTableReader(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
PgTableReader::~PgTableReader() { rep_->Stop(); }

Result<std::unique_ptr<PgTableReader>> PgTableReader::Open(const std::string& url,
                                                           std::string_view table,
                                                           const PgTableReadOptions& options) {
  if (options.connections < 1 || options.queue_batches < 1) {
    return Status::Invalid("connections and queue_batches must be at least 1");
  }
  auto rep = std::make_unique<Rep>();
  rep->copy = options.copy;
  NILUS_ASSIGN_OR_RAISE(rep->coordinator, PgConnection::Open(url));
  PgConnection* coord = rep->coordinator.get();
  if (options.snapshot.empty()) {
    NILUS_RETURN_NOT_OK(coord->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    NILUS_ASSIGN_OR_RAISE(PgRows snap, coord->Query("SELECT pg_catalog.pg_export_snapshot()"));
    rep->snapshot = std::string(snap.Get(0, 0));
  } else {
    rep->snapshot = options.snapshot;
    NILUS_RETURN_NOT_OK(BeginInSnapshot(coord, rep->snapshot));
  }
  NILUS_ASSIGN_OR_RAISE(rep->table, DescribePgTable(coord, table, options.types, options.columns));
  if (!options.where.empty()) {
    NILUS_ASSIGN_OR_RAISE(rep->where, PgBindLiterals(coord, options.where, options.params));
  }
  const bool pages_addressable = rep->table.relkind == 'r' || rep->table.relkind == 'm';
  rep->ranges = pages_addressable
                    ? PgPlanCtidRanges(rep->table.relation_pages, options.connections,
                                       options.chunk_pages, options.min_pages_to_split)
                    : std::vector<PgCtidRange>{PgCtidRange{0, -1}};
  const int k = std::min<int>(options.connections, static_cast<int>(rep->ranges.size()));
  for (int i = 0; i < k; ++i) {
    NILUS_ASSIGN_OR_RAISE(auto conn, PgConnection::Open(url));
    NILUS_RETURN_NOT_OK(BeginInSnapshot(conn.get(), rep->snapshot));
    rep->workers.push_back(std::move(conn));
  }
  rep->queue = std::make_unique<PgBatchQueue>(static_cast<size_t>(options.queue_batches), k);
  Rep* r = rep.get();
  for (int i = 0; i < k; ++i) {
    PgConnection* conn = r->workers[i].get();
    r->threads.emplace_back([r, conn] { r->Work(conn); });
  }
  return std::unique_ptr<PgTableReader>(new PgTableReader(std::move(rep)));
}

SchemaPtr PgTableReader::schema() const { return rep_->table.info.schema; }

Result<std::unique_ptr<ColumnBatch>> PgTableReader::Next() {
  if (rep_->done) return std::unique_ptr<ColumnBatch>();
  auto batch = rep_->queue->Pop();
  if (!batch.ok()) {
    rep_->Stop();
    return batch.status().WithContext("reading PostgreSQL table " +
                                      rep_->table.info.qualified_name);
  }
  if (*batch == nullptr) {
    rep_->done = true;
    rep_->Stop();
    // The snapshot is no longer needed; end the coordinator's transaction.
    NILUS_RETURN_NOT_OK(rep_->coordinator->Exec("COMMIT"));
    return std::unique_ptr<ColumnBatch>();
  }
  rep_->rows += (*batch)->num_rows();
  return batch;
}

int64_t PgTableReader::bytes_read() const { return rep_->bytes.load(); }
int64_t PgTableReader::rows_read() const { return rep_->rows; }
const PgTableDesc& PgTableReader::table() const { return rep_->table; }
const std::string& PgTableReader::snapshot_id() const { return rep_->snapshot; }
const std::vector<PgCtidRange>& PgTableReader::ranges() const { return rep_->ranges; }
PgDecodeStats PgTableReader::stats() const {
  std::lock_guard<std::mutex> lock(rep_->stats_mu);
  return rep_->stats;
}

}  // namespace nilus
