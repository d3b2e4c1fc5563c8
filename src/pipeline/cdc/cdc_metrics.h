// Live numbers of a CDC run in the Prometheus text exposition format (version 0.0.4), and a
// small HTTP server that serves them on /metrics (cpp-httplib).
//
// Metrics (every name starts with nilus_cdc_; labels pipeline, and table/operation where given):
//   events_total{table,operation}      counter  changes applied (c, u, d, t, r)
//   commits_total{table}               counter  Iceberg commits
//   flush_duration_seconds             histogram
//   source_lag_bytes                   gauge    pg_current_wal_lsn() minus the confirmed LSN
//   source_lag_seconds                 gauge    now minus the commit time of the newest change
//                                               received (0 when caught up and idle)
//   slot_retained_wal_bytes            gauge    pg_current_wal_lsn() minus the slot's restart_lsn
//   confirmed_lsn                      gauge    the slot position Nilus confirmed, as a number
//   reconnects_total                   counter
//
// Thread-safe: the runner updates, the server thread renders.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace nilus::pipeline {

// A label value escaped as the exposition format requires (backslash, quote, newline). Shared
// with the Manager's /metrics.
std::string PromLabelValue(std::string_view v);

class CdcMetrics {
 public:
  explicit CdcMetrics(std::string pipeline) : pipeline_(std::move(pipeline)) {}

  void AddEvents(const std::string& table, char op, int64_t n);
  void AddCommit(const std::string& table);
  void ObserveFlush(double seconds);
  void SetLag(int64_t bytes, double seconds);
  void SetRetainedWal(int64_t bytes);
  void SetConfirmedLsn(uint64_t lsn);
  void AddReconnect();

  std::string Render() const;

 private:
  mutable std::mutex mu_;
  std::string pipeline_;
  std::map<std::pair<std::string, char>, int64_t> events_;
  std::map<std::string, int64_t> commits_;
  std::vector<int64_t> flush_buckets_ = std::vector<int64_t>(kBounds.size(), 0);
  int64_t flush_count_ = 0;
  double flush_sum_ = 0;
  int64_t lag_bytes_ = 0;
  double lag_seconds_ = 0;
  int64_t retained_wal_ = 0;
  uint64_t confirmed_lsn_ = 0;
  int64_t reconnects_ = 0;
  static inline const std::vector<double> kBounds = {0.01, 0.05, 0.1, 0.25, 0.5, 1,
                                                     2.5,  5,    10,  30,   60};
};

// Serves GET /metrics (text/plain; version=0.0.4) and GET /healthz on 127.0.0.1 or `host`.
class MetricsServer {
 public:
  // Binds and starts serving on a thread of its own. IOError naming the port when it cannot.
  static Result<std::unique_ptr<MetricsServer>> Start(const std::string& host, int port,
                                                      std::function<std::string()> render);
  ~MetricsServer();  // stops the server and joins its thread
  int port() const;

 private:
  struct Rep;
  explicit MetricsServer(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace nilus::pipeline
