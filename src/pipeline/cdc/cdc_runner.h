// The CDC runner behind `nilus run` for a pipeline with a `cdc:` section: PostgreSQL logical
// replication (pgoutput) into Iceberg change logs and mirror tables, exactly once.
//
//   CdcRunner runner(config, sinks.get(), options);
//   NILUS_ASSIGN_OR_RAISE(CdcRunSummary s, runner.Run());   // until *options.stop or until_lsn
//
// How exactly-once works (docs/cdc.md has the user's view):
//   - Every change has a position (commit LSN of its transaction, index inside the
//     transaction). Each destination table's commits record the position of the newest change
//     they hold in the snapshot summary ("nilus.lsn", "nilus.seq"), in the same atomic commit as
//     the data. At start the runner reads them back and skips every change at or below them.
//   - The slot's confirmed_flush_lsn moves only after every table holding changes up to a
//     transaction's end was committed; with nothing pending it follows the server's keepalives,
//     so a database whose traffic is all outside the publication does not retain WAL.
//   - The first run creates the slot with an exported snapshot, copies every table in that
//     snapshot (parallel CTID ranges, `operation = r` rows in the change log) and commits them
//     with the slot's consistent point as position; streaming starts there. A run that finds the
//     slot but a table without a position (the snapshot was interrupted) drops the slot and
//     starts the snapshot again; tables are replaced, not appended, so nothing is doubled.
//   - Large transactions streamed before their commit (protocol 2+) are spilled to files under
//     `state_dir` and applied at Stream Commit; an aborted one is dropped.
//   - A lost connection or server restart is retried with exponential backoff: uncommitted work
//     is dropped and streaming resumes from the slot.
//
// Not thread-safe: Run() once per runner.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/lsn.h"
#include "core/result.h"
#include "pipeline/config.h"
#include "pipeline/metadata/metadata_sink.h"
#include "pipeline/runner.h"

namespace nilus::pipeline {

// Summary properties of every CDC commit.
inline constexpr std::string_view kLsnProperty = "nilus.lsn";
inline constexpr std::string_view kSeqProperty = "nilus.seq";

struct CdcRunnerOptions {
  // Stop once everything up to this WAL position is committed and confirmed.
  std::optional<Lsn> until_lsn;
  // Stop at the source's WAL position when Run() starts (`--until-lsn current`).
  bool until_current = false;
  // Set (e.g. from a signal handler) to commit what is held and return.
  const std::atomic<bool>* stop = nullptr;
  // Where streamed transactions spill; must exist. Empty: the system temp directory.
  std::string state_dir;
  // Push buffered changes to the sinks past this many bytes in total (the default is a quarter
  // of resources.memory_budget), and commit early past flush_max_changes changes.
  int64_t push_bytes = 0;
  int64_t flush_max_changes = 500'000;
  // A streamed transaction keeps this much in memory before it spills to a file.
  int64_t spill_memory_bytes = int64_t{8} << 20;
  // Reconnect attempts after retryable errors (0: forever) and their backoff.
  int max_attempts = 0;
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};
  // Standby status updates are sent at least this often.
  std::chrono::milliseconds status_interval{10000};
  // Run metadata (not owned; nullptr: none): one run per process lifetime, mode cdc, with the
  // stage records of every table re-sent (replaced) after each flush. Errors are logged only.
  MetadataSink* metadata = nullptr;
  // Tests: called after each destination table commit; an error stops the run there as if it
  // crashed.
  std::function<Status(const std::string& table)> after_commit_hook;
};

struct CdcTableCounters {
  int64_t inserts = 0, updates = 0, deletes = 0, truncates = 0, snapshot_rows = 0;
  int64_t skipped = 0;  // redelivered changes at or below the table's committed position
  int64_t commits = 0;
};

struct CdcRunSummary {
  std::string run_id;
  bool snapshot_taken = false;
  Lsn confirmed_lsn = 0;  // the slot's confirmed position when Run() returned
  Lsn target_lsn = 0;     // until_lsn / current position, when given
  int64_t events = 0;
  int64_t flushes = 0;
  int reconnects = 0;
  double flush_seconds = 0;
  std::map<std::string, CdcTableCounters> tables;  // by source table
  double seconds = 0;
};

class CdcRunner {
 public:
  // `sinks` must outlive the runner. No I/O here.
  CdcRunner(PipelineConfig config, SinkFactory* sinks, CdcRunnerOptions options);
  ~CdcRunner();

  // Runs until *options.stop, until the target LSN, or a non-retryable error.
  Result<CdcRunSummary> Run();

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace nilus::pipeline
