#include "pipeline/config.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "pipeline/duration.h"
#include "storage/memory_file_io.h"

namespace nilus::pipeline {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

fs::path DataDir() { return fs::path(__FILE__).parent_path() / "../../tests/data/pipelines"; }
fs::path ExamplesDir() { return fs::path(__FILE__).parent_path() / "../../examples"; }

std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

EnvLookup MapEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// The environment the golden files are parsed with.
EnvLookup GoldenEnv() {
  return MapEnv({{"PGPASSWORD", "s3cret"},
                 {"CATALOG_PASSWORD", "cat-pw"},
                 {"DATA_DIR", "/data"},
                 {"EMPTY_VAR", ""},
                 {"BAD_NAMESPACE", "s3cret-Bad"}});
}

Result<PipelineConfig> ParseGolden(const std::string& file, std::vector<ConfigError>* errors) {
  return ParsePipelineConfig(ReadText(DataDir() / file), file, GoldenEnv(), errors);
}

// --- Valid golden files: each parses, and its values are checked here. ---

using Checker = std::function<void(const PipelineConfig&)>;

const std::map<std::string, Checker>& ValidCheckers() {
  static const auto* kCheckers = new std::map<std::string, Checker>{
      {"valid_postgres_full.yaml",
       [](const PipelineConfig& c) {
         EXPECT_EQ(c.name, "shop");
         EXPECT_EQ(c.source.kind, SourceKind::kPostgres);
         EXPECT_EQ(c.source.url, "postgresql://app:s3cret@db.internal:5432/shop");
         EXPECT_EQ(c.source.RedactedUrl(), "postgresql://app:***@db.internal:5432/shop");
         ASSERT_EQ(c.source.tables.size(), 3u);
         const TableConfig& o = c.source.tables[0];
         EXPECT_EQ(o.name, "public.orders");
         EXPECT_EQ(o.DestinationName(), "orders");
         EXPECT_EQ(o.primary_key, std::vector<std::string>{"id"});
         EXPECT_EQ(o.write_disposition, WriteDisposition::kMerge);
         ASSERT_TRUE(o.incremental.has_value());
         EXPECT_EQ(o.incremental->cursor, "updated_at");
         EXPECT_EQ(o.incremental->initial_value, "2024-01-01T00:00:00Z");
         EXPECT_EQ(o.incremental->end_value, "2025-01-01T00:00:00Z");
         ASSERT_TRUE(o.incremental->lag.has_value());
         EXPECT_EQ(o.incremental->lag->kind, CursorLag::Kind::kDuration);
         EXPECT_EQ(o.incremental->lag->duration, milliseconds(600000));
         ASSERT_TRUE(o.delete_marker.has_value());
         EXPECT_EQ(o.delete_marker->column, "_deleted");
         EXPECT_EQ(o.delete_marker->value, "true");
         ASSERT_EQ(o.columns.size(), 3u);
         const ColumnHint& amount = o.columns.at("amount");
         ASSERT_NE(amount.type, nullptr);
         EXPECT_EQ(amount.type->ToString(), "decimal(12,2)");
         EXPECT_EQ(amount.nullable, false);
         EXPECT_EQ(o.columns.at("created_at").type->id(), TypeId::kTimestampTz);
         EXPECT_FALSE(o.columns.at("created_at").nullable.has_value());
         EXPECT_EQ(o.columns.at("ref").type->id(), TypeId::kFixed);
         EXPECT_EQ(o.columns.at("ref").type->fixed_length(), 16);
         ASSERT_EQ(o.partition.size(), 3u);
         EXPECT_EQ(o.partition[0].transform, "day");
         EXPECT_EQ(o.partition[0].column, "created_at");
         EXPECT_EQ(o.partition[1].transform, "bucket[16]");
         EXPECT_EQ(o.partition[1].argument, 16);
         EXPECT_EQ(o.partition[1].column, "id");
         EXPECT_EQ(o.partition[2].transform, "identity");
         EXPECT_EQ(o.partition[2].column, "region");
         // Table contracts override the pipeline's entry by entry.
         EffectiveContract oc = c.ContractFor(o);
         EXPECT_EQ(oc.tables, ContractMode::kFreeze);
         EXPECT_EQ(oc.columns, ContractMode::kFreeze);
         EXPECT_EQ(oc.data_type, ContractMode::kDiscardValue);
         const TableConfig& cust = c.source.tables[1];
         EXPECT_EQ(cust.write_disposition, WriteDisposition::kReplace);
         EffectiveContract cc = c.ContractFor(cust);
         EXPECT_EQ(cc.tables, ContractMode::kDiscardRow);
         EXPECT_EQ(cc.columns, ContractMode::kDiscardRow);
         EXPECT_EQ(cc.data_type, ContractMode::kDiscardRow);
         const TableConfig& ev = c.source.tables[2];  // the bare-name shorthand
         EXPECT_EQ(ev.name, "public.events");
         EXPECT_EQ(ev.write_disposition, WriteDisposition::kAppend);
         EXPECT_TRUE(ev.primary_key.empty());
         EXPECT_EQ(c.ContractFor(ev).columns, ContractMode::kEvolve);
         EXPECT_EQ(c.destination.warehouse, "./warehouse");
         EXPECT_EQ(c.destination.catalog, "postgresql://nilus:cat-pw@catalog:5432/lake");
         EXPECT_EQ(c.destination.RedactedCatalog(), "postgresql://nilus:***@catalog:5432/lake");
         EXPECT_EQ(c.destination.ns, "lake.shop");
         EXPECT_EQ(c.manager, "http://manager:8080");
         EXPECT_FALSE(c.cdc.has_value());
         EXPECT_EQ(c.resources.memory_budget, int64_t{1} << 30);
         EXPECT_EQ(c.resources.target_file_size, 256000000);
         EXPECT_EQ(c.resources.row_group_size, int64_t{32} << 20);
         EXPECT_EQ(c.resources.worker_threads, 8);
         EXPECT_EQ(c.resources.pg_connections, 6);
         EXPECT_EQ(c.options.numeric_nan, NumericNanPolicy::kString);
         EXPECT_EQ(c.options.on_bad_row, BadRowPolicy::kFail);
         EXPECT_EQ(c.options.max_nesting, 3);
       }},
      {"valid_minimal.yaml",
       [](const PipelineConfig& c) {
         EXPECT_EQ(c.name, "Shop-EU");
         EXPECT_EQ(c.source.kind, SourceKind::kSqlite);
         EXPECT_EQ(c.source.path, "./shop.db");
         ASSERT_EQ(c.source.tables.size(), 1u);
         EXPECT_EQ(c.source.tables[0].name, "orders");
         // Defaults: namespace from the name, SQLite catalog inside the warehouse.
         EXPECT_EQ(c.destination.ns, "shop_eu");
         EXPECT_EQ(c.destination.catalog, "sqlite:///./warehouse/catalog.db");
         EXPECT_TRUE(c.manager.empty());
         EXPECT_FALSE(c.cdc.has_value());
         const ResourceConfig defaults;
         EXPECT_EQ(c.resources.memory_budget, defaults.memory_budget);
         EXPECT_EQ(c.resources.memory_budget, int64_t{512} << 20);
         EXPECT_EQ(c.resources.target_file_size, int64_t{128} << 20);
         EXPECT_EQ(c.resources.row_group_size, int64_t{64} << 20);
         EXPECT_EQ(c.resources.worker_threads, 0);
         EXPECT_EQ(c.resources.pg_connections, 4);
         EXPECT_EQ(c.options.on_bad_row, BadRowPolicy::kFail);
         EXPECT_EQ(c.options.numeric_nan, NumericNanPolicy::kNull);
         EXPECT_FALSE(c.options.max_nesting.has_value());
         EffectiveContract ec = c.ContractFor(c.source.tables[0]);
         EXPECT_EQ(ec.tables, ContractMode::kEvolve);
         EXPECT_EQ(ec.columns, ContractMode::kEvolve);
         EXPECT_EQ(ec.data_type, ContractMode::kEvolve);
         EXPECT_EQ(c.source.tables[0].write_disposition, WriteDisposition::kAppend);
         EXPECT_FALSE(c.source.tables[0].incremental.has_value());
       }},
      {"valid_csv.yaml",
       [](const PipelineConfig& c) {
         EXPECT_EQ(c.source.kind, SourceKind::kCsv);
         ASSERT_EQ(c.source.tables.size(), 2u);
         const TableConfig& s = c.source.tables[0];
         EXPECT_EQ(s.path, "./data/sales/*.csv");
         EXPECT_EQ(s.primary_key, std::vector<std::string>{"sale_id"});
         ASSERT_TRUE(s.delete_marker.has_value());
         EXPECT_EQ(s.delete_marker->column, "is_deleted");
         EXPECT_EQ(s.delete_marker->value, "true");
         EXPECT_EQ(s.csv.delimiter, ';');
         EXPECT_EQ(s.csv.quote, '"');
         EXPECT_FALSE(s.csv.header);
         ASSERT_EQ(s.csv.schema.size(), 3u);  // in file order
         EXPECT_EQ(s.csv.schema[0].name, "sale_id");
         EXPECT_EQ(s.csv.schema[0].type->id(), TypeId::kLong);
         EXPECT_EQ(s.csv.schema[1].name, "sold_at");
         EXPECT_EQ(s.csv.schema[1].type->id(), TypeId::kTimestamp);
         EXPECT_EQ(s.csv.schema[2].name, "amount");
         EXPECT_EQ(s.csv.schema[2].type->ToString(), "decimal(10,2)");
         EXPECT_EQ(c.OnBadRowFor(s), BadRowPolicy::kQuarantine);
         const TableConfig& r = c.source.tables[1];
         EXPECT_EQ(r.csv.delimiter, '\t');
         EXPECT_EQ(r.csv.quote, '\'');
         EXPECT_TRUE(r.csv.header);
         EXPECT_TRUE(r.csv.schema.empty());
         EXPECT_EQ(c.OnBadRowFor(r), BadRowPolicy::kFail);
         ASSERT_TRUE(r.incremental.has_value());
         EXPECT_EQ(r.incremental->cursor, "returned_at");
         EXPECT_FALSE(r.incremental->lag.has_value());
         EXPECT_EQ(c.destination.warehouse, "file:///srv/lake");
         EXPECT_EQ(c.destination.catalog, "sqlite:////srv/lake/catalog.db");
         EXPECT_EQ(c.destination.ns, "sales");
       }},
      {"valid_jsonl_env.yaml",
       [](const PipelineConfig& c) {
         EXPECT_EQ(c.source.kind, SourceKind::kJsonl);
         ASSERT_EQ(c.source.tables.size(), 2u);
         EXPECT_EQ(c.source.tables[0].path, "/data/events/*.jsonl");
         EXPECT_EQ(c.MaxNestingFor(c.source.tables[0]), 2);
         EXPECT_EQ(c.source.tables[1].path, "./${NOT_A_VAR}/x.jsonl");
         EXPECT_EQ(c.MaxNestingFor(c.source.tables[1]), 5);
         EXPECT_EQ(c.destination.warehouse, "./warehouse");              // unset: the default
         EXPECT_EQ(c.destination.catalog, "sqlite:///./wh/catalog.db");  // empty: the default
       }},
      {"valid_cdc.yaml",
       [](const PipelineConfig& c) {
         EXPECT_EQ(c.source.RedactedUrl(), "postgres://replicator:***@db/shop?sslmode=require");
         ASSERT_TRUE(c.cdc.has_value());
         EXPECT_EQ(c.cdc->slot, "shop_slot");
         EXPECT_EQ(c.cdc->publication, "nilus_shop");
         EXPECT_EQ(c.cdc->flush_interval, milliseconds(90000));
         EXPECT_EQ(c.cdc->heartbeat, milliseconds(30000));
         EXPECT_EQ(c.cdc->metrics_port, 9187);
         EXPECT_EQ(c.cdc->changelog_partition, "day");
         ASSERT_EQ(c.source.tables.size(), 2u);
       }},
      {"valid_cdc_defaults.yaml",
       [](const PipelineConfig& c) {
         ASSERT_TRUE(c.cdc.has_value());
         EXPECT_EQ(c.cdc->slot, "nilus_shop_eu");
         EXPECT_EQ(c.cdc->publication, "nilus_shop_eu");
         EXPECT_EQ(c.cdc->flush_interval, milliseconds(5000));
         EXPECT_FALSE(c.cdc->heartbeat.has_value());
         EXPECT_FALSE(c.cdc->metrics_port.has_value());
         ASSERT_EQ(c.source.tables.size(), 1u);
         EXPECT_EQ(c.source.tables[0].name, "public.orders");
       }},
  };
  return *kCheckers;
}

std::vector<std::string> GoldenFiles(std::string_view prefix) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(DataDir())) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ".yaml") out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(PipelineConfigGoldenTest, ValidFilesParseToExpectedValues) {
  std::vector<std::string> files = GoldenFiles("valid_");
  ASSERT_FALSE(files.empty());
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    auto checker = ValidCheckers().find(file);
    ASSERT_NE(checker, ValidCheckers().end()) << "add the expected values of " << file;
    std::vector<ConfigError> errors;
    Result<PipelineConfig> cfg = ParseGolden(file, &errors);
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    EXPECT_TRUE(errors.empty());
    checker->second(*cfg);
  }
  EXPECT_EQ(files.size(), ValidCheckers().size());
}

