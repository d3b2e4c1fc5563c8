// A test driver for the Manager's retention job: runs one RetentionJob::RunOnce and prints its
// report as JSON, so retention_crash_test.sh can run (and kill) the job as a real process
// before `nilus manager` has a one-shot mode.
//
//   manager_retention_driver --database URL [--init-schema] [--now ISO8601]
//       [--default-days N] [--days TABLE=N ...] [--batch-size N] [--abandoned-running-days N]
//       [--archive-warehouse DIR --archive-catalog URI [--archive-namespace NS]
//        [--archive-table NAME] [--archive-batch-runs N]]
//
// --init-schema first creates the metadata tables (PostgresDdl()) and the job's bookkeeping
// tables (RetentionBookkeepingDdl()) in the database's first search_path schema. The archive is
// enabled when --archive-warehouse is given. NILUS_MANAGER_CRASH_AFTER_ARCHIVE_COMMIT=1 in the
// environment arms the job's crash hook (see manager/retention.h).
//
// Output: {"runs_archived": N, "archive_rows": N, "archive_commits": N, "lock_busy": false,
// "deleted": {"table": N, ...}} on stdout. Exit 0 on success, 1 when the pass failed (the error
// on stderr), 2 on misuse.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "extract/postgres/pg_connection.h"
#include "manager/retention.h"
#include "pipeline/metadata/metadata_schema.h"

namespace {

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "manager_retention_driver: %s\n"
               "usage: manager_retention_driver --database URL [--init-schema] [--now ISO8601]\n"
               "  [--default-days N] [--days TABLE=N ...] [--batch-size N]\n"
               "  [--abandoned-running-days N] [--archive-warehouse DIR --archive-catalog URI\n"
               "  [--archive-namespace NS] [--archive-table NAME] [--archive-batch-runs N]]\n",
               why.c_str());
  return 2;
}

bool ParseInt(const std::string& text, int* out) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < -1000000000 || v > 1000000000) return false;
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace nilus;
  std::string database;
  bool init_schema = false;
  pipeline::MetaTime now = pipeline::MetaTimeNow();
  manager::RetentionOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    auto int_value = [&](int* out) {
      std::string v;
      return value(&v) && ParseInt(v, out);
    };
    std::string v;
    if (arg == "--database") {
      if (!value(&database)) return Usage("--database needs a URL");
    } else if (arg == "--init-schema") {
      init_schema = true;
    } else if (arg == "--now") {
      if (!value(&v)) return Usage("--now needs a time");
      auto t = pipeline::ParseMetaTime(v);
      if (!t.ok()) return Usage("--now: " + t.status().message());
      now = *t;
    } else if (arg == "--default-days") {
      if (!int_value(&options.default_days)) return Usage("--default-days needs a number");
    } else if (arg == "--days") {
      if (!value(&v) || v.find('=') == std::string::npos) return Usage("--days needs TABLE=N");
      int days = 0;
      if (!ParseInt(v.substr(v.find('=') + 1), &days)) return Usage("--days needs TABLE=N");
      options.table_days[v.substr(0, v.find('='))] = days;
    } else if (arg == "--batch-size") {
      if (!int_value(&options.batch_size)) return Usage("--batch-size needs a number");
    } else if (arg == "--abandoned-running-days") {
      if (!int_value(&options.abandoned_running_days)) {
        return Usage("--abandoned-running-days needs a number");
      }
    } else if (arg == "--archive-warehouse") {
      if (!value(&options.archive.warehouse)) return Usage("--archive-warehouse needs a path");
      options.archive.enabled = true;
    } else if (arg == "--archive-catalog") {
      if (!value(&options.archive.catalog_uri)) return Usage("--archive-catalog needs a URI");
    } else if (arg == "--archive-namespace") {
      if (!value(&options.archive.ns)) return Usage("--archive-namespace needs a name");
    } else if (arg == "--archive-table") {
      if (!value(&options.archive.table)) return Usage("--archive-table needs a name");
    } else if (arg == "--archive-batch-runs") {
      if (!int_value(&options.archive.batch_runs)) {
        return Usage("--archive-batch-runs needs a number");
      }
    } else {
      return Usage("unknown argument " + arg);
    }
  }
  if (database.empty()) return Usage("--database is required");

  if (init_schema) {
    auto conn = PgConnection::Open(database);
    if (!conn.ok()) {
      std::fprintf(stderr, "init-schema: %s\n", conn.status().ToString().c_str());
      return 1;
    }
    std::string script = "SET client_min_messages = warning;\n" + pipeline::PostgresDdl();
    for (const std::string& s : manager::RetentionBookkeepingDdl()) script += s + ";\n";
    Status st = (*conn)->Exec(script);
    if (!st.ok()) {
      std::fprintf(stderr, "init-schema: %s\n", st.ToString().c_str());
      return 1;
    }
  }

  auto job = manager::RetentionJob::Make(database, options);
  if (!job.ok()) {
    std::fprintf(stderr, "%s\n", job.status().ToString().c_str());
    return 2;
  }
  auto report = (*job)->RunOnce(now);
  if (!report.ok()) {
    std::fprintf(stderr, "retention failed: %s\n", report.status().ToString().c_str());
    return 1;
  }
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
