// The RLE / bit-packing hybrid encoding (Parquet "Encodings.md"), used for definition and
// repetition levels and for dictionary indices.
#pragma once

#include <cstdint>

#include "core/buffer.h"

namespace nilus::parquet {

// Bits needed to represent max_value (0 for 0).
inline int BitWidth(uint64_t max_value) {
  return max_value == 0 ? 0 : 64 - __builtin_clzll(max_value);
}

// Appends the hybrid encoding of values[0..n) to `out`, without a length prefix. Runs of 8 or
// more equal values become RLE runs; the rest is bit-packed in groups of 8 (the last group
// is padded with zeros, which readers ignore since the page header carries the value count).
void EncodeRleBitPacked(const uint16_t* values, int64_t n, int bit_width, Buffer* out);
void EncodeRleBitPacked(const uint32_t* values, int64_t n, int bit_width, Buffer* out);

// Appends one RLE run: `count` copies of `value`.
void AppendRleRun(uint32_t value, int64_t count, int bit_width, Buffer* out);

}  // namespace nilus::parquet
