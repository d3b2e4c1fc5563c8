#include "iceberg/conversions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

namespace nilus::iceberg {
namespace {

std::string Hex(std::string_view s) { return HexEncode(s); }

std::string ToBin(const Value& v) {
  auto r = ToBinary(v);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::string();
}

// Serializes, checks the bytes, parses back and checks the value survives.
template <typename T>
void RoundTrip(const TypePtr& type, T v, const std::string& expected_hex) {
  const Value value{type, v};
  const std::string bytes = ToBin(value);
  EXPECT_EQ(Hex(bytes), expected_hex) << type->ToString();
  auto back = FromBinary(type, bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(std::holds_alternative<T>(back->v)) << type->ToString();
  EXPECT_TRUE(back->get<T>() == v) << type->ToString();
  EXPECT_TRUE(back->type->Equals(*type));
}

__int128 Pow10(int n) {
  __int128 v = 1;
  while (n-- > 0) v *= 10;
  return v;
}

TEST(IcebergConversionsTest, PrimitiveRoundTrips) {
  RoundTrip(Type::Boolean(), true, "01");
  RoundTrip(Type::Boolean(), false, "00");
  RoundTrip(Type::Int(), int32_t{1}, "01000000");  // the spec's lower-bounds example
  RoundTrip(Type::Int(), int32_t{-2}, "feffffff");
  RoundTrip(Type::Int(), std::numeric_limits<int32_t>::min(), "00000080");
  RoundTrip(Type::Date(), int32_t{17486}, "4e440000");
  RoundTrip(Type::Long(), int64_t{34}, "2200000000000000");
  RoundTrip(Type::Long(), int64_t{-1}, "ffffffffffffffff");
  RoundTrip(Type::Time(), int64_t{81068000000}, "008307e012000000");
  RoundTrip(Type::Timestamp(), int64_t{1510871468000000}, "00c3262d215e0500");
  RoundTrip(Type::TimestampTz(), int64_t{-1}, "ffffffffffffffff");
  RoundTrip(Type::Float(), 1.0f, "0000803f");
  RoundTrip(Type::Float(), -0.0f, "00000080");
  RoundTrip(Type::Double(), 1.0, "000000000000f03f");
  RoundTrip(Type::Double(), -2.5, "00000000000004c0");
  RoundTrip(Type::String(), std::string("iceberg"), "69636562657267");
  RoundTrip(Type::String(), std::string(), "");
  RoundTrip(Type::Binary(), std::string("\x00\xff", 2), "00ff");
  RoundTrip(Type::Fixed(3), std::string("\x01\x02\x03"), "010203");
  RoundTrip(Type::Uuid(),
            std::string("\xF7\x9C\x3E\x09\x67\x7C\x4B\xBD\xA4\x79\x3F\x34\x9C\xB7\x85\xE7", 16),
            "f79c3e09677c4bbda4793f349cb785e7");
}

TEST(IcebergConversionsTest, DecimalMinimalBigEndian) {
  const TypePtr dec = Type::Decimal(38, 2);
  RoundTrip(dec, __int128{1420}, "058c");  // 14.20
  RoundTrip(dec, __int128{0}, "00");
  RoundTrip(dec, __int128{1}, "01");
  RoundTrip(dec, __int128{-1}, "ff");
  RoundTrip(dec, __int128{127}, "7f");
  RoundTrip(dec, __int128{128}, "0080");
  RoundTrip(dec, __int128{-128}, "80");
  RoundTrip(dec, __int128{-129}, "ff7f");
  RoundTrip(dec, __int128{255}, "00ff");
  RoundTrip(dec, __int128{-256}, "ff00");
  RoundTrip(dec, __int128{32767}, "7fff");
  RoundTrip(dec, __int128{32768}, "008000");
  // 10^38 - 1 needs all 16 bytes (0x4B3B4CA85A86C47A098A223FFFFFFFFF).
  RoundTrip(dec, Pow10(38) - 1, "4b3b4ca85a86c47a098a223fffffffff");
  RoundTrip(dec, -(Pow10(38) - 1), "b4c4b357a5793b85f675ddc000000001");
  // Every length from 1 to 16 bytes round-trips at its sign boundaries.
  for (int bits = 1; bits < 127; ++bits) {
    for (__int128 v : {(__int128{1} << bits) - 1, -(__int128{1} << bits), __int128{1} << bits}) {
      const std::string b = DecimalToMinimalBytes(v);
      EXPECT_EQ(b.size(),
                static_cast<size_t>((bits + 1 + (v >= (__int128{1} << bits) ? 1 : 0) + 7) / 8))
          << bits;
      auto back = DecimalFromBytes(b);
      ASSERT_TRUE(back.ok());
      EXPECT_TRUE(*back == v) << bits;
    }
  }
  EXPECT_FALSE(DecimalFromBytes("").ok());
  EXPECT_FALSE(DecimalFromBytes(std::string(17, '\0')).ok());
}

TEST(IcebergConversionsTest, PromotedAndInvalidInputs) {
  // A long column may hold bounds written while it was an int (4 bytes).
  auto l = FromBinary(Type::Long(), std::string("\xfe\xff\xff\xff", 4));
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->get<int64_t>(), -2);
  auto d = FromBinary(Type::Double(), std::string("\x00\x00\x80\x3f", 4));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->get<double>(), 1.0);

