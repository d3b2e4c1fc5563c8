#include "iceberg/transforms.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "iceberg/murmur3.h"

namespace nilus::iceberg {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int DaysInMonth(int64_t y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}
// Days since 1970-01-01 by counting, independent of the code under test.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  int64_t days = 0;
  for (int64_t yy = 1970; yy < y; ++yy) days += IsLeap(yy) ? 366 : 365;
  for (int64_t yy = y; yy < 1970; ++yy) days -= IsLeap(yy) ? 366 : 365;
  for (int mm = 1; mm < m; ++mm) days += DaysInMonth(y, mm);
  return days + d - 1;
}
int64_t Micros(int64_t y, int mo, int d, int h, int mi, int s) {
  return DaysFromCivil(y, mo, d) * kMicrosPerDay + ((h * 60 + mi) * 60 + s) * kMicrosPerSecond;
}

Value Int(int32_t v) { return {Type::Int(), v}; }
Value Long(int64_t v) { return {Type::Long(), v}; }
Value Date(int64_t days) { return {Type::Date(), static_cast<int32_t>(days)}; }
Value Ts(int64_t micros) { return {Type::Timestamp(), micros}; }
Value TsTz(int64_t micros) { return {Type::TimestampTz(), micros}; }
Value Str(std::string s) { return {Type::String(), std::move(s)}; }
Value Bin(std::string s) { return {Type::Binary(), std::move(s)}; }
Value Dec(int p, int s, __int128 unscaled) { return {Type::Decimal(p, s), unscaled}; }

Transform Bucket(int32_t n) { return *Transform::Bucket(n); }
Transform Truncate(int32_t w) { return *Transform::Truncate(w); }

int32_t HashOf(const Value& v) {
  auto r = BucketHash(v);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : 0;
}

int32_t ApplyInt(const Transform& t, const Value& v) {
  auto r = ApplyTransform(t, v);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok() || r->is_null()) return INT32_MIN;
  return r->get<int32_t>();
}

// Spec Appendix B test values.
TEST(IcebergTransformsTest, SpecHashValues) {
  EXPECT_EQ(HashOf(Int(34)), 2017239379);
  EXPECT_EQ(HashOf(Long(34)), 2017239379);
  EXPECT_EQ(HashOf(Dec(9, 2, 1420)), -500754589);  // 14.20
  // Scale is part of the type, not the value: 1.420 hashes the same.
  EXPECT_EQ(HashOf(Dec(10, 3, 1420)), -500754589);
  EXPECT_EQ(HashOf(Date(DaysFromCivil(2017, 11, 16))), -653330422);
  EXPECT_EQ(HashOf(Value{Type::Time(), int64_t{(22 * 3600 + 31 * 60 + 8) * kMicrosPerSecond}}),
            -662762989);
  EXPECT_EQ(HashOf(Ts(Micros(2017, 11, 16, 22, 31, 8))), -2047944441);
  // 2017-11-16T14:31:08-08:00 is 22:31:08 UTC.
  EXPECT_EQ(HashOf(TsTz(Micros(2017, 11, 16, 14, 31, 8) + 8 * 3600 * kMicrosPerSecond)),
            -2047944441);
  EXPECT_EQ(HashOf(Str("iceberg")), 1210000089);
  const std::string uuid("\xF7\x9C\x3E\x09\x67\x7C\x4B\xBD\xA4\x79\x3F\x34\x9C\xB7\x85\xE7", 16);
  EXPECT_EQ(HashOf(Value{Type::Uuid(), uuid}), 1488055340);
  const std::string bytes("\x00\x01\x02\x03", 4);
  EXPECT_EQ(HashOf(Value{Type::Fixed(4), bytes}), -188683207);
  EXPECT_EQ(HashOf(Bin(bytes)), -188683207);

  EXPECT_FALSE(BucketHash(Value{Type::Double(), 1.0}).ok());
  EXPECT_FALSE(BucketHash(Value{Type::Boolean(), true}).ok());
  EXPECT_FALSE(BucketHash(Value{Type::Int(), int64_t{1}}).ok());  // wrong representation
}

TEST(IcebergTransformsTest, BucketApply) {
  // bucket_N(x) = (hash & Integer.MAX_VALUE) % N, also for negative hashes.
  EXPECT_EQ(ApplyInt(Bucket(16), Int(34)), (2017239379 & 0x7fffffff) % 16);
  EXPECT_EQ(ApplyInt(Bucket(16), Int(34)), 3);
  EXPECT_EQ(ApplyInt(Bucket(100), Bin(std::string("\x00\x01\x02\x03", 4))),
            (-188683207 & 0x7fffffff) % 100);
  EXPECT_EQ(ApplyInt(Bucket(7), Str("iceberg")), (1210000089 & 0x7fffffff) % 7);
  // int and long agree, so promoting int to long keeps buckets.
  for (int32_t v : {0, 1, -1, 12345, INT32_MIN, INT32_MAX}) {
    EXPECT_EQ(ApplyInt(Bucket(13), Int(v)), ApplyInt(Bucket(13), Long(v)));
  }
  auto null_result = ApplyTransform(Bucket(4), Value{Type::String(), {}});
  ASSERT_TRUE(null_result.ok());
  EXPECT_TRUE(null_result->is_null());
  EXPECT_TRUE(null_result->type->Equals(*Type::Int()));
}

