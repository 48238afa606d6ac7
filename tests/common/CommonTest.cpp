#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "common/ConstantTime.h"
#include "common/Hex.h"
#include "common/PhoneMask.h"
#include "common/Random.h"
#include "common/Result.h"
#include "common/Sha256.h"

namespace callwarden {
namespace {

TEST(ConstantTime, EqualsOnlyIdenticalStrings) {
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_TRUE(constantTimeEquals("", ""));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "ab"));
  EXPECT_FALSE(constantTimeEquals("xbc", "abc"));
}

TEST(PhoneMask, MasksLastFourDigits) {
  EXPECT_EQ(maskPhone("+15415550123"), "+1541555****");
  EXPECT_EQ(maskPhone("123"), "***");
}

TEST(Hex, RoundTrips) {
  std::vector<uint8_t> v{0x00, 0xab, 0xff};
  EXPECT_EQ(toHex(v), "00abff");
  EXPECT_EQ(*fromHex("00ABff"), v);
  EXPECT_FALSE(fromHex("abc").has_value());
  EXPECT_FALSE(fromHex("zz").has_value());
}

TEST(Sha256, KnownAnswer) {
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // FIPS 180-4 two-block message.
  EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Random, IdsAreDistinctAndPrefixed) {
  auto a = randomId("dec"), b = randomId("dec");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("dec_", 0), 0u);
  EXPECT_EQ(a.size(), 4u + 32u);
}

TEST(Random, NonSecretBytesNeverRepeatAcrossCallsAndThreads) {
  // 12-byte draws (GCM nonces) do not divide the 1 KiB buffer, so refills drop a tail; every
  // draw must still be fresh, within a thread and between threads.
  constexpr int kThreads = 4, kDraws = 20000;
  std::vector<std::vector<std::string>> drawn(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&drawn, t] {
      uint8_t b[12];
      for (int i = 0; i < kDraws; ++i) {
        nonSecretRandomBytes(b, sizeof b);
        drawn[t].emplace_back(reinterpret_cast<const char*>(b), sizeof b);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> distinct;
  for (const auto& v : drawn) distinct.insert(v.begin(), v.end());
  EXPECT_EQ(distinct.size(), size_t{kThreads} * kDraws);
}

TEST(Random, NonSecretBytesServeRequestsLargerThanTheBuffer) {
  std::vector<uint8_t> a(4096), b(4096);
  nonSecretRandomBytes(a.data(), a.size());
  nonSecretRandomBytes(b.data(), b.size());
  EXPECT_NE(a, b);
  EXPECT_NE(a, std::vector<uint8_t>(4096, 0));
}

TEST(Result, CarriesValueOrStatus) {
  Result<int> ok = 5;
  Result<int> bad = Status::invalidArgument("nope", "to");
  EXPECT_TRUE(ok.isOk());
  EXPECT_EQ(*ok, 5);
  EXPECT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().field(), "to");
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace callwarden
