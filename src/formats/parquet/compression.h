// Page compression: zstd (default), snappy, or none.
#pragma once

#include <cstdint>

#include "core/buffer.h"
#include "core/status.h"
#include "formats/parquet/parquet_metadata.h"
#include "formats/parquet/writer.h"

namespace nilus::parquet {

CompressionCodec ToCodec(Compression c);

// Replaces `out` with the compressed form of data[0..size). Thread-safe: each thread keeps
// its own zstd context.
Status Compress(Compression codec, int zstd_level, const uint8_t* data, size_t size, Buffer* out);

}  // namespace nilus::parquet