  EXPECT_FALSE(FromBinary(Type::Int(), "abc").ok());
  EXPECT_FALSE(FromBinary(Type::Long(), "abcdef").ok());
  EXPECT_FALSE(FromBinary(Type::Uuid(), "short").ok());
  EXPECT_FALSE(FromBinary(Type::Fixed(4), "abc").ok());
  EXPECT_FALSE(FromBinary(Type::Boolean(), "").ok());
  EXPECT_FALSE(FromBinary(Type::List(1, Type::Int(), true), "").ok());
  EXPECT_FALSE(ToBinary(Value{Type::Int(), {}}).ok());          // null
  EXPECT_FALSE(ToBinary(Value{Type::Int(), int64_t{1}}).ok());  // wrong variant
  EXPECT_FALSE(ToBinary(Value{Type::Fixed(2), std::string("abc")}).ok());
  EXPECT_FALSE(ToBinary(Value{Type::Struct({}), {}}).ok());
  auto t = FromBinary(Type::Boolean(), "\x02");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->get<bool>());  // any non-zero byte is true
}

TEST(IcebergConversionsTest, TruncateUtf8) {
  auto lower = [](std::string_view s, int w) {
    auto r = TruncateUtf8(s, w);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::string(*r) : std::string("<error>");
  };
  EXPECT_EQ(lower("iceberg", 3), "ice");
  EXPECT_EQ(lower("ice", 3), "ice");
  EXPECT_EQ(lower("", 3), "");
  // Four 4-byte characters (U+1F600..U+1F603) cut to two: 8 bytes, never mid-character.
  const std::string emoji = "\xF0\x9F\x98\x80\xF0\x9F\x98\x81\xF0\x9F\x98\x82\xF0\x9F\x98\x83";
  EXPECT_EQ(lower(emoji, 2), emoji.substr(0, 8));
  EXPECT_EQ(lower("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 3), "a\xC3\xA9\xE2\x82\xAC");
  // Malformed input: truncated sequence, lone continuation, overlong, surrogate, > U+10FFFF.
  for (std::string bad : {"\xC3", "\x80", "\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                          "\xE2\x82", "\xF0\x9F\x98"}) {
    EXPECT_FALSE(TruncateUtf8(bad, 5).ok()) << Hex(bad);
  }
  EXPECT_FALSE(TruncateUtf8("abc", 0).ok());
}

TEST(IcebergConversionsTest, TruncateUtf8Upper) {
  auto upper = [](std::string_view s, int w) -> std::string {
    auto r = TruncateUtf8Upper(s, w);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return "<error>";
    return r->has_value() ? **r : std::string("<none>");
  };
  EXPECT_EQ(upper("iceberg", 3), "icf");
  EXPECT_EQ(upper("ice", 3), "ice");  // short enough: unchanged
  const std::string emoji = "\xF0\x9F\x98\x80\xF0\x9F\x98\x81\xF0\x9F\x98\x82";
  EXPECT_EQ(upper(emoji, 2), "\xF0\x9F\x98\x80\xF0\x9F\x98\x82");
  // U+10FFFF (F4 8F BF BF) cannot be incremented: the one before it is, and the rest drops.
  const std::string max_cp = "\xF4\x8F\xBF\xBF";
  EXPECT_EQ(upper("a" + max_cp + max_cp, 2), "b");
  EXPECT_EQ(upper(max_cp + max_cp, 1), "<none>");
  EXPECT_EQ(upper(max_cp + max_cp + "a", 2), "<none>");
  EXPECT_EQ(upper(max_cp, 1), max_cp);  // fits: the value itself is its bound
  EXPECT_EQ(upper(max_cp, 16), max_cp);
  // The increment may need more bytes: U+007F -> U+0080, U+07FF -> U+0800, U+FFFF -> U+10000.
  EXPECT_EQ(upper("\x7F\x7F", 1), "\xC2\x80");
  EXPECT_EQ(upper("\xDF\xBF!", 1), "\xE0\xA0\x80");
  EXPECT_EQ(upper("\xEF\xBF\xBF!", 1), "\xF0\x90\x80\x80");
  // U+D7FF + 1 is a surrogate, so the bound skips to U+E000.
  EXPECT_EQ(upper("\xED\x9F\xBFz", 1), "\xEE\x80\x80");
  EXPECT_EQ(upper("ab\xC3", 1), "b");  // only the kept part (and one more) is decoded
  EXPECT_FALSE(TruncateUtf8Upper("\xC3"
                                 "abc",
                                 1)
                   .ok());
}

TEST(IcebergConversionsTest, TruncateBinaryUpper) {
  auto upper = [](std::string_view s, int w) {
    auto r = TruncateBinaryUpper(s, w);
    return r ? Hex(*r) : std::string("<none>");
  };
  EXPECT_EQ(upper("\x01\x02\x03", 2), "0103");
  EXPECT_EQ(upper(std::string("\x01\xFF\xFF", 3), 2), "02");
  EXPECT_EQ(upper(std::string("\xFF\xFF\x00", 3), 2), "<none>");
  EXPECT_EQ(upper(std::string("\xFF\xFF", 2), 2), "ffff");  // fits: unchanged
  EXPECT_EQ(upper("", 2), "");
}

TEST(IcebergConversionsTest, BoundValues) {
  const std::string long_text = "abcdefghijklmnopqrstuvwxyz";
  auto lo = TruncateLowerBound(Value{Type::String(), long_text});
  ASSERT_TRUE(lo.ok());
  EXPECT_EQ(lo->get<std::string>(), long_text.substr(0, kDefaultBoundWidth));
  auto hi = TruncateUpperBound(Value{Type::String(), long_text});
  ASSERT_TRUE(hi.ok());
  ASSERT_TRUE(hi->has_value());
  EXPECT_EQ((*hi)->get<std::string>(), "abcdefghijklmnoq");

  auto bin_lo = TruncateLowerBound(Value{Type::Binary(), std::string("\x01\x02\x03")}, 2);
  ASSERT_TRUE(bin_lo.ok());
  EXPECT_EQ(Hex(bin_lo->get<std::string>()), "0102");
  auto bin_hi = TruncateUpperBound(Value{Type::Binary(), std::string(20, '\xFF')});
  ASSERT_TRUE(bin_hi.ok());
  EXPECT_FALSE(bin_hi->has_value());

  // Other types pass through untouched.
  auto i = TruncateUpperBound(Value{Type::Int(), int32_t{7}}, 1);
  ASSERT_TRUE(i.ok() && i->has_value());
  EXPECT_EQ((*i)->get<int32_t>(), 7);
  auto f = TruncateLowerBound(Value{Type::Fixed(3), std::string("xyz")}, 1);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->get<std::string>(), "xyz");
  EXPECT_FALSE(TruncateLowerBound(Value{Type::String(), std::string("\xFF")}, 1).ok());
  EXPECT_FALSE(TruncateLowerBound(Value{Type::String(), std::string("abc")}, 0).ok());
}

// Property: for random UTF-8 strings, lower <= value <= upper in byte order (which is code
// point order for UTF-8), and the bounds are valid UTF-8 of at most W code points.
TEST(IcebergConversionsTest, BoundsEncloseValue) {
  std::mt19937 rng(42);
  const uint32_t pool[] = {0x41,   0x7A,   0x7F,   0x80,    0x7FF,    0x800,
                           0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFE, 0x10FFFF};
  auto encode = [](uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  };
  int without_upper = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    std::string s;
    const int n = static_cast<int>(rng() % 8);
    for (int k = 0; k < n; ++k) encode(pool[rng() % std::size(pool)], &s);
    const int w = 1 + static_cast<int>(rng() % 4);
    auto lo = TruncateUtf8(s, w);
    auto hi = TruncateUtf8Upper(s, w);
    ASSERT_TRUE(lo.ok() && hi.ok()) << Hex(s);
    EXPECT_LE(*lo, std::string_view(s)) << Hex(s);
    EXPECT_TRUE(TruncateUtf8(*lo, 1000).ok());
    if (!hi->has_value()) {
      ++without_upper;
      continue;
    }
    EXPECT_GE(**hi, s) << Hex(s) << " w=" << w;
    // Valid UTF-8 of at most w code points: truncating it to w changes nothing.
    auto again = TruncateUtf8(**hi, w);
    ASSERT_TRUE(again.ok()) << Hex(**hi);
    EXPECT_EQ(*again, **hi);
  }
  EXPECT_LT(without_upper, 2000);
}

}  // namespace
}  // namespace nilus::iceberg
