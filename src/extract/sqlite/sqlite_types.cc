#include "extract/sqlite/sqlite_types.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <vector>

namespace nilus {

namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// "DECIMAL ( 12 , 2 )" -> base "DECIMAL", args {12, 2}. Spaces inside the base name are
// collapsed to one ("DOUBLE  PRECISION" -> "DOUBLE PRECISION").
void SplitDeclared(const std::string& upper, std::string* base, std::vector<int64_t>* args,
                   bool* args_ok) {
  size_t paren = upper.find('(');
  std::string_view name = Trim(std::string_view(upper).substr(0, paren));
  base->clear();
  bool space = false;
  for (char c : name) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !base->empty()) base->push_back(' ');
    space = false;
    base->push_back(c);
  }
  *args_ok = true;
  if (paren == std::string::npos) return;
  size_t close = upper.find(')', paren);
  std::string_view inner = std::string_view(upper).substr(
      paren + 1, close == std::string::npos ? std::string::npos : close - paren - 1);
  while (true) {
    size_t comma = inner.find(',');
    std::string_view part = Trim(inner.substr(0, comma));
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size()) *args_ok = false;
    args->push_back(v);
    if (comma == std::string::npos) break;
    inner.remove_prefix(comma + 1);
  }
}

SqliteTypeMapping Unconstrained(const SqliteTypePolicy& policy) {
  if (policy.unconstrained_numeric == SqliteTypePolicy::UnconstrainedNumeric::kString) {
    return {Type::String(), SqliteValueKind::kString};
  }
  return {Type::Double(), SqliteValueKind::kDouble};
}

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Reads exactly n digits at *p.
bool Digits(std::string_view s, size_t* p, int n, int* out) {
  if (*p + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[*p + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *p += n;
  *out = v;
  return true;
}

// HH:MM[:SS[.fraction]] at *p -> microseconds since midnight.
bool ParseClock(std::string_view s, size_t* p, int64_t* micros) {
  int h = 0, m = 0, sec = 0;
  if (!Digits(s, p, 2, &h) || *p >= s.size() || s[*p] != ':') return false;
  ++*p;
  if (!Digits(s, p, 2, &m)) return false;
  int64_t frac = 0;
  if (*p < s.size() && s[*p] == ':') {
    ++*p;
    if (!Digits(s, p, 2, &sec)) return false;
    if (*p < s.size() && s[*p] == '.') {
      ++*p;
      int n = 0;
      while (*p < s.size() && s[*p] >= '0' && s[*p] <= '9') {
        if (n < 6) frac = frac * 10 + (s[*p] - '0');
        ++n;
        ++*p;
      }
      if (n == 0) return false;
      for (int i = n; i < 6; ++i) frac *= 10;
    }
  }
  if (h > 23 || m > 59 || sec > 59) return false;
  *micros = ((h * 60LL + m) * 60 + sec) * 1000000 + frac;
  return true;
}

}  // namespace

char SqliteAffinity(std::string_view declared_type) {
  const std::string t = Upper(declared_type);
  if (t.find("INT") != std::string::npos) return 'I';
  if (t.find("CHAR") != std::string::npos || t.find("CLOB") != std::string::npos ||
      t.find("TEXT") != std::string::npos) {
    return 'T';
  }
  if (t.find("BLOB") != std::string::npos || Trim(t).empty()) return 'B';
  if (t.find("REAL") != std::string::npos || t.find("FLOA") != std::string::npos ||
      t.find("DOUB") != std::string::npos) {
    return 'R';
  }
  return 'N';
}

SqliteTypeMapping MapSqliteDeclaredType(std::string_view declared_type,
                                        const SqliteTypePolicy& policy) {
  const std::string upper = Upper(declared_type);
  std::string base;
  std::vector<int64_t> args;
  bool args_ok = true;
  SplitDeclared(upper, &base, &args, &args_ok);
  if (base.empty()) return {nullptr, SqliteValueKind::kUntyped};
  if (base == "BOOLEAN" || base == "BOOL") return {Type::Boolean(), SqliteValueKind::kBoolean};
  if (base == "DATE") return {Type::Date(), SqliteValueKind::kDate};
  if (base == "DATETIME" || base == "TIMESTAMP" || base == "TIMESTAMP WITHOUT TIME ZONE") {
    return {Type::Timestamp(), SqliteValueKind::kTimestamp};
  }
  if (base == "TIMESTAMPTZ" || base == "TIMESTAMP WITH TIME ZONE") {
    return {Type::TimestampTz(), SqliteValueKind::kTimestampTz};
  }
  if (base == "TIME" || base == "TIME WITHOUT TIME ZONE") {
    return {Type::Time(), SqliteValueKind::kTime};
  }
  if (base == "NUMERIC" || base == "DECIMAL") {
    if (args.empty() || !args_ok || args.size() > 2) return Unconstrained(policy);
    const int64_t p = args[0];
    const int64_t s = args.size() == 2 ? args[1] : 0;
    if (p < 1 || p > 38 || s < 0 || s > p) return Unconstrained(policy);
    return {Type::Decimal(static_cast<int>(p), static_cast<int>(s)), SqliteValueKind::kDecimal};
  }
  // JSON has NUMERIC affinity, so a bare number is stored as INTEGER or REAL: kString renders
  // it back. INTERVAL would get INTEGER affinity from its "INT".
  if (base == "JSON" || base == "JSONB" || base == "INTERVAL") {
    return {Type::String(), SqliteValueKind::kString};
  }
  switch (SqliteAffinity(upper)) {
    case 'I':
      // SQLite never enforces a width (a SMALLINT column holds any 64-bit value), so every
      // integer type is long.
      return {Type::Long(), SqliteValueKind::kLong};
    case 'T':
      return {Type::String(), SqliteValueKind::kString};
    case 'B':
      return {Type::Binary(), SqliteValueKind::kBinary};
    case 'R':
      return {Type::Double(), SqliteValueKind::kDouble};
    default:
      // Other names with NUMERIC affinity (MONEY, UUID, ENUM, ...): no safe numeric reading.
      return {Type::String(), SqliteValueKind::kString};
  }
}

std::string SqliteValueKindName(SqliteValueKind kind, const Type* type) {
  switch (kind) {
    case SqliteValueKind::kLenientString:
      return "string (lenient)";
    case SqliteValueKind::kUntyped:
      return "untyped";
    default:
      return type ? type->ToString() : "?";
  }
}

int64_t SqliteDaysFromCivil(int64_t year, int month, int day) {
  // Shift the year to start in March so that the leap day is the last day of the year.
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t yoe = year - era * 400;
  const int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool ParseSqliteDateTimeText(std::string_view s, int64_t* micros, bool* had_offset) {
  size_t p = 0;
  int y = 0, mo = 0, d = 0;
  if (!Digits(s, &p, 4, &y) || p >= s.size() || s[p] != '-') return false;
  ++p;
  if (!Digits(s, &p, 2, &mo) || p >= s.size() || s[p] != '-') return false;
  ++p;
  if (!Digits(s, &p, 2, &d)) return false;
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo)) return false;
  int64_t clock = 0;
  if (p < s.size() && (s[p] == ' ' || s[p] == 'T' || s[p] == 't') && p + 1 < s.size() &&
      std::isdigit(static_cast<unsigned char>(s[p + 1]))) {
    ++p;
    if (!ParseClock(s, &p, &clock)) return false;
  }
  while (p < s.size() && s[p] == ' ') ++p;
  int64_t offset_minutes = 0;
  *had_offset = false;
  if (p < s.size()) {
    if (s[p] == 'Z' || s[p] == 'z') {
      ++p;
      *had_offset = true;
    } else if (s[p] == '+' || s[p] == '-') {
      const int sign = s[p] == '-' ? -1 : 1;
      ++p;
      int oh = 0, om = 0;
      if (!Digits(s, &p, 2, &oh) || p >= s.size() || s[p] != ':') return false;
      ++p;
      if (!Digits(s, &p, 2, &om) || oh > 14 || om > 59) return false;
      offset_minutes = sign * (oh * 60 + om);
      *had_offset = true;
    }
  }
  if (p != s.size()) return false;
  *micros = SqliteDaysFromCivil(y, mo, d) * 86400000000LL + clock - offset_minutes * 60000000LL;
  return true;
}

