// The call placer over a fake telephony port, the real gate and the real SQLite ledger: what is
// sent, how each provider answer settles the reservation, callbacks (signature, replay, order)
// and reconciliation of lost answers.

#include "dialer/CallPlacer.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include "FakeClock.h"
#include "TempDir.h"
#include "common/Rfc3339.h"
#include "rules/FrequencyRuleLoader.h"
#include "rules/NumberingPlanLoader.h"
#include "store/Database.h"
#include "store/SqliteAttemptLedger.h"

namespace callwarden::dialer {
namespace {

using std::chrono::seconds;

constexpr const char* kBase = "https://gate.example.com";
constexpr const char* kTo = "+13125550142";
constexpr const char* kFrom = "+13125550100";

class FakePort final : public TelephonyPort {
 public:
  TelephonyResult<TelephonyCall> createCall(const OutboundCall& call) override {
    std::lock_guard lock(mutex);
    created.push_back(call);
    if (!create_answers.empty()) {
      auto a = create_answers.front();
      create_answers.pop_front();
      return a;
    }
    return addCallLocked(call.to, call.from, "queued");
  }
  TelephonyResult<TelephonyCall> fetchCall(const std::string& sid) override {
    std::lock_guard lock(mutex);
    ++fetches;
    for (const auto& c : calls)
      if (c.sid == sid) return c;
    return TelephonyError{TelephonyFailure::kRefused, 404, 20404, "not found", {}};
  }
  TelephonyResult<std::vector<TelephonyCall>> findCallsForAttempt(const OutboundCall& call,
                                                                  Timestamp) override {
    std::lock_guard lock(mutex);
    ++finds;
    std::vector<TelephonyCall> out;
    for (const auto& c : calls)
      if (c.to == call.to && c.from == call.from) out.push_back(c);
    return out;
  }
  bool verifyWebhook(std::string_view url, const WebhookParams&,
                     std::string_view signature) const override {
    return signature == "good" && url.substr(0, std::string_view(kBase).size()) == kBase;
  }

  TelephonyCall addCall(const std::string& to, const std::string& from, const std::string& status) {
    std::lock_guard lock(mutex);
    return addCallLocked(to, from, status);
  }
  void setStatus(const std::string& sid, const std::string& status) {
    std::lock_guard lock(mutex);
    for (auto& c : calls)
      if (c.sid == sid) c.status = status;
  }
  void answerNextCreate(TelephonyError e) {
    std::lock_guard lock(mutex);
    create_answers.push_back(std::move(e));
  }

  std::mutex mutex;
  std::vector<OutboundCall> created;
  std::vector<TelephonyCall> calls;
  std::deque<TelephonyResult<TelephonyCall>> create_answers;
  int fetches = 0;
  int finds = 0;

 private:
  TelephonyCall addCallLocked(const std::string& to, const std::string& from,
                              const std::string& status) {
    std::string n = std::to_string(calls.size() + 1);
    TelephonyCall c;
    c.sid = "CA" + std::string(32 - n.size(), '0') + n;
    c.status = status;
    c.to = to;
    c.from = from;
    calls.push_back(c);
    return c;
  }
};

class RecordingAudit final : public DurableAuditTrail {
 public:
  Result<uint64_t> append(const audit::AuditEvent& e) override {
    std::lock_guard lock(mutex);
    events.push_back(e);
    return static_cast<uint64_t>(events.size());
  }
  int count(audit::EventType type) {
    std::lock_guard lock(mutex);
    return static_cast<int>(
        std::count_if(events.begin(), events.end(), [&](const auto& e) { return e.type == type; }));
  }
  std::string lastClear(audit::EventType type, const std::string& key) {
    std::lock_guard lock(mutex);
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->type != type) continue;
      for (const auto& [k, v] : it->clear)
        if (k == key) return v;
    }
    return "<none>";
  }
  std::mutex mutex;
  std::vector<audit::AuditEvent> events;
};

class CallPlacerTest : public ::testing::Test {
 protected:
  CallPlacerTest()
      : clock_("2026-07-15T16:00:00Z"),
        db_(store::Database::open("sqlite:" + dir_.file("ledger.db")).value()),
        ledger_(*db_),
        gate_(rules::loadCallingWindowPolicy(std::string(CALLWARDEN_SOURCE_DIR) + "/data").value(),
              rules::loadFrequencyRules(std::string(CALLWARDEN_SOURCE_DIR) + "/data/rules/us.json")
                  .value(),
              ledger_, audit_, clock_) {
    options_.public_base_url = kBase;
    options_.reconcile_interval = seconds(60);
    placer_ = std::make_unique<CallPlacer>(gate_, ledger_, audit_, &port_, clock_, options_);
  }

