#include "normalize/identifier.h"

#include <gtest/gtest.h>

namespace nilus::normalize {
namespace {

TEST(NormalizeIdentifier, Table) {
  const std::pair<const char*, const char*> cases[] = {
      {"id", "id"},
      {"userId", "user_id"},
      {"UserID", "user_id"},
      {"HTTPServer", "http_server"},
      {"getHTTPResponseCode", "get_http_response_code"},
      {"item2Name", "item2_name"},
      {"Order Date", "order_date"},
      {"a.b-c", "a_b_c"},
      {"a__b", "a_b"},
      {"trailing_", "trailing"},
      {"  padded  ", "padded"},
      {"_id", "_id"},
      {"__private", "_private"},
      {"1st", "_1st"},
      {"42", "_42"},
      {"", "_"},
      {"!!!", "_"},
      {"snake_case_already", "snake_case_already"},
      {"caf\xc3\xa9", "caf\xc3\xa9"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(NormalizeIdentifier(in), want) << in;
}

TEST(NormalizeIdentifier, IsIdempotent) {
  for (const char* s : {"userId", "HTTPServer", "a.b-c", "1st", "_id", "Order Date"}) {
    std::string once = NormalizeIdentifier(s);
    EXPECT_EQ(NormalizeIdentifier(once), once) << s;
  }
}

}  // namespace
}  // namespace nilus::normalize
