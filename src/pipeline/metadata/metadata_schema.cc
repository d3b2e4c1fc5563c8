#include "pipeline/metadata/metadata_schema.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>

namespace nilus::pipeline {
namespace {

using T = MetaColumnType;
using sv = std::string_view;

constexpr sv kRunStatusValues[] = {"running", "succeeded", "failed", "partial"};
constexpr sv kRunModeValues[] = {"batch", "cdc"};
constexpr sv kStageStatusValues[] = {"running", "succeeded", "failed", "skipped"};
constexpr sv kWriteDispositionValues[] = {"append", "replace", "merge"};

// ---- runs_info: one row per run.
constexpr MetaColumn kRunsInfoColumns[] = {
    {"run_id", T::kUuid, false, "", {}, 1},
    {"pipeline", T::kText, false, "", {}, 1},
    {"status", T::kText, false, "", kRunStatusValues, 1},
    {"mode", T::kText, false, "", kRunModeValues, 1},
    {"started_at", T::kTimestamp, false, "", {}, 1},
    {"finished_at", T::kTimestamp, true, "", {}, 1},
    {"duration_ms", T::kInt64, true, "", {}, 1},
    {"error", T::kText, true, "", {}, 1},
    {"nilus_version", T::kText, false, "", {}, 1},
    {"host", T::kText, false, "", {}, 1},
    {"config_hash", T::kText, false, "", {}, 1},
    {"load_id", T::kText, false, "", {}, 1},
    {"full_refresh", T::kBool, false, "false", {}, 1},
    {"tables_total", T::kInt32, false, "0", {}, 1},
    {"tables_failed", T::kInt32, false, "0", {}, 1},
    {"rows_extracted", T::kInt64, false, "0", {}, 1},
    {"bytes_extracted", T::kInt64, false, "0", {}, 1},
    {"rows_loaded", T::kInt64, false, "0", {}, 1},
    {"bytes_loaded", T::kInt64, false, "0", {}, 1},
    {"files_loaded", T::kInt64, false, "0", {}, 1},
};
constexpr sv kRunsInfoKey[] = {"run_id"};
// Listing runs newest first, filtered by pipeline or status, with keyset pagination on
// (started_at, run_id); per-pipeline summaries scan the pipeline index.
constexpr sv kIdxRunsPipeline[] = {"pipeline", "started_at", "run_id"};
constexpr sv kIdxRunsStatus[] = {"status", "started_at", "run_id"};
constexpr sv kIdxRunsStarted[] = {"started_at", "run_id"};
constexpr MetaIndex kRunsInfoIndexes[] = {
    {"runs_info_pipeline_started_idx", kIdxRunsPipeline, 1},
    {"runs_info_status_started_idx", kIdxRunsStatus, 1},
    {"runs_info_started_idx", kIdxRunsStarted, 1},
};

// The columns every stage table starts with.
constexpr MetaColumn kStageCommonColumns[] = {
    {"run_id", T::kUuid, false, "", {}, 1},
    {"table_name", T::kText, false, "", {}, 1},
    {"status", T::kText, false, "", kStageStatusValues, 1},
    {"started_at", T::kTimestamp, false, "", {}, 1},
    {"finished_at", T::kTimestamp, true, "", {}, 1},
    {"duration_ms", T::kInt64, true, "", {}, 1},
    {"row_count", T::kInt64, false, "0", {}, 1},
    {"byte_count", T::kInt64, false, "0", {}, 1},
    {"file_count", T::kInt64, false, "0", {}, 1},
    {"error", T::kText, true, "", {}, 1},
};
constexpr size_t kStageCommonCount = std::size(kStageCommonColumns);

// The common stage columns followed by a table's own.
template <size_t N>
constexpr std::array<MetaColumn, kStageCommonCount + N> StageColumns(const MetaColumn (&own)[N]) {
  std::array<MetaColumn, kStageCommonCount + N> out{};
  for (size_t i = 0; i < kStageCommonCount; ++i) out[i] = kStageCommonColumns[i];
  for (size_t i = 0; i < N; ++i) out[kStageCommonCount + i] = own[i];
  return out;
}

constexpr sv kStageKey[] = {"run_id", "table_name"};

// ---- extract_info: one row per run and source table.
constexpr MetaColumn kExtractOwnColumns[] = {
    {"source_kind", T::kText, false, "", {}, 1}, {"source_table", T::kText, false, "", {}, 1},
    {"chunks", T::kInt32, false, "0", {}, 1},    {"cursor_column", T::kText, true, "", {}, 1},
    {"cursor_from", T::kText, true, "", {}, 1},  {"cursor_to", T::kText, true, "", {}, 1},
    {"lsn_from", T::kText, true, "", {}, 1},     {"lsn_to", T::kText, true, "", {}, 1},
};

// ---- normalize_info: one row per run and root table.
constexpr MetaColumn kNormalizeOwnColumns[] = {
    {"rows_discarded", T::kInt64, false, "0", {}, 1},
    {"values_discarded", T::kInt64, false, "0", {}, 1},
    {"columns_added", T::kInt32, false, "0", {}, 1},
    {"variant_columns", T::kJson, false, "'[]'", {}, 1},
    {"child_tables", T::kJson, false, "'[]'", {}, 1},
    {"schema_changes", T::kJson, false, "'[]'", {}, 1},
};

// ---- load_info: one row per run and destination table (child tables included).
constexpr MetaColumn kLoadOwnColumns[] = {
    {"destination_table", T::kText, false, "", {}, 1},
    {"parent_table", T::kText, true, "", {}, 1},
    {"write_disposition", T::kText, false, "", kWriteDispositionValues, 1},
    {"load_id", T::kText, false, "", {}, 1},
    {"snapshot_id", T::kInt64, true, "", {}, 1},
    {"sequence_number", T::kInt64, true, "", {}, 1},
    {"rows_deleted", T::kInt64, false, "0", {}, 1},
    {"delete_file_count", T::kInt64, false, "0", {}, 1},
    {"committed_cursor", T::kText, true, "", {}, 1},
    {"committed_lsn", T::kText, true, "", {}, 1},
};
constexpr auto kExtractInfoColumns = StageColumns(kExtractOwnColumns);
constexpr auto kNormalizeInfoColumns = StageColumns(kNormalizeOwnColumns);
constexpr auto kLoadInfoColumns = StageColumns(kLoadOwnColumns);

// "Which run wrote snapshot N of table T?"
constexpr sv kIdxLoadDestination[] = {"destination_table", "snapshot_id"};
constexpr MetaIndex kLoadInfoIndexes[] = {
    {"load_info_destination_idx", kIdxLoadDestination, 1},
};

constexpr MetaTable kTables[] = {
    {"runs_info", kRunsInfoColumns, kRunsInfoKey, "", kRunsInfoIndexes, 1},
    {"extract_info", kExtractInfoColumns, kStageKey, "runs_info", {}, 1},
    {"normalize_info", kNormalizeInfoColumns, kStageKey, "runs_info", {}, 1},
    {"load_info", kLoadInfoColumns, kStageKey, "runs_info", kLoadInfoIndexes, 1},
};

constexpr int kLatestVersion = 1;

std::string Join(std::span<const sv> names, std::string_view sep = ", ") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += sep;
    out += names[i];
  }
  return out;
}