  CallRequest request() {
    CallRequest r;
    r.call.to = kTo;
    r.call.purpose = policy::Purpose::kDebtCollection;
    r.call.at = clock_.now();
    r.subject_id = "S-1";
    r.debts = {"D1"};
    return r;
  }

  OutboundCall fields() {
    OutboundCall c;
    c.from = kFrom;
    c.url = "https://dialer.example.com/twiml";
    // A dialer cannot redirect the reports or turn the recording off.
    c.status_callback = "https://evil.example.com/steal";
    c.record = false;
    return c;
  }

  PlaceResult place() {
    auto r = placer_->place(request(), fields(), {"dialer-1", "req-1"});
    EXPECT_TRUE(r.isOk()) << r.status().toString();
    return r.isOk() ? *r : PlaceResult{};
  }

  Reservation reservation(const std::string& id) {
    Reservation out;
    Status s = ledger_.read([&](LedgerTxn& txn) {
      auto r = txn.reservation(id);
      if (!r) return Status::notFound(id);
      out = *r;
      return Status::ok();
    });
    EXPECT_TRUE(s.isOk()) << s.toString();
    return out;
  }

  PlacedCall placedCall(const std::string& reservation_id) {
    PlacedCall out;
    Status s = ledger_.read([&](LedgerTxn& txn) {
      auto p = txn.placedCall(reservation_id);
      if (!p) return Status::notFound(reservation_id);
      out = *p;
      return Status::ok();
    });
    EXPECT_TRUE(s.isOk()) << s.toString();
    return out;
  }

  Status callback(const std::string& sid, const std::string& status, int seq,
                  const std::string& signature = "good", WebhookParams extra = {}) {
    WebhookParams p = {{"CallSid", sid}, {"CallStatus", status}, {"To", kTo}, {"From", kFrom}};
    if (seq >= 0) p.emplace_back("SequenceNumber", std::to_string(seq));
    p.insert(p.end(), extra.begin(), extra.end());
    return placer_->receiveWebhook(WebhookKind::kCallStatus, "/twilio/call-status",
                                   std::string(kBase) + "/twilio/call-status", p, signature,
                                   "req-cb");
  }

  // Delivers a callback and applies it, as the worker would.
  void deliver(const std::string& sid, const std::string& status, int seq) {
    ASSERT_TRUE(callback(sid, status, seq).isOk());
    placer_->processPendingEvents();
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<store::Database> db_;
  store::SqliteAttemptLedger ledger_;
  RecordingAudit audit_;
  CallGate gate_;
  FakePort port_;
  CallPlacerOptions options_;
  std::unique_ptr<CallPlacer> placer_;
};

TEST(CallPlacerMapping, FinalStatusesMapToSettlementsInOnePlace) {
  EXPECT_EQ(settlementForFinalStatus("completed", false)->state, ReservationState::kCounted);
  EXPECT_EQ(settlementForFinalStatus("no-answer", false)->state, ReservationState::kCounted);
  EXPECT_EQ(settlementForFinalStatus("busy", true)->state, ReservationState::kReleased);
  EXPECT_EQ(settlementForFinalStatus("failed", true)->state, ReservationState::kReleased);
  EXPECT_EQ(settlementForFinalStatus("canceled", false)->state, ReservationState::kReleased);
  EXPECT_EQ(settlementForFinalStatus("canceled", true)->state, ReservationState::kCounted);
  EXPECT_EQ(settlementForFinalStatus("busy", false)->outcome, "busy");
  EXPECT_FALSE(settlementForFinalStatus("ringing", true).has_value());
  EXPECT_FALSE(settlementForFinalStatus("in-progress", true).has_value());
  EXPECT_FALSE(settlementForFinalStatus("something-new", true).has_value());
}

TEST_F(CallPlacerTest, AllowedCallIsCreatedWithForcedCallbacksAndDualRecording) {
  auto r = place();
  ASSERT_EQ(r.outcome, PlaceOutcome::kPlaced);
  EXPECT_EQ(r.call_status, "queued");
  ASSERT_EQ(port_.created.size(), 1u);
  const auto& c = port_.created[0];
  EXPECT_EQ(c.to, kTo);
  EXPECT_EQ(c.status_callback, std::string(kBase) + "/twilio/call-status");
  EXPECT_EQ(c.status_callback_events,
            (std::vector<std::string>{"initiated", "ringing", "answered", "completed"}));
  EXPECT_TRUE(c.record);
  EXPECT_EQ(c.recording_channels, "dual");
  EXPECT_EQ(c.recording_status_callback, std::string(kBase) + "/twilio/recording-status");
  const auto p = placedCall(*r.decision.reservation_id);
  EXPECT_EQ(p.call_sid, r.call_sid);
  EXPECT_EQ(p.state, PlacedCallState::kPlaced);
  EXPECT_EQ(reservation(*r.decision.reservation_id).state, ReservationState::kPending);
  EXPECT_EQ(audit_.lastClear(audit::EventType::kCallPlaced, "result"), "placed");
  EXPECT_EQ(audit_.lastClear(audit::EventType::kCallPlaced, "call_sid"), r.call_sid);
}

TEST_F(CallPlacerTest, DeniedCallSendsNothing) {
  clock_.set(parseRfc3339("2026-07-15T07:00:00Z").value());  // 02:00 in Chicago
  auto r = place();
  EXPECT_EQ(r.outcome, PlaceOutcome::kDenied);
  EXPECT_FALSE(r.decision.allowed);
  EXPECT_TRUE(port_.created.empty());
  EXPECT_EQ(audit_.count(audit::EventType::kCallPlaced), 0);
}

TEST_F(CallPlacerTest, RefusedCallReleasesTheReservation) {
  port_.answerNextCreate({TelephonyFailure::kRefused, 400, 21211, "Invalid 'To' Phone Number", {}});
  auto r = place();
  ASSERT_EQ(r.outcome, PlaceOutcome::kRefused);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, 21211);
  const auto res = reservation(*r.decision.reservation_id);
  EXPECT_EQ(res.state, ReservationState::kReleased);
  EXPECT_EQ(res.outcome, "not-placed");
  EXPECT_EQ(placedCall(res.id).state, PlacedCallState::kRefused);
  EXPECT_EQ(audit_.lastClear(audit::EventType::kCallPlaced, "twilio_error_code"), "21211");
}

