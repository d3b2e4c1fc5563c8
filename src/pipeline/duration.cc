#include "pipeline/duration.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

namespace nilus::pipeline {

namespace {

// Reads a non-negative decimal number ("12", "1.5", ".5") at text[*pos]. False when none.
bool ReadNumber(std::string_view text, size_t* pos, double* out) {
  size_t start = *pos;
  size_t i = start;
  bool digits = false;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    ++i;
    digits = true;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      digits = true;
    }
  }
  if (!digits) return false;
  // from_chars ignores the locale, unlike stod.
  std::from_chars(text.data() + start, text.data() + i, *out);
  *pos = i;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view input) {
  std::string_view text = Trim(input);
  auto bad = [&] {
    return Status::Invalid(fmt::format(
        "'{}' is not a duration (use a number with a unit: ms, s, m, h or d, e.g. 500ms, 5s, "
        "2m, 1h30m)",
        input));
  };
  if (text.empty()) return bad();
  if (text == "0") return std::chrono::milliseconds(0);
  double total_ms = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    double number = 0;
    if (!ReadNumber(text, &pos, &number)) return bad();
    size_t unit_start = pos;
    while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) ++pos;
    std::string_view unit = text.substr(unit_start, pos - unit_start);
    double scale = 0;
    if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60.0 * 1000;
    } else if (unit == "h") {
      scale = 3600.0 * 1000;
    } else if (unit == "d") {
      scale = 86400.0 * 1000;
    } else {
      return bad();
    }
    total_ms += number * scale;
  }
  if (!(total_ms < 9.2e18)) {
    return Status::Invalid(fmt::format("duration '{}' is too large", input));
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::floor(total_ms)));
}

Result<int64_t> ParseByteSize(std::string_view input) {
  std::string_view text = Trim(input);
  auto bad = [&] {
    return Status::Invalid(
        fmt::format("'{}' is not a size (use a number with an optional unit: B, KB, MB, GB, TB, "
                    "KiB, MiB, GiB or TiB, e.g. 128MiB)",
                    input));
  };
  size_t pos = 0;
  double number = 0;
  if (!ReadNumber(text, &pos, &number)) return bad();
  std::string_view unit = Trim(text.substr(pos));
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1},
      {"B", 1},
      {"kB", 1e3},
      {"KB", 1e3},
      {"MB", 1e6},
      {"GB", 1e9},
      {"TB", 1e12},
      {"KiB", 1024.0},
      {"MiB", 1024.0 * 1024},
      {"GiB", 1024.0 * 1024 * 1024},
      {"TiB", 1024.0 * 1024 * 1024 * 1024},
  };
  for (const auto& [name, scale] : kUnits) {
    if (unit != name) continue;
    double bytes = std::floor(number * scale);
    if (!(bytes < 9.2e18)) return Status::Invalid(fmt::format("size '{}' is too large", input));
    return static_cast<int64_t>(bytes);
  }
  return bad();
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  static constexpr std::pair<int64_t, const char*> kParts[] = {
      {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& [unit_ms, name] : kParts) {
    if (ms >= unit_ms) {
      out += fmt::format("{}{}", ms / unit_ms, name);
      ms %= unit_ms;
    }
  }
  return out;
}

std::string FormatByteSize(int64_t bytes) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {{int64_t{1} << 40, "TiB"},
                                                               {int64_t{1} << 30, "GiB"},
                                                               {int64_t{1} << 20, "MiB"},
                                                               {int64_t{1} << 10, "KiB"}};
  if (bytes > 0) {
    for (const auto& [unit, name] : kUnits) {
      if (bytes % unit == 0) return fmt::format("{}{}", bytes / unit, name);
    }
  }
  return fmt::format("{}B", bytes);
}

}  // namespace nilus::pipeline
