#include "iceberg/partitioned_writer.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "core/column_take.h"
#include "iceberg/file_writers.h"
#include "iceberg/transforms.h"
#include "iceberg/uuid_util.h"

namespace nilus::iceberg {

namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

// Java's Double.toString / Float.toString: the shortest digits that round-trip, plain for
// 1e-3 <= |v| < 1e7 with at least one fraction digit ("1.0"), otherwise "d.dddE<exp>".
template <typename F>
std::string JavaFloatString(F v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  const F mag = std::fabs(v);
  if (mag >= F(1e-3) && mag < F(1e7)) {
    auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
    std::string s(buf, r.ptr);
    if (s.find('.') == std::string::npos) s += ".0";
    return s;
  }
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string s(buf, r.ptr);  // e.g. "1.5e+07", "1e-05"
  size_t e = s.find('e');
  std::string mantissa = s.substr(0, e);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  int exp = std::stoi(s.substr(e + 1));
  return mantissa + "E" + std::to_string(exp);
}

// Java's BigDecimal.toString: plain unless the adjusted exponent is below -6.
std::string JavaDecimalString(__int128 unscaled, int scale) {
  const bool negative = unscaled < 0;
  unsigned __int128 mag = negative ? -static_cast<unsigned __int128>(unscaled)
                                   : static_cast<unsigned __int128>(unscaled);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(mag % 10)));
    mag /= 10;
  } while (mag != 0);
  const int64_t adjusted = static_cast<int64_t>(digits.size()) - 1 - scale;
  std::string out = negative ? "-" : "";
  if (scale >= 0 && adjusted >= -6) {
    if (scale == 0) return out + digits;
    if (static_cast<int64_t>(digits.size()) <= scale) {
      return out + "0." + std::string(scale - digits.size(), '0') + digits;
    }
    return out + digits.substr(0, digits.size() - scale) + "." +
           digits.substr(digits.size() - scale);
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  return out + "E" + (adjusted >= 0 ? "+" : "") + std::to_string(adjusted);
}

// Java's LocalTime.toString: "HH:mm", seconds only when needed, the fraction in groups of 3.
std::string JavaLocalTimeString(int64_t micros) {
  int64_t secs = micros / kMicrosPerSecond;
  int64_t frac = micros % kMicrosPerSecond;
  std::string s = fmt::format("{:02}:{:02}", secs / 3600, (secs / 60) % 60);
  if (secs % 60 == 0 && frac == 0) return s;
  s += fmt::format(":{:02}", secs % 60);
  if (frac == 0) return s;
  if (frac % 1000 == 0) return s + fmt::format(".{:03}", frac / 1000);
  return s + fmt::format(".{:06}", frac);
}

