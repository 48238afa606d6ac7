// Recording control over HTTP (issue #8; docs/recording.md): payment pauses confirmed by the
// stateful fake Twilio, fail-closed answers, the durable resume timer, restarts, callbacks.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "FakeTwilio.h"
#include "FakeTwilioConfig.h"
#include "TestServer.h"
#include "twilio/FormParams.h"

namespace callwarden::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Endpoint = FakeTwilio::Endpoint;

constexpr const char* kTo = "+13125550142";  // Chicago: Illinois is an all-party state
constexpr const char* kFrom = "+13125550100";
constexpr const char* kPublic = "https://gate.example.com";

class RecordingRoutes : public ::testing::Test {
 protected:
  RecordingRoutes()
      : twilio_clock_("2026-07-15T16:00:00Z"), twilio_(fakeTwilioOptions(&twilio_clock_)) {
    server_ = std::make_unique<TestServer>([&](app::Config& c) {
      configureForFakeTwilio(c, twilio_, token_dir_.file("twilio-auth-token"), kPublic);
      c.twilio_timeout_ms = 2000;
      c.twilio_reconcile_interval_seconds = 1;
      c.recording_pause_timeout_ms = 300;
      c.recording_resume_deadline_seconds = 180;
    });
  }

  // An inbound call, live, with one recording callwarden started (policy applied).
  std::string liveRecordedCall() {
    const std::string call = twilio_.addCall(kTo, kFrom, "in-progress");
    auto r = server_->postJson("/v1/calls/" + call + "/recordings",
                               std::string(R"({"to":")") + kTo + R"("})", kAgentToken);
    EXPECT_EQ(r.status, 201) << r.body;
    recording_sid_ = r.json()->getValue<std::string>("recording_sid");
    return call;
  }
  HttpResult pay(const std::string& call) {
    return server_->postJson("/v1/calls/" + call + "/payments", "{}", kAgentToken);
  }
  HttpResult complete(const std::string& call, const std::string& id) {
    return server_->postJson("/v1/calls/" + call + "/payments/" + id + "/complete", "",
                             kAgentToken);
  }
  std::string state(const std::string& call) {
    auto r = server_->get("/v1/calls/" + call + "/recording", kAuditorToken);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()->getValue<std::string>("state");
  }
  std::string fakeStatus(const std::string& rec) { return twilio_.recording(rec)->status; }
  FakeTwilio::CallbackOptions via() {
    FakeTwilio::CallbackOptions o;
    o.deliver_to = "http://127.0.0.1:" + std::to_string(server_->port());
    return o;
  }
  bool eventually(const std::function<bool()>& done, milliseconds limit = milliseconds(8000)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (done()) return true;
      std::this_thread::sleep_for(milliseconds(25));
    }
    return done();
  }
  size_t pauseRequests() {
    size_t n = 0;
    for (const auto& r : twilio_.requests(Endpoint::kUpdateRecording))
      if (twilio::formValue(r.form, "Status") == "paused") ++n;
    return n;
  }

  TempDir token_dir_;
  FakeClock twilio_clock_;
  FakeTwilio twilio_;
  std::unique_ptr<TestServer> server_;
  std::string recording_sid_;
};

TEST_F(RecordingRoutes, StartRecordingOnInboundCallIsDualAndAnnouncedInAllPartyState) {
  const std::string call = twilio_.addCall(kTo, kFrom, "in-progress");
  auto r = server_->postJson("/v1/calls/" + call + "/recordings",
                             std::string(R"({"to":")") + kTo + R"("})", kAgentToken);
  ASSERT_EQ(r.status, 201) << r.body;
  auto rec = r.json()->getObject("recording");
  EXPECT_TRUE(rec->getValue<bool>("record"));
  EXPECT_TRUE(rec->getValue<bool>("announce"));
  EXPECT_EQ(rec->getValue<std::string>("channels"), "dual");
  auto creates = twilio_.requests(Endpoint::kCreateRecording);
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(twilio::formValue(creates[0].form, "RecordingChannels"), "dual");
  EXPECT_EQ(twilio::formValue(creates[0].form, "RecordingStatusCallback"),
            std::string(kPublic) + "/twilio/recording-status");
  EXPECT_EQ(state(call), "recording");
}

TEST_F(RecordingRoutes, EuSubjectWithoutConsentIsNotRecordedAndWithConsentIs) {
  const std::string call = twilio_.addCall("+33612345678", kFrom, "in-progress");
  auto r = server_->postJson("/v1/calls/" + call + "/recordings",
                             R"({"to":"+33612345678","subject_id":"EU-1"})", kAgentToken);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json()->getObject("recording")->getValue<bool>("record"));
  EXPECT_TRUE(twilio_.requests(Endpoint::kCreateRecording).empty());

  auto c = server_->postJson("/v1/consents",
                             R"({"subject_id":"EU-1","scope":"recording","action":"grant",)"
                             R"("channel":"verbal","words":"yes, record"})",
                             kAgentToken);
  ASSERT_LT(c.status, 300) << c.body;
  r = server_->postJson("/v1/calls/" + call + "/recordings",
                        R"({"to":"+33612345678","subject_id":"EU-1"})", kAgentToken);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(r.json()->getObject("recording")->getValue<bool>("record"));
  EXPECT_EQ(r.json()->getObject("recording")->getValue<std::string>("basis"), "eu_uk_consent");
}

