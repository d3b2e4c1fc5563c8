#include "formats/parquet/column_writer.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <string>

#include "formats/parquet/compression.h"
#include "formats/parquet/dictionary.h"
#include "formats/parquet/rle_encoder.h"

namespace nilus::parquet {

namespace {

// ---------------------------------------------------------------------------------------------
// Value access: how a leaf's values are read from its Column and encoded as Parquet values.
// ---------------------------------------------------------------------------------------------

template <typename Stored, typename Physical>
struct NumericAccess {
  using T = Physical;
  static constexpr bool kIsDecimal = std::is_same_v<Stored, __int128>;
  static T Load(const Column& c, int64_t i) { return static_cast<T>(c.values<Stored>()[i]); }
  static void Plain(T v, Buffer* out, int) { out->AppendValue(v); }
  static std::string StatBytes(const T& v, int) {
    return std::string(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  static bool Less(const T& a, const T& b) { return a < b; }
};

struct BoolAccess {
  using T = bool;
  static constexpr bool kIsDecimal = false;
  static T Load(const Column& c, int64_t i) { return c.values<uint8_t>()[i] != 0; }
  static void Plain(T v, Buffer* out, int) { out->PushByte(v ? 1 : 0); }  // packed at page cut
  static std::string StatBytes(const T& v, int) { return std::string(1, v ? 1 : 0); }
  static bool Less(const T& a, const T& b) { return !a && b; }
};

// decimal(P > 18): FIXED_LEN_BYTE_ARRAY holding big-endian two's complement.
struct Decimal128Access {
  using T = __int128;
  static constexpr bool kIsDecimal = true;
  static T Load(const Column& c, int64_t i) { return c.values<__int128>()[i]; }
  static void Plain(T v, Buffer* out, int width) {
    for (int b = width - 1; b >= 0; --b) out->PushByte(static_cast<uint8_t>(v >> (8 * b)));
  }
  static std::string StatBytes(const T& v, int width) {
    Buffer b;
    Plain(v, &b, width);
    return std::string(b.view());
  }
  static bool Less(const T& a, const T& b) { return a < b; }
};

// string and binary: BYTE_ARRAY.
struct BytesAccess {
  using T = std::string_view;
  static constexpr bool kIsDecimal = false;
  static T Load(const Column& c, int64_t i) { return c.Bytes(i); }
  static void Plain(T v, Buffer* out, int) {
    uint32_t n = static_cast<uint32_t>(v.size());
    out->AppendValue(n);
    out->Append(v);
  }
  static std::string StatBytes(const T& v, int) { return std::string(v); }
  static bool Less(const T& a, const T& b) { return a < b; }  // unsigned, like memcmp
};

// uuid and fixed(L): FIXED_LEN_BYTE_ARRAY.
struct FixedAccess {
  using T = std::string_view;
  static constexpr bool kIsDecimal = false;
  static T Load(const Column& c, int64_t i) { return c.Bytes(i); }
  static void Plain(T v, Buffer* out, int) { out->Append(v); }
  static std::string StatBytes(const T& v, int) { return std::string(v); }
  static bool Less(const T& a, const T& b) { return a < b; }
};

template <typename T>
struct OwnedOf {
  using type = T;
};
template <>
struct OwnedOf<std::string_view> {
  using type = std::string;
};

template <typename T>
bool IsNaN(const T& v) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(v);
  } else {
    return false;
  }
}

// Builds the Iceberg bound for a physical value.
template <typename T>
Value ToIcebergValue(const TypePtr& type, const T& v) {
  Value out{type, {}};
  switch (type->id()) {
    case TypeId::kBoolean:
      if constexpr (std::is_same_v<T, bool>) out.v = v;
      break;
    case TypeId::kInt:
    case TypeId::kDate:
      if constexpr (std::is_same_v<T, int32_t>) out.v = v;
      break;
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      if constexpr (std::is_same_v<T, int64_t>) out.v = v;
      break;
    case TypeId::kFloat:
      if constexpr (std::is_same_v<T, float>) out.v = v;
      break;
    case TypeId::kDouble:
      if constexpr (std::is_same_v<T, double>) out.v = v;
      break;
    case TypeId::kDecimal:
      if constexpr (std::is_integral_v<T> || std::is_same_v<T, __int128>) {
        out.v = static_cast<__int128>(v);
      }
      break;
    default:
      if constexpr (std::is_same_v<T, std::string>) out.v = v;
      break;
  }
  return out;
}

// Returns the index of the first entry in [lo, hi) of a string column that is not valid
// UTF-8, or -1. Validates the arena in one pass, then checks that no entry starts inside a
// multi-byte character (which would make a valid concatenation of invalid entries).
int64_t FindInvalidUtf8(const Column& c, int64_t lo, int64_t hi) {
  if (lo >= hi) return -1;
  const int64_t* off = c.offsets();
  const char* base = reinterpret_cast<const char*>(c.value_buffer().data());
  if (simdjson::validate_utf8(base + off[lo], static_cast<size_t>(off[hi] - off[lo]))) {
    bool boundaries_ok = true;
    for (int64_t i = lo; i < hi; ++i) {
      if (off[i] < off[i + 1] && (static_cast<uint8_t>(base[off[i]]) & 0xC0) == 0x80) {
        boundaries_ok = false;
        break;
      }
    }
    if (boundaries_ok) return -1;
  }
  for (int64_t i = lo; i < hi; ++i) {
    if (!simdjson::validate_utf8(base + off[i], static_cast<size_t>(off[i + 1] - off[i]))) {
      return i;
    }
  }
  return -1;
}

// Definition and repetition levels of a nested leaf, with the leaf entries that hold values.
struct NestedLevels {
  std::vector<uint16_t> def;
  std::vector<uint16_t> rep;
  std::vector<int64_t> value_index;  // leaf entry of each level that reaches max_def
  std::vector<int64_t> value_row;    // the batch row each such value belongs to
  int64_t leaf_lo = INT64_MAX;       // range of leaf entries touched
  int64_t leaf_hi = -1;
};

class LevelBuilder {
 public:
  LevelBuilder(const LeafColumn& leaf, NestedLevels* out) : leaf_(leaf), out_(out) {}

