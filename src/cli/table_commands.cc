// `nilus table list|show|history|orphans`: read-only inspection of Iceberg tables in a SQL
// catalog, and removal of files no snapshot references.
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

}  // namespace nilus::cli
