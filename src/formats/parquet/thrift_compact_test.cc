#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "formats/parquet/thrift_compact_reader.h"
#include "formats/parquet/thrift_compact_writer.h"

namespace nilus::parquet {
namespace {

using FH = ThriftCompactReader::FieldHeader;

// A raw compact-protocol encoder for the shapes ThriftCompactWriter does not produce (doubles,
// sets, maps, bool list elements, arbitrary field headers). Written from the spec, so it checks
// the reader independently of the writer.
class RawEncoder {
 public:
  void Byte(uint8_t b) { bytes_.push_back(b); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      Byte(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    Byte(static_cast<uint8_t>(v));
  }
  void ZigZag(int64_t v) {
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  // A field header in long form (type byte, then the zigzag id): valid for any id.
  void FieldLong(int16_t id, ThriftType t) {
    Byte(static_cast<uint8_t>(t));
    ZigZag(id);
  }
  // A field header in delta form.
  void FieldDelta(int delta, ThriftType t) {
    Byte(static_cast<uint8_t>((delta << 4) | static_cast<uint8_t>(t)));
  }
  void Double(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    for (int i = 0; i < 8; ++i) Byte(static_cast<uint8_t>(bits >> (8 * i)));
  }
  void Binary(std::string_view s) {
    Varint(s.size());
    for (char c : s) Byte(static_cast<uint8_t>(c));
  }
  void List(ThriftType elem, uint32_t n) {
    if (n < 15) {
      Byte(static_cast<uint8_t>((n << 4) | static_cast<uint8_t>(elem)));
    } else {
      Byte(static_cast<uint8_t>(0xf0 | static_cast<uint8_t>(elem)));
      Varint(n);
    }
  }
  void Map(ThriftType k, ThriftType v, uint32_t n) {
    Varint(n);
    if (n) Byte(static_cast<uint8_t>((static_cast<uint8_t>(k) << 4) | static_cast<uint8_t>(v)));
  }
  void Stop() { Byte(0); }

  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

ThriftCompactReader ReaderOf(const Buffer& b) { return ThriftCompactReader(b.data(), b.size()); }

// Reads the next field header and checks its id and type.
void ExpectField(ThriftCompactReader& r, int16_t id, ThriftType type) {
  FH f;
  ASSERT_TRUE(r.ReadFieldHeader(&f).ok());
  EXPECT_EQ(f.id, id);
  EXPECT_EQ(static_cast<int>(f.type), static_cast<int>(type));
}

void ExpectStop(ThriftCompactReader& r) {
  FH f;
  ASSERT_TRUE(r.ReadFieldHeader(&f).ok());
  EXPECT_EQ(f.type, ThriftType::kStop);
}

TEST(ThriftCompact, ScalarsRoundTripThroughTheWriter) {
  Buffer buf;
  ThriftCompactWriter w(&buf);
  w.StructBegin();
  w.FieldI32(1, std::numeric_limits<int32_t>::min());
  w.FieldI32(2, std::numeric_limits<int32_t>::max());
  w.FieldI32(3, -1);
  w.FieldI64(4, std::numeric_limits<int64_t>::min());
  w.FieldI64(5, std::numeric_limits<int64_t>::max());
  w.FieldI64(6, -123456789012345LL);
  w.FieldI16(7, -32768);
  w.FieldI8(8, -5);
  w.FieldBool(9, true);
  w.FieldBool(10, false);
  w.FieldBinary(11, "");
  w.FieldBinary(12, std::string(300, 'x'));  // a length varint of two bytes
  w.StructEnd();

  auto r = ReaderOf(buf);
  ASSERT_TRUE(r.StructBegin().ok());
  int32_t i32;
  int64_t i64;
  int16_t i16;
  int8_t i8;
  std::string s;
  ExpectField(r, 1, ThriftType::kI32);
  ASSERT_TRUE(r.ReadI32(&i32).ok());
  EXPECT_EQ(i32, std::numeric_limits<int32_t>::min());
  ExpectField(r, 2, ThriftType::kI32);
  ASSERT_TRUE(r.ReadI32(&i32).ok());
  EXPECT_EQ(i32, std::numeric_limits<int32_t>::max());
  ExpectField(r, 3, ThriftType::kI32);
  ASSERT_TRUE(r.ReadI32(&i32).ok());
  EXPECT_EQ(i32, -1);
  ExpectField(r, 4, ThriftType::kI64);
  ASSERT_TRUE(r.ReadI64(&i64).ok());
  EXPECT_EQ(i64, std::numeric_limits<int64_t>::min());
  ExpectField(r, 5, ThriftType::kI64);
  ASSERT_TRUE(r.ReadI64(&i64).ok());
  EXPECT_EQ(i64, std::numeric_limits<int64_t>::max());
  ExpectField(r, 6, ThriftType::kI64);
  ASSERT_TRUE(r.ReadI64(&i64).ok());
  EXPECT_EQ(i64, -123456789012345LL);
  ExpectField(r, 7, ThriftType::kI16);
  ASSERT_TRUE(r.ReadI16(&i16).ok());
  EXPECT_EQ(i16, -32768);
  ExpectField(r, 8, ThriftType::kByte);
  ASSERT_TRUE(r.ReadI8(&i8).ok());
  EXPECT_EQ(i8, -5);
  ExpectField(r, 9, ThriftType::kBoolTrue);
  ExpectField(r, 10, ThriftType::kBoolFalse);
  EXPECT_FALSE(ThriftCompactReader::FieldBool(ThriftType::kBoolFalse));
  ExpectField(r, 11, ThriftType::kBinary);
  ASSERT_TRUE(r.ReadBinary(&s).ok());
  EXPECT_EQ(s, "");
  ExpectField(r, 12, ThriftType::kBinary);
  ASSERT_TRUE(r.ReadBinary(&s).ok());
  EXPECT_EQ(s, std::string(300, 'x'));
  ExpectStop(r);
  ASSERT_TRUE(r.StructEnd().ok());
  EXPECT_EQ(r.position(), buf.size());
}

TEST(ThriftCompact, FieldIdDeltasAndLongForm) {
  Buffer buf;
  ThriftCompactWriter w(&buf);
  w.StructBegin();
  w.FieldI32(15, 1);     // delta 15: still the short form
  w.FieldI32(31, 2);     // delta 16: long form
  w.FieldI32(1000, 3);   // big jump
  w.FieldI32(5, 4);      // going backwards: long form
  w.FieldI32(-7, 5);     // negative id
  w.FieldI32(32767, 6);  // the largest id
  w.StructEnd();
  EXPECT_EQ(buf.data()[0], (15 << 4) | 5);  // the short form was used for delta 15
  EXPECT_EQ(buf.data()[2], 5);              // the long form's type byte has a zero delta

  auto r = ReaderOf(buf);
  ASSERT_TRUE(r.StructBegin().ok());
  const int16_t ids[] = {15, 31, 1000, 5, -7, 32767};
  for (int i = 0; i < 6; ++i) {
    ExpectField(r, ids[i], ThriftType::kI32);
    int32_t v;
    ASSERT_TRUE(r.ReadI32(&v).ok());
    EXPECT_EQ(v, i + 1);
  }
  ExpectStop(r);
}

TEST(ThriftCompact, DeltaPastTheLargestIdIsCorruption) {
  RawEncoder e;
  e.FieldLong(32767, ThriftType::kI32);
  e.ZigZag(1);
  e.FieldDelta(1, ThriftType::kI32);  // 32768 does not fit i16
  e.ZigZag(1);
  ThriftCompactReader r(e.data(), e.size());
  ASSERT_TRUE(r.StructBegin().ok());
  FH f;
  ASSERT_TRUE(r.ReadFieldHeader(&f).ok());
  int32_t v;
  ASSERT_TRUE(r.ReadI32(&v).ok());
  Status st = r.ReadFieldHeader(&f);
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("field id 32768"), std::string::npos) << st.ToString();
}

TEST(ThriftCompact, ListsShortAndLongForm) {
  for (uint32_t n : {0u, 1u, 14u, 15u, 16u, 200u, 5000u}) {
    Buffer buf;
    ThriftCompactWriter w(&buf);
    w.StructBegin();
    w.FieldListBegin(1, ThriftType::kI32, n);
    for (uint32_t i = 0; i < n; ++i) w.I32(static_cast<int32_t>(i) - 7);
    w.FieldListBegin(2, ThriftType::kBinary, n);
    for (uint32_t i = 0; i < n; ++i) w.Binary(std::to_string(i));
    w.StructEnd();

    auto r = ReaderOf(buf);
    ASSERT_TRUE(r.StructBegin().ok());
    ExpectField(r, 1, ThriftType::kList);
    ThriftCompactReader::ListHeader h;
    ASSERT_TRUE(r.ReadListHeader(&h).ok());
    ASSERT_EQ(h.size, n);
    if (n) {
      EXPECT_EQ(h.elem_type, ThriftType::kI32);
    }
    for (uint32_t i = 0; i < n; ++i) {
      int32_t v;
      ASSERT_TRUE(r.ReadI32(&v).ok());
      EXPECT_EQ(v, static_cast<int32_t>(i) - 7);
    }
    ExpectField(r, 2, ThriftType::kList);
    ASSERT_TRUE(r.ReadListHeader(&h).ok());
    ASSERT_EQ(h.size, n);
    for (uint32_t i = 0; i < n; ++i) {
      std::string s;
      ASSERT_TRUE(r.ReadBinary(&s).ok());
      EXPECT_EQ(s, std::to_string(i));
    }
    ExpectStop(r);
    EXPECT_EQ(r.position(), buf.size()) << "n=" << n;
  }
}

TEST(ThriftCompact, BoolListElementsAndDoubles) {
  RawEncoder e;
  e.FieldDelta(1, ThriftType::kList);
  e.List(ThriftType::kBoolTrue, 3);
  e.Byte(1);  // true
  e.Byte(2);  // false, as the reference libraries send it
  e.Byte(0);  // false, as the spec describes it
  e.FieldDelta(1, ThriftType::kDouble);
  e.Double(-2.5);
  e.Stop();
  ThriftCompactReader r(e.data(), e.size());
  ASSERT_TRUE(r.StructBegin().ok());
  ExpectField(r, 1, ThriftType::kList);
  ThriftCompactReader::ListHeader h;
  ASSERT_TRUE(r.ReadListHeader(&h).ok());
  ASSERT_EQ(h.size, 3u);
  EXPECT_EQ(h.elem_type, ThriftType::kBoolTrue);
  bool b;
  ASSERT_TRUE(r.ReadBool(&b).ok());
  EXPECT_TRUE(b);
  ASSERT_TRUE(r.ReadBool(&b).ok());
  EXPECT_FALSE(b);
  ASSERT_TRUE(r.ReadBool(&b).ok());
  EXPECT_FALSE(b);
  ExpectField(r, 2, ThriftType::kDouble);
  double d;
  ASSERT_TRUE(r.ReadDouble(&d).ok());
  EXPECT_EQ(d, -2.5);
  ExpectStop(r);
}

TEST(ThriftCompact, NestedStructsRestoreFieldIds) {
  Buffer buf;
  ThriftCompactWriter w(&buf);
  w.StructBegin();
  w.FieldI32(3, 30);
  w.FieldStructBegin(4);
  w.FieldI32(1, 41);  // ids restart inside the nested struct
  w.FieldStructBegin(20);
  w.FieldI64(2, 422);
  w.StructEnd();
  w.StructEnd();
  w.FieldI32(5, 50);  // delta 1 from the outer struct's last id (4)
  w.StructEnd();

  auto r = ReaderOf(buf);
  ASSERT_TRUE(r.StructBegin().ok());
  int32_t i32;
  int64_t i64;
  ExpectField(r, 3, ThriftType::kI32);
  ASSERT_TRUE(r.ReadI32(&i32).ok());
  ExpectField(r, 4, ThriftType::kStruct);
  ASSERT_TRUE(r.StructBegin().ok());
  ExpectField(r, 1, ThriftType::kI32);
  ASSERT_TRUE(r.ReadI32(&i32).ok());
  EXPECT_EQ(i32, 41);
  ExpectField(r, 20, ThriftType::kStruct);
  ASSERT_TRUE(r.StructBegin().ok());
  ExpectField(r, 2, ThriftType::kI64);
  ASSERT_TRUE(r.ReadI64(&i64).ok());
  EXPECT_EQ(i64, 422);
  ExpectStop(r);
  ASSERT_TRUE(r.StructEnd().ok());
  ExpectStop(r);
  ASSERT_TRUE(r.StructEnd().ok());
  ExpectField(r, 5, ThriftType::kI32);
  ASSERT_TRUE(r.ReadI32(&i32).ok());
  EXPECT_EQ(i32, 50);
  ExpectStop(r);
  ASSERT_TRUE(r.StructEnd().ok());
  EXPECT_EQ(r.position(), buf.size());
}

// A struct whose field 1 and field 50 are known, with unknown fields of every type between.
RawEncoder StructWithUnknownFields() {
  RawEncoder e;
  e.FieldDelta(1, ThriftType::kI32);
  e.ZigZag(-11);
  e.FieldDelta(1, ThriftType::kBoolTrue);  // 2: bool, no payload
  e.FieldDelta(1, ThriftType::kBoolFalse);
  e.FieldDelta(1, ThriftType::kByte);  // 4
  e.Byte(0xff);
  e.FieldDelta(1, ThriftType::kI16);
  e.ZigZag(-300);
  e.FieldDelta(1, ThriftType::kI64);
  e.ZigZag(1LL << 60);
  e.FieldDelta(1, ThriftType::kDouble);  // 7
  e.Double(3.25);
  e.FieldDelta(1, ThriftType::kBinary);
  e.Binary("skip me");
  e.FieldDelta(1, ThriftType::kList);  // 9: list<struct> with nested unknowns
  e.List(ThriftType::kStruct, 2);
  for (int i = 0; i < 2; ++i) {
    e.FieldDelta(3, ThriftType::kStruct);
    e.FieldDelta(1, ThriftType::kList);
    e.List(ThriftType::kI64, 16);  // long-form list inside a nested struct
    for (int j = 0; j < 16; ++j) e.ZigZag(-j);
    e.Stop();
    e.FieldLong(200, ThriftType::kBinary);
    e.Binary("x");
    e.Stop();
  }
  e.FieldDelta(1, ThriftType::kSet);  // 10: set<i32>
  e.List(ThriftType::kI32, 2);
  e.ZigZag(1);
  e.ZigZag(2);
  e.FieldDelta(1, ThriftType::kMap);  // 11: map<binary, list<bool>>
  e.Map(ThriftType::kBinary, ThriftType::kList, 2);
  e.Binary("a");
  e.List(ThriftType::kBoolTrue, 2);
  e.Byte(1);
  e.Byte(2);
  e.Binary("b");
  e.List(ThriftType::kBoolTrue, 0);
  e.FieldDelta(1, ThriftType::kMap);  // 12: an empty map has no type byte
  e.Map(ThriftType::kI32, ThriftType::kI32, 0);
  e.FieldDelta(1, ThriftType::kMap);  // 13: map<i32, struct>
  e.Map(ThriftType::kI32, ThriftType::kStruct, 1);
  e.ZigZag(5);
  e.FieldDelta(2, ThriftType::kDouble);
  e.Double(1.0);
  e.Stop();
  e.FieldLong(50, ThriftType::kBinary);
  e.Binary("known");
  e.Stop();
  return e;
}

TEST(ThriftCompact, SkipsUnknownFieldsOfEveryType) {
  RawEncoder e = StructWithUnknownFields();
  ThriftCompactReader r(e.data(), e.size());
  ASSERT_TRUE(r.StructBegin().ok());
  int32_t first = 0;
  std::string last;
  std::vector<int> skipped;
  for (;;) {
    FH f;
    ASSERT_TRUE(r.ReadFieldHeader(&f).ok());
    if (f.type == ThriftType::kStop) break;
    if (f.id == 1) {
      ASSERT_TRUE(r.ReadI32(&first).ok());
    } else if (f.id == 50) {
      ASSERT_TRUE(r.ReadBinary(&last).ok());
    } else {
      Status st = r.Skip(f.type);
      ASSERT_TRUE(st.ok()) << "field " << f.id << ": " << st.ToString();
      skipped.push_back(f.id);
    }
  }
  ASSERT_TRUE(r.StructEnd().ok());
  EXPECT_EQ(first, -11);
  EXPECT_EQ(last, "known");
  EXPECT_EQ(skipped, (std::vector<int>{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}));
  EXPECT_EQ(r.position(), e.size());

  // Skipping the whole struct as one value consumes exactly the same bytes.
  ThriftCompactReader whole(e.data(), e.size());
  ASSERT_TRUE(whole.Skip(ThriftType::kStruct).ok());
  EXPECT_EQ(whole.position(), e.size());
}

TEST(ThriftCompact, EveryTruncationOfTheUnknownFieldsStructFails) {
  RawEncoder e = StructWithUnknownFields();
  for (size_t n = 0; n < e.size(); ++n) {
    ThriftCompactReader r(e.data(), n);
    Status st = r.Skip(ThriftType::kStruct);
    ASSERT_EQ(st.code(), StatusCode::kCorruption) << "prefix " << n;
    EXPECT_NE(st.message().find("at byte"), std::string::npos) << st.message();
  }
}

Status ReadOneI64(RawEncoder& e, int64_t* out) {
  ThriftCompactReader r(e.data(), e.size());
  return r.ReadI64(out);
}

TEST(ThriftCompact, VarintLimits) {
  int64_t v;
  {
    RawEncoder e;  // 10 bytes: the largest valid varint (zigzag of INT64_MIN)
    e.Varint(std::numeric_limits<uint64_t>::max());
    ASSERT_EQ(e.size(), 10u);
    ASSERT_TRUE(ReadOneI64(e, &v).ok());
    EXPECT_EQ(v, std::numeric_limits<int64_t>::min());
  }
  {
    RawEncoder e;  // 11 bytes
    for (int i = 0; i < 10; ++i) e.Byte(0x80);
    e.Byte(0x01);
    Status st = ReadOneI64(e, &v);
    EXPECT_EQ(st.code(), StatusCode::kCorruption);
    EXPECT_NE(st.message().find("longer than 10 bytes"), std::string::npos) << st.message();
  }
  {
    RawEncoder e;  // 10 bytes whose last byte has more than the one bit left
    for (int i = 0; i < 9; ++i) e.Byte(0xff);
    e.Byte(0x02);
    EXPECT_EQ(ReadOneI64(e, &v).code(), StatusCode::kCorruption);
  }
  {
    RawEncoder e;  // truncated
    e.Byte(0x80);
    e.Byte(0x80);
    Status st = ReadOneI64(e, &v);
    EXPECT_EQ(st.code(), StatusCode::kCorruption);
    EXPECT_NE(st.message().find("truncated varint"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("at byte 0"), std::string::npos) << st.message();
  }
  {
    RawEncoder e;  // an i32 whose varint holds more than 32 bits
    e.Varint(1ULL << 32);
    ThriftCompactReader r(e.data(), e.size());
    int32_t i32;
    EXPECT_EQ(r.ReadI32(&i32).code(), StatusCode::kCorruption);
  }
  {
    RawEncoder e;  // an i16 out of range
    e.ZigZag(40000);
    ThriftCompactReader r(e.data(), e.size());
    int16_t i16;
    EXPECT_EQ(r.ReadI16(&i16).code(), StatusCode::kCorruption);
  }
}

TEST(ThriftCompact, MalformedInputIsCorruption) {
  auto expect_corrupt = [](RawEncoder e, const char* needle) {
    ThriftCompactReader r(e.data(), e.size());
    Status st = r.Skip(ThriftType::kStruct);
    EXPECT_EQ(st.code(), StatusCode::kCorruption) << needle;
    EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
  };
  {
    RawEncoder e;
    e.FieldDelta(1, static_cast<ThriftType>(13));
    expect_corrupt(e, "invalid field type code 13");
  }
  {
    RawEncoder e;
    e.FieldDelta(1, ThriftType::kBinary);
    e.Varint(1000);
    e.Binary("short");
    expect_corrupt(e, "binary length 1000 exceeds");
  }
  {
    RawEncoder e;
    e.FieldDelta(1, ThriftType::kList);
    e.List(ThriftType::kI32, 1u << 30);  // a billion elements in a few bytes
    e.Stop();
    expect_corrupt(e, "list of 1073741824 elements exceeds");
  }
  {
    RawEncoder e;
    e.FieldDelta(1, ThriftType::kList);
    e.List(ThriftType::kI32, 0xffffffffu);
    expect_corrupt(e, "exceeds");
  }
  {
    RawEncoder e;
    e.FieldDelta(1, ThriftType::kList);
    e.List(static_cast<ThriftType>(0), 3);  // a non-empty list of "stop"
    e.Stop();
    expect_corrupt(e, "invalid list element type code 0");
  }
  {
    RawEncoder e;
    e.FieldDelta(1, ThriftType::kMap);
    e.Map(ThriftType::kI32, ThriftType::kI32, 1u << 20);
    e.Stop();
    expect_corrupt(e, "map of 1048576 entries exceeds");
  }
  {
    RawEncoder e;
    e.FieldDelta(1, ThriftType::kMap);
    e.Varint(1);
    e.Byte(0xd5);  // key type 13
    e.Stop();
    expect_corrupt(e, "invalid map key/value type codes");
  }
  {
    RawEncoder e;
    e.FieldDelta(1, ThriftType::kDouble);
    e.Byte(1);
    e.Byte(2);
    expect_corrupt(e, "truncated double");
  }
  {
    RawEncoder e;
    e.FieldDelta(1, ThriftType::kList);
    e.List(ThriftType::kBoolTrue, 1);
    e.Byte(7);
    e.Stop();
    expect_corrupt(e, "invalid bool byte 7");
  }
  {
    RawEncoder e;  // no stop byte
    e.FieldDelta(1, ThriftType::kI32);
    e.ZigZag(1);
    expect_corrupt(e, "missing stop");
  }
}

TEST(ThriftCompact, NestingDepthIsLimited) {
  // 1000 nested structs would recurse 1000 frames deep without a limit.
  RawEncoder deep_structs;
  for (int i = 0; i < 1000; ++i) deep_structs.FieldDelta(1, ThriftType::kStruct);
  for (int i = 0; i < 1001; ++i) deep_structs.Stop();
  ThriftCompactReader r1(deep_structs.data(), deep_structs.size());
  Status st = r1.Skip(ThriftType::kStruct);
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("nested deeper than 64"), std::string::npos) << st.message();

  RawEncoder deep_lists;
  deep_lists.FieldDelta(1, ThriftType::kList);
  for (int i = 0; i < 1000; ++i) deep_lists.List(ThriftType::kList, 1);
  deep_lists.List(ThriftType::kI32, 0);
  deep_lists.Stop();
  ThriftCompactReader r2(deep_lists.data(), deep_lists.size());
  EXPECT_EQ(r2.Skip(ThriftType::kStruct).code(), StatusCode::kCorruption);

  // Nesting within the limit is fine: 63 structs inside the top one.
  RawEncoder ok;
  for (int i = 0; i < 63; ++i) ok.FieldDelta(1, ThriftType::kStruct);
  for (int i = 0; i < 64; ++i) ok.Stop();
  ThriftCompactReader r3(ok.data(), ok.size());
  Status st3 = r3.Skip(ThriftType::kStruct);
  EXPECT_TRUE(st3.ok()) << st3.ToString();
  EXPECT_EQ(r3.position(), ok.size());
}

TEST(ThriftCompact, RandomBytesNeverCrash) {
  // A fixed-seed LCG so failures reproduce.
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint8_t>(state >> 56);
  };
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> bytes(1 + iter % 64);
    for (auto& b : bytes) b = next();
    ThriftCompactReader r(bytes.data(), bytes.size());
    Status st = r.Skip(ThriftType::kStruct);
    EXPECT_LE(r.position(), bytes.size());
    if (!st.ok()) {
      ASSERT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
    }
  }
}

}  // namespace
}  // namespace nilus::parquet