std::string ColumnDef(const MetaColumn& c, SqlDialect dialect) {
  std::string s(c.name);
  s += ' ';
  s += SqlTypeName(c.type, dialect);
  if (!c.nullable) s += " NOT NULL";
  if (!c.default_value.empty()) {
    s += " DEFAULT ";
    s += c.default_value;
  }
  if (!c.allowed_values.empty()) {
    s += " CHECK (";
    s += c.name;
    s += " IN (";
    for (size_t i = 0; i < c.allowed_values.size(); ++i) {
      if (i) s += ", ";
      s += '\'';
      s += c.allowed_values[i];
      s += '\'';
    }
    s += "))";
  }
  return s;
}

std::string CreateTableSql(const MetaTable& t, SqlDialect dialect, int version) {
  std::string s = "CREATE TABLE IF NOT EXISTS ";
  s += t.name;
  s += " (\n";
  for (const MetaColumn& c : t.columns) {
    if (c.since_version > version) continue;
    s += "  ";
    s += ColumnDef(c, dialect);
    s += ",\n";
  }
  s += "  PRIMARY KEY (" + Join(t.primary_key) + ")";
  if (!t.parent_table.empty()) {
    s += ",\n  FOREIGN KEY (run_id) REFERENCES ";
    s += t.parent_table;
    s += " (run_id) ON DELETE CASCADE";
  }
  s += "\n)";
  return s;
}

