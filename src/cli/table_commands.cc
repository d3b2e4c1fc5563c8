// `nilus table list|show|history|orphans|expire|compact`: inspection of Iceberg tables in a
// SQL catalog and their maintenance.
#include <time.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "iceberg/catalog/sql_catalog.h"
#include "iceberg/compaction.h"
#include "iceberg/expire_snapshots.h"
#include "iceberg/maintenance.h"
#include "iceberg/partition_spec.h"
#include "iceberg/schema_json.h"
#include "iceberg/table.h"
#include "storage/local_file_io.h"

namespace nilus::cli {

namespace {

using Json = nlohmann::ordered_json;
using iceberg::Catalog;
using iceberg::SqlCatalogStore;
using iceberg::Table;

// An opened catalog. Members are destroyed in reverse order, so io and store outlive catalog.
struct OpenCatalog {
  LocalFileIO io;
  std::unique_ptr<SqlCatalogStore> store;
  std::unique_ptr<Catalog> catalog;
};

// The directory of a sqlite catalog file, empty for other URIs and in-memory databases.
std::string DefaultWarehouse(const std::string& uri) {
  const std::string prefix = "sqlite:///";
  if (uri.rfind(prefix, 0) != 0) return "";
  const std::string file = uri.substr(prefix.size());
  if (file.empty() || file == ":memory:") return "";
  std::string dir = std::filesystem::path(file).parent_path().string();
  return dir.empty() ? "." : dir;
}

Result<std::unique_ptr<OpenCatalog>> Open(const TableCliOptions& options) {
  std::string warehouse = options.warehouse;
  if (warehouse.empty()) warehouse = DefaultWarehouse(options.catalog_uri);
  if (warehouse.empty()) {
    return Status::Invalid("--warehouse is required for catalog " + options.catalog_uri);
  }
  auto out = std::make_unique<OpenCatalog>();
  NILUS_ASSIGN_OR_RAISE(out->store,
                        SqlCatalogStore::Open(options.catalog_uri, options.catalog_name));
  NILUS_ASSIGN_OR_RAISE(out->catalog, Catalog::Make(out->store.get(), &out->io, warehouse));
  return out;
}

// "lake.raw.events" -> namespace "lake.raw", table "events".
Result<std::unique_ptr<Table>> LoadTable(OpenCatalog* c, const std::string& ident) {
  const size_t dot = ident.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == ident.size()) {
    return Status::Invalid("table '" + ident + "' must be written NAMESPACE.TABLE");
  }
  return c->catalog->LoadTable(ident.substr(0, dot), ident.substr(dot + 1));
}

std::string IsoTime(int64_t ms) {
  const time_t secs = static_cast<time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int64_t millis = ms - static_cast<int64_t>(secs) * 1000;
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buf;
}

int Fail(const Status& st) {
  std::cerr << "nilus table: " << st.ToString() << "\n";
  return 1;
}

void PrintJson(const Json& j) {
  std::cout << j.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
}

Json SnapshotJson(const iceberg::Snapshot& s) {
  Json j;
  j["snapshot-id"] = s.snapshot_id;
  j["parent-snapshot-id"] = s.parent_snapshot_id ? Json(*s.parent_snapshot_id) : Json(nullptr);
  j["sequence-number"] = s.sequence_number;
  j["timestamp-ms"] = s.timestamp_ms;
  j["timestamp"] = IsoTime(s.timestamp_ms);
  j["manifest-list"] = s.manifest_list;
  j["summary"] = Json(s.summary);
  return j;
}

std::string SummaryOr(const iceberg::Snapshot& s, std::string_view key) {
  return std::string(s.SummaryValue(key).value_or("-"));
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  size_t pos = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  if (pos == 0 || pos > 9) {  // 9 digits: days in ms still fit int64
    return Status::Invalid("bad duration '" + text + "': expected e.g. 3d, 12h, 30m, 45s or 0");
  }
  const int64_t n = std::stoll(text.substr(0, pos));
  const std::string unit = text.substr(pos);
  if (unit.empty() && n == 0) return std::chrono::milliseconds(0);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "s") return std::chrono::milliseconds(n * 1000);
  if (unit == "m") return std::chrono::milliseconds(n * 60 * 1000);
  if (unit == "h") return std::chrono::milliseconds(n * 3600 * 1000);
  if (unit == "d") return std::chrono::milliseconds(n * 86400 * 1000);
  return Status::Invalid("bad duration '" + text + "': unit must be ms, s, m, h or d");
}

