#include "iceberg/transforms.h"

#include <algorithm>
#include <type_traits>

#include "iceberg/conversions.h"
#include "iceberg/murmur3.h"

namespace nilus::iceberg {
namespace {

constexpr int64_t kMicrosPerHour = int64_t{3600} * 1000000;
constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;

// Division rounding toward negative infinity: pre-1970 values belong to the earlier
// year/month/day/hour, not the one nearer to the epoch.
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Years and months since 1970-01 for days since 1970-01-01, via the proleptic Gregorian
// calendar (the civil-from-days arithmetic over 400-year eras).
void YearMonthFromDays(int64_t days, int64_t* year, int* month) {
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11], from March
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);                  // [1, 12]
  *year = yoe + era * 400 + (m <= 2 ? 1 : 0);
  *month = m;
}

int32_t TemporalFromDays(TransformKind kind, int64_t days) {
  if (kind == TransformKind::kDay) return static_cast<int32_t>(days);
  int64_t year;
  int month;
  YearMonthFromDays(days, &year, &month);
  if (kind == TransformKind::kYear) return static_cast<int32_t>(year - 1970);
  return static_cast<int32_t>((year - 1970) * 12 + (month - 1));  // kMonth
}

int32_t TemporalFromMicros(TransformKind kind, int64_t micros) {
  if (kind == TransformKind::kHour) return static_cast<int32_t>(FloorDiv(micros, kMicrosPerHour));
  return TemporalFromDays(kind, FloorDiv(micros, kMicrosPerDay));
}

// v - (((v % w) + w) % w): the remainder is taken as non-negative so that negative values
// round down (-1 -> -10 for w = 10). Wraps like Java's arithmetic at the type's limits.
template <typename T>
T TruncateInteger(T v, T w) {
  const T rem = ((v % w) + w) % w;
  // std::make_unsigned has no __int128 specialization in strict C++ mode.
  using U = std::conditional_t<sizeof(T) == 16, unsigned __int128, uint64_t>;
  return static_cast<T>(static_cast<U>(v) - static_cast<U>(rem));
}

Status Mismatch(const Value& v) {
  return Status::TypeError("value does not hold the representation of " + v.type->ToString());
}

// Calls emit(i) for every valid entry of `in` and appends a null to `out` for the others.
template <typename Emit>
Status ForEachValid(const Column& in, Column* out, Emit emit) {
  out->Reserve(in.length());
  for (int64_t i = 0; i < in.length(); ++i) {
    if (in.IsNull(i)) {
      out->AppendNull();
      continue;
    }
    NILUS_RETURN_NOT_OK(emit(i));
  }
  return Status::OK();
}

}  // namespace

Result<int32_t> BucketHash(const Value& value) {
  if (!value.type) return Status::TypeError("value without a type");
  if (value.is_null()) return Status::Invalid("cannot hash a null value");
  switch (value.type->id()) {
    case TypeId::kInt:
    case TypeId::kDate:
      if (auto* v = std::get_if<int32_t>(&value.v)) return Murmur3HashLong(*v);
      return Mismatch(value);
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      if (auto* v = std::get_if<int64_t>(&value.v)) return Murmur3HashLong(*v);
      return Mismatch(value);
    case TypeId::kDecimal:
      if (auto* v = std::get_if<__int128>(&value.v)) {
        return Murmur3Hash32(DecimalToMinimalBytes(*v));
      }
      return Mismatch(value);
    case TypeId::kString:
    case TypeId::kUuid:
    case TypeId::kFixed:
    case TypeId::kBinary:
      if (auto* v = std::get_if<std::string>(&value.v)) return Murmur3Hash32(*v);
      return Mismatch(value);
    default:
      return Status::TypeError("cannot bucket a value of type " + value.type->ToString());
  }
}

Result<Value> ApplyTransform(const Transform& t, const Value& value) {
  if (!value.type) return Status::TypeError("value without a type");
  NILUS_ASSIGN_OR_RAISE(TypePtr result_type, t.ResultType(*value.type));
  const TransformKind kind = t.kind();
  const int32_t param = t.param();
  Value out{result_type, {}};
  if (value.is_null() || kind == TransformKind::kVoid) return out;
  const TypeId id = value.type->id();
  switch (kind) {
    case TransformKind::kIdentity:
      out.v = value.v;
      return out;
    case TransformKind::kBucket: {
      NILUS_ASSIGN_OR_RAISE(int32_t hash, BucketHash(value));
      out.v = BucketOf(hash, param);
      return out;
    }
    case TransformKind::kTruncate:
      if (id == TypeId::kInt) {
        const auto* v = std::get_if<int32_t>(&value.v);
        if (!v) return Mismatch(value);
        out.v = static_cast<int32_t>(TruncateInteger<int64_t>(*v, param));
      } else if (id == TypeId::kLong) {
        const auto* v = std::get_if<int64_t>(&value.v);
        if (!v) return Mismatch(value);
        out.v = TruncateInteger<int64_t>(*v, param);
      } else if (id == TypeId::kDecimal) {
        const auto* v = std::get_if<__int128>(&value.v);
        if (!v) return Mismatch(value);
        out.v = TruncateInteger<__int128>(*v, param);
      } else {
        const auto* v = std::get_if<std::string>(&value.v);
        if (!v) return Mismatch(value);
        if (id == TypeId::kString) {
          NILUS_ASSIGN_OR_RAISE(std::string_view prefix, TruncateUtf8(*v, param));
          out.v = std::string(prefix);
        } else {
          out.v = v->substr(0, std::min<size_t>(v->size(), static_cast<size_t>(param)));
        }
      }
      return out;
    case TransformKind::kYear:
    case TransformKind::kMonth:
    case TransformKind::kDay:
    case TransformKind::kHour:
      if (id == TypeId::kDate) {
        const auto* v = std::get_if<int32_t>(&value.v);
        if (!v) return Mismatch(value);
        out.v = TemporalFromDays(kind, *v);
      } else {
        const auto* v = std::get_if<int64_t>(&value.v);
        if (!v) return Mismatch(value);
        out.v = TemporalFromMicros(kind, *v);
      }
      return out;
    case TransformKind::kVoid:
      return out;
  }
  return Status::Internal("unhandled transform kind");
}