  Status Walk(const Column& col, size_t depth, int64_t i, uint16_t def, uint16_t rep, int64_t row) {
    const LeafStep& step = leaf_.steps[depth];
    if (col.IsNull(i)) {
      if (!step.optional) {
        return Status::Invalid(fmt::format("field '{}' is required but null", step.name));
      }
      Emit(def, rep);
      return Status::OK();
    }
    if (step.optional) ++def;
    switch (step.kind) {
      case TypeId::kStruct:
        return Walk(col.child(step.child), depth + 1, i, def, rep, row);
      case TypeId::kList:
      case TypeId::kMap: {
        int64_t begin = col.offsets()[i];
        int64_t end = col.offsets()[i + 1];
        if (begin == end) {
          Emit(def, rep);
          return Status::OK();
        }
        const Column& child = col.child(step.child);
        for (int64_t j = begin; j < end; ++j) {
          NILUS_RETURN_NOT_OK(Walk(child, depth + 1, j, static_cast<uint16_t>(def + 1),
                                   j == begin ? rep : static_cast<uint16_t>(step.rep_level), row));
        }
        return Status::OK();
      }
      default:
        Emit(def, rep);
        out_->value_index.push_back(i);
        out_->value_row.push_back(row);
        out_->leaf_lo = std::min(out_->leaf_lo, i);
        out_->leaf_hi = std::max(out_->leaf_hi, i);
        return Status::OK();
    }
  }

