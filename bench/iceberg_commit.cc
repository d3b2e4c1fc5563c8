// nilus_bench_iceberg_commit: latency of Iceberg commits through the SQL catalogs, the time to
// list the live data files of a 10,000-file table, and compaction throughput against the
// Parquet writer's raw speed (see bench/iceberg_commit).
//
//   nilus_bench_iceberg_commit --dir DIR [--pg URL] [--commits N] [--plan-runs R]
//                              [--compact-files F] [--compact-rows R] [--compact-only]
//
// --compact-only skips the commit and planning measurements (their fields say n/a).
//
// DIR must be an absolute, empty directory; it holds the SQLite catalog and the warehouse. The
// data files are tiny Parquet files written before any timing starts, so a timed commit does
// only what a commit does: write a manifest, a manifest list and a metadata file, then swap the
// catalog pointer. Without --pg the PostgreSQL rows say n/a.
//
// Compaction: F small files of R rows each (5 columns) are appended, with a position delete
// file removing every 100th row, then CompactTable rewrites them into target-size files. Its
// throughput is input bytes (the small files' sizes) per second of CompactTable. The same rows
// are then written once into one file by a bare ParquetWriter (only Write and Close timed, not
// the generation of the rows): its bytes per second are the raw speed compaction is held
// against.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

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
#include "iceberg/compaction.h"
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

// --- Compaction ---

// splitmix64: deterministic pseudo-random values from the row number.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

SchemaPtr CompactSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "amount", Type::Double()),
      NestedField::Optional(3, "token", Type::String()),
      NestedField::Optional(4, "category", Type::String()),
      NestedField::Optional(5, "at", Type::Timestamp()),
  });
}

// The rows of small file `f`: ids f*rows .. f*rows+rows-1.
std::unique_ptr<ColumnBatch> CompactRows(const SchemaPtr& schema, int f, int64_t rows) {
  static const char* kCategories[] = {"books", "games", "music", "garden", "tools", "toys",
                                      "food",  "shoes", "sport", "home",   "baby",  "auto"};
  auto batch = std::make_unique<ColumnBatch>(schema);
  for (int c = 0; c < batch->num_columns(); ++c) batch->mutable_column(c)->Reserve(rows);
  char token[17];
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t id = f * rows + i;
    const uint64_t h = Mix(static_cast<uint64_t>(id));
    batch->mutable_column(0)->AppendInt64(id);
    batch->mutable_column(1)->AppendDouble(static_cast<double>(h >> 11) / 9007199254740992.0 * 1e4);
    std::snprintf(token, sizeof(token), "%016llx", static_cast<unsigned long long>(Mix(h)));
    batch->mutable_column(2)->AppendBytes(token);
    batch->mutable_column(3)->AppendBytes(kCategories[h % 12]);
    batch->mutable_column(4)->AppendInt64(1700000000000000LL + id * 1000 + (h % 1000));
  }
  return batch;
}

int64_t PeakRssBytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<int64_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

// Resets the kernel's peak-RSS mark (Linux 4.0+), so that the next PeakRssBytes() covers only
// what follows. False when that is not possible.
bool ResetPeakRss() {
  int fd = open("/proc/self/clear_refs", O_WRONLY);
  if (fd < 0) return false;
  const bool ok = write(fd, "5", 1) == 1;
  close(fd);
  return ok;
}

struct CompactionBench {
  double compact_mb_s = 0;
  double writer_mb_s = 0;
  int64_t peak_rss_bytes = 0;
};

