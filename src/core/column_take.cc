#include "core/column_take.h"

#include <fmt/format.h>

#include <cstring>

namespace nilus {

namespace {

// Copies W-byte values; a constant W lets the compiler turn memcpy into one load and store.
template <int W>
void GatherFixed(const uint8_t* src, const int64_t* rows, int64_t n, uint8_t* out) {
  for (int64_t k = 0; k < n; ++k) std::memcpy(out + k * W, src + rows[k] * W, W);
}

void GatherFixedAnyWidth(const uint8_t* src, const int64_t* rows, int64_t n, int w, uint8_t* out) {
  switch (w) {
    case 1:
      for (int64_t k = 0; k < n; ++k) out[k] = src[rows[k]];
      return;
    case 4:
      return GatherFixed<4>(src, rows, n, out);
    case 8:
      return GatherFixed<8>(src, rows, n, out);
    case 16:
      return GatherFixed<16>(src, rows, n, out);
    default:
      for (int64_t k = 0; k < n; ++k) {
        std::memcpy(out + k * w, src + rows[k] * w, static_cast<size_t>(w));
      }
  }
}

// The gather itself; rows are known to be in range and the types equal.
void TakeUnchecked(const Column& src, const int64_t* rows, int64_t n, Column* dst) {
  const int64_t old_length = dst->length();
  const TypeId id = src.type_ref().id();
  switch (id) {
    case TypeId::kString:
    case TypeId::kBinary: {
      const int64_t* off = src.offsets();
      int64_t bytes = 0;
      for (int64_t k = 0; k < n; ++k) bytes += off[rows[k] + 1] - off[rows[k]];
      Buffer* values = dst->mutable_values();
      std::vector<int64_t>* out_off = dst->mutable_offsets();
      size_t pos = values->size();
      values->Resize(pos + static_cast<size_t>(bytes));
      out_off->reserve(out_off->size() + static_cast<size_t>(n));
      const uint8_t* in = src.value_buffer().data();
      uint8_t* out = values->data();
      for (int64_t k = 0; k < n; ++k) {
        int64_t len = off[rows[k] + 1] - off[rows[k]];
        if (len > 0) std::memcpy(out + pos, in + off[rows[k]], static_cast<size_t>(len));
        pos += static_cast<size_t>(len);
        out_off->push_back(static_cast<int64_t>(pos));
      }
      break;
    }
    case TypeId::kList:
    case TypeId::kMap: {
      // The selected entries' element ranges, concatenated, become the child selection.
      const int64_t* off = src.offsets();
      std::vector<int64_t>* out_off = dst->mutable_offsets();
      out_off->reserve(out_off->size() + static_cast<size_t>(n));
      std::vector<int64_t> child_rows;
      int64_t end = dst->child(0).length();
      for (int64_t k = 0; k < n; ++k) {
        for (int64_t e = off[rows[k]]; e < off[rows[k] + 1]; ++e) child_rows.push_back(e);
        end += off[rows[k] + 1] - off[rows[k]];
        out_off->push_back(end);
      }
      for (int c = 0; c < src.num_children(); ++c) {
        TakeUnchecked(src.child(c), child_rows.data(), static_cast<int64_t>(child_rows.size()),
                      dst->mutable_child(c));
      }
      break;
    }
    case TypeId::kStruct:
      for (int c = 0; c < src.num_children(); ++c) {
        TakeUnchecked(src.child(c), rows, n, dst->mutable_child(c));
      }
      break;
    default: {
      const int w = FixedWidthOf(src.type_ref());
      Buffer* values = dst->mutable_values();
      size_t base = values->size();
      values->Resize(base + static_cast<size_t>(n) * w);
      if (n > 0) {
        GatherFixedAnyWidth(src.value_buffer().data(), rows, n, w, values->data() + base);
      }
      break;
    }
  }
  dst->SetLengthAllValid(old_length + n);
  if (src.null_count() > 0) {
    for (int64_t k = 0; k < n; ++k) {
      if (src.IsNull(rows[k])) dst->SetNull(old_length + k);
    }
  }
}

Status CheckRows(const Column& src, const int64_t* rows, int64_t n) {
  const int64_t length = src.length();
  for (int64_t k = 0; k < n; ++k) {
    if (rows[k] < 0 || rows[k] >= length) {
      return Status::Invalid(
          fmt::format("take: row {} (selection index {}) is outside a {} "
                      "column of {} entries",
                      rows[k], k, src.type_ref().ToString(), length));
    }
  }
  return Status::OK();
}

}  // namespace

Status TakeInto(const Column& src, const int64_t* rows, int64_t n, Column* dst) {
  if (dst == nullptr || !dst->type_ref().Equals(src.type_ref())) {
    return Status::Invalid(fmt::format("take: destination type {} differs from the source's {}",
                                       dst ? dst->type_ref().ToString() : "(null)",
                                       src.type_ref().ToString()));
  }
  NILUS_RETURN_NOT_OK(CheckRows(src, rows, n));
  TakeUnchecked(src, rows, n, dst);
  return Status::OK();
}

Result<std::unique_ptr<ColumnBatch>> TakeRows(const ColumnBatch& batch,
                                              const std::vector<int64_t>& rows) {
  auto out = std::make_unique<ColumnBatch>(batch.schema());
  const int64_t n = static_cast<int64_t>(rows.size());
  // Check everything first so that an error leaves no half-built batch behind.
  for (int i = 0; i < batch.num_columns(); ++i) {
    const Column& src = batch.column(i);
    if (!src.type_ref().Equals(out->column(i).type_ref())) {
      return Status::Invalid(fmt::format(
          "take: column '{}' is {}, the schema says {}", batch.schema()->fields()[i].name,
          src.type_ref().ToString(), out->column(i).type_ref().ToString()));
    }
    NILUS_RETURN_NOT_OK_CTX(CheckRows(src, rows.data(), n),
                            fmt::format("column '{}'", batch.schema()->fields()[i].name));
  }
  for (int i = 0; i < batch.num_columns(); ++i) {
    TakeUnchecked(batch.column(i), rows.data(), n, out->mutable_column(i));
  }
  return out;
}

}  // namespace nilus
