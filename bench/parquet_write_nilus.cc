// nilus_bench_parquet_write: generates the benchmark tables in memory and times how long our
// ParquetWriter takes to write them. bench/parquet_write_duckdb.mjs builds the same rows with
// SQL; bench/parquet_write runs both and compares. See bench/README.md.
//
// Every value is a function of the row number only, through integer arithmetic that DuckDB
// evaluates identically (the formulas are mirrored in parquet_write_duckdb.mjs; change both
// together). Generation is not timed: only ParquetWriter::Open/Write/Close are.
//
// Output: one JSON line per table on stdout.

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/column_batch.h"
#include "core/schema.h"
#include "core/thread_pool.h"
#include "formats/parquet/writer.h"
#include "storage/local_file_io.h"

namespace nilus::bench {
namespace {

using BatchList = std::vector<std::shared_ptr<const ColumnBatch>>;

// ---------------------------------------------------------------------------------------------
// Deterministic values. Mirrored by the SQL macros in parquet_write_duckdb.mjs.

// A 32-bit mix of (row, salt). Every intermediate stays below 2^63 for row < 3e9, so DuckDB's
// checked BIGINT arithmetic computes the same numbers.
uint64_t Mix(int64_t row, int64_t salt) {
  uint64_t a =
      (static_cast<uint64_t>(row) * 2654435761ULL + static_cast<uint64_t>(salt) * 97531ULL) %
      4294967296ULL;
  a ^= a >> 15;
  a = (a * 668265263ULL) % 4294967296ULL;
  a ^= a >> 13;
  return a;
}

constexpr const char* kWords[32] = {
    "alpha",  "bravo",   "charlie", "delta",  "echo",    "foxtrot",  "golf",    "hotel",
    "india",  "juliett", "kilo",    "lima",   "mike",    "november", "oscar",   "papa",
    "quebec", "romeo",   "sierra",  "tango",  "uniform", "victor",   "whiskey", "xray",
    "yankee", "zulu",    "amber",   "basalt", "cobalt",  "dune",     "ember",   "fjord"};
constexpr int kFillerWords = 14;
constexpr int kFillerSaltBase = 100;
constexpr size_t kFillerLength = 84;  // char(84), blank-padded like pgbench

constexpr const char* kRateCodes[11] = {"Standard",   "Standard",  "Standard",
                                        "Standard",   "Standard",  "Standard",
                                        "JFK",        "Newark",    "Nassau or Westchester",
                                        "Negotiated", "Group ride"};
constexpr const char* kPaymentTypes[8] = {"credit_card", "credit_card", "credit_card", "cash",
                                          "cash",        "no_charge",   "dispute",     "unknown"};
constexpr int64_t kExtraCents[4] = {0, 50, 100, 250};
constexpr int64_t kEpoch2024Micros = 1704067200LL * 1000000;

// ---------------------------------------------------------------------------------------------
// Column fillers. Values are written straight into the buffers; nulls get a zero slot.

template <typename T, typename Fn>
void FillFixed(Column* col, int64_t first_row, int64_t n, Fn value_of) {
  Buffer* buf = col->mutable_values();
  buf->Resize(static_cast<size_t>(n) * sizeof(T));
  T* out = buf->as<T>();
  for (int64_t k = 0; k < n; ++k) out[k] = value_of(first_row + k);
  col->SetLengthAllValid(n);
}

// Nulls where is_null(row) holds.
template <typename Pred>
void MarkNulls(Column* col, int64_t first_row, int64_t n, Pred is_null, int width) {
  uint8_t* values = col->mutable_values()->data();
  for (int64_t k = 0; k < n; ++k) {
    if (is_null(first_row + k)) {
      if (width > 0) std::memset(values + k * width, 0, static_cast<size_t>(width));
      col->SetNull(k);
    }
  }
}

// value_of(row, std::string* scratch) returns the string_view to store, or a view with
// data() == nullptr for a null.
template <typename Fn>
void FillStrings(Column* col, int64_t first_row, int64_t n, int64_t bytes_hint, Fn value_of) {
  Buffer* buf = col->mutable_values();
  buf->Reserve(static_cast<size_t>(bytes_hint));
  std::vector<int64_t>* offsets = col->mutable_offsets();
  offsets->reserve(static_cast<size_t>(n) + 1);
  std::vector<int64_t> nulls;
  std::string scratch;
  for (int64_t k = 0; k < n; ++k) {
    std::string_view v = value_of(first_row + k, &scratch);
    if (v.data() == nullptr) {
      nulls.push_back(k);
    } else {
      buf->Append(v);
    }
    offsets->push_back(static_cast<int64_t>(buf->size()));
  }
  col->SetLengthAllValid(n);
  for (int64_t k : nulls) col->SetNull(k);
}

// ---------------------------------------------------------------------------------------------
// Table a: pgbench_accounts-like. aid is NOT NULL like pgbench's key, but every column is
// written as optional because DuckDB writes every column as optional; the files then hold the
// same definition levels.

SchemaPtr AccountsSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Optional(1, "aid", Type::Int()),
      NestedField::Optional(2, "bid", Type::Int()),
      NestedField::Optional(3, "abalance", Type::Int()),
      NestedField::Optional(4, "filler", Type::String()),
  });
}