 private:
  void Emit(uint16_t def, uint16_t rep) {
    out_->def.push_back(def);
    out_->rep.push_back(rep);
  }
  const LeafColumn& leaf_;
  NestedLevels* out_;
};

// Descends from a top-level column to the leaf column along the leaf's path.
const Column& LeafOf(const ColumnBatch& batch, const LeafColumn& leaf) {
  const Column* c = &batch.column(leaf.top_level_index);
  for (size_t d = 0; d + 1 < leaf.steps.size(); ++d) c = &c->child(leaf.steps[d].child);
  return *c;
}

// Keeps page buffers for reuse: fresh megabyte-sized allocations cost a page fault per 4 KiB.
class BufferRecycler {
 public:
  Buffer Get() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return Buffer();
    Buffer b = std::move(free_.back());
    free_.pop_back();
    b.Clear();
    return b;
  }
  void Put(Buffer b) {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() < kMaxKept) free_.push_back(std::move(b));
  }

 private:
  static constexpr size_t kMaxKept = 4;
  std::mutex mu_;
  std::vector<Buffer> free_;
};

// Compresses `raw` into a buffer of exactly the compressed size (a held page should not keep
// the compressor's worst-case capacity), using a per-thread scratch buffer.
Status CompressExact(Compression codec, int level, const Buffer& raw, Buffer* out) {
  thread_local Buffer scratch;
  NILUS_RETURN_NOT_OK(Compress(codec, level, raw.data(), raw.size(), &scratch));
  Buffer exact(scratch.size());
  exact.Append(scratch.data(), scratch.size());
  *out = std::move(exact);
  return Status::OK();
}

// A page cut and handed to the pool for compression.
struct PendingPage {
  std::future<Status> done;
  std::shared_ptr<Buffer> header;
  std::shared_ptr<Buffer> body;
  int64_t uncompressed_total = 0;  // header + uncompressed body
  Encoding encoding;
};

// ---------------------------------------------------------------------------------------------
// The typed column chunk writer.
// ---------------------------------------------------------------------------------------------

template <typename Access>
class TypedColumnWriter : public ColumnChunkWriter {
  using T = typename Access::T;
  using Owned = typename OwnedOf<T>::type;
  static constexpr bool kIsBool = std::is_same_v<T, bool>;
  static constexpr bool kIsString = std::is_same_v<Access, BytesAccess>;

 public:
  TypedColumnWriter(const LeafColumn& leaf, const ParquetWriterOptions& options, ThreadPool* pool)
      : leaf_(leaf), options_(options), pool_(pool) {
    dict_mode_ = options.dictionary_enabled && !kIsBool;
    width_ = leaf.type_length;
    if constexpr (Access::kIsDecimal) max_unscaled_ = MaxDecimalUnscaled(leaf.type->precision());
    validate_utf8_ = leaf.type->id() == TypeId::kString;
  }

  Status Append(const ColumnBatch& batch, int64_t begin, int64_t end, int64_t first_row) override {
    if (!status_.ok()) return status_;
    const Column& col = LeafOf(batch, leaf_);
    Status st = leaf_.steps.size() == 1 ? AppendFlat(col, begin, end, first_row)
                                        : AppendNested(batch, col, begin, end, first_row);
    // Page bounds may point into the batch, which the caller frees after this call.
    FoldPageMinMax();
    if (!st.ok()) status_ = st;
    return st;
  }

