#include "pipeline/metadata/run_records.h"

#include <nlohmann/json.hpp>

namespace nilus::pipeline {
namespace {

using sv = std::string_view;
using json = nlohmann::json;

constexpr sv kBeginColumns[] = {"pipeline",    "mode",    "started_at",   "nilus_version", "host",
                                "config_hash", "load_id", "full_refresh", "tables_total"};

MetaValue Text(const std::string& s) { return s; }
MetaValue OptText(const std::optional<std::string>& s) { return s ? MetaValue(*s) : MetaValue(); }
MetaValue Time(MetaTime t) { return FormatMetaTime(t); }
MetaValue OptTime(const std::optional<MetaTime>& t) {
  return t ? MetaValue(FormatMetaTime(*t)) : MetaValue();
}
MetaValue OptInt(const std::optional<int64_t>& v) { return v ? MetaValue(*v) : MetaValue(); }

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Status CheckKey(sv table, const std::string& run_id) {
  if (!IsCanonicalUuid(run_id)) {
    return Status::Invalid(std::string(table) + ".run_id: '" + run_id +
                           "' is not a lower-case UUID");
  }
  return Status::OK();
}

Status FillStage(sv table, const StageInfo& r, MetaRow* row) {
  NILUS_RETURN_NOT_OK(CheckKey(table, r.run_id));
  if (r.table_name.empty()) return Status::Invalid(std::string(table) + ".table_name: is empty");
  std::optional<int64_t> duration = r.duration_ms;
  if (r.finished_at) {
    if (*r.finished_at < r.started_at) {
      return Status::Invalid(std::string(table) + ".finished_at: before started_at for table " +
                             r.table_name);
    }
    if (!duration) {
      duration =
          std::chrono::duration_cast<std::chrono::milliseconds>(*r.finished_at - r.started_at)
              .count();
    }
  }
  row->Set("run_id", Text(r.run_id));
  row->Set("table_name", Text(r.table_name));
  row->Set("status", std::string(StageStatusName(r.status)));
  row->Set("started_at", Time(r.started_at));
  row->Set("finished_at", OptTime(r.finished_at));
  row->Set("duration_ms", OptInt(duration));
  row->Set("row_count", r.row_count);
  row->Set("byte_count", r.byte_count);
  row->Set("file_count", r.file_count);
  row->Set("error", OptText(r.error));
  return Status::OK();
}

// Typed readers over a row read back from a store; a wrong cell type means a corrupt store.
struct RowReader {
  const MetaRow& row;
  Status status;

