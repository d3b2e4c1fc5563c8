// Decoder of the RLE / bit-packing hybrid encoding (Parquet "Encodings.md"), used for
// definition and repetition levels and for dictionary indices. Input is untrusted: running
// out of bytes is reported, never read past.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nilus::parquet {

class RleBitPackedDecoder {
 public:
  // `data` must outlive the decoder. bit_width is 0..32 (checked by the caller).
  RleBitPackedDecoder(const uint8_t* data, size_t size, int bit_width)
      : data_(data), end_(data + size), bit_width_(bit_width) {}

  // Decodes the next n values into out[0..n). False when the input ends (or is malformed)
  // before n values; `out` then holds garbage.
  bool GetBatch(uint32_t* out, int64_t n);
  bool GetBatch(uint16_t* out, int64_t n);

 private:
  template <typename T>
  bool GetBatchImpl(T* out, int64_t n);
  // Reads the next run header. False at the end of the input or on a malformed header.
  bool NextRun();

  const uint8_t* data_;
  const uint8_t* end_;
  int bit_width_;
  // Current run: an RLE run repeats rle_value_ rle_left_ times; a bit-packed run has
  // packed_left_ values starting at bit packed_bit_ of packed_.
  int64_t rle_left_ = 0;
  uint32_t rle_value_ = 0;
  int64_t packed_left_ = 0;
  const uint8_t* packed_ = nullptr;
  uint64_t packed_bit_ = 0;
};

}  // namespace nilus::parquet
