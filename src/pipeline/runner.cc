#include "pipeline/runner.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/logging.h"
#include "iceberg/uuid_util.h"
#include "normalize/identifier.h"
#include "normalize/text_parse.h"

namespace nilus::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A bounded queue between a table's extract thread and its normalize/load thread: the producer
// blocks when it is full (backpressure), both sides stop when it is closed.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {}
  // False when the queue was closed (the consumer gave up).
  bool Push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }
  // False once the queue is closed and drained.
  bool Pop(T* out) {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return false;
    *out = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  size_t capacity_;
  bool closed_ = false;
};

load::WriteDisposition ToLoad(WriteDisposition d) {
  switch (d) {
    case WriteDisposition::kAppend:
      return load::WriteDisposition::kAppend;
    case WriteDisposition::kReplace:
      return load::WriteDisposition::kReplace;
    case WriteDisposition::kMerge:
      return load::WriteDisposition::kMerge;
  }
  return load::WriteDisposition::kAppend;
}

normalize::ContractMode ToNorm(ContractMode m) {
  switch (m) {
    case ContractMode::kEvolve:
      return normalize::ContractMode::kEvolve;
    case ContractMode::kFreeze:
      return normalize::ContractMode::kFreeze;
    case ContractMode::kDiscardRow:
      return normalize::ContractMode::kDiscardRow;
    case ContractMode::kDiscardValue:
      return normalize::ContractMode::kDiscardValue;
  }
  return normalize::ContractMode::kEvolve;
}

std::string ChangeKind(normalize::SchemaChange::Kind k) {
  switch (k) {
    case normalize::SchemaChange::Kind::kTableCreated:
      return "add_table";
    case normalize::SchemaChange::Kind::kColumnAdded:
      return "add_column";
    case normalize::SchemaChange::Kind::kColumnWidened:
      return "widen_type";
    case normalize::SchemaChange::Kind::kVariantAdded:
      return "add_variant";
  }
  return "change";
}

// The largest non-null value of column `c` as a Value of its type; null Value when none.
Value ColumnMax(const Column& c) {
  Value best;
  best.type = c.type();
  auto consider = [&](auto v) {
    using T = decltype(v);
    if (best.is_null() || std::get<T>(best.v) < v) best.v = v;
  };
  for (int64_t i = 0; i < c.length(); ++i) {
    if (c.IsNull(i)) continue;
    switch (c.type()->id()) {
      case TypeId::kInt:
      case TypeId::kDate:
        consider(c.Value<int32_t>(i));
        break;
      case TypeId::kLong:
      case TypeId::kTime:
      case TypeId::kTimestamp:
      case TypeId::kTimestampTz:
        consider(c.Value<int64_t>(i));
        break;
      case TypeId::kFloat:
        consider(c.Value<float>(i));
        break;
      case TypeId::kDouble:
        consider(c.Value<double>(i));
        break;
      case TypeId::kDecimal:
        consider(c.Value<__int128>(i));
        break;
      case TypeId::kString:
        consider(std::string(c.Bytes(i)));
        break;
      default:
        return best;  // not a cursor type
    }
  }
  return best;
}

Result<normalize::NormalizeResult> NormalizeChunk(normalize::Normalizer* norm, SourceChunk* in,
                                                  const std::string& source) {
  if (in->typed != nullptr) return norm->Normalize(std::move(in->typed), source);
  if (in->docs != nullptr) return norm->Normalize(*in->docs);
  if (in->text != nullptr) return norm->Normalize(*in->text);
  return normalize::NormalizeResult{};
}

// The quarantine table's rows: where each bad record came from, its raw text and why.
std::unique_ptr<ColumnBatch> QuarantineBatch(const std::vector<BadRecord>& records,
                                             const std::string& load_id) {
  static const SchemaPtr schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Optional(1, "_nilus_load_id", Type::String()),
      NestedField::Optional(2, "source", Type::String()),
      NestedField::Optional(3, "line", Type::Long()),
      NestedField::Optional(4, "raw", Type::String()),
      NestedField::Optional(5, "reason", Type::String()),
  });
  auto batch = std::make_unique<ColumnBatch>(schema);
  for (const BadRecord& r : records) {
    batch->mutable_column(0)->AppendBytes(load_id);
    batch->mutable_column(1)->AppendBytes(r.source);
    batch->mutable_column(2)->AppendInt64(r.line);
    batch->mutable_column(3)->AppendBytes(r.raw);
    batch->mutable_column(4)->AppendBytes(r.reason);
  }
  return batch;
}

bool ValueLess(const Value& a, const Value& b) {
  if (a.is_null()) return !b.is_null();
  if (b.is_null()) return false;
  if (a.v.index() != b.v.index()) return false;
  return a.v < b.v;
}

