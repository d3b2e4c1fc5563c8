// nilus_bench_iceberg_commit: latency of Iceberg commits through the SQL catalogs, and the time
// to list the live data files of a 10,000-file table (see bench/iceberg_commit).
//
//   nilus_bench_iceberg_commit --dir DIR [--pg URL] [--commits N] [--plan-runs R]
//
// DIR must be an absolute, empty directory; it holds the SQLite catalog and the warehouse. The
// data files are tiny Parquet files written before any timing starts, so a timed commit does
// only what a commit does: write a manifest, a manifest list and a metadata file, then swap the
// catalog pointer. Without --pg the PostgreSQL rows say n/a.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/column_batch.h"
#include "core/result.h"
#include "core/status.h"
#include "formats/parquet/writer.h"
#include "iceberg/catalog/sql_catalog.h"
#include "iceberg/file_writers.h"
#include "iceberg/manifest.h"
#include "iceberg/manifest_list.h"
#include "iceberg/table.h"
#include "storage/local_file_io.h"

namespace nilus::iceberg {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

SchemaPtr BenchSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "name", Type::String()),
  });
}

// Writes `count` data files of 10 rows each under the table's data/ folder.
Result<std::vector<DataFile>> WriteFiles(FileIO* io, const Table& table, const std::string& stem,
                                         int count) {
  SchemaPtr schema = table.metadata().schemas.at(0);
  std::vector<DataFile> out;
  out.reserve(count);
  for (int f = 0; f < count; ++f) {
    const std::string path =
        table.metadata().location + "/data/" + stem + "-" + std::to_string(f) + ".parquet";
    NILUS_ASSIGN_OR_RAISE(auto writer, parquet::ParquetWriter::Open(io, path, schema));
    ColumnBatch batch(schema);
    for (int i = 0; i < 10; ++i) {
      const int64_t id = static_cast<int64_t>(f) * 10 + i;
      batch.mutable_column(0)->AppendInt64(id);
      batch.mutable_column(1)->AppendBytes("row" + std::to_string(id));
    }
    NILUS_RETURN_NOT_OK(writer->Write(batch));
    NILUS_ASSIGN_OR_RAISE(parquet::ParquetFileMetrics metrics, writer->Close());
    NILUS_ASSIGN_OR_RAISE(DataFile file, DataFileFromParquet(metrics, DataFileContent::kData, {}));
    out.push_back(std::move(file));
  }
  return out;
}

// Commits `files` in groups of `per_commit`, one commit per group; returns each commit's
// milliseconds.
Result<std::vector<double>> CommitInGroups(Table* table, const std::vector<DataFile>& files,
                                           int per_commit) {
  std::vector<double> ms;
  for (size_t i = 0; i < files.size(); i += per_commit) {
    auto append = table->NewFastAppend();
    for (size_t j = i; j < i + per_commit && j < files.size(); ++j) append->AppendFile(files[j]);
    const auto t0 = Clock::now();
    NILUS_RETURN_NOT_OK(append->Commit());
    ms.push_back(MsSince(t0));
  }
  return ms;
}

struct CatalogResult {
  double append1_ms = 0;
  double append100_ms = 0;
};

// Times `commits` appends of 1 file, then `commits` appends of 100 files, each on a fresh table
// of the catalog at `uri`.
Result<CatalogResult> BenchCatalog(const std::string& label, const std::string& uri,
                                   const std::string& warehouse, int commits) {
  NILUS_ASSIGN_OR_RAISE(auto store, SqlCatalogStore::Open(uri, "bench_" + label));
  LocalFileIO io;
  NILUS_ASSIGN_OR_RAISE(bool ns_exists, store->NamespaceExists("bench"));
  if (!ns_exists) NILUS_RETURN_NOT_OK(store->CreateNamespace("bench"));
  NILUS_ASSIGN_OR_RAISE(auto catalog, Catalog::Make(store.get(), &io, warehouse + "/" + label));
  CatalogResult result;
  for (int per_commit : {1, 100}) {
    const std::string name = "append" + std::to_string(per_commit);
    // A table left by an earlier run of the same catalog would grow: start afresh.
    if (store->LoadTable("bench", name).ok())
      NILUS_RETURN_NOT_OK(store->DropTable("bench", name).status());
    NILUS_ASSIGN_OR_RAISE(auto table, catalog->CreateTable("bench", name, *BenchSchema(),
                                                           PartitionSpec::Unpartitioned()));
    NILUS_ASSIGN_OR_RAISE(auto files, WriteFiles(&io, *table, name, per_commit * commits));
    NILUS_ASSIGN_OR_RAISE(auto ms, CommitInGroups(table.get(), files, per_commit));
    const double median = Median(ms);
    std::printf("%-10s append of %3d file(s): median %8.2f ms  (min %.2f, max %.2f, %d commits)\n",
                label.c_str(), per_commit, median, *std::min_element(ms.begin(), ms.end()),
                *std::max_element(ms.begin(), ms.end()), commits);
    (per_commit == 1 ? result.append1_ms : result.append100_ms) = median;
  }
  return result;
}

