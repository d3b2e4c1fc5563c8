// `nilus run PIPELINE.yaml` and `nilus validate PIPELINE.yaml`: the batch pipeline runner with
// its concrete sources, Iceberg destination, progress output and end-of-run summary.
#include <signal.h>
#include <spdlog/sinks/base_sink.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/logging.h"
#include "core/lsn.h"
#include "iceberg/catalog/sql_catalog.h"
#include "iceberg/table.h"
#include "pipeline/cdc/cdc_runner.h"
#include "pipeline/concrete_factories.h"
#include "pipeline/config.h"
#include "pipeline/metadata/manager_client.h"
#include "pipeline/metadata/sqlite_metadata_store.h"
#include "pipeline/runner.h"
#include "storage/local_file_io.h"

namespace nilus::cli {

namespace {

using Json = nlohmann::ordered_json;
using pipeline::RunSummary;
using pipeline::TableProgress;
using pipeline::TableRunResult;

// Log records as one JSON object per line on stderr.
class JsonLogSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    Json j;
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    j["ts_ms"] = ms;
    j["level"] = std::string(spdlog::level::to_string_view(msg.level).data(),
                             spdlog::level::to_string_view(msg.level).size());
    j["msg"] = std::string(msg.payload.data(), msg.payload.size());
    std::fprintf(stderr, "%s\n", j.dump().c_str());
  }
  void flush_() override { std::fflush(stderr); }
};

std::string Mb(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

std::string Secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fs", s);
  return buf;
}

std::string ProgressText(const TableProgress& p) {
  const double rate = p.elapsed_seconds > 0 ? p.bytes / p.elapsed_seconds / (1 << 20) : 0;
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%-24s %-10s %12lld rows %9s MB %7.1f MB/s %7.1fs",
                p.table.c_str(), p.state.c_str(), static_cast<long long>(p.rows),
                Mb(p.bytes).c_str(), rate, p.elapsed_seconds);
  std::string out = buf;
  if (p.total_bytes > 0 && p.bytes > 0 && rate > 0 && p.state == "extracting") {
    const double left = (p.total_bytes - p.bytes) / (rate * (1 << 20));
    std::snprintf(buf, sizeof(buf), "  ETA %.0fs", std::max(0.0, left));
    out += buf;
  }
  return out;
}

