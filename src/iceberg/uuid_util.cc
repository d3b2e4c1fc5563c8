#include "iceberg/uuid_util.h"

#include <fmt/format.h>

#include <mutex>
#include <random>

namespace nilus::iceberg {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

UuidBytes NewUuidV4Bytes() {
  // One device per process; random_device is not guaranteed thread-safe, hence the lock.
  static std::mutex mu;
  static std::random_device rd;
  UuidBytes b;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (size_t i = 0; i < b.size(); i += 4) {
      uint32_t r = rd();
      for (size_t j = 0; j < 4; ++j) b[i + j] = static_cast<uint8_t>(r >> (8 * j));
    }
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);
  return b;
}

std::string NewUuidV4() { return UuidToString(NewUuidV4Bytes()); }

std::string UuidToString(const UuidBytes& b) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xF]);
  }
  return out;
}

Result<UuidBytes> ParseUuid(std::string_view text) {
  UuidBytes b{};
  if (text.size() != 36) return Status::Invalid(fmt::format("'{}' is not a UUID", text));
  size_t pos = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      if (text[pos] != '-') return Status::Invalid(fmt::format("'{}' is not a UUID", text));
      ++pos;
    }
    int hi = HexValue(text[pos]), lo = HexValue(text[pos + 1]);
    if (hi < 0 || lo < 0) return Status::Invalid(fmt::format("'{}' is not a UUID", text));
    b[i] = static_cast<uint8_t>(hi << 4 | lo);
    pos += 2;
  }
  return b;
}

bool IsValidUuid(std::string_view text) { return ParseUuid(text).ok(); }

}  // namespace nilus::iceberg
