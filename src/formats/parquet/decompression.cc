#include "formats/parquet/decompression.h"

#include <fmt/format.h>
#include <snappy.h>
#include <zstd.h>

#include <cstring>

namespace nilus::parquet {

namespace {

struct ZstdDContext {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  ~ZstdDContext() { ZSTD_freeDCtx(ctx); }
};

Status SizeMismatch(CompressionCodec codec, size_t got, size_t want) {
  return Status::Corruption(fmt::format("{} page decompressed to {} bytes, the header says {}",
                                        CodecName(codec), got, want));
}

}  // namespace

Status Decompress(CompressionCodec codec, const uint8_t* in, size_t in_size, uint8_t* out,
                  size_t out_size) {
  switch (codec) {
    case CompressionCodec::kUncompressed:
      if (in_size != out_size) return SizeMismatch(codec, in_size, out_size);
      if (in_size) std::memcpy(out, in, in_size);
      return Status::OK();
    case CompressionCodec::kSnappy: {
      size_t n = 0;
      const char* src = reinterpret_cast<const char*>(in);
      if (!snappy::GetUncompressedLength(src, in_size, &n)) {
        return Status::Corruption("snappy page has a malformed length");
      }
      if (n != out_size) return SizeMismatch(codec, n, out_size);
      if (!snappy::RawUncompress(src, in_size, reinterpret_cast<char*>(out))) {
        return Status::Corruption("snappy page does not decompress");
      }
      return Status::OK();
    }
    case CompressionCodec::kZstd: {
      thread_local ZstdDContext zstd;
      size_t n = ZSTD_decompressDCtx(zstd.ctx, out, out_size, in, in_size);
      if (ZSTD_isError(n)) {
        return Status::Corruption(
            fmt::format("zstd page does not decompress: {}", ZSTD_getErrorName(n)));
      }
      if (n != out_size) return SizeMismatch(codec, n, out_size);
      return Status::OK();
    }
    default:
      return Status::NotImplemented(
          fmt::format("compression codec {} is not supported", CodecName(codec)));
  }
}

}  // namespace nilus::parquet
