#include "iceberg/murmur3.h"

#include <gtest/gtest.h>

#include <string>

namespace nilus::iceberg {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

// Published MurmurHash3_x86_32 vectors (the values Python's mmh3.hash gives), covering every
// tail length: 0 ("", "test"), 1 ("a", "hello"), 3 ("foo").
TEST(IcebergMurmur3Test, ReferenceVectors) {
  EXPECT_EQ(Murmur3Hash32(""), 0);
  EXPECT_EQ(Murmur3Hash32("a"), 1009084850);
  EXPECT_EQ(Murmur3Hash32("foo"), -156908512);
  EXPECT_EQ(Murmur3Hash32("hello"), 613153351);
  EXPECT_EQ(static_cast<uint32_t>(Murmur3Hash32("test")), 3127628307u);
  EXPECT_EQ(Murmur3Hash32("foo", 42), -1322301282);
}

// The spec's Appendix B test values that are plain byte strings (tail length 2 comes from the
// decimal 14.20, whose unscaled 1420 is 0x058C).
TEST(IcebergMurmur3Test, SpecByteVectors) {
  EXPECT_EQ(Murmur3Hash32("iceberg"), 1210000089);
  EXPECT_EQ(Murmur3Hash32(Bytes({0x00, 0x01, 0x02, 0x03})), -188683207);
  EXPECT_EQ(Murmur3Hash32(Bytes({0x05, 0x8C})), -500754589);
  EXPECT_EQ(Murmur3Hash32(Bytes({0xF7, 0x9C, 0x3E, 0x09, 0x67, 0x7C, 0x4B, 0xBD, 0xA4, 0x79, 0x3F,
                                 0x34, 0x9C, 0xB7, 0x85, 0xE7})),
            1488055340);
}

TEST(IcebergMurmur3Test, HashLongIsLittleEndianBytes) {
  EXPECT_EQ(Murmur3HashLong(34), 2017239379);
  EXPECT_EQ(Murmur3HashLong(34), Murmur3Hash32(Bytes({34, 0, 0, 0, 0, 0, 0, 0})));
  // Spec: boolean true hashes as hashInt(1).
  EXPECT_EQ(Murmur3HashLong(1), 1392991556);
  const int64_t v = -0x0102030405060708;
  std::string le;
  for (int i = 0; i < 8; ++i)
    le.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
  EXPECT_EQ(Murmur3HashLong(v), Murmur3Hash32(le));
}

}  // namespace
}  // namespace nilus::iceberg
