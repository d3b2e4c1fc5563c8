#include "core/lsn.h"

#include <fmt/format.h>

#include <charconv>

namespace nilus {

std::string LsnToString(Lsn lsn) {
  return fmt::format("{:X}/{:X}", static_cast<uint32_t>(lsn >> 32), static_cast<uint32_t>(lsn));
}

Result<Lsn> ParseLsn(std::string_view text) {
  auto bad = [&] { return Status::Invalid(fmt::format("'{}' is not an LSN (X/Y in hex)", text)); };
  size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) return bad();
  uint32_t hi = 0, lo = 0;
  auto parse = [](std::string_view part, uint32_t* out) {
    if (part.size() > 8) return false;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), *out, 16);
    return ec == std::errc() && p == part.data() + part.size();
  };
  if (!parse(text.substr(0, slash), &hi) || !parse(text.substr(slash + 1), &lo)) return bad();
  return (static_cast<Lsn>(hi) << 32) | lo;
}

}  // namespace nilus