// Live lines on a terminal (redrawn in place), log lines otherwise.
class ProgressPrinter {
 public:
  ProgressPrinter(bool tty, bool json) : tty_(tty), json_(json) {}
  void Update(const std::vector<TableProgress>& tables) {
    std::lock_guard<std::mutex> lock(mu_);
    if (tty_) {
      if (lines_ > 0) std::fprintf(stderr, "\x1b[%dA", lines_);
      for (const TableProgress& p : tables) {
        std::fprintf(stderr, "\x1b[2K%s\n", ProgressText(p).c_str());
      }
      lines_ = static_cast<int>(tables.size());
      std::fflush(stderr);
      return;
    }
    for (const TableProgress& p : tables) {
      if (p.state == "waiting") continue;
      if (json_) {
        Json j;
        j["ts_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
        j["level"] = "info";
        j["event"] = "progress";
        j["table"] = p.table;
        j["state"] = p.state;
        j["rows"] = p.rows;
        j["bytes"] = p.bytes;
        j["total_bytes"] = p.total_bytes;
        j["elapsed_s"] = p.elapsed_seconds;
        std::fprintf(stderr, "%s\n", j.dump().c_str());
      } else {
        Log().info("progress {}", ProgressText(p));
      }
    }
  }

 private:
  std::mutex mu_;
  bool tty_;
  bool json_;
  int lines_ = 0;
};

void PrintSchema(const std::string& name, const Schema& schema) {
  std::printf("  table %s\n", name.c_str());
  for (const NestedField& f : schema.fields()) {
    std::printf("    %-32s %s%s\n", f.name.c_str(), f.type->ToString().c_str(),
                f.required ? " not null" : "");
  }
}

void PrintSummary(const RunSummary& s, const std::string& ns) {
  if (s.dry_run) {
    std::printf("dry run: nothing was written\n");
    for (const TableRunResult& t : s.tables) {
      std::printf("%s.%s  (source %s, %lld sample rows)%s%s\n", ns.c_str(), t.table.c_str(),
                  t.source.c_str(), static_cast<long long>(t.rows_extracted),
                  t.ok ? "" : "  FAILED: ", t.ok ? "" : t.error.c_str());
      for (const auto& [name, schema] : t.dry_run_schemas) {
        if (schema != nullptr) PrintSchema(name, *schema);
      }
      if (!t.changes.empty()) std::printf("  planned changes:\n");
      for (const auto& c : t.changes) std::printf("    %s\n", c.ToString().c_str());
    }
    return;
  }
  std::printf("run %s%s: %d tables, %d failed, %.2fs\n", s.run_id.c_str(),
              s.resumed ? " (resumed)" : "", static_cast<int>(s.tables.size()), s.failed_tables(),
              s.seconds);
  std::printf("%-32s %-8s %12s %12s %6s %10s %20s %9s %9s %9s\n", "table", "status", "extracted",
              "loaded", "files", "MB", "snapshot", "extract", "normalize", "load");
  for (const TableRunResult& t : s.tables) {
    const char* status = !t.ok ? "FAILED" : t.skipped ? "skipped" : "ok";
    bool first = true;
    for (const pipeline::OutputTableResult& o : t.outputs) {
      std::printf("%-32s %-8s %12s %12lld %6lld %10s %20s %9s %9s %9s\n",
                  (ns + "." + o.table).c_str(), first ? status : "",
                  first ? std::to_string(t.rows_extracted).c_str() : "",
                  static_cast<long long>(o.rows_loaded), static_cast<long long>(o.files),
                  Mb(o.bytes).c_str(), o.snapshot_id ? std::to_string(*o.snapshot_id).c_str() : "-",
                  first ? Secs(t.extract_seconds).c_str() : "",
                  first ? Secs(t.normalize_seconds).c_str() : "",
                  first ? Secs(t.load_seconds).c_str() : "");
      first = false;
    }
    if (t.outputs.empty()) {
      std::printf("%-32s %-8s %12lld %12s %6s %10s %20s\n", (ns + "." + t.table).c_str(), status,
                  static_cast<long long>(t.rows_extracted), "0", "0", "0.0", "-");
    }
    if (t.cursor_to) std::printf("  cursor: %s\n", t.cursor_to->c_str());
    if (!t.ok) std::printf("  error: %s\n", t.error.c_str());
  }
}

Json SummaryJson(const RunSummary& s, const std::string& ns) {
  Json j;
  j["event"] = "summary";
  j["run_id"] = s.run_id;
  j["resumed"] = s.resumed;
  j["seconds"] = s.seconds;
  j["failed_tables"] = s.failed_tables();
  for (const TableRunResult& t : s.tables) {
    Json jt;
    jt["table"] = ns + "." + t.table;
    jt["ok"] = t.ok;
    jt["skipped"] = t.skipped;
    if (!t.ok) jt["error"] = t.error;
    jt["rows_extracted"] = t.rows_extracted;
    jt["bytes_extracted"] = t.bytes_extracted;
    jt["extract_s"] = t.extract_seconds;
    jt["normalize_s"] = t.normalize_seconds;
    jt["load_s"] = t.load_seconds;
    if (t.cursor_to) jt["cursor"] = *t.cursor_to;
    for (const auto& o : t.outputs) {
      Json jo;
      jo["table"] = ns + "." + o.table;
      jo["rows_loaded"] = o.rows_loaded;
      jo["files"] = o.files;
      jo["bytes"] = o.bytes;
      if (o.snapshot_id) jo["snapshot_id"] = *o.snapshot_id;
      jt["outputs"].push_back(jo);
    }
    j["tables"].push_back(jt);
  }
  return j;
}

std::atomic<bool> g_stop{false};

extern "C" void OnStopSignal(int) { g_stop.store(true); }

int RunCdc(const pipeline::PipelineConfig& config, const RunCliOptions& options,
           pipeline::SinkFactory* sinks, const std::string& warehouse,
           pipeline::MetadataSink* metadata) {
  pipeline::CdcRunnerOptions co;
  co.metadata = metadata;
  if (options.until_lsn == "current") {
    co.until_current = true;
  } else if (!options.until_lsn.empty()) {
    auto lsn = ParseLsn(options.until_lsn);
    if (!lsn.ok()) {
      Log().error("--until-lsn: {}", lsn.status().ToString());
      return 2;
    }
    co.until_lsn = *lsn;
  }
  co.state_dir = warehouse + "/_nilus";
  std::error_code ec;
  std::filesystem::create_directories(co.state_dir, ec);
  co.stop = &g_stop;
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  pipeline::CdcRunner runner(config, sinks, co);
  auto summary = runner.Run();
  if (!summary.ok()) {
    Log().error("{}", summary.status().ToString());
    return 1;
  }
  Json j;
  j["pipeline"] = config.name;
  j["run_id"] = summary->run_id;
  j["snapshot_taken"] = summary->snapshot_taken;
  j["confirmed_lsn"] = LsnToString(summary->confirmed_lsn);
  j["events"] = summary->events;
  j["flushes"] = summary->flushes;
  j["reconnects"] = summary->reconnects;
  j["seconds"] = summary->seconds;
  for (const auto& [name, c] : summary->tables) {
    j["tables"][name] = {{"snapshot_rows", c.snapshot_rows},
                         {"inserts", c.inserts},
                         {"updates", c.updates},
                         {"deletes", c.deletes},
                         {"truncates", c.truncates},
                         {"skipped", c.skipped},
                         {"commits", c.commits}};
  }
  std::printf("%s\n", j.dump(options.log_format == "json" ? -1 : 2).c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace

int RunValidate(const std::string& path) {
  std::vector<pipeline::ConfigError> errors;
  auto config = pipeline::LoadPipelineConfig(path, pipeline::ProcessEnv(), &errors);
  if (config.ok()) {
    std::printf("ok\n");
    return 0;
  }
  if (errors.empty()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
  }
  for (const pipeline::ConfigError& e : errors) {
    std::fprintf(stderr, "%s\n", e.ToString(path).c_str());
  }
  return 1;
}

int RunPipeline(const RunCliOptions& options) {
  const bool json = options.log_format == "json";
  if (json) {
    auto& sinks = Log().sinks();
    sinks.clear();
    sinks.push_back(std::make_shared<JsonLogSink>());
  }
  std::vector<pipeline::ConfigError> errors;
  auto loaded = pipeline::LoadPipelineConfig(options.path, pipeline::ProcessEnv(), &errors);
  if (!loaded.ok()) {
    if (errors.empty()) Log().error("{}", loaded.status().ToString());
    for (const pipeline::ConfigError& e : errors) Log().error("{}", e.ToString(options.path));
    return 2;
  }
  pipeline::PipelineConfig config = std::move(loaded).value();
  if (!config.cdc.has_value() && !options.until_lsn.empty()) {
    Log().error("{}: --until-lsn needs a pipeline with a cdc: section", options.path);
    return 2;
  }
  if (config.cdc.has_value() && (options.dry_run || options.full_refresh)) {
    Log().error("{}: --dry-run and --full-refresh are for batch pipelines", options.path);
    return 2;
  }
  std::string warehouse = config.destination.warehouse;
  if (warehouse.rfind("file://", 0) == 0) warehouse = warehouse.substr(7);
  while (warehouse.size() > 1 && warehouse.back() == '/') warehouse.pop_back();
  std::error_code ec;
  if (!options.dry_run) std::filesystem::create_directories(warehouse, ec);

  LocalFileIO io;
  std::string catalog_uri = config.destination.catalog;
  if (options.dry_run && catalog_uri.rfind("sqlite:///", 0) == 0 &&
      !std::filesystem::exists(catalog_uri.substr(10))) {
    // A dry run creates nothing: without a catalog file there are no tables yet.
    catalog_uri = "sqlite:///:memory:";
  }
  auto store = iceberg::SqlCatalogStore::Open(catalog_uri, "nilus");
  if (!store.ok()) {
    Log().error("catalog {}: {}", config.destination.RedactedCatalog(), store.status().ToString());
    return 1;
  }
  auto catalog = iceberg::Catalog::Make(store->get(), &io, warehouse);
  if (!catalog.ok()) {
    Log().error("{}", catalog.status().ToString());
    return 1;
  }
  auto sources = pipeline::MakeDefaultSourceFactory(&io);
  auto sinks = pipeline::MakeIcebergSinkFactory(catalog->get(), config.destination.ns);

  // Run metadata: the local store, plus the Manager when the pipeline names one (both through a
  // tee). Neither may fail the run: a store that cannot be opened is only a warning.
  std::unique_ptr<pipeline::SqliteMetadataStore> local_meta;
  std::unique_ptr<pipeline::ManagerMetadataSink> manager_meta;
  std::unique_ptr<pipeline::TeeMetadataSink> tee_meta;
  pipeline::MetadataSink* meta = nullptr;
  if (!options.dry_run) {
    auto opened =
        pipeline::SqliteMetadataStore::Open(pipeline::SqliteMetadataStore::DefaultPath(warehouse));
    if (opened.ok()) {
      local_meta = std::move(opened).value();
      meta = local_meta.get();
    } else {
      Log().warn("run metadata is not recorded locally: {}", opened.status().ToString());
    }
    if (!config.manager.empty()) {
      pipeline::ManagerClientOptions mo;
      mo.url = config.manager;
      mo.token = config.manager_token;
      mo.spool_path = pipeline::ManagerMetadataSink::DefaultSpoolPath(warehouse);
      mo.flush_timeout = config.manager_flush_timeout;
      auto manager = pipeline::ManagerMetadataSink::Open(mo);
      if (manager.ok()) {
        manager_meta = std::move(manager).value();
        tee_meta = std::make_unique<pipeline::TeeMetadataSink>(
            std::vector<pipeline::MetadataSink*>{local_meta.get(), manager_meta.get()});
        meta = tee_meta.get();
      } else {
        Log().warn("run metadata is not sent to the Manager {}: {}", config.RedactedManager(),
                   manager.status().ToString());
      }
    }
  }

  if (config.cdc.has_value()) return RunCdc(config, options, sinks.get(), warehouse, meta);

  pipeline::RunnerOptions ro;
  ro.dry_run = options.dry_run;
  ro.full_refresh = options.full_refresh;
  ro.state_dir = warehouse + "/_nilus";
  ro.metadata = meta;
  const bool tty = isatty(STDERR_FILENO) != 0;
  bool show = options.progress == "always" || (options.progress == "auto");
  if (options.progress == "never" || options.dry_run) show = false;
  // auto: live lines on a terminal, log lines otherwise; always: live lines even without one.
  const bool live = !json && (options.progress == "always" || (tty && options.progress == "auto"));
  ProgressPrinter printer(live, json);
  if (show) {
    ro.progress_interval = std::chrono::milliseconds(live ? 500 : 10000);
    ro.on_progress = [&](const std::vector<TableProgress>& p) { printer.Update(p); };
  }
  pipeline::PipelineRunner runner(config, sources.get(), sinks.get(), ro);
  auto summary = runner.Run();
  if (!summary.ok()) {
    Log().error("{}", summary.status().ToString());
    return 1;
  }
  if (json) {
    std::printf("%s\n", SummaryJson(*summary, config.destination.ns).dump().c_str());
  } else {
    PrintSummary(*summary, config.destination.ns);
  }
  std::fflush(stdout);
  return summary->ok() ? 0 : 1;
}

}  // namespace nilus::cli