Status ApplyTransformToColumn(const Transform& t, const Column& in, Column* out) {
  NILUS_ASSIGN_OR_RAISE(TypePtr result_type, t.ResultType(in.type_ref()));
  const TransformKind kind = t.kind();
  const int32_t param = t.param();
  if (!out || !out->type() || !out->type()->Equals(*result_type)) {
    return Status::Invalid("output column of transform " + t.ToString() + " must have type " +
                           result_type->ToString());
  }
  const TypeId id = in.type()->id();
  switch (kind) {
    case TransformKind::kVoid:
      out->Reserve(in.length());
      for (int64_t i = 0; i < in.length(); ++i) out->AppendNull();
      return Status::OK();
    case TransformKind::kIdentity:
      return ForEachValid(in, out, [&](int64_t i) {
        switch (id) {
          case TypeId::kBoolean:
            out->AppendBool(in.Value<uint8_t>(i) != 0);
            break;
          case TypeId::kInt:
          case TypeId::kDate:
            out->AppendInt32(in.Value<int32_t>(i));
            break;
          case TypeId::kLong:
          case TypeId::kTime:
          case TypeId::kTimestamp:
          case TypeId::kTimestampTz:
            out->AppendInt64(in.Value<int64_t>(i));
            break;
          case TypeId::kFloat:
            out->AppendFloat(in.Value<float>(i));
            break;
          case TypeId::kDouble:
            out->AppendDouble(in.Value<double>(i));
            break;
          case TypeId::kDecimal:
            out->AppendDecimal(in.Value<__int128>(i));
            break;
          default:  // string, binary, uuid, fixed
            out->AppendBytes(in.Bytes(i));
            break;
        }
        return Status::OK();
      });
    case TransformKind::kBucket:
      return ForEachValid(in, out, [&](int64_t i) {
        int32_t hash;
        switch (id) {
          case TypeId::kInt:
          case TypeId::kDate:
            hash = Murmur3HashLong(in.Value<int32_t>(i));
            break;
          case TypeId::kLong:
          case TypeId::kTime:
          case TypeId::kTimestamp:
          case TypeId::kTimestampTz:
            hash = Murmur3HashLong(in.Value<int64_t>(i));
            break;
          case TypeId::kDecimal:
            hash = Murmur3Hash32(DecimalToMinimalBytes(in.Value<__int128>(i)));
            break;
          default:  // string, binary, uuid, fixed
            hash = Murmur3Hash32(in.Bytes(i));
            break;
        }
        out->AppendInt32(BucketOf(hash, param));
        return Status::OK();
      });
    case TransformKind::kTruncate:
      return ForEachValid(in, out, [&](int64_t i) -> Status {
        switch (id) {
          case TypeId::kInt:
            out->AppendInt32(
                static_cast<int32_t>(TruncateInteger<int64_t>(in.Value<int32_t>(i), param)));
            break;
          case TypeId::kLong:
            out->AppendInt64(TruncateInteger<int64_t>(in.Value<int64_t>(i), param));
            break;
          case TypeId::kDecimal:
            out->AppendDecimal(TruncateInteger<__int128>(in.Value<__int128>(i), param));
            break;
          case TypeId::kString: {
            NILUS_ASSIGN_OR_RAISE(std::string_view prefix, TruncateUtf8(in.Bytes(i), param));
            out->AppendBytes(prefix);
            break;
          }
          default: {  // binary
            const std::string_view b = in.Bytes(i);
            out->AppendBytes(b.substr(0, std::min<size_t>(b.size(), static_cast<size_t>(param))));
            break;
          }
        }
        return Status::OK();
      });
    case TransformKind::kYear:
    case TransformKind::kMonth:
    case TransformKind::kDay:
    case TransformKind::kHour:
      return ForEachValid(in, out, [&](int64_t i) {
        out->AppendInt32(id == TypeId::kDate ? TemporalFromDays(kind, in.Value<int32_t>(i))
                                             : TemporalFromMicros(kind, in.Value<int64_t>(i)));
        return Status::OK();
      });
  }
  return Status::Internal("unhandled transform kind");
}

}  // namespace nilus::iceberg
