// The Manager's configuration: a YAML file (optional) and NILUS_MANAGER_* environment variables,
// the environment winning. docs/manager.md and docs/configuration.md#manager list every key.
//
// A key's environment name is NILUS_MANAGER_ followed by its path in upper case with '.' as '_'
// ("retention.default_days" -> NILUS_MANAGER_RETENTION_DEFAULT_DAYS). `${VAR}` in values is
// expanded as in pipeline files. Pure functions; thread-safe if the lookup is.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "pipeline/env_expand.h"

namespace nilus::manager {

struct ManagerConfig {
  std::string listen_host = "127.0.0.1";
  int listen_port = 8080;  // 0: a free port
  std::string database;    // libpq URL; required
  int pool_size = 8;
  int threads = 8;
  int64_t max_body_bytes = 1 << 20;
  int max_records_per_request = 1000;
  std::chrono::milliseconds shutdown_timeout{30000};

  std::string write_token;  // empty: no authentication (a warning says so)
  std::string read_token;
  bool metrics_public = true;

  std::string tls_cert_file;  // both set: HTTPS
  std::string tls_key_file;

  std::chrono::milliseconds retention_interval{3600 * 1000};  // 0: no retention job
  int retention_default_days = 90;
  std::map<std::string, int> retention_table_days;  // metadata table name -> days, when set
  int retention_batch_size = 500;
  int abandoned_running_days = 365;

  bool archive_enabled = false;
  std::string archive_warehouse;
  std::string archive_catalog;
  std::string archive_namespace = "nilus_meta";
  std::string archive_table = "runs_archive";
  int archive_batch_runs = 1000;
};

// Every key, in documentation order ("listen", "auth.write_token", ...).
std::vector<std::string_view> ManagerConfigKeys();

// "retention.default_days" -> "NILUS_MANAGER_RETENTION_DEFAULT_DAYS".
std::string ManagerEnvName(std::string_view key);

// Reads `yaml_text` (empty: no file; `source_name` names it in messages) and then the
// environment. Errors: InvalidArgument listing every problem, each naming the file and line or
// the environment variable, and the key ("manager.yaml:4: pool_size: expected an integer from
// 1 to 256, got 'many'"); unknown keys are errors.
Result<ManagerConfig> ParseManagerConfig(std::string_view yaml_text, std::string_view source_name,
                                         const pipeline::EnvLookup& env);

// Reads `path` (empty: none) and parses it. NotFound/IOError when the file cannot be read.
Result<ManagerConfig> LoadManagerConfig(const std::string& path, const pipeline::EnvLookup& env);

// The configuration as "key = value" lines for the start-up log, tokens and passwords masked.
std::string DescribeManagerConfig(const ManagerConfig& config);

}  // namespace nilus::manager