  Result<FinishedChunk> Finish() override {
    NILUS_RETURN_NOT_OK(status_);
    if (page_levels_ > 0 || pages_.empty()) CutPage();
    FinishedChunk chunk;
    ColumnMetaData& meta = chunk.meta;
    meta.type = leaf_.physical;
    meta.path_in_schema = leaf_.path_in_schema;
    meta.codec = ToCodec(options_.compression);
    meta.num_values = chunk_levels_;

    int64_t offset = 0;
    int64_t uncompressed = 0;
    bool has_dict = used_dict_pages_ > 0;
    if (has_dict) {
      Buffer raw;
      for (const auto& v : dict_.values()) Access::Plain(v, &raw, width_);
      PageHeader h;
      h.type = PageType::kDictionaryPage;
      h.uncompressed_page_size = static_cast<int32_t>(raw.size());
      DictionaryPageHeader dh;
      dh.num_values = static_cast<int32_t>(dict_.size());
      dh.encoding = Encoding::kPlain;
      h.dictionary_page_header = dh;
      Buffer body;
      NILUS_RETURN_NOT_OK(CompressExact(options_.compression, options_.zstd_level, raw, &body));
      h.compressed_page_size = static_cast<int32_t>(body.size());
      Buffer header;
      SerializePageHeader(h, &header);
      meta.dictionary_page_offset = 0;
      uncompressed += static_cast<int64_t>(header.size() + raw.size());
      offset += static_cast<int64_t>(header.size() + body.size());
      chunk.pieces.push_back(std::move(header));
      chunk.pieces.push_back(std::move(body));
      meta.encoding_stats.push_back({PageType::kDictionaryPage, Encoding::kPlain, 1});
    }
    meta.data_page_offset = offset;
    int32_t dict_pages = 0;
    int32_t plain_pages = 0;
    Status first_error;
    for (auto& p : pages_) {
      Status st = p.done.get();
      if (!st.ok() && first_error.ok()) first_error = st;
      if (!first_error.ok()) continue;
      offset += static_cast<int64_t>(p.header->size() + p.body->size());
      uncompressed += p.uncompressed_total;
      (p.encoding == Encoding::kRleDictionary ? dict_pages : plain_pages)++;
      chunk.pieces.push_back(std::move(*p.header));
      chunk.pieces.push_back(std::move(*p.body));
    }
    pages_.clear();
    if (!first_error.ok()) {
      status_ = first_error;
      return first_error;
    }
    if (dict_pages)
      meta.encoding_stats.push_back({PageType::kDataPage, Encoding::kRleDictionary, dict_pages});
    if (plain_pages)
      meta.encoding_stats.push_back({PageType::kDataPage, Encoding::kPlain, plain_pages});
    // Encodings: the dictionary page's PLAIN, levels' RLE, then the data pages'.
    if (has_dict || plain_pages) meta.encodings.push_back(Encoding::kPlain);
    meta.encodings.push_back(Encoding::kRle);
    if (dict_pages) meta.encodings.push_back(Encoding::kRleDictionary);

    meta.total_compressed_size = offset;
    meta.total_uncompressed_size = uncompressed;
    meta.statistics = ChunkStatistics();
    chunk.total_bytes = offset;

    // Fold the chunk into the file-level metrics, then reset for the next row group.
    file_compressed_ += offset;
    file_values_ += chunk_levels_;
    file_nulls_ += chunk_nulls_;
    file_nans_ += chunk_nans_;
    if (chunk_has_minmax_) {
      if (!file_has_minmax_ || Access::Less(chunk_min_, file_min_)) file_min_ = chunk_min_;
      if (!file_has_minmax_ || Access::Less(file_max_, chunk_max_)) file_max_ = chunk_max_;
      file_has_minmax_ = true;
    }
    chunk_levels_ = chunk_nulls_ = chunk_nans_ = 0;
    chunk_has_minmax_ = false;
    used_dict_pages_ = 0;
    chunk_dict_values_ = chunk_dict_plain_bytes_ = 0;
    dict_.Clear();
    if (!fell_back_) dict_mode_ = options_.dictionary_enabled && !kIsBool;
    return chunk;
  }

  ColumnMetrics Metrics() const override {
    ColumnMetrics m;
    m.field_id = leaf_.field_id;
    m.path = leaf_.dotted_path;
    m.compressed_size = file_compressed_;
    m.value_count = file_values_;
    m.null_count = file_nulls_;
    if constexpr (std::is_floating_point_v<T>) m.nan_count = file_nans_;
    if (file_has_minmax_) {
      m.lower_bound = ToIcebergValue(leaf_.type, MinForStats(file_min_));
      m.upper_bound = ToIcebergValue(leaf_.type, MaxForStats(file_max_));
    }
    return m;
  }

