// The call gateway over HTTP: POST /v1/calls against the stateful fake Twilio, and the signed
// Twilio callbacks, with the real service (SQLite, audit log, shipped rules, background worker).

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "FakeTwilio.h"
#include "FakeTwilioConfig.h"
#include "TestServer.h"
#include "twilio/FormParams.h"

namespace callwarden::testing {
namespace {

using std::chrono::milliseconds;
using Endpoint = FakeTwilio::Endpoint;

// 2026-07-15 16:00Z is 11:00 in Chicago (+1 312), inside every calling window.
constexpr const char* kTo = "+13125550142";
constexpr const char* kFrom = "+13125550100";
// Twilio reaches the gateway through a proxy: signatures are over this URL, not the loopback one.
constexpr const char* kPublic = "https://gate.example.com";

std::string placeBody(const std::string& extra = "") {
  return std::string(R"({"to":")") + kTo +
         R"(","purpose":"debt_collection","subject_id":"S-1","debts":["D1"],"from":")" + kFrom +
         R"(","url":"https://dialer.example.com/twiml")" + extra + "}";
}

class GatewayRoutes : public ::testing::Test {
 protected:
  GatewayRoutes()
      : twilio_clock_("2026-07-15T16:00:00Z"), twilio_(fakeTwilioOptions(&twilio_clock_)) {
    server_ = std::make_unique<TestServer>([&](app::Config& c) {
      configureForFakeTwilio(c, twilio_, token_dir_.file("twilio-auth-token"), kPublic);
      c.twilio_timeout_ms = 500;
      c.twilio_reconcile_interval_seconds = 1;
    });
  }

  HttpResult place(const std::string& body = placeBody()) {
    return server_->postJson("/v1/calls", body, kDialerToken);
  }
  FakeTwilio::CallbackOptions via() {
    FakeTwilio::CallbackOptions o;
    o.deliver_to = "http://127.0.0.1:" + std::to_string(server_->port());
    return o;
  }
  Result<FakeTwilio::CallbackResponse> statusCallback(const std::string& sid,
                                                      const std::string& event) {
    return twilio_.sendStatusCallback(sid, event, {}, via());
  }
  Poco::JSON::Object::Ptr attempts() {
    auto r = server_->get("/v1/subjects/S-1/attempts?debt=D1", kDialerToken);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  // The state the attempts view shows for a reservation ("pending", "counted", "released").
  std::string stateOf(const std::string& reservation_id) {
    auto a = attempts();
    for (const char* group : {"counted", "pending", "released", "excluded"}) {
      auto arr = a->getArray(group);
      for (size_t i = 0; i < arr->size(); ++i) {
        auto o = arr->getObject(static_cast<unsigned>(i));
        if (o->getValue<std::string>("reservation_id") == reservation_id)
          return o->getValue<std::string>("state");
      }
    }
    return "<absent>";
  }
  // Callbacks are applied after they are acknowledged, so tests wait for the effect.
  bool eventually(const std::function<bool()>& done, milliseconds limit = milliseconds(8000)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (done()) return true;
      std::this_thread::sleep_for(milliseconds(25));
    }
    return done();
  }

