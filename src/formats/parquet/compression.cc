#include "formats/parquet/compression.h"

#include <fmt/format.h>
#include <snappy.h>
#include <zstd.h>

namespace nilus::parquet {

CompressionCodec ToCodec(Compression c) {
  switch (c) {
    case Compression::kZstd:
      return CompressionCodec::kZstd;
    case Compression::kSnappy:
      return CompressionCodec::kSnappy;
    case Compression::kNone:
      return CompressionCodec::kUncompressed;
  }
  return CompressionCodec::kUncompressed;
}

namespace {
struct ZstdContext {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  ~ZstdContext() { ZSTD_freeCCtx(ctx); }
};
}  // namespace

Status Compress(Compression codec, int zstd_level, const uint8_t* data, size_t size, Buffer* out) {
  out->Clear();
  switch (codec) {
    case Compression::kNone:
      out->Append(data, size);
      return Status::OK();
    case Compression::kSnappy: {
      out->Resize(snappy::MaxCompressedLength(size));
      size_t n = 0;
      snappy::RawCompress(reinterpret_cast<const char*>(data), size,
                          reinterpret_cast<char*>(out->data()), &n);
      out->Resize(n);
      return Status::OK();
    }
    case Compression::kZstd: {
      thread_local ZstdContext zstd;
      out->Resize(ZSTD_compressBound(size));
      size_t n = ZSTD_compressCCtx(zstd.ctx, out->data(), out->size(), data, size, zstd_level);
      if (ZSTD_isError(n)) {
        return Status::Internal(fmt::format("zstd compression failed: {}", ZSTD_getErrorName(n)));
      }
      out->Resize(n);
      return Status::OK();
    }
  }
  return Status::Invalid("unknown compression codec");
}

}  // namespace nilus::parquet