TEST_F(CallPlacerTest, RateLimitAndUnreachableReleaseTheReservation) {
  port_.answerNextCreate({TelephonyFailure::kRefused, 429, 20429, "Too Many Requests", seconds(5)});
  auto r = place();
  EXPECT_EQ(r.outcome, PlaceOutcome::kRateLimited);
  EXPECT_EQ(reservation(*r.decision.reservation_id).state, ReservationState::kReleased);
  port_.answerNextCreate({TelephonyFailure::kUnavailable, 0, 0, "connection refused", {}});
  r = place();
  EXPECT_EQ(r.outcome, PlaceOutcome::kUnavailable);
  EXPECT_EQ(reservation(*r.decision.reservation_id).state, ReservationState::kReleased);
}

TEST_F(CallPlacerTest, LostAnswerWithTheCallFoundAtOnceIsAdopted) {
  port_.answerNextCreate({TelephonyFailure::kOutcomeUnknown, 0, 0, "timeout", {}});
  const auto existing = port_.addCall(kTo, kFrom, "queued");  // Twilio did create it
  auto r = place();
  ASSERT_EQ(r.outcome, PlaceOutcome::kPlaced);
  EXPECT_TRUE(r.reconciled);
  EXPECT_EQ(r.call_sid, existing.sid);
  EXPECT_EQ(reservation(*r.decision.reservation_id).state, ReservationState::kPending);
  EXPECT_EQ(placedCall(*r.decision.reservation_id).call_sid, existing.sid);
}

TEST_F(CallPlacerTest, LostAnswerNotFoundStaysCountedUntilTheReconcilerFindsIt) {
  port_.answerNextCreate({TelephonyFailure::kOutcomeUnknown, 502, 0, "bad gateway", {}});
  auto r = place();
  ASSERT_EQ(r.outcome, PlaceOutcome::kUnknown);
  EXPECT_EQ(r.call_status, "unknown");
  const std::string id = *r.decision.reservation_id;
  EXPECT_EQ(reservation(id).state, ReservationState::kPending);  // pending counts
  EXPECT_EQ(placedCall(id).state, PlacedCallState::kUnknown);

  // Not due yet: nothing is looked up.
  const int finds = port_.finds;
  EXPECT_EQ(placer_->reconcileOnce(clock_.now()), 0);
  EXPECT_EQ(port_.finds, finds);

  // Twilio shows the call (finished, unanswered) on a later pass.
  const auto call = port_.addCall(kTo, kFrom, "no-answer");
  clock_.advance(seconds(61));
  EXPECT_EQ(placer_->reconcileOnce(clock_.now()), 1);
  const auto p = placedCall(id);
  EXPECT_EQ(p.call_sid, call.sid);
  EXPECT_EQ(p.state, PlacedCallState::kSettled);
  const auto res = reservation(id);
  EXPECT_EQ(res.state, ReservationState::kCounted);
  EXPECT_EQ(res.outcome, "no-answer");
  EXPECT_EQ(audit_.lastClear(audit::EventType::kTwilioEvent, "kind"), "reconcile");
}