  TempDir token_dir_;
  FakeClock twilio_clock_;
  FakeTwilio twilio_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(GatewayRoutes, AllowedCallIsPlacedWithExactlyTheForcedParameters) {
  auto r = place(placeBody(R"(,"machine_detection":"Enable","timeout":25)"));
  ASSERT_EQ(r.status, 201) << r.body;
  auto j = r.json();
  EXPECT_EQ(j->getValue<std::string>("decision"), "allow");
  EXPECT_EQ(j->getValue<std::string>("status"), "queued");
  const std::string sid = j->getValue<std::string>("call_sid");
  EXPECT_EQ(sid.rfind("CA", 0), 0u);
  EXPECT_EQ(j->getValue<std::string>("reservation_id").rfind("res_", 0), 0u);

  auto creates = twilio_.requests(Endpoint::kCreateCall);
  ASSERT_EQ(creates.size(), 1u);
  const auto& form = creates[0].form;
  std::set<std::string> names;
  for (const auto& [n, v] : form) names.insert(n);
  EXPECT_EQ(names,
            (std::set<std::string>{"To", "From", "Url", "StatusCallback", "StatusCallbackEvent",
                                   "Record", "RecordingChannels", "RecordingStatusCallback",
                                   "MachineDetection", "Timeout"}));
  EXPECT_EQ(twilio::formValue(form, "To"), kTo);
  EXPECT_EQ(twilio::formValue(form, "From"), kFrom);
  EXPECT_EQ(twilio::formValue(form, "StatusCallback"),
            std::string(kPublic) + "/twilio/call-status");
  EXPECT_EQ(twilio::formValues(form, "StatusCallbackEvent"),
            (std::vector<std::string>{"initiated", "ringing", "answered", "completed"}));
  EXPECT_EQ(twilio::formValue(form, "Record"), "true");
  EXPECT_EQ(twilio::formValue(form, "RecordingChannels"), "dual");
  EXPECT_EQ(twilio::formValue(form, "RecordingStatusCallback"),
            std::string(kPublic) + "/twilio/recording-status");
  EXPECT_EQ(twilio::formValue(form, "MachineDetection"), "Enable");
  EXPECT_EQ(twilio::formValue(form, "Timeout"), "25");
}

TEST_F(GatewayRoutes, DialerCannotSetCallbacksOrRecording) {
  for (const char* field : {R"(,"status_callback":"https://x.example.com")", R"(,"record":false)",
                            R"(,"recording_channels":"mono")", R"(,"StatusCallback":"x")"}) {
    auto r = place(placeBody(field));
    EXPECT_EQ(r.status, 422) << field;
    EXPECT_EQ(r.errorField("code"), "UNKNOWN_FIELD") << field;
  }
  auto none = place(R"({"to":"+13125550142","purpose":"informational","from":"+13125550100"})");
  EXPECT_EQ(none.status, 422);
  EXPECT_EQ(none.errorField("code"), "MISSING_FIELD");
  EXPECT_TRUE(twilio_.requests(Endpoint::kCreateCall).empty());
}

TEST_F(GatewayRoutes, DeniedCallIs403AndNothingReachesTwilio) {
  server_->clock().set(parseRfc3339("2026-07-15T07:00:00Z").value());  // 02:00 in Chicago
  auto r = place();
  ASSERT_EQ(r.status, 403) << r.body;
  auto j = r.json();
  EXPECT_EQ(r.errorField("code"), "CALL_DENIED");
  EXPECT_EQ(j->getValue<std::string>("decision"), "deny");
  EXPECT_EQ(j->getArray("reasons")->getObject(0)->getValue<std::string>("code"), "CALLING_WINDOW");
  EXPECT_FALSE(j->getValue<std::string>("next_allowed_at").empty());
  EXPECT_TRUE(twilio_.requests(Endpoint::kAny).empty());
}

TEST_F(GatewayRoutes, TwilioRefusalIs502WithItsCodeAndReleasesTheSlot) {
  twilio_.failNext(Endpoint::kCreateCall, 400, 21211, "Invalid 'To' Phone Number");
  auto r = place();
  ASSERT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(r.errorField("code"), "TWILIO_REFUSED");
  auto err = r.json()->getObject("error");
  EXPECT_EQ(err->getValue<int>("twilio_code"), 21211);
  EXPECT_EQ(r.json()->getValue<std::string>("reservation_state"), "released");
  EXPECT_EQ(stateOf(r.json()->getValue<std::string>("reservation_id")), "released");
}

TEST_F(GatewayRoutes, RateLimitIs503WithRetryAfterAndReleasesTheSlot) {
  twilio_.rateLimitNext(Endpoint::kCreateCall, 7);
  auto r = place();
  ASSERT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.errorField("code"), "TWILIO_RATE_LIMITED");
  EXPECT_EQ(r.headers["Retry-After"], "7");
  EXPECT_EQ(stateOf(r.json()->getValue<std::string>("reservation_id")), "released");
  EXPECT_EQ(twilio_.requests(Endpoint::kCreateCall).size(), 1u);  // a create is never repeated
}