int RunTableList(const TableCliOptions& options, const std::string& ns) {
  auto c = Open(options);
  if (!c.ok()) return Fail(c.status());
  SqlCatalogStore* store = (*c)->store.get();
  // Namespaces to show: the one asked for and everything below it, depth first.
  std::vector<std::string> namespaces;
  std::vector<std::string> pending;
  if (ns.empty()) {
    auto top = store->ListNamespaces("");
    if (!top.ok()) return Fail(top.status());
    pending.assign(top->rbegin(), top->rend());
  } else {
    pending.push_back(ns);
  }
  while (!pending.empty()) {
    std::string next = std::move(pending.back());
    pending.pop_back();
    auto children = store->ListNamespaces(next);
    if (!children.ok()) return Fail(children.status());
    pending.insert(pending.end(), children->rbegin(), children->rend());
    namespaces.push_back(std::move(next));
  }
  Json out = Json::array();
  for (const std::string& name : namespaces) {
    auto tables = store->ListTables(name);
    if (!tables.ok()) return Fail(tables.status());
    if (options.json) {
      out.push_back(Json{{"namespace", name}, {"tables", *tables}});
      continue;
    }
    std::cout << name << "\n";
    for (const std::string& t : *tables) std::cout << "  " << name << "." << t << "\n";
  }
  if (options.json) PrintJson(out);
  return 0;
}

int RunTableShow(const TableCliOptions& options, const std::string& ident) {
  auto c = Open(options);
  if (!c.ok()) return Fail(c.status());
  auto table = LoadTable(c->get(), ident);
  if (!table.ok()) return Fail(table.status());
  const iceberg::TableMetadata& md = (*table)->metadata();
  const Schema* schema = md.CurrentSchema();
  const iceberg::PartitionSpec* spec = md.DefaultSpec();
  const iceberg::Snapshot* current = md.CurrentSnapshot();
  std::optional<iceberg::SnapshotFileCounts> counts;
  if (current != nullptr) {
    auto r = iceberg::CountLiveFiles((*table)->io(), *current);
    if (!r.ok()) return Fail(r.status());
    counts = *r;
  }
  if (options.json) {
    Json j;
    j["table"] = (*table)->FullName();
    j["location"] = md.location;
    j["metadata-location"] = (*table)->metadata_location();
    j["format-version"] = md.format_version;
    j["table-uuid"] = md.table_uuid;
    j["schema"] = schema ? Json::parse(iceberg::SchemaToJson(*schema)) : Json(nullptr);
    j["partition-spec"] = spec ? Json::parse(iceberg::PartitionSpecToJson(*spec)) : Json(nullptr);
    j["properties"] = Json(md.properties);
    j["current-snapshot"] = current ? SnapshotJson(*current) : Json(nullptr);
    if (counts) {
      j["live"] =
          Json{{"manifests", counts->manifests},           {"data-files", counts->data_files},
               {"delete-files", counts->delete_files},     {"data-records", counts->data_records},
               {"delete-records", counts->delete_records}, {"total-bytes", counts->total_bytes}};
    }
    PrintJson(j);
    return 0;
  }
  std::cout << "table:           " << (*table)->FullName() << "\n"
            << "location:        " << md.location << "\n"
            << "metadata:        " << (*table)->metadata_location() << "\n"
            << "format version:  " << md.format_version << "\n"
            << "uuid:            " << md.table_uuid << "\n";
  if (schema != nullptr) {
    std::cout << "schema (id " << schema->schema_id() << "):\n";
    for (const NestedField& f : schema->fields()) {
      std::cout << "  " << f.id << ": " << f.name << ": "
                << (f.required ? "required " : "optional ") << f.type->ToString() << "\n";
    }
  }
  if (spec != nullptr) {
    std::cout << "partition spec (id " << spec->spec_id
              << "):" << (spec->fields.empty() ? " unpartitioned" : "") << "\n";
    for (const iceberg::PartitionField& f : spec->fields) {
      const NestedField* source = schema ? schema->FindFieldById(f.source_id) : nullptr;
      std::cout << "  " << f.field_id << ": " << f.name << " = " << f.transform.ToString() << "("
                << (source ? source->name : std::to_string(f.source_id)) << ")\n";
    }
  }
  std::cout << "properties:" << (md.properties.empty() ? " none" : "") << "\n";
  for (const auto& [k, v] : md.properties) std::cout << "  " << k << " = " << v << "\n";
  if (current == nullptr) {
    std::cout << "current snapshot: none\n";
    return 0;
  }
  std::cout << "current snapshot: " << current->snapshot_id << " (sequence "
            << current->sequence_number << ", " << IsoTime(current->timestamp_ms) << ")\n";
  for (const auto& [k, v] : current->summary) std::cout << "  " << k << " = " << v << "\n";
  std::cout << "live files: " << counts->data_files << " data (" << counts->data_records
            << " records), " << counts->delete_files << " delete (" << counts->delete_records
            << " records), " << counts->total_bytes << " bytes in " << counts->manifests
            << " manifests\n";
  return 0;
}

