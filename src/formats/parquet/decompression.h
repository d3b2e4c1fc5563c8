// Page decompression for the reader: uncompressed, snappy and zstd (the codecs the writer
// uses and DuckDB's defaults).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"
#include "formats/parquet/parquet_metadata.h"

namespace nilus::parquet {

// Decompresses in[0..in_size) into exactly out[0..out_size). Malformed input, or output of
// any other size, is a Corruption error; other codecs are NotImplemented. Thread-safe.
Status Decompress(CompressionCodec codec, const uint8_t* in, size_t in_size, uint8_t* out,
                  size_t out_size);

}  // namespace nilus::parquet
