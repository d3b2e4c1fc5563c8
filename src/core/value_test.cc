#include "core/value.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace nilus {
namespace {

__int128 Pow10(int n) {
  __int128 v = 1;
  while (n-- > 0) v *= 10;
  return v;
}

TEST(ValueTest, DecimalToString) {
  EXPECT_EQ(DecimalToString(12345, 2), "123.45");
  EXPECT_EQ(DecimalToString(-12345, 2), "-123.45");
  EXPECT_EQ(DecimalToString(123, 0), "123");
  EXPECT_EQ(DecimalToString(0, 0), "0");
  EXPECT_EQ(DecimalToString(0, 2), "0.00");
  // Scale larger than the number of digits.
  EXPECT_EQ(DecimalToString(5, 3), "0.005");
  EXPECT_EQ(DecimalToString(-5, 3), "-0.005");
  EXPECT_EQ(DecimalToString(12, 2), "0.12");
  EXPECT_EQ(DecimalToString(-1, 10), "-0.0000000001");
  // Precision 38 at both signs.
  const __int128 max38 = Pow10(38) - 1;
  EXPECT_EQ(DecimalToString(max38, 0), std::string(38, '9'));
  EXPECT_EQ(DecimalToString(-max38, 38), "-0." + std::string(38, '9'));
  EXPECT_EQ(DecimalToString(Pow10(37), 37), "1." + std::string(37, '0'));
  // The most negative __int128 has no positive counterpart.
  const __int128 min128 = static_cast<__int128>(static_cast<unsigned __int128>(1) << 127);
  EXPECT_TRUE(min128 < 0);
  EXPECT_EQ(DecimalToString(min128, 0), "-170141183460469231731687303715884105728");
}

TEST(ValueTest, DateToString) {
  EXPECT_EQ(DateToString(0), "1970-01-01");
  EXPECT_EQ(DateToString(-1), "1969-12-31");
  EXPECT_EQ(DateToString(-25567), "1900-01-01");
  EXPECT_EQ(DateToString(-719162), "0001-01-01");
  EXPECT_EQ(DateToString(11016), "2000-02-29");
  EXPECT_EQ(DateToString(47541), "2100-03-01");
  EXPECT_EQ(DateToString(106751), "2262-04-11");
  EXPECT_EQ(DateToString(2932896), "9999-12-31");
  EXPECT_EQ(DateToString(2932897), "10000-01-01");
}

TEST(ValueTest, TimeToString) {
  EXPECT_EQ(TimeToString(0), "00:00:00.000000");
  EXPECT_EQ(TimeToString(86399999999), "23:59:59.999999");
  EXPECT_EQ(TimeToString(3723000004), "01:02:03.000004");
}

TEST(ValueTest, TimestampToString) {
  EXPECT_EQ(TimestampToString(0), "1970-01-01T00:00:00.000000");
  EXPECT_EQ(TimestampToString(1), "1970-01-01T00:00:00.000001");
  EXPECT_EQ(TimestampToString(-1), "1969-12-31T23:59:59.999999");
  EXPECT_EQ(TimestampToString(-86400000000), "1969-12-31T00:00:00.000000");
  EXPECT_EQ(TimestampToString(-86400000001), "1969-12-30T23:59:59.999999");
  // 2023-11-14T22:13:20.123456Z
  EXPECT_EQ(TimestampToString(1700000000123456), "2023-11-14T22:13:20.123456");
  // 2100-03-01T12:00:00
  EXPECT_EQ(TimestampToString(47541LL * 86400000000 + 12LL * 3600000000),
            "2100-03-01T12:00:00.000000");
  // The extremes must not overflow (UBSan checks this build).
  std::string lowest = TimestampToString(std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(lowest.ends_with("T19:59:05.224192")) << lowest;
  std::string highest = TimestampToString(std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(highest.ends_with("T04:00:54.775807")) << highest;
}

TEST(ValueTest, HexEncode) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexEncode(std::string_view("\x00\x0f\xab\xff", 4)), "000fabff");
}

TEST(ValueTest, ValueToString) {
  EXPECT_EQ((Value{Type::Int(), {}}).ToString(), "null");
  EXPECT_TRUE((Value{Type::Int(), {}}).is_null());
  EXPECT_EQ((Value{Type::Boolean(), true}).ToString(), "true");
  EXPECT_EQ((Value{Type::Int(), int32_t{-7}}).ToString(), "-7");
  EXPECT_EQ((Value{Type::Long(), int64_t{1} << 40}).ToString(), "1099511627776");
  EXPECT_EQ((Value{Type::Double(), 0.25}).ToString(), "0.25");
  EXPECT_EQ((Value{Type::Decimal(10, 2), __int128{-150}}).ToString(), "-1.50");
  EXPECT_EQ((Value{Type::Date(), int32_t{-1}}).ToString(), "1969-12-31");
  EXPECT_EQ((Value{Type::Time(), int64_t{1}}).ToString(), "00:00:00.000001");
  EXPECT_EQ((Value{Type::Timestamp(), int64_t{0}}).ToString(), "1970-01-01T00:00:00.000000");
  EXPECT_EQ((Value{Type::TimestampTz(), int64_t{0}}).ToString(),
            "1970-01-01T00:00:00.000000+00:00");
  EXPECT_EQ((Value{Type::String(), std::string("héllo")}).ToString(), "héllo");
  EXPECT_EQ((Value{Type::Binary(), std::string("\x01\x02", 2)}).ToString(), "0102");
  Value v{Type::Long(), int64_t{5}};
  EXPECT_EQ(v.get<int64_t>(), 5);
}

}  // namespace
}  // namespace nilus
