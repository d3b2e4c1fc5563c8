#include "core/lsn.h"

#include <gtest/gtest.h>

namespace nilus {

TEST(LsnTest, FormatsLikePostgres) {
  EXPECT_EQ(LsnToString(0), "0/0");
  EXPECT_EQ(LsnToString((Lsn{0x16} << 32) | 0xB374D848), "16/B374D848");
}

TEST(LsnTest, ParsesAndRoundTrips) {
  ASSERT_TRUE(ParseLsn("16/b374d848").ok());
  EXPECT_EQ(*ParseLsn("16/b374d848"), (Lsn{0x16} << 32) | 0xB374D848);
  EXPECT_EQ(*ParseLsn("FFFFFFFF/FFFFFFFF"), ~Lsn{0});
  for (Lsn l : {Lsn{0}, Lsn{1}, Lsn{0x100000000}, Lsn{0xABCDEF0123}}) {
    EXPECT_EQ(*ParseLsn(LsnToString(l)), l);
  }
}

TEST(LsnTest, RejectsMalformed) {
  for (const char* bad : {"", "/", "1/", "/1", "12", "1/2/3", "g/1", "123456789/0", "1/ 2"}) {
    auto r = ParseLsn(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) EXPECT_NE(r.status().message().find("not an LSN"), std::string::npos);
  }
}

}  // namespace nilus
