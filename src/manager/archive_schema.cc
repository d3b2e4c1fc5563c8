#include "manager/archive_schema.h"

#include <array>
#include <map>
#include <optional>
#include <variant>

namespace nilus::manager {

using pipeline::MetaColumn;
using pipeline::MetaColumnType;
using pipeline::MetaRow;
using pipeline::MetaTable;
using pipeline::MetaTime;
using pipeline::MetaValue;

namespace {

constexpr std::string_view kRunId = "run_id";
constexpr std::string_view kPipeline = "pipeline";
constexpr std::string_view kTableName = "table_name";

std::vector<ArchiveField> MakeFields() {
  const MetaTable& runs = pipeline::RunsInfoTable();
  std::vector<ArchiveField> out;
  auto column = [&](std::string name, const MetaTable& t, int i, bool required) {
    ArchiveField f;
    f.name = std::move(name);
    f.source = ArchiveField::Source::kColumn;
    f.table = &t;
    f.column = i;
    f.type = ArchiveTypeOf(t.columns[i].type);
    f.required = required;
    out.push_back(std::move(f));
  };
  column(std::string(kRunId), runs, pipeline::FindMetaColumn(runs, kRunId), true);
  column(std::string(kPipeline), runs, pipeline::FindMetaColumn(runs, kPipeline), true);
  ArchiveField table_name;
  table_name.name = std::string(kTableName);
  table_name.source = ArchiveField::Source::kTableName;
  table_name.type = Type::String();
  out.push_back(std::move(table_name));
  for (size_t i = 0; i < runs.columns.size(); ++i) {
    const MetaColumn& c = runs.columns[i];
    if (c.name == kRunId || c.name == kPipeline) continue;
    column(ArchivePrefix(runs) + std::string(c.name), runs, static_cast<int>(i), !c.nullable);
  }
  for (const MetaTable* t : ArchiveStageTables()) {
    for (size_t i = 0; i < t->columns.size(); ++i) {
      const MetaColumn& c = t->columns[i];
      if (c.name == kRunId || c.name == kTableName) continue;
      column(ArchivePrefix(*t) + std::string(c.name), *t, static_cast<int>(i), false);
    }
  }
  ArchiveField archived_at;
  archived_at.name = std::string(kArchivedAtColumn);
  archived_at.source = ArchiveField::Source::kArchivedAt;
  archived_at.type = Type::TimestampTz();
  archived_at.required = true;
  out.push_back(std::move(archived_at));
  return out;
}

Status AppendValue(const ArchiveField& f, const MetaValue& v, Column* col) {
  auto fail = [&](const std::string& why) {
    return Status::Invalid("archive column " + f.name + ": " + why);
  };
  if (std::holds_alternative<std::monostate>(v)) {
    if (f.required) return fail("is required but the value is null");
    col->AppendNull();
    return Status::OK();
  }
  const MetaColumnType type = f.table->columns[f.column].type;
  switch (type) {
    case MetaColumnType::kBool:
    case MetaColumnType::kInt32:
    case MetaColumnType::kInt64: {
      const int64_t* x = std::get_if<int64_t>(&v);
      if (x == nullptr) return fail("expected an integer, got text");
      if (type == MetaColumnType::kBool) {
        col->AppendBool(*x != 0);
      } else if (type == MetaColumnType::kInt32) {
        if (*x < INT32_MIN || *x > INT32_MAX) return fail("does not fit a 32-bit integer");
        col->AppendInt32(static_cast<int32_t>(*x));
      } else {
        col->AppendInt64(*x);
      }
      return Status::OK();
    }
    case MetaColumnType::kTimestamp: {
      const std::string* s = std::get_if<std::string>(&v);
      if (s == nullptr) return fail("expected a timestamp, got an integer");
      Result<MetaTime> t = pipeline::ParseMetaTime(*s);
      if (!t.ok()) return fail(t.status().message());
      col->AppendInt64(t->time_since_epoch().count());
      return Status::OK();
    }
    case MetaColumnType::kUuid:
    case MetaColumnType::kText:
    case MetaColumnType::kJson: {
      const std::string* s = std::get_if<std::string>(&v);
      if (s == nullptr) return fail("expected text, got an integer");
      col->AppendBytes(*s);
      return Status::OK();
    }
  }
  return fail("unknown type");
}

std::string StringCell(const MetaRow& row, std::string_view column) {
  const std::string* s = std::get_if<std::string>(&row.Get(column));
  return s ? *s : std::string();
}

}  // namespace

std::string ArchivePrefix(const MetaTable& table) {
  if (&table == &pipeline::RunsInfoTable()) return "run_";
  std::string name(table.name);
  constexpr std::string_view kSuffix = "_info";
  if (name.size() > kSuffix.size() && name.ends_with(kSuffix)) {
    name.resize(name.size() - kSuffix.size());
  }
  return name + "_";
}

TypePtr ArchiveTypeOf(MetaColumnType type) {
  switch (type) {
    case MetaColumnType::kBool:
      return Type::Boolean();
    case MetaColumnType::kInt32:
      return Type::Int();
    case MetaColumnType::kInt64:
      return Type::Long();
    case MetaColumnType::kTimestamp:
      return Type::TimestampTz();
    case MetaColumnType::kUuid:
    case MetaColumnType::kText:
    case MetaColumnType::kJson:
      return Type::String();
  }
  return Type::String();
}

std::vector<const MetaTable*> ArchiveStageTables() {
  std::vector<const MetaTable*> out;
  for (const MetaTable& t : pipeline::MetadataTables()) {
    if (t.parent_table == pipeline::RunsInfoTable().name) out.push_back(&t);
  }
  return out;
}

const std::vector<ArchiveField>& ArchiveFields() {
  static const std::vector<ArchiveField> fields = MakeFields();
  return fields;
}

SchemaPtr ArchiveSchema() {
  static const SchemaPtr schema = [] {
    std::vector<NestedField> out;
    int32_t id = 0;
    for (const ArchiveField& f : ArchiveFields()) {
      out.push_back(f.required ? NestedField::Required(++id, f.name, f.type)
                               : NestedField::Optional(++id, f.name, f.type));
    }
    return std::make_shared<const Schema>(std::move(out));
  }();
  return schema;
}

Result<std::unique_ptr<ColumnBatch>> BuildArchiveBatch(std::span<const ArchiveRun> runs,
                                                       MetaTime archived_at) {
  const std::vector<ArchiveField>& fields = ArchiveFields();
  const std::vector<const MetaTable*> stages = ArchiveStageTables();
  auto batch = std::make_unique<ColumnBatch>(ArchiveSchema());
  // For each field, the stage slot it reads (-1: the run).
  std::vector<int> slot(fields.size(), -1);
  for (size_t i = 0; i < fields.size(); ++i) {
    for (size_t s = 0; s < stages.size(); ++s) {
      if (fields[i].table == stages[s]) slot[i] = static_cast<int>(s);
    }
  }
  for (const ArchiveRun& run : runs) {
    if (&run.run.table() != &pipeline::RunsInfoTable()) {
      return Status::Invalid("archive: a run's row is not a runs_info row");
    }
    if (run.stage_rows.size() != stages.size()) {
      return Status::Invalid("archive: a run needs one list of rows per stage table");
    }
    const std::string run_id = StringCell(run.run, kRunId);
    // table name -> the row of each stage (nullptr: none).
    std::map<std::string, std::vector<const MetaRow*>> by_table;
    for (size_t s = 0; s < stages.size(); ++s) {
      for (const MetaRow& row : run.stage_rows[s]) {
        if (&row.table() != stages[s]) {
          return Status::Invalid("archive: run " + run_id + ": a row of " +
                                 std::string(row.table().name) + " is in the slot of " +
                                 std::string(stages[s]->name));
        }
        if (StringCell(row, kRunId) != run_id) {
          return Status::Invalid("archive: run " + run_id + ": a row of " +
                                 std::string(stages[s]->name) + " belongs to run " +
                                 StringCell(row, kRunId));
        }
        std::vector<const MetaRow*>& cells = by_table[StringCell(row, kTableName)];
        cells.resize(stages.size(), nullptr);
        if (cells[s] != nullptr) {
          return Status::Invalid("archive: run " + run_id + ": two rows of " +
                                 std::string(stages[s]->name) + " for table " +
                                 StringCell(row, kTableName));
        }
        cells[s] = &row;
      }
    }
    auto append_row = [&](const std::string* table_name,
                          const std::vector<const MetaRow*>* cells) -> Status {
      for (size_t i = 0; i < fields.size(); ++i) {
        const ArchiveField& f = fields[i];
        Column* col = batch->mutable_column(static_cast<int>(i));
        switch (f.source) {
          case ArchiveField::Source::kTableName:
            if (table_name == nullptr) {
              col->AppendNull();
            } else {
              col->AppendBytes(*table_name);
            }
            break;
          case ArchiveField::Source::kArchivedAt:
            col->AppendInt64(archived_at.time_since_epoch().count());
            break;
          case ArchiveField::Source::kColumn: {
            static const MetaValue kNull;
            const MetaRow* row = &run.run;
            if (slot[i] >= 0) row = cells == nullptr ? nullptr : (*cells)[slot[i]];
            const MetaValue& v = row == nullptr ? kNull : row->values()[f.column];
            NILUS_RETURN_NOT_OK_CTX(AppendValue(f, v, col), "run " + run_id);
            break;
          }
        }
      }
      return Status::OK();
    };
    if (by_table.empty()) {
      NILUS_RETURN_NOT_OK(append_row(nullptr, nullptr));
    } else {
      for (const auto& [name, cells] : by_table) {
        NILUS_RETURN_NOT_OK(append_row(&name, &cells));
      }
    }
  }
  NILUS_RETURN_NOT_OK(batch->Validate());
  return batch;
}

}  // namespace nilus::manager
