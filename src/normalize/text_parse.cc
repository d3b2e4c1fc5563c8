#include "normalize/text_parse.h"

#include <charconv>
#include <cmath>

#include "core/types.h"

namespace nilus::normalize {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != b[i]) return false;
  }
  return true;
}

// Reads exactly n digits at s[*pos].
bool ReadDigits(std::string_view s, size_t* pos, int n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

bool ParseDateAt(std::string_view s, size_t* pos, int32_t* days) {
  int y, m, d;
  if (!ReadDigits(s, pos, 4, &y) || *pos >= s.size() || s[*pos] != '-') return false;
  ++*pos;
  if (!ReadDigits(s, pos, 2, &m) || *pos >= s.size() || s[*pos] != '-') return false;
  ++*pos;
  if (!ReadDigits(s, pos, 2, &d)) return false;
  if (m < 1 || m > 12 || d < 1 || static_cast<unsigned>(d) > DaysInMonth(y, m)) return false;
  *days = static_cast<int32_t>(DaysFromCivil(y, m, d));
  return true;
}

// HH:MM[:SS[.fraction]] at s[*pos]; stops before anything else.
bool ParseTimeAt(std::string_view s, size_t* pos, int64_t* micros) {
  int h, mi, sec = 0;
  if (!ReadDigits(s, pos, 2, &h) || *pos >= s.size() || s[*pos] != ':') return false;
  ++*pos;
  if (!ReadDigits(s, pos, 2, &mi)) return false;
  int64_t frac = 0;
  if (*pos < s.size() && s[*pos] == ':') {
    ++*pos;
    if (!ReadDigits(s, pos, 2, &sec)) return false;
    if (*pos < s.size() && s[*pos] == '.') {
      ++*pos;
      int n = 0;
      while (*pos < s.size() && IsDigit(s[*pos])) {
        if (n < 6) frac = frac * 10 + (s[*pos] - '0');
        ++n;
        ++*pos;
      }
      if (n == 0) return false;
      for (int i = n; i < 6; ++i) frac *= 10;
    }
  }
  if (h > 23 || mi > 59 || sec > 59) return false;
  *micros = ((h * 60LL + mi) * 60 + sec) * 1000000LL + frac;
  return true;
}

// Parses a timestamp; *zone_seconds gets the offset east of UTC, *has_zone whether one was
// given.
bool ParseTimestampAny(std::string_view s, int64_t* local_micros, bool* has_zone,
                       int64_t* zone_seconds) {
  size_t pos = 0;
  int32_t days;
  if (!ParseDateAt(s, &pos, &days)) return false;
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != ' ' && s[pos] != 't')) return false;
  ++pos;
  int64_t tod;
  if (!ParseTimeAt(s, &pos, &tod)) return false;
  *local_micros = days * 86400000000LL + tod;
  *has_zone = false;
  *zone_seconds = 0;
  if (pos == s.size()) return true;
  if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
    *has_zone = true;
    return true;
  }
  if (s[pos] != '+' && s[pos] != '-') return false;
  int sign = s[pos] == '-' ? -1 : 1;
  ++pos;
  int zh, zm = 0;
  if (!ReadDigits(s, &pos, 2, &zh)) return false;
  if (pos < s.size() && s[pos] == ':') ++pos;
  if (pos < s.size() && !ReadDigits(s, &pos, 2, &zm)) return false;
  if (pos != s.size() || zh > 18 || zm > 59) return false;
  *has_zone = true;
  *zone_seconds = sign * (zh * 3600 + zm * 60);
  return true;
}

// The shape of a number, without converting it: [+-]digits[.digits][e[+-]digits].
bool LooksNumeric(std::string_view s, bool* integral) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++int_digits;
  *integral = true;
  if (i < s.size() && s[i] == '.') {
    *integral = false;
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    *integral = false;
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && IsDigit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  // Shift the year to start in March so the leap day is the year's last day.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseBoolText(std::string_view s, bool* out) {
  if (EqualsNoCase(s, "true")) {
    *out = true;
    return true;
  }
  if (EqualsNoCase(s, "false")) {
    *out = false;
    return true;
  }
  return false;
}

