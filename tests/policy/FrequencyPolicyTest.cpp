// Reg F 1006.14(b) and the state caps, against regulations.md TV-7 to TV-14 and edge cases.

#include "policy/FrequencyPolicy.h"

#include <gtest/gtest.h>

#include "common/Rfc3339.h"

namespace callwarden::policy {
namespace {

Timestamp T(const char* s) {
  return parseRfc3339(s).value();
}

const std::vector<FrequencyRule>& rules() {
  using R = FrequencyRule;
  static const std::vector<FrequencyRule> r = {
      {"US/regf-7-in-7", "12 CFR 1006.14(b)(2)(i)(A)", R::Kind::kCount, ReasonCode::kRegf7In7,
       Purpose::kDebtCollection, kJurisdictionUs, R::Scope::kDebt, 7, R::Window::kCalendarDays, 7},
      {"US/regf-post-conversation", "12 CFR 1006.14(b)(2)(i)(B)", R::Kind::kPostConversation,
       ReasonCode::kRegfPostConversation, Purpose::kDebtCollection, kJurisdictionUs,
       R::Scope::kDebt, 0, R::Window::kCalendarDays, 7},
      {"US-MA/collection-2-per-7", "940 CMR 7.04(1)(f)", R::Kind::kCount,
       ReasonCode::kStateFrequencyCap, Purpose::kDebtCollection, *stateJurisdiction("MA"),
       R::Scope::kDebt, 2, R::Window::kCalendarDays, 7},
      {"US-FL/3-per-24h", "Fla. Stat. 501.616(6)(b)", R::Kind::kCount,
       ReasonCode::kStateFrequencyCap, Purpose::kTelemarketing, *stateJurisdiction("FL"),
       R::Scope::kSubjectMatter, 3, R::Window::kRollingHours, 24},
  };
  return r;
}

struct Fixture {
  std::vector<const date::time_zone*> zones;
  JurisdictionSet jurisdictions;
  std::vector<KeyHistory> keys;
  std::vector<DirectConsent> consents;
  std::set<std::string> flags;
  Purpose purpose = Purpose::kDebtCollection;
  FrequencyOptions options;