TEST_F(RecordingRoutes, ConfirmedPauseAndResume) {
  const std::string call = liveRecordedCall();
  auto p = pay(call);
  ASSERT_EQ(p.status, 201) << p.body;
  auto j = p.json();
  EXPECT_EQ(j->getValue<std::string>("recording_state"), "paused");
  EXPECT_EQ(j->getValue<std::string>("resume_deadline"), "2026-07-15T16:03:00Z");
  const std::string id = j->getValue<std::string>("payment_id");
  EXPECT_EQ(fakeStatus(recording_sid_), "paused");
  EXPECT_EQ(twilio_.recording(recording_sid_)->pause_behavior, "skip");
  EXPECT_EQ(state(call), "paused");

  auto c = complete(call, id);
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.json()->getValue<std::string>("state"), "resumed");
  EXPECT_EQ(c.json()->getValue<std::string>("recording_state"), "recording");
  EXPECT_EQ(fakeStatus(recording_sid_), "in-progress");
  // Idempotent.
  auto again = complete(call, id);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()->getValue<std::string>("state"), "resumed");

  auto v = server_->get("/v1/calls/" + call + "/recording", kAgentToken).json();
  auto hist = v->getArray("history");
  ASSERT_EQ(hist->size(), 1u);
  EXPECT_EQ(hist->getObject(0)->getValue<std::string>("confirmed_at"), "2026-07-15T16:00:00Z");
}

TEST_F(RecordingRoutes, RefusedPauseIs503AndNothingIsPaused) {
  const std::string call = liveRecordedCall();
  twilio_.failNext(Endpoint::kUpdateRecording, 400, 21220, "Call is not in-progress");
  auto p = pay(call);
  ASSERT_EQ(p.status, 503) << p.body;
  EXPECT_EQ(p.errorField("code"), "PAUSE_UNCONFIRMED");
  EXPECT_EQ(p.json()->getValue<std::string>("recording_state"), "recording");
  EXPECT_EQ(fakeStatus(recording_sid_), "in-progress");
  EXPECT_EQ(state(call), "recording");
  auto hist =
      server_->get("/v1/calls/" + call + "/recording", kAgentToken).json()->getArray("history");
  ASSERT_EQ(hist->size(), 1u);
  EXPECT_EQ(hist->getObject(0)->getValue<std::string>("state"), "unconfirmed");
  // The session is closed: a new attempt is possible.
  EXPECT_EQ(pay(call).status, 201);
}

TEST_F(RecordingRoutes, UnconfirmedManualPauseIsCountedInMetrics) {
  const std::string call = liveRecordedCall();
  twilio_.failNext(Endpoint::kUpdateRecording, 400, 21220, "Call is not in-progress");
  auto p = server_->postJson("/v1/calls/" + call + "/recordings/pause", R"({"reason":"card"})",
                             kAgentToken);
  ASSERT_EQ(p.status, 503) << p.body;
  EXPECT_EQ(p.errorField("code"), "PAUSE_UNCONFIRMED");
  EXPECT_NE(server_->get("/metrics").body.find("callwarden_recording_pause_unconfirmed_total 1"),
            std::string::npos);
}

TEST_F(RecordingRoutes, WrongStatusAnswerIs503) {
  const std::string call = liveRecordedCall();
  twilio_.answerWrongRecordingStatus("in-progress");
  auto p = pay(call);
  ASSERT_EQ(p.status, 503) << p.body;
  EXPECT_EQ(p.errorField("code"), "PAUSE_UNCONFIRMED");
  EXPECT_EQ(state(call), "recording");
}