std::string_view Filler(int64_t aid, std::string* s) {
  s->clear();
  for (int w = 0; w < kFillerWords; ++w) {
    if (w > 0) s->push_back(' ');
    s->append(kWords[Mix(aid, kFillerSaltBase + w) % 32]);
  }
  s->resize(kFillerLength, ' ');  // rpad: truncates or pads with blanks
  return *s;
}

void FillAccounts(ColumnBatch* b, int64_t first, int64_t n) {
  FillFixed<int32_t>(b->mutable_column(0), first, n,
                     [](int64_t i) { return static_cast<int32_t>(i); });
  FillFixed<int32_t>(b->mutable_column(1), first, n,
                     [](int64_t i) { return static_cast<int32_t>((i - 1) / 100000 + 1); });
  FillFixed<int32_t>(b->mutable_column(2), first, n, [](int64_t i) {
    return static_cast<int32_t>(static_cast<int64_t>(Mix(i, 3) % 10001) - 5000);
  });
  FillStrings(b->mutable_column(3), first, n, n * kFillerLength,
              [](int64_t i, std::string* s) { return Filler(i, s); });
}

// ---------------------------------------------------------------------------------------------
// Table b: taxi-like, 18 columns.

SchemaPtr TaxiSchema() {
  auto money = Type::Decimal(10, 2);
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Optional(1, "trip_id", Type::String()),
      NestedField::Optional(2, "vendor_id", Type::Int()),
      NestedField::Optional(3, "pickup_at", Type::Timestamp()),
      NestedField::Optional(4, "dropoff_at", Type::Timestamp()),
      NestedField::Optional(5, "passenger_count", Type::Int()),
      NestedField::Optional(6, "trip_distance", Type::Double()),
      NestedField::Optional(7, "pickup_longitude", Type::Double()),
      NestedField::Optional(8, "pickup_latitude", Type::Double()),
      NestedField::Optional(9, "rate_code", Type::String()),
      NestedField::Optional(10, "store_and_fwd_flag", Type::String()),
      NestedField::Optional(11, "pu_location_id", Type::Long()),
      NestedField::Optional(12, "do_location_id", Type::Long()),
      NestedField::Optional(13, "payment_type", Type::String()),
      NestedField::Optional(14, "fare_amount", money),
      NestedField::Optional(15, "extra", money),
      NestedField::Optional(16, "tip_amount", money),
      NestedField::Optional(17, "tolls_amount", money),
      NestedField::Optional(18, "total_amount", money),
  });
}

