// The Manager's Prometheus metrics (text exposition format 0.0.4); docs/manager.md lists them.
//
// Counters and histograms live in memory and restart at 0 with the process, as Prometheus
// expects; the run counts by status are read from the database by the caller and passed to
// Render. Thread-safe: request threads update, the /metrics handler renders.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "manager/metadata_repository.h"

namespace nilus::manager {

// Cumulative buckets with fixed upper bounds (seconds).
struct Histogram {
  explicit Histogram(const std::vector<double>* bounds)
      : bounds(bounds), buckets(bounds->size(), 0) {}
  void Observe(double v);
  const std::vector<double>* bounds;
  std::vector<int64_t> buckets;  // per bound, non-cumulative; Render accumulates
  int64_t count = 0;
  double sum = 0;
};

struct CdcLag {
  int64_t lag_bytes = 0;
  double lag_seconds = 0;
  std::optional<int64_t> retained_wal_bytes;
  std::chrono::steady_clock::time_point reported_at;
};

class ManagerMetrics {
 public:
  ManagerMetrics();

  // `route` is the route's pattern name ("/api/v1/runs/{run_id}"), never the raw path, so the
  // label set stays bounded.
  void ObserveRequest(const std::string& route, const std::string& method, int code,
                      double seconds);
  void AddStageWrites(const std::string& stage, const std::vector<StageWriteEffect>& effects);
  void RunFinished(const std::string& pipeline, const std::string& status);
  void SetCdcLag(const std::string& pipeline, CdcLag lag);
  void AddRetentionDeleted(const std::string& table, int64_t rows);
  void AddArchivedRows(int64_t rows);

  // Everything, with `run_counts` as the nilus_runs gauge. CDC lag reports older than
  // `lag_ttl` are dropped.
  std::string Render(const std::vector<RunCount>& run_counts,
                     std::chrono::seconds lag_ttl = std::chrono::minutes(10));

 private:
  std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, int64_t> requests_;  // route, method, code
  std::map<std::string, Histogram> request_seconds_;                       // by route
  std::map<std::tuple<std::string, std::string, std::string>, std::pair<int64_t, int64_t>>
      stage_rows_bytes_;  // pipeline, table, stage -> rows, bytes
  std::map<std::pair<std::string, std::string>, Histogram> stage_seconds_;  // pipeline, stage
  std::map<std::pair<std::string, std::string>, int64_t> runs_finished_;    // pipeline, status
  std::map<std::string, CdcLag> cdc_lag_;
  std::map<std::string, int64_t> retention_deleted_;
  int64_t archived_rows_ = 0;
};

}  // namespace nilus::manager
