// `nilus manager`: configuration, signals and the process lifetime around ManagerServer.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "core/logging.h"
#include "manager/manager_server.h"
#include "manager/metadata_repository.h"
#include "manager/retention.h"
#include "pipeline/config.h"

namespace nilus::cli {

namespace {

int RetentionOnce(const manager::ManagerConfig& config, const std::string& now_text) {
  pipeline::MetaTime now = pipeline::MetaTimeNow();
  if (!now_text.empty()) {
    auto parsed = pipeline::ParseMetaTime(now_text);
    if (!parsed.ok()) {
      std::fprintf(stderr, "--now: %s\n", parsed.status().message().c_str());
      return 2;
    }
    now = *parsed;
  }
  manager::PgPool pool(config.database, 1);
  manager::MetadataRepository repo(&pool);
  Status st = repo.Migrate(manager::RetentionBookkeepingDdl());
  if (!st.ok()) {
    Log().error("manager: {}", st.ToString());
    return 1;
  }
  manager::RetentionOptions ro = manager::RetentionOptionsFrom(config);
  st = manager::ValidateRetentionOptions(ro);
  if (!st.ok()) {
    Log().error("{}", st.ToString());
    return 2;
  }
  auto job = manager::RetentionJob::Make(config.database, std::move(ro));
  if (!job.ok()) {
    Log().error("manager: {}", job.status().ToString());
    return 1;
  }
  auto report = (*job)->RunOnce(now);
  if (!report.ok()) {
    Log().error("manager: retention: {}", report.status().ToString());
    return 1;
  }
  // One JSON line on stdout, for scripts and CronJob logs.
  std::string deleted;
  for (const auto& [table, n] : report->deleted) {
    if (!deleted.empty()) deleted += ", ";
    deleted += "\"" + table + "\": " + std::to_string(n);
  }
  std::printf(
      "{\"runs_archived\": %lld, \"archive_rows\": %lld, \"archive_commits\": %d, "
      "\"lock_busy\": %s, \"deleted\": {%s}}\n",
      static_cast<long long>(report->runs_archived), static_cast<long long>(report->archive_rows),
      report->archive_commits, report->lock_busy ? "true" : "false", deleted.c_str());
  return 0;
}

}  // namespace

int RunManager(const ManagerCliOptions& options) {
  auto config = manager::LoadManagerConfig(options.config_path, pipeline::ProcessEnv());
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().message().c_str());
    return 2;
  }
  if (options.check_config) {
    std::printf("%s", manager::DescribeManagerConfig(*config).c_str());
    return 0;
  }
  if (options.retention_once) return RetentionOnce(*config, options.now);

  // Signals are taken by sigwait on this thread only: every thread started below inherits the
  // blocked mask, so SIGTERM cannot interrupt a request half-way.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto server = manager::ManagerServer::Start(*config);
  if (!server.ok()) {
    Log().error("manager: {}", server.status().ToString());
    return server.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  Log().info("manager: listening on {}://{}:{} (database {})", (*server)->tls() ? "https" : "http",
             config->listen_host, (*server)->port(), pipeline::RedactUrl(config->database));
  // For scripts that asked for port 0: the first line of stdout is the URL.
  std::printf("%s://%s:%d\n", (*server)->tls() ? "https" : "http", config->listen_host.c_str(),
              (*server)->port());
  std::fflush(stdout);

  int exit_code = 0;
  while (true) {
    timespec tick{0, 200 * 1000 * 1000};
    int sig = sigtimedwait(&stop_signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      Log().info("manager: {} received, finishing requests in flight",
                 sig == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
    std::string fatal = (*server)->fatal_error();
    if (!fatal.empty()) {
      exit_code = 1;
      break;
    }
  }
  if (!(*server)->Stop(config->shutdown_timeout)) {
    Log().error("manager: requests still running after shutdown_timeout ({} ms); exiting",
                config->shutdown_timeout.count());
    std::fflush(nullptr);
    _exit(1);
  }
  Log().info("manager: stopped");
  return exit_code;
}

}  // namespace nilus::cli