// Builds a table of 10,000 data files (100 commits of 100 files) and times listing its live data
// files through the manifest list and manifests.
Result<double> BenchPlanning(const std::string& uri, const std::string& warehouse, int runs) {
  NILUS_ASSIGN_OR_RAISE(auto store, SqlCatalogStore::Open(uri, "bench_plan"));
  LocalFileIO io;
  NILUS_RETURN_NOT_OK(store->CreateNamespace("bench"));
  NILUS_ASSIGN_OR_RAISE(auto catalog, Catalog::Make(store.get(), &io, warehouse + "/plan"));
  NILUS_ASSIGN_OR_RAISE(auto table, catalog->CreateTable("bench", "plan10k", *BenchSchema(),
                                                         PartitionSpec::Unpartitioned()));
  constexpr int kFiles = 10000;
  const auto t_write = Clock::now();
  NILUS_ASSIGN_OR_RAISE(auto files, WriteFiles(&io, *table, "plan", kFiles));
  const double write_ms = MsSince(t_write);
  const auto t_commit = Clock::now();
  NILUS_RETURN_NOT_OK(CommitInGroups(table.get(), files, 100).status());
  std::printf("plan10k    setup: %d files written in %.0f ms, 100 commits of 100 in %.0f ms\n",
              kFiles, write_ms, MsSince(t_commit));

  std::vector<double> load_ms;
  std::vector<double> list_ms;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = Clock::now();
    NILUS_ASSIGN_OR_RAISE(auto loaded, catalog->LoadTable("bench", "plan10k"));
    load_ms.push_back(MsSince(t0));
    const auto t1 = Clock::now();
    const Snapshot* current = loaded->metadata().CurrentSnapshot();
    if (current == nullptr) return Status::Internal("plan10k has no current snapshot");
    NILUS_ASSIGN_OR_RAISE(auto manifests, ReadManifestList(&io, current->manifest_list));
    std::vector<std::string> live;
    for (const ManifestFile& m : manifests) {
      NILUS_ASSIGN_OR_RAISE(auto entries, ReadManifest(&io, m));
      for (ManifestEntry& e : entries) {
        if (e.status != ManifestEntryStatus::kDeleted)
          live.push_back(std::move(e.data_file.file_path));
      }
    }
    list_ms.push_back(MsSince(t1));
    // A listing that lost files would time less work: refuse it.
    if (live.size() != kFiles) {
      return Status::Internal("plan10k lists " + std::to_string(live.size()) + " live files");
    }
  }
  const double median = Median(list_ms);
  std::printf(
      "plan10k    list 10,000 live files (100 manifests): median %.2f ms; load table: median "
      "%.2f ms  (%d runs)\n",
      median, Median(load_ms), runs);
  return median;
}

int Main(int argc, char** argv) {
  // Progress lines appear as they happen, also when stdout is a pipe.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string dir;
  std::string pg;
  int commits = 20;
  int plan_runs = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 < argc && arg == "--dir") {
      dir = argv[++i];
    } else if (i + 1 < argc && arg == "--pg") {
      pg = argv[++i];
    } else if (i + 1 < argc && arg == "--commits") {
      commits = std::atoi(argv[++i]);
    } else if (i + 1 < argc && arg == "--plan-runs") {
      plan_runs = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: nilus_bench_iceberg_commit --dir DIR [--pg URL] [--commits N] "
                   "[--plan-runs R]\n");
      return 2;
    }
  }
  if (dir.empty() || dir[0] != '/' || commits < 1 || plan_runs < 1) {
    std::fprintf(stderr, "iceberg_commit: --dir must be absolute; counts must be positive\n");
    return 2;
  }
  const std::string warehouse = dir + "/warehouse";
  auto fail = [](const char* what, const Status& st) {
    std::fprintf(stderr, "iceberg_commit: %s: %s\n", what, st.ToString().c_str());
    return 1;
  };

  auto sqlite = BenchCatalog("sqlite", "sqlite:///" + dir + "/catalog.db", warehouse, commits);
  if (!sqlite.ok()) return fail("sqlite", sqlite.status());
  std::optional<CatalogResult> postgres;
  if (!pg.empty()) {
    auto r = BenchCatalog("postgresql", pg, warehouse, commits);
    if (!r.ok()) return fail("postgresql", r.status());
    postgres = *r;
  } else {
    std::printf("postgresql: skipped (no --pg URL)\n");
  }
  auto plan = BenchPlanning("sqlite:///" + dir + "/plan.db", warehouse, plan_runs);
  if (!plan.ok()) return fail("plan10k", plan.status());
  std::printf("compaction throughput: not measured (no compaction/rewrite producer exists yet)\n");

  auto fmt = [](std::optional<double> v) {
    char buf[32];
    if (!v) return std::string("n/a");
    std::snprintf(buf, sizeof(buf), "%.2f", *v);
    return std::string(buf);
  };
  std::printf(
      "iceberg_commit append1_sqlite_ms=%s append100_sqlite_ms=%s append1_pg_ms=%s "
      "append100_pg_ms=%s plan10k_ms=%s\n",
      fmt(sqlite->append1_ms).c_str(), fmt(sqlite->append100_ms).c_str(),
      fmt(postgres ? std::optional(postgres->append1_ms) : std::nullopt).c_str(),
      fmt(postgres ? std::optional(postgres->append100_ms) : std::nullopt).c_str(),
      fmt(*plan).c_str());
  return 0;
}

}  // namespace
}  // namespace nilus::iceberg

int main(int argc, char** argv) { return nilus::iceberg::Main(argc, argv); }
