// A hash table that assigns dense indices to distinct values, in order of first appearance:
// the dictionary of a dictionary-encoded column chunk. Open addressing with linear probing;
// values are stored once in `values()`. Internal to the Parquet writer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "core/arena.h"

namespace nilus::parquet {

inline uint64_t HashBytes(const void* data, size_t n) {
  // FNV-1a over 8-byte words, then a final mix: fast and good enough for dictionary keys.
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t h = 0xcbf29ce484222325ULL ^ n;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0x100000001b3ULL;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  if (n > 0) std::memcpy(&tail, p, n);  // an empty view may have a null data pointer
  h = (h ^ tail) * 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> 32);
}

inline uint64_t HashInt(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

template <typename T>
struct DictKeyTraits {
  // Fixed-width values are compared by their bits, so NaN payloads and -0.0 stay distinct.
  static uint64_t Hash(const T& v) {
    if constexpr (sizeof(T) <= 8) {
      uint64_t bits = 0;
      std::memcpy(&bits, &v, sizeof(T));
      return HashInt(bits);
    } else {
      return HashBytes(&v, sizeof(T));
    }
  }
  static bool Equal(const T& a, const T& b) { return std::memcmp(&a, &b, sizeof(T)) == 0; }
  static T Own(const T& v, Arena*) { return v; }
  static size_t PlainSize(const T&) { return sizeof(T); }
};

template <>
struct DictKeyTraits<std::string_view> {
  static uint64_t Hash(std::string_view v) { return HashBytes(v.data(), v.size()); }
  static bool Equal(std::string_view a, std::string_view b) { return a == b; }
  static std::string_view Own(std::string_view v, Arena* arena) { return arena->Copy(v); }
  static size_t PlainSize(std::string_view v) { return v.size() + 4; }
};

template <typename T>
class Dictionary {
 public:
  using Traits = DictKeyTraits<T>;

  Dictionary() { Rehash(1024); }

  // Returns the index of v, inserting it when new.
  uint32_t GetOrInsert(const T& v) {
    uint64_t h = Traits::Hash(v);
    size_t slot = h & mask_;
    for (;;) {
      int32_t idx = slots_[slot];
      if (idx < 0) break;
      if (hashes_[idx] == h && Traits::Equal(values_[idx], v)) return static_cast<uint32_t>(idx);
      slot = (slot + 1) & mask_;
    }
    uint32_t idx = static_cast<uint32_t>(values_.size());
    values_.push_back(Traits::Own(v, &arena_));
    hashes_.push_back(h);
    plain_bytes_ += Traits::PlainSize(v);
    slots_[slot] = static_cast<int32_t>(idx);
    if (values_.size() * 2 > slots_.size()) Rehash(slots_.size() * 2);
    return idx;
  }

  size_t size() const { return values_.size(); }
  // The size of the dictionary page, PLAIN-encoded and uncompressed.
  size_t plain_bytes() const { return plain_bytes_; }
  const std::vector<T>& values() const { return values_; }

  void Clear() {
    values_.clear();
    hashes_.clear();
    arena_.Clear();
    plain_bytes_ = 0;
    Rehash(1024);
  }

 private:
  void Rehash(size_t capacity) {
    slots_.assign(capacity, -1);
    mask_ = capacity - 1;
    for (size_t i = 0; i < values_.size(); ++i) {
      size_t slot = hashes_[i] & mask_;
      while (slots_[slot] >= 0) slot = (slot + 1) & mask_;
      slots_[slot] = static_cast<int32_t>(i);
    }
  }

  std::vector<int32_t> slots_;
  size_t mask_ = 0;
  std::vector<T> values_;
  std::vector<uint64_t> hashes_;
  Arena arena_;
  size_t plain_bytes_ = 0;
};

}  // namespace nilus::parquet
