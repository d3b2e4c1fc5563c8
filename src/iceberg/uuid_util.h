// Random (version 4) UUIDs for table UUIDs and file names, and their textual form.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace nilus::iceberg {

using UuidBytes = std::array<uint8_t, 16>;

// 16 random bytes with the version (4) and variant (10xx) bits set, from std::random_device
// (the kernel's random source on Linux). Thread-safe.
UuidBytes NewUuidV4Bytes();
// Lower-case canonical text: "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
std::string NewUuidV4();

std::string UuidToString(const UuidBytes& bytes);
// Accepts the canonical 36-character form, either case. InvalidArgument otherwise.
Result<UuidBytes> ParseUuid(std::string_view text);
bool IsValidUuid(std::string_view text);

}  // namespace nilus::iceberg