Result<CompactionBench> BenchCompaction(const std::string& uri, const std::string& warehouse,
                                        int files, int64_t rows_per_file) {
  NILUS_ASSIGN_OR_RAISE(auto store, SqlCatalogStore::Open(uri, "bench_compact"));
  LocalFileIO io;
  NILUS_RETURN_NOT_OK(store->CreateNamespace("bench"));
  NILUS_ASSIGN_OR_RAISE(auto catalog, Catalog::Make(store.get(), &io, warehouse + "/compact"));
  SchemaPtr schema = CompactSchema();
  NILUS_ASSIGN_OR_RAISE(auto table, catalog->CreateTable("bench", "compact", *schema,
                                                         PartitionSpec::Unpartitioned()));
  schema = table->metadata().schemas.at(0);
  const auto t_setup = Clock::now();
  auto append = table->NewFastAppend();
  PositionDeleteWriter deletes(&io, table->metadata().location + "/data/deletes.parquet");
  int64_t input_bytes = 0;
  for (int f = 0; f < files; ++f) {
    const std::string path =
        table->metadata().location + "/data/small-" + std::to_string(f) + ".parquet";
    NILUS_ASSIGN_OR_RAISE(auto writer, parquet::ParquetWriter::Open(&io, path, schema));
    NILUS_RETURN_NOT_OK(writer->Write(*CompactRows(schema, f, rows_per_file)));
    NILUS_ASSIGN_OR_RAISE(parquet::ParquetFileMetrics metrics, writer->Close());
    NILUS_ASSIGN_OR_RAISE(DataFile file, DataFileFromParquet(metrics, DataFileContent::kData, {}));
    input_bytes += file.file_size_in_bytes;
    for (int64_t pos = 0; pos < rows_per_file; pos += 100) deletes.Add(path, pos);
    append->AppendFile(std::move(file));
  }
  NILUS_RETURN_NOT_OK(append->Commit());
  NILUS_ASSIGN_OR_RAISE(DataFile delete_file, deletes.Close());
  auto delta = table->NewRowDelta();
  delta->AddDeletes(delete_file);
  NILUS_RETURN_NOT_OK(delta->Commit());
  std::printf(
      "compact    setup: %d files of %lld rows (%.1f MB) and %lld position deletes in %.0f ms\n",
      files, static_cast<long long>(rows_per_file), input_bytes / 1e6,
      static_cast<long long>(delete_file.record_count), MsSince(t_setup));

  CompactionOptions options;
  options.target_file_size_bytes = int64_t{256} << 20;
  const bool reset = ResetPeakRss();
  NILUS_ASSIGN_OR_RAISE(CompactionResult compacted, CompactTable(*table, options));
  const int64_t peak = PeakRssBytes();
  if (!compacted.committed || compacted.bytes_read != input_bytes ||
      compacted.rows_written != files * rows_per_file - delete_file.record_count) {
    return Status::Internal("compaction did not rewrite every row of every small file");
  }
  CompactionBench out;
  out.compact_mb_s = compacted.bytes_read / 1e6 / (compacted.elapsed_ms / 1e3);
  out.peak_rss_bytes = peak;
  std::printf(
      "compact    %lld files (%.1f MB, %lld rows) -> %lld files (%.1f MB, %lld rows) in %.0f ms: "
      "%.1f MB/s of input; peak RSS %.0f MiB%s\n",
      static_cast<long long>(compacted.data_files_read), compacted.bytes_read / 1e6,
      static_cast<long long>(compacted.rows_read),
      static_cast<long long>(compacted.data_files_written), compacted.bytes_written / 1e6,
      static_cast<long long>(compacted.rows_written), compacted.elapsed_ms, out.compact_mb_s,
      peak / 1048576.0, reset ? "" : " (whole process: peak reset unavailable)");

  // The raw writer: the same rows into one file, only Write and Close timed.
  const std::string raw_path = warehouse + "/compact/raw.parquet";
  double write_ms = 0;
  auto t0 = Clock::now();
  NILUS_ASSIGN_OR_RAISE(auto raw, parquet::ParquetWriter::Open(&io, raw_path, schema));
  write_ms += MsSince(t0);
  for (int f = 0; f < files; ++f) {
    auto batch = CompactRows(schema, f, rows_per_file);
    t0 = Clock::now();
    NILUS_RETURN_NOT_OK(raw->Write(*batch));
    write_ms += MsSince(t0);
  }
  t0 = Clock::now();
  NILUS_ASSIGN_OR_RAISE(parquet::ParquetFileMetrics raw_metrics, raw->Close());
  write_ms += MsSince(t0);
  out.writer_mb_s = raw_metrics.file_size / 1e6 / (write_ms / 1e3);
  std::printf("compact    raw ParquetWriter: %lld rows, %.1f MB in %.0f ms: %.1f MB/s\n",
              static_cast<long long>(raw_metrics.record_count), raw_metrics.file_size / 1e6,
              write_ms, out.writer_mb_s);
  return out;
}

