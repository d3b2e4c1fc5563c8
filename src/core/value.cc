#include "core/value.h"

#include <fmt/format.h>

namespace nilus {

std::string DecimalToString(__int128 unscaled, int scale) {
  bool negative = unscaled < 0;
  unsigned __int128 mag = negative ? -static_cast<unsigned __int128>(unscaled)
                                   : static_cast<unsigned __int128>(unscaled);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(mag % 10)));
    mag /= 10;
  } while (mag != 0);
  if (scale > 0) {
    if (digits.size() <= static_cast<size_t>(scale)) {
      digits.insert(0, static_cast<size_t>(scale) + 1 - digits.size(), '0');
    }
    digits.insert(digits.size() - scale, 1, '.');
  }
  return negative ? "-" + digits : digits;
}

namespace {
// Howard Hinnant's civil_from_days algorithm (public-domain description of the arithmetic).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}
}  // namespace

std::string DateToString(int32_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

std::string TimeToString(int64_t micros) {
  int64_t secs = micros / 1000000;
  return fmt::format("{:02}:{:02}:{:02}.{:06}", secs / 3600, (secs / 60) % 60, secs % 60,
                     micros % 1000000);
}

std::string TimestampToString(int64_t micros) {
  // Divide first: days * kMicrosPerDay can overflow int64 near its limits.
  constexpr int64_t kMicrosPerDay = 86400LL * 1000000;
  int64_t days = micros / kMicrosPerDay;
  int64_t rem = micros % kMicrosPerDay;
  if (rem < 0) {
    rem += kMicrosPerDay;
    --days;
  }
  return DateToString(static_cast<int32_t>(days)) + "T" + TimeToString(rem);
}

std::string HexEncode(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Value::ToString() const {
  if (is_null()) return "null";
  switch (type->id()) {
    case TypeId::kBoolean:
      return get<bool>() ? "true" : "false";
    case TypeId::kInt:
      return std::to_string(get<int32_t>());
    case TypeId::kLong:
      return std::to_string(get<int64_t>());
    case TypeId::kFloat:
      return fmt::format("{}", get<float>());
    case TypeId::kDouble:
      return fmt::format("{}", get<double>());
    case TypeId::kDecimal:
      return DecimalToString(get<__int128>(), type->scale());
    case TypeId::kDate:
      return DateToString(get<int32_t>());
    case TypeId::kTime:
      return TimeToString(get<int64_t>());
    case TypeId::kTimestamp:
      return TimestampToString(get<int64_t>());
    case TypeId::kTimestampTz:
      return TimestampToString(get<int64_t>()) + "+00:00";
    case TypeId::kString:
      return get<std::string>();
    default:
      return HexEncode(get<std::string>());
  }
}

}  // namespace nilus