  explicit Fixture(std::initializer_list<const char*> tz,
                   std::initializer_list<const char*> states = {}) {
    for (auto z : tz) zones.push_back(date::locate_zone(z));
    jurisdictions.set(kJurisdictionUs);
    for (auto s : states) jurisdictions.set(static_cast<size_t>(*stateJurisdiction(s)));
  }
  KeyHistory& key(const std::string& k, FrequencyRule::Scope scope = FrequencyRule::Scope::kDebt) {
    for (auto& h : keys) {
      if (h.key == k) return h;
    }
    keys.push_back({k, scope, {}, {}, {}});
    return keys.back();
  }
  FrequencyDecision at(const char* when) const {
    FrequencyInput in;
    in.purpose = purpose;
    in.zones = zones;
    in.jurisdictions = jurisdictions;
    in.keys = keys;
    in.consents = consents;
    in.account_flags = flags;
    in.at = T(when);
    return evaluateFrequency(in, rules(), options);
  }
};

bool hasReason(const FrequencyDecision& d, ReasonCode c) {
  return std::any_of(d.reasons.begin(), d.reasons.end(),
                     [&](const Reason& r) { return r.code == c; });
}

// TV-7: 7 calls Mon 2026-03-02 (3), Tue (2), Wed (2) in America/Chicago.
Fixture tv7(bool strict) {
  Fixture f({"America/Chicago"});
  f.options.regf_rolling_168h = strict;
  f.key("D1").attempts = {T("2026-03-02T09:00:00-06:00"), T("2026-03-02T12:00:00-06:00"),
                          T("2026-03-02T17:00:00-06:00"), T("2026-03-03T10:00:00-06:00"),
                          T("2026-03-03T11:00:00-06:00"), T("2026-03-04T10:00:00-06:00"),
                          T("2026-03-04T11:00:00-06:00")};
  return f;
}

TEST(FrequencyPolicy, Tv7CalendarEighthCallDeniedUntilMonday) {
  auto f = tv7(false);
  auto d = f.at("2026-03-07T10:00:00-06:00");
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(hasReason(d, ReasonCode::kRegf7In7));
  ASSERT_TRUE(d.free_at);
  EXPECT_EQ(formatRfc3339(*d.free_at),
            "2026-03-09T05:00:00Z");  // Mon 00:00 CDT; the window opens at 08:00
  EXPECT_TRUE(f.at("2026-03-09T08:00:00-05:00").allowed);
  // Mar 3-9 then holds 4: three more calls that Monday.
  f.key("D1").attempts.push_back(T("2026-03-09T08:00:00-05:00"));
  f.key("D1").attempts.push_back(T("2026-03-09T09:00:00-05:00"));
  EXPECT_TRUE(f.at("2026-03-09T10:00:00-05:00").allowed);
  f.key("D1").attempts.push_back(T("2026-03-09T10:00:00-05:00"));
  EXPECT_FALSE(f.at("2026-03-09T11:00:00-05:00").allowed);
}

TEST(FrequencyPolicy, Tv7StrictRollingWindowAcrossDst) {
  auto f = tv7(true);
  EXPECT_FALSE(f.at("2026-03-09T09:30:00-05:00").allowed);
  auto d = f.at("2026-03-09T09:30:00-05:00");
  ASSERT_TRUE(d.free_at);
  EXPECT_EQ(formatRfc3339(*d.free_at),
            "2026-03-09T15:00:00Z");  // 09:00 CST Mar 2 + 168 h = 10:00 CDT
  EXPECT_TRUE(f.at("2026-03-09T10:00:00-05:00").allowed);
  f.key("D1").attempts.push_back(T("2026-03-09T10:00:00-05:00"));
  auto second = f.at("2026-03-09T12:59:00-05:00");
  EXPECT_FALSE(second.allowed);
  EXPECT_EQ(formatRfc3339(*second.free_at), "2026-03-09T18:00:00Z");  // 13:00 CDT
}

TEST(FrequencyPolicy, Tv8ConversationBlocksThroughDaySeven) {
  Fixture f({"America/Chicago"});
  f.key("D1").conversations = {T("2026-03-03T14:10:00-06:00")};
  f.key("D2");
  auto d = f.at("2026-03-09T20:00:00-05:00");
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(hasReason(d, ReasonCode::kRegfPostConversation));
  EXPECT_EQ(formatRfc3339(*d.free_at), "2026-03-10T05:00:00Z");
  EXPECT_TRUE(f.at("2026-03-10T08:00:00-05:00").allowed);
  Fixture only_d2({"America/Chicago"});
  only_d2.key("D2");
  EXPECT_TRUE(only_d2.at("2026-03-04T10:00:00-06:00").allowed);
}

TEST(FrequencyPolicy, Tv9LeapDayIsADay) {
  Fixture f({"America/New_York"});
  auto& d1 = f.key("D1");
  for (const char* t :
       {"2028-02-24T09:00:00-05:00", "2028-02-24T10:00:00-05:00", "2028-02-24T11:00:00-05:00",
        "2028-02-25T09:00:00-05:00", "2028-02-25T10:00:00-05:00", "2028-02-26T09:00:00-05:00",
        "2028-02-26T10:00:00-05:00"}) {
    d1.attempts.push_back(T(t));
  }
  auto d = f.at("2028-02-29T12:00:00-05:00");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(formatRfc3339(*d.free_at), "2028-03-02T05:00:00Z");  // Thu Mar 2, not Mar 3
  EXPECT_FALSE(f.at("2028-03-01T12:00:00-05:00").allowed);

  Fixture g({"America/New_York"});
  g.key("D2").conversations = {T("2028-02-23T12:00:00-05:00")};
  auto e = g.at("2028-02-29T12:00:00-05:00");
  EXPECT_FALSE(e.allowed);
  EXPECT_EQ(formatRfc3339(*e.free_at), "2028-03-01T05:00:00Z");  // Wed Mar 1, not Mar 2
}

TEST(FrequencyPolicy, Tv10OnlyCountedAttemptsCount) {
  // The ledger omits busy and not-in-service attempts; six counted ones leave the 7th slot.
  Fixture f({"America/Chicago"});
  auto& d1 = f.key("D1");
  for (int i = 0; i < 6; ++i)
    d1.attempts.push_back(T("2026-03-02T09:00:00-06:00") + std::chrono::hours(i));
  auto d = f.at("2026-03-04T10:00:00-06:00");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.counted_keys, std::vector<std::string>{"D1"});
  d1.attempts.push_back(T("2026-03-04T10:00:00-06:00"));
  EXPECT_FALSE(f.at("2026-03-04T11:00:00-06:00").allowed);
}

TEST(FrequencyPolicy, Tv11MultipleDebtsCountAgainstEach) {
  Fixture f({"America/Chicago"});
  auto& d1 = f.key("D1");
  for (int i = 0; i < 7; ++i)
    d1.attempts.push_back(T("2026-03-02T09:00:00-06:00") + std::chrono::hours(i));
  f.key("D2");
  auto d = f.at("2026-03-03T10:00:00-06:00");
  EXPECT_FALSE(d.allowed);
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_NE(d.reasons[0].message.find("D1"), std::string::npos);
  Fixture only({"America/Chicago"});
  only.key("D2");
  EXPECT_TRUE(only.at("2026-03-03T10:00:00-06:00").allowed);
}

TEST(FrequencyPolicy, Tv12GroupedStudentLoansShareOneCount) {
  // The ledger maps SL-A and SL-B to one group key; 4 + 3 calls are 7 on that key.
  Fixture f({"America/Chicago"});
  auto& group = f.key("SL");
  for (int i = 0; i < 7; ++i)
    group.attempts.push_back(T("2026-03-02T09:00:00-06:00") + std::chrono::hours(i));
  EXPECT_FALSE(f.at("2026-03-03T10:00:00-06:00").allowed);
}

TEST(FrequencyPolicy, Tv13DirectConsentExcludesTheCallback) {
  auto f = tv7(false);
  f.key("D1").conversations = {T("2026-03-05T14:00:00-06:00")};
  f.consents = {{"c1", "D1", T("2026-03-05T14:00:00-06:00"), std::nullopt, 1, 0}};
  auto callback = f.at("2026-03-06T10:00:00-06:00");
  EXPECT_TRUE(callback.allowed);
  EXPECT_TRUE(callback.counted_keys.empty());
  ASSERT_EQ(callback.excluded_keys.size(), 1u);
  EXPECT_EQ(callback.excluded_keys[0].second, "c1");
  // The callback used the consent's one call: the next call is neither in scope nor allowed.
  f.consents[0].calls_used = 1;
  auto second = f.at("2026-03-06T15:00:00-06:00");
  EXPECT_FALSE(second.allowed);
  EXPECT_TRUE(hasReason(second, ReasonCode::kRegf7In7));
  EXPECT_TRUE(hasReason(second, ReasonCode::kRegfPostConversation));
  // Unanswered callback: free on Thu Mar 12 (the Mar 5 conversation's block).
  EXPECT_EQ(formatRfc3339(*second.free_at), "2026-03-12T05:00:00Z");
  // Answered callback: a new block from Mar 6, free on Fri Mar 13.
  f.key("D1").conversations.push_back(T("2026-03-06T10:05:00-06:00"));
  EXPECT_EQ(formatRfc3339(*f.at("2026-03-06T15:00:00-06:00").free_at), "2026-03-13T05:00:00Z");
}

TEST(FrequencyPolicy, Tv13ConsentExpiresAfterSevenDays) {
  Fixture f({"America/Chicago"});
  f.key("D1").conversations = {T("2026-03-05T14:00:00-06:00")};
  f.consents = {{"c1", "D1", T("2026-03-05T14:00:00-06:00"), std::nullopt, 0, 0}};
  EXPECT_TRUE(f.at("2026-03-11T20:00:00-05:00").allowed);  // day 7
  // Day 8 (Mar 12) the consent is over, but so is the conversation block.
  auto d = f.at("2026-03-12T08:00:00-05:00");
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.excluded_keys.empty());
}