 private:
  // --- Appending ---

  Status AppendFlat(const Column& col, int64_t begin, int64_t end, int64_t first_row) {
    bool optional = leaf_.max_def > 0;
    if (!optional && col.null_count() > 0) {
      for (int64_t i = begin; i < end; ++i) {
        if (col.IsNull(i)) {
          return Status::Invalid(fmt::format("column '{}' row {}: null in a required column",
                                             leaf_.dotted_path, first_row + i));
        }
      }
    }
    if constexpr (kIsString) {
      if (validate_utf8_) {
        int64_t bad = FindInvalidUtf8(col, begin, end);
        if (bad >= 0) return InvalidUtf8(first_row + bad);
      }
    }
    const bool has_nulls = col.null_count() > 0;
    for (int64_t i = begin; i < end; ++i) {
      if (page_full_) CutPage();
      bool valid = !has_nulls || col.IsValid(i);
      if (optional) page_def_.push_back(valid ? 1 : 0);
      ++page_levels_;
      ++page_rows_;
      if (!valid) {
        ++page_nulls_;
      } else {
        T v = Access::Load(col, i);
        if constexpr (Access::kIsDecimal) {
          NILUS_RETURN_NOT_OK(CheckDecimal(col, i, first_row + i));
        }
        AddValue(v);
      }
      CheckPageFull();
    }
    return Status::OK();
  }

  Status AppendNested(const ColumnBatch& batch, const Column& leaf_col, int64_t begin, int64_t end,
                      int64_t first_row) {
    NestedLevels levels;
    LevelBuilder builder(leaf_, &levels);
    const Column& top = batch.column(leaf_.top_level_index);
    for (int64_t r = begin; r < end; ++r) {
      Status st = builder.Walk(top, 0, r, 0, 0, r);
      if (!st.ok()) {
        return Status::Invalid(
            fmt::format("column '{}' row {}: {}", leaf_.dotted_path, first_row + r, st.message()));
      }
    }
    if constexpr (kIsString) {
      if (validate_utf8_ && levels.leaf_hi >= 0) {
        int64_t bad = FindInvalidUtf8(leaf_col, levels.leaf_lo, levels.leaf_hi + 1);
        if (bad >= 0) {
          for (size_t k = 0; k < levels.value_index.size(); ++k) {
            if (levels.value_index[k] == bad) return InvalidUtf8(first_row + levels.value_row[k]);
          }
          // An invalid entry that no level reaches (under a null parent) is ignored.
        }
      }
    }
    size_t v = 0;
    for (size_t k = 0; k < levels.def.size(); ++k) {
      if (levels.rep[k] == 0 && page_full_) CutPage();
      page_def_.push_back(levels.def[k]);
      page_rep_.push_back(levels.rep[k]);
      ++page_levels_;
      if (levels.rep[k] == 0) ++page_rows_;
      if (levels.def[k] == leaf_.max_def) {
        int64_t i = levels.value_index[v];
        if constexpr (Access::kIsDecimal) {
          NILUS_RETURN_NOT_OK(CheckDecimal(leaf_col, i, first_row + levels.value_row[v]));
        }
        ++v;
        AddValue(Access::Load(leaf_col, i));
      } else {
        ++page_nulls_;
      }
      CheckPageFull();
    }
    return Status::OK();
  }

  Status CheckDecimal(const Column& col, int64_t i, int64_t row) {
    __int128 raw = col.values<__int128>()[i];
    if (raw > max_unscaled_ || raw < -max_unscaled_) {
      return Status::Invalid(
          fmt::format("column '{}' row {}: {} does not fit {}", leaf_.dotted_path, row,
                      DecimalToString(raw, leaf_.type->scale()), leaf_.type->ToString()));
    }
    return Status::OK();
  }

  Status InvalidUtf8(int64_t row) const {
    return Status::Invalid(
        fmt::format("column '{}' row {}: string is not valid UTF-8", leaf_.dotted_path, row));
  }