// Java's DateTimeFormatter.ISO_LOCAL_DATE_TIME: seconds always, the fraction without trailing
// zeros.
std::string IsoLocalDateTimeString(int64_t micros) {
  int64_t days = FloorDiv(micros, kMicrosPerDay);
  int64_t rem = FloorMod(micros, kMicrosPerDay);
  int64_t secs = rem / kMicrosPerSecond;
  int64_t frac = rem % kMicrosPerSecond;
  std::string s = DateToString(static_cast<int32_t>(days)) +
                  fmt::format("T{:02}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60);
  if (frac != 0) {
    std::string f = fmt::format("{:06}", frac);
    while (f.back() == '0') f.pop_back();
    s += "." + f;
  }
  return s;
}

std::string UuidString(std::string_view b) {
  std::string hex = HexEncode(b);
  if (hex.size() != 32) return hex;
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string Base64(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

template <typename T>
Result<T> Get(const Value& v) {
  if (!std::holds_alternative<T>(v.v)) {
    return Status::TypeError(
        fmt::format("partition value of type {} does not hold its representation",
                    v.type ? v.type->ToString() : "(none)"));
  }
  return std::get<T>(v.v);
}

// The value of entry i of a primitive column (a transform's result), with the column's type.
Value ValueAt(const Column& c, int64_t i) {
  Value v{c.type(), {}};
  if (c.IsNull(i)) return v;
  switch (c.type_ref().id()) {
    case TypeId::kBoolean:
      v.v = c.Value<uint8_t>(i) != 0;
      break;
    case TypeId::kInt:
    case TypeId::kDate:
      v.v = c.Value<int32_t>(i);
      break;
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      v.v = c.Value<int64_t>(i);
      break;
    case TypeId::kFloat:
      v.v = c.Value<float>(i);
      break;
    case TypeId::kDouble:
      v.v = c.Value<double>(i);
      break;
    case TypeId::kDecimal:
      v.v = c.Value<__int128>(i);
      break;
    default:  // string, binary, uuid, fixed; nested types are rejected by the spec check
      v.v = std::string(c.Bytes(i));
      break;
  }
  return v;
}

// Appends entry i of a primitive column to a grouping key: a null marker, or a valid marker
// and the value's bytes (length-prefixed when variable). NaNs are canonicalized so that every
// NaN lands in one partition, as Java's Float.equals does.
void AppendKey(const Column& c, int64_t i, std::string* key) {
  if (c.IsNull(i)) {
    key->push_back('\0');
    return;
  }
  key->push_back('\1');
  switch (c.type_ref().id()) {
    case TypeId::kString:
    case TypeId::kBinary: {
      std::string_view b = c.Bytes(i);
      uint64_t n = b.size();
      key->append(reinterpret_cast<const char*>(&n), sizeof(n));
      key->append(b);
      return;
    }
    case TypeId::kFloat:
      if (std::isnan(c.Value<float>(i))) {
        key->append("NaN");
        return;
      }
      break;
    case TypeId::kDouble:
      if (std::isnan(c.Value<double>(i))) {
        key->append("NaN");
        return;
      }
      break;
    default:
      break;
  }
  const int w = FixedWidthOf(c.type_ref());
  key->append(reinterpret_cast<const char*>(c.value_buffer().data()) + i * w,
              static_cast<size_t>(w));
}

}  // namespace

std::string UrlEncodeForPath(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '-' || c == '*' || c == '_') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<std::string> PartitionValueToHumanString(const Transform& transform, const Value& value) {
  if (value.is_null() || transform.kind() == TransformKind::kVoid) return std::string("null");
  switch (transform.kind()) {
    case TransformKind::kYear: {
      NILUS_ASSIGN_OR_RAISE(int32_t y, Get<int32_t>(value));
      return fmt::format("{:04}", 1970 + int64_t{y});
    }
    case TransformKind::kMonth: {
      NILUS_ASSIGN_OR_RAISE(int32_t m, Get<int32_t>(value));
      return fmt::format("{:04}-{:02}", 1970 + FloorDiv(m, 12), 1 + FloorMod(m, 12));
    }
    case TransformKind::kDay: {
      NILUS_ASSIGN_OR_RAISE(int32_t d, Get<int32_t>(value));
      return DateToString(d);
    }
    case TransformKind::kHour: {
      NILUS_ASSIGN_OR_RAISE(int32_t h, Get<int32_t>(value));
      return DateToString(static_cast<int32_t>(FloorDiv(h, 24))) +
             fmt::format("-{:02}", FloorMod(h, 24));
    }
    case TransformKind::kBucket: {
      NILUS_ASSIGN_OR_RAISE(int32_t b, Get<int32_t>(value));
      return std::to_string(b);
    }
    default:
      break;
  }
  // Identity and truncate: by the value's own type.
  if (!value.type) return Status::TypeError("partition value without a type");
  switch (value.type->id()) {
    case TypeId::kBoolean: {
      NILUS_ASSIGN_OR_RAISE(bool b, Get<bool>(value));
      return std::string(b ? "true" : "false");
    }
    case TypeId::kInt: {
      NILUS_ASSIGN_OR_RAISE(int32_t v, Get<int32_t>(value));
      return std::to_string(v);
    }
    case TypeId::kLong: {
      NILUS_ASSIGN_OR_RAISE(int64_t v, Get<int64_t>(value));
      return std::to_string(v);
    }
    case TypeId::kFloat: {
      NILUS_ASSIGN_OR_RAISE(float v, Get<float>(value));
      return JavaFloatString(v);
    }
    case TypeId::kDouble: {
      NILUS_ASSIGN_OR_RAISE(double v, Get<double>(value));
      return JavaFloatString(v);
    }
    case TypeId::kDecimal: {
      NILUS_ASSIGN_OR_RAISE(__int128 v, Get<__int128>(value));
      return JavaDecimalString(v, value.type->scale());
    }
    case TypeId::kDate: {
      NILUS_ASSIGN_OR_RAISE(int32_t v, Get<int32_t>(value));
      return DateToString(v);
    }
    case TypeId::kTime: {
      NILUS_ASSIGN_OR_RAISE(int64_t v, Get<int64_t>(value));
      return JavaLocalTimeString(v);
    }
    case TypeId::kTimestamp: {
      NILUS_ASSIGN_OR_RAISE(int64_t v, Get<int64_t>(value));
      return IsoLocalDateTimeString(v);
    }
    case TypeId::kTimestampTz: {
      NILUS_ASSIGN_OR_RAISE(int64_t v, Get<int64_t>(value));
      return IsoLocalDateTimeString(v) + "+00:00";
    }
    case TypeId::kString: {
      NILUS_ASSIGN_OR_RAISE(std::string v, Get<std::string>(value));
      return v;
    }
    case TypeId::kUuid: {
      NILUS_ASSIGN_OR_RAISE(std::string v, Get<std::string>(value));
      return UuidString(v);
    }
    case TypeId::kFixed:
    case TypeId::kBinary: {
      NILUS_ASSIGN_OR_RAISE(std::string v, Get<std::string>(value));
      return Base64(v);
    }
    default:
      return Status::TypeError(
          fmt::format("a {} value cannot be a partition value", value.type->ToString()));
  }
}

Result<std::string> PartitionPath(const PartitionSpec& spec, const std::vector<Value>& values) {
  if (values.size() != spec.fields.size()) {
    return Status::Invalid(fmt::format("partition path: {} values for a spec of {} fields",
                                       values.size(), spec.fields.size()));
  }
  std::string path;
  for (size_t i = 0; i < values.size(); ++i) {
    const PartitionField& f = spec.fields[i];
    auto human = PartitionValueToHumanString(f.transform, values[i]);
    if (!human.ok()) return human.status().WithContext(fmt::format("partition field '{}'", f.name));
    if (i > 0) path += '/';
    path += UrlEncodeForPath(f.name);
    path += '=';
    path += UrlEncodeForPath(*human);
  }
  return path;
}

// One partition's state: its tuple, its directory and its open file (if any).
struct PartitionedFileWriter::Partition {
  std::vector<Value> values;
  std::string dir;  // "<location>/data" or "<location>/data/<partition path>"
  std::unique_ptr<parquet::ParquetWriter> writer;
  uint64_t last_used = 0;
};

PartitionedFileWriter::~PartitionedFileWriter() { Abort(); }

Result<std::unique_ptr<PartitionedFileWriter>> PartitionedFileWriter::Make(
    FileIO* io, std::string table_location, SchemaPtr schema, PartitionSpec spec,
    PartitionedWriterOptions options) {
  if (io == nullptr || schema == nullptr) {
    return Status::Invalid("partitioned writer needs a FileIO and a schema");
  }
  if (options.target_file_size < 1) {
    return Status::Invalid(fmt::format("partitioned writer: target file size {} is below 1",
                                       options.target_file_size));
  }
  if (options.max_open_files < 1) {
    return Status::Invalid(
        fmt::format("partitioned writer: max open files {} is below 1", options.max_open_files));
  }
  NILUS_RETURN_NOT_OK(spec.Validate(*schema));
  if (options.file_prefix.empty()) options.file_prefix = NewUuidV4();
  std::unique_ptr<PartitionedFileWriter> w(new PartitionedFileWriter());
  for (const PartitionField& f : spec.fields) {
    int index = -1;
    for (size_t i = 0; i < schema->fields().size(); ++i) {
      if (schema->fields()[i].id == f.source_id) index = static_cast<int>(i);
    }
    if (index < 0) {
      const NestedField* nested = schema->FindFieldById(f.source_id);
      return Status::Invalid(fmt::format(
          "partition field '{}': source column '{}' (id {}) is nested inside a struct; only "
          "top-level source columns are supported",
          f.name, nested ? nested->name : "?", f.source_id));
    }
    NILUS_ASSIGN_OR_RAISE(TypePtr rt, f.transform.ResultType(*schema->fields()[index].type));
    w->source_columns_.push_back(index);
    w->result_types_.push_back(std::move(rt));
  }
  while (!table_location.empty() && table_location.back() == '/') table_location.pop_back();
  w->io_ = io;
  w->location_ = std::move(table_location);
  w->schema_ = std::move(schema);
  w->spec_ = std::move(spec);
  w->options_ = std::move(options);
  return w;
}

Status PartitionedFileWriter::Fail(Status st) {
  if (error_.ok()) error_ = st;
  return st;
}

Status PartitionedFileWriter::OpenFile(Partition* p) {
  if (num_open_ >= options_.max_open_files) {
    // Evict the least recently written file; the linear scan only runs at the cap.
    Partition* lru = nullptr;
    for (auto& [key, q] : partitions_) {
      if (q->writer && q.get() != p && (!lru || q->last_used < lru->last_used)) lru = q.get();
    }
    if (lru) NILUS_RETURN_NOT_OK(CloseFile(lru));
  }
  std::string path =
      fmt::format("{}/{}-{:05}.parquet", p->dir, options_.file_prefix, next_file_number_++);
  NILUS_ASSIGN_OR_RAISE(p->writer,
                        parquet::ParquetWriter::Open(io_, path, schema_, options_.parquet));
  ++num_open_;
  return Status::OK();
}

Status PartitionedFileWriter::CloseFile(Partition* p) {
  std::unique_ptr<parquet::ParquetWriter> writer = std::move(p->writer);
  --num_open_;
  NILUS_ASSIGN_OR_RAISE(parquet::ParquetFileMetrics metrics, writer->Close());
  auto file = DataFileFromParquet(metrics, DataFileContent::kData, p->values);
  if (!file.ok()) {
    // The file is published but cannot be described; remove it so that Abort leaves nothing.
    (void)io_->Delete(metrics.path);
    return file.status();
  }
  completed_.push_back(std::move(file).value());
  return Status::OK();
}

Status PartitionedFileWriter::WriteToPartition(Partition* p, const ColumnBatch& part) {
  if (!p->writer) NILUS_RETURN_NOT_OK(OpenFile(p));
  p->last_used = ++tick_;
  NILUS_RETURN_NOT_OK(p->writer->Write(part));
  // bytes_written counts flushed row groups, so files roll at row-group boundaries.
  if (p->writer->bytes_written() >= options_.target_file_size) NILUS_RETURN_NOT_OK(CloseFile(p));
  return Status::OK();
}

Status PartitionedFileWriter::Write(const ColumnBatch& batch) {
  if (!error_.ok()) return error_;
  if (closed_) return Status::Invalid("partitioned writer: Write after Close");
  if (batch.schema() != schema_ && !batch.schema()->Equals(*schema_)) {
    return Fail(
        Status::Invalid("partitioned writer: the batch's schema differs from the writer's"));
  }
  const int64_t n = batch.num_rows();
  if (n == 0) return Status::OK();

  if (spec_.IsUnpartitioned()) {
    // No fields, or only void ones: one target, whose tuple is all nulls.
    if (order_.empty()) {
      auto only = std::make_unique<Partition>();
      for (const TypePtr& t : result_types_) only->values.push_back(Value{t, {}});
      only->dir = location_ + "/data";
      order_.push_back(only.get());
      partitions_.emplace(std::string(), std::move(only));
    }
    Status st = WriteToPartition(order_[0], batch);
    return st.ok() ? st : Fail(st);
  }

  // Each row's partition tuple, one transformed column per spec field. Identity reads the
  // source column itself rather than a copy.
  std::vector<std::unique_ptr<Column>> owned;
  std::vector<const Column*> tuples;
  for (size_t f = 0; f < spec_.fields.size(); ++f) {
    const Column& source = batch.column(source_columns_[f]);
    if (spec_.fields[f].transform.kind() == TransformKind::kIdentity) {
      tuples.push_back(&source);
      continue;
    }
    auto out = Column::Make(result_types_[f]);
    Status st = ApplyTransformToColumn(spec_.fields[f].transform, source, out.get());
    if (!st.ok()) {
      return Fail(st.WithContext(fmt::format("partition field '{}'", spec_.fields[f].name)));
    }
    tuples.push_back(out.get());
    owned.push_back(std::move(out));
  }

  // Group rows by tuple. Consecutive rows of one partition (sorted input) skip the lookups.
  std::vector<Partition*> group_partitions;
  std::vector<std::vector<int64_t>> group_rows;
  std::unordered_map<Partition*, size_t> group_of;
  std::string key, prev_key;
  size_t group = 0;
  for (int64_t i = 0; i < n; ++i) {
    key.clear();
    for (const Column* t : tuples) AppendKey(*t, i, &key);
    if (i == 0 || key != prev_key) {
      auto it = partitions_.find(key);
      if (it == partitions_.end()) {
        auto fresh = std::make_unique<Partition>();
        for (const Column* t : tuples) fresh->values.push_back(ValueAt(*t, i));
        auto path = PartitionPath(spec_, fresh->values);
        if (!path.ok()) return Fail(path.status());
        fresh->dir = location_ + "/data/" + *path;
        order_.push_back(fresh.get());
        it = partitions_.emplace(key, std::move(fresh)).first;
      }
      Partition* p = it->second.get();
      auto [g, inserted] = group_of.try_emplace(p, group_rows.size());
      if (inserted) {
        group_partitions.push_back(p);
        group_rows.emplace_back();
      }
      group = g->second;
      std::swap(prev_key, key);
    }
    group_rows[group].push_back(i);
  }

  if (group_partitions.size() == 1) {  // the whole batch belongs to one partition: no gather
    Status st = WriteToPartition(group_partitions[0], batch);
    return st.ok() ? st : Fail(st);
  }
  for (size_t g = 0; g < group_partitions.size(); ++g) {
    auto part = TakeRows(batch, group_rows[g]);
    if (!part.ok()) return Fail(part.status());
    Status st = WriteToPartition(group_partitions[g], **part);
    if (!st.ok()) return Fail(st);
  }
  return Status::OK();
}

Result<std::vector<DataFile>> PartitionedFileWriter::Close() {
  if (!error_.ok()) return error_;
  if (closed_) return Status::Invalid("partitioned writer: Close called twice");
  for (Partition* p : order_) {
    if (p->writer) {
      Status st = CloseFile(p);
      if (!st.ok()) return Fail(st);
    }
  }
  closed_ = true;
  return std::move(completed_);
}

void PartitionedFileWriter::Abort() {
  if (closed_) return;
  for (auto& [key, p] : partitions_) {
    if (p->writer) {
      p->writer->Abort();
      p->writer.reset();
      --num_open_;
    }
  }
  for (const DataFile& f : completed_) (void)io_->Delete(f.file_path);
  completed_.clear();
  closed_ = true;
  if (error_.ok()) error_ = Status::Cancelled("partitioned writer was aborted");
}

}  // namespace nilus::iceberg
