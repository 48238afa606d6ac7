// The rule-file loader: the shipped file loads; mistakes are reported with file, JSON path and
// what is wrong; emergency declarations ban days for emergency_ban rules.

#include <gtest/gtest.h>

#include "ShippedPolicy.h"
#include "rules/RuleFileLoader.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

namespace callwarden::testing {
namespace {

const char* kMinimal = R"({"format": 1, "version": "t1", "rules": [
  {"id": "US/tcpa-hours", "jurisdiction": "US", "purposes": ["telemarketing"],
   "hours": {"default": ["08:00", "21:00"]}, "citation": "x", "evidence": "P", "verified": true}%s]%s})";

std::string doc(const std::string& extra_rule, const std::string& extra_top = "") {
  char buf[4096];
  std::snprintf(buf, sizeof buf, kMinimal, extra_rule.c_str(), extra_top.c_str());
  return buf;
}

TEST(RuleFile, ShippedFileLoadsWithEveryState) {
  auto set = rules::loadRuleSet(dataDir() + "/rules/us.json");
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  EXPECT_EQ((*set)->version(), "us-2026.12.1");
  for (const char* id : {"US-FL/telemarketing-hours",
                         "US-OK/telemarketing-hours",
                         "US-OK/adad-hours",
                         "US-MD/telemarketing-hours",
                         "US-WA/telemarketing-hours",
                         "US-TX/telemarketing-hours",
                         "US-LA/telemarketing-hours",
                         "US-LA/state-of-emergency",
                         "US-AL/telemarketing-hours",
                         "US-MS/telemarketing-hours",
                         "US-MS/telemarketing-hours-cst",
                         "US-UT/telemarketing-hours",
                         "US-CT/telemarketing-hours",
                         "US-RI/telemarketing-hours",
                         "US-PA/telemarketing-hours",
                         "US-PA/holiday-ban",
                         "US-KY/telemarketing-hours",
                         "US-MA/telemarketing-hours",
                         "US-MI/telemarketing-hours",
                         "US-MN/telemarketing-hours",
                         "US-NV/telemarketing-hours",
                         "US-NM/telemarketing-hours",
                         "US-WY/telemarketing-hours",
                         "US-IL/prerecorded-hours",
                         "US-ME/automated-hours",
                         "US-NE/prerecorded-sunday-holiday-hours"}) {
    EXPECT_NE((*set)->findRule(id), nullptr) << id;
  }
  // What the research leaves unverified ([?], or listed in its section 9) is marked so.
  for (const char* id :
       {"US-KY/telemarketing-hours", "US-TX/telemarketing-hours", "US-RI/telemarketing-hours",
        "US-MA/telemarketing-hours", "US-MI/telemarketing-hours", "US-MN/telemarketing-hours",
        "US-NV/telemarketing-hours", "US-NM/telemarketing-hours", "US-WY/telemarketing-hours",
        "US-IL/prerecorded-hours", "US-ME/automated-hours",
        "US-NE/prerecorded-sunday-holiday-hours"}) {
    const auto* rule = (*set)->findRule(id);
    ASSERT_NE(rule, nullptr) << id;
    EXPECT_FALSE(rule->verified) << id;
  }
  EXPECT_TRUE((*set)->emergencies().empty());
}

struct BadFile {
  const char* name;
  std::string json;
  const char* message;
};
class RuleFileErrors : public ::testing::TestWithParam<BadFile> {};

