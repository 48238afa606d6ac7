#include "common/Rfc3339.h"

#include <gtest/gtest.h>

namespace callwarden {
namespace {

TEST(Rfc3339, ParsesUtcAndOffsets) {
  auto a = parseRfc3339("2026-07-15T23:29:00Z");
  auto b = parseRfc3339("2026-07-15T19:29:00-04:00");
  auto c = parseRfc3339("2026-07-16T01:59:00.000+02:30");
  ASSERT_TRUE(a.isOk());
  ASSERT_TRUE(b.isOk());
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, *c);
  EXPECT_EQ(formatRfc3339(*a), "2026-07-15T23:29:00Z");
}

TEST(Rfc3339, KeepsMicroseconds) {
  auto t = parseRfc3339("2028-02-29T12:00:00.1234567Z");
  ASSERT_TRUE(t.isOk());
  EXPECT_EQ(formatRfc3339(*t), "2028-02-29T12:00:00.123456Z");
}

TEST(Rfc3339, RejectsMalformed) {
  for (const char* s :
       {"", "2026-07-15", "2026-07-15T19:29:00", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-07-15T24:00:00Z", "2026-07-15T19:29:00+5:00", "2026-07-15T19:29:00Zjunk",
        "2026-07-15 19:29:00Z", "2026-07-15T19:29:00.Z"}) {
    EXPECT_FALSE(parseRfc3339(s).isOk()) << s;
  }
}

}  // namespace
}  // namespace callwarden