// Each bad_X.yaml produces exactly the lines of bad_X.errors, in order. With
// NILUS_UPDATE_GOLDEN=1 the .errors files are rewritten instead (review the diff).
TEST(PipelineConfigGoldenTest, InvalidFilesReportEveryError) {
  std::vector<std::string> files = GoldenFiles("bad_");
  ASSERT_FALSE(files.empty());
  const char* update = std::getenv("NILUS_UPDATE_GOLDEN");
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    std::vector<ConfigError> errors;
    Result<PipelineConfig> cfg = ParseGolden(file, &errors);
    ASSERT_FALSE(cfg.ok());
    EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
    std::string actual;
    for (const ConfigError& e : errors) actual += e.ToString(file) + "\n";
    fs::path expected_path = DataDir() / (file.substr(0, file.size() - 5) + ".errors");
    if (update != nullptr && std::string(update) == "1") {
      std::ofstream(expected_path, std::ios::binary) << actual;
      continue;
    }
    ASSERT_TRUE(fs::exists(expected_path)) << expected_path;
    EXPECT_EQ(actual, ReadText(expected_path));
    // The Status lists the same errors after a count line.
    std::string expected_status =
        fmt::format("{}: {} error{}\n{}", file, errors.size(), errors.size() == 1 ? "" : "s",
                    actual.substr(0, actual.size() - 1));
    EXPECT_EQ(cfg.status().message(), expected_status);
    // No secret from the environment leaks into a message.
    EXPECT_EQ(actual.find("s3cret"), std::string::npos);
    EXPECT_EQ(actual.find("hunter2"), std::string::npos);
  }
}

