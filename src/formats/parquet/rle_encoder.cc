#include "formats/parquet/rle_encoder.h"

namespace nilus::parquet {

namespace {

void PutVarint(uint64_t v, Buffer* out) {
  while (v >= 0x80) {
    out->PushByte(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out->PushByte(static_cast<uint8_t>(v));
}

// Bit-packs values[0..n) (n a multiple of 8, or the tail padded with zeros) LSB first.
template <typename T>
void BitPack(const T* values, int64_t n, int64_t padded, int bit_width, Buffer* out) {
  size_t start = out->size();
  size_t bytes = static_cast<size_t>(padded * bit_width / 8);
  out->ResizeZeroed(start + bytes);
  uint8_t* dst = out->data() + start;
  uint64_t acc = 0;
  int acc_bits = 0;
  for (int64_t i = 0; i < n; ++i) {
    acc |= static_cast<uint64_t>(values[i]) << acc_bits;
    acc_bits += bit_width;
    while (acc_bits >= 8) {
      *dst++ = static_cast<uint8_t>(acc);
      acc >>= 8;
      acc_bits -= 8;
    }
  }
  if (acc_bits > 0) *dst = static_cast<uint8_t>(acc);
}

template <typename T>
void EmitLiterals(const T* values, int64_t n, int bit_width, Buffer* out) {
  if (n == 0) return;
  int64_t groups = (n + 7) / 8;
  PutVarint(static_cast<uint64_t>(groups) << 1 | 1, out);
  BitPack(values, n, groups * 8, bit_width, out);
}

template <typename T>
void Encode(const T* values, int64_t n, int bit_width, Buffer* out) {
  if (n == 0) return;
  if (bit_width == 0) {
    AppendRleRun(0, n, 0, out);
    return;
  }
  int64_t literal_start = 0;  // values[literal_start..i) are waiting to be bit-packed
  int64_t i = 0;
  while (i < n) {
    T v = values[i];
    int64_t j = i + 1;
    while (j < n && values[j] == v) ++j;
    int64_t run = j - i;
    if (run >= 8) {
      // Literal groups hold multiples of 8 values: lend the head of this run to the pending
      // literals so they fill their last group exactly.
      int64_t pending = i - literal_start;
      int64_t pad = pending % 8 == 0 ? 0 : 8 - pending % 8;
      if (run - pad >= 8) {
        EmitLiterals(values + literal_start, pending + pad, bit_width, out);
        AppendRleRun(v, run - pad, bit_width, out);
        literal_start = j;
      }
    }
    i = j;
  }
  EmitLiterals(values + literal_start, n - literal_start, bit_width, out);
}

}  // namespace

void AppendRleRun(uint32_t value, int64_t count, int bit_width, Buffer* out) {
  PutVarint(static_cast<uint64_t>(count) << 1, out);
  int bytes = (bit_width + 7) / 8;
  for (int b = 0; b < bytes; ++b) out->PushByte(static_cast<uint8_t>(value >> (8 * b)));
}

void EncodeRleBitPacked(const uint16_t* values, int64_t n, int bit_width, Buffer* out) {
  Encode(values, n, bit_width, out);
}
void EncodeRleBitPacked(const uint32_t* values, int64_t n, int bit_width, Buffer* out) {
  Encode(values, n, bit_width, out);
}

}  // namespace nilus::parquet