int64_t PickupMicros(int64_t i) {
  return kEpoch2024Micros + i * 6000000 + static_cast<int64_t>(Mix(i, 3) % 6000000);
}
bool PassengerNull(int64_t i) { return i % 13 == 0; }
bool RateNull(int64_t i) { return i % 7 == 0; }
bool ExtraNull(int64_t i) { return i % 13 == 0; }
bool TipNull(int64_t i) { return i % 11 == 0; }
int64_t FareCents(int64_t i) { return 250 + static_cast<int64_t>(Mix(i, 14) % 20000); }
int64_t ExtraCents(int64_t i) { return ExtraNull(i) ? 0 : kExtraCents[Mix(i, 15) % 4]; }
int64_t TipCents(int64_t i) {
  if (TipNull(i) || Mix(i, 16) % 3 == 0) return 0;
  return static_cast<int64_t>(Mix(i, 17) % 3000);
}
int64_t TollsCents(int64_t i) { return Mix(i, 18) % 10 == 0 ? 694 : 0; }
// fare + extra + tip + tolls + a 0.50 tax; a null extra or tip counts as 0.
int64_t TotalCents(int64_t i) {
  return FareCents(i) + ExtraCents(i) + TipCents(i) + TollsCents(i) + 50;
}

void FillTaxi(ColumnBatch* b, int64_t first, int64_t n) {
  constexpr size_t kTripIdLength = 18;  // "%09d-%08x"
  FillStrings(b->mutable_column(0), first, n, n * kTripIdLength, [](int64_t i, std::string* s) {
    char buf[40];
    int len = std::snprintf(buf, sizeof(buf), "%09lld-%08llx", static_cast<long long>(i),
                            static_cast<unsigned long long>(Mix(i, 1)));
    s->assign(buf, static_cast<size_t>(len));
    return std::string_view(*s);
  });
  FillFixed<int32_t>(b->mutable_column(1), first, n,
                     [](int64_t i) { return static_cast<int32_t>(1 + Mix(i, 2) % 3); });
  FillFixed<int64_t>(b->mutable_column(2), first, n, PickupMicros);
  FillFixed<int64_t>(b->mutable_column(3), first, n, [](int64_t i) {
    return PickupMicros(i) + 60000000 + static_cast<int64_t>(Mix(i, 4) % 3600000000ULL);
  });
  FillFixed<int32_t>(b->mutable_column(4), first, n,
                     [](int64_t i) { return static_cast<int32_t>(1 + Mix(i, 5) % 6); });
  MarkNulls(b->mutable_column(4), first, n, PassengerNull, 4);
  FillFixed<double>(b->mutable_column(5), first, n,
                    [](int64_t i) { return static_cast<double>(Mix(i, 6) % 3000) / 100.0; });
  FillFixed<double>(b->mutable_column(6), first, n, [](int64_t i) {
    return static_cast<double>(-74300000 + static_cast<int64_t>(Mix(i, 7) % 600000)) / 1000000.0;
  });
  FillFixed<double>(b->mutable_column(7), first, n, [](int64_t i) {
    return static_cast<double>(40500000 + static_cast<int64_t>(Mix(i, 8) % 450000)) / 1000000.0;
  });
  FillStrings(b->mutable_column(8), first, n, n * 10, [](int64_t i, std::string*) {
    return RateNull(i) ? std::string_view() : std::string_view(kRateCodes[Mix(i, 9) % 11]);
  });
  FillStrings(b->mutable_column(9), first, n, n, [](int64_t i, std::string*) {
    return RateNull(i) ? std::string_view() : std::string_view(Mix(i, 10) % 50 == 0 ? "Y" : "N");
  });
  FillFixed<int64_t>(b->mutable_column(10), first, n,
                     [](int64_t i) { return static_cast<int64_t>(1 + Mix(i, 11) % 265); });
  FillFixed<int64_t>(b->mutable_column(11), first, n,
                     [](int64_t i) { return static_cast<int64_t>(1 + Mix(i, 12) % 265); });
  FillStrings(b->mutable_column(12), first, n, n * 10, [](int64_t i, std::string*) {
    return std::string_view(kPaymentTypes[Mix(i, 13) % 8]);
  });
  FillFixed<__int128>(b->mutable_column(13), first, n, FareCents);
  FillFixed<__int128>(b->mutable_column(14), first, n, ExtraCents);
  MarkNulls(b->mutable_column(14), first, n, ExtraNull, 16);
  FillFixed<__int128>(b->mutable_column(15), first, n, TipCents);
  MarkNulls(b->mutable_column(15), first, n, TipNull, 16);
  FillFixed<__int128>(b->mutable_column(16), first, n, TollsCents);
  FillFixed<__int128>(b->mutable_column(17), first, n, TotalCents);
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers.

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);  // all threads of the process
  auto sec = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