// The run's journal: the run id of an unfinished run, so a rerun reuses its load ids.
struct Journal {
  std::string path;
  Result<std::optional<std::string>> Read() const {
    if (path.empty()) return std::optional<std::string>();
    std::ifstream in(path);
    if (!in) return std::optional<std::string>();
    std::stringstream ss;
    ss << in.rdbuf();
    auto json = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.contains("run_id") || !json["run_id"].is_string()) {
      return Status::Corruption("run journal " + path + " is not valid; delete it to start afresh");
    }
    return std::optional<std::string>(json["run_id"].get<std::string>());
  }
  Status Write(const std::string& run_id) const {
    if (path.empty()) return Status::OK();
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    const std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      nlohmann::json j;
      j["run_id"] = run_id;
      j["pid"] = static_cast<int64_t>(getpid());
      out << j.dump() << "\n";
      out.flush();
      if (!out) return Status::IOError("cannot write run journal " + tmp);
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) return Status::IOError("cannot write run journal " + path + ": " + ec.message());
    return Status::OK();
  }
  void Remove() const {
    if (path.empty()) return;
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

}  // namespace

bool RunSummary::ok() const { return failed_tables() == 0; }

int RunSummary::failed_tables() const {
  int n = 0;
  for (const TableRunResult& t : tables) n += t.ok ? 0 : 1;
  return n;
}

std::string TableLoadId(const std::string& run_id, const std::string& table) {
  return run_id + "/" + table;
}

Result<CursorRange> ComputeCursorRange(const IncrementalConfig& inc,
                                       const std::optional<std::string>& stored_cursor) {
  CursorRange range;
  range.to = inc.end_value;
  if (!stored_cursor.has_value()) {
    range.from = inc.initial_value;
    range.from_inclusive = true;
    return range;
  }
  const std::string& cur = *stored_cursor;
  if (!inc.lag.has_value()) {
    range.from = cur;
    range.from_inclusive = false;
    return range;
  }
  const CursorLag& lag = *inc.lag;
  range.from_inclusive = true;
  auto mismatch = [&] {
    return Status::Invalid("incremental.lag '" + lag.text + "' does not fit cursor value '" + cur +
                           "'");
  };
  int64_t l = 0;
  double d = 0;
  int32_t days = 0;
  int64_t micros = 0;
  if (normalize::ParseLongText(cur, &l)) {
    if (lag.kind != CursorLag::Kind::kNumber) return mismatch();
    range.from = std::to_string(l - static_cast<int64_t>(lag.number));
  } else if (normalize::ParseDoubleText(cur, &d)) {
    if (lag.kind != CursorLag::Kind::kNumber) return mismatch();
    std::ostringstream os;
    os.precision(17);
    os << d - lag.number;
    range.from = os.str();
  } else if (normalize::ParseTimestampTzText(cur, &micros)) {
    if (lag.kind != CursorLag::Kind::kDuration) return mismatch();
    range.from = TimestampToString(micros - lag.duration.count() * 1000) + "+00:00";
  } else if (normalize::ParseTimestampText(cur, &micros)) {
    if (lag.kind != CursorLag::Kind::kDuration) return mismatch();
    range.from = TimestampToString(micros - lag.duration.count() * 1000);
  } else if (normalize::ParseDateText(cur, &days)) {
    if (lag.kind != CursorLag::Kind::kDuration) return mismatch();
    const int64_t day_ms = 86400000;
    range.from =
        DateToString(days - static_cast<int32_t>((lag.duration.count() + day_ms - 1) / day_ms));
  } else {
    return mismatch();
  }
  return range;
}

Result<Value> CursorTextToValue(const TypePtr& type, const std::string& text) {
  Value v;
  v.type = type;
  bool ok = false;
  switch (type->id()) {
    case TypeId::kInt:
    case TypeId::kLong: {
      int64_t x = 0;
      ok = normalize::ParseLongText(text, &x);
      v.type = Type::Long();
      v.v = x;
      break;
    }
    case TypeId::kFloat:
    case TypeId::kDouble: {
      double x = 0;
      ok = normalize::ParseDoubleText(text, &x);
      v.type = Type::Double();
      v.v = x;
      break;
    }
    case TypeId::kDecimal: {
      __int128 x = 0;
      ok = normalize::ParseDecimalText(text, type->precision(), type->scale(), &x);
      v.v = x;
      break;
    }
    case TypeId::kDate: {
      int32_t x = 0;
      ok = normalize::ParseDateText(text, &x);
      v.v = x;
      break;
    }
    case TypeId::kTimestamp: {
      int64_t x = 0;
      ok = normalize::ParseTimestampText(text, &x);
      v.v = x;
      break;
    }
    case TypeId::kTimestampTz: {
      int64_t x = 0;
      ok = normalize::ParseTimestampTzText(text, &x);
      v.v = x;
      break;
    }
    case TypeId::kString:
      v.v = text;
      ok = true;
      break;
    default:
      break;
  }
  if (!ok) {
    return Status::Invalid("cursor value '" + text + "' does not fit the cursor column's type " +
                           type->ToString());
  }
  return v;
}

