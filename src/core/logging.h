// Logging through spdlog. One process-wide logger named "nilus", writing to stderr.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace nilus {

// The process-wide logger. Thread-safe.
spdlog::logger& Log();

// "trace", "debug", "info", "warn", "error" or "off". Unknown names fall back to "info".
void SetLogLevel(std::string_view level);

}  // namespace nilus
