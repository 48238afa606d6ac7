#include "server/Router.h"

#include <gtest/gtest.h>

namespace callwarden::server {
namespace {

ApiResponse ok(ApiRequest&) {
  return ApiResponse::text(200, "ok");
}

TEST(Router, MatchesLiteralsAndParameters) {
  Router r;
  r.add({"POST", "/v1/reservations/{id}/outcome", {}, BodyKind::kJson, ok});
  r.add({"GET", "/v1/subjects/{id}/attempts", {}, BodyKind::kNone, ok});
  auto m = r.match("POST", "/v1/reservations/res_1/outcome");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params["id"], "res_1");
  EXPECT_EQ(r.match("POST", "/v1/reservations/res_1").route, nullptr);
  EXPECT_EQ(r.match("POST", "/v1/reservations/res_1/outcome/").route, nullptr);
  auto wrong = r.match("GET", "/v1/reservations/res_1/outcome");
  EXPECT_EQ(wrong.route, nullptr);
  ASSERT_EQ(wrong.allowed_methods.size(), 1u);
  EXPECT_EQ(wrong.allowed_methods[0], "POST");
  EXPECT_TRUE(r.match("GET", "/v1/other").allowed_methods.empty());
}

}  // namespace
}  // namespace callwarden::server