TEST_F(CallPlacerTest, NeverFoundCallIsAbandonedAndStaysCounted) {
  port_.answerNextCreate({TelephonyFailure::kOutcomeUnknown, 0, 0, "reset", {}});
  auto r = place();
  const std::string id = *r.decision.reservation_id;
  clock_.advance(std::chrono::hours(25));
  placer_->reconcileOnce(clock_.now());
  EXPECT_EQ(placedCall(id).state, PlacedCallState::kAbandoned);
  EXPECT_EQ(reservation(id).state, ReservationState::kPending);
  EXPECT_EQ(placer_->reconcileOnce(clock_.now() + std::chrono::hours(1)), 0);
}

TEST_F(CallPlacerTest, CallbackForAnUnknownCreateIsMatchedByToAndFrom) {
  port_.answerNextCreate({TelephonyFailure::kOutcomeUnknown, 0, 0, "timeout", {}});
  auto r = place();
  ASSERT_EQ(r.outcome, PlaceOutcome::kUnknown);
  const std::string sid = "CA" + std::string(31, '0') + "9";
  deliver(sid, "initiated", 0);
  deliver(sid, "ringing", 1);
  deliver(sid, "busy", 2);
  const auto p = placedCall(*r.decision.reservation_id);
  EXPECT_EQ(p.call_sid, sid);
  EXPECT_EQ(reservation(p.reservation_id).state, ReservationState::kReleased);
}

TEST_F(CallPlacerTest, BusyAndFailedReleaseCompletedAndNoAnswerCount) {
  for (const std::string status : {"busy", "failed", "completed", "no-answer"}) {
    auto r = place();
    ASSERT_EQ(r.outcome, PlaceOutcome::kPlaced);
    deliver(r.call_sid, "initiated", 0);
    deliver(r.call_sid, "ringing", 1);
    deliver(r.call_sid, status, 2);
    const auto res = reservation(*r.decision.reservation_id);
    const bool released = status == "busy" || status == "failed";
    EXPECT_EQ(res.state, released ? ReservationState::kReleased : ReservationState::kCounted)
        << status;
    EXPECT_EQ(res.outcome, status);
    EXPECT_EQ(res.call_sid, r.call_sid);
  }
}

TEST_F(CallPlacerTest, CanceledCountsOnlyAfterRinging) {
  auto before = place();
  deliver(before.call_sid, "initiated", 0);
  deliver(before.call_sid, "canceled", 1);
  EXPECT_EQ(reservation(*before.decision.reservation_id).state, ReservationState::kReleased);

  auto after = place();
  deliver(after.call_sid, "initiated", 0);
  deliver(after.call_sid, "ringing", 1);
  deliver(after.call_sid, "canceled", 2);
  EXPECT_EQ(reservation(*after.decision.reservation_id).state, ReservationState::kCounted);

  // The final event overtakes the ringing one: its sequence number already proves ringing.
  auto overtaken = place();
  deliver(overtaken.call_sid, "canceled", 2);
  EXPECT_EQ(reservation(*overtaken.decision.reservation_id).state, ReservationState::kCounted);
}

TEST_F(CallPlacerTest, LateRingingRecountsACallReleasedAsCanceled) {
  auto r = place();
  deliver(r.call_sid, "canceled", -1);  // no sequence number: no proof of ringing
  EXPECT_EQ(reservation(*r.decision.reservation_id).state, ReservationState::kReleased);
  deliver(r.call_sid, "ringing", -1);
  EXPECT_EQ(reservation(*r.decision.reservation_id).state, ReservationState::kCounted);
}

TEST_F(CallPlacerTest, ReplaysAndOutOfOrderCallbacksChangeNothingTwice) {
  auto r = place();
  const std::string id = *r.decision.reservation_id;
  deliver(r.call_sid, "completed", 3);
  deliver(r.call_sid, "completed", 3);  // replay: not stored again
  deliver(r.call_sid, "ringing", 1);    // late: changes nothing
  deliver(r.call_sid, "in-progress", 2);
  const auto res = reservation(id);
  EXPECT_EQ(res.state, ReservationState::kCounted);
  EXPECT_EQ(res.outcome, "completed");
  const auto p = placedCall(id);
  EXPECT_EQ(p.last_status, "completed");
  EXPECT_EQ(p.last_sequence, 3);
  EXPECT_EQ(p.final_status, "completed");
  // Three distinct events processed and audited; the replay was not.
  EXPECT_EQ(audit_.count(audit::EventType::kTwilioEvent), 3);
  // A later busy (impossible, but out of order) cannot release a counted attempt.
  deliver(r.call_sid, "busy", 4);
  EXPECT_EQ(reservation(id).state, ReservationState::kCounted);
}