int RunTableHistory(const TableCliOptions& options, const std::string& ident) {
  auto c = Open(options);
  if (!c.ok()) return Fail(c.status());
  auto table = LoadTable(c->get(), ident);
  if (!table.ok()) return Fail(table.status());
  const iceberg::TableMetadata& md = (*table)->metadata();
  std::vector<const iceberg::Snapshot*> line;
  if (md.current_snapshot_id) line = md.Ancestors(*md.current_snapshot_id);
  if (options.json) {
    Json out = Json::array();
    for (const iceberg::Snapshot* s : line) out.push_back(SnapshotJson(*s));
    PrintJson(out);
    return 0;
  }
  std::printf("%-20s %-20s %8s %-24s %-10s %14s %14s\n", "snapshot-id", "parent-id", "sequence",
              "timestamp", "operation", "added-records", "total-records");
  for (const iceberg::Snapshot* s : line) {
    std::printf("%-20lld %-20s %8lld %-24s %-10s %14s %14s\n",
                static_cast<long long>(s->snapshot_id),
                s->parent_snapshot_id ? std::to_string(*s->parent_snapshot_id).c_str() : "-",
                static_cast<long long>(s->sequence_number), IsoTime(s->timestamp_ms).c_str(),
                std::string(s->operation()).c_str(), SummaryOr(*s, iceberg::kAddedRecords).c_str(),
                SummaryOr(*s, iceberg::kTotalRecords).c_str());
  }
  return 0;
}

int RunTableOrphans(const TableCliOptions& options, const std::string& ident,
                    const std::string& older_than, bool dry_run) {
  auto age = ParseDuration(older_than);
  if (!age.ok()) return Fail(age.status());
  auto c = Open(options);
  if (!c.ok()) return Fail(c.status());
  auto table = LoadTable(c->get(), ident);
  if (!table.ok()) return Fail(table.status());
  iceberg::OrphanFileOptions orphan_options;
  orphan_options.older_than = *age;
  auto result = iceberg::RemoveOrphanFiles(**table, orphan_options, dry_run);
  if (!result.ok()) return Fail(result.status());
  for (const std::string& f : result->failed)
    std::cerr << "nilus table: cannot delete " << f << "\n";
  if (options.json) {
    PrintJson(Json{{"dry-run", dry_run}, {"removed", result->removed}, {"failed", result->failed}});
  } else {
    for (const std::string& f : result->removed) {
      std::cout << (dry_run ? "would remove " : "removed ") << f << "\n";
    }
    std::cout << result->removed.size() << " orphan file(s) "
              << (dry_run ? "found (dry run)" : "removed") << ", " << result->failed.size()
              << " failed\n";
  }
  return result->failed.empty() ? 0 : 1;
}