std::string Script(SqlDialect dialect) {
  std::string out = SchemaVersionTableDdl(dialect) + ";\n";
  for (int v = 1; v <= kLatestVersion; ++v) {
    for (const std::string& stmt : MigrationStatements(dialect, v)) out += stmt + ";\n";
  }
  return out;
}

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Parses exactly `n` digits at text[*pos].
bool Digits(std::string_view text, size_t* pos, int n, int* out) {
  if (*pos + n > text.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

std::string FormatMetaTime(MetaTime t) {
  using namespace std::chrono;
  sys_days day = floor<days>(t);
  year_month_day ymd(day);
  hh_mm_ss<microseconds> tod(t - day);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(tod.hours().count()),
                int(tod.minutes().count()), int(tod.seconds().count()),
                static_cast<long long>(tod.subseconds().count()));
  return buf;
}

Result<MetaTime> ParseMetaTime(std::string_view text) {
  using namespace std::chrono;
  auto bad = [&] {
    return Status::Invalid("'" + std::string(text) +
                           "' is not an ISO 8601 timestamp (YYYY-MM-DDTHH:MM:SS[.ffffff]Z)");
  };
  size_t p = 0;
  int y, mo, d, h, mi, s;
  if (!Digits(text, &p, 4, &y) || !Expect(text, &p, '-') || !Digits(text, &p, 2, &mo) ||
      !Expect(text, &p, '-') || !Digits(text, &p, 2, &d)) {
    return bad();
  }
  if (p >= text.size() || (text[p] != 'T' && text[p] != ' ')) return bad();
  ++p;
  if (!Digits(text, &p, 2, &h) || !Expect(text, &p, ':') || !Digits(text, &p, 2, &mi) ||
      !Expect(text, &p, ':') || !Digits(text, &p, 2, &s)) {
    return bad();
  }
  int64_t micros = 0;
  if (p < text.size() && text[p] == '.') {
    ++p;
    int ndigits = 0;
    while (p < text.size() && text[p] >= '0' && text[p] <= '9') {
      if (ndigits < 6) micros = micros * 10 + (text[p] - '0');
      ++ndigits;
      ++p;
    }
    if (ndigits == 0) return bad();
    for (int i = ndigits; i < 6; ++i) micros *= 10;
  }
  int64_t offset_min = 0;
  if (p < text.size() && text[p] == 'Z') {
    ++p;
  } else if (p < text.size() && (text[p] == '+' || text[p] == '-')) {
    int sign = text[p] == '-' ? -1 : 1;
    ++p;
    int oh, om = 0;
    if (!Digits(text, &p, 2, &oh)) return bad();
    if (p < text.size() && text[p] == ':') ++p;
    if (p < text.size() && !Digits(text, &p, 2, &om)) return bad();
    offset_min = sign * (oh * 60 + om);
  } else {
    return bad();
  }
  if (p != text.size()) return bad();
  year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return bad();
  MetaTime t = time_point_cast<microseconds>(sys_days(ymd)) + hours(h) + minutes(mi) + seconds(s) +
               microseconds(micros) - minutes(offset_min);
  return t;
}

bool IsCanonicalUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
    } else if (!IsHex(text[i])) {
      return false;
    }
  }
  return true;
}

int MetadataSchemaVersion() { return kLatestVersion; }

