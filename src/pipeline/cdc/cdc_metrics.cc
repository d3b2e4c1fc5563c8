#include "pipeline/cdc/cdc_metrics.h"

#include <fmt/format.h>
#include <httplib.h>

#include <thread>

namespace nilus::pipeline {

void CdcMetrics::AddEvents(const std::string& table, char op, int64_t n) {
  std::lock_guard<std::mutex> l(mu_);
  events_[{table, op}] += n;
}
void CdcMetrics::AddCommit(const std::string& table) {
  std::lock_guard<std::mutex> l(mu_);
  ++commits_[table];
}
void CdcMetrics::ObserveFlush(double seconds) {
  std::lock_guard<std::mutex> l(mu_);
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) ++flush_buckets_[i];
  }
  ++flush_count_;
  flush_sum_ += seconds;
}
void CdcMetrics::SetLag(int64_t bytes, double seconds) {
  std::lock_guard<std::mutex> l(mu_);
  lag_bytes_ = bytes;
  lag_seconds_ = seconds;
}
void CdcMetrics::SetRetainedWal(int64_t bytes) {
  std::lock_guard<std::mutex> l(mu_);
  retained_wal_ = bytes;
}
void CdcMetrics::SetConfirmedLsn(uint64_t lsn) {
  std::lock_guard<std::mutex> l(mu_);
  confirmed_lsn_ = lsn;
}
void CdcMetrics::AddReconnect() {
  std::lock_guard<std::mutex> l(mu_);
  ++reconnects_;
}

std::string PromLabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string CdcMetrics::Render() const {
  std::lock_guard<std::mutex> l(mu_);
  std::string o;
  auto out = std::back_inserter(o);
  const std::string p = PromLabelValue(pipeline_);
  fmt::format_to(out,
                 "# HELP nilus_cdc_events_total Row changes applied, by table and operation.\n"
                 "# TYPE nilus_cdc_events_total counter\n");
  for (const auto& [k, n] : events_) {
    fmt::format_to(out,
                   "nilus_cdc_events_total{{pipeline=\"{}\",table=\"{}\",operation=\"{}\"}} {}\n",
                   p, PromLabelValue(k.first), k.second, n);
  }
  fmt::format_to(out,
                 "# HELP nilus_cdc_commits_total Iceberg commits, by destination table.\n"
                 "# TYPE nilus_cdc_commits_total counter\n");
  for (const auto& [t, n] : commits_) {
    fmt::format_to(out, "nilus_cdc_commits_total{{pipeline=\"{}\",table=\"{}\"}} {}\n", p,
                   PromLabelValue(t), n);
  }
  fmt::format_to(out,
                 "# HELP nilus_cdc_flush_duration_seconds Time to commit one flush.\n"
                 "# TYPE nilus_cdc_flush_duration_seconds histogram\n");
  for (size_t i = 0; i < kBounds.size(); ++i) {
    fmt::format_to(out, "nilus_cdc_flush_duration_seconds_bucket{{pipeline=\"{}\",le=\"{}\"}} {}\n",
                   p, kBounds[i], flush_buckets_[i]);
  }
  fmt::format_to(out, "nilus_cdc_flush_duration_seconds_bucket{{pipeline=\"{}\",le=\"+Inf\"}} {}\n",
                 p, flush_count_);
  fmt::format_to(out, "nilus_cdc_flush_duration_seconds_sum{{pipeline=\"{}\"}} {}\n", p,
                 flush_sum_);
  fmt::format_to(out, "nilus_cdc_flush_duration_seconds_count{{pipeline=\"{}\"}} {}\n", p,
                 flush_count_);
  auto gauge = [&](const char* name, const char* help, auto v) {
    fmt::format_to(out, "# HELP {} {}\n# TYPE {} gauge\n{}{{pipeline=\"{}\"}} {}\n", name, help,
                   name, name, p, v);
  };
  gauge("nilus_cdc_source_lag_bytes",
        "WAL bytes between the server's position and the confirmed LSN.", lag_bytes_);
  gauge("nilus_cdc_source_lag_seconds",
        "Seconds since the commit time of the newest change received.", lag_seconds_);
  gauge("nilus_cdc_slot_retained_wal_bytes",
        "WAL the slot keeps on the server (current LSN - restart_lsn).", retained_wal_);
  gauge("nilus_cdc_confirmed_lsn", "The slot position confirmed to the server, as a number.",
        confirmed_lsn_);
  fmt::format_to(out,
                 "# HELP nilus_cdc_reconnects_total Reconnections after lost connections.\n"
                 "# TYPE nilus_cdc_reconnects_total counter\n"
                 "nilus_cdc_reconnects_total{{pipeline=\"{}\"}} {}\n",
                 p, reconnects_);
  return o;
}

struct MetricsServer::Rep {
  httplib::Server server;
  std::thread thread;
  int port = 0;
};

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& host, int port,
                                                            std::function<std::string()> render) {
  auto rep = std::make_unique<Rep>();
  rep->server.Get("/metrics", [render](const httplib::Request&, httplib::Response& res) {
    res.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  rep->server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  if (port == 0) {
    rep->port = rep->server.bind_to_any_port(host);
  } else {
    rep->port = rep->server.bind_to_port(host, port) ? port : -1;
  }
  if (rep->port <= 0) {
    return Status::IOError(fmt::format("cannot listen on {}:{} for /metrics", host, port));
  }
  Rep* r = rep.get();
  rep->thread = std::thread([r] { r->server.listen_after_bind(); });
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(rep)));
}

MetricsServer::MetricsServer(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

MetricsServer::~MetricsServer() {
  rep_->server.stop();
  if (rep_->thread.joinable()) rep_->thread.join();
}

int MetricsServer::port() const { return rep_->port; }

}  // namespace nilus::pipeline
