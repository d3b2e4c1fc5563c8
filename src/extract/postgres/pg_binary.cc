#include "extract/postgres/pg_binary.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>

namespace nilus {

namespace {

inline uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return __builtin_bswap16(v);
}
inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

// Numeric sign words (PostgreSQL's numeric.c).
constexpr uint16_t kNumericPos = 0x0000;
constexpr uint16_t kNumericNeg = 0x4000;
constexpr uint16_t kNumericNaN = 0xC000;
constexpr uint16_t kNumericPInf = 0xD000;
constexpr uint16_t kNumericNInf = 0xF000;

// Clamp targets for infinity: 9999-12-31 and 0001-01-01, as Iceberg days / microseconds.
constexpr int32_t kClampMaxDays = 2932896;
constexpr int32_t kClampMinDays = -719162;
constexpr int64_t kClampMaxMicros = 253402300799999999LL;
constexpr int64_t kClampMinMicros = -62135596800000000LL;

std::string& Scratch() {
  thread_local std::string s;
  return s;
}

Status WrongLength(const PgValueDecoder& d, int32_t len, int32_t want) {
  return Status::Corruption(fmt::format("column {}: {} value of {} bytes, expected {}", d.column,
                                        PgWireKindName(d.kind), len, want));
}

// A null from a policy (NaN, infinity): allowed only in an optional column.
Status PolicyNull(const PgValueDecoder& d, std::string_view what, std::string_view policy,
                  Column* out) {
  if (d.required) {
    return Status::TypeError(
        fmt::format("column {} is NOT NULL but holds {}, which the {} policy turns into null",
                    d.column, what, policy));
  }
  out->AppendNull();
  return Status::OK();
}

struct NumericHeader {
  int ndigits;
  int weight;
  uint16_t sign;
  int dscale;
  const uint8_t* digits;
};

Status ReadNumericHeader(const uint8_t* data, int32_t len, NumericHeader* h) {
  if (len < 8) return Status::Corruption(fmt::format("numeric value of {} bytes", len));
  h->ndigits = static_cast<int16_t>(Load16(data));
  h->weight = static_cast<int16_t>(Load16(data + 2));
  h->sign = Load16(data + 4);
  h->dscale = static_cast<int16_t>(Load16(data + 6));
  h->digits = data + 8;
  if (h->ndigits < 0 || h->dscale < 0 || 8 + 2 * h->ndigits != len) {
    return Status::Corruption(
        fmt::format("numeric value with {} digits in {} bytes", h->ndigits, len));
  }
  if (h->sign != kNumericPos && h->sign != kNumericNeg && h->sign != kNumericNaN &&
      h->sign != kNumericPInf && h->sign != kNumericNInf) {
    return Status::Corruption(fmt::format("numeric value with sign word {:#x}", h->sign));
  }
  for (int i = 0; i < h->ndigits; ++i) {
    if (Load16(h->digits + 2 * i) > 9999) {
      return Status::Corruption("numeric digit out of range");
    }
  }
  return Status::OK();
}

const char* SpecialNumericText(uint16_t sign) {
  switch (sign) {
    case kNumericNaN:
      return "NaN";
    case kNumericPInf:
      return "Infinity";
    case kNumericNInf:
      return "-Infinity";
    default:
      return nullptr;
  }
}

void FormatNumeric(const NumericHeader& h, std::string* out) {
  out->clear();
  if (const char* special = SpecialNumericText(h.sign)) {
    out->append(special);
    return;
  }
  auto digit = [&](int i) -> int { return i >= 0 && i < h.ndigits ? Load16(h.digits + 2 * i) : 0; };
  if (h.sign == kNumericNeg) out->push_back('-');
  char buf[8];
  if (h.weight < 0) {
    out->push_back('0');
  } else {
    for (int i = 0; i <= h.weight; ++i) {
      const int d = digit(i);
      if (i == 0) {
        out->append(buf, static_cast<size_t>(std::snprintf(buf, sizeof(buf), "%d", d)));
      } else {
        out->append(buf, static_cast<size_t>(std::snprintf(buf, sizeof(buf), "%04d", d)));
      }
    }
  }
  if (h.dscale > 0) {
    out->push_back('.');
    int written = 0;
    for (int i = h.weight + 1; written < h.dscale; ++i) {
      std::snprintf(buf, sizeof(buf), "%04d", digit(i));
      for (int k = 0; k < 4 && written < h.dscale; ++k, ++written) out->push_back(buf[k]);
    }
  }
}

__int128 Pow10(int n) {
  __int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

Status NumericToDecimal(const PgValueDecoder& d, const NumericHeader& h, int precision, int scale,
                        __int128* unscaled) {
  auto too_big = [&]() {
    std::string text;
    FormatNumeric(h, &text);
    return Status::TypeError(fmt::format(
        "column {}: numeric value {} does not fit decimal({},{}) (more than {} integer digits "
        "or more than {} fractional digits); map it to string with the numeric policy",
        d.column, text, precision, scale, precision - scale, scale));
  };
  const __int128 kLimit = MaxDecimalUnscaled(38);
  static constexpr int kPow10[5] = {1, 10, 100, 1000, 10000};
  __int128 acc = 0;
  // Shifts acc by 10^digits and adds `add`, refusing to pass 10^38 - 1.
  auto push = [&](int digits, int add) {
    const __int128 m = Pow10(digits);
    if (acc > (kLimit - add) / m) return false;
    acc = acc * m + add;
    return true;
  };
  // acc holds the value times 10^e. Digit group i ends at fractional position 4 * (i - weight)
  // (<= 0 inside the integer part). Groups past the target scale must hold only zeros there.
  int e = scale;
  for (int i = 0; i < h.ndigits; ++i) {
    const int d = Load16(h.digits + 2 * i);
    const int frac_end = 4 * (i - h.weight);
    if (frac_end <= scale) {
      if (!push(4, d)) return too_big();
      e = frac_end;
    } else if (frac_end - 4 < scale) {
      const int keep = scale - (frac_end - 4);
      const int drop = 4 - keep;
      if (d % kPow10[drop] != 0) return too_big();
      if (!push(keep, d / kPow10[drop])) return too_big();
      e = scale;
    } else if (d != 0) {
      return too_big();
    }
  }
  if (acc != 0 && e < scale) {
    if (scale - e > 38 || !push(scale - e, 0)) return too_big();
  }
  if (acc > MaxDecimalUnscaled(precision)) return too_big();
  *unscaled = h.sign == kNumericNeg ? -acc : acc;
  return Status::OK();
}

Status DecodeNumeric(const PgValueDecoder& d, const uint8_t* data, int32_t len, Column* out,
                     PgDecodeContext* ctx) {
  NumericHeader h;
  NILUS_RETURN_NOT_OK_CTX(ReadNumericHeader(data, len, &h), "column " + d.column);
  const Type& t = *d.target;
  if (t.id() == TypeId::kString) {
    std::string& s = Scratch();
    FormatNumeric(h, &s);
    out->AppendBytes(s);
    return Status::OK();
  }
  if (t.id() != TypeId::kDecimal) {
    return Status::Internal(fmt::format("column {}: numeric into {}", d.column, t.ToString()));
  }
  if (const char* special = SpecialNumericText(h.sign)) {
    if (ctx->options.numeric_special == PgSpecialValuePolicy::kError) {
      return Status::TypeError(fmt::format("column {}: numeric {} cannot be stored in {}", d.column,
                                           special, t.ToString()));
    }
    NILUS_RETURN_NOT_OK(PolicyNull(d, special, "numeric special-value", out));
    ++ctx->stats.numeric_special_nulls;
    return Status::OK();
  }
  __int128 unscaled = 0;
  NILUS_RETURN_NOT_OK(NumericToDecimal(d, h, t.precision(), t.scale(), &unscaled));
  out->AppendDecimal(unscaled);
  return Status::OK();
}

// Infinity handling shared by date and timestamps. Returns true when the value was handled.
template <typename T>
Result<bool> HandleInfinity(const PgValueDecoder& d, bool positive, T clamp_max, T clamp_min,
                            Column* out, PgDecodeContext* ctx) {
  const char* what = positive ? "infinity" : "-infinity";
  switch (ctx->options.infinity) {
    case PgSpecialValuePolicy::kError:
      return Status::TypeError(
          fmt::format("column {}: {} {} is not allowed by the infinity "
                      "policy",
                      d.column, PgWireKindName(d.kind), what));
    case PgSpecialValuePolicy::kClamp:
      if constexpr (sizeof(T) == 4) {
        out->AppendInt32(positive ? clamp_max : clamp_min);
      } else {
        out->AppendInt64(positive ? clamp_max : clamp_min);
      }
      ++ctx->stats.infinity_clamped;
      return true;
    case PgSpecialValuePolicy::kNull:
      NILUS_RETURN_NOT_OK(PolicyNull(d, what, "infinity (clamp would keep it)", out));
      ++ctx->stats.infinity_nulls;
      return true;
  }
  return true;
}

void FormatInterval(int64_t time, int32_t days, int32_t months, std::string* out) {
  out->clear();
  const int64_t year = months / 12;
  const int64_t mon = months % 12;
  const int64_t hour = time / 3600000000LL;
  time -= hour * 3600000000LL;
  const int64_t min = time / 60000000LL;
  time -= min * 60000000LL;
  const int64_t sec = time / 1000000LL;
  const int64_t fsec = time - sec * 1000000LL;
  if (year == 0 && mon == 0 && days == 0 && hour == 0 && min == 0 && sec == 0 && fsec == 0) {
    out->append("PT0S");
    return;
  }
  auto part = [&](int64_t v, char unit) {
    if (v == 0) return;
    fmt::format_to(std::back_inserter(*out), "{}{}", v, unit);
  };
  out->push_back('P');
  part(year, 'Y');
  part(mon, 'M');
  part(days, 'D');
  if (hour != 0 || min != 0 || sec != 0 || fsec != 0) out->push_back('T');
  part(hour, 'H');
  part(min, 'M');
  if (sec != 0 || fsec != 0) {
    if (sec < 0 || fsec < 0) out->push_back('-');
    fmt::format_to(std::back_inserter(*out), "{}", sec < 0 ? -sec : sec);
    if (fsec != 0) {
      char buf[24];
      std::snprintf(buf, sizeof(buf), "%06lld", static_cast<long long>(fsec < 0 ? -fsec : fsec));
      int n = 6;
      while (n > 0 && buf[n - 1] == '0') --n;
      out->push_back('.');
      out->append(buf, static_cast<size_t>(n));
    }
    out->push_back('S');
  }
}

Status DecodeArray(const PgValueDecoder& d, const uint8_t* data, int32_t len, Column* out,
                   PgDecodeContext* ctx) {
  if (d.element == nullptr || d.target->id() != TypeId::kList) {
    return Status::Internal(fmt::format("column {}: array decoder without element", d.column));
  }
  auto bad = [&](std::string_view why) {
    return Status::Corruption(fmt::format("column {}: malformed array ({})", d.column, why));
  };
  if (len < 12) return bad("short header");
  const int32_t ndim = static_cast<int32_t>(Load32(data));
  const uint32_t elem_oid = Load32(data + 8);
  if (ndim < 0 || ndim > 6) return bad(fmt::format("{} dimensions", ndim));
  if (d.element_oid != 0 && elem_oid != d.element_oid) {
    return bad(fmt::format("element type {} where {} was expected", elem_oid, d.element_oid));
  }
  int64_t pos = 12;
  int64_t count = ndim == 0 ? 0 : 1;
  if (len < pos + 8 * static_cast<int64_t>(ndim)) return bad("short dimensions");
  for (int i = 0; i < ndim; ++i) {
    const int32_t dim = static_cast<int32_t>(Load32(data + pos));
    pos += 8;  // dimension size and lower bound
    if (dim < 0) return bad("negative dimension");
    count *= dim;
    // Each element takes at least its 4-byte length word.
    if (count > len) return bad("more elements than bytes");
  }
  Column* child = out->mutable_child(0);
  for (int64_t i = 0; i < count; ++i) {
    if (pos + 4 > len) return bad("truncated element length");
    const int32_t elen = static_cast<int32_t>(Load32(data + pos));
    pos += 4;
    if (elen < -1 || pos + std::max<int32_t>(elen, 0) > len) return bad("truncated element");
    NILUS_RETURN_NOT_OK(PgDecodeValue(*d.element, data + pos, elen, child, ctx));
    if (elen > 0) pos += elen;
  }
  if (pos != len) return bad("trailing bytes");
  out->AppendListEnd();
  return Status::OK();
}

}  // namespace

std::string_view PgWireKindName(PgWireKind kind) {
  switch (kind) {
    case PgWireKind::kBool:
      return "bool";
    case PgWireKind::kInt2:
      return "int2";
    case PgWireKind::kInt4:
      return "int4";
    case PgWireKind::kInt8:
      return "int8";
    case PgWireKind::kFloat4:
      return "float4";
    case PgWireKind::kFloat8:
      return "float8";
    case PgWireKind::kNumeric:
      return "numeric";
    case PgWireKind::kText:
      return "text";
    case PgWireKind::kBytea:
      return "bytea";
    case PgWireKind::kDate:
      return "date";
    case PgWireKind::kTime:
      return "time";
    case PgWireKind::kTimestamp:
      return "timestamp";
    case PgWireKind::kTimestampTz:
      return "timestamptz";
    case PgWireKind::kInterval:
      return "interval";
    case PgWireKind::kUuid:
      return "uuid";
    case PgWireKind::kJson:
      return "json";
    case PgWireKind::kJsonb:
      return "jsonb";
    case PgWireKind::kArray:
      return "array";
  }
  return "?";
}

Status PgNumericToString(const uint8_t* data, int32_t len, std::string* out) {
  NumericHeader h;
  NILUS_RETURN_NOT_OK(ReadNumericHeader(data, len, &h));
  FormatNumeric(h, out);
  return Status::OK();
}

Status PgIntervalToIso8601(const uint8_t* data, int32_t len, std::string* out) {
  if (len != 16) return Status::Corruption(fmt::format("interval value of {} bytes", len));
  FormatInterval(static_cast<int64_t>(Load64(data)), static_cast<int32_t>(Load32(data + 8)),
                 static_cast<int32_t>(Load32(data + 12)), out);
  return Status::OK();
}

Status PgDecodeValue(const PgValueDecoder& d, const uint8_t* data, int32_t len, Column* out,
                     PgDecodeContext* ctx) {
  if (len < 0) {
    if (len != -1) return Status::Corruption(fmt::format("column {}: length {}", d.column, len));
    out->AppendNull();
    return Status::OK();
  }
  switch (d.kind) {
    case PgWireKind::kBool:
      if (len != 1) return WrongLength(d, len, 1);
      out->AppendBool(data[0] != 0);
      return Status::OK();
    case PgWireKind::kInt2:
      if (len != 2) return WrongLength(d, len, 2);
      out->AppendInt32(static_cast<int16_t>(Load16(data)));
      return Status::OK();
    case PgWireKind::kInt4:
      if (len != 4) return WrongLength(d, len, 4);
      out->AppendInt32(static_cast<int32_t>(Load32(data)));
      return Status::OK();
    case PgWireKind::kInt8:
      if (len != 8) return WrongLength(d, len, 8);
      out->AppendInt64(static_cast<int64_t>(Load64(data)));
      return Status::OK();
    case PgWireKind::kFloat4: {
      if (len != 4) return WrongLength(d, len, 4);
      const uint32_t bits = Load32(data);
      float f;
      std::memcpy(&f, &bits, 4);
      out->AppendFloat(f);
      return Status::OK();
    }
    case PgWireKind::kFloat8: {
      if (len != 8) return WrongLength(d, len, 8);
      const uint64_t bits = Load64(data);
      double f;
      std::memcpy(&f, &bits, 8);
      out->AppendDouble(f);
      return Status::OK();
    }
    case PgWireKind::kNumeric:
      return DecodeNumeric(d, data, len, out, ctx);
    case PgWireKind::kText:
    case PgWireKind::kJson:
    case PgWireKind::kBytea:
      out->AppendBytes({reinterpret_cast<const char*>(data), static_cast<size_t>(len)});
      return Status::OK();
    case PgWireKind::kJsonb:
      if (len < 1 || data[0] != 1) {
        return Status::Corruption(
            fmt::format("column {}: jsonb value without version byte 1", d.column));
      }
      out->AppendBytes({reinterpret_cast<const char*>(data) + 1, static_cast<size_t>(len - 1)});
      return Status::OK();
    case PgWireKind::kUuid:
      if (len != 16) return WrongLength(d, len, 16);
      out->AppendBytes({reinterpret_cast<const char*>(data), 16});
      return Status::OK();
    case PgWireKind::kDate: {
      if (len != 4) return WrongLength(d, len, 4);
      const int32_t days = static_cast<int32_t>(Load32(data));
      if (days == std::numeric_limits<int32_t>::max() ||
          days == std::numeric_limits<int32_t>::min()) {
        return HandleInfinity<int32_t>(d, days > 0, kClampMaxDays, kClampMinDays, out, ctx)
            .status();
      }
      out->AppendInt32(days + kPgEpochDays);
      return Status::OK();
    }
    case PgWireKind::kTime:
      if (len != 8) return WrongLength(d, len, 8);
      out->AppendInt64(static_cast<int64_t>(Load64(data)));
      return Status::OK();
    case PgWireKind::kTimestamp:
    case PgWireKind::kTimestampTz: {
      if (len != 8) return WrongLength(d, len, 8);
      const int64_t us = static_cast<int64_t>(Load64(data));
      if (us == std::numeric_limits<int64_t>::max() || us == std::numeric_limits<int64_t>::min()) {
        return HandleInfinity<int64_t>(d, us > 0, kClampMaxMicros, kClampMinMicros, out, ctx)
            .status();
      }
      int64_t unix_us;
      if (__builtin_add_overflow(us, kPgEpochMicros, &unix_us)) {
        return Status::TypeError(fmt::format(
            "column {}: timestamp beyond the year 294247 does not fit Iceberg's range", d.column));
      }
      out->AppendInt64(unix_us);
      return Status::OK();
    }
    case PgWireKind::kInterval: {
      std::string& s = Scratch();
      NILUS_RETURN_NOT_OK_CTX(PgIntervalToIso8601(data, len, &s), "column " + d.column);
      out->AppendBytes(s);
      return Status::OK();
    }
    case PgWireKind::kArray:
      return DecodeArray(d, data, len, out, ctx);
  }
  return Status::Internal("unknown wire kind");
}

}  // namespace nilus
