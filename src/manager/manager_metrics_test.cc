#include "manager/manager_metrics.h"

#include <gtest/gtest.h>

namespace nilus::manager {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(ManagerMetricsTest, HistogramBucketsAreCumulativeWithInfAndCount) {
  ManagerMetrics m;
  m.ObserveRequest("/api/v1/runs", "GET", 200, 0.0004);
  m.ObserveRequest("/api/v1/runs", "GET", 200, 0.003);
  m.ObserveRequest("/api/v1/runs", "GET", 404, 7.0);  // above the last bound
  std::string out = m.Render({});
  EXPECT_TRUE(
      Has(out,
          "nilus_manager_request_duration_seconds_bucket{route=\"/api/v1/runs\",le=\"0.0005\"} 1"));
  EXPECT_TRUE(Has(
      out, "nilus_manager_request_duration_seconds_bucket{route=\"/api/v1/runs\",le=\"0.005\"} 2"));
  EXPECT_TRUE(Has(
      out, "nilus_manager_request_duration_seconds_bucket{route=\"/api/v1/runs\",le=\"2.5\"} 2"));
  EXPECT_TRUE(Has(
      out, "nilus_manager_request_duration_seconds_bucket{route=\"/api/v1/runs\",le=\"+Inf\"} 3"));
  EXPECT_TRUE(Has(out, "nilus_manager_request_duration_seconds_count{route=\"/api/v1/runs\"} 3"));
  EXPECT_TRUE(Has(
      out, "nilus_manager_requests_total{route=\"/api/v1/runs\",method=\"GET\",code=\"200\"} 2"));
  EXPECT_TRUE(Has(
      out, "nilus_manager_requests_total{route=\"/api/v1/runs\",method=\"GET\",code=\"404\"} 1"));
  EXPECT_TRUE(Has(out, "# TYPE nilus_manager_request_duration_seconds histogram"));
}

TEST(ManagerMetricsTest, EscapesLabelValuesAndCountsStageGrowth) {
  ManagerMetrics m;
  StageWriteEffect e{"sh\"op\n", "or\\ders", 10, 100, 2.5};
  m.AddStageWrites("load", {e});
  e.finished_seconds.reset();
  m.AddStageWrites("load", {e});
  std::string out = m.Render({{"sh\"op\n", "failed", 3}});
  EXPECT_TRUE(Has(
      out,
      "nilus_stage_rows_total{pipeline=\"sh\\\"op\\n\",table=\"or\\\\ders\",stage=\"load\"} 20"))
      << out;
  EXPECT_TRUE(
      Has(out, "nilus_stage_duration_seconds_count{pipeline=\"sh\\\"op\\n\",stage=\"load\"} 1"));
  EXPECT_TRUE(Has(out, "nilus_runs{pipeline=\"sh\\\"op\\n\",status=\"failed\"} 3"));
}

TEST(ManagerMetricsTest, CdcLagReportsExpire) {
  ManagerMetrics m;
  CdcLag fresh{100, 0.5, 4096, std::chrono::steady_clock::now()};
  CdcLag stale{200, 9, std::nullopt, std::chrono::steady_clock::now() - std::chrono::hours(1)};
  m.SetCdcLag("fresh", fresh);
  m.SetCdcLag("stale", stale);
  std::string out = m.Render({});
  EXPECT_TRUE(Has(out, "nilus_cdc_lag_bytes{pipeline=\"fresh\"} 100"));
  EXPECT_TRUE(Has(out, "nilus_cdc_retained_wal_bytes{pipeline=\"fresh\"} 4096"));
  EXPECT_EQ(out.find("pipeline=\"stale\""), std::string::npos);
}

}  // namespace
}  // namespace nilus::manager