Result<int64_t> ParseSize(const std::string& text) {
  size_t pos = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  const auto bad = [&] {
    return Status::Invalid("bad size '" + text + "': expected e.g. 512MiB, 128MB, 1GiB or bytes");
  };
  if (pos == 0 || pos > 15) return bad();
  const int64_t n = std::stoll(text.substr(0, pos));
  static const std::pair<std::string_view, int64_t> kUnits[] = {
      {"", 1},         {"B", 1},         {"KB", 1000},       {"KiB", 1024},
      {"MB", 1000000}, {"MiB", 1 << 20}, {"GB", 1000000000}, {"GiB", int64_t{1} << 30}};
  const std::string_view unit = std::string_view(text).substr(pos);
  for (const auto& [name, scale] : kUnits) {
    if (unit == name) {
      if (n > (int64_t{1} << 62) / scale) return bad();
      return n * scale;
    }
  }
  return bad();
}

namespace {

// "part=3,region=eu" against the table's default spec: each value parsed as its partition
// field's result type.
Result<iceberg::PartitionFilter> ParseWhere(const Table& table, const std::string& text) {
  iceberg::PartitionFilter filter;
  const iceberg::PartitionSpec* spec = table.metadata().DefaultSpec();
  const Schema* schema = table.metadata().CurrentSchema();
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(start, comma - start);
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::Invalid("--where '" + text + "': expected field=value[,field=value]");
    }
    const std::string name = item.substr(0, eq);
    const std::string value = item.substr(eq + 1);
    const iceberg::PartitionField* field = nullptr;
    for (const auto& f : spec->fields) {
      if (f.name == name) field = &f;
    }
    if (field == nullptr) {
      std::string names;
      for (const auto& f : spec->fields) names += (names.empty() ? "" : ", ") + f.name;
      return Status::Invalid("--where: table " + table.FullName() + " has no partition field '" +
                             name + "' (its fields: " + (names.empty() ? "none" : names) + ")");
    }
    const NestedField* source = schema->FindFieldById(field->source_id);
    if (source == nullptr) return Status::Invalid("--where: partition source column is missing");
    NILUS_ASSIGN_OR_RAISE(TypePtr type, field->transform.ResultType(*source->type));
    Value v{type, std::monostate{}};
    const auto bad = [&] {
      return Status::Invalid("--where: '" + value + "' is not a " + type->ToString() +
                             " (partition field '" + name + "')");
    };
    if (value != "null") {
      try {
        size_t used = 0;
        switch (type->id()) {
          case TypeId::kDate: {
            int y = 0;
            unsigned m = 0, d = 0;
            char tail = 0;
            if (std::sscanf(value.c_str(), "%d-%u-%u%c", &y, &m, &d, &tail) != 3) return bad();
            const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m},
                                                  std::chrono::day{d}};
            if (!ymd.ok()) return bad();
            v.v = static_cast<int32_t>(std::chrono::sys_days{ymd}.time_since_epoch().count());
            used = value.size();
            break;
          }
          case TypeId::kInt:
            v.v = static_cast<int32_t>(std::stol(value, &used));
            break;
          case TypeId::kLong:
            v.v = static_cast<int64_t>(std::stoll(value, &used));
            break;
          case TypeId::kString:
            v.v = value;
            used = value.size();
            break;
          case TypeId::kBoolean:
            if (value != "true" && value != "false") return bad();
            v.v = value == "true";
            used = value.size();
            break;
          default:
            return Status::NotImplemented("--where on a " + type->ToString() +
                                          " partition field is not supported");
        }
        if (used != value.size()) return bad();
      } catch (const std::exception&) {
        return bad();
      }
    }
    filter.Equal(name, std::move(v));
    start = comma + 1;
  }
  return filter;
}

}  // namespace