  void AddValue(const T& v) {
    if (dict_mode_) {
      page_indices_.push_back(dict_.GetOrInsert(v));
      ++chunk_dict_values_;
      chunk_dict_plain_bytes_ += static_cast<int64_t>(DictKeyTraits<T>::PlainSize(v));
    } else {
      Access::Plain(v, &page_values_, width_);
    }
    if (IsNaN(v)) {
      ++chunk_nans_;
      return;
    }
    if (!page_has_minmax_) {
      page_min_ = page_max_ = v;
      page_has_minmax_ = true;
    } else if (Access::Less(v, page_min_)) {
      page_min_ = v;
    } else if (Access::Less(page_max_, v)) {
      page_max_ = v;
    }
  }

  void CheckPageFull() {
    int64_t bytes = dict_mode_ ? static_cast<int64_t>(page_indices_.size()) *
                                     std::max(1, BitWidth(dict_.size())) / 8
                               : static_cast<int64_t>(page_values_.size());
    page_full_ =
        page_rows_ >= options_.page_max_rows || bytes >= options_.page_max_bytes ||
        (dict_mode_ && static_cast<int64_t>(dict_.plain_bytes()) > options_.dictionary_max_bytes);
  }

  // --- Pages ---

  // Encodes the buffered page and hands it to the pool for compression.
  void CutPage() {
    page_full_ = false;
    FoldPageMinMax();
    auto body = std::make_shared<Buffer>(recycler_->Get());
    Buffer& raw = *body;
    if (leaf_.max_rep > 0) AppendLevels(page_rep_, leaf_.max_rep, &raw);
    if (leaf_.max_def > 0) AppendLevels(page_def_, leaf_.max_def, &raw);
    Encoding encoding = Encoding::kPlain;
    // An all-null page of a dictionary chunk still says RLE_DICTIONARY when there is a
    // dictionary page for it to refer to.
    if (dict_mode_ && (!page_indices_.empty() || dict_.size() > 0)) {
      encoding = Encoding::kRleDictionary;
      int bw = BitWidth(dict_.size() > 0 ? dict_.size() - 1 : 0);
      raw.PushByte(static_cast<uint8_t>(bw));
      EncodeRleBitPacked(page_indices_.data(), static_cast<int64_t>(page_indices_.size()), bw,
                         &raw);
      ++used_dict_pages_;
    } else if constexpr (kIsBool) {
      size_t n = page_values_.size();
      size_t start = raw.size();
      raw.ResizeZeroed(start + (n + 7) / 8);
      for (size_t i = 0; i < n; ++i) {
        if (page_values_.data()[i])
          raw.data()[start + i / 8] |= static_cast<uint8_t>(1u << (i % 8));
      }
    } else {
      raw.Append(page_values_.data(), page_values_.size());
    }

    PageHeader h;
    h.type = PageType::kDataPage;
    h.uncompressed_page_size = static_cast<int32_t>(raw.size());
    DataPageHeader dh;
    dh.num_values = static_cast<int32_t>(page_levels_);
    dh.encoding = encoding;
    h.data_page_header = dh;

    chunk_levels_ += page_levels_;
    chunk_nulls_ += page_nulls_;
    page_levels_ = page_rows_ = page_nulls_ = 0;
    page_def_.clear();
    page_rep_.clear();
    page_indices_.clear();
    page_values_.Clear();

    // Past the dictionary limit, the rest of the chunk (and file) is PLAIN. So it is when the
    // first page shows the dictionary does not pay: its values plus the indices cost as much
    // as the values themselves (mostly distinct values, such as ids and timestamps). Hashing
    // them would only burn CPU.
    if (dict_mode_) {
      bool too_big = static_cast<int64_t>(dict_.plain_bytes()) > options_.dictionary_max_bytes;
      bool no_gain = false;
      if (used_dict_pages_ == 1 && chunk_dict_values_ > 0) {
        int64_t index_bytes = chunk_dict_values_ * BitWidth(dict_.size()) / 8;
        no_gain =
            static_cast<int64_t>(dict_.plain_bytes()) + index_bytes >= chunk_dict_plain_bytes_;
      }
      if (too_big || no_gain) {
        dict_mode_ = false;
        fell_back_ = true;
      }
    }

    PendingPage page;
    page.header = std::make_shared<Buffer>();
    page.body = body;
    page.encoding = encoding;
    auto header = page.header;
    Compression codec = options_.compression;
    int level = options_.zstd_level;
    auto recycler = recycler_;
    auto pending = pending_compressions_;
    auto compress = [h, header, body, codec, level, recycler, pending]() mutable -> Status {
      Buffer compressed;
      Status st = CompressExact(codec, level, *body, &compressed);
      pending->fetch_sub(1);
      NILUS_RETURN_NOT_OK(st);
      h.compressed_page_size = static_cast<int32_t>(compressed.size());
      SerializePageHeader(h, header.get());
      recycler->Put(std::move(*body));
      *body = std::move(compressed);
      return Status::OK();
    };
    // Compress on the pool, unless this column already has enough pages waiting there: then
    // compress here, which bounds the raw pages held and lets other columns' work through.
    if (pending->fetch_add(1) < kMaxPendingPages) {
      page.done = pool_->Submit(std::move(compress));
    } else {
      std::promise<Status> ready;
      ready.set_value(compress());
      page.done = ready.get_future();
    }
    // The header is not serialized yet; its size is estimated from the uncompressed header.
    Buffer probe;
    h.compressed_page_size = h.uncompressed_page_size;
    SerializePageHeader(h, &probe);
    page.uncompressed_total = static_cast<int64_t>(probe.size()) + h.uncompressed_page_size;
    pages_.push_back(std::move(page));
  }