TEST_P(RuleFileErrors, NameFilePathAndProblem) {
  auto set = rules::parseRuleSet(GetParam().json, "t.json");
  ASSERT_FALSE(set.isOk());
  EXPECT_EQ(set.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(set.status().message().find(GetParam().message), std::string::npos)
      << set.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Mistakes, RuleFileErrors,
    ::testing::Values(
        BadFile{"NotJson", "{", "t.json: not valid JSON"},
        BadFile{
            "BadHour",
            doc(R"(, {"id": "a", "jurisdiction": "US-FL", "purposes": ["telemarketing"], "hours": {"default": ["08:00", "25:00"]}, "citation": "x", "evidence": "P", "verified": true})"),
            "t.json: $.rules[1].hours.default[1]: expected HH:MM"},
        BadFile{
            "UnknownKey",
            doc(R"(, {"id": "a", "jurisdiction": "US-FL", "purposes": ["telemarketing"], "hours": {"default": ["08:00", "20:00"]}, "citation": "x", "evidence": "P", "verified": true, "hourz": 1})"),
            "$.rules[1].hourz: unknown key"},
        BadFile{
            "BadPurpose",
            doc(R"(, {"id": "a", "jurisdiction": "US-FL", "purposes": ["sales"], "hours": {"default": ["08:00", "20:00"]}, "citation": "x", "evidence": "P", "verified": true})"),
            "$.rules[1].purposes[0]: purpose must be one of"},
        BadFile{
            "UnknownCalendar",
            doc(R"(, {"id": "a", "jurisdiction": "US-FL", "purposes": ["telemarketing"], "hours": {"default": ["08:00", "20:00"]}, "holidays": "US-XX", "citation": "x", "evidence": "P", "verified": true})"),
            "$.rules[1].holidays: unknown calendar"},
        BadFile{
            "DuplicateId",
            doc(R"(, {"id": "US/tcpa-hours", "jurisdiction": "US", "purposes": ["telemarketing"], "hours": {"default": ["08:00", "20:00"]}, "citation": "x", "evidence": "P", "verified": true})"),
            "duplicate rule id US/tcpa-hours"},
        BadFile{
            "UnverifiedMarkedVerified",
            doc(R"(, {"id": "a", "jurisdiction": "US-KY", "purposes": ["telemarketing"], "hours": {"default": ["10:00", "21:00"]}, "citation": "x", "evidence": "?", "verified": true})"),
            "$.rules[1].verified: evidence \"?\" cannot be verified"},
        BadFile{
            "BadDate",
            doc(R"(, {"id": "a", "jurisdiction": "US-FL", "purposes": ["telemarketing"], "effective_from": "2021-02-30", "hours": {"default": ["08:00", "20:00"]}, "citation": "x", "evidence": "P", "verified": true})"),
            "$.rules[1].effective_from: expected a date"},
        BadFile{
            "BadClock",
            doc(R"(, {"id": "a", "jurisdiction": "US-MS", "purposes": ["telemarketing"], "clock": "CST", "hours": {"default": ["08:00", "20:00"]}, "citation": "x", "evidence": "P", "verified": true})"),
            "$.rules[1].clock: expected \"local\""},
        BadFile{
            "BadHolidayKind",
            doc("",
                R"(, "calendars": [{"id": "US-XX", "years": [2026, 2027], "holidays": [{"name": "x"}]}])"),
            "$.calendars[0].holidays[0]: exactly one of"},
        BadFile{"MissingVersion", R"({"format": 1, "rules": []})", "$.version: missing"}),
    [](const auto& info) { return std::string(info.param.name); });

// The shipped rule file with `from` (which must occur once) replaced by `to`.
std::string shippedRulesWith(const std::string& from, const std::string& to) {
  std::ifstream in(dataDir() + "/rules/us.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  EXPECT_EQ(text.find(from, pos + 1), std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

std::unique_ptr<policy::CallingWindowPolicy> policyFrom(const std::string& text) {
  auto set = rules::parseRuleSet(text, "us.json+test");
  EXPECT_TRUE(set.isOk()) << set.status().toString();
  auto plan = rules::loadNumberingPlan(rules::NumberingDataPaths::inDirectory(dataDir()));
  EXPECT_TRUE(plan.isOk());
  if (!set.isOk() || !plan.isOk()) return nullptr;
  return std::make_unique<policy::CallingWindowPolicy>(*set, *plan);
}

// The shipped rules plus one Louisiana emergency declaration, `from` to `to` inclusive.
std::unique_ptr<policy::CallingWindowPolicy> withLouisianaEmergency(const char* from,
                                                                    const char* to) {
  return policyFrom(shippedRulesWith(
      "\"emergency_declarations\": []",
      std::string(R"("emergency_declarations": [{"jurisdiction": "US-LA", "from": ")") + from +
          R"(", "to": ")" + to + R"(", "reference": "Proclamation 123 JML 2026"}])"));
}

TEST(RuleFile, EmergencyDeclarationBansLouisianaDays) {
  // Louisiana calls are banned on the declared dates only.
  auto p = withLouisianaEmergency("2026-08-27", "2026-08-28");
  ASSERT_NE(p, nullptr);
  auto c = telemarketingCall("+15046581234", at("2026-08-27T17:00:00Z"));  // Thursday 12:00 CDT
  auto d = p->evaluate(c);
  ASSERT_TRUE(d.isOk());
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(ruleIds(*d), (std::vector<std::string>{"US-LA/state-of-emergency"}));
  EXPECT_EQ(formatRfc3339(*d->next_allowed_at), "2026-08-29T13:00:00Z");  // Saturday 08:00 CDT
  c.to = "+13127440100";                                                  // Illinois: not affected
  EXPECT_TRUE(p->evaluate(c)->allowed);
}

// next_allowed_at is searched 14 days ahead of the asked instant: a ban that ends in time gives
// the instant, one that ends a day later gives none (the dialer asks again later).
TEST(RuleFile, NextAllowedAtIsSearchedFourteenDaysAhead) {
  const char* asked = "2026-08-27T17:00:00Z";  // Thursday 12:00 CDT; +14 days: 09-10 17:00Z
  auto within = withLouisianaEmergency("2026-08-27", "2026-09-09");
  ASSERT_NE(within, nullptr);
  auto d = within->evaluate(telemarketingCall("+15046581234", at(asked)));
  ASSERT_TRUE(d.isOk());
  EXPECT_FALSE(d->allowed);
  ASSERT_TRUE(d->next_allowed_at.has_value());
  EXPECT_EQ(formatRfc3339(*d->next_allowed_at), "2026-09-10T13:00:00Z");  // 08:00 CDT, day 14
  auto beyond = withLouisianaEmergency("2026-08-27", "2026-09-10");
  ASSERT_NE(beyond, nullptr);
  d = beyond->evaluate(telemarketingCall("+15046581234", at(asked)));
  ASSERT_TRUE(d.isOk());
  EXPECT_FALSE(d->allowed);
  EXPECT_FALSE(d->next_allowed_at.has_value()) << formatRfc3339(*d->next_allowed_at);
}

// effective_to is exclusive and a local date: Florida's rule ending on 2026-07-16 still binds
// at 20:30 EDT on the 15th, and no longer at 20:30 on the 16th.
TEST(RuleFile, EffectiveToEndsARuleAtLocalMidnight) {
  auto p = policyFrom(
      shippedRulesWith(R"("effective_from": "2021-07-01",)",
                       R"("effective_from": "2021-07-01", "effective_to": "2026-07-16",)"));
  ASSERT_NE(p, nullptr);
  auto d =
      p->evaluate(telemarketingCall("+13053721234", at("2026-07-16T00:30:00Z")));  // 15th 20:30
  ASSERT_TRUE(d.isOk());
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(ruleIds(*d), (std::vector<std::string>{"US-FL/telemarketing-hours"}));
  d = p->evaluate(telemarketingCall("+13053721234", at("2026-07-17T00:30:00Z")));  // 16th 20:30
  ASSERT_TRUE(d.isOk());
  EXPECT_TRUE(d->allowed);
  // The shipped rule has no end.
  EXPECT_FALSE(defaultPolicy()
                   .evaluate(telemarketingCall("+13053721234", at("2026-07-17T00:30:00Z")))
                   ->allowed);
}

// effective_from is inclusive and a local date: the evening before a state rule took effect is
// only under the federal window, the evening of its first day under the state's.
TEST(RuleFile, EffectiveFromStartsARuleAtLocalMidnight) {
  struct Start {
    const char* to;
    const char* eve;    // 20:30 local on the day before
    const char* first;  // 20:30 local on the first day
    const char* rule;
  };
  for (const Start& s :
       {Start{"+13053721234", "2021-07-01T00:30:00Z", "2021-07-02T00:30:00Z",
              "US-FL/telemarketing-hours"},  // Fla. SB 1120, 2021-07-01 (EDT)
        Start{"+14107671234", "2024-01-01T01:30:00Z", "2024-01-02T01:30:00Z",
              "US-MD/telemarketing-hours"},  // Md. SB 90, 2024-01-01 (EST)
        Start{"+12039771234", "2023-10-01T00:30:00Z", "2023-10-02T00:30:00Z",
              "US-CT/telemarketing-hours"}}) {  // Conn. P.A. 23-98, 2023-10-01 (EDT)
    SCOPED_TRACE(s.rule);
    auto before = defaultPolicy().evaluate(telemarketingCall(s.to, at(s.eve)));
    ASSERT_TRUE(before.isOk());
    EXPECT_TRUE(before->allowed) << (before->reasons.empty() ? "" : before->reasons[0].rule);
    auto after = defaultPolicy().evaluate(telemarketingCall(s.to, at(s.first)));
    ASSERT_TRUE(after.isOk());
    EXPECT_FALSE(after->allowed);
    EXPECT_EQ(ruleIds(*after), (std::vector<std::string>{s.rule}));
  }
}

TEST(NumberingFiles, OverrideAddsZonesToAnAreaCode) {
  const std::string path = std::string(CALLWARDEN_BINARY_DIR) + "/zone-override-test.tsv";
  {
    std::ofstream out(path);
    out << "# deployment override\nnpa\t312\tAmerica/Denver\n";
  }
  auto paths = rules::NumberingDataPaths::inDirectory(dataDir());
  paths.overrides = path;
  auto plan = rules::loadNumberingPlan(paths);
  ASSERT_TRUE(plan.isOk()) << plan.status().toString();
  auto rules = rules::loadRuleSet(dataDir() + "/rules/us.json");
  ASSERT_TRUE(rules.isOk());
  policy::CallingWindowPolicy p(*rules, *plan);
  auto c = p.resolveCandidates("+13127440100", {});
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(c->zoneNames(), (std::vector<std::string>{"America/Chicago", "America/Denver"}));
}

TEST(NumberingFiles, BadRowNamesFileAndLine) {
  const std::string path = std::string(CALLWARDEN_BINARY_DIR) + "/zone-override-bad.tsv";
  {
    std::ofstream out(path);
    out << "# header\nnpa\t312\tAmerica/Nowhere\n";
  }
  auto paths = rules::NumberingDataPaths::inDirectory(dataDir());
  paths.overrides = path;
  auto plan = rules::loadNumberingPlan(paths);
  ASSERT_FALSE(plan.isOk());
  EXPECT_NE(plan.status().message().find("unknown IANA time zone America/Nowhere"),
            std::string::npos)
      << plan.status().message();
  paths.overrides = std::string(CALLWARDEN_BINARY_DIR) + "/does-not-exist.tsv";
  EXPECT_EQ(rules::loadNumberingPlan(paths).status().code(), ErrorCode::kIOError);
}

}  // namespace
}  // namespace callwarden::testing