int64_t MaxRssBytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<int64_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

int64_t CurrentRssBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long long size = 0, resident = 0;
  int got = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  return got == 2 ? resident * sysconf(_SC_PAGESIZE) : -1;
}

// Resets the process's peak-RSS mark to the current RSS (Linux >= 4.0), so that the peak read
// after the write belongs to the write. Returns false where the kernel does not allow it.
bool ResetPeakRss() {
  int fd = open("/proc/self/clear_refs", O_WRONLY);
  if (fd < 0) return false;
  bool ok = write(fd, "5", 1) == 1;
  close(fd);
  return ok;
}

struct Args {
  std::string table = "all";
  int64_t rows = 5000000;
  int64_t batch_rows = 122880;
  std::string out_dir = ".";
  int threads = 0;  // 0: ThreadPool::Default()
  int zstd_level = 3;
  // Writer limits, for tuning experiments; 0 keeps the writer's default.
  int64_t page_max_rows = 0;
  int64_t row_group_max_rows = 0;
};

void Usage() {
  std::fprintf(stderr,
               "usage: nilus_bench_parquet_write [--table accounts|taxi|all] [--rows N]\n"
               "         [--batch-rows N] [--out-dir DIR] [--threads N] [--zstd-level L]\n"
               "         [--page-max-rows N] [--row-group-max-rows N]\n"
               "Writes DIR/nilus_<table>.parquet and prints one JSON line per table.\n"
               "Limits not given keep the writer's defaults.\n");
}

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int k = 1; k < argc; ++k) {
    std::string_view flag = argv[k];
    if (flag == "-h" || flag == "--help") return false;
    if (k + 1 >= argc) return false;
    const char* v = argv[++k];
    if (flag == "--table") {
      a->table = v;
    } else if (flag == "--rows") {
      a->rows = std::strtoll(v, nullptr, 10);
    } else if (flag == "--batch-rows") {
      a->batch_rows = std::strtoll(v, nullptr, 10);
    } else if (flag == "--out-dir") {
      a->out_dir = v;
    } else if (flag == "--threads") {
      a->threads = std::atoi(v);
    } else if (flag == "--zstd-level") {
      a->zstd_level = std::atoi(v);
    } else if (flag == "--page-max-rows") {
      a->page_max_rows = std::strtoll(v, nullptr, 10);
    } else if (flag == "--row-group-max-rows") {
      a->row_group_max_rows = std::strtoll(v, nullptr, 10);
    } else {
      return false;
    }
  }
  return a->rows > 0 && a->batch_rows > 0 &&
         (a->table == "all" || a->table == "accounts" || a->table == "taxi");
}

// ---------------------------------------------------------------------------------------------