TEST(IcebergTransformsTest, SpecTruncateExamples) {
  auto apply = [](const Transform& t, const Value& v) {
    auto r = ApplyTransform(t, v);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Value{};
  };
  EXPECT_EQ(apply(Truncate(10), Int(1)).get<int32_t>(), 0);
  EXPECT_EQ(apply(Truncate(10), Int(-1)).get<int32_t>(), -10);
  EXPECT_EQ(apply(Truncate(10), Int(10)).get<int32_t>(), 10);
  EXPECT_EQ(apply(Truncate(10), Int(-10)).get<int32_t>(), -10);
  EXPECT_EQ(apply(Truncate(10), Int(-11)).get<int32_t>(), -20);
  EXPECT_EQ(apply(Truncate(10), Long(1)).get<int64_t>(), 0);
  EXPECT_EQ(apply(Truncate(10), Long(-1)).get<int64_t>(), -10);
  EXPECT_EQ(apply(Truncate(1000), Long(int64_t{1} << 40)).get<int64_t>(),
            (int64_t{1} << 40) / 1000 * 1000);
  // W=50, s=2: 10.65 -> 10.50; negative values round down.
  const Value d = apply(Truncate(50), Dec(9, 2, 1065));
  EXPECT_EQ(d.get<__int128>(), 1050);
  EXPECT_TRUE(d.type->Equals(*Type::Decimal(9, 2)));
  EXPECT_EQ(apply(Truncate(50), Dec(9, 2, -1065)).get<__int128>(), -1100);
  EXPECT_EQ(apply(Truncate(3), Str("iceberg")).get<std::string>(), "ice");
  EXPECT_EQ(apply(Truncate(10), Str("ice")).get<std::string>(), "ice");
  // Code points, not bytes: "é" is 2 bytes, "😀" 4.
  EXPECT_EQ(apply(Truncate(2), Str("\xC3\xA9\xF0\x9F\x98\x80x")).get<std::string>(),
            "\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(apply(Truncate(2), Bin("\x01\x02\x03")).get<std::string>(), "\x01\x02");
  EXPECT_FALSE(ApplyTransform(Truncate(2), Str("\xC3")).ok());  // malformed UTF-8
}

TEST(IcebergTransformsTest, TemporalTransformsPositive) {
  const Value date = Date(DaysFromCivil(2017, 11, 16));
  EXPECT_EQ(ApplyInt(Transform::Year(), date), 47);
  EXPECT_EQ(ApplyInt(Transform::Month(), date), 47 * 12 + 10);
  EXPECT_EQ(ApplyInt(Transform::Day(), date), DaysFromCivil(2017, 11, 16));
  const int64_t ts = Micros(2017, 11, 16, 22, 31, 8);
  for (const Value& v : {Ts(ts), TsTz(ts)}) {
    EXPECT_EQ(ApplyInt(Transform::Year(), v), 47);
    EXPECT_EQ(ApplyInt(Transform::Month(), v), 47 * 12 + 10);
    EXPECT_EQ(ApplyInt(Transform::Day(), v), DaysFromCivil(2017, 11, 16));
    EXPECT_EQ(ApplyInt(Transform::Hour(), v), DaysFromCivil(2017, 11, 16) * 24 + 22);
  }
  // Leap day boundaries.
  EXPECT_EQ(ApplyInt(Transform::Month(), Date(DaysFromCivil(2000, 2, 29))), 30 * 12 + 1);
  EXPECT_EQ(ApplyInt(Transform::Month(), Date(DaysFromCivil(2000, 3, 1))), 30 * 12 + 2);
}

// Pre-1970 values floor toward the earlier period; truncating toward zero would put
// 1969-12-31T23:59:59.999999 into 1970.
TEST(IcebergTransformsTest, TemporalTransformsNegative) {
  for (const Value& v : {Ts(-1), TsTz(-1)}) {
    EXPECT_EQ(ApplyInt(Transform::Year(), v), -1);
    EXPECT_EQ(ApplyInt(Transform::Month(), v), -1);
    EXPECT_EQ(ApplyInt(Transform::Day(), v), -1);
    EXPECT_EQ(ApplyInt(Transform::Hour(), v), -1);
  }
  EXPECT_EQ(ApplyInt(Transform::Hour(), Ts(-3600 * kMicrosPerSecond)), -1);
  EXPECT_EQ(ApplyInt(Transform::Hour(), Ts(-3600 * kMicrosPerSecond - 1)), -2);
  EXPECT_EQ(ApplyInt(Transform::Day(), Ts(-kMicrosPerDay)), -1);
  EXPECT_EQ(ApplyInt(Transform::Day(), Ts(-kMicrosPerDay - 1)), -2);
  EXPECT_EQ(ApplyInt(Transform::Year(), Date(-1)), -1);
  EXPECT_EQ(ApplyInt(Transform::Month(), Date(-1)), -1);
  EXPECT_EQ(ApplyInt(Transform::Year(), Date(DaysFromCivil(1969, 1, 1))), -1);
  EXPECT_EQ(ApplyInt(Transform::Month(), Date(DaysFromCivil(1969, 1, 1))), -12);
  EXPECT_EQ(ApplyInt(Transform::Year(), Date(DaysFromCivil(1968, 12, 31))), -2);
  EXPECT_EQ(ApplyInt(Transform::Month(), Date(DaysFromCivil(1968, 12, 31))), -13);
  const int64_t ts = Micros(1900, 3, 1, 5, 0, 0) + 17;
  EXPECT_EQ(ApplyInt(Transform::Year(), Ts(ts)), -70);
  EXPECT_EQ(ApplyInt(Transform::Month(), Ts(ts)), -70 * 12 + 2);
  EXPECT_EQ(ApplyInt(Transform::Day(), Ts(ts)), DaysFromCivil(1900, 3, 1));
  EXPECT_EQ(ApplyInt(Transform::Hour(), Ts(ts)), DaysFromCivil(1900, 3, 1) * 24 + 5);
}

// Walks the calendar a day at a time over four centuries (including the 1900 and 2100
// non-leap and the 2000 leap centuries) and checks year and month against the walk.
TEST(IcebergTransformsTest, YearMonthMatchCalendarWalk) {
  int64_t y = 1800;
  int m = 1, d = 1;
  const int64_t first = DaysFromCivil(1800, 1, 1);
  const int64_t last = DaysFromCivil(2200, 1, 1);
  for (int64_t days = first; days < last; ++days) {
    const Value v = Date(days);
    ASSERT_EQ(ApplyInt(Transform::Year(), v), y - 1970) << days;
    ASSERT_EQ(ApplyInt(Transform::Month(), v), (y - 1970) * 12 + (m - 1)) << days;
    if (++d > DaysInMonth(y, m)) {
      d = 1;
      if (++m > 12) {
        m = 1;
        ++y;
      }
    }
  }
}

TEST(IcebergTransformsTest, VoidAndNulls) {
  auto r = ApplyTransform(Transform::Void(), Int(5));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_null());
  for (const Transform& t : {Transform::Identity(), Transform::Year(), Transform::Day(),
                             Transform::Hour(), Truncate(3), Bucket(3)}) {
    auto n = ApplyTransform(t, Value{Type::Timestamp(), {}});
    if (t.kind() == TransformKind::kTruncate) {
      EXPECT_FALSE(n.ok());  // truncate does not apply to timestamps
      continue;
    }
    ASSERT_TRUE(n.ok()) << t.ToString();
    EXPECT_TRUE(n->is_null()) << t.ToString();
  }
  auto id = ApplyTransform(Transform::Identity(), Str("x"));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->get<std::string>(), "x");
}

