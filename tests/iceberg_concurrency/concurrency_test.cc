// Concurrency tier for the Iceberg commit path: eight processes append to one table at once
// through a SQL catalog, and every commit must land with no data file lost or listed twice.
//
//   nilus_iceberg_concurrency_test sqlite|postgresql
//
// "postgresql" uses the cluster in NILUS_TEST_PG_URL (scripts/test sets it) and fails when it
// is unset, on purpose: a silently skipped tier would look green. Each run uses a catalog name
// of its own, so runs sharing the database do not see each other, and drops its table after.
//
// Workers are forked before any catalog connection or Parquet writer exists in the parent, and
// each opens its own store and FileIO, as SqlCatalogStore requires.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
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

constexpr int kWorkers = 8;
constexpr int kAppendsPerWorker = 5;
constexpr char kNamespace[] = "conc";
constexpr char kTableName[] = "events";

// Rows in the file worker `w` appends in round `a`: varied, so that a lost or doubled file
// changes the total.
int64_t RowsOf(int w, int a) { return 3 + w * kAppendsPerWorker + a; }
// Ids are disjoint across all files: file (w, a) holds [FirstId, FirstId + RowsOf).
int64_t FirstId(int w, int a) { return (w * kAppendsPerWorker + a) * 1000; }
std::string FileName(int w, int a) {
  return "w" + std::to_string(w) + "-a" + std::to_string(a) + ".parquet";
}

struct Setup {
  std::string uri;
  std::string catalog_name;
  std::string warehouse;
};

SchemaPtr EventSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "worker", Type::Int()),
  });
}

Result<DataFile> WriteFile(FileIO* io, const Table& table, int w, int a) {
  SchemaPtr schema = table.metadata().schemas.at(0);
  const std::string path = table.metadata().location + "/data/" + FileName(w, a);
  NILUS_ASSIGN_OR_RAISE(auto writer, parquet::ParquetWriter::Open(io, path, schema));
  ColumnBatch batch(schema);
  for (int64_t i = 0; i < RowsOf(w, a); ++i) {
    batch.mutable_column(0)->AppendInt64(FirstId(w, a) + i);
    batch.mutable_column(1)->AppendInt32(w);
  }
  NILUS_RETURN_NOT_OK(writer->Write(batch));
  NILUS_ASSIGN_OR_RAISE(parquet::ParquetFileMetrics metrics, writer->Close());
  return DataFileFromParquet(metrics, DataFileContent::kData, {});
}

// One worker: waits for the start signal, then commits its appends one at a time.
Status RunWorker(const Setup& setup, int w, int start_fd) {
  char c;
  while (::read(start_fd, &c, 1) > 0) {
  }
  NILUS_ASSIGN_OR_RAISE(auto store, SqlCatalogStore::Open(setup.uri, setup.catalog_name));
  LocalFileIO io;
  NILUS_ASSIGN_OR_RAISE(auto catalog, Catalog::Make(store.get(), &io, setup.warehouse));
  NILUS_ASSIGN_OR_RAISE(auto table, catalog->LoadTable(kNamespace, kTableName));
  int attempts = 0;
  for (int a = 0; a < kAppendsPerWorker; ++a) {
    NILUS_ASSIGN_OR_RAISE(DataFile file, WriteFile(&io, *table, w, a));
    auto append = table->NewFastAppend();
    append->AppendFile(std::move(file)).Set("nilus.worker", std::to_string(w));
    NILUS_RETURN_NOT_OK(append->Commit());
    attempts += append->attempts();
  }
  // Shows how hard the writers collided (a commit that retried took more than one attempt).
  std::printf("worker %d: %d commits in %d attempts\n", w, kAppendsPerWorker, attempts);
  return Status::OK();
}

int failures = 0;
void Expect(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what.c_str());
    ++failures;
  }
}

