#include "normalize/nilus_id.h"

#include <cstring>

namespace nilus::normalize {

namespace {

uint64_t Mix(uint64_t h) {
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  h ^= h >> 32;
  return h;
}

}  // namespace

uint64_t HashParts(std::initializer_list<std::string_view> parts) {
  uint64_t h = 0x243f6a8885a308d3ULL;
  for (std::string_view p : parts) {
    // The length goes first so that ("ab", "c") and ("a", "bc") differ.
    h = Mix(h ^ (p.size() * 0x9e3779b97f4a7c15ULL));
    size_t i = 0;
    for (; i + 8 <= p.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, p.data() + i, 8);
      h = Mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
    }
    if (i < p.size()) {
      uint64_t w = 0;
      std::memcpy(&w, p.data() + i, p.size() - i);
      h = Mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
    }
  }
  // SplitMix64's finalizer spreads the last inputs over all bits.
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

void HashToHex(uint64_t h, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[h & 15];
    h >>= 4;
  }
}

std::string HashToHex(uint64_t h) {
  std::string s(16, '0');
  HashToHex(h, s.data());
  return s;
}

namespace {
uint64_t Finish(uint64_t h) {
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}
}  // namespace

uint64_t ChildHash(uint64_t parent, uint64_t table_hash, int64_t index) {
  uint64_t h = 0x13198a2e03707344ULL;
  h = Mix(h ^ parent) + 0x9e3779b97f4a7c15ULL;
  h = Mix(h ^ table_hash) + 0x9e3779b97f4a7c15ULL;
  h = Mix(h ^ static_cast<uint64_t>(index)) + 0x9e3779b97f4a7c15ULL;
  return Finish(h);
}

bool ParseHashHex(std::string_view hex, uint64_t* out) {
  if (hex.size() != 16) return false;
  uint64_t v = 0;
  for (char c : hex) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

std::string ChildRowId(std::string_view parent_id, std::string_view table, int64_t index) {
  uint64_t parent;
  if (!ParseHashHex(parent_id, &parent)) return {};
  return HashToHex(ChildHash(parent, HashParts({table}), index));
}

}  // namespace nilus::normalize