std::span<const MetaTable> MetadataTables() { return kTables; }
const MetaTable& RunsInfoTable() { return kTables[0]; }
const MetaTable& ExtractInfoTable() { return kTables[1]; }
const MetaTable& NormalizeInfoTable() { return kTables[2]; }
const MetaTable& LoadInfoTable() { return kTables[3]; }

const MetaTable* FindMetadataTable(std::string_view name) {
  for (const MetaTable& t : kTables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

int FindMetaColumn(const MetaTable& table, std::string_view name) {
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (table.columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string_view SqlTypeName(MetaColumnType type, SqlDialect dialect) {
  if (dialect == SqlDialect::kSqlite) {
    switch (type) {
      case T::kInt32:
      case T::kInt64:
      case T::kBool:
        return "INTEGER";
      default:
        return "TEXT";
    }
  }
  switch (type) {
    case T::kUuid:
      return "uuid";
    case T::kText:
      return "text";
    case T::kJson:
      return "jsonb";
    case T::kTimestamp:
      return "timestamptz";
    case T::kInt32:
      return "integer";
    case T::kInt64:
      return "bigint";
    case T::kBool:
      return "boolean";
  }
  return "text";
}

std::vector<std::string> MigrationStatements(SqlDialect dialect, int version) {
  std::vector<std::string> out;
  for (const MetaTable& t : kTables) {
    if (t.since_version == version) {
      out.push_back(CreateTableSql(t, dialect, version));
    } else if (t.since_version < version) {
      for (const MetaColumn& c : t.columns) {
        if (c.since_version != version) continue;
        // PostgreSQL can make this re-runnable; SQLite relies on the version table.
        out.push_back("ALTER TABLE " + std::string(t.name) + " ADD COLUMN " +
                      (dialect == SqlDialect::kPostgres ? "IF NOT EXISTS " : "") +
                      ColumnDef(c, dialect));
      }
    }
    for (const MetaIndex& idx : t.indexes) {
      if (idx.since_version != version) continue;
      out.push_back("CREATE INDEX IF NOT EXISTS " + std::string(idx.name) + " ON " +
                    std::string(t.name) + " (" + Join(idx.columns) + ")");
    }
  }
  return out;
}

std::string SchemaVersionTableDdl(SqlDialect dialect) {
  return "CREATE TABLE IF NOT EXISTS " + std::string(kSchemaVersionTable) +
         " (\n  version integer NOT NULL PRIMARY KEY,\n  applied_at " +
         std::string(SqlTypeName(T::kTimestamp, dialect)) + " NOT NULL\n)";
}

std::string SqliteDdl() { return Script(SqlDialect::kSqlite); }
std::string PostgresDdl() { return Script(SqlDialect::kPostgres); }

std::string SqlPlaceholder(SqlDialect dialect, int n) {
  return (dialect == SqlDialect::kSqlite ? "?" : "$") + std::to_string(n);
}

std::string UpsertSql(SqlDialect dialect, const MetaTable& table,
                      std::span<const std::string_view> update_columns) {
  std::string cols, vals, sets;
  int n = 0;
  for (const MetaColumn& c : table.columns) {
    if (n) {
      cols += ", ";
      vals += ", ";
    }
    cols += c.name;
    vals += SqlPlaceholder(dialect, ++n);
  }
  auto add_set = [&](std::string_view name) {
    if (!sets.empty()) sets += ", ";
    sets += std::string(name) + " = excluded." + std::string(name);
  };
  if (update_columns.empty()) {
    for (const MetaColumn& c : table.columns) {
      bool key = false;
      for (sv k : table.primary_key) key = key || k == c.name;
      if (!key) add_set(c.name);
    }
  } else {
    for (sv name : update_columns) add_set(name);
  }
  return "INSERT INTO " + std::string(table.name) + " (" + cols + ") VALUES (" + vals +
         ") ON CONFLICT (" + Join(table.primary_key) + ") DO UPDATE SET " + sets;
}

std::string SelectAllSql(const MetaTable& table) {
  std::string cols;
  for (const MetaColumn& c : table.columns) {
    if (!cols.empty()) cols += ", ";
    cols += c.name;
  }
  return "SELECT " + cols + " FROM " + std::string(table.name);
}

std::string FinishRunSql(SqlDialect dialect) {
  auto p = [&](int n) { return SqlPlaceholder(dialect, n); };
  std::string id = p(5);
  auto sum = [&](const char* col, const char* table) {
    return std::string("(SELECT COALESCE(SUM(") + col + "), 0) FROM " + table +
           " WHERE run_id = " + id + ")";
  };
  std::string failed;
  for (const char* t : {"extract_info", "normalize_info", "load_info"}) {
    if (!failed.empty()) failed += " UNION ";
    failed += std::string("SELECT table_name FROM ") + t + " WHERE run_id = " + id +
              " AND status = 'failed'";
  }
  return "UPDATE runs_info SET status = " + p(1) + ", finished_at = " + p(2) +
         ", duration_ms = " + p(3) + ", error = " + p(4) +
         ", tables_failed = (SELECT COUNT(*) FROM (" + failed + ") AS failed_tables)" +
         ", rows_extracted = " + sum("row_count", "extract_info") +
         ", bytes_extracted = " + sum("byte_count", "extract_info") +
         ", rows_loaded = " + sum("row_count", "load_info") +
         ", bytes_loaded = " + sum("byte_count", "load_info") +
         ", files_loaded = " + sum("file_count", "load_info") + " WHERE run_id = " + id;
}

MetaRow::MetaRow(const MetaTable& table) : table_(&table), values_(table.columns.size()) {}

void MetaRow::Set(std::string_view column, MetaValue value) {
  int i = FindMetaColumn(*table_, column);
  if (i < 0) {
    std::fprintf(stderr, "MetaRow::Set: no column %.*s in %.*s\n", int(column.size()),
                 column.data(), int(table_->name.size()), table_->name.data());
    std::abort();
  }
  values_[i] = std::move(value);
}

const MetaValue& MetaRow::Get(std::string_view column) const {
  int i = FindMetaColumn(*table_, column);
  if (i < 0) {
    std::fprintf(stderr, "MetaRow::Get: no column %.*s in %.*s\n", int(column.size()),
                 column.data(), int(table_->name.size()), table_->name.data());
    std::abort();
  }
  return values_[i];
}

std::vector<std::optional<std::string>> MetaRowTextParams(const MetaRow& row) {
  std::vector<std::optional<std::string>> out;
  out.reserve(row.values().size());
  for (const MetaValue& v : row.values()) {
    if (const int64_t* x = std::get_if<int64_t>(&v)) {
      out.push_back(std::to_string(*x));
    } else if (const std::string* s = std::get_if<std::string>(&v)) {
      out.push_back(*s);
    } else {
      out.push_back(std::nullopt);
    }
  }
  return out;
}

Status ValidateMetaRow(const MetaRow& row) {
  const MetaTable& t = row.table();
  for (size_t i = 0; i < t.columns.size(); ++i) {
    const MetaColumn& c = t.columns[i];
    const MetaValue& v = row.values()[i];
    auto fail = [&](const std::string& why) {
      return Status::Invalid(std::string(t.name) + "." + std::string(c.name) + ": " + why);
    };
    if (std::holds_alternative<std::monostate>(v)) {
      // A defaulted column may be left out; the database fills it in.
      if (!c.nullable && c.default_value.empty()) return fail("is required");
      continue;
    }
    bool integer = c.type == T::kInt32 || c.type == T::kInt64 || c.type == T::kBool;
    if (integer != std::holds_alternative<int64_t>(v)) {
      return fail(integer ? "must be an integer" : "must be a string");
    }
    if (integer) {
      int64_t x = std::get<int64_t>(v);
      if (c.type == T::kInt32 &&
          (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max())) {
        return fail("does not fit a 32-bit integer");
      }
      if (c.type == T::kBool && x != 0 && x != 1) return fail("must be a boolean");
      continue;
    }
    const std::string& s = std::get<std::string>(v);
    if (!c.allowed_values.empty()) {
      bool found = false;
      for (sv a : c.allowed_values) found = found || a == s;
      if (!found) return fail("'" + s + "' is not one of " + Join(c.allowed_values));
    }
    switch (c.type) {
      case T::kUuid:
        if (!IsCanonicalUuid(s)) return fail("'" + s + "' is not a lower-case UUID");
        break;
      case T::kTimestamp: {
        Result<MetaTime> parsed = ParseMetaTime(s);
        if (!parsed.ok()) return fail(parsed.status().message());
        break;
      }
      case T::kJson:
        if (!nlohmann::json::accept(s)) return fail("is not valid JSON");
        break;
      default:
        break;
    }
  }
  return Status::OK();
}

std::string MetaRowToJson(const MetaRow& row) {
  nlohmann::json obj = nlohmann::json::object();
  const MetaTable& t = row.table();
  for (size_t i = 0; i < t.columns.size(); ++i) {
    const MetaColumn& c = t.columns[i];
    const MetaValue& v = row.values()[i];
    std::string name(c.name);
    if (std::holds_alternative<std::monostate>(v)) continue;
    if (const int64_t* x = std::get_if<int64_t>(&v)) {
      if (c.type == T::kBool) {
        obj[name] = *x != 0;
      } else {
        obj[name] = *x;
      }
      continue;
    }
    const std::string& s = std::get<std::string>(v);
    if (c.type == T::kJson) {
      nlohmann::json parsed = nlohmann::json::parse(s, nullptr, /*allow_exceptions=*/false);
      obj[name] = parsed.is_discarded() ? nlohmann::json(s) : parsed;
    } else {
      obj[name] = s;
    }
  }
  // Replace, not throw, on invalid UTF-8 (error texts from sources can hold anything).
  return obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<MetaRow> MetaRowFromJson(const MetaTable& table, std::string_view json) {
  nlohmann::json obj = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (obj.is_discarded() || !obj.is_object()) {
    return Status::Invalid(std::string(table.name) + ": the record must be a JSON object");
  }
  MetaRow row(table);
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& key = it.key();
    int i = FindMetaColumn(table, key);
    if (i < 0) return Status::Invalid(std::string(table.name) + ": unknown field '" + key + "'");
    const MetaColumn& c = table.columns[i];
    const nlohmann::json& v = it.value();
    auto fail = [&](const char* what) {
      return Status::Invalid(std::string(table.name) + "." + key + ": must be " + what);
    };
    MetaValue& out = row.mutable_values()[i];
    if (v.is_null()) continue;
    switch (c.type) {
      case T::kBool:
        if (!v.is_boolean()) return fail("a boolean");
        out = int64_t{v.get<bool>() ? 1 : 0};
        break;
      case T::kInt32:
      case T::kInt64:
        if (v.is_number_integer() && !v.is_number_unsigned()) {
          out = v.get<int64_t>();
        } else if (v.is_number_unsigned() &&
                   v.get<uint64_t>() <= uint64_t(std::numeric_limits<int64_t>::max())) {
          out = static_cast<int64_t>(v.get<uint64_t>());
        } else {
          return fail("an integer");
        }
        break;
      case T::kJson:
        if (!v.is_array() && !v.is_object()) return fail("a JSON array or object");
        out = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        break;
      default:
        if (!v.is_string()) return fail("a string");
        out = v.get<std::string>();
        break;
    }
  }
  // Leave no NULL where the database has a default: the upsert binds every column.
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const MetaColumn& c = table.columns[i];
    MetaValue& v = row.mutable_values()[i];
    if (!std::holds_alternative<std::monostate>(v) || c.default_value.empty()) continue;
    if (c.default_value == "false" || c.default_value == "0") {
      v = int64_t{0};
    } else if (c.default_value == "'[]'") {
      v = std::string("[]");
    }
  }
  NILUS_RETURN_NOT_OK(ValidateMetaRow(row));
  return row;
}

}  // namespace nilus::pipeline