// Checks the final table: one snapshot per commit in one ancestry line, exact totals, and
// every worker's file live exactly once with its row count.
Status Verify(const Setup& setup) {
  NILUS_ASSIGN_OR_RAISE(auto store, SqlCatalogStore::Open(setup.uri, setup.catalog_name));
  LocalFileIO io;
  NILUS_ASSIGN_OR_RAISE(auto catalog, Catalog::Make(store.get(), &io, setup.warehouse));
  NILUS_ASSIGN_OR_RAISE(auto table, catalog->LoadTable(kNamespace, kTableName));
  const TableMetadata& md = table->metadata();
  constexpr int kCommits = kWorkers * kAppendsPerWorker;

  Expect(md.snapshots.size() == kCommits, "snapshot count " + std::to_string(md.snapshots.size()) +
                                              ", want " + std::to_string(kCommits));
  const Snapshot* current = md.CurrentSnapshot();
  if (current == nullptr) return Status::Invalid("the table has no current snapshot");

  // Every snapshot must be an ancestor of the current one: a commit that overwrote another
  // instead of building on it would leave a side branch.
  std::map<int64_t, const Snapshot*> by_id;
  std::set<int64_t> sequence_numbers;
  for (const Snapshot& s : md.snapshots) {
    by_id[s.snapshot_id] = &s;
    sequence_numbers.insert(s.sequence_number);
  }
  Expect(sequence_numbers.size() == md.snapshots.size(), "sequence numbers are not unique");
  int chain = 0;
  std::map<std::string, int> commits_per_worker;
  for (const Snapshot* s = current; s != nullptr; ++chain) {
    Expect(s->operation() == "append", "snapshot operation " + std::string(s->operation()));
    Expect(s->SummaryValue(kAddedDataFiles) == "1", "a snapshot did not add exactly one file");
    ++commits_per_worker[std::string(s->SummaryValue("nilus.worker").value_or("?"))];
    if (!s->parent_snapshot_id) break;
    auto it = by_id.find(*s->parent_snapshot_id);
    s = it == by_id.end() ? nullptr : it->second;
  }
  Expect(chain + 1 == kCommits, "ancestry of the current snapshot has " +
                                    std::to_string(chain + 1) + " snapshots, want " +
                                    std::to_string(kCommits));
  for (int w = 0; w < kWorkers; ++w) {
    Expect(commits_per_worker[std::to_string(w)] == kAppendsPerWorker,
           "worker " + std::to_string(w) + " has " +
               std::to_string(commits_per_worker[std::to_string(w)]) + " commits in the ancestry");
  }

  int64_t want_records = 0;
  std::map<std::string, int64_t> want_files;  // path -> rows
  for (int w = 0; w < kWorkers; ++w) {
    for (int a = 0; a < kAppendsPerWorker; ++a) {
      want_records += RowsOf(w, a);
      want_files[md.location + "/data/" + FileName(w, a)] = RowsOf(w, a);
    }
  }
  Expect(current->SummaryValue(kTotalRecords) == std::to_string(want_records),
         "total-records " + std::string(current->SummaryValue(kTotalRecords).value_or("<none>")) +
             ", want " + std::to_string(want_records));
  Expect(
      current->SummaryValue(kTotalDataFiles) == std::to_string(kCommits),
      "total-data-files " + std::string(current->SummaryValue(kTotalDataFiles).value_or("<none>")));

  // The live files, read back through the manifest list and manifests.
  std::map<std::string, int> seen;
  int64_t live_records = 0;
  NILUS_ASSIGN_OR_RAISE(auto manifests, ReadManifestList(&io, current->manifest_list));
  for (const ManifestFile& m : manifests) {
    NILUS_ASSIGN_OR_RAISE(auto entries, ReadManifest(&io, m));
    for (const ManifestEntry& e : entries) {
      if (e.status == ManifestEntryStatus::kDeleted) continue;
      ++seen[e.data_file.file_path];
      live_records += e.data_file.record_count;
      auto it = want_files.find(e.data_file.file_path);
      Expect(it != want_files.end(), "unexpected live file " + e.data_file.file_path);
      if (it != want_files.end()) {
        Expect(e.data_file.record_count == it->second, "record count of " + e.data_file.file_path);
      }
    }
  }
  const size_t live_files = seen.size();
  for (const auto& [path, rows] : want_files) {
    Expect(seen[path] == 1,
           path + " is live " + std::to_string(seen[path]) + " times, want exactly once");
  }
  Expect(live_records == want_records,
         "live records " + std::to_string(live_records) + ", want " + std::to_string(want_records));
  std::printf("%zu snapshots, %zu manifests, %zu live files, %lld records\n", md.snapshots.size(),
              manifests.size(), live_files, static_cast<long long>(live_records));

  NILUS_RETURN_NOT_OK(store->DropTable(kNamespace, kTableName).status());
  return store->DropNamespace(kNamespace);
}

