#include "manager/manager_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <sstream>

#include "pipeline/config.h"
#include "pipeline/duration.h"

namespace nilus::manager {
namespace {

using Setter = std::function<Status(ManagerConfig*, const std::string&)>;

Status IntIn(const std::string& v, int64_t lo, int64_t hi, int64_t* out) {
  size_t used = 0;
  int64_t x = 0;
  bool ok = !v.empty();
  try {
    x = std::stoll(v, &used);
  } catch (...) {
    ok = false;
  }
  if (!ok || used != v.size() || x < lo || x > hi) {
    return Status::Invalid("expected an integer from " + std::to_string(lo) + " to " +
                           std::to_string(hi) + ", got '" + v + "'");
  }
  *out = x;
  return Status::OK();
}

Setter Int(int ManagerConfig::*field, int lo, int hi) {
  return [=](ManagerConfig* c, const std::string& v) {
    int64_t x;
    NILUS_RETURN_NOT_OK(IntIn(v, lo, hi, &x));
    c->*field = static_cast<int>(x);
    return Status::OK();
  };
}

Setter Text(std::string ManagerConfig::*field) {
  return [=](ManagerConfig* c, const std::string& v) {
    c->*field = v;
    return Status::OK();
  };
}

Setter Bool(bool ManagerConfig::*field) {
  return [=](ManagerConfig* c, const std::string& v) {
    std::string l = v;
    std::transform(l.begin(), l.end(), l.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    if (l == "true" || l == "yes" || l == "on" || l == "1") {
      c->*field = true;
    } else if (l == "false" || l == "no" || l == "off" || l == "0") {
      c->*field = false;
    } else {
      return Status::Invalid("expected true or false, got '" + v + "'");
    }
    return Status::OK();
  };
}

Setter Duration(std::chrono::milliseconds ManagerConfig::*field) {
  return [=](ManagerConfig* c, const std::string& v) {
    NILUS_ASSIGN_OR_RAISE(c->*field, pipeline::ParseDuration(v));
    return Status::OK();
  };
}

Setter TableDays(std::string table) {
  return [=](ManagerConfig* c, const std::string& v) {
    int64_t x;
    NILUS_RETURN_NOT_OK(IntIn(v, 1, 36500, &x));
    c->retention_table_days[table] = static_cast<int>(x);
    return Status::OK();
  };
}

Status SetListen(ManagerConfig* c, const std::string& v) {
  size_t colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::Invalid("expected host:port (e.g. 127.0.0.1:8080 or 0.0.0.0:8080), got '" + v +
                           "'");
  }
  std::string host = v.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int64_t port;
  Status st = IntIn(v.substr(colon + 1), 0, 65535, &port);
  if (!st.ok()) return Status::Invalid("port: " + st.message());
  c->listen_host = host;
  c->listen_port = static_cast<int>(port);
  return Status::OK();
}

struct Key {
  std::string_view name;
  Setter set;
  bool secret;
};

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = {
      {"listen", SetListen, false},
      {"database", Text(&ManagerConfig::database), true},
      {"pool_size", Int(&ManagerConfig::pool_size, 1, 256), false},
      {"threads", Int(&ManagerConfig::threads, 1, 256), false},
      {"max_body_bytes",
       [](ManagerConfig* c, const std::string& v) {
         NILUS_ASSIGN_OR_RAISE(int64_t n, pipeline::ParseByteSize(v));
         if (n < 1024 || n > (int64_t{256} << 20)) {
           return Status::Invalid("expected a size from 1KiB to 256MiB, got '" + v + "'");
         }
         c->max_body_bytes = n;
         return Status::OK();
       },
       false},
      {"max_records_per_request", Int(&ManagerConfig::max_records_per_request, 1, 100000), false},
      {"shutdown_timeout", Duration(&ManagerConfig::shutdown_timeout), false},
      {"auth.write_token", Text(&ManagerConfig::write_token), true},
      {"auth.read_token", Text(&ManagerConfig::read_token), true},
      {"auth.metrics_public", Bool(&ManagerConfig::metrics_public), false},
      {"tls.cert_file", Text(&ManagerConfig::tls_cert_file), false},
      {"tls.key_file", Text(&ManagerConfig::tls_key_file), false},
      {"retention.interval", Duration(&ManagerConfig::retention_interval), false},
      {"retention.default_days", Int(&ManagerConfig::retention_default_days, 1, 36500), false},
      {"retention.runs_info_days", TableDays("runs_info"), false},
      {"retention.extract_info_days", TableDays("extract_info"), false},
      {"retention.normalize_info_days", TableDays("normalize_info"), false},
      {"retention.load_info_days", TableDays("load_info"), false},
      {"retention.batch_size", Int(&ManagerConfig::retention_batch_size, 1, 100000), false},
      {"retention.abandoned_running_days", Int(&ManagerConfig::abandoned_running_days, 1, 36500),
       false},
      {"archive.enabled", Bool(&ManagerConfig::archive_enabled), false},
      {"archive.warehouse", Text(&ManagerConfig::archive_warehouse), false},
      {"archive.catalog", Text(&ManagerConfig::archive_catalog), true},
      {"archive.namespace", Text(&ManagerConfig::archive_namespace), false},
      {"archive.table", Text(&ManagerConfig::archive_table), false},
      {"archive.batch_runs", Int(&ManagerConfig::archive_batch_runs, 1, 100000), false},
  };
  return keys;
}

const Key* FindKey(std::string_view name) {
  for (const Key& k : Keys()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

bool IsSection(std::string_view name) {
  return name == "auth" || name == "tls" || name == "retention" || name == "archive";
}

struct Value {
  std::string text;
  std::string where;  // "manager.yaml:4" or "NILUS_MANAGER_POOL_SIZE"
};

void Flatten(const YAML::Node& node, const std::string& prefix, std::string_view source,
             std::map<std::string, Value>* out, std::vector<std::string>* errors) {
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    std::string path = prefix.empty() ? key : prefix + "." + key;
    std::string where = std::string(source) + ":" + std::to_string(kv.first.Mark().line + 1);
    const YAML::Node& v = kv.second;
    if (prefix.empty() && IsSection(key)) {
      if (v.IsNull()) continue;
      if (!v.IsMap()) {
        errors->push_back(where + ": " + path + ": expected a mapping");
        continue;
      }
      Flatten(v, path, source, out, errors);
      continue;
    }
    if (!FindKey(path)) {
      errors->push_back(where + ": " + path + ": unknown key (docs/configuration.md#manager)");
      continue;
    }
    if (v.IsNull()) continue;  // "key:" with no value keeps the default
    if (!v.IsScalar()) {
      errors->push_back(where + ": " + path + ": expected a single value");
      continue;
    }
    if (out->count(path)) {
      errors->push_back(where + ": " + path + ": duplicate key");
      continue;
    }
    (*out)[path] = Value{v.Scalar(), where};
  }
}

std::string Mask(std::string_view key, const std::string& value) {
  if (value.empty()) return "";
  if (key == "database" || key == "archive.catalog") return pipeline::RedactUrl(value);
  return "***";
}

}  // namespace

std::vector<std::string_view> ManagerConfigKeys() {
  std::vector<std::string_view> out;
  for (const Key& k : Keys()) out.push_back(k.name);
  return out;
}

std::string ManagerEnvName(std::string_view key) {
  std::string out = "NILUS_MANAGER_";
  for (char c : key) {
    out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

Result<ManagerConfig> ParseManagerConfig(std::string_view yaml_text, std::string_view source_name,
                                         const pipeline::EnvLookup& env) {
  std::vector<std::string> errors;
  std::map<std::string, Value> values;
  if (!yaml_text.empty()) {
    try {
      YAML::Node root = YAML::Load(std::string(yaml_text));
      if (!root.IsNull()) {
        if (!root.IsMap()) {
          errors.push_back(std::string(source_name) + ": expected a mapping of keys");
        } else {
          Flatten(root, "", source_name, &values, &errors);
        }
      }
    } catch (const YAML::Exception& e) {
      errors.push_back(std::string(source_name) + ":" + std::to_string(e.mark.line + 1) + ":" +
                       std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
  }
  for (const Key& k : Keys()) {
    std::string name = ManagerEnvName(k.name);
    if (std::optional<std::string> v = env(name)) values[std::string(k.name)] = Value{*v, name};
  }
  ManagerConfig config;
  for (const Key& k : Keys()) {
    auto it = values.find(std::string(k.name));
    if (it == values.end()) continue;
    Result<std::string> expanded = pipeline::ExpandEnvReferences(it->second.text, env);
    Status st = expanded.ok() ? k.set(&config, *expanded) : expanded.status();
    if (!st.ok())
      errors.push_back(it->second.where + ": " + std::string(k.name) + ": " + st.message());
  }
  if (errors.empty()) {
    if (config.database.empty()) {
      errors.push_back("database: required (the PostgreSQL URL; or set NILUS_MANAGER_DATABASE)");
    }
    if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
      errors.push_back("tls: set both tls.cert_file and tls.key_file, or neither");
    }
    if (config.archive_enabled &&
        (config.archive_warehouse.empty() || config.archive_catalog.empty())) {
      errors.push_back("archive: archive.enabled needs archive.warehouse and archive.catalog");
    }
    if (!config.read_token.empty() && config.write_token.empty()) {
      errors.push_back(
          "auth.read_token: set auth.write_token too (without it the write endpoints are open)");
    }
  }
  if (!errors.empty()) {
    std::string msg = std::string(source_name.empty() ? "manager configuration" : source_name) +
                      ": " + std::to_string(errors.size()) +
                      (errors.size() == 1 ? " error" : " errors");
    for (const std::string& e : errors) msg += "\n  " + e;
    return Status::Invalid(msg);
  }
  return config;
}

Result<ManagerConfig> LoadManagerConfig(const std::string& path, const pipeline::EnvLookup& env) {
  std::string text;
  if (!path.empty()) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::NotFound("cannot read the Manager configuration " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
    if (text.empty()) text = "{}";
  }
  return ParseManagerConfig(text, path, env);
}

std::string DescribeManagerConfig(const ManagerConfig& c) {
  std::ostringstream out;
  auto line = [&](std::string_view key, const std::string& value) {
    out << key << " = " << (FindKey(key) && FindKey(key)->secret ? Mask(key, value) : value)
        << "\n";
  };
  line("listen", c.listen_host + ":" + std::to_string(c.listen_port));
  line("database", c.database);
  line("pool_size", std::to_string(c.pool_size));
  line("threads", std::to_string(c.threads));
  line("max_body_bytes", std::to_string(c.max_body_bytes));
  line("max_records_per_request", std::to_string(c.max_records_per_request));
  line("shutdown_timeout", pipeline::FormatDuration(c.shutdown_timeout));
  line("auth.write_token", c.write_token);
  line("auth.read_token", c.read_token);
  line("auth.metrics_public", c.metrics_public ? "true" : "false");
  line("tls.cert_file", c.tls_cert_file);
  line("retention.interval", pipeline::FormatDuration(c.retention_interval));
  line("retention.default_days", std::to_string(c.retention_default_days));
  for (const auto& [table, days] : c.retention_table_days) {
    line("retention." + table + "_days", std::to_string(days));
  }
  line("retention.batch_size", std::to_string(c.retention_batch_size));
  line("archive.enabled", c.archive_enabled ? "true" : "false");
  if (c.archive_enabled) {
    line("archive.warehouse", c.archive_warehouse);
    line("archive.catalog", c.archive_catalog);
    line("archive.table", c.archive_namespace + "." + c.archive_table);
  }
  return out.str();
}

}  // namespace nilus::manager