// State shared by the table workers of one run.
struct PipelineRunner::Shared {
  std::string run_id;
  int workers = 1;
  struct Live {
    std::mutex mu;
    std::string state = "waiting";
    std::atomic<int64_t> rows{0};
    std::atomic<int64_t> bytes{0};
    std::atomic<int64_t> total_bytes{-1};
    Clock::time_point started{};
    bool started_set = false;
  };
  std::vector<std::unique_ptr<Live>> live;
  void SetState(size_t i, const std::string& s) {
    std::lock_guard<std::mutex> lock(live[i]->mu);
    live[i]->state = s;
    if (!live[i]->started_set) {
      live[i]->started = Clock::now();
      live[i]->started_set = true;
    }
  }
};

PipelineRunner::PipelineRunner(PipelineConfig config, SourceFactory* sources, SinkFactory* sinks,
                               RunnerOptions options)
    : config_(std::move(config)), sources_(sources), sinks_(sinks), options_(std::move(options)) {}

PipelineRunner::~PipelineRunner() = default;

Result<RunSummary> PipelineRunner::Run() {
  const auto start = Clock::now();
  RunSummary summary;
  summary.dry_run = options_.dry_run;
  const size_t n = config_.source.tables.size();
  summary.tables.resize(n);

  Journal journal;
  if (!options_.dry_run && !options_.state_dir.empty()) {
    journal.path = options_.state_dir + "/" + config_.name + ".journal.json";
  }
  NILUS_ASSIGN_OR_RAISE(std::optional<std::string> previous, journal.Read());
  if (previous.has_value() && !options_.full_refresh) {
    summary.run_id = *previous;
    summary.resumed = true;
    Log().info("resuming unfinished run {} (journal {})", summary.run_id, journal.path);
  } else {
    summary.run_id = iceberg::NewUuidV4();
  }
  NILUS_RETURN_NOT_OK(journal.Write(summary.run_id));

  Shared shared;
  shared.run_id = summary.run_id;
  for (size_t i = 0; i < n; ++i) shared.live.push_back(std::make_unique<Shared::Live>());
  int workers = options_.table_workers;
  if (workers <= 0) workers = config_.resources.worker_threads;
  if (workers <= 0) workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  workers = std::max(1, std::min<int>(workers, static_cast<int>(std::max<size_t>(n, 1))));
  shared.workers = workers;

  MetadataSink* meta = options_.dry_run ? nullptr : options_.metadata;
  if (meta != nullptr) {
    RunInfo info;
    info.run_id = summary.run_id;
    info.pipeline = config_.name;
    info.started_at = MetaTimeNow();
    info.nilus_version = "0.1.0";
    char host[256] = {0};
    if (gethostname(host, sizeof(host) - 1) == 0) info.host = host;
    info.load_id = summary.run_id;
    info.full_refresh = options_.full_refresh;
    info.tables_total = static_cast<int32_t>(n);
    Status st = meta->BeginRun(info);
    if (!st.ok()) Log().warn("run metadata: {}", st.ToString());
  }

  // Progress reporter.
  std::mutex progress_mu;
  std::condition_variable progress_cv;
  bool finished = false;
  std::thread progress;
  auto snapshot = [&] {
    std::vector<TableProgress> out;
    for (size_t i = 0; i < n; ++i) {
      Shared::Live& l = *shared.live[i];
      TableProgress p;
      p.table = config_.source.tables[i].DestinationName();
      {
        std::lock_guard<std::mutex> lock(l.mu);
        p.state = l.state;
        if (l.started_set) p.elapsed_seconds = SecondsSince(l.started);
      }
      p.rows = l.rows.load();
      p.bytes = l.bytes.load();
      p.total_bytes = l.total_bytes.load();
      out.push_back(std::move(p));
    }
    return out;
  };
  if (options_.on_progress) {
    progress = std::thread([&] {
      std::unique_lock<std::mutex> lock(progress_mu);
      while (!finished) {
        progress_cv.wait_for(lock, options_.progress_interval);
        if (finished) break;
        lock.unlock();
        options_.on_progress(snapshot());
        lock.lock();
      }
    });
  }

  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      while (true) {
        const size_t i = next.fetch_add(1);
        if (i >= n) break;
        TableRunResult& r = summary.tables[i];
        r.table = config_.source.tables[i].DestinationName();
        Status st = options_.dry_run ? DryRunTable(i, &r) : RunTable(i, &shared, &r);
        if (!st.ok()) {
          r.ok = false;
          r.error = "table '" + r.table + "': " + st.message();
          shared.SetState(i, "failed");
          Log().error("{}", r.error);
        } else {
          r.ok = true;
          shared.SetState(i, r.skipped ? "skipped" : "done");
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  {
    std::lock_guard<std::mutex> lock(progress_mu);
    finished = true;
  }
  progress_cv.notify_all();
  if (progress.joinable()) progress.join();
  if (options_.on_progress) options_.on_progress(snapshot());

  summary.seconds = SecondsSince(start);
  if (meta != nullptr) {
    RunFinish fin;
    fin.run_id = summary.run_id;
    const int failed = summary.failed_tables();
    fin.status = failed == 0                     ? RunStatus::kSucceeded
                 : failed == static_cast<int>(n) ? RunStatus::kFailed
                                                 : RunStatus::kPartial;
    fin.finished_at = MetaTimeNow();
    if (failed > 0) {
      std::string err;
      for (const TableRunResult& t : summary.tables) {
        if (!t.ok) err += (err.empty() ? "" : "; ") + t.error;
      }
      fin.error = err;
    }
    Status st = meta->FinishRun(fin);
    if (!st.ok()) Log().warn("run metadata: {}", st.ToString());
  }
  if (summary.ok()) journal.Remove();
  return summary;
}

Status PipelineRunner::RunTable(size_t index, Shared* shared, TableRunResult* result) {
  const TableConfig& table = config_.source.tables[index];
  const auto started = MetaTimeNow();
  const auto t0 = Clock::now();
  Status st;
  auto backoff = options_.backoff_initial;
  for (int attempt = 1; attempt <= std::max(1, options_.max_attempts); ++attempt) {
    result->attempts = attempt;
    shared->SetState(index, "extracting");
    st = RunTableOnce(index, shared, result);
    if (st.ok() || !st.retryable() || attempt == options_.max_attempts) break;
    Log().warn("table '{}': attempt {} failed ({}); retrying in {} ms", result->table, attempt,
               st.ToString(), backoff.count());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(options_.backoff_max, backoff * 2);
  }
  result->total_seconds = SecondsSince(t0);

  MetadataSink* meta = options_.metadata;
  // A skipped table keeps the records of the attempt that committed it (same run id).
  if (meta == nullptr || (st.ok() && result->skipped)) return st;
  const auto finished = MetaTimeNow();
  const StageStatus stage = !st.ok()          ? StageStatus::kFailed
                            : result->skipped ? StageStatus::kSkipped
                                              : StageStatus::kSucceeded;
  std::optional<std::string> error;
  if (!st.ok()) error = st.ToString();
  auto fill = [&](StageInfo* s, double seconds) {
    s->run_id = shared->run_id;
    s->table_name = result->table;
    s->status = stage;
    s->started_at = started;
    s->finished_at = finished;
    s->duration_ms = static_cast<int64_t>(seconds * 1000);
    s->error = error;
  };
  ExtractInfo ex;
  fill(&ex, result->extract_seconds);
  ex.row_count = result->rows_extracted;
  ex.byte_count = result->bytes_extracted;
  ex.source_kind = std::string(SourceKindName(config_.source.kind));
  ex.source_table = result->source.empty() ? table.name : result->source;
  if (table.incremental.has_value()) {
    ex.cursor_column = table.incremental->cursor;
    ex.cursor_from = result->cursor_from;
    ex.cursor_to = result->cursor_to;
  }
  NormalizeInfo norm;
  fill(&norm, result->normalize_seconds);
  for (const OutputTableResult& o : result->outputs) {
    if (o.parent_table.empty()) {
      norm.row_count = o.rows_loaded;
    } else {
      norm.child_tables.push_back({o.table, o.rows_loaded});
    }
  }
  for (const normalize::SchemaChange& c : result->changes) {
    if (c.kind == normalize::SchemaChange::Kind::kColumnAdded) ++norm.columns_added;
    if (c.kind == normalize::SchemaChange::Kind::kVariantAdded) {
      norm.variant_columns.push_back(c.column);
    }
    norm.schema_changes.push_back({ChangeKind(c.kind), c.column,
                                   c.old_type ? c.old_type->ToString() : "",
                                   c.new_type ? c.new_type->ToString() : ""});
  }
  std::vector<LoadInfo> loads;
  for (const OutputTableResult& o : result->outputs) {
    LoadInfo li;
    fill(&li, result->load_seconds);
    li.table_name = o.table;
    li.destination_table = sinks_->QualifiedName(o.table);
    if (!o.parent_table.empty()) li.parent_table = o.parent_table;
    li.write_disposition = std::string(WriteDispositionName(
        options_.full_refresh ? WriteDisposition::kReplace : table.write_disposition));
    li.load_id = TableLoadId(shared->run_id, result->table);
    li.snapshot_id = o.snapshot_id;
    li.row_count = o.rows_loaded;
    li.byte_count = o.bytes;
    li.file_count = o.files;
    li.rows_deleted = o.keys_deleted;
    if (o.parent_table.empty()) li.committed_cursor = result->cursor_to;
    loads.push_back(std::move(li));
  }
  if (loads.empty()) {
    LoadInfo li;
    fill(&li, result->load_seconds);
    li.destination_table = sinks_->QualifiedName(result->table);
    li.write_disposition = std::string(WriteDispositionName(table.write_disposition));
    li.load_id = TableLoadId(shared->run_id, result->table);
    loads.push_back(std::move(li));
  }
  for (Status s : {meta->RecordExtract({&ex, 1}), meta->RecordNormalize({&norm, 1}),
                   meta->RecordLoad(loads)}) {
    if (!s.ok()) Log().warn("run metadata for table '{}': {}", result->table, s.ToString());
  }
  return st;
}

Status PipelineRunner::RunTableOnce(size_t index, Shared* shared, TableRunResult* result) {
  const TableConfig& table = config_.source.tables[index];
  const std::string dest = table.DestinationName();
  const std::string load_id = TableLoadId(shared->run_id, dest);
  const std::string attempt_tag = iceberg::NewUuidV4().substr(0, 8);
  Shared::Live& live = *shared->live[index];
  live.rows = 0;
  live.bytes = 0;
  result->outputs.clear();
  result->changes.clear();
  result->rows_extracted = result->bytes_extracted = 0;
  result->extract_seconds = result->normalize_seconds = result->load_seconds = 0;

  if (table.incremental.has_value() &&
      (config_.source.kind == SourceKind::kCsv || config_.source.kind == SourceKind::kJsonl)) {
    return Status::NotImplemented(
        "incremental loading of csv/jsonl files is not supported yet (files cannot be filtered "
        "by cursor); remove `incremental` or use replace");
  }
  // A probe sink reads the destination's state (commit marker, cursor) without writing.
  NILUS_ASSIGN_OR_RAISE(auto probe, sinks_->Open(dest, load::IcebergSinkOptions{}));
  NILUS_ASSIGN_OR_RAISE(bool done, probe->IsLoadCommitted(load_id));
  if (done) {
    Log().info("table '{}': load {} is committed already; skipping", dest, load_id);
    result->skipped = true;
    return Status::OK();
  }
  std::optional<CursorRange> range;
  std::optional<std::string> stored_cursor;
  const bool incremental = table.incremental.has_value() && !options_.full_refresh;
  if (incremental) {
    NILUS_ASSIGN_OR_RAISE(stored_cursor, probe->LastCommittedProperty(kCursorProperty));
    NILUS_ASSIGN_OR_RAISE(CursorRange r, ComputeCursorRange(*table.incremental, stored_cursor));
    range = r;
    result->cursor_from = r.from;
  }
  probe.reset();

  NILUS_ASSIGN_OR_RAISE(auto source, sources_->Open(config_, table, range));
  result->source = source->description();
  live.total_bytes = source->total_bytes();

  WriteDisposition disp =
      options_.full_refresh ? WriteDisposition::kReplace : table.write_disposition;
  std::vector<std::string> key = table.primary_key;
  if (key.empty()) key = source->primary_key();
  // A lag window re-reads rows already loaded: with a key they are upserted (merge), so the
  // boundary has no duplicates.
  if (incremental && disp == WriteDisposition::kAppend && table.incremental->lag.has_value() &&
      !key.empty()) {
    disp = WriteDisposition::kMerge;
  }
  if (incremental && disp == WriteDisposition::kAppend && table.incremental->lag.has_value() &&
      stored_cursor.has_value()) {
    Log().warn(
        "table '{}': incremental.lag re-reads rows and the table has no primary key, so rows in "
        "the lag window are appended again; set primary_key to deduplicate them",
        dest);
  }
  if (disp == WriteDisposition::kMerge && key.empty()) {
    return Status::Invalid("merge needs a primary key (none configured, none in the source)");
  }

  normalize::NormalizerOptions nopts;
  nopts.table = dest;
  nopts.load_id = load_id;
  nopts.max_nesting = config_.MaxNestingFor(table).value_or(32);
  const EffectiveContract contract = config_.ContractFor(table);
  nopts.contract = {ToNorm(contract.tables), ToNorm(contract.columns), ToNorm(contract.data_type)};
  nopts.hints.primary_key = key;
  for (const auto& [name, hint] : table.columns) {
    nopts.hints.columns[name] = normalize::ColumnHint{hint.type, hint.nullable};
  }
  NILUS_ASSIGN_OR_RAISE(auto norm, normalize::Normalizer::Make(nopts));
  NILUS_ASSIGN_OR_RAISE(std::vector<std::string> existing, sinks_->ListTables());
  const std::string root_name = norm->table_name();
  // Rows a file reader set aside under on_bad_row: quarantine land here, appended with the
  // table's load id.
  const std::string quarantine_name = root_name + "__nilus_quarantine";
  for (const std::string& name : existing) {
    if (name == quarantine_name) continue;
    if (name == root_name || name.rfind(root_name + "__", 0) == 0) {
      NILUS_ASSIGN_OR_RAISE(SchemaPtr schema, sinks_->ExistingSchema(name));
      if (schema != nullptr) NILUS_RETURN_NOT_OK(norm->AddKnownTable(name, *schema));
    }
  }

  // Memory: the budget is shared by the tables in flight; half goes to the sinks' writers.
  const int64_t share = config_.resources.memory_budget / std::max(1, shared->workers);
  struct OutSink {
    std::unique_ptr<load::Sink> sink;
    OutputTableResult result;
  };
  std::map<std::string, OutSink> sinks;
  std::vector<std::string> order;  // creation order, root first
  auto sink_for = [&](const normalize::NormalizedBatch& nb) -> Result<OutSink*> {
    auto it = sinks.find(nb.table);
    if (it != sinks.end()) return &it->second;
    load::IcebergSinkOptions so;
    so.memory_budget_bytes = std::max<int64_t>(share / 2, 16 << 20);
    so.merge_max_buffer_bytes = so.memory_budget_bytes;
    so.target_file_size = config_.resources.target_file_size;
    so.row_group_max_bytes = config_.resources.row_group_size;
    const bool is_root = nb.parent_table.empty();
    so.disposition = ToLoad(disp);
    if (nb.table == quarantine_name) so.disposition = load::WriteDisposition::kAppend;
    if (is_root) {
      so.primary_key = key;
      for (const PartitionFieldConfig& p : table.partition) so.partition_by.push_back(p.text);
      if (disp == WriteDisposition::kMerge && table.delete_marker.has_value()) {
        so.delete_marker_column = normalize::NormalizeIdentifier(table.delete_marker->column);
        so.delete_marker_value = table.delete_marker->value;
      }
    } else if (disp == WriteDisposition::kMerge && nb.table != quarantine_name) {
      // Child rows of a keyed root have stable ids; an updated root's descendants are replaced
      // as a whole (deleted by _nilus_root_id), so elements removed from a list go too.
      so.primary_key = {"_nilus_id"};
      so.group_delete_column = "_nilus_root_id";
    }
    NILUS_ASSIGN_OR_RAISE(auto sink, sinks_->Open(nb.table, so));
    OutSink& out = sinks[nb.table];
    out.sink = std::move(sink);
    out.result.table = nb.table;
    out.result.parent_table = nb.parent_table;
    order.push_back(nb.table);
    return &out;
  };

  // The cursor is tracked on every load of an incremental table, a full refresh included (which
  // reads everything and stores the newest value).
  const bool track_cursor = table.incremental.has_value();
  const std::string cursor_col =
      track_cursor ? normalize::NormalizeIdentifier(table.incremental->cursor) : "";
  Value cursor_max;

  auto record_commit = [&](OutSink* s, const load::LoadCommitResult& r) -> Status {
    s->result.rows_loaded += r.rows_written;
    s->result.files += r.data_files + r.delete_files;
    s->result.bytes += r.bytes_written;
    s->result.keys_deleted += r.keys_deleted;
    if (r.snapshot_id.has_value()) s->result.snapshot_id = r.snapshot_id;
    s->result.already_committed = s->result.already_committed || r.already_committed;
    if (options_.after_commit_hook) return options_.after_commit_hook(s->result.table);
    return Status::OK();
  };

  // Merge with child tables: the _nilus_id of every root row of the round, so that each child
  // table deletes the earlier descendants of those rows (also of roots deleted by the marker
  // or whose lists are now empty). Collected only when a child table exists or appears.
  std::vector<std::string> existing_children;
  for (const std::string& name : existing) {
    if (name.rfind(root_name + "__", 0) == 0 && name != quarantine_name) {
      existing_children.push_back(name);
    }
  }
  const bool merge = disp == WriteDisposition::kMerge;
  bool collect_root_ids = merge && !existing_children.empty();
  std::vector<std::string> round_root_ids;

  // Commits every sink: children first, the root (which marks the table done) last.
  int chunk = 0;
  auto commit_all = [&](bool final_round) -> Status {
    const auto t = Clock::now();
    ++chunk;
    if (collect_root_ids) {
      for (const std::string& name : existing_children) {
        if (sinks.count(name) != 0) continue;
        normalize::NormalizedBatch empty;
        empty.table = name;
        empty.parent_table = root_name;
        NILUS_RETURN_NOT_OK(sink_for(empty).status());
      }
      for (auto& [name, s] : sinks) {
        if (s.result.parent_table.empty() || name == quarantine_name) continue;
        NILUS_RETURN_NOT_OK(s.sink->AddDeleteGroups(round_root_ids));
      }
      round_root_ids.clear();
    }
    std::vector<std::string> commit_order(order.rbegin(), order.rend());
    for (const std::string& name : commit_order) {
      OutSink& s = sinks[name];
      const bool is_root = s.result.parent_table.empty();
      const bool is_quarantine = name == quarantine_name;
      // Quarantine rows are appended once, with the final round (a fixed id keeps reruns
      // from adding them twice).
      if (is_quarantine && !final_round) continue;
      load::CommitRequest req;
      // Only the final root commit carries the table's fixed load id. Merge rounds are
      // idempotent upserts, so their other commits get ids unique to this attempt (a rerun then
      // re-applies them instead of dropping rows it read anew).
      if (final_round && (is_root || is_quarantine || disp != WriteDisposition::kMerge)) {
        req.load_id = load_id;
      } else {
        req.load_id = load_id + "/" + attempt_tag + "/c" + std::to_string(chunk);
      }
      if (is_root && track_cursor) {
        std::optional<std::string> cursor = stored_cursor;
        if (final_round && !cursor_max.is_null()) {
          bool newer = true;
          if (stored_cursor.has_value()) {
            auto stored = CursorTextToValue(cursor_max.type, *stored_cursor);
            if (stored.ok() && !ValueLess(*stored, cursor_max)) newer = false;
          }
          if (newer) cursor = cursor_max.ToString();
        }
        if (cursor.has_value()) {
          req.properties[std::string(kCursorProperty)] = *cursor;
          if (final_round) result->cursor_to = cursor;
        }
      }
      NILUS_ASSIGN_OR_RAISE(load::LoadCommitResult r, s.sink->Commit(req));
      NILUS_RETURN_NOT_OK(record_commit(&s, r));
    }
    result->load_seconds += SecondsSince(t);
    return Status::OK();
  };

  // Extract on its own thread, through a bounded queue.
  // Each chunk carries the source's byte position after it, so progress counts bytes processed,
  // not bytes merely read ahead.
  struct Queued {
    SourceChunk chunk;
    int64_t bytes_after = 0;
  };
  BoundedQueue<Queued> queue(static_cast<size_t>(std::max(1, options_.queue_chunks)));
  Status extract_status;
  double extract_seconds = 0;
  std::thread extractor([&] {
    while (true) {
      Queued chunk_in;
      const auto t = Clock::now();
      auto more = source->Next(&chunk_in.chunk);
      extract_seconds += SecondsSince(t);
      if (!more.ok()) {
        extract_status = more.status();
        break;
      }
      chunk_in.bytes_after = source->bytes_read();
      if (!*more) break;
      if (!queue.Push(std::move(chunk_in))) break;
    }
    queue.Close();
  });

  Status st;
  Queued in;
  while (st.ok() && queue.Pop(&in)) {
    live.bytes = in.bytes_after;
    const auto t = Clock::now();
    Result<normalize::NormalizeResult> nr = NormalizeChunk(norm.get(), &in.chunk, result->source);
    const size_t bad = in.chunk.docs   ? in.chunk.docs->bad_records.size()
                       : in.chunk.text ? in.chunk.text->bad_records.size()
                                       : 0;
    if (bad > 0) {
      Log().warn("table '{}': {} bad rows set aside in {}", dest, bad,
                 sinks_->QualifiedName(quarantine_name));
      const std::vector<BadRecord>& records =
          in.chunk.docs ? in.chunk.docs->bad_records : in.chunk.text->bad_records;
      normalize::NormalizedBatch qb;
      qb.table = quarantine_name;
      qb.parent_table = root_name;
      qb.batch = QuarantineBatch(records, load_id);
      auto sink = sink_for(qb);
      st = sink.ok() ? (*sink)->sink->Write(std::move(qb.batch)) : sink.status();
      if (!st.ok()) break;
    }
    in.chunk = SourceChunk{};
    result->normalize_seconds += SecondsSince(t);
    if (!nr.ok()) {
      st = nr.status();
      break;
    }
    for (auto& c : nr->changes) result->changes.push_back(c);
    const auto tl = Clock::now();
    for (const normalize::NormalizedBatch& nb : nr->batches) {
      if (merge && nb.batch != nullptr && !nb.parent_table.empty() && nb.table != quarantine_name) {
        collect_root_ids = true;
      }
    }
    for (normalize::NormalizedBatch& nb : nr->batches) {
      if (nb.batch == nullptr) continue;
      if (nb.parent_table.empty()) {
        live.rows += nb.batch->num_rows();
        if (collect_root_ids) {
          const int id_col = nb.batch->schema()->FindTopLevelIndex("_nilus_id");
          if (id_col >= 0) {
            const Column& ids = nb.batch->column(id_col);
            for (int64_t row = 0; row < ids.length(); ++row) {
              if (!ids.IsNull(row)) round_root_ids.emplace_back(ids.Bytes(row));
            }
          }
        }
        if (!cursor_col.empty()) {
          const Schema& schema = *nb.batch->schema();
          for (int c = 0; c < nb.batch->num_columns(); ++c) {
            if (schema.fields()[c].name != cursor_col) continue;
            Value m = ColumnMax(nb.batch->column(c));
            if (!m.is_null() && (cursor_max.is_null() || ValueLess(cursor_max, m))) cursor_max = m;
          }
        }
      }
      auto sink = sink_for(nb);
      if (!sink.ok()) {
        st = sink.status();
        break;
      }
      st = (*sink)->sink->Write(std::move(nb.batch));
      if (!st.ok()) break;
    }
    result->load_seconds += SecondsSince(tl);
    if (!st.ok()) break;
    // Merge buffers rows until Commit: commit in chunks to stay within the memory share.
    if (disp == WriteDisposition::kMerge) {
      int64_t pending = 0;
      for (auto& [name, s] : sinks) pending += s.sink->pending_bytes();
      if (pending > std::max<int64_t>(share / 4, 8 << 20)) st = commit_all(false);
    }
  }
  queue.Close();
  extractor.join();
  result->extract_seconds = extract_seconds;
  result->rows_extracted = source->rows_read();
  result->bytes_extracted = source->bytes_read();
  live.bytes = result->bytes_extracted;
  if (st.ok()) st = extract_status;
  if (st.ok() && disp == WriteDisposition::kReplace) {
    // Replace covers every table of the load: an existing root or child table that received no
    // rows is emptied by an empty round (the root is created first so it stays first).
    std::vector<std::string> empty_tables;
    if (sinks.count(root_name) == 0) empty_tables.push_back(root_name);
    for (const std::string& name : existing) {
      if (name.rfind(root_name + "__", 0) == 0 && name != quarantine_name &&
          sinks.count(name) == 0) {
        empty_tables.push_back(name);
      }
    }
    for (const std::string& name : empty_tables) {
      normalize::NormalizedBatch empty;
      empty.table = name;
      if (name != root_name) empty.parent_table = root_name;
      auto sink = sink_for(empty);
      if (!sink.ok()) {
        st = sink.status();
        break;
      }
    }
  }
  if (st.ok()) {
    shared->SetState(index, "committing");
    st = commit_all(true);
  }
  if (!st.ok()) {
    for (auto& [name, s] : sinks) s.sink->Abort();
  }
  for (const std::string& name : order) result->outputs.push_back(sinks[name].result);
  return st;
}

Status PipelineRunner::DryRunTable(size_t index, TableRunResult* result) {
  const TableConfig& table = config_.source.tables[index];
  const std::string dest = table.DestinationName();
  std::optional<CursorRange> range;
  if (table.incremental.has_value() && !options_.full_refresh) {
    // Read-only: the cursor would need a sink; a dry run samples from the initial value.
    NILUS_ASSIGN_OR_RAISE(CursorRange r, ComputeCursorRange(*table.incremental, std::nullopt));
    range = r;
  }
  NILUS_ASSIGN_OR_RAISE(auto source, sources_->Open(config_, table, range));
  result->source = source->description();
  normalize::NormalizerOptions nopts;
  nopts.table = dest;
  nopts.load_id = "dry-run";
  nopts.max_nesting = config_.MaxNestingFor(table).value_or(32);
  const EffectiveContract contract = config_.ContractFor(table);
  nopts.contract = {ToNorm(contract.tables), ToNorm(contract.columns), ToNorm(contract.data_type)};
  nopts.hints.primary_key = table.primary_key.empty() ? source->primary_key() : table.primary_key;
  for (const auto& [name, hint] : table.columns) {
    nopts.hints.columns[name] = normalize::ColumnHint{hint.type, hint.nullable};
  }
  NILUS_ASSIGN_OR_RAISE(auto norm, normalize::Normalizer::Make(nopts));
  NILUS_ASSIGN_OR_RAISE(std::vector<std::string> existing, sinks_->ListTables());
  for (const std::string& name : existing) {
    if (name == norm->table_name() || name.rfind(norm->table_name() + "__", 0) == 0) {
      NILUS_ASSIGN_OR_RAISE(SchemaPtr schema, sinks_->ExistingSchema(name));
      if (schema != nullptr) NILUS_RETURN_NOT_OK(norm->AddKnownTable(name, *schema));
    }
  }
  int64_t rows = 0;
  while (rows < options_.dry_run_sample_rows) {
    SourceChunk in;
    NILUS_ASSIGN_OR_RAISE(bool more, source->Next(&in));
    if (!more) break;
    Result<normalize::NormalizeResult> nr = NormalizeChunk(norm.get(), &in, result->source);
    NILUS_RETURN_NOT_OK(nr.status());
    for (auto& c : nr->changes) result->changes.push_back(c);
    for (auto& nb : nr->batches) {
      if (nb.parent_table.empty() && nb.batch != nullptr) rows += nb.batch->num_rows();
    }
  }
  result->rows_extracted = rows;
  for (const std::string& name : norm->TableNames()) {
    result->dry_run_schemas.emplace_back(name, norm->CurrentSchema(name));
  }
  return Status::OK();
}

}  // namespace nilus::pipeline
