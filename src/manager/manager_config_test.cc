#include "manager/manager_config.h"

#include <gtest/gtest.h>

#include <map>

namespace nilus::manager {
namespace {

pipeline::EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ManagerConfigTest, ReadsEveryKeyFromTheFile) {
  const char* yaml = R"(
listen: 0.0.0.0:9090
database: postgresql://u:${PW}@db:5432/meta
pool_size: 4
threads: 12
max_body_bytes: 2MiB
max_records_per_request: 500
shutdown_timeout: 45s
auth:
  write_token: ${WT}
  read_token: reader
  metrics_public: false
tls:
  cert_file: /etc/tls.crt
  key_file: /etc/tls.key
retention:
  interval: 30m
  default_days: 60
  runs_info_days: 90
  extract_info_days: 30
  batch_size: 100
  abandoned_running_days: 400
archive:
  enabled: true
  warehouse: ./lake
  catalog: sqlite:///./lake/catalog.db
  namespace: audit
  table: runs
  batch_runs: 50
)";
  auto c = ParseManagerConfig(yaml, "manager.yaml", Env({{"PW", "secret"}, {"WT", "w-token"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen_host, "0.0.0.0");
  EXPECT_EQ(c->listen_port, 9090);
  EXPECT_EQ(c->database, "postgresql://u:secret@db:5432/meta");
  EXPECT_EQ(c->pool_size, 4);
  EXPECT_EQ(c->threads, 12);
  EXPECT_EQ(c->max_body_bytes, 2 << 20);
  EXPECT_EQ(c->max_records_per_request, 500);
  EXPECT_EQ(c->shutdown_timeout, std::chrono::seconds(45));
  EXPECT_EQ(c->write_token, "w-token");
  EXPECT_EQ(c->read_token, "reader");
  EXPECT_FALSE(c->metrics_public);
  EXPECT_EQ(c->tls_cert_file, "/etc/tls.crt");
  EXPECT_EQ(c->retention_interval, std::chrono::minutes(30));
  EXPECT_EQ(c->retention_default_days, 60);
  EXPECT_EQ(c->retention_table_days.at("runs_info"), 90);
  EXPECT_EQ(c->retention_table_days.at("extract_info"), 30);
  EXPECT_EQ(c->retention_table_days.count("load_info"), 0u);
  EXPECT_EQ(c->retention_batch_size, 100);
  EXPECT_EQ(c->abandoned_running_days, 400);
  EXPECT_TRUE(c->archive_enabled);
  EXPECT_EQ(c->archive_namespace, "audit");
  EXPECT_EQ(c->archive_table, "runs");
  EXPECT_EQ(c->archive_batch_runs, 50);
}

TEST(ManagerConfigTest, EnvironmentOverridesTheFileAndWorksWithoutOne) {
  auto c = ParseManagerConfig("database: postgresql://file/db\npool_size: 3\n", "m.yaml",
                              Env({{"NILUS_MANAGER_POOL_SIZE", "7"},
                                   {"NILUS_MANAGER_RETENTION_LOAD_INFO_DAYS", "14"},
                                   {"NILUS_MANAGER_AUTH_WRITE_TOKEN", "t"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->pool_size, 7);
  EXPECT_EQ(c->database, "postgresql://file/db");
  EXPECT_EQ(c->retention_table_days.at("load_info"), 14);
  EXPECT_EQ(c->write_token, "t");
  auto env_only = ParseManagerConfig("", "",
                                     Env({{"NILUS_MANAGER_DATABASE", "postgresql://e/db"},
                                          {"NILUS_MANAGER_LISTEN", "127.0.0.1:0"}}));
  ASSERT_TRUE(env_only.ok()) << env_only.status().ToString();
  EXPECT_EQ(env_only->listen_port, 0);
  EXPECT_EQ(env_only->threads, 8);  // defaults
  EXPECT_EQ(ManagerEnvName("retention.default_days"), "NILUS_MANAGER_RETENTION_DEFAULT_DAYS");
  EXPECT_EQ(ManagerConfigKeys().size(), 26u);
}

TEST(ManagerConfigTest, ErrorsNameTheKeyAndWhereItCameFrom) {
  auto c = ParseManagerConfig("database: x\npool_size: many\nretention:\n  colour: red\n",
                              "manager.yaml", Env({{"NILUS_MANAGER_THREADS", "0"}}));
  ASSERT_FALSE(c.ok());
  const std::string m = c.status().message();
  EXPECT_NE(m.find("manager.yaml:2: pool_size: expected an integer from 1 to 256, got 'many'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("manager.yaml:4: retention.colour: unknown key"), std::string::npos) << m;
  EXPECT_NE(m.find("NILUS_MANAGER_THREADS: threads: expected an integer"), std::string::npos) << m;
  EXPECT_NE(m.find("3 errors"), std::string::npos) << m;

  auto missing = ParseManagerConfig("pool_size: 2\n", "m.yaml", Env({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("database: required"), std::string::npos);

  auto tls = ParseManagerConfig("database: x\ntls: {cert_file: a.crt}\n", "m.yaml", Env({}));
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.status().message().find("tls.key_file"), std::string::npos);

  auto env_ref = ParseManagerConfig("database: ${NOPE}\n", "m.yaml", Env({}));
  ASSERT_FALSE(env_ref.ok());
  EXPECT_NE(env_ref.status().message().find("environment variable NOPE is not set"),
            std::string::npos);

  auto bad_listen = ParseManagerConfig("database: x\nlisten: 8080\n", "m.yaml", Env({}));
  ASSERT_FALSE(bad_listen.ok());
  EXPECT_NE(bad_listen.status().message().find("listen: expected host:port"), std::string::npos);

  auto yaml_error = ParseManagerConfig("database: [x\n", "m.yaml", Env({}));
  ASSERT_FALSE(yaml_error.ok());
  EXPECT_NE(yaml_error.status().message().find("m.yaml:"), std::string::npos);
}

TEST(ManagerConfigTest, DescriptionMasksSecrets) {
  auto c = ParseManagerConfig(
      "database: postgresql://u:hunter2@db/meta\nauth: {write_token: w-secret, read_token: "
      "r-secret}\n",
      "m.yaml", Env({}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::string d = DescribeManagerConfig(*c);
  EXPECT_EQ(d.find("hunter2"), std::string::npos) << d;
  EXPECT_EQ(d.find("w-secret"), std::string::npos) << d;
  EXPECT_EQ(d.find("r-secret"), std::string::npos) << d;
  EXPECT_NE(d.find("auth.write_token = ***"), std::string::npos) << d;
  EXPECT_NE(d.find("postgresql://u:***@db/meta"), std::string::npos) << d;
}

}  // namespace
}  // namespace nilus::manager