TEST(FrequencyPolicy, ConsentAndConversationOnTheSameDay) {
  Fixture f({"America/New_York"});
  f.key("D1").conversations = {T("2026-05-04T10:00:00-04:00")};
  f.consents = {{"c1", "D1", T("2026-05-04T10:01:00-04:00"), T("2026-05-04T18:00:00-04:00"), 0, 0}};
  EXPECT_TRUE(f.at("2026-05-04T15:00:00-04:00").allowed);
  // After the consumer's own end time, the conversation block is back in force.
  EXPECT_FALSE(f.at("2026-05-04T18:30:00-04:00").allowed);
}

TEST(FrequencyPolicy, Tv14FloridaCapIsElapsedTimeAcrossSpringForward) {
  Fixture f({"America/New_York"}, {"FL"});
  f.purpose = Purpose::kTelemarketing;
  f.key("S1|solar", FrequencyRule::Scope::kSubjectMatter).attempts = {
      T("2026-03-07T10:00:00-05:00"), T("2026-03-07T12:00:00-05:00"),
      T("2026-03-07T14:00:00-05:00")};
  auto d = f.at("2026-03-08T10:00:00-04:00");
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(hasReason(d, ReasonCode::kStateFrequencyCap));
  EXPECT_EQ(formatRfc3339(*d.free_at), "2026-03-08T15:00:00Z");  // 11:00 EDT
  EXPECT_TRUE(f.at("2026-03-08T11:00:00-04:00").allowed);
  // Without Florida among the jurisdictions the cap does not apply.
  Fixture g({"America/New_York"});
  g.purpose = Purpose::kTelemarketing;
  g.keys = f.keys;
  EXPECT_TRUE(g.at("2026-03-08T10:00:00-04:00").allowed);
}