bool ParseSqliteTimeText(std::string_view text, int64_t* micros) {
  size_t p = 0;
  return ParseClock(text, &p, micros) && p == text.size();
}

bool SqliteJulianToMicros(double julian_day, int64_t* micros) {
  if (!(julian_day >= 0.0 && julian_day <= 5373484.499999)) return false;
  // The difference is exact for days near the epoch; one rounding in the product.
  const double ms = std::round((julian_day - 2440587.5) * 86400000.0);
  *micros = static_cast<int64_t>(ms) * 1000;
  return true;
}

bool SqliteIntegerTimeToMicros(int64_t v, SqliteTypePolicy::IntegerTime unit, int64_t* micros) {
  int64_t factor = 1;
  switch (unit) {
    case SqliteTypePolicy::IntegerTime::kUnixSeconds:
      factor = 1000000;
      break;
    case SqliteTypePolicy::IntegerTime::kUnixMillis:
      factor = 1000;
      break;
    case SqliteTypePolicy::IntegerTime::kUnixMicros:
      factor = 1;
      break;
  }
  return !__builtin_mul_overflow(v, factor, micros);
}

bool ParseSqliteDecimal(std::string_view text, int precision, int scale, __int128* unscaled,
                        bool* rounded) {
  std::string_view s = Trim(text);
  size_t p = 0;
  bool negative = false;
  if (p < s.size() && (s[p] == '+' || s[p] == '-')) negative = s[p++] == '-';
  std::string digits;  // mantissa digits without leading zeros
  int64_t exponent = 0;
  bool any = false, dot = false;
  for (; p < s.size(); ++p) {
    char c = s[p];
    if (c >= '0' && c <= '9') {
      any = true;
      if (!(digits.empty() && c == '0')) digits.push_back(c);
      if (dot) --exponent;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!any) return false;
  if (p < s.size() && (s[p] == 'e' || s[p] == 'E')) {
    ++p;
    int64_t e = 0;
    bool eneg = false;
    if (p < s.size() && (s[p] == '+' || s[p] == '-')) eneg = s[p++] == '-';
    size_t start = p;
    for (; p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p) {
      if (e < 100000) e = e * 10 + (s[p] - '0');
    }
    if (p == start) return false;
    exponent += eneg ? -e : e;
  }
  if (p != s.size()) return false;
  // value = digits * 10^exponent; unscaled = digits * 10^(exponent + scale).
  int64_t shift = exponent + scale;
  *rounded = false;
  bool round_up = false;
  if (shift < 0) {
    const int64_t drop = -shift;
    if (drop > static_cast<int64_t>(digits.size())) {
      *rounded = !digits.empty();
      digits.clear();
    } else {
      const size_t keep = digits.size() - static_cast<size_t>(drop);
      round_up = digits[keep] >= '5';
      *rounded = digits.find_first_not_of('0', keep) != std::string::npos;
      digits.resize(keep);
    }
    shift = 0;
  }
  if (!digits.empty() && static_cast<int64_t>(digits.size()) + shift > precision) return false;
  __int128 v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  for (int64_t i = 0; i < shift && v != 0; ++i) v *= 10;
  if (round_up) ++v;
  if (v > MaxDecimalUnscaled(precision)) return false;
  *unscaled = negative ? -v : v;
  return true;
}

std::string SqliteFormatDouble(double v) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return fmt::format("{}", v);
  return std::string(buf, ptr);
}

}  // namespace nilus
