// Unit tests of the binary decoders on hand-built send-format bytes (no server needed). The
// server-checked tests, which compare against PostgreSQL's own output, are in
// pg_extract_test.cc.
#include "extract/postgres/pg_binary.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "core/value.h"

namespace nilus {
namespace {

// Big-endian byte builders.
struct Bytes {
  std::string s;
  Bytes& I16(int16_t v) {
    s.push_back(static_cast<char>((v >> 8) & 0xff));
    s.push_back(static_cast<char>(v & 0xff));
    return *this;
  }
  Bytes& I32(int32_t v) {
    for (int sh = 24; sh >= 0; sh -= 8) s.push_back(static_cast<char>((v >> sh) & 0xff));
    return *this;
  }
  Bytes& I64(int64_t v) {
    for (int sh = 56; sh >= 0; sh -= 8) s.push_back(static_cast<char>((v >> sh) & 0xff));
    return *this;
  }
  Bytes& Raw(std::string_view r) {
    s.append(r);
    return *this;
  }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(s.data()); }
  int32_t len() const { return static_cast<int32_t>(s.size()); }
};

Bytes Numeric(std::vector<int16_t> digits, int16_t weight, uint16_t sign, int16_t dscale) {
  Bytes b;
  b.I16(static_cast<int16_t>(digits.size()))
      .I16(weight)
      .I16(static_cast<int16_t>(sign))
      .I16(dscale);
  for (int16_t d : digits) b.I16(d);
  return b;
}

PgValueDecoder Dec(PgWireKind kind, TypePtr target, bool required = false) {
  PgValueDecoder d;
  d.kind = kind;
  d.target = std::move(target);
  d.required = required;
  d.column = "c";
  return d;
}

TEST(PgBinaryTest, NumericText) {
  std::string out;
  struct Case {
    Bytes bytes;
    const char* text;
  };
  const std::vector<Case> cases = {
      {Numeric({123, 4500}, 0, 0, 2), "123.45"},
      {Numeric({1}, -1, 0, 4), "0.0001"},
      {Numeric({1}, 1, 0, 0), "10000"},
      {Numeric({12, 3456, 7890}, 1, 0x4000, 3), "-123456.789"},
      {Numeric({}, 0, 0, 3), "0.000"},
      {Numeric({}, 0, 0xC000, 0), "NaN"},
      {Numeric({}, 0, 0xD000, 0), "Infinity"},
      {Numeric({}, 0, 0xF000, 0), "-Infinity"},
  };
  for (const auto& c : cases) {
    ASSERT_TRUE(PgNumericToString(c.bytes.data(), c.bytes.len(), &out).ok());
    EXPECT_EQ(out, c.text);
  }
  Bytes bad = Numeric({10000}, 0, 0, 0);  // a base-10000 digit out of range
  EXPECT_EQ(PgNumericToString(bad.data(), bad.len(), &out).code(), StatusCode::kCorruption);
}

TEST(PgBinaryTest, NumericToDecimalIsExact) {
  PgDecodeContext ctx;
  Column col(Type::Decimal(7, 3));
  PgValueDecoder d = Dec(PgWireKind::kNumeric, Type::Decimal(7, 3));
  Bytes a = Numeric({1234, 5670}, 0, 0x4000, 3);  // -1234.567
  ASSERT_TRUE(PgDecodeValue(d, a.data(), a.len(), &col, &ctx).ok());
  Bytes b = Numeric({1000}, 0, 0, 0);  // 1000
  ASSERT_TRUE(PgDecodeValue(d, b.data(), b.len(), &col, &ctx).ok());
  EXPECT_EQ(DecimalToString(col.Value<__int128>(0), 3), "-1234.567");
  EXPECT_EQ(DecimalToString(col.Value<__int128>(1), 3), "1000.000");
  // 5 integer digits do not fit decimal(7,3); 4 fractional digits do not either.
  Bytes big = Numeric({1}, 1, 0, 0);  // 10000: 5 integer digits
  Status st = PgDecodeValue(d, big.data(), big.len(), &col, &ctx);
  EXPECT_EQ(st.code(), StatusCode::kTypeError);
  EXPECT_NE(st.message().find("10000"), std::string::npos) << st.message();
  Bytes frac = Numeric({1, 2345}, 0, 0, 4);  // 1.2345
  EXPECT_EQ(PgDecodeValue(d, frac.data(), frac.len(), &col, &ctx).code(), StatusCode::kTypeError);
}

TEST(PgBinaryTest, NumericAtTheEdgesOfDecimal38) {
  PgDecodeContext ctx;
  // 10^38 - 1: 99 then nine groups of 9999.
  std::vector<int16_t> nines = {99};
  for (int i = 0; i < 9; ++i) nines.push_back(9999);
  Bytes max = Numeric(nines, 9, 0x4000, 0);
  Column d38(Type::Decimal(38, 0));
  ASSERT_TRUE(PgDecodeValue(Dec(PgWireKind::kNumeric, Type::Decimal(38, 0)), max.data(), max.len(),
                            &d38, &ctx)
                  .ok());
  EXPECT_EQ(d38.Value<__int128>(0), -MaxDecimalUnscaled(38));
  Bytes over = Numeric({100}, 9, 0, 0);  // 10^38
  EXPECT_EQ(PgDecodeValue(Dec(PgWireKind::kNumeric, Type::Decimal(38, 0)), over.data(), over.len(),
                          &d38, &ctx)
                .code(),
            StatusCode::kTypeError);
  // 29 nines . 9 nines into decimal(38,9): the padded last group must not overflow.
  // Integer part: 9 | 9999 x 7 (weight 7); fraction: 9999 9999 9000 (dscale 9).
  std::vector<int16_t> digits = {9};
  for (int i = 0; i < 7; ++i) digits.push_back(9999);
  for (int16_t g : {9999, 9999, 9000}) digits.push_back(g);
  Bytes b = Numeric(digits, 7, 0, 9);
  std::string text;
  ASSERT_TRUE(PgNumericToString(b.data(), b.len(), &text).ok());
  ASSERT_EQ(text, "99999999999999999999999999999.999999999");
  Column d(Type::Decimal(38, 9));
  ASSERT_TRUE(
      PgDecodeValue(Dec(PgWireKind::kNumeric, Type::Decimal(38, 9)), b.data(), b.len(), &d, &ctx)
          .ok());
  EXPECT_EQ(DecimalToString(d.Value<__int128>(0), 9), text);
}

TEST(PgBinaryTest, NumericSpecialPolicy) {
  PgDecodeContext ctx;
  Column col(Type::Decimal(10, 2));
  Bytes nan = Numeric({}, 0, 0xC000, 0);
  ASSERT_TRUE(PgDecodeValue(Dec(PgWireKind::kNumeric, Type::Decimal(10, 2)), nan.data(), nan.len(),
                            &col, &ctx)
                  .ok());
  EXPECT_TRUE(col.IsNull(0));
  EXPECT_EQ(ctx.stats.numeric_special_nulls, 1);
  // Required column: the null policy cannot apply.
  EXPECT_EQ(PgDecodeValue(Dec(PgWireKind::kNumeric, Type::Decimal(10, 2), true), nan.data(),
                          nan.len(), &col, &ctx)
                .code(),
            StatusCode::kTypeError);
  ctx.options.numeric_special = PgSpecialValuePolicy::kError;
  EXPECT_EQ(PgDecodeValue(Dec(PgWireKind::kNumeric, Type::Decimal(10, 2)), nan.data(), nan.len(),
                          &col, &ctx)
                .code(),
            StatusCode::kTypeError);
  // Into a string column it is kept as text.
  Column s(Type::String());
  ASSERT_TRUE(
      PgDecodeValue(Dec(PgWireKind::kNumeric, Type::String()), nan.data(), nan.len(), &s, &ctx)
          .ok());
  EXPECT_EQ(s.Bytes(0), "NaN");
}

TEST(PgBinaryTest, IntervalIso8601) {
  struct Case {
    int64_t us;
    int32_t days, months;
    const char* text;
  };
  const std::vector<Case> cases = {
      {0, 0, 0, "PT0S"},
      {4 * 3600000000LL + 5 * 60000000LL + 6500000, 3, 14, "P1Y2M3DT4H5M6.5S"},
      {-(4 * 3600000000LL + 5 * 60000000LL + 6000000), 3, -14, "P-1Y-2M3DT-4H-5M-6S"},
      {1, 0, 0, "PT0.000001S"},
      {-500000, 0, 0, "PT-0.5S"},
      {0, 0, 12, "P1Y"},
  };
  std::string out;
  for (const auto& c : cases) {
    Bytes b;
    b.I64(c.us).I32(c.days).I32(c.months);
    ASSERT_TRUE(PgIntervalToIso8601(b.data(), b.len(), &out).ok());
    EXPECT_EQ(out, c.text);
  }
}

TEST(PgBinaryTest, DatesAndTimestampsShiftEpochAndApplyInfinityPolicy) {
  PgDecodeContext ctx;
  Column d(Type::Date());
  Bytes zero;
  zero.I32(0);
  Bytes inf;
  inf.I32(std::numeric_limits<int32_t>::max());
  ASSERT_TRUE(PgDecodeValue(Dec(PgWireKind::kDate, Type::Date()), zero.data(), 4, &d, &ctx).ok());
  EXPECT_EQ(d.Value<int32_t>(0), kPgEpochDays);
  EXPECT_EQ(DateToString(d.Value<int32_t>(0)), "2000-01-01");
  ASSERT_TRUE(PgDecodeValue(Dec(PgWireKind::kDate, Type::Date()), inf.data(), 4, &d, &ctx).ok());
  EXPECT_TRUE(d.IsNull(1));
  EXPECT_EQ(ctx.stats.infinity_nulls, 1);
  ctx.options.infinity = PgSpecialValuePolicy::kClamp;
  ASSERT_TRUE(PgDecodeValue(Dec(PgWireKind::kDate, Type::Date()), inf.data(), 4, &d, &ctx).ok());
  EXPECT_EQ(DateToString(d.Value<int32_t>(2)), "9999-12-31");

  Column ts(Type::Timestamp());
  Bytes ninf;
  ninf.I64(std::numeric_limits<int64_t>::min());
  ASSERT_TRUE(
      PgDecodeValue(Dec(PgWireKind::kTimestamp, Type::Timestamp()), ninf.data(), 8, &ts, &ctx)
          .ok());
  EXPECT_EQ(TimestampToString(ts.Value<int64_t>(0)), "0001-01-01T00:00:00.000000");
  EXPECT_EQ(ctx.stats.infinity_clamped, 2);
  ctx.options.infinity = PgSpecialValuePolicy::kError;
  EXPECT_EQ(PgDecodeValue(Dec(PgWireKind::kTimestamp, Type::Timestamp()), ninf.data(), 8, &ts, &ctx)
                .code(),
            StatusCode::kTypeError);
}

TEST(PgBinaryTest, ArraysFlattenAndKeepNullElements) {
  auto elem = std::make_shared<PgValueDecoder>(Dec(PgWireKind::kInt4, Type::Int()));
  PgValueDecoder d = Dec(PgWireKind::kArray, Type::List(2, Type::Int(), false));
  d.element = elem;
  d.element_oid = 23;
  // {{1,NULL},{3,4}}: 2 dimensions of 2, lower bounds 1.
  Bytes b;
  b.I32(2).I32(1).I32(23).I32(2).I32(1).I32(2).I32(1);
  b.I32(4).I32(1).I32(-1).I32(4).I32(3).I32(4).I32(4);
  Bytes empty;
  empty.I32(0).I32(0).I32(23);
  Column col(d.target);
  PgDecodeContext ctx;
  ASSERT_TRUE(PgDecodeValue(d, b.data(), b.len(), &col, &ctx).ok());
  ASSERT_TRUE(PgDecodeValue(d, empty.data(), empty.len(), &col, &ctx).ok());
  ASSERT_TRUE(PgDecodeValue(d, nullptr, -1, &col, &ctx).ok());
  ASSERT_EQ(col.length(), 3);
  EXPECT_EQ(col.offsets()[1] - col.offsets()[0], 4);
  EXPECT_EQ(col.offsets()[2] - col.offsets()[1], 0);
  EXPECT_TRUE(col.IsValid(1));
  EXPECT_TRUE(col.IsNull(2));
  const Column& e = col.child(0);
  EXPECT_EQ(e.Value<int32_t>(0), 1);
  EXPECT_TRUE(e.IsNull(1));
  EXPECT_EQ(e.Value<int32_t>(2), 3);
  EXPECT_EQ(e.Value<int32_t>(3), 4);
  ASSERT_TRUE(col.Validate(false).ok());

  // A wrong element type or a truncated element is Corruption.
  Bytes wrong;
  wrong.I32(1).I32(0).I32(25).I32(1).I32(1).I32(4).I32(7);
  EXPECT_EQ(PgDecodeValue(d, wrong.data(), wrong.len(), &col, &ctx).code(),
            StatusCode::kCorruption);
  Bytes cut;
  cut.I32(1).I32(0).I32(23).I32(2).I32(1).I32(4).I32(7).I32(4);
  EXPECT_EQ(PgDecodeValue(d, cut.data(), cut.len(), &col, &ctx).code(), StatusCode::kCorruption);
}

TEST(PgBinaryTest, FixedWidthLengthsAreChecked) {
  PgDecodeContext ctx;
  Column c(Type::Int());
  Bytes three;
  three.Raw("abc");
  Status st = PgDecodeValue(Dec(PgWireKind::kInt4, Type::Int()), three.data(), 3, &c, &ctx);
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  Column j(Type::String());
  Bytes jsonb;
  jsonb.Raw("\x02{}");
  EXPECT_EQ(
      PgDecodeValue(Dec(PgWireKind::kJsonb, Type::String()), jsonb.data(), 3, &j, &ctx).code(),
      StatusCode::kCorruption);
}

}  // namespace
}  // namespace nilus