TEST_F(GatewayRoutes, LostAnswerAfterTheCallWasCreatedIsFoundAtOnce) {
  // Reset and 500 after Twilio created the call: the answer is lost, the list finds it.
  twilio_.resetNext(Endpoint::kCreateCall, /*perform_operation=*/true);
  FakeTwilio::Fault fault;
  fault.kind = FakeTwilio::Fault::Kind::kError;
  fault.http_status = 500;
  fault.perform_operation = true;
  twilio_.addFault(Endpoint::kCreateCall, fault);
  for (int i = 0; i < 2; ++i) {
    auto r = place();
    ASSERT_EQ(r.status, 201) << r.body;
    auto j = r.json();
    EXPECT_TRUE(j->getValue<bool>("reconciled"));
    EXPECT_TRUE(twilio_.call(j->getValue<std::string>("call_sid")).has_value());
    EXPECT_EQ(stateOf(j->getValue<std::string>("reservation_id")), "pending");
    // Calls already bound are not candidates for the next lost answer.
    twilio_.setCallStatus(j->getValue<std::string>("call_sid"), "completed");
    ASSERT_TRUE(statusCallback(j->getValue<std::string>("call_sid"), "completed"));
  }
  EXPECT_EQ(twilio_.requests(Endpoint::kCreateCall).size(), 2u);
}

TEST_F(GatewayRoutes, LostAnswerWithoutACallStaysCountedAndIsReconciledLater) {
  // A timeout: the fake creates the call only after the client gave up.
  twilio_.delayNext(Endpoint::kCreateCall, milliseconds(1500));
  auto r = place();
  ASSERT_EQ(r.status, 202) << r.body;
  auto j = r.json();
  EXPECT_EQ(j->getValue<std::string>("status"), "unknown");
  EXPECT_TRUE(j->get("call_sid").isEmpty());
  const std::string id = j->getValue<std::string>("reservation_id");
  EXPECT_EQ(stateOf(id), "pending");  // counts

  // The call now exists and ends busy; the reconciler (every second, fake time) finds it.
  ASSERT_TRUE(eventually([&] { return twilio_.calls().size() == 1; }));
  twilio_.setCallStatus(twilio_.calls()[0].sid, "busy");
  server_->clock().advance(std::chrono::seconds(5));
  EXPECT_TRUE(eventually([&] { return stateOf(id) == "released"; })) << stateOf(id);
}

TEST_F(GatewayRoutes, ServerErrorWithoutACallStaysCounted) {
  twilio_.failNext(Endpoint::kCreateCall, 500, 20500, "Internal Server Error");
  auto r = place();
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string id = r.json()->getValue<std::string>("reservation_id");
  server_->clock().advance(std::chrono::seconds(5));
  std::this_thread::sleep_for(milliseconds(1500));  // at least one reconciler pass
  EXPECT_EQ(stateOf(id), "pending");
  EXPECT_GE(twilio_.requests(Endpoint::kListCalls).size(), 2u);
}

TEST_F(GatewayRoutes, BusyCallbackReleasesTheSlotAndCompletedCounts) {
  auto busy = place().json();
  const std::string busy_sid = busy->getValue<std::string>("call_sid");
  ASSERT_TRUE(statusCallback(busy_sid, "initiated"));
  ASSERT_TRUE(statusCallback(busy_sid, "ringing"));
  twilio_.setCallStatus(busy_sid, "busy");
  auto cb = statusCallback(busy_sid, "completed");
  ASSERT_TRUE(cb);
  EXPECT_EQ(cb->status, 204) << cb->body;
  EXPECT_TRUE(eventually(
      [&] { return stateOf(busy->getValue<std::string>("reservation_id")) == "released"; }));

  auto done = place().json();
  const std::string sid = done->getValue<std::string>("call_sid");
  for (const char* event : {"initiated", "ringing", "answered", "completed"})
    ASSERT_TRUE(statusCallback(sid, event));
  EXPECT_TRUE(eventually(
      [&] { return stateOf(done->getValue<std::string>("reservation_id")) == "counted"; }));
}