TEST_F(RecordingRoutes, TimedOutPauseIs503) {
  const std::string call = liveRecordedCall();
  twilio_.delayNext(Endpoint::kUpdateRecording, milliseconds(1500), 2);
  auto p = pay(call);
  ASSERT_EQ(p.status, 503) << p.body;
  EXPECT_EQ(p.errorField("code"), "PAUSE_UNCONFIRMED");
  EXPECT_NE(state(call), "paused");
}

TEST_F(RecordingRoutes, SecondPaymentWhileOneIsOpenIs409) {
  const std::string call = liveRecordedCall();
  ASSERT_EQ(pay(call).status, 201);
  auto second = pay(call);
  EXPECT_EQ(second.status, 409) << second.body;
  auto manual = server_->postJson("/v1/calls/" + call + "/recordings/pause", R"({"reason":"card"})",
                                  kAgentToken);
  EXPECT_EQ(manual.status, 409) << manual.body;
}

TEST_F(RecordingRoutes, ConcurrentPaymentSessionsOnlyOneWins) {
  const std::string call = liveRecordedCall();
  std::vector<int> statuses(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < statuses.size(); ++i)
    threads.emplace_back([&, i] { statuses[i] = pay(call).status; });
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 201), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 409), 3);
}

TEST_F(RecordingRoutes, AutomaticResumeAtTheDeadline) {
  const std::string call = liveRecordedCall();
  ASSERT_EQ(pay(call).status, 201);
  server_->clock().advance(seconds(179));
  std::this_thread::sleep_for(milliseconds(1300));
  EXPECT_EQ(fakeStatus(recording_sid_), "paused");
  server_->clock().advance(seconds(2));
  EXPECT_TRUE(eventually([&] { return fakeStatus(recording_sid_) == "in-progress"; }));
  EXPECT_TRUE(eventually([&] { return state(call) == "recording"; }));
}

TEST_F(RecordingRoutes, RestartDuringPauseResumesOverdueSession) {
  const std::string call = liveRecordedCall();
  ASSERT_EQ(pay(call).status, 201);
  server_->stop();
  server_->clock().advance(seconds(600));
  server_->restart();
  EXPECT_TRUE(eventually([&] { return fakeStatus(recording_sid_) == "in-progress"; }));
  EXPECT_TRUE(eventually([&] { return state(call) == "recording"; }));
}

