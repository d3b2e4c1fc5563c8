// Parsing of the human-friendly durations and byte sizes used in pipeline files.
//
// Durations: a sequence of <number><unit> parts with units ms, s, m, h, d ("500ms", "5s",
// "1m30s", "1.5h"), or a bare "0". Sizes: a number with an optional unit: B, kB/KB, MB, GB, TB
// (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), e.g. "128MiB", "512MB", "1.5GiB",
// "4096". Whitespace between the number and the unit is allowed. Pure functions, thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace nilus::pipeline {

// Errors: InvalidArgument with a message that says what is accepted; the result must not be
// negative and must fit in int64 milliseconds. Fractions below a millisecond are rounded down.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

// Errors: InvalidArgument for a malformed size, a negative one or one past 2^63 bytes.
// Fractions of a byte are rounded down.
Result<int64_t> ParseByteSize(std::string_view text);

// The shortest exact spelling: "5s", "1m30s", "500ms", "0s".
std::string FormatDuration(std::chrono::milliseconds d);

// The largest exact binary unit: "128MiB", "1536KiB", "1000B".
std::string FormatByteSize(int64_t bytes);

}  // namespace nilus::pipeline