// The columnar path must agree with Apply, value by value, nulls included.
void CheckColumnMatchesApply(const Transform& t, const TypePtr& source,
                             const std::vector<Value>& values) {
  Column in(source);
  for (const Value& v : values) {
    if (v.is_null()) {
      in.AppendNull();
    } else if (auto* i32 = std::get_if<int32_t>(&v.v)) {
      in.AppendInt32(*i32);
    } else if (auto* i64 = std::get_if<int64_t>(&v.v)) {
      in.AppendInt64(*i64);
    } else if (auto* dec = std::get_if<__int128>(&v.v)) {
      in.AppendDecimal(*dec);
    } else if (auto* b = std::get_if<bool>(&v.v)) {
      in.AppendBool(*b);
    } else {
      in.AppendBytes(v.get<std::string>());
    }
  }
  auto result_type = t.ResultType(*source);
  ASSERT_TRUE(result_type.ok()) << t.ToString();
  Column out(*result_type);
  ASSERT_TRUE(ApplyTransformToColumn(t, in, &out).ok()) << t.ToString();
  ASSERT_EQ(out.length(), in.length());
  ASSERT_TRUE(out.Validate(false).ok());
  for (size_t i = 0; i < values.size(); ++i) {
    auto expected = ApplyTransform(t, values[i]);
    ASSERT_TRUE(expected.ok());
    if (expected->is_null()) {
      EXPECT_TRUE(out.IsNull(i)) << t.ToString() << " row " << i;
      continue;
    }
    ASSERT_TRUE(out.IsValid(i)) << t.ToString() << " row " << i;
    const Type& rt = **result_type;
    switch (rt.id()) {
      case TypeId::kInt:
      case TypeId::kDate:
        EXPECT_EQ(out.Value<int32_t>(i), expected->get<int32_t>()) << t.ToString() << " " << i;
        break;
      case TypeId::kLong:
      case TypeId::kTime:
      case TypeId::kTimestamp:
      case TypeId::kTimestampTz:
        EXPECT_EQ(out.Value<int64_t>(i), expected->get<int64_t>()) << t.ToString() << " " << i;
        break;
      case TypeId::kDecimal:
        EXPECT_TRUE(out.Value<__int128>(i) == expected->get<__int128>()) << t.ToString();
        break;
      case TypeId::kBoolean:
        EXPECT_EQ(out.Value<uint8_t>(i) != 0, expected->get<bool>()) << t.ToString() << " " << i;
        break;
      default:
        EXPECT_EQ(out.Bytes(i), expected->get<std::string>()) << t.ToString() << " " << i;
        break;
    }
  }
}

