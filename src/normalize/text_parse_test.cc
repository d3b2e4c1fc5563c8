#include "normalize/text_parse.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/value.h"

namespace nilus::normalize {
namespace {

TEST(TextParse, InferKinds) {
  const std::pair<const char*, TextKind> cases[] = {
      {"true", TextKind::kBool},
      {"FALSE", TextKind::kBool},
      {"tru", TextKind::kString},
      {"0", TextKind::kLong},
      {"-17", TextKind::kLong},
      {"+5", TextKind::kLong},
      {"007", TextKind::kString},
      {"9223372036854775807", TextKind::kLong},
      {"9223372036854775808", TextKind::kBigInteger},
      {"123456789012345678901234567890123456789", TextKind::kDouble},  // 39 digits
      {"1.5", TextKind::kDouble},
      {".5", TextKind::kDouble},
      {"1e10", TextKind::kDouble},
      {"1e", TextKind::kString},
      {"nan", TextKind::kString},
      {"2024-02-29", TextKind::kDate},
      {"2023-02-29", TextKind::kString},
      {"2024-01-31 10:00:00", TextKind::kTimestamp},
      {"2024-01-31T10:00", TextKind::kTimestamp},
      {"2024-01-31T10:00:00.123456789", TextKind::kTimestamp},
      {"2024-01-31T10:00:00Z", TextKind::kTimestampTz},
      {"2024-01-31T10:00:00+0530", TextKind::kTimestampTz},
      {"2024-01-31T25:00:00", TextKind::kString},
      {"hello", TextKind::kString},
      {"", TextKind::kString},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(static_cast<int>(InferTextKind(in)), static_cast<int>(want)) << in;
  }
}

TEST(TextParse, Timestamps) {
  int64_t us = 0;
  ASSERT_TRUE(ParseTimestampText("1970-01-01T00:00:01.5", &us));
  EXPECT_EQ(us, 1500000);
  ASSERT_TRUE(ParseTimestampTzText("2024-01-31T12:00:00+02:00", &us));
  EXPECT_EQ(TimestampToString(us), "2024-01-31T10:00:00.000000");
  ASSERT_TRUE(ParseTimestampTzText("2024-01-31T00:30:00-01", &us));
  EXPECT_EQ(TimestampToString(us), "2024-01-31T01:30:00.000000");
  EXPECT_FALSE(ParseTimestampText("2024-01-31T10:00:00Z", &us));
  EXPECT_FALSE(ParseTimestampTzText("2024-01-31T10:00:00", &us));
  int32_t days = 0;
  ASSERT_TRUE(ParseDateText("1969-12-31", &days));
  EXPECT_EQ(days, -1);
  ASSERT_TRUE(ParseDateText("2000-03-01", &days));
  EXPECT_EQ(DateToString(days), "2000-03-01");
  ASSERT_TRUE(ParseTimeText("23:59:59.999999", &us));
  EXPECT_EQ(us, 86399999999);
}

TEST(TextParse, Decimals) {
  __int128 v = 0;
  ASSERT_TRUE(ParseDecimalText("12.5", 10, 2, &v));
  EXPECT_EQ(DecimalToString(v, 2), "12.50");
  ASSERT_TRUE(ParseDecimalText("-0.10", 3, 2, &v));
  EXPECT_EQ(DecimalToString(v, 2), "-0.10");
  ASSERT_TRUE(ParseDecimalText("1.2300", 5, 2, &v));  // trailing zeros beyond the scale
  EXPECT_EQ(DecimalToString(v, 2), "1.23");
  EXPECT_FALSE(ParseDecimalText("1.234", 10, 2, &v));        // would round
  EXPECT_FALSE(ParseDecimalText("123456789.1", 10, 2, &v));  // 11 digits
  EXPECT_FALSE(ParseDecimalText("1e5", 10, 2, &v));
  EXPECT_FALSE(ParseDecimalText(".", 10, 2, &v));
}

TEST(TextParse, Numbers) {
  int64_t i = 0;
  EXPECT_TRUE(ParseLongText("+12", &i));
  EXPECT_EQ(i, 12);
  EXPECT_FALSE(ParseLongText("++12", &i));
  EXPECT_FALSE(ParseLongText("12a", &i));
  EXPECT_FALSE(ParseLongText("9223372036854775808", &i));
  double d = 0;
  EXPECT_TRUE(ParseDoubleText("-Infinity", &d));
  EXPECT_TRUE(std::isinf(d) && d < 0);
  EXPECT_TRUE(ParseDoubleText("2.5e-3", &d));
  EXPECT_DOUBLE_EQ(d, 0.0025);
  EXPECT_FALSE(ParseDoubleText("2.5x", &d));
  bool b = false;
  EXPECT_TRUE(ParseBoolText("True", &b));
  EXPECT_TRUE(b);
  std::string uuid;
  ASSERT_TRUE(ParseUuidText("123e4567-e89b-12d3-a456-426614174000", &uuid));
  EXPECT_EQ(HexEncode(uuid), "123e4567e89b12d3a456426614174000");
}

}  // namespace
}  // namespace nilus::normalize
