#include "formats/parquet/rle_decoder.h"

#include <algorithm>

namespace nilus::parquet {

bool RleBitPackedDecoder::NextRun() {
  uint64_t header = 0;
  for (int shift = 0;; shift += 7) {
    if (data_ >= end_ || shift > 63) return false;
    uint8_t b = *data_++;
    header |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  if (header & 1) {
    uint64_t groups = header >> 1;
    if (groups > (uint64_t{1} << 40)) return false;
    uint64_t bytes = groups * static_cast<uint64_t>(bit_width_);
    uint64_t avail = static_cast<uint64_t>(end_ - data_);
    // The last run may be cut short by writers that do not pad it; keep what is there.
    uint64_t used = std::min(bytes, avail);
    packed_left_ = static_cast<int64_t>(
        bit_width_ == 0 ? groups * 8 : std::min(groups * 8, used * 8 / bit_width_));
    packed_ = data_;
    packed_bit_ = 0;
    data_ += used;
    rle_left_ = 0;
  } else {
    int nbytes = (bit_width_ + 7) / 8;
    if (end_ - data_ < nbytes) return false;
    uint32_t v = 0;
    for (int i = 0; i < nbytes; ++i) v |= static_cast<uint32_t>(data_[i]) << (8 * i);
    data_ += nbytes;
    if (bit_width_ < 32 && (v >> bit_width_) != 0) return false;
    rle_value_ = v;
    rle_left_ = static_cast<int64_t>(std::min<uint64_t>(header >> 1, uint64_t{1} << 40));
    packed_left_ = 0;
  }
  return true;
}

template <typename T>
bool RleBitPackedDecoder::GetBatchImpl(T* out, int64_t n) {
  const uint64_t mask = bit_width_ == 0 ? 0 : (uint64_t{1} << bit_width_) - 1;
  while (n > 0) {
    if (rle_left_ > 0) {
      int64_t k = std::min(rle_left_, n);
      std::fill(out, out + k, static_cast<T>(rle_value_));
      out += k;
      n -= k;
      rle_left_ -= k;
    } else if (packed_left_ > 0) {
      int64_t k = std::min(packed_left_, n);
      for (int64_t i = 0; i < k; ++i) {
        uint64_t byte = packed_bit_ >> 3;
        int shift = static_cast<int>(packed_bit_ & 7);
        // Gather up to 5 bytes (32 bits + 7 of shift) that exist in the run.
        uint64_t word = 0;
        int need = (shift + bit_width_ + 7) / 8;
        for (int b = 0; b < need; ++b) word |= static_cast<uint64_t>(packed_[byte + b]) << (8 * b);
        *out++ = static_cast<T>((word >> shift) & mask);
        packed_bit_ += static_cast<uint64_t>(bit_width_);
      }
      n -= k;
      packed_left_ -= k;
    } else if (!NextRun()) {
      return false;
    }
  }
  return true;
}

bool RleBitPackedDecoder::GetBatch(uint32_t* out, int64_t n) { return GetBatchImpl(out, n); }
bool RleBitPackedDecoder::GetBatch(uint16_t* out, int64_t n) { return GetBatchImpl(out, n); }

}  // namespace nilus::parquet
