// 32-bit MurmurHash3 (x86 variant), the hash behind Iceberg's bucket[N] partition transform
// (spec Appendix B). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace nilus::iceberg {

// MurmurHash3_x86_32 of `bytes` with the given seed (Iceberg always uses seed 0). Returned as a
// signed 32-bit value, the way Java (and so the spec's test values) prints it.
int32_t Murmur3Hash32(std::string_view bytes, uint32_t seed = 0);

// The hash of v's 8-byte little-endian representation: Iceberg's hashLong. int and date values
// are hashed through this too, so that promoting int to long keeps bucket assignments.
int32_t Murmur3HashLong(int64_t v);

}  // namespace nilus::iceberg