int RunTableExpire(const TableCliOptions& options, const std::string& ident,
                   const std::string& older_than, int retain_last, bool dry_run) {
  iceberg::ExpireSnapshotsOptions expire;
  if (!older_than.empty()) {
    auto age = ParseDuration(older_than);
    if (!age.ok()) return Fail(age.status());
    expire.older_than = *age;
  }
  if (retain_last > 0) expire.retain_last = retain_last;
  expire.dry_run = dry_run;
  auto c = Open(options);
  if (!c.ok()) return Fail(c.status());
  auto table = LoadTable(c->get(), ident);
  if (!table.ok()) return Fail(table.status());
  auto result = iceberg::ExpireSnapshots(**table, expire);
  if (!result.ok()) return Fail(result.status());
  for (const std::string& f : result->failed) std::cerr << "nilus table: " << f << "\n";
  const size_t files = result->deleted_manifest_lists.size() + result->deleted_manifests.size() +
                       result->deleted_data_files.size() + result->deleted_delete_files.size();
  if (options.json) {
    PrintJson(Json{{"dry-run", dry_run},
                   {"committed", result->committed},
                   {"expired-snapshots", result->expired_snapshot_ids},
                   {"deleted-manifest-lists", result->deleted_manifest_lists},
                   {"deleted-manifests", result->deleted_manifests},
                   {"deleted-data-files", result->deleted_data_files},
                   {"deleted-delete-files", result->deleted_delete_files},
                   {"failed", result->failed}});
  } else {
    for (int64_t id : result->expired_snapshot_ids) {
      std::cout << (dry_run ? "would expire snapshot " : "expired snapshot ") << id << "\n";
    }
    std::cout << result->expired_snapshot_ids.size() << " snapshot(s) "
              << (dry_run ? "to expire (dry run), " : "expired, ") << files << " file(s) "
              << (dry_run ? "to delete" : "deleted") << " (" << result->deleted_data_files.size()
              << " data, " << result->deleted_delete_files.size() << " delete, "
              << result->deleted_manifests.size() << " manifests, "
              << result->deleted_manifest_lists.size() << " manifest lists), "
              << result->failed.size() << " failed\n";
  }
  return result->failed.empty() ? 0 : 1;
}

int RunTableCompact(const TableCliOptions& options, const std::string& ident,
                    const std::string& target_size, const std::string& where, int min_input_files) {
  iceberg::CompactionOptions compact;
  if (!target_size.empty()) {
    auto size = ParseSize(target_size);
    if (!size.ok()) return Fail(size.status());
    compact.target_file_size_bytes = *size;
  }
  compact.min_input_files = min_input_files;
  auto c = Open(options);
  if (!c.ok()) return Fail(c.status());
  auto table = LoadTable(c->get(), ident);
  if (!table.ok()) return Fail(table.status());
  if (!where.empty()) {
    auto filter = ParseWhere(**table, where);
    if (!filter.ok()) return Fail(filter.status());
    compact.filter = filter.MoveValue();
  }
  auto r = iceberg::CompactTable(**table, compact);
  if (!r.ok()) return Fail(r.status());
  if (options.json) {
    PrintJson(Json{{"committed", r->committed},
                   {"snapshot-id", r->snapshot_id ? Json(*r->snapshot_id) : Json(nullptr)},
                   {"groups-rewritten", r->groups_rewritten},
                   {"data-files-read", r->data_files_read},
                   {"bytes-read", r->bytes_read},
                   {"rows-read", r->rows_read},
                   {"rows-deleted", r->rows_deleted},
                   {"delete-files-read", r->delete_files_read},
                   {"data-files-written", r->data_files_written},
                   {"bytes-written", r->bytes_written},
                   {"rows-written", r->rows_written},
                   {"delete-files-removed", r->delete_files_removed},
                   {"elapsed-ms", r->elapsed_ms}});
  } else if (!r->committed) {
    std::cout << "nothing to compact in " << ident << "\n";
  } else {
    std::cout << "compacted " << ident << ": " << r->data_files_read << " data file(s) ("
              << r->bytes_read << " bytes, " << r->rows_read << " rows) -> "
              << r->data_files_written << " file(s) (" << r->bytes_written << " bytes, "
              << r->rows_written << " rows); " << r->rows_deleted << " deleted row(s) applied, "
              << r->delete_files_removed << " delete file(s) removed; snapshot " << *r->snapshot_id
              << " in " << static_cast<int64_t>(r->elapsed_ms) << " ms\n";
  }
  return 0;
}

}  // namespace nilus::cli
