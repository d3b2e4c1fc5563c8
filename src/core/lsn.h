// Lsn: a PostgreSQL write-ahead-log position (XLogRecPtr), printed as PostgreSQL does
// ("16/B374D848").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace nilus {

using Lsn = uint64_t;

inline constexpr Lsn kInvalidLsn = 0;

// "X/Y" with X and Y in upper-case hex, as pg_lsn prints.
std::string LsnToString(Lsn lsn);
// Parses "X/Y" (hex, either case). InvalidArgument naming the text otherwise.
Result<Lsn> ParseLsn(std::string_view text);

}  // namespace nilus