  static void AppendLevels(const std::vector<uint16_t>& levels, int16_t max_level, Buffer* out) {
    size_t len_pos = out->size();
    out->Resize(len_pos + 4);
    EncodeRleBitPacked(levels.data(), static_cast<int64_t>(levels.size()), BitWidth(max_level),
                       out);
    uint32_t len = static_cast<uint32_t>(out->size() - len_pos - 4);
    std::memcpy(out->data() + len_pos, &len, 4);
  }

  // --- Statistics ---

  void FoldPageMinMax() {
    if (!page_has_minmax_) return;
    Owned mn(page_min_), mx(page_max_);
    if (!chunk_has_minmax_ || Access::Less(mn, chunk_min_)) chunk_min_ = std::move(mn);
    if (!chunk_has_minmax_ || Access::Less(chunk_max_, mx)) chunk_max_ = std::move(mx);
    chunk_has_minmax_ = true;
    page_has_minmax_ = false;
  }

  // Parquet asks that a zero minimum be written as -0.0 and a zero maximum as +0.0.
  static Owned MinForStats(const Owned& v) {
    if constexpr (std::is_floating_point_v<T>) {
      if (v == 0) return -static_cast<T>(0);
    }
    return v;
  }
  static Owned MaxForStats(const Owned& v) {
    if constexpr (std::is_floating_point_v<T>) {
      if (v == 0) return static_cast<T>(0);
    }
    return v;
  }

  Statistics ChunkStatistics() const {
    Statistics s;
    s.null_count = chunk_nulls_;
    if constexpr (std::is_floating_point_v<T>) s.nan_count = chunk_nans_;
    if (chunk_has_minmax_) {
      std::string mn = Access::StatBytes(MinForStats(chunk_min_), width_);
      std::string mx = Access::StatBytes(MaxForStats(chunk_max_), width_);
      if (static_cast<int64_t>(mn.size()) <= options_.max_statistics_bytes &&
          static_cast<int64_t>(mx.size()) <= options_.max_statistics_bytes) {
        s.min_value = std::move(mn);
        s.max_value = std::move(mx);
        s.is_min_value_exact = true;
        s.is_max_value_exact = true;
      }
    }
    return s;
  }