  void Fail(sv col, const char* what) {
    if (status.ok()) {
      status = Status::Corruption(std::string(row.table().name) + "." + std::string(col) +
                                  ": expected " + what);
    }
  }
  std::optional<std::string> OptText(sv col) {
    const MetaValue& v = row.Get(col);
    if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
    if (const std::string* s = std::get_if<std::string>(&v)) return *s;
    Fail(col, "text");
    return std::nullopt;
  }
  std::string Text(sv col) { return OptText(col).value_or(""); }
  std::optional<int64_t> OptInt(sv col) {
    const MetaValue& v = row.Get(col);
    if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
    if (const int64_t* x = std::get_if<int64_t>(&v)) return *x;
    Fail(col, "an integer");
    return std::nullopt;
  }
  int64_t Int(sv col) { return OptInt(col).value_or(0); }
  std::optional<MetaTime> OptTime(sv col) {
    std::optional<std::string> s = OptText(col);
    if (!s) return std::nullopt;
    Result<MetaTime> t = ParseMetaTime(*s);
    if (!t.ok()) {
      Fail(col, "a timestamp");
      return std::nullopt;
    }
    return *t;
  }
  MetaTime Time(sv col) { return OptTime(col).value_or(MetaTime{}); }
  json Json(sv col) {
    std::string s = Text(col);
    json j = json::parse(s.empty() ? "[]" : s, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      Fail(col, "JSON");
      return json::array();
    }
    return j;
  }
};

Status ReadStage(RowReader* rd, StageInfo* r) {
  r->run_id = rd->Text("run_id");
  r->table_name = rd->Text("table_name");
  Result<StageStatus> st = ParseStageStatus(rd->Text("status"));
  if (!st.ok()) return st.status();
  r->status = *st;
  r->started_at = rd->Time("started_at");
  r->finished_at = rd->OptTime("finished_at");
  r->duration_ms = rd->OptInt("duration_ms");
  r->row_count = rd->Int("row_count");
  r->byte_count = rd->Int("byte_count");
  r->file_count = rd->Int("file_count");
  r->error = rd->OptText("error");
  return rd->status;
}

std::string JsonString(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string_view RunStatusName(RunStatus s) {
  switch (s) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kSucceeded:
      return "succeeded";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kPartial:
      return "partial";
  }
  return "running";
}

std::string_view RunModeName(RunMode m) { return m == RunMode::kCdc ? "cdc" : "batch"; }

std::string_view StageStatusName(StageStatus s) {
  switch (s) {
    case StageStatus::kRunning:
      return "running";
    case StageStatus::kSucceeded:
      return "succeeded";
    case StageStatus::kFailed:
      return "failed";
    case StageStatus::kSkipped:
      return "skipped";
  }
  return "running";
}

Result<RunStatus> ParseRunStatus(std::string_view text) {
  for (RunStatus s :
       {RunStatus::kRunning, RunStatus::kSucceeded, RunStatus::kFailed, RunStatus::kPartial}) {
    if (RunStatusName(s) == text) return s;
  }
  return Status::Invalid("'" + std::string(text) +
                         "' is not a run status (running, succeeded, failed, partial)");
}

Result<RunMode> ParseRunMode(std::string_view text) {
  if (text == "batch") return RunMode::kBatch;
  if (text == "cdc") return RunMode::kCdc;
  return Status::Invalid("'" + std::string(text) + "' is not a run mode (batch, cdc)");
}

Result<StageStatus> ParseStageStatus(std::string_view text) {
  for (StageStatus s : {StageStatus::kRunning, StageStatus::kSucceeded, StageStatus::kFailed,
                        StageStatus::kSkipped}) {
    if (StageStatusName(s) == text) return s;
  }
  return Status::Invalid("'" + std::string(text) +
                         "' is not a stage status (running, succeeded, failed, skipped)");
}

std::span<const std::string_view> RunBeginColumns() { return kBeginColumns; }

Result<MetaRow> ToRow(const RunInfo& r) {
  NILUS_RETURN_NOT_OK(CheckKey("runs_info", r.run_id));
  if (r.pipeline.empty()) return Status::Invalid("runs_info.pipeline: is empty");
  MetaRow row(RunsInfoTable());
  row.Set("run_id", Text(r.run_id));
  row.Set("pipeline", Text(r.pipeline));
  row.Set("status", std::string(RunStatusName(r.status)));
  row.Set("mode", std::string(RunModeName(r.mode)));
  row.Set("started_at", Time(r.started_at));
  row.Set("finished_at", OptTime(r.finished_at));
  row.Set("duration_ms", OptInt(r.duration_ms));
  row.Set("error", OptText(r.error));
  row.Set("nilus_version", Text(r.nilus_version));
  row.Set("host", Text(r.host));
  row.Set("config_hash", Text(r.config_hash));
  row.Set("load_id", Text(r.load_id));
  row.Set("full_refresh", int64_t{r.full_refresh ? 1 : 0});
  row.Set("tables_total", int64_t{r.tables_total});
  row.Set("tables_failed", int64_t{r.tables_failed});
  row.Set("rows_extracted", r.rows_extracted);
  row.Set("bytes_extracted", r.bytes_extracted);
  row.Set("rows_loaded", r.rows_loaded);
  row.Set("bytes_loaded", r.bytes_loaded);
  row.Set("files_loaded", r.files_loaded);
  NILUS_RETURN_NOT_OK(ValidateMetaRow(row));
  return row;
}

Result<MetaRow> ToRow(const ExtractInfo& r) {
  MetaRow row(ExtractInfoTable());
  NILUS_RETURN_NOT_OK(FillStage("extract_info", r, &row));
  row.Set("source_kind", Text(r.source_kind));
  row.Set("source_table", Text(r.source_table));
  row.Set("chunks", int64_t{r.chunks});
  row.Set("cursor_column", OptText(r.cursor_column));
  row.Set("cursor_from", OptText(r.cursor_from));
  row.Set("cursor_to", OptText(r.cursor_to));
  row.Set("lsn_from", OptText(r.lsn_from));
  row.Set("lsn_to", OptText(r.lsn_to));
  NILUS_RETURN_NOT_OK(ValidateMetaRow(row));
  return row;
}

Result<MetaRow> ToRow(const NormalizeInfo& r) {
  MetaRow row(NormalizeInfoTable());
  NILUS_RETURN_NOT_OK(FillStage("normalize_info", r, &row));
  row.Set("rows_discarded", r.rows_discarded);
  row.Set("values_discarded", r.values_discarded);
  row.Set("columns_added", int64_t{r.columns_added});
  json variants = json::array();
  for (const std::string& v : r.variant_columns) variants.push_back(v);
  json children = json::array();
  for (const ChildTableRecord& c : r.child_tables) {
    children.push_back({{"table_name", c.table_name}, {"row_count", c.row_count}});
  }
  json changes = json::array();
  for (const SchemaChangeRecord& c : r.schema_changes) {
    json o = {{"kind", c.kind}};
    if (!c.column.empty()) o["column"] = c.column;
    if (!c.from_type.empty()) o["from_type"] = c.from_type;
    if (!c.to_type.empty()) o["to_type"] = c.to_type;
    changes.push_back(std::move(o));
  }
  row.Set("variant_columns", Dump(variants));
  row.Set("child_tables", Dump(children));
  row.Set("schema_changes", Dump(changes));
  NILUS_RETURN_NOT_OK(ValidateMetaRow(row));
  return row;
}

Result<MetaRow> ToRow(const LoadInfo& r) {
  MetaRow row(LoadInfoTable());
  NILUS_RETURN_NOT_OK(FillStage("load_info", r, &row));
  row.Set("destination_table", Text(r.destination_table));
  row.Set("parent_table", OptText(r.parent_table));
  row.Set("write_disposition", Text(r.write_disposition));
  row.Set("load_id", Text(r.load_id));
  row.Set("snapshot_id", OptInt(r.snapshot_id));
  row.Set("sequence_number", OptInt(r.sequence_number));
  row.Set("rows_deleted", r.rows_deleted);
  row.Set("delete_file_count", r.delete_file_count);
  row.Set("committed_cursor", OptText(r.committed_cursor));
  row.Set("committed_lsn", OptText(r.committed_lsn));
  NILUS_RETURN_NOT_OK(ValidateMetaRow(row));
  return row;
}

Result<RunInfo> RunInfoFromRow(const MetaRow& row) {
  RowReader rd{row, Status::OK()};
  RunInfo r;
  r.run_id = rd.Text("run_id");
  r.pipeline = rd.Text("pipeline");
  NILUS_ASSIGN_OR_RAISE(r.status, ParseRunStatus(rd.Text("status")));
  NILUS_ASSIGN_OR_RAISE(r.mode, ParseRunMode(rd.Text("mode")));
  r.started_at = rd.Time("started_at");
  r.finished_at = rd.OptTime("finished_at");
  r.duration_ms = rd.OptInt("duration_ms");
  r.error = rd.OptText("error");
  r.nilus_version = rd.Text("nilus_version");
  r.host = rd.Text("host");
  r.config_hash = rd.Text("config_hash");
  r.load_id = rd.Text("load_id");
  r.full_refresh = rd.Int("full_refresh") != 0;
  r.tables_total = static_cast<int32_t>(rd.Int("tables_total"));
  r.tables_failed = static_cast<int32_t>(rd.Int("tables_failed"));
  r.rows_extracted = rd.Int("rows_extracted");
  r.bytes_extracted = rd.Int("bytes_extracted");
  r.rows_loaded = rd.Int("rows_loaded");
  r.bytes_loaded = rd.Int("bytes_loaded");
  r.files_loaded = rd.Int("files_loaded");
  NILUS_RETURN_NOT_OK(rd.status);
  return r;
}

Result<ExtractInfo> ExtractInfoFromRow(const MetaRow& row) {
  RowReader rd{row, Status::OK()};
  ExtractInfo r;
  NILUS_RETURN_NOT_OK(ReadStage(&rd, &r));
  r.source_kind = rd.Text("source_kind");
  r.source_table = rd.Text("source_table");
  r.chunks = static_cast<int32_t>(rd.Int("chunks"));
  r.cursor_column = rd.OptText("cursor_column");
  r.cursor_from = rd.OptText("cursor_from");
  r.cursor_to = rd.OptText("cursor_to");
  r.lsn_from = rd.OptText("lsn_from");
  r.lsn_to = rd.OptText("lsn_to");
  NILUS_RETURN_NOT_OK(rd.status);
  return r;
}

Result<NormalizeInfo> NormalizeInfoFromRow(const MetaRow& row) {
  RowReader rd{row, Status::OK()};
  NormalizeInfo r;
  NILUS_RETURN_NOT_OK(ReadStage(&rd, &r));
  r.rows_discarded = rd.Int("rows_discarded");
  r.values_discarded = rd.Int("values_discarded");
  r.columns_added = static_cast<int32_t>(rd.Int("columns_added"));
  for (const json& v : rd.Json("variant_columns")) {
    if (v.is_string()) r.variant_columns.push_back(v.get<std::string>());
  }
  for (const json& c : rd.Json("child_tables")) {
    if (!c.is_object()) continue;
    ChildTableRecord child;
    child.table_name = JsonString(c, "table_name");
    auto it = c.find("row_count");
    if (it != c.end() && it->is_number_integer()) child.row_count = it->get<int64_t>();
    r.child_tables.push_back(std::move(child));
  }
  for (const json& c : rd.Json("schema_changes")) {
    if (!c.is_object()) continue;
    r.schema_changes.push_back({JsonString(c, "kind"), JsonString(c, "column"),
                                JsonString(c, "from_type"), JsonString(c, "to_type")});
  }
  NILUS_RETURN_NOT_OK(rd.status);
  return r;
}

Result<LoadInfo> LoadInfoFromRow(const MetaRow& row) {
  RowReader rd{row, Status::OK()};
  LoadInfo r;
  NILUS_RETURN_NOT_OK(ReadStage(&rd, &r));
  r.destination_table = rd.Text("destination_table");
  r.parent_table = rd.OptText("parent_table");
  r.write_disposition = rd.Text("write_disposition");
  r.load_id = rd.Text("load_id");
  r.snapshot_id = rd.OptInt("snapshot_id");
  r.sequence_number = rd.OptInt("sequence_number");
  r.rows_deleted = rd.Int("rows_deleted");
  r.delete_file_count = rd.Int("delete_file_count");
  r.committed_cursor = rd.OptText("committed_cursor");
  r.committed_lsn = rd.OptText("committed_lsn");
  NILUS_RETURN_NOT_OK(rd.status);
  return r;
}

}  // namespace nilus::pipeline