TEST(PipelineConfigGoldenTest, ExamplesAreValid) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(ExamplesDir())) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().filename().string());
    ++count;
    Result<PipelineConfig> cfg = ParsePipelineConfig(
        ReadText(entry.path()), entry.path().filename().string(),
        MapEnv({{"PGPASSWORD", "pw"}, {"SHOP_PG_URL", "postgresql://nilus@127.0.0.1:5432/nilus"}}));
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  }
  EXPECT_GE(count, 5);
}

// --- Focused cases. ---

const char* kMinimal = R"(name: p
source:
  kind: postgres
  url: postgresql://u:${PW}@h/db
  tables: [t]
destination:
  warehouse: ./w
)";

TEST(PipelineConfigTest, SubstitutesEnvironmentVariables) {
  Result<PipelineConfig> cfg = ParsePipelineConfig(kMinimal, "p.yaml", MapEnv({{"PW", "x y"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->source.url, "postgresql://u:x y@h/db");
  EXPECT_EQ(cfg->source.RedactedUrl(), "postgresql://u:***@h/db");
}

TEST(PipelineConfigTest, UnsetVariableNamesItAndItsPath) {
  std::vector<ConfigError> errors;
  Result<PipelineConfig> cfg = ParsePipelineConfig(kMinimal, "p.yaml", MapEnv({}), &errors);
  ASSERT_FALSE(cfg.ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "source.url");
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_EQ(errors[0].column, 8);
  EXPECT_EQ(errors[0].ToString("p.yaml"),
            "p.yaml:4:8: source.url: environment variable PW is not set");
  // An empty value is set: substituted as empty (no default given).
  cfg = ParsePipelineConfig(kMinimal, "p.yaml", MapEnv({{"PW", ""}}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->source.url, "postgresql://u:@h/db");
}

TEST(PipelineConfigTest, ProcessEnvReadsTheEnvironment) {
  ASSERT_EQ(setenv("NILUS_CONFIG_TEST_PW", "from-env", 1), 0);
  Result<PipelineConfig> cfg =
      ParsePipelineConfig(std::string(kMinimal).replace(std::string(kMinimal).find("${PW}"), 5,
                                                        "${NILUS_CONFIG_TEST_PW}"),
                          "p.yaml");
  unsetenv("NILUS_CONFIG_TEST_PW");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->source.url, "postgresql://u:from-env@h/db");
}

TEST(PipelineConfigTest, ManagerKeys) {
  const std::string with_manager = std::string(kMinimal) +
                                   "manager: https://manager.internal:8443\n"
                                   "manager_token: ${WRITE_TOKEN}\n"
                                   "manager_flush_timeout: 30s\n";
  Result<PipelineConfig> cfg = ParsePipelineConfig(
      with_manager, "p.yaml",
      MapEnv({{"PW", "x"}, {"WRITE_TOKEN", "tok-123"}, {"NILUS_MANAGER_TOKEN", "from-env"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->manager, "https://manager.internal:8443");
  EXPECT_EQ(cfg->manager_token, "tok-123");  // the file wins over NILUS_MANAGER_TOKEN
  EXPECT_EQ(cfg->manager_flush_timeout, milliseconds(30000));

  // Defaults: no token, 10s; an empty manager_token falls back to NILUS_MANAGER_TOKEN.
  cfg = ParsePipelineConfig(kMinimal, "p.yaml", MapEnv({{"PW", "x"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_TRUE(cfg->manager.empty());
  EXPECT_TRUE(cfg->manager_token.empty());
  EXPECT_EQ(cfg->manager_flush_timeout, milliseconds(10000));
  EXPECT_EQ(PipelineConfig().manager_flush_timeout, milliseconds(10000));
  for (const std::string tail : {"", "manager_token:\n", "manager_token: ${EMPTY}\n"}) {
    SCOPED_TRACE(tail);
    cfg = ParsePipelineConfig(
        std::string(kMinimal) + "manager: http://m:8080\n" + tail, "p.yaml",
        MapEnv({{"PW", "x"}, {"EMPTY", ""}, {"NILUS_MANAGER_TOKEN", "from-env"}}));
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    EXPECT_EQ(cfg->manager_token, "from-env");
  }
  // 0 is allowed: do not wait for the spool at the end of a run.
  cfg = ParsePipelineConfig(std::string(kMinimal) + "manager_flush_timeout: 0\n", "p.yaml",
                            MapEnv({{"PW", "x"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->manager_flush_timeout, milliseconds(0));
}

TEST(PipelineConfigTest, ManagerKeyErrorsNameTheKeyAndNeverTheToken) {
  struct Case {
    std::string yaml;
    std::string path;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"manager: ftp://m:21\n", "manager", "is not an http:// or https:// URL"},
      {"manager_flush_timeout: 10\n", "manager_flush_timeout", ""},
      {"manager_flush_timeout: soon\n", "manager_flush_timeout", ""},
      {"manager_flush_timeout: 2h\n", "manager_flush_timeout", "longer than 1h"},
      {"manager_flush_timeout: [1s]\n", "manager_flush_timeout", "not a list"},
      {"manager_token: ${NOPE}\n", "manager_token", "NOPE is not set"},
      {"manager_token: ${SPACEY}\n", "manager_token", "must not contain spaces"},
      {"manager_tokn: abc\n", "manager_tokn", "did you mean 'manager_token'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    std::vector<ConfigError> errors;
    Result<PipelineConfig> cfg =
        ParsePipelineConfig(std::string(kMinimal) + c.yaml, "p.yaml",
                            MapEnv({{"PW", "x"}, {"SPACEY", "secret token"}}), &errors);
    ASSERT_FALSE(cfg.ok());
    ASSERT_EQ(errors.size(), 1u) << cfg.status().ToString();
    EXPECT_EQ(errors[0].path, c.path);
    EXPECT_EQ(errors[0].line, 8);
    EXPECT_NE(errors[0].message.find(c.message_part), std::string::npos) << errors[0].message;
    EXPECT_EQ(cfg.status().message().find("secret token"), std::string::npos);
  }
  // A bad token from the environment is named by its variable, not quoted.
  std::vector<ConfigError> errors;
  Result<PipelineConfig> cfg = ParsePipelineConfig(
      kMinimal, "p.yaml", MapEnv({{"PW", "x"}, {"NILUS_MANAGER_TOKEN", "bad\ntoken"}}), &errors);
  ASSERT_FALSE(cfg.ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "manager_token");
  EXPECT_NE(errors[0].message.find("NILUS_MANAGER_TOKEN"), std::string::npos);
  EXPECT_EQ(cfg.status().message().find("bad\ntoken"), std::string::npos);
}

TEST(PipelineConfigTest, LoadsThroughFileIO) {
  MemoryFileIO io;
  ASSERT_TRUE(io.WriteFile("/cfg/p.yaml", kMinimal).ok());
  Result<PipelineConfig> cfg = LoadPipelineConfig(&io, "/cfg/p.yaml", MapEnv({{"PW", "pw"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->name, "p");
  Result<PipelineConfig> missing = LoadPipelineConfig(&io, "/cfg/none.yaml", MapEnv({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(PipelineConfigTest, LoadsFromLocalFileAndNamesItInErrors) {
  fs::path path = DataDir() / "bad_missing.yaml";
  Result<PipelineConfig> cfg = LoadPipelineConfig(path.string(), MapEnv({}));
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find(path.string() + ":2:1: source: required"),
            std::string::npos)
      << cfg.status().message();
  EXPECT_EQ(LoadPipelineConfig((DataDir() / "nope.yaml").string()).status().code(),
            StatusCode::kNotFound);
}

TEST(PipelineConfigTest, EnumNames) {
  EXPECT_EQ(SourceKindName(SourceKind::kJsonl), "jsonl");
  EXPECT_EQ(WriteDispositionName(WriteDisposition::kMerge), "merge");
  EXPECT_EQ(ContractModeName(ContractMode::kDiscardValue), "discard_value");
  EXPECT_EQ(BadRowPolicyName(BadRowPolicy::kQuarantine), "quarantine");
  EXPECT_EQ(NumericNanPolicyName(NumericNanPolicy::kString), "string");
}

struct RedactCase {
  const char* in;
  const char* out;
};

TEST(RedactUrlTest, MasksPasswords) {
  const RedactCase kCases[] = {
      {"postgresql://app:secret@db:5432/shop", "postgresql://app:***@db:5432/shop"},
      {"postgresql://app@db/shop", "postgresql://app@db/shop"},
      {"postgresql://db/shop", "postgresql://db/shop"},
      {"postgresql://app:p@ss@db/shop", "postgresql://app:***@db/shop"},
      {"postgresql://app:pw@db/shop?sslmode=require&password=two",
       "postgresql://app:***@db/shop?sslmode=require&password=***"},
      {"host=db user=app password=secret dbname=shop", "host=db user=app password=*** dbname=shop"},
      {"http://user:tok@manager:8080/api", "http://user:***@manager:8080/api"},
      {"sqlite:///./warehouse/catalog.db", "sqlite:///./warehouse/catalog.db"},
      {"", ""},
  };
  for (const RedactCase& c : kCases) EXPECT_EQ(RedactUrl(c.in), c.out) << c.in;
}

TEST(ParseIcebergPrimitiveTypeTest, Names) {
  const std::pair<const char*, const char*> kCases[] = {
      {"boolean", "boolean"},     {"INT", "int"},
      {"long", "long"},           {"float", "float"},
      {"double", "double"},       {"decimal(9, 2)", "decimal(9,2)"},
      {"date", "date"},           {"time", "time"},
      {"timestamp", "timestamp"}, {"timestamptz", "timestamptz"},
      {"string", "string"},       {"uuid", "uuid"},
      {"fixed[4]", "fixed[4]"},   {"binary", "binary"},
  };
  for (const auto& [in, out] : kCases) {
    Result<TypePtr> t = ParseIcebergPrimitiveType(in);
    ASSERT_TRUE(t.ok()) << in << ": " << t.status().ToString();
    EXPECT_EQ((*t)->ToString(), out);
  }
  for (const char* bad :
       {"", "decimal", "decimal(0,0)", "decimal(5,6)", "fixed[0]", "fixed", "list<int>", "strin"}) {
    EXPECT_FALSE(ParseIcebergPrimitiveType(bad).ok()) << bad;
  }
  EXPECT_NE(ParseIcebergPrimitiveType("strin").status().message().find("did you mean 'string'"),
            std::string::npos);
}

TEST(DurationTest, Parses) {
  const std::pair<const char*, int64_t> kCases[] = {
      {"0", 0},         {"500ms", 500},   {"5s", 5000},           {"2m", 120000},
      {"1h", 3600000},  {"1d", 86400000}, {"1m30s", 90000},       {"1.5s", 1500},
      {" 10s ", 10000}, {"0s", 0},        {"1h2m3s4ms", 3723004},
  };
  for (const auto& [in, ms] : kCases) {
    Result<milliseconds> d = ParseDuration(in);
    ASSERT_TRUE(d.ok()) << in << ": " << d.status().ToString();
    EXPECT_EQ(d->count(), ms) << in;
  }
  for (const char* bad : {"", "5", "-5s", "5 s", "s", "5x", "1e3s", "5sec", "1.s.s"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatDuration(milliseconds(90000)), "1m30s");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(90061001)), "1d1h1m1s1ms");
}

TEST(ByteSizeTest, Parses) {
  const std::pair<const char*, int64_t> kCases[] = {
      {"0", 0},
      {"4096", 4096},
      {"10B", 10},
      {"1KB", 1000},
      {"1kB", 1000},
      {"512MB", 512000000},
      {"128MiB", int64_t{128} << 20},
      {"128 MiB", int64_t{128} << 20},
      {"1.5GiB", int64_t{3} << 29},
      {"2TiB", int64_t{2} << 40},
      {"1GB", 1000000000},
  };
  for (const auto& [in, bytes] : kCases) {
    Result<int64_t> s = ParseByteSize(in);
    ASSERT_TRUE(s.ok()) << in << ": " << s.status().ToString();
    EXPECT_EQ(*s, bytes) << in;
  }
  for (const char* bad : {"", "MiB", "-1MiB", "12 parsecs", "1mib", "1M", "9999999TiB"}) {
    EXPECT_FALSE(ParseByteSize(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatByteSize(int64_t{128} << 20), "128MiB");
  EXPECT_EQ(FormatByteSize(1536 * 1024), "1536KiB");
  EXPECT_EQ(FormatByteSize(1000), "1000B");
  EXPECT_EQ(FormatByteSize(0), "0B");
}

}  // namespace
}  // namespace nilus::pipeline