  const LeafColumn& leaf_;
  const ParquetWriterOptions& options_;
  ThreadPool* pool_;
  std::shared_ptr<BufferRecycler> recycler_ = std::make_shared<BufferRecycler>();
  static constexpr int kMaxPendingPages = 4;
  std::shared_ptr<std::atomic<int>> pending_compressions_ = std::make_shared<std::atomic<int>>(0);
  int width_ = 0;
  __int128 max_unscaled_ = 0;
  bool validate_utf8_ = false;
  Status status_;

  // Current page.
  std::vector<uint16_t> page_def_;
  std::vector<uint16_t> page_rep_;
  std::vector<uint32_t> page_indices_;
  Buffer page_values_;
  int64_t page_levels_ = 0;
  int64_t page_rows_ = 0;
  int64_t page_nulls_ = 0;
  bool page_full_ = false;
  bool page_has_minmax_ = false;
  T page_min_{};
  T page_max_{};

  // Current chunk.
  Dictionary<T> dict_;
  bool dict_mode_ = false;
  bool fell_back_ = false;
  int used_dict_pages_ = 0;
  int64_t chunk_dict_values_ = 0;       // values dictionary-encoded in this chunk
  int64_t chunk_dict_plain_bytes_ = 0;  // and their PLAIN size
  std::vector<PendingPage> pages_;
  int64_t chunk_levels_ = 0;
  int64_t chunk_nulls_ = 0;
  int64_t chunk_nans_ = 0;
  bool chunk_has_minmax_ = false;
  Owned chunk_min_{};
  Owned chunk_max_{};

  // Whole file.
  int64_t file_compressed_ = 0;
  int64_t file_values_ = 0;
  int64_t file_nulls_ = 0;
  int64_t file_nans_ = 0;
  bool file_has_minmax_ = false;
  Owned file_min_{};
  Owned file_max_{};
};

}  // namespace

std::unique_ptr<ColumnChunkWriter> ColumnChunkWriter::Make(const LeafColumn& leaf,
                                                           const ParquetWriterOptions& options,
                                                           ThreadPool* pool) {
  switch (leaf.type->id()) {
    case TypeId::kBoolean:
      return std::make_unique<TypedColumnWriter<BoolAccess>>(leaf, options, pool);
    case TypeId::kInt:
    case TypeId::kDate:
      return std::make_unique<TypedColumnWriter<NumericAccess<int32_t, int32_t>>>(leaf, options,
                                                                                  pool);
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return std::make_unique<TypedColumnWriter<NumericAccess<int64_t, int64_t>>>(leaf, options,
                                                                                  pool);
    case TypeId::kFloat:
      return std::make_unique<TypedColumnWriter<NumericAccess<float, float>>>(leaf, options, pool);
    case TypeId::kDouble:
      return std::make_unique<TypedColumnWriter<NumericAccess<double, double>>>(leaf, options,
                                                                                pool);
    case TypeId::kDecimal:
      if (leaf.physical == PhysicalType::kInt32) {
        return std::make_unique<TypedColumnWriter<NumericAccess<__int128, int32_t>>>(leaf, options,
                                                                                     pool);
      }
      if (leaf.physical == PhysicalType::kInt64) {
        return std::make_unique<TypedColumnWriter<NumericAccess<__int128, int64_t>>>(leaf, options,
                                                                                     pool);
      }
      return std::make_unique<TypedColumnWriter<Decimal128Access>>(leaf, options, pool);
    case TypeId::kString:
    case TypeId::kBinary:
      return std::make_unique<TypedColumnWriter<BytesAccess>>(leaf, options, pool);
    case TypeId::kUuid:
    case TypeId::kFixed:
      return std::make_unique<TypedColumnWriter<FixedAccess>>(leaf, options, pool);
    default:
      return nullptr;
  }
}

}  // namespace nilus::parquet
