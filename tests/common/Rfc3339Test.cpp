#include "common/Rfc3339.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

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

// The hand-written digits agree with date::format, and parse back, across years 1 to 9999,
// with and without microseconds, before and after 1970.
TEST(Rfc3339, FormatsLikeDateFormatAndRoundTrips) {
  std::mt19937_64 rng(20261129);
  const int64_t lo = -62135596800LL * 1000000;  // 0001-01-01T00:00:00Z
  const int64_t hi = 253402300799LL * 1000000;  // 9999-12-31T23:59:59Z
  std::uniform_int_distribution<int64_t> pick(lo, hi);
  for (int i = 0; i < 20000; ++i) {
    int64_t us = pick(rng);
    if (i % 2 == 0) us -= ((us % 1000000) + 1000000) % 1000000;  // whole seconds half the time
    const Timestamp t{std::chrono::microseconds{us}};
    const auto secs = date::floor<std::chrono::seconds>(t);
    const auto frac = (t - secs).count();
    std::string expected = date::format("%FT%T", secs);
    if (frac != 0) {
      char f[32];
      std::snprintf(f, sizeof f, ".%06lld", static_cast<long long>(frac));
      expected += f;
    }
    expected += 'Z';
    const std::string got = formatRfc3339(t);
    ASSERT_EQ(got, expected) << us;
    auto back = parseRfc3339(got);
    ASSERT_TRUE(back.isOk()) << got;
    ASSERT_EQ(*back, t) << got;
  }
}

}  // namespace
}  // namespace callwarden
