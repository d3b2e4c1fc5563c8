// MetadataSink: where a run reports its metadata (runs_info, extract_info, normalize_info,
// load_info). The local store is SqliteMetadataStore (<warehouse>/_nilus/metadata.db); when the
// pipeline has `manager:`, ManagerMetadataSink (manager_client.h) sends the same records to the
// Manager, and TeeMetadataSink feeds both.
//
// Contract for implementations:
//   - Thread-safe: stages of different tables report in parallel.
//   - Idempotent: BeginRun is keyed by run_id, stage records by (run_id, table_name) within their
//     stage, FinishRun by run_id. Re-sending a record replaces the stored one and never adds a
//     row, so a spool may deliver at least once. A re-sent BeginRun does not undo a FinishRun.
//   - Stage records need their run: they fail (NotFound) before BeginRun of that run_id.
//   - FinishRun computes the run's totals from its stage rows.
//
// Contract for callers (the runner): reporting must never fail a load. A non-OK Status from a
// sink is logged as a warning and the run continues; it is never propagated into the run's
// outcome. Records carry their own times, so late delivery stores what happened, not when it
// was delivered.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/status.h"
#include "pipeline/metadata/run_records.h"

namespace nilus::pipeline {

// The replication lag of a running CDC pipeline, for the Manager's lag gauges.
struct CdcLagReport {
  std::string pipeline;
  int64_t lag_bytes = 0;   // pg_current_wal_lsn() minus the slot's confirmed_flush_lsn
  double lag_seconds = 0;  // now minus the commit time of the newest change not yet committed
  std::optional<int64_t> retained_wal_bytes;  // pg_current_wal_lsn() minus restart_lsn
  std::string confirmed_lsn;                  // "16/B374D848"; empty: unknown
};

class MetadataSink {
 public:
  virtual ~MetadataSink() = default;

  // Records the start of a run (status `running` unless run.status says otherwise on first
  // insert). Errors: InvalidArgument for a malformed record; IOError/Unavailable from the store.
  virtual Status BeginRun(const RunInfo& run) = 0;

  // Insert-or-replace per (run_id, table_name); a batch is applied all or nothing.
  // Errors: InvalidArgument for a malformed record (nothing of the batch is stored), NotFound
  // when a record's run was never begun.
  virtual Status RecordExtract(std::span<const ExtractInfo> records) = 0;
  virtual Status RecordNormalize(std::span<const NormalizeInfo> records) = 0;
  virtual Status RecordLoad(std::span<const LoadInfo> records) = 0;

  // Sets status, finished_at, duration_ms and error, and the totals from the stage rows.
  // Errors: NotFound when the run was never begun.
  virtual Status FinishRun(const RunFinish& finish) = 0;

  // A CDC run's current lag, reported every few seconds. Not stored: only the newest value
  // matters, so an implementation may drop reports. The default does nothing.
  virtual Status ReportCdcLag(const CdcLagReport& report) {
    (void)report;
    return Status::OK();
  }
};

}  // namespace nilus::pipeline