TEST_F(GatewayRoutes, DuplicateAndOutOfOrderCallbacksChangeNothing) {
  auto j = place().json();
  const std::string sid = j->getValue<std::string>("call_sid");
  const std::string id = j->getValue<std::string>("reservation_id");
  const std::string url = std::string(kPublic) + "/twilio/call-status";
  auto send = [&](const std::string& status, int seq) {
    twilio::FormParams p = {{"AccountSid", twilio_.accountSid()},
                            {"CallSid", sid},
                            {"CallStatus", status},
                            {"From", kFrom},
                            {"SequenceNumber", std::to_string(seq)},
                            {"To", kTo}};
    auto r = twilio_.sendSignedRequest(url, p, "POST", via());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204) << r->body;
  };
  send("completed", 3);
  send("completed", 3);  // replay
  send("ringing", 1);    // late
  send("in-progress", 2);
  EXPECT_TRUE(eventually([&] { return stateOf(id) == "counted"; }));
  std::this_thread::sleep_for(milliseconds(200));
  auto a = attempts()->getArray("counted");
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ(a->getObject(0)->getValue<std::string>("outcome"), "completed");
  EXPECT_EQ(a->getObject(0)->getValue<std::string>("call_sid"), sid);
}

TEST_F(GatewayRoutes, CallbacksWithAMissingOrWrongSignatureAre403) {
  auto j = place().json();
  const std::string sid = j->getValue<std::string>("call_sid");
  auto opts = via();
  opts.signature = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  twilio_.setCallStatus(sid, "busy");
  auto forged = twilio_.sendStatusCallback(sid, "completed", {}, opts);
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 403);

  // Signed with another token, or over the loopback URL instead of the public one.
  auto other = via();
  other.auth_token = "not-the-auth-token";
  EXPECT_EQ(twilio_.sendStatusCallback(sid, "completed", {}, other)->status, 403);
  auto loopback = via();
  loopback.sign_url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/twilio/call-status";
  EXPECT_EQ(twilio_.sendStatusCallback(sid, "completed", {}, loopback)->status, 403);

  HttpRequestSpec spec;
  spec.method = "POST";
  spec.path = "/twilio/recording-status";
  spec.content_type = "application/x-www-form-urlencoded";
  spec.body = "CallSid=" + sid + "&RecordingSid=RE1&RecordingStatus=completed";
  auto missing = server_->send(spec);
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(missing.errorField("code"), "INVALID_SIGNATURE");

  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(stateOf(j->getValue<std::string>("reservation_id")), "pending");
}

TEST_F(GatewayRoutes, RecordingCallbackIsAcceptedWhenSigned) {
  auto j = place().json();
  const std::string sid = j->getValue<std::string>("call_sid");
  twilio::FormParams p = {{"AccountSid", twilio_.accountSid()},
                          {"CallSid", sid},
                          {"RecordingSid", "RE0123456789abcdef0123456789abcdef"},
                          {"RecordingStatus", "completed"},
                          {"RecordingChannels", "2"}};
  auto r = twilio_.sendSignedRequest(std::string(kPublic) + "/twilio/recording-status", p, "POST",
                                     via());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204) << r->body;
}

