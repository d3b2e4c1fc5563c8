#include "formats/parquet/writer.h"

#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

#include "formats/parquet/column_writer.h"
#include "formats/parquet/schema_mapping.h"

namespace nilus::parquet {

namespace {

constexpr char kMagic[] = "PAR1";

// Runs posted tasks one after another on a pool, in posting order, without holding a thread
// while idle. Each leaf column has one, so its chunk writer sees batches in order while
// different columns proceed in parallel.
// A running drain holds a reference, so the strand outlives the writer's last wait.
class Strand : public std::enable_shared_from_this<Strand> {
 public:
  explicit Strand(ThreadPool* pool) : pool_(pool) {}

  void Post(std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(fn));
    if (!running_) {
      running_ = true;
      (void)pool_->Submit([self = shared_from_this()] { self->Drain(); });
    }
  }

 private:
  void Drain() {
    for (;;) {
      std::function<void()> fn;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (queue_.empty()) {
          running_ = false;
          return;
        }
        fn = std::move(queue_.front());
        queue_.pop_front();
      }
      fn();
    }
  }

  ThreadPool* pool_;
  std::mutex mu_;
  std::deque<std::function<void()>> queue_;
  bool running_ = false;
};

Status ValidateOptions(const ParquetWriterOptions& o) {
  if (o.row_group_max_rows <= 0 || o.row_group_max_bytes <= 0) {
    return Status::Invalid("row_group_max_rows and row_group_max_bytes must be positive");
  }
  if (o.page_max_rows <= 0 || o.page_max_bytes <= 0) {
    return Status::Invalid("page_max_rows and page_max_bytes must be positive");
  }
  if (o.page_max_rows > (1LL << 30) || o.page_max_bytes > (1LL << 30)) {
    return Status::Invalid("page limits must stay below 2^30 (pages sizes are 32-bit)");
  }
  if (o.compression == Compression::kZstd && (o.zstd_level < -7 || o.zstd_level > 22)) {
    return Status::Invalid(fmt::format("zstd level {} is outside -7..22", o.zstd_level));
  }
  if (o.dictionary_max_bytes < 0) return Status::Invalid("dictionary_max_bytes must be >= 0");
  return Status::OK();
}

}  // namespace

struct ParquetWriter::Impl {
  FileIO* io = nullptr;
  std::string path;
  SchemaPtr schema;
  ParquetWriterOptions options;
  ThreadPool* pool = nullptr;
  ParquetSchema pschema;
  std::unique_ptr<OutputStream> out;
  std::vector<std::unique_ptr<ColumnChunkWriter>> columns;
  std::vector<std::shared_ptr<Strand>> strands;
  std::vector<RowGroup> row_groups;

  int64_t rows_total = 0;
  int64_t rows_in_group = 0;
  int64_t bytes_in_group = 0;
  bool magic_written = false;
  bool closed = false;
  Status status;  // sticky: the first error poisons the writer

  // Slices posted to the strands and not finished yet.
  std::mutex mu;
  std::condition_variable cv;
  int64_t inflight_slices = 0;
  int64_t inflight_bytes = 0;
  Status async_status;

  ~Impl() { WaitIdle(); }

  Status Fail(Status st) {
    if (status.ok()) status = st.WithContext(fmt::format("writing Parquet file '{}'", path));
    return status;
  }