bool ParseLongText(std::string_view s, int64_t* out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool ParseDoubleText(std::string_view s, double* out) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (EqualsNoCase(body, "nan")) {
    *out = std::nan("");
    return true;
  }
  if (EqualsNoCase(body, "inf") || EqualsNoCase(body, "infinity")) {
    *out = negative ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  bool integral;
  if (!LooksNumeric(s, &integral)) return false;
  if (s[0] == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool ParseDecimalText(std::string_view s, int precision, int scale, __int128* out) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  __int128 v = 0;
  int digits = 0, frac = 0;
  bool any = false, point = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (!IsDigit(c)) return false;
    any = true;
    if (point) {
      if (frac == scale) {
        if (c != '0') return false;  // would lose a digit
        continue;
      }
      ++frac;
    }
    if (v != 0 || c != '0') ++digits;
    if (digits > 38) return false;
    v = v * 10 + (c - '0');
  }
  if (!any) return false;
  for (; frac < scale; ++frac) {
    v *= 10;
    if (v != 0) ++digits;
  }
  if (v > MaxDecimalUnscaled(precision)) return false;
  *out = negative ? -v : v;
  return true;
}

bool ParseDateText(std::string_view s, int32_t* days) {
  size_t pos = 0;
  return ParseDateAt(s, &pos, days) && pos == s.size();
}

bool ParseTimeText(std::string_view s, int64_t* micros) {
  size_t pos = 0;
  return ParseTimeAt(s, &pos, micros) && pos == s.size();
}

bool ParseTimestampText(std::string_view s, int64_t* micros) {
  bool has_zone;
  int64_t zone;
  return ParseTimestampAny(s, micros, &has_zone, &zone) && !has_zone;
}

bool ParseTimestampTzText(std::string_view s, int64_t* micros) {
  bool has_zone;
  int64_t zone;
  if (!ParseTimestampAny(s, micros, &has_zone, &zone) || !has_zone) return false;
  *micros -= zone * 1000000LL;
  return true;
}

bool ParseUuidText(std::string_view s, std::string* bytes) {
  if (s.size() != 36) return false;
  bytes->clear();
  int hi = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
      continue;
    }
    int v;
    char l = Lower(c);
    if (IsDigit(l)) {
      v = l - '0';
    } else if (l >= 'a' && l <= 'f') {
      v = l - 'a' + 10;
    } else {
      return false;
    }
    if (hi < 0) {
      hi = v;
    } else {
      bytes->push_back(static_cast<char>(hi * 16 + v));
      hi = -1;
    }
  }
  return bytes->size() == 16;
}

TextKind InferTextKind(std::string_view s) {
  if (s.empty()) return TextKind::kString;
  char c = s[0];
  if (c == 't' || c == 'T' || c == 'f' || c == 'F') {
    bool b;
    return ParseBoolText(s, &b) ? TextKind::kBool : TextKind::kString;
  }
  if (IsDigit(c) || c == '+' || c == '-' || c == '.') {
    bool integral;
    if (LooksNumeric(s, &integral)) {
      if (!integral) return TextKind::kDouble;
      // "007" keeps its zeros as text: zip codes and ids are not numbers.
      std::string_view digits = (c == '+' || c == '-') ? s.substr(1) : s;
      if (digits.size() > 1 && digits[0] == '0') return TextKind::kString;
      int64_t v;
      if (ParseLongText(s, &v)) return TextKind::kLong;
      __int128 d;
      return ParseDecimalText(s, 38, 0, &d) ? TextKind::kBigInteger : TextKind::kDouble;
    }
    if (s.size() >= 10 && IsDigit(c)) {
      int32_t days;
      if (ParseDateText(s, &days)) return TextKind::kDate;
      int64_t micros;
      bool has_zone;
      int64_t zone;
      if (ParseTimestampAny(s, &micros, &has_zone, &zone)) {
        return has_zone ? TextKind::kTimestampTz : TextKind::kTimestamp;
      }
    }
  }
  return TextKind::kString;
}

}  // namespace nilus::normalize
