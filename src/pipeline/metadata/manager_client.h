// Reporting run metadata to the Manager (docs/manager.md, "Reporting from pipelines").
//
// ManagerMetadataSink is a MetadataSink that never makes a run wait for the network: every call
// validates its record, appends it to a local spool (a SQLite file, by default
// <warehouse>/_nilus/manager-spool.db) and returns. A background thread delivers the spooled
// records in order to the Manager's HTTP API:
//
//   BeginRun                      POST /api/v1/runs                  the runs_info row
//   RecordExtract/Normalize/Load  POST /api/v1/records/{stage}       {"records": [...]}
//   FinishRun                     POST /api/v1/runs/{run_id}/finish  {"status", "finished_at",
//                                                                     "error"}
//
// with `Authorization: Bearer <token>` (when a token is set) and `Idempotency-Key:
// <kind>:<natural key>` (kind run, extract, normalize, load or finish; natural key run_id or
// run_id/table_name; a batch of N records: <kind>:<N>:<hash of their keys>). Consecutive stage
// records of one stage go in one request (up to max_records_per_request). A 2xx removes the records
// from the spool. A connection failure, 408, 429, 5xx, 401/403 (a token that may yet be fixed) or
// any other non-4xx answer keeps them and retries with exponential backoff; a later record is never
// delivered before an earlier one. Any other 4xx means the record can never succeed: it is logged
// (with the Manager's message) and dropped. A batch rejected with 4xx is re-sent one record at a
// time, so that only the bad record is dropped.
//
// Several pipeline processes may share one spool (one warehouse): a lease in the spool file lets
// one of them deliver at a time, so records keep their order across processes. What a process
// leaves in the spool when it exits is delivered by the next sink that opens the spool, before
// its own records. Delivering a record twice is harmless: the Manager upserts on natural keys.
// A stage record still spooled is replaced by a newer one with the same key (unless a begin or
// finish of its run lies between them), so a long outage of a CDC run keeps the spool bounded.
//
// The bearer token is never logged.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "pipeline/metadata/metadata_sink.h"

namespace nilus::pipeline {

struct ManagerClientOptions {
  // http://host[:port][/prefix] or https://...; the API paths are appended to it.
  std::string url;
  // Bearer token for the Manager's write endpoints; empty: no Authorization header.
  std::string token;
  // The spool file (parent directories are created), or ":memory:" (nothing survives the
  // process). Usually DefaultSpoolPath(warehouse).
  std::string spool_path;
  // How long the destructor waits for the spool to drain.
  std::chrono::milliseconds flush_timeout{10000};
  // Connect, read and write timeout of one HTTP request.
  std::chrono::milliseconds request_timeout{5000};
  // Backoff between retries: doubles from initial_backoff up to max_backoff.
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{30000};
  // Stage records per POST: 1..1000 (the Manager's default limit is 1000).
  int max_records_per_request = 100;
  // A batch stops growing past this many body bytes (a single larger record is sent alone).
  int64_t max_request_bytes = int64_t{512} << 10;
};

class ManagerMetadataSink final : public MetadataSink {
 public:
  // Validates the options, opens (or creates) the spool and starts the delivery thread, which
  // first delivers what earlier processes left in the spool. No network I/O happens here: an
  // unreachable Manager is not an error.
  // Errors: InvalidArgument naming `manager` for a bad URL, or naming the option otherwise;
  // IOError when the spool cannot be created or opened; Unavailable when another process holds
  // its lock past the busy timeout.
  static Result<std::unique_ptr<ManagerMetadataSink>> Open(const ManagerClientOptions& options);

  // <warehouse>/_nilus/manager-spool.db, for a local warehouse path or file:// URI (beside the
  // local store's metadata.db).
  static std::string DefaultSpoolPath(std::string_view warehouse);

  // Flushes for options.flush_timeout, stops the delivery thread and logs how many records stay
  // spooled (a later sink on the same spool delivers them).
  ~ManagerMetadataSink() override;
  ManagerMetadataSink(const ManagerMetadataSink&) = delete;
  ManagerMetadataSink& operator=(const ManagerMetadataSink&) = delete;

  // Each validates its records (ToRow; FinishRun: run_id and a final status) and spools them in
  // one transaction; they return as soon as the spool is written. Errors: InvalidArgument for a
  // malformed record (nothing of the call is spooled); IOError/Unavailable from the spool.
  // NotFound is never returned: whether the run exists is the Manager's business, and a stage
  // record of an unknown run is dropped at delivery with an error in the log.
  // Thread-safe.
  Status BeginRun(const RunInfo& run) override;
  Status RecordExtract(std::span<const ExtractInfo> records) override;
  Status RecordNormalize(std::span<const NormalizeInfo> records) override;
  Status RecordLoad(std::span<const LoadInfo> records) override;
  Status FinishRun(const RunFinish& finish) override;

  // Sends the lag to POST /api/v1/cdc/lag from the delivery thread, best effort: not spooled,
  // only the latest report is kept, and a failed send is dropped (logged at debug level).
  // Thread-safe.
  Status ReportCdcLag(const CdcLagReport& report) override;

  // Waits until every record spooled before the call (by any process sharing the spool) is
  // delivered or dropped, or until `deadline`. Also cuts the current backoff short, so that a
  // Manager that came back is tried at once. Errors: Unavailable (retryable) naming how many
  // records are still spooled. Thread-safe.
  Status Flush(std::chrono::steady_clock::time_point deadline);

  // Records in the spool file right now (of every process sharing it). Thread-safe.
  Result<int64_t> SpooledRecords();

  const std::string& spool_path() const;

 private:
  struct Rep;
  explicit ManagerMetadataSink(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

// Forwards every call to each of its sinks in order, e.g. the local SqliteMetadataStore and a
// ManagerMetadataSink. A failing sink does not keep the others from receiving the record; the
// first error is returned. The sinks are not owned and must outlive the tee. Thread-safe when
// the sinks are.
class TeeMetadataSink final : public MetadataSink {
 public:
  // Null entries are skipped.
  explicit TeeMetadataSink(std::vector<MetadataSink*> sinks);

  Status BeginRun(const RunInfo& run) override;
  Status RecordExtract(std::span<const ExtractInfo> records) override;
  Status RecordNormalize(std::span<const NormalizeInfo> records) override;
  Status RecordLoad(std::span<const LoadInfo> records) override;
  Status FinishRun(const RunFinish& finish) override;
  Status ReportCdcLag(const CdcLagReport& report) override;

 private:
  template <typename Fn>
  Status ForEach(Fn&& fn);
  std::vector<MetadataSink*> sinks_;
};

}  // namespace nilus::pipeline