  void WaitIdle() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] { return inflight_slices == 0; });
  }

  Status TakeAsyncStatus() {
    std::lock_guard<std::mutex> lock(mu);
    return async_status;
  }

  // Posts rows [begin, end) of the batch to every column's strand.
  // `first_row` is the file row number of the batch's row 0.
  void Dispatch(const std::shared_ptr<const ColumnBatch>& batch, int64_t begin, int64_t end,
                int64_t first_row, int64_t bytes) {
    {
      // Backpressure: keep at most about half a row group of batches waiting to be encoded.
      int64_t budget = std::max<int64_t>(options.row_group_max_bytes / 2, 64LL << 20);
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return inflight_slices == 0 || inflight_bytes + bytes <= budget; });
      ++inflight_slices;
      inflight_bytes += bytes;
    }
    auto remaining = std::make_shared<std::atomic<int>>(static_cast<int>(columns.size()));
    for (size_t k = 0; k < columns.size(); ++k) {
      ColumnChunkWriter* column = columns[k].get();
      strands[k]->Post([this, column, batch, begin, end, first_row, bytes, remaining] {
        Status st = column->Append(*batch, begin, end, first_row);
        std::lock_guard<std::mutex> lock(mu);
        if (!st.ok() && async_status.ok()) async_status = st;
        if (remaining->fetch_sub(1) == 1) {
          --inflight_slices;
          inflight_bytes -= bytes;
          cv.notify_all();
        }
      });
    }
  }

  Status WriteBytes(const void* data, size_t n) { return out->Write(data, n); }

  Status EnsureMagic() {
    if (magic_written) return Status::OK();
    magic_written = true;
    return WriteBytes(kMagic, 4);
  }

  Status FlushRowGroup() {
    WaitIdle();
    NILUS_RETURN_NOT_OK(TakeAsyncStatus());
    NILUS_RETURN_NOT_OK(EnsureMagic());
    RowGroup rg;
    rg.num_rows = rows_in_group;
    rg.ordinal = static_cast<int16_t>(row_groups.size());
    int64_t start = out->Tell();
    rg.file_offset = start;
    int64_t compressed_total = 0;
    for (auto& column : columns) {
      NILUS_ASSIGN_OR_RAISE(FinishedChunk chunk, column->Finish());
      int64_t chunk_start = out->Tell();
      for (const Buffer& piece : chunk.pieces) {
        NILUS_RETURN_NOT_OK(WriteBytes(piece.data(), piece.size()));
      }
      ColumnChunk cc;
      cc.meta_data = std::move(chunk.meta);
      cc.meta_data->data_page_offset += chunk_start;
      if (cc.meta_data->dictionary_page_offset)
        *cc.meta_data->dictionary_page_offset += chunk_start;
      cc.file_offset = chunk_start;
      rg.total_byte_size += cc.meta_data->total_uncompressed_size;
      compressed_total += chunk.total_bytes;
      rg.columns.push_back(std::move(cc));
    }
    rg.total_compressed_size = compressed_total;
    row_groups.push_back(std::move(rg));
    rows_in_group = 0;
    bytes_in_group = 0;
    return Status::OK();
  }

  Status WriteFooter() {
    FileMetaData md;
    md.version = 1;
    md.schema = pschema.elements;
    md.num_rows = rows_total;
    md.row_groups = std::move(row_groups);
    for (const auto& [k, v] : options.key_value_metadata) md.key_value_metadata.push_back({k, v});
    md.created_by = options.created_by;
    md.num_type_defined_column_orders = static_cast<int32_t>(pschema.leaves.size());
    Buffer footer;
    SerializeFileMetaData(md, &footer);
    row_groups = std::move(md.row_groups);
    NILUS_RETURN_NOT_OK(WriteBytes(footer.data(), footer.size()));
    uint32_t len = static_cast<uint32_t>(footer.size());
    NILUS_RETURN_NOT_OK(WriteBytes(&len, 4));
    return WriteBytes(kMagic, 4);
  }
};

ParquetWriter::ParquetWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ParquetWriter::~ParquetWriter() {
  if (impl_ && !impl_->closed) Abort();
}

Result<std::unique_ptr<ParquetWriter>> ParquetWriter::Open(FileIO* io, const std::string& path,
                                                           SchemaPtr schema,
                                                           ParquetWriterOptions options) {
  auto ctx = fmt::format("opening Parquet writer for '{}'", path);
  if (!io || !schema) return Status::Invalid(ctx + ": FileIO and schema are required");
  NILUS_RETURN_NOT_OK_CTX(ValidateOptions(options), ctx);
  auto mapped = MapSchema(*schema);
  if (!mapped.ok()) return mapped.status().WithContext(ctx);

  auto impl = std::make_unique<Impl>();
  impl->io = io;
  impl->path = path;
  impl->schema = std::move(schema);
  impl->options = std::move(options);
  impl->pool = impl->options.pool ? impl->options.pool : &ThreadPool::Default();
  impl->pschema = std::move(mapped).value();
  for (const auto& leaf : impl->pschema.leaves) {
    impl->columns.push_back(ColumnChunkWriter::Make(leaf, impl->options, impl->pool));
    impl->strands.push_back(std::make_shared<Strand>(impl->pool));
  }
  NILUS_ASSIGN_OR_RAISE(impl->out, io->NewOutputStream(path, CreateMode::kOverwrite));
  return std::unique_ptr<ParquetWriter>(new ParquetWriter(std::move(impl)));
}