Status CreateTable(const Setup& setup) {
  NILUS_ASSIGN_OR_RAISE(auto store, SqlCatalogStore::Open(setup.uri, setup.catalog_name));
  LocalFileIO io;
  NILUS_RETURN_NOT_OK(store->CreateNamespace(kNamespace));
  NILUS_ASSIGN_OR_RAISE(auto catalog, Catalog::Make(store.get(), &io, setup.warehouse));
  // Many retries with short waits: eight writers collide often, and every commit must land.
  std::map<std::string, std::string> props = {{std::string(kCommitNumRetries), "200"},
                                              {std::string(kCommitMinRetryWaitMs), "5"},
                                              {std::string(kCommitMaxRetryWaitMs), "200"}};
  return catalog
      ->CreateTable(kNamespace, kTableName, *EventSchema(), PartitionSpec::Unpartitioned(), props)
      .status();
}

int Run(const std::string& kind) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "nilus_iconc_XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string dir = tmpl;
  Setup setup;
  setup.warehouse = dir + "/warehouse";
  setup.catalog_name = "iconc_" + std::to_string(::getpid()) + "_" +
                       std::to_string(std::chrono::system_clock::now().time_since_epoch() /
                                      std::chrono::milliseconds(1));
  if (kind == "sqlite") {
    setup.uri = "sqlite:///" + dir + "/catalog.db";  // dir is absolute: sqlite:////...
  } else if (kind == "postgresql") {
    const char* url = std::getenv("NILUS_TEST_PG_URL");
    if (url == nullptr || *url == '\0') {
      std::fprintf(stderr,
                   "NILUS_TEST_PG_URL is not set. Run scripts/test, which starts a PostgreSQL "
                   "test cluster and sets it, or `export NILUS_TEST_PG_URL=$(scripts/pg start)` "
                   "first.\n");
      return 1;
    }
    setup.uri = url;
  } else {
    std::fprintf(stderr, "usage: nilus_iceberg_concurrency_test sqlite|postgresql\n");
    return 2;
  }

  if (Status st = CreateTable(setup); !st.ok()) {
    std::fprintf(stderr, "creating the table: %s\n", st.ToString().c_str());
    return 1;
  }

  // Workers block on this pipe until the parent closes its write end: all start together.
  int start[2];
  if (::pipe(start) != 0) {
    std::perror("pipe");
    return 1;
  }
  std::fflush(nullptr);
  std::vector<pid_t> pids;
  for (int w = 0; w < kWorkers; ++w) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      std::perror("fork");
      return 1;
    }
    if (pid == 0) {
      ::close(start[1]);
      Status st = RunWorker(setup, w, start[0]);
      if (!st.ok()) std::fprintf(stderr, "worker %d: %s\n", w, st.ToString().c_str());
      std::fflush(nullptr);
      ::_exit(st.ok() ? 0 : 1);
    }
    pids.push_back(pid);
  }
  ::close(start[0]);
  const auto t0 = std::chrono::steady_clock::now();
  ::close(start[1]);
  for (int w = 0; w < kWorkers; ++w) {
    int status = 0;
    if (::waitpid(pids[w], &status, 0) < 0) {
      std::perror("waitpid");
      ++failures;
      continue;
    }
    Expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "worker " + std::to_string(w) + " failed (wait status " + std::to_string(status) + ")");
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s: %d workers x %d appends in %.2f s\n", kind.c_str(), kWorkers, kAppendsPerWorker,
              secs);

  if (Status st = Verify(setup); !st.ok()) {
    std::fprintf(stderr, "verifying: %s\n", st.ToString().c_str());
    ++failures;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (failures > 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("PASS\n");
  return 0;
}

}  // namespace
}  // namespace nilus::iceberg

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: nilus_iceberg_concurrency_test sqlite|postgresql\n");
    return 2;
  }
  return nilus::iceberg::Run(argv[1]);
}