TEST(FrequencyPolicy, MassachusettsTwoPerSevenDaysForCollection) {
  Fixture f({"America/New_York"}, {"MA"});
  f.key("D1").attempts = {T("2026-06-01T10:00:00-04:00"), T("2026-06-02T10:00:00-04:00")};
  auto d = f.at("2026-06-03T10:00:00-04:00");
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(hasReason(d, ReasonCode::kStateFrequencyCap));
  EXPECT_FALSE(hasReason(d, ReasonCode::kRegf7In7));
  EXPECT_EQ(formatRfc3339(*d.free_at), "2026-06-08T04:00:00Z");
}

// Direct consent lifts Reg F's counts only ((b)(3) refers to (b)(2)); the Massachusetts cap
// counts the consented calls like any other, and the consent does not lift it either.
TEST(FrequencyPolicy, MassachusettsCountsCallsThatConsentExcludedFromRegF) {
  Fixture f({"America/New_York"}, {"MA"});
  f.key("D1").consented_attempts = {T("2026-06-01T10:00:00-04:00"), T("2026-06-02T10:00:00-04:00")};
  f.consents.push_back({"con-1", "D1", T("2026-06-01T09:00:00-04:00"), std::nullopt, 5, 2});
  auto d = f.at("2026-06-03T10:00:00-04:00");
  EXPECT_FALSE(d.allowed);
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0].rule, "US-MA/collection-2-per-7");
  EXPECT_EQ(formatRfc3339(*d.free_at), "2026-06-08T04:00:00Z");
  // Without Massachusetts only Reg F applies, and it never counts consented calls, even once
  // no consent covers the new call: 6 counted and 7 consented leave the 7th slot free.
  Fixture g({"America/New_York"});
  auto& d1 = g.key("D1");
  for (int i = 0; i < 7; ++i) d1.consented_attempts.push_back(T("2026-06-02T11:00:00-04:00"));
  for (int i = 0; i < 6; ++i) d1.attempts.push_back(T("2026-06-02T12:00:00-04:00"));
  EXPECT_TRUE(g.at("2026-06-03T10:00:00-04:00").allowed);
  d1.attempts.push_back(T("2026-06-02T13:00:00-04:00"));
  EXPECT_FALSE(g.at("2026-06-03T10:00:00-04:00").allowed);
}

