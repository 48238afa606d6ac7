// The recording policy and the pure session arithmetic (issue #8, docs/recording.md).

#include <gtest/gtest.h>

#include "common/Rfc3339.h"
#include "recording/RecordingPolicy.h"
#include "recording/RecordingSession.h"
#include "rules/RecordingRuleLoader.h"

namespace callwarden::recording {
namespace {

RecordingPolicy shippedPolicy() {
  auto rules =
      rules::loadRecordingRules(std::string(CALLWARDEN_SOURCE_DIR) + "/data/rules/us.json");
  EXPECT_TRUE(rules.isOk()) << rules.status().message();
  return RecordingPolicy(rules.isOk() ? *rules : std::vector<AllPartyConsentRule>{});
}

TEST(RecordingPolicy, OnePartyStateRecordsDualWithoutAnnouncement) {
  RecordingSubject s;
  s.to = "+12125550100";
  s.jurisdictions = {"US", "US-NY"};
  auto d = shippedPolicy().decide(s);
  EXPECT_TRUE(d.record);
  EXPECT_EQ(d.channels, "dual");
  EXPECT_FALSE(d.announce);
  EXPECT_EQ(d.basis, "default");
}

TEST(RecordingPolicy, AllPartyConsentStateAnnounces) {
  RecordingSubject s;
  s.to = "+14155550100";
  s.jurisdictions = {"US", "US-CA"};
  auto d = shippedPolicy().decide(s);
  EXPECT_TRUE(d.record);
  EXPECT_TRUE(d.announce);
  EXPECT_EQ(d.basis, "all_party_consent");
  EXPECT_EQ(d.rules, (std::vector<std::string>{"US-CA/recording-all-party"}));
}

TEST(RecordingPolicy, CandidateAllPartyStateAmongSeveralAnnounces) {
  RecordingSubject s;
  s.to = "+18508721234";
  s.jurisdictions = {"US", "US-AL", "US-FL"};
  EXPECT_TRUE(shippedPolicy().decide(s).announce);
}

TEST(RecordingPolicy, EuSubjectWithoutConsentIsNotRecorded) {
  RecordingSubject s;
  s.to = "+33612345678";
  auto d = shippedPolicy().decide(s);
  EXPECT_FALSE(d.record);
  EXPECT_EQ(d.basis, "eu_uk_no_consent");
}

TEST(RecordingPolicy, EuSubjectWithConsentIsRecordedAndAnnounced) {
  RecordingSubject s;
  s.to = "+447700900123";
  s.recording_consent = true;
  auto d = shippedPolicy().decide(s);
  EXPECT_TRUE(d.record);
  EXPECT_TRUE(d.announce);
  EXPECT_EQ(d.basis, "eu_uk_consent");
}

TEST(RecordingPolicy, EuropeanZoneMakesAUsNumberAnEuSubject) {
  RecordingSubject s;
  s.to = "+13125550142";
  s.zones = {"Europe/Berlin"};
  s.jurisdictions = {"US", "US-IL"};
  EXPECT_FALSE(shippedPolicy().decide(s).record);
  EXPECT_FALSE(isEuOrUkSubject("+13125550142", {"America/Chicago"}));
  EXPECT_TRUE(isEuOrUkSubject("+4915112345678", {}));
  EXPECT_FALSE(isEuOrUkSubject("+41445556677", {}));  // Switzerland: neither EU nor UK
  // Outermost regions with codes of their own, and EU zones outside Europe/.
  for (const char* n : {"+262262123456", "+590590123456", "+594594123456", "+596596123456"})
    EXPECT_TRUE(isEuOrUkSubject(n, {})) << n;
  for (const char* z : {"Atlantic/Canary", "Atlantic/Azores", "Asia/Nicosia", "Indian/Reunion"})
    EXPECT_TRUE(isEuOrUkSubject("+13125550142", {z})) << z;
  EXPECT_FALSE(isEuOrUkSubject("+13125550142", {"Atlantic/Bermuda"}));
}

TEST(RecordingRuleLoader, RejectsUnknownKeysAndMissingArray) {
  EXPECT_FALSE(rules::parseRecordingRules(R"({"format":1})", "t").isOk());
  EXPECT_FALSE(
      rules::parseRecordingRules(
          R"({"recording_rules":[{"id":"x","kind":"all_party_consent","jurisdiction":"US-CA","citation":"c","verified":true,"extra":1}]})",
          "t")
          .isOk());
  auto ok = rules::parseRecordingRules(
      R"({"recording_rules":[{"id":"x","kind":"all_party_consent","jurisdiction":"US-CA","citation":"c","verified":false}]})",
      "t");
  ASSERT_TRUE(ok.isOk()) << ok.status().message();
  EXPECT_FALSE(ok->front().verified);
}

TEST(RecordingSession, DeadlineIsClampedToFifteenMinutes) {
  const Timestamp t = parseRfc3339("2026-07-15T16:00:00Z").value();
  EXPECT_EQ(resumeDeadline(t, std::chrono::seconds(180)), t + std::chrono::seconds(180));
  EXPECT_EQ(resumeDeadline(t, std::chrono::seconds(3600)), t + std::chrono::seconds(900));
}

TEST(RecordingSession, RetryBackoffDoublesUpToFiveMinutes) {
  const Timestamp t{};
  EXPECT_EQ(nextResumeRetry(t, 1), t + std::chrono::seconds(5));
  EXPECT_EQ(nextResumeRetry(t, 2), t + std::chrono::seconds(10));
  EXPECT_EQ(nextResumeRetry(t, 20), t + std::chrono::seconds(300));
}

TEST(RecordingSession, VisibleStateFailsClosed) {
  TrackedRecording in_progress{"RE1", "CA1", "in-progress", "", {}};
  TrackedRecording paused{"RE2", "CA1", "paused", "", {}};
  PauseSession open;
  open.state = SessionState::kPaused;
  EXPECT_EQ(visibleState({}, std::nullopt), "none");
  EXPECT_EQ(visibleState({in_progress}, std::nullopt), "recording");
  EXPECT_EQ(visibleState({paused}, open), "paused");
  // One recording still capturing audio: not paused, whatever the session says.
  EXPECT_EQ(visibleState({paused, in_progress}, open), "recording");
  open.state = SessionState::kResumeFailed;
  EXPECT_EQ(visibleState({paused}, open), "resume_failed");
  TrackedRecording done{"RE3", "CA1", "completed", "", {}};
  EXPECT_EQ(visibleState({done}, std::nullopt), "stopped");
}

}  // namespace
}  // namespace callwarden::recording
