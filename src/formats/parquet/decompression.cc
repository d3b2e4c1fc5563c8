#include "formats/parquet/decompression.h"

#include <fmt/format.h>
#include <snappy.h>
#include <zlib.h>
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
    case CompressionCodec::kGzip: {
      // Parquet's GZIP pages hold a gzip stream; window bits 15 + 32 also accept zlib headers.
      z_stream zs{};
      if (inflateInit2(&zs, 15 + 32) != Z_OK) return Status::Internal("zlib inflateInit failed");
      zs.next_in = const_cast<Bytef*>(in);
      zs.avail_in = static_cast<uInt>(in_size);
      zs.next_out = out;
      zs.avail_out = static_cast<uInt>(out_size);
      int rc = inflate(&zs, Z_FINISH);
      size_t n = out_size - zs.avail_out;
      inflateEnd(&zs);
      if (rc != Z_STREAM_END) {
        if (rc == Z_BUF_ERROR && zs.avail_out == 0)
          return SizeMismatch(codec, out_size + 1, out_size);
        return Status::Corruption(fmt::format("gzip page does not decompress (zlib error {})", rc));
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