TEST(FrequencyPolicy, CalendarDaysUseTheLongestBlockAcrossZones) {
  // 7 calls on Mon in New York; the Honolulu candidate dates the late ones a day earlier
  // or the same, and the free day is the later of the two zones' answers.
  Fixture f({"America/New_York", "Pacific/Honolulu"});
  auto& d1 = f.key("D1");
  for (int i = 0; i < 7; ++i)
    d1.attempts.push_back(T("2026-07-06T14:00:00-04:00") + std::chrono::hours(i));
  auto d = f.at("2026-07-10T15:00:00-04:00");
  EXPECT_FALSE(d.allowed);
  // New York frees at Mon Jul 13 00:00 EDT (04:00Z); Honolulu dates every call Jul 6 too
  // (08:00-14:00 HST) and frees at Jul 13 00:00 HST = 10:00Z: the later one wins.
  EXPECT_EQ(formatRfc3339(*d.free_at), "2026-07-13T10:00:00Z");
}

TEST(FrequencyPolicy, DstFallBackInsideTheSevenDayWindow) {
  Fixture f({"America/New_York"});
  auto& d1 = f.key("D1");
  for (int i = 0; i < 7; ++i)
    d1.attempts.push_back(T("2026-10-29T10:00:00-04:00") + std::chrono::minutes(10 * i));
  auto d = f.at("2026-11-04T10:00:00-05:00");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(formatRfc3339(*d.free_at), "2026-11-05T05:00:00Z");  // Thu Nov 5 00:00 EST
}

TEST(FrequencyPolicy, AccountFlagsBlockCollectionOnly) {
  Fixture f({"America/Chicago"});
  f.key("D1");
  f.flags = {"attorney_represented"};
  auto d = f.at("2026-03-03T10:00:00-06:00");
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(hasReason(d, ReasonCode::kAccountBlocked));
  EXPECT_FALSE(d.free_at.has_value());
  f.purpose = Purpose::kTelemarketing;
  f.keys.clear();
  EXPECT_TRUE(f.at("2026-03-03T10:00:00-06:00").allowed);
  EXPECT_TRUE(isKnownAccountFlag("bankruptcy"));
  EXPECT_FALSE(isKnownAccountFlag("vip"));
}

TEST(FrequencyPolicy, EveryFailingRuleIsListed) {
  Fixture f({"America/New_York"}, {"MA"});
  auto& d1 = f.key("D1");
  for (int i = 0; i < 7; ++i)
    d1.attempts.push_back(T("2026-06-01T10:00:00-04:00") + std::chrono::hours(i));
  d1.conversations = {T("2026-06-01T12:00:00-04:00")};
  auto d = f.at("2026-06-02T10:00:00-04:00");
  EXPECT_TRUE(hasReason(d, ReasonCode::kRegf7In7));
  EXPECT_TRUE(hasReason(d, ReasonCode::kRegfPostConversation));
  EXPECT_TRUE(hasReason(d, ReasonCode::kStateFrequencyCap));
}

}  // namespace
}  // namespace callwarden::policy

namespace callwarden::policy {
namespace {

TEST(FrequencyPolicy, NoCandidateZoneFallsBackToTheRollingWindow) {
  Fixture f({});
  auto& d1 = f.key("D1");
  for (int i = 0; i < 7; ++i)
    d1.attempts.push_back(T("2026-03-02T15:00:00Z") + std::chrono::hours(i));
  auto d = f.at("2026-03-05T15:00:00Z");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(formatRfc3339(*d.free_at), "2026-03-09T15:00:00Z");
}

}  // namespace
}  // namespace callwarden::policy
