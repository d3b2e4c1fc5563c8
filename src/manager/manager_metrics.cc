#include "manager/manager_metrics.h"

#include <fmt/format.h>

#include "pipeline/cdc/cdc_metrics.h"

namespace nilus::manager {
namespace {

using pipeline::PromLabelValue;

const std::vector<double> kRequestBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,   0.1,   0.25,   0.5,   1,    2.5};
const std::vector<double> kStageBounds = {0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 10800};

std::string Num(double v) { return fmt::format("{}", v); }

void RenderHistogram(std::string* out, const std::string& name, const std::string& labels,
                     const Histogram& h) {
  int64_t cumulative = 0;
  std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i < h.bounds->size(); ++i) {
    cumulative += h.buckets[i];
    *out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, Num((*h.bounds)[i]),
                        cumulative);
  }
  *out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, h.count);
  std::string braces = labels.empty() ? "" : "{" + labels + "}";
  *out +=
      fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, braces, Num(h.sum), name, braces, h.count);
}

void Header(std::string* out, std::string_view name, std::string_view type, std::string_view help) {
  *out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

void Histogram::Observe(double v) {
  for (size_t i = 0; i < bounds->size(); ++i) {
    if (v <= (*bounds)[i]) {
      ++buckets[i];
      break;
    }
  }
  ++count;
  sum += v;
}

ManagerMetrics::ManagerMetrics() = default;

void ManagerMetrics::ObserveRequest(const std::string& route, const std::string& method, int code,
                                    double seconds) {
  std::lock_guard<std::mutex> l(mu_);
  ++requests_[{route, method, code}];
  auto it = request_seconds_.try_emplace(route, &kRequestBounds).first;
  it->second.Observe(seconds);
}

void ManagerMetrics::AddStageWrites(const std::string& stage,
                                    const std::vector<StageWriteEffect>& effects) {
  std::lock_guard<std::mutex> l(mu_);
  for (const StageWriteEffect& e : effects) {
    auto& rb = stage_rows_bytes_[{e.pipeline, e.table_name, stage}];
    rb.first += e.rows_added;
    rb.second += e.bytes_added;
    if (e.finished_seconds) {
      stage_seconds_.try_emplace({e.pipeline, stage}, &kStageBounds)
          .first->second.Observe(*e.finished_seconds);
    }
  }
}

void ManagerMetrics::RunFinished(const std::string& pipeline, const std::string& status) {
  std::lock_guard<std::mutex> l(mu_);
  ++runs_finished_[{pipeline, status}];
}

void ManagerMetrics::SetCdcLag(const std::string& pipeline, CdcLag lag) {
  std::lock_guard<std::mutex> l(mu_);
  cdc_lag_[pipeline] = lag;
}

void ManagerMetrics::AddRetentionDeleted(const std::string& table, int64_t rows) {
  std::lock_guard<std::mutex> l(mu_);
  retention_deleted_[table] += rows;
}

void ManagerMetrics::AddArchivedRows(int64_t rows) {
  std::lock_guard<std::mutex> l(mu_);
  archived_rows_ += rows;
}

std::string ManagerMetrics::Render(const std::vector<RunCount>& run_counts,
                                   std::chrono::seconds lag_ttl) {
  std::lock_guard<std::mutex> l(mu_);
  std::string out;
  out.reserve(8192);
  Header(&out, "nilus_runs", "gauge", "Runs in the metadata database, by pipeline and status.");
  for (const RunCount& c : run_counts) {
    out += fmt::format("nilus_runs{{pipeline=\"{}\",status=\"{}\"}} {}\n",
                       PromLabelValue(c.pipeline), PromLabelValue(c.status), c.runs);
  }
  Header(&out, "nilus_runs_finished_total", "counter",
         "Runs finished since the Manager started, by pipeline and final status.");
  for (const auto& [k, n] : runs_finished_) {
    out += fmt::format("nilus_runs_finished_total{{pipeline=\"{}\",status=\"{}\"}} {}\n",
                       PromLabelValue(k.first), PromLabelValue(k.second), n);
  }
  Header(&out, "nilus_stage_rows_total", "counter",
         "Rows reported by stage records (extract, normalize, load), by pipeline and table.");
  for (const auto& [k, rb] : stage_rows_bytes_) {
    out += fmt::format("nilus_stage_rows_total{{pipeline=\"{}\",table=\"{}\",stage=\"{}\"}} {}\n",
                       PromLabelValue(std::get<0>(k)), PromLabelValue(std::get<1>(k)),
                       std::get<2>(k), rb.first);
  }
  Header(&out, "nilus_stage_bytes_total", "counter",
         "Bytes reported by stage records, by pipeline and table.");
  for (const auto& [k, rb] : stage_rows_bytes_) {
    out += fmt::format("nilus_stage_bytes_total{{pipeline=\"{}\",table=\"{}\",stage=\"{}\"}} {}\n",
                       PromLabelValue(std::get<0>(k)), PromLabelValue(std::get<1>(k)),
                       std::get<2>(k), rb.second);
  }
  Header(&out, "nilus_stage_duration_seconds", "histogram",
         "Durations of finished stage records, by pipeline and stage.");
  for (const auto& [k, h] : stage_seconds_) {
    RenderHistogram(&out, "nilus_stage_duration_seconds",
                    fmt::format("pipeline=\"{}\",stage=\"{}\"", PromLabelValue(k.first), k.second),
                    h);
  }
  auto now = std::chrono::steady_clock::now();
  for (auto it = cdc_lag_.begin(); it != cdc_lag_.end();) {
    it = now - it->second.reported_at > lag_ttl ? cdc_lag_.erase(it) : std::next(it);
  }
  Header(&out, "nilus_cdc_lag_bytes", "gauge",
         "Bytes of WAL between the source's position and what the CDC pipeline confirmed.");
  for (const auto& [p, lag] : cdc_lag_) {
    out += fmt::format("nilus_cdc_lag_bytes{{pipeline=\"{}\"}} {}\n", PromLabelValue(p),
                       lag.lag_bytes);
  }
  Header(&out, "nilus_cdc_lag_seconds", "gauge",
         "Seconds between now and the commit time of the newest change the pipeline received.");
  for (const auto& [p, lag] : cdc_lag_) {
    out += fmt::format("nilus_cdc_lag_seconds{{pipeline=\"{}\"}} {}\n", PromLabelValue(p),
                       Num(lag.lag_seconds));
  }
  Header(&out, "nilus_cdc_retained_wal_bytes", "gauge",
         "WAL the pipeline's replication slot holds back on the source.");
  for (const auto& [p, lag] : cdc_lag_) {
    if (!lag.retained_wal_bytes) continue;
    out += fmt::format("nilus_cdc_retained_wal_bytes{{pipeline=\"{}\"}} {}\n", PromLabelValue(p),
                       *lag.retained_wal_bytes);
  }
  Header(&out, "nilus_manager_requests_total", "counter", "HTTP requests, by route and code.");
  for (const auto& [k, n] : requests_) {
    out +=
        fmt::format("nilus_manager_requests_total{{route=\"{}\",method=\"{}\",code=\"{}\"}} {}\n",
                    PromLabelValue(std::get<0>(k)), std::get<1>(k), std::get<2>(k), n);
  }
  Header(&out, "nilus_manager_request_duration_seconds", "histogram",
         "HTTP request latency, by route.");
  for (const auto& [route, h] : request_seconds_) {
    RenderHistogram(&out, "nilus_manager_request_duration_seconds",
                    fmt::format("route=\"{}\"", PromLabelValue(route)), h);
  }
  Header(&out, "nilus_manager_retention_deleted_rows_total", "counter",
         "Rows deleted by the retention job, by table.");
  for (const auto& [t, n] : retention_deleted_) {
    out += fmt::format("nilus_manager_retention_deleted_rows_total{{table=\"{}\"}} {}\n", t, n);
  }
  Header(&out, "nilus_manager_archived_rows_total", "counter",
         "Rows appended to the Iceberg archive.");
  out += fmt::format("nilus_manager_archived_rows_total {}\n", archived_rows_);
  return out;
}

}  // namespace nilus::manager