Status RunTable(const Args& args, const std::string& table) {
  const bool accounts = table == "accounts";
  SchemaPtr schema = accounts ? AccountsSchema() : TaxiSchema();

  // Generate every batch first (rows 1..N), so that only the writer is timed.
  auto gen_start = std::chrono::steady_clock::now();
  BatchList batches;
  int64_t data_bytes = 0;
  for (int64_t first = 1; first <= args.rows; first += args.batch_rows) {
    int64_t n = std::min(args.batch_rows, args.rows - first + 1);
    auto batch = std::make_shared<ColumnBatch>(schema);
    if (accounts) {
      FillAccounts(batch.get(), first, n);
    } else {
      FillTaxi(batch.get(), first, n);
    }
    NILUS_RETURN_NOT_OK(batch->Validate());
    data_bytes += batch->MemoryUsage();
    batches.push_back(std::move(batch));
  }
  double gen_s = Seconds(std::chrono::steady_clock::now() - gen_start);

  LocalFileIO io;
  std::unique_ptr<ThreadPool> own_pool;
  parquet::ParquetWriterOptions options;
  options.zstd_level = args.zstd_level;
  if (args.page_max_rows > 0) options.page_max_rows = args.page_max_rows;
  if (args.row_group_max_rows > 0) options.row_group_max_rows = args.row_group_max_rows;
  if (args.threads > 0) {
    own_pool = std::make_unique<ThreadPool>(args.threads);
    options.pool = own_pool.get();
  }
  const int threads = own_pool ? own_pool->num_threads() : ThreadPool::Default().num_threads();
  const std::string path =
      (std::filesystem::path(args.out_dir) / ("nilus_" + table + ".parquet")).string();

  const int64_t rss_before = CurrentRssBytes();
  const bool hwm_reset = ResetPeakRss();
  const double cpu_start = CpuSeconds();
  const auto wall_start = std::chrono::steady_clock::now();

  NILUS_ASSIGN_OR_RAISE(auto writer, parquet::ParquetWriter::Open(&io, path, schema, options));
  for (const auto& batch : batches) NILUS_RETURN_NOT_OK(writer->Write(batch));
  NILUS_ASSIGN_OR_RAISE(parquet::ParquetFileMetrics metrics, writer->Close());

  const double wall_s = Seconds(std::chrono::steady_clock::now() - wall_start);
  const double cpu_s = CpuSeconds() - cpu_start;
  const int64_t peak_rss = MaxRssBytes();

  std::error_code ec;
  const auto file_bytes = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError("cannot stat " + path + ": " + ec.message());
  if (metrics.record_count != args.rows) {
    return Status::Internal("writer reports " + std::to_string(metrics.record_count) +
                            " rows, expected " + std::to_string(args.rows));
  }

  std::printf(
      "{\"engine\":\"nilus\",\"table\":\"%s\",\"rows\":%lld,\"columns\":%zu,\"threads\":%d,"
      "\"zstd_level\":%d,\"gen_s\":%.3f,\"wall_s\":%.4f,\"rows_per_s\":%.0f,\"cpu_s\":%.3f,"
      "\"rss_before_bytes\":%lld,\"peak_rss_bytes\":%lld,\"peak_reset\":%s,\"data_bytes\":%lld,"
      "\"file_bytes\":%llu,\"row_groups\":%zu,\"path\":\"%s\"}\n",
      table.c_str(), static_cast<long long>(args.rows), schema->fields().size(), threads,
      args.zstd_level, gen_s, wall_s, static_cast<double>(args.rows) / wall_s, cpu_s,
      static_cast<long long>(rss_before), static_cast<long long>(peak_rss),
      hwm_reset ? "true" : "false", static_cast<long long>(data_bytes),
      static_cast<unsigned long long>(file_bytes), metrics.split_offsets.size(), path.c_str());
  std::fflush(stdout);
  return Status::OK();
}

}  // namespace
}  // namespace nilus::bench

int main(int argc, char** argv) {
  nilus::bench::Args args;
  if (!nilus::bench::ParseArgs(argc, argv, &args)) {
    nilus::bench::Usage();
    return 2;
  }
  for (const char* table : {"accounts", "taxi"}) {
    if (args.table != "all" && args.table != table) continue;
    nilus::Status st = nilus::bench::RunTable(args, table);
    if (!st.ok()) {
      std::fprintf(stderr, "nilus_bench_parquet_write: %s: %s\n", table, st.ToString().c_str());
      return 1;
    }
  }
  return 0;
}