// A pause whose final state could not be stored leaves its session "pausing", which would
// refuse every later payment on the call until a restart. The timer recovers it once it is
// older than any pause request can take: what it paused is resumed and payments work again.
TEST_F(RecordingRoutes, SessionLeftPausingIsRecoveredWithoutARestart) {
  const std::string call = liveRecordedCall();
  ASSERT_EQ(pay(call).status, 201);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(server_->dir().file("callwarden.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    const std::string sql =
        "UPDATE recording_session SET state = 'pausing', next_attempt_at = NULL WHERE call_sid = "
        "'" +
        call + "'";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_close(db);
  }
  EXPECT_EQ(pay(call).status, 409);
  server_->clock().advance(seconds(60));
  std::this_thread::sleep_for(milliseconds(1300));
  EXPECT_EQ(fakeStatus(recording_sid_), "paused");  // young: may still be in progress
  server_->clock().advance(seconds(300));
  EXPECT_TRUE(eventually([&] { return fakeStatus(recording_sid_) == "in-progress"; }));
  EXPECT_TRUE(eventually([&] { return state(call) == "recording"; }));
  EXPECT_EQ(pay(call).status, 201);
}

TEST_F(RecordingRoutes, FailedResumeIsRetriedAndShown) {
  const std::string call = liveRecordedCall();
  auto p = pay(call);
  ASSERT_EQ(p.status, 201);
  twilio_.failNext(Endpoint::kUpdateRecording, 400, 20001, "refused");
  auto c = complete(call, p.json()->getValue<std::string>("payment_id"));
  EXPECT_EQ(c.status, 502) << c.body;
  EXPECT_EQ(state(call), "resume_failed");
  auto m = server_->get("/metrics");
  EXPECT_NE(m.body.find("callwarden_recording_resume_failed_total"), std::string::npos);
  server_->clock().advance(seconds(6));
  EXPECT_TRUE(eventually([&] { return fakeStatus(recording_sid_) == "in-progress"; }));
  EXPECT_TRUE(eventually([&] { return state(call) == "recording"; }));
}

TEST_F(RecordingRoutes, CallEndingDuringPauseClosesWithoutResume) {
  const std::string call = liveRecordedCall();
  auto p = pay(call);
  ASSERT_EQ(p.status, 201);
  twilio_.setCallStatus(call, "completed");
  ASSERT_TRUE(twilio_.sendRecordingCallback(recording_sid_, "completed", {}, via()).isOk());
  // The deadline passes: the resume finds the call over and closes the session.
  server_->clock().advance(seconds(200));
  EXPECT_TRUE(eventually([&] {
    auto v = server_->get("/v1/calls/" + call + "/recording", kAgentToken).json();
    auto h = v->getArray("history");
    return h->size() == 1 && h->getObject(0)->getValue<std::string>("state") == "ended";
  }));
  size_t resumes = 0;
  for (const auto& r : twilio_.requests(Endpoint::kUpdateRecording))
    if (twilio::formValue(r.form, "Status") == "in-progress") ++resumes;
  EXPECT_EQ(resumes, 0u);
}

TEST_F(RecordingRoutes, RecordingStartingDuringPaymentIsPausedAtOnce) {
  const std::string call = liveRecordedCall();
  ASSERT_EQ(pay(call).status, 201);
  const std::string second =
      twilio_.addRecording(call, std::string(kPublic) + "/twilio/recording-status");
  ASSERT_TRUE(twilio_.sendRecordingCallback(second, "in-progress", {}, via()).isOk());
  EXPECT_TRUE(eventually([&] { return fakeStatus(second) == "paused"; }));
  EXPECT_TRUE(eventually([&] { return state(call) == "paused"; }));
}

// Starting a recording while a payment is open would capture the card until a pause landed.
TEST_F(RecordingRoutes, NoRecordingStartsWhileAPaymentIsOpen) {
  const std::string call = liveRecordedCall();
  auto p = pay(call);
  ASSERT_EQ(p.status, 201) << p.body;
  const size_t before = twilio_.recordings().size();
  auto r = server_->postJson("/v1/calls/" + call + "/recordings",
                             std::string(R"({"to":")") + kTo + R"("})", kAgentToken);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.errorField("code"), "RECORDING_PAUSED");
  EXPECT_EQ(twilio_.recordings().size(), before);
  ASSERT_EQ(complete(call, p.json()->getValue<std::string>("payment_id")).status, 200);
  EXPECT_EQ(server_
                ->postJson("/v1/calls/" + call + "/recordings",
                           std::string(R"({"to":")") + kTo + R"("})", kAgentToken)
                .status,
            201);
}

TEST_F(RecordingRoutes, ManualPauseAndResumeNeedAReason) {
  const std::string call = liveRecordedCall();
  EXPECT_EQ(server_->postJson("/v1/calls/" + call + "/recordings/pause", "{}", kAgentToken).status,
            422);
  auto p = server_->postJson("/v1/calls/" + call + "/recordings/pause",
                             R"({"reason":"health details"})", kAgentToken);
  ASSERT_EQ(p.status, 201) << p.body;
  EXPECT_EQ(state(call), "paused");
  auto r = server_->postJson("/v1/calls/" + call + "/recordings/resume", R"({"reason":"done"})",
                             kAgentToken);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(state(call), "recording");
  // The reason is free text an agent typed: sealed in the audit log, never in clear.
  std::ifstream log(server_->config().audit_dir + "/records.log", std::ios::binary);
  ASSERT_TRUE(log.good());
  const std::string bytes((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(bytes.find(p.json()->getValue<std::string>("pause_id")), std::string::npos);
  EXPECT_EQ(bytes.find("health details"), std::string::npos);
}

// A manual pause's id is not a payment's: completing it as one is a 404 that resumes nothing.
TEST_F(RecordingRoutes, CompletingAPauseAsAPaymentResumesNothing) {
  const std::string call = liveRecordedCall();
  auto p = server_->postJson("/v1/calls/" + call + "/recordings/pause", R"({"reason":"x"})",
                             kAgentToken);
  ASSERT_EQ(p.status, 201) << p.body;
  auto c = complete(call, p.json()->getValue<std::string>("pause_id"));
  EXPECT_EQ(c.status, 404) << c.body;
  EXPECT_EQ(state(call), "paused");
  EXPECT_EQ(fakeStatus(recording_sid_), "paused");
}

TEST_F(RecordingRoutes, DialerScopeCannotPause) {
  const std::string call = liveRecordedCall();
  EXPECT_EQ(server_->postJson("/v1/calls/" + call + "/payments", "{}", kDialerToken).status, 403);
}

}  // namespace
}  // namespace callwarden::testing