TEST(IcebergTransformsTest, ApplyToColumnMatchesApply) {
  const TypePtr ts = Type::Timestamp();
  std::vector<Value> tss = {Ts(0), Value{ts, {}}, Ts(-1), Ts(Micros(2017, 11, 16, 22, 31, 8)),
                            Ts(Micros(1899, 12, 31, 23, 0, 0))};
  for (const Transform& t : {Transform::Identity(), Transform::Year(), Transform::Month(),
                             Transform::Day(), Transform::Hour(), Bucket(16), Transform::Void()}) {
    CheckColumnMatchesApply(t, ts, tss);
  }
  std::vector<Value> dates = {Date(0), Date(-1), Value{Type::Date(), {}}, Date(17486)};
  for (const Transform& t : {Transform::Year(), Transform::Month(), Transform::Day(), Bucket(5)}) {
    CheckColumnMatchesApply(t, Type::Date(), dates);
  }
  std::vector<Value> ints = {Int(34), Int(-1), Value{Type::Int(), {}}, Int(INT32_MIN)};
  for (const Transform& t : {Transform::Identity(), Bucket(16), Truncate(10)}) {
    CheckColumnMatchesApply(t, Type::Int(), ints);
  }
  std::vector<Value> longs = {Long(34), Long(-1), Long(INT64_MAX)};
  CheckColumnMatchesApply(Truncate(7), Type::Long(), longs);
  CheckColumnMatchesApply(Bucket(7), Type::Long(), longs);
  const TypePtr dec = Type::Decimal(9, 2);
  std::vector<Value> decs = {Value{dec, __int128{1065}}, Value{dec, __int128{-1065}},
                             Value{dec, {}}};
  CheckColumnMatchesApply(Truncate(50), dec, decs);
  CheckColumnMatchesApply(Bucket(50), dec, decs);
  std::vector<Value> strs = {Str("iceberg"), Value{Type::String(), {}}, Str(""),
                             Str("\xC3\xA9\xF0\x9F\x98\x80xyz")};
  for (const Transform& t : {Transform::Identity(), Truncate(2), Bucket(9)}) {
    CheckColumnMatchesApply(t, Type::String(), strs);
  }
  const TypePtr uuid = Type::Uuid();
  std::vector<Value> uuids = {Value{uuid, std::string(16, '\x01')}, Value{uuid, {}}};
  CheckColumnMatchesApply(Bucket(4), uuid, uuids);
  CheckColumnMatchesApply(Transform::Identity(), uuid, uuids);
  std::vector<Value> bools = {Value{Type::Boolean(), true}, Value{Type::Boolean(), false}};
  CheckColumnMatchesApply(Transform::Identity(), Type::Boolean(), bools);
}

TEST(IcebergTransformsTest, ApplyToColumnChecksOutputType) {
  Column in(Type::Timestamp());
  in.AppendInt64(0);
  Column wrong(Type::Int());
  EXPECT_FALSE(ApplyTransformToColumn(Transform::Day(), in, &wrong).ok());  // day gives date
  Column right(Type::Date());
  EXPECT_TRUE(ApplyTransformToColumn(Transform::Day(), in, &right).ok());
  EXPECT_FALSE(ApplyTransformToColumn(Transform::Hour(), Column(Type::Date()), &wrong).ok());
}

}  // namespace
}  // namespace nilus::iceberg
