// Consent resolution from a history of grants and revocations: revoke-all (TV-22), robocall
// consent, written-consent policy, and reassigned numbers (TV-24).

#include "policy/ConsentPolicy.h"

#include <gtest/gtest.h>

#include "common/Rfc3339.h"

namespace callwarden::policy {
namespace {

constexpr const char* kTo = "+13125550142";

Timestamp at(const char* t) {
  return parseRfc3339(t).value();
}

ConsentEvent event(const char* id, const char* scope, bool grant, const char* received,
                   const char* phone = kTo, const char* subject = "S-1") {
  ConsentEvent e;
  e.id = id;
  e.scope = scope;
  e.grant = grant;
  e.received_at = at(received);
  e.phone = phone;
  e.subject_id = subject;
  static std::int64_t seq = 0;
  e.seq = ++seq;
  return e;
}

ConsentInput input(Purpose purpose, CallType type, const char* when) {
  ConsentInput in;
  in.purpose = purpose;
  in.call_type = type;
  in.to = kTo;
  in.subject_id = "S-1";
  in.at = at(when);
  return in;
}

std::vector<ReasonCode> codes(const ConsentDecision& d) {
  std::vector<ReasonCode> out;
  for (const auto& r : d.reasons) out.push_back(r.code);
  return out;
}

using Codes = std::vector<ReasonCode>;

TEST(ConsentPolicy, Tv22StopToARobotextDeniesEveryRobocallFromReceipt) {
  // Consent given for an account's robocalls; "STOP" to a robotext Fri 2026-12-18 16:00 ET.
  std::vector<ConsentEvent> history = {event("c1", "robocall", true, "2026-01-10T15:00:00Z"),
                                       event("c2", "robocall", false, "2026-12-18T16:00:00-05:00")};
  auto in = input(Purpose::kInformational, CallType::kPrerecorded, "2026-12-18T15:59:59-05:00");
  in.history = history;
  EXPECT_TRUE(evaluateConsent(in, {}).reasons.empty());
  // From the moment of receipt, not 10 business days later; any purpose, any robocall.
  for (auto purpose :
       {Purpose::kInformational, Purpose::kDebtCollection, Purpose::kTelemarketing}) {
    for (auto type : {CallType::kPrerecorded, CallType::kAutodialed}) {
      auto late = input(purpose, type, "2026-12-18T16:00:00-05:00");
      late.history = history;
      EXPECT_EQ(codes(evaluateConsent(late, {})), Codes{ReasonCode::kConsentRevoked});
    }
  }
  // Also a company-specific do-not-call request: live telemarketing is blocked ...
  auto live = input(Purpose::kTelemarketing, CallType::kLive, "2027-01-04T16:00:00Z");
  live.history = history;
  EXPECT_EQ(codes(evaluateConsent(live, {})), Codes{ReasonCode::kConsentRevoked});
  // ... but a live collection call is not a robocall and not telemarketing.
  auto collect = input(Purpose::kDebtCollection, CallType::kLive, "2027-01-04T16:00:00Z");
  collect.history = history;
  EXPECT_TRUE(evaluateConsent(collect, {}).reasons.empty());
}

TEST(ConsentPolicy, RevocationOfTheSubjectCoversTheirOtherNumbers) {
  auto in = input(Purpose::kInformational, CallType::kAutodialed, "2026-07-15T16:00:00Z");
  in.history = {event("c1", "robocall", true, "2026-01-10T15:00:00Z"),
                event("c2", "telemarketing", false, "2026-07-01T15:00:00Z", "+15415550199")};
  EXPECT_EQ(codes(evaluateConsent(in, {})), Codes{ReasonCode::kConsentRevoked});
}

TEST(ConsentPolicy, OnlyALaterGrantLiftsARevocation) {
  auto in = input(Purpose::kInformational, CallType::kAutodialed, "2026-07-15T16:00:00Z");
  in.history = {event("c1", "robocall", true, "2026-01-10T15:00:00Z"),
                event("c2", "robocall", false, "2026-03-01T15:00:00Z"),
                event("c3", "robocall", true, "2026-04-01T15:00:00Z")};
  auto d = evaluateConsent(in, {});
  EXPECT_TRUE(d.reasons.empty());
  EXPECT_EQ(d.consent_id, "c3");
  // A telemarketing grant is not a robocall grant.
  in.history[2].scope = "telemarketing";
  EXPECT_EQ(codes(evaluateConsent(in, {})), Codes{ReasonCode::kConsentRevoked});
}

TEST(ConsentPolicy, RobocallsNeedAConsentOnRecord) {
  auto in = input(Purpose::kDebtCollection, CallType::kAutodialed, "2026-07-15T16:00:00Z");
  EXPECT_EQ(codes(evaluateConsent(in, {})), Codes{ReasonCode::kConsentMissing});
  // Records received after the instant decided did not exist yet.
  in.history = {event("c1", "robocall", true, "2026-07-16T15:00:00Z")};
  EXPECT_EQ(codes(evaluateConsent(in, {})), Codes{ReasonCode::kConsentMissing});
  // A grant for another number does not cover this one.
  in.history = {event("c1", "robocall", true, "2026-01-10T15:00:00Z", "+15415550199")};
  EXPECT_EQ(codes(evaluateConsent(in, {})), Codes{ReasonCode::kConsentMissing});
  // A subject-wide grant (no number) does.
  in.history = {event("c1", "robocall", true, "2026-01-10T15:00:00Z", "")};
  EXPECT_TRUE(evaluateConsent(in, {}).reasons.empty());
  // An expired grant does not.
  in.history[0].valid_until = at("2026-07-01T00:00:00Z");
  EXPECT_EQ(codes(evaluateConsent(in, {})), Codes{ReasonCode::kConsentMissing});
  // Live calls of other purposes need none.
  auto live = input(Purpose::kInformational, CallType::kLive, "2026-07-15T16:00:00Z");
  EXPECT_TRUE(evaluateConsent(live, {}).reasons.empty());
}

TEST(ConsentPolicy, RecordingAndRegfRevocationsAreNotCallRevocations) {
  auto in = input(Purpose::kTelemarketing, CallType::kAutodialed, "2026-07-15T16:00:00Z");
  in.history = {event("c1", "robocall", true, "2026-01-10T15:00:00Z"),
                event("c2", "recording", false, "2026-03-01T15:00:00Z"),
                event("c3", "regf_call", false, "2026-03-01T15:00:00Z")};
  auto d = evaluateConsent(in, {});
  EXPECT_TRUE(d.reasons.empty());
  EXPECT_TRUE(d.prior_express_consent);
}

TEST(ConsentPolicy, WrittenConsentPolicyForTelemarketing) {
  ConsentOptions o;
  o.require_written_consent_for_telemarketing = true;
  auto in = input(Purpose::kTelemarketing, CallType::kLive, "2026-07-15T16:00:00Z");
  EXPECT_TRUE(evaluateConsent(in, {}).reasons.empty());
  EXPECT_FALSE(evaluateConsent(in, {}).prior_express_consent);
  EXPECT_EQ(codes(evaluateConsent(in, o)), Codes{ReasonCode::kConsentMissing});
  in.history = {event("c1", "telemarketing", true, "2026-01-10T15:00:00Z")};
  auto d = evaluateConsent(in, o);
  EXPECT_TRUE(d.reasons.empty());
  EXPECT_TRUE(d.prior_express_consent);
}

TEST(ConsentPolicy, Tv24ReassignedNumberVoidsOlderConsent) {
  auto in = input(Purpose::kInformational, CallType::kPrerecorded, "2026-04-01T16:00:00Z");
  in.history = {event("c1", "robocall", true, "2026-02-01T15:00:00Z")};
  RndAnswer yes;
  yes.result = RndResult::kYes;
  yes.disconnected_on = parseDate("2026-03-15").value();
  yes.queried_at = at("2026-03-31T12:00:00Z");
  in.rnd = {yes};
  auto d = evaluateConsent(in, {});
  EXPECT_EQ(codes(d), Codes{ReasonCode::kReassignedNumber});
  EXPECT_TRUE(d.consent_void);
  EXPECT_FALSE(d.prior_express_consent);
  // Consent given by the new subscriber, after the disconnect, stands.
  in.history.push_back(event("c2", "robocall", true, "2026-03-20T15:00:00Z"));
  EXPECT_TRUE(evaluateConsent(in, {}).reasons.empty());
}

TEST(ConsentPolicy, Tv24NoDataDeniesRobocallsUnlessConfigured) {
  auto in = input(Purpose::kInformational, CallType::kPrerecorded, "2026-04-01T16:00:00Z");
  in.history = {event("c1", "robocall", true, "2026-02-01T15:00:00Z")};
  RndAnswer no_data;
  no_data.result = RndResult::kNoData;
  no_data.queried_at = at("2026-03-31T12:00:00Z");
  in.rnd = {no_data};
  EXPECT_EQ(codes(evaluateConsent(in, {})), Codes{ReasonCode::kReassignedNumber});
  ConsentOptions lenient;
  lenient.rnd_no_data_denies_robocalls = false;
  EXPECT_TRUE(evaluateConsent(in, lenient).reasons.empty());
  // The latest answer counts: a later "no" clears it.
  RndAnswer no;
  no.result = RndResult::kNo;
  no.queried_at = at("2026-04-01T12:00:00Z");
  in.rnd.push_back(no);
  EXPECT_TRUE(evaluateConsent(in, {}).reasons.empty());
}

TEST(ConsentPolicy, RndNamesRoundTrip) {
  for (auto r : {RndResult::kYes, RndResult::kNo, RndResult::kNoData})
    EXPECT_EQ(parseRndResult(rndResultName(r)), r);
  EXPECT_FALSE(parseRndResult("maybe").has_value());
}

}  // namespace
}  // namespace callwarden::policy