// The endpoint accepts what the official twilio npm package signs (tools/prism/install).
TEST_F(GatewayRoutes, AcceptsTheSignatureOfTheOfficialTwilioPackage) {
  namespace fs = std::filesystem;
  const fs::path package =
      fs::path(CALLWARDEN_SOURCE_DIR) / "tools/prism/twilio-node/node_modules/twilio";
  if (!fs::exists(package)) GTEST_SKIP() << "twilio npm package not installed; tools/prism/install";
  if (std::system("node --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "node is not on PATH";

  auto j = place().json();
  const std::string sid = j->getValue<std::string>("call_sid");
  const std::string url = std::string(kPublic) + "/twilio/call-status";
  TempDir tmp;
  const std::string out = tmp.file("sig.txt");
  std::ostringstream script;
  script << "const t=require('" << package.string() << "');"
         << "process.stdout.write(t.getExpectedTwilioSignature('" << twilio_.authToken() << "','"
         << url << "',{CallSid:'" << sid << "',CallStatus:'no-answer',SequenceNumber:'2',To:'"
         << kTo << "',From:'" << kFrom << "',Caller:'" << kFrom << "'}));";
  const std::string cmd = "node -e \"" + script.str() + "\" > " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(out);
  std::string signature;
  std::getline(in, signature);
  ASSERT_EQ(signature.size(), 28u) << signature;

  HttpRequestSpec spec;
  spec.method = "POST";
  spec.path = "/twilio/call-status";
  spec.content_type = "application/x-www-form-urlencoded";
  spec.body = twilio::formUrlEncode({{"CallSid", sid},
                                     {"CallStatus", "no-answer"},
                                     {"SequenceNumber", "2"},
                                     {"To", kTo},
                                     {"From", kFrom},
                                     {"Caller", kFrom}});
  spec.headers["X-Twilio-Signature"] = signature;
  auto r = server_->send(spec);
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(r.headers.count("Content-Length"), 0u);  // RFC 9110 8.6
  EXPECT_TRUE(
      eventually([&] { return stateOf(j->getValue<std::string>("reservation_id")) == "counted"; }));
  // One byte changed in a value: rejected.
  spec.body = twilio::formUrlEncode({{"CallSid", sid},
                                     {"CallStatus", "busy"},
                                     {"SequenceNumber", "2"},
                                     {"To", kTo},
                                     {"From", kFrom},
                                     {"Caller", kFrom}});
  EXPECT_EQ(server_->send(spec).status, 403);
}

// Check, place, callbacks, attempt counted; Reg F's 8th call in 7 days is denied.
TEST_F(GatewayRoutes, EndToEndTheEighthCallForADebtIsDenied) {
  auto check = server_->postJson(
      "/v1/calls/check",
      R"({"to":"+13125550142","purpose":"debt_collection","subject_id":"S-1","debts":["D1"]})",
      kDialerToken);
  ASSERT_EQ(check.status, 200) << check.body;
  EXPECT_EQ(check.json()->getValue<std::string>("decision"), "allow");
  for (int i = 0; i < 7; ++i) {
    server_->clock().advance(std::chrono::minutes(5));
    twilio_clock_.advance(std::chrono::minutes(5));
    auto r = place();
    ASSERT_EQ(r.status, 201) << "call " << i + 1 << ": " << r.body;
    const std::string sid = r.json()->getValue<std::string>("call_sid");
    twilio_.setCallStatus(sid, "no-answer");
    ASSERT_TRUE(statusCallback(sid, "initiated"));
    ASSERT_TRUE(statusCallback(sid, "ringing"));
    ASSERT_TRUE(statusCallback(sid, "completed"));
    const std::string id = r.json()->getValue<std::string>("reservation_id");
    ASSERT_TRUE(eventually([&] { return stateOf(id) == "counted"; })) << stateOf(id);
  }
  EXPECT_EQ(attempts()->getArray("counted")->size(), 7u);
  server_->clock().advance(std::chrono::minutes(5));
  auto eighth = place();
  ASSERT_EQ(eighth.status, 403) << eighth.body;
  bool regf = false;
  auto reasons = eighth.json()->getArray("reasons");
  for (size_t i = 0; i < reasons->size(); ++i)
    regf = regf || reasons->getObject(static_cast<unsigned>(i))->getValue<std::string>("code") ==
                       "REGF_7_IN_7";
  EXPECT_TRUE(regf) << eighth.body;
  EXPECT_EQ(twilio_.requests(Endpoint::kCreateCall).size(), 7u);
}

TEST(GatewayRoutesUnconfigured, PlacingIs503AndCallbacksAre403) {
  TestServer server;
  auto r = server.postJson("/v1/calls", placeBody(), kDialerToken);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.errorField("code"), "TWILIO_NOT_CONFIGURED");
  HttpRequestSpec spec;
  spec.method = "POST";
  spec.path = "/twilio/call-status";
  spec.content_type = "application/x-www-form-urlencoded";
  spec.body = "CallSid=CA1&CallStatus=busy";
  spec.headers["X-Twilio-Signature"] = "x";
  EXPECT_EQ(server.send(spec).status, 403);
}

TEST(GatewayRoutesUnconfigured, UnsafeTokenFileStopsTheStart) {
  TempDir dir;
  const std::string token = dir.file("token");
  std::ofstream(token) << "secret\n";
  ::chmod(token.c_str(), 0644);
  EXPECT_THROW(TestServer([&](app::Config& c) {
                 c.twilio_account_sid = "AC0123456789abcdef0123456789abcdef";
                 c.twilio_auth_token_file = token;
                 c.twilio_public_base_url = kPublic;
               }),
               std::runtime_error);
}

}  // namespace
}  // namespace callwarden::testing