TEST_F(CallPlacerTest, AnsweredByIsRecorded) {
  auto r = place();
  ASSERT_TRUE(
      callback(r.call_sid, "in-progress", 2, "good", {{"AnsweredBy", "machine_start"}}).isOk());
  placer_->processPendingEvents();
  EXPECT_EQ(placedCall(*r.decision.reservation_id).answered_by, "machine_start");
  EXPECT_EQ(audit_.lastClear(audit::EventType::kTwilioEvent, "answered_by"), "machine_start");
}

TEST_F(CallPlacerTest, UnsignedOrWronglySignedCallbacksAreRejectedAndAudited) {
  auto r = place();
  Status missing = callback(r.call_sid, "busy", 2, "");
  EXPECT_EQ(missing.code(), ErrorCode::kPermissionDenied);
  Status wrong = callback(r.call_sid, "busy", 2, "forged");
  EXPECT_EQ(wrong.code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(placer_->processPendingEvents(), 0);
  EXPECT_EQ(reservation(*r.decision.reservation_id).state, ReservationState::kPending);
  EXPECT_EQ(audit_.count(audit::EventType::kWebhookRejected), 2);
  EXPECT_EQ(audit_.lastClear(audit::EventType::kWebhookRejected, "reason"), "bad_signature");
  EXPECT_EQ(audit_.lastClear(audit::EventType::kWebhookRejected, "route"), "/twilio/call-status");
}

TEST_F(CallPlacerTest, SignedCallbackWithoutCallStatusIsInvalid) {
  Status s = placer_->receiveWebhook(WebhookKind::kCallStatus, "/twilio/call-status",
                                     std::string(kBase) + "/twilio/call-status",
                                     {{"CallSid", "CA1"}}, "good", "r");
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
}

TEST_F(CallPlacerTest, PlacedCallWithoutFinalCallbackIsFetchedAfterExpiry) {
  auto r = place();
  const std::string id = *r.decision.reservation_id;
  deliver(r.call_sid, "ringing", 1);
  placer_->reconcileOnce(clock_.now() + seconds(30));
  EXPECT_EQ(port_.fetches, 0);  // not expired yet
  port_.setStatus(r.call_sid, "in-progress");
  clock_.advance(seconds(601));
  placer_->reconcileOnce(clock_.now());
  EXPECT_EQ(port_.fetches, 1);
  EXPECT_EQ(reservation(id).state, ReservationState::kPending);  // still running: counts
  port_.setStatus(r.call_sid, "completed");
  clock_.advance(seconds(61));
  placer_->reconcileOnce(clock_.now());
  EXPECT_EQ(port_.fetches, 2);
  EXPECT_EQ(reservation(id).state, ReservationState::kCounted);
  EXPECT_EQ(placedCall(id).state, PlacedCallState::kSettled);
  // A final callback arriving after that changes nothing.
  deliver(r.call_sid, "completed", 3);
  EXPECT_EQ(reservation(id).outcome, "completed");
}

TEST_F(CallPlacerTest, DialerReportedReleaseIsRecountedWhenTwilioSaysItConnected) {
  auto r = place();
  const std::string id = *r.decision.reservation_id;
  auto o = gate_.recordOutcome(id, Outcome::kBusy, r.call_sid, false, {"dialer-1", "x"});
  ASSERT_TRUE(o.isOk());
  deliver(r.call_sid, "completed", 3);
  EXPECT_EQ(reservation(id).state, ReservationState::kCounted);
}

TEST_F(CallPlacerTest, UnconfiguredGatewayRefusesToPlaceAndRejectsWebhooks) {
  CallPlacer unconfigured(gate_, ledger_, audit_, nullptr, clock_, options_);
  EXPECT_FALSE(unconfigured.configured());
  auto r = unconfigured.place(request(), fields(), {"k", "r"});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), ErrorCode::kFailedPrecondition);
  Status s = unconfigured.receiveWebhook(WebhookKind::kCallStatus, "/twilio/call-status", "x",
                                         {{"CallSid", "CA1"}}, "good", "r");
  EXPECT_EQ(s.code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(audit_.lastClear(audit::EventType::kWebhookRejected, "reason"), "not_configured");
}

}  // namespace
}  // namespace callwarden::dialer