Status ParquetWriter::Write(const ColumnBatch& batch) {
  // Borrow the batch; wait below until no task refers to it any more.
  std::shared_ptr<const ColumnBatch> borrowed(&batch, [](const ColumnBatch*) {});
  Status st = Write(borrowed);
  impl_->WaitIdle();
  if (!st.ok()) return st;
  Status async = impl_->TakeAsyncStatus();
  return async.ok() ? Status::OK() : impl_->Fail(async);
}

Status ParquetWriter::Write(std::shared_ptr<const ColumnBatch> batch) {
  Impl& w = *impl_;
  if (!w.status.ok()) return w.status;
  if (w.closed) return Status::Invalid(fmt::format("Parquet writer for '{}' is closed", w.path));
  {
    Status async = w.TakeAsyncStatus();
    if (!async.ok()) return w.Fail(async);
  }
  if (batch->schema() != w.schema && !batch->schema()->Equals(*w.schema)) {
    return w.Fail(Status::Invalid("the batch's schema differs from the writer's: " +
                                  batch->schema()->ToString()));
  }
  Status valid = batch->Validate();
  if (!valid.ok()) {
    return w.Fail(valid.WithContext(fmt::format("batch at file row {}", w.rows_total)));
  }
  const int64_t n = batch->num_rows();
  if (n == 0) return Status::OK();
  const int64_t bytes_per_row = std::max<int64_t>(1, batch->MemoryUsage() / n);
  const int64_t first_row = w.rows_total;
  int64_t begin = 0;
  while (begin < n) {
    int64_t take = std::min(n - begin, w.options.row_group_max_rows - w.rows_in_group);
    int64_t bytes_room = w.options.row_group_max_bytes - w.bytes_in_group;
    take = std::max<int64_t>(1, std::min(take, bytes_room / bytes_per_row));
    w.rows_total += take;
    w.Dispatch(batch, begin, begin + take, first_row, take * bytes_per_row);
    w.rows_in_group += take;
    w.bytes_in_group += take * bytes_per_row;
    begin += take;
    if (w.rows_in_group >= w.options.row_group_max_rows ||
        w.bytes_in_group >= w.options.row_group_max_bytes) {
      Status st = w.FlushRowGroup();
      if (!st.ok()) return w.Fail(st);
    }
  }
  return Status::OK();
}

Result<ParquetFileMetrics> ParquetWriter::Close() {
  Impl& w = *impl_;
  if (w.closed) return Status::Invalid(fmt::format("Parquet writer for '{}' is closed", w.path));
  auto fail = [&](Status st) {
    Status failed = w.Fail(std::move(st));
    Abort();
    return failed;
  };
  if (!w.status.ok()) return fail(w.status);
  w.WaitIdle();
  if (Status st = w.TakeAsyncStatus(); !st.ok()) return fail(st);
  if (w.rows_in_group > 0) {
    if (Status st = w.FlushRowGroup(); !st.ok()) return fail(st);
  }
  if (Status st = w.EnsureMagic(); !st.ok()) return fail(st);
  if (Status st = w.WriteFooter(); !st.ok()) return fail(st);
  int64_t size = w.out->Tell();
  if (Status st = w.out->Close(); !st.ok()) return fail(st);
  w.closed = true;

  ParquetFileMetrics m;
  m.path = w.path;
  m.file_size = size;
  m.record_count = w.rows_total;
  for (const auto& rg : w.row_groups) m.split_offsets.push_back(*rg.file_offset);
  for (const auto& c : w.columns) m.columns.push_back(c->Metrics());
  return m;
}

void ParquetWriter::Abort() {
  Impl& w = *impl_;
  w.WaitIdle();
  if (w.out) w.out->Abort();
  w.closed = true;
}

int64_t ParquetWriter::num_rows() const { return impl_->rows_total; }

int64_t ParquetWriter::bytes_written() const { return impl_->out ? impl_->out->Tell() : 0; }

}  // namespace nilus::parquet
