#include "iceberg/murmur3.h"

namespace nilus::iceberg {
namespace {

constexpr uint32_t kC1 = 0xcc9e2d51u;
constexpr uint32_t kC2 = 0x1b873593u;

inline uint32_t Rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

inline uint32_t MixK(uint32_t k) {
  k *= kC1;
  k = Rotl32(k, 15);
  return k * kC2;
}

inline uint32_t MixH(uint32_t h, uint32_t k) {
  h ^= MixK(k);
  h = Rotl32(h, 13);
  return h * 5 + 0xe6546b64u;
}

inline uint32_t Finalize(uint32_t h, uint32_t length) {
  h ^= length;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

}  // namespace

int32_t Murmur3Hash32(std::string_view bytes, uint32_t seed) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  const size_t blocks = n / 4;
  uint32_t h = seed;
  // Blocks are read as little-endian words whatever the host byte order.
  for (size_t i = 0; i < blocks; ++i) {
    const uint8_t* b = p + i * 4;
    const uint32_t k = static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
                       (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
    h = MixH(h, k);
  }
  const uint8_t* tail = p + blocks * 4;
  uint32_t k = 0;
  switch (n & 3) {
    case 3:
      k ^= static_cast<uint32_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      k ^= static_cast<uint32_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      k ^= tail[0];
      h ^= MixK(k);
      break;
    default:
      break;
  }
  return static_cast<int32_t>(Finalize(h, static_cast<uint32_t>(n)));
}

int32_t Murmur3HashLong(int64_t v) {
  char buf[8];
  const auto u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>((u >> (8 * i)) & 0xff);
  return Murmur3Hash32(std::string_view(buf, 8));
}

}  // namespace nilus::iceberg