int Main(int argc, char** argv) {
  // Progress lines appear as they happen, also when stdout is a pipe.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string dir;
  std::string pg;
  int commits = 20;
  int plan_runs = 5;
  int compact_files = 100;
  int64_t compact_rows = 60000;
  bool compact_only = false;
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
    } else if (i + 1 < argc && arg == "--compact-files") {
      compact_files = std::atoi(argv[++i]);
    } else if (i + 1 < argc && arg == "--compact-rows") {
      compact_rows = std::atoll(argv[++i]);
    } else if (arg == "--compact-only") {
      compact_only = true;
    } else {
      std::fprintf(stderr,
                   "usage: nilus_bench_iceberg_commit --dir DIR [--pg URL] [--commits N] "
                   "[--plan-runs R] [--compact-files F] [--compact-rows R] [--compact-only]\n");
      return 2;
    }
  }
  if (dir.empty() || dir[0] != '/' || commits < 1 || plan_runs < 1 || compact_files < 1 ||
      compact_rows < 100) {
    std::fprintf(stderr, "iceberg_commit: --dir must be absolute; counts must be positive\n");
    return 2;
  }
  const std::string warehouse = dir + "/warehouse";
  auto fail = [](const char* what, const Status& st) {
    std::fprintf(stderr, "iceberg_commit: %s: %s\n", what, st.ToString().c_str());
    return 1;
  };

  std::optional<CatalogResult> sqlite;
  std::optional<CatalogResult> postgres;
  std::optional<double> plan;
  if (!compact_only) {
    auto s = BenchCatalog("sqlite", "sqlite:///" + dir + "/catalog.db", warehouse, commits);
    if (!s.ok()) return fail("sqlite", s.status());
    sqlite = *s;
    if (!pg.empty()) {
      auto r = BenchCatalog("postgresql", pg, warehouse, commits);
      if (!r.ok()) return fail("postgresql", r.status());
      postgres = *r;
    } else {
      std::printf("postgresql: skipped (no --pg URL)\n");
    }
    auto p = BenchPlanning("sqlite:///" + dir + "/plan.db", warehouse, plan_runs);
    if (!p.ok()) return fail("plan10k", p.status());
    plan = *p;
  }
  auto compaction =
      BenchCompaction("sqlite:///" + dir + "/compact.db", warehouse, compact_files, compact_rows);
  if (!compaction.ok()) return fail("compaction", compaction.status());

  auto fmt = [](std::optional<double> v) {
    char buf[32];
    if (!v) return std::string("n/a");
    std::snprintf(buf, sizeof(buf), "%.2f", *v);
    return std::string(buf);
  };
  std::printf(
      "iceberg_commit append1_sqlite_ms=%s append100_sqlite_ms=%s append1_pg_ms=%s "
      "append100_pg_ms=%s plan10k_ms=%s compact_mb_s=%s writer_mb_s=%s compact_vs_writer=%s "
      "compact_peak_rss_mb=%s\n",
      fmt(sqlite ? std::optional(sqlite->append1_ms) : std::nullopt).c_str(),
      fmt(sqlite ? std::optional(sqlite->append100_ms) : std::nullopt).c_str(),
      fmt(postgres ? std::optional(postgres->append1_ms) : std::nullopt).c_str(),
      fmt(postgres ? std::optional(postgres->append100_ms) : std::nullopt).c_str(),
      fmt(plan).c_str(), fmt(compaction->compact_mb_s).c_str(),
      fmt(compaction->writer_mb_s).c_str(),
      fmt(compaction->compact_mb_s / compaction->writer_mb_s).c_str(),
      fmt(compaction->peak_rss_bytes / 1048576.0).c_str());
  return 0;
}

}  // namespace
}  // namespace nilus::iceberg

int main(int argc, char** argv) { return nilus::iceberg::Main(argc, argv); }
