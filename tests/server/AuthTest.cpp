#include "server/Auth.h"

#include <gtest/gtest.h>

#include "common/Sha256.h"

namespace callwarden::server {
namespace {

TEST(Authenticator, MatchesOnlyTheHashOfTheToken) {
  Authenticator auth(
      {{"k1", sha256Hex("alpha"), {Scope::kDialer}}, {"k2", sha256Hex("beta"), {Scope::kAdmin}}});
  auto p = auth.authenticate("Bearer beta");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->key_name, "k2");
  EXPECT_TRUE(p->has(Scope::kAdmin));
  EXPECT_FALSE(p->has(Scope::kDialer));
  EXPECT_FALSE(auth.authenticate("Bearer gamma"));
  EXPECT_FALSE(auth.authenticate("Bearer "));
  EXPECT_FALSE(auth.authenticate("bearer beta"));
  EXPECT_FALSE(auth.authenticate("Basic beta"));
  EXPECT_FALSE(auth.authenticate(""));
  // The configured value is the digest, so presenting the digest itself must fail.
  EXPECT_FALSE(auth.authenticate("Bearer " + sha256Hex("beta")));
}

TEST(Authenticator, AcceptsUpperCaseHexInConfig) {
  std::string digest = sha256Hex("alpha");
  for (auto& c : digest) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Authenticator auth({{"k1", digest, {Scope::kDialer}}});
  EXPECT_TRUE(auth.authenticate("Bearer alpha"));
}

TEST(Scopes, ParseAndName) {
  for (auto s : {Scope::kDialer, Scope::kAgent, Scope::kAuditor, Scope::kAdmin}) {
    EXPECT_EQ(parseScope(scopeName(s)), s);
  }
  EXPECT_FALSE(parseScope("root"));
}

}  // namespace
}  // namespace callwarden::server
