// POST /v1/calls/check with audit.check_durability = flushed, through the dispatcher: a
// transport that can hold the answer gets it deferred until the record's flush, and a failed
// flush settles as a deny (AUDIT_UNAVAILABLE); a transport that cannot hold it gets an answer
// whose record the gate flushed first.

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "FakeClock.h"
#include "NoHistoryLedger.h"
#include "common/Sha256.h"
#include "dialer/CallGate.h"
#include "rules/FrequencyRuleLoader.h"
#include "rules/NumberingPlanLoader.h"
#include "server/CallRoutes.h"
#include "server/Dispatcher.h"

namespace callwarden::server {
namespace {

// Counts how each record was appended.
class CountingAudit final : public dialer::AuditTrail {
 public:
  int flushed = 0;
  int written = 0;
  Result<uint64_t> append(const audit::AuditEvent&) override { return ++flushed + written; }
  Result<uint64_t> appendUnflushed(const audit::AuditEvent&) override {
    return flushed + ++written;
  }
  std::vector<uint64_t> awaited;  // whenDurable() calls
  void whenDurable(uint64_t seq, std::function<void(const Status&)> done) override {
    awaited.push_back(seq);
    done(Status::ok());
  }
};

constexpr const char* kToken = "deferral-token";

class CheckDeferral : public ::testing::Test {
 protected:
  CheckDeferral()
      : clock_("2026-07-15T16:00:00Z"),
        gate_(rules::loadCallingWindowPolicy(std::string(CALLWARDEN_SOURCE_DIR) + "/data").value(),
              rules::loadFrequencyRules(std::string(CALLWARDEN_SOURCE_DIR) + "/data/rules/us.json")
                  .value(),
              ledger_, audit_, clock_),
        auth_({ApiKey{"dialer", sha256Hex(kToken), {Scope::kDialer}}}) {
    addCallRoutes(router_, {&gate_, &metrics_, &clock_, false, nullptr});
    ctx_.router = &router_;
    ctx_.authenticator = &auth_;
    ctx_.metrics = &metrics_;
  }
  ApiResponse check(bool can_defer) {
    const std::string body =
        R"({"to":"+13125550142","purpose":"debt_collection","subject_id":"S-1","debts":["D1"]})";
    auto head = parseRequestHead(
        "POST /v1/calls/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "Authorization: Bearer " +
        std::string(kToken) + "\r\n\r\n");
    EXPECT_TRUE(head.isOk());
    std::istringstream in(body);
    return Dispatcher(ctx_).dispatch(*head, in, body.size(), can_defer);
  }

  testing::NoHistoryLedger ledger_;
  testing::FakeClock clock_;
  CountingAudit audit_;
  dialer::CallGate gate_;
  Authenticator auth_;
  Router router_;
  Metrics metrics_;
  ServerContext ctx_;
};

TEST_F(CheckDeferral, HeldUntilTheFlushAndADenyIfItFails) {
  auto held = check(/*can_defer=*/true);
  ASSERT_TRUE(held.deferred.has_value()) << held.status << " " << held.body;
  EXPECT_EQ(audit_.written, 1);  // written, the flush left to the transport
  EXPECT_EQ(audit_.flushed, 0);
  // The transport learns of the flush from the trail the record went to.
  bool ready = false;
  held.deferred->when_ready([&](const Status& s) { ready = s.isOk(); });
  EXPECT_TRUE(ready);
  EXPECT_EQ(audit_.awaited, std::vector<uint64_t>{1});

  ApiResponse ok = held.deferred->settle(Status::ok());
  EXPECT_FALSE(ok.deferred);
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find(R"("decision":"allow")"), std::string::npos) << ok.body;
  ASSERT_FALSE(ok.headers.empty());
  EXPECT_EQ(ok.headers.front().first, "X-Request-Id");

  auto again = check(true);
  ASSERT_TRUE(again.deferred.has_value());
  ApiResponse denied = again.deferred->settle(Status::unavailable("fdatasync failed"));
  EXPECT_EQ(denied.status, 200);
  EXPECT_NE(denied.body.find(R"("decision":"deny")"), std::string::npos) << denied.body;
  EXPECT_NE(denied.body.find("AUDIT_UNAVAILABLE"), std::string::npos) << denied.body;
  EXPECT_NE(denied.body.find(R"("next_allowed_at":null)"), std::string::npos) << denied.body;
}

TEST_F(CheckDeferral, ATransportThatCannotHoldGetsAFlushedAnswer) {
  auto res = check(/*can_defer=*/false);
  EXPECT_FALSE(res.deferred);
  EXPECT_NE(res.body.find(R"("decision":"allow")"), std::string::npos) << res.body;
  EXPECT_EQ(audit_.flushed, 1);
  EXPECT_EQ(audit_.written, 0);
}

}  // namespace
}  // namespace callwarden::server
