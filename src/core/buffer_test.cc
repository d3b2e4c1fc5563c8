#include "core/buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace nilus {
namespace {

TEST(BufferTest, StartsEmpty) {
  Buffer b;
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.capacity(), 0u);
  EXPECT_EQ(b.data(), nullptr);
  EXPECT_EQ(b.view(), "");
  Buffer reserved(100);
  EXPECT_TRUE(reserved.empty());
  EXPECT_GE(reserved.capacity(), 100u);
}

TEST(BufferTest, AppendAndGrow) {
  Buffer b;
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    std::string piece = std::to_string(i);
    b.Append(piece);
    expected += piece;
    EXPECT_GE(b.capacity(), b.size());
  }
  EXPECT_EQ(b.view(), expected);
  b.PushByte('!');
  EXPECT_EQ(b.view().back(), '!');
  b.Append(nullptr, 0);  // an empty append is fine with any pointer
  EXPECT_EQ(b.size(), expected.size() + 1);
}

TEST(BufferTest, AppendValueAndAs) {
  Buffer b;
  b.AppendValue<int32_t>(-1);
  b.AppendValue<int32_t>(7);
  b.AppendValue<int64_t>(1LL << 40);
  ASSERT_EQ(b.size(), 16u);
  EXPECT_EQ(b.as<int32_t>()[0], -1);
  EXPECT_EQ(b.as<int32_t>()[1], 7);
  EXPECT_EQ(b.as<int64_t>()[1], 1LL << 40);
  const Buffer& cb = b;
  EXPECT_EQ(cb.as<int32_t>()[1], 7);
}

TEST(BufferTest, ResizeZeroedAndClear) {
  Buffer b;
  b.Append("abc");
  b.ResizeZeroed(6);
  ASSERT_EQ(b.size(), 6u);
  EXPECT_EQ(b.view(), std::string_view("abc\0\0\0", 6));
  b.ResizeZeroed(2);  // shrinking zeroes nothing
  EXPECT_EQ(b.view(), "ab");
  size_t cap = b.capacity();
  b.Clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.capacity(), cap);  // capacity is kept for reuse
  b.Resize(3);
  EXPECT_EQ(b.size(), 3u);
}

TEST(BufferTest, ReserveGrowsGeometrically) {
  Buffer b;
  b.Reserve(10);
  EXPECT_GE(b.capacity(), 64u);
  size_t cap = b.capacity();
  b.Reserve(cap + 1);
  EXPECT_GE(b.capacity(), cap + cap / 2);
  b.Reserve(1);  // never shrinks
  EXPECT_GE(b.capacity(), cap + cap / 2);
}

TEST(BufferTest, Move) {
  Buffer a;
  a.Append("payload");
  const uint8_t* data = a.data();
  Buffer b(std::move(a));
  EXPECT_EQ(b.view(), "payload");
  EXPECT_EQ(b.data(), data);  // no copy
  EXPECT_EQ(a.size(), 0u);    // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(a.data(), nullptr);
  Buffer c;
  c.Append("other");
  c = std::move(b);
  EXPECT_EQ(c.view(), "payload");
}

}  // namespace
}  // namespace nilus
