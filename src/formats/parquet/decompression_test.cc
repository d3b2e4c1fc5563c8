#include "formats/parquet/decompression.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace nilus::parquet {
namespace {

std::string Gzip(const std::string& raw) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, raw.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - zs.avail_out);
  deflateEnd(&zs);
  return out;
}

TEST(DecompressionTest, GzipPagesRoundTrip) {
  std::string raw;
  for (int i = 0; i < 5000; ++i) raw += "row " + std::to_string(i % 37) + ";";
  std::string gz = Gzip(raw);
  std::string out(raw.size(), '\0');
  ASSERT_TRUE(Decompress(CompressionCodec::kGzip, reinterpret_cast<const uint8_t*>(gz.data()),
                         gz.size(), reinterpret_cast<uint8_t*>(out.data()), out.size())
                  .ok());
  EXPECT_EQ(out, raw);
}

TEST(DecompressionTest, CorruptOrMisSizedGzipIsCorruption) {
  std::string raw(1000, 'x');
  std::string gz = Gzip(raw);
  std::string out(raw.size() - 1, '\0');  // the header claims one byte less
  Status st = Decompress(CompressionCodec::kGzip, reinterpret_cast<const uint8_t*>(gz.data()),
                         gz.size(), reinterpret_cast<uint8_t*>(out.data()), out.size());
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
  gz[gz.size() / 2] ^= 0x5a;
  out.resize(raw.size());
  st = Decompress(CompressionCodec::kGzip, reinterpret_cast<const uint8_t*>(gz.data()), gz.size(),
                  reinterpret_cast<uint8_t*>(out.data()), out.size());
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
}

}  // namespace
}  // namespace nilus::parquet
