// The rule-file loader: the shipped file loads; mistakes are reported with file, JSON path and
// what is wrong; emergency declarations ban days for emergency_ban rules.

#include <gtest/gtest.h>

#include "ShippedPolicy.h"
#include "rules/RuleFileLoader.h"

#include <cstdio>
#include <fstream>
#include <iterator>

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
  EXPECT_EQ((*set)->version(), "us-2026.11.1");
  for (const char* id :
       {"US-FL/telemarketing-hours", "US-OK/telemarketing-hours", "US-OK/adad-hours",
        "US-MD/telemarketing-hours", "US-WA/telemarketing-hours", "US-TX/telemarketing-hours",
        "US-LA/telemarketing-hours", "US-LA/state-of-emergency", "US-AL/telemarketing-hours",
        "US-MS/telemarketing-hours", "US-MS/telemarketing-hours-cst", "US-UT/telemarketing-hours",
        "US-CT/telemarketing-hours", "US-RI/telemarketing-hours", "US-PA/telemarketing-hours",
        "US-PA/holiday-ban", "US-KY/telemarketing-hours"}) {
    EXPECT_NE((*set)->findRule(id), nullptr) << id;
  }
  EXPECT_FALSE((*set)->findRule("US-KY/telemarketing-hours")->verified);
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

TEST(RuleFile, EmergencyDeclarationBansLouisianaDays) {
  // The shipped rules plus one declaration: Louisiana calls are banned on those dates only.
  std::ifstream in(dataDir() + "/rules/us.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string from = "\"emergency_declarations\": []";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(
      text.find(from), from.size(),
      R"("emergency_declarations": [{"jurisdiction": "US-LA", "from": "2026-08-27", "to": "2026-08-28", "reference": "Proclamation 123 JML 2026"}])");
  auto set = rules::parseRuleSet(text, "us.json+emergency");
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  auto plan = rules::loadNumberingPlan(rules::NumberingDataPaths::inDirectory(dataDir()));
  ASSERT_TRUE(plan.isOk());
  policy::CallingWindowPolicy p(*set, *plan);
  policy::CallContext c;
  c.to = "+15046581234";
  c.at = at("2026-08-27T17:00:00Z");  // Thursday 12:00 CDT
  auto d = p.evaluate(c);
  ASSERT_TRUE(d.isOk());
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(ruleIds(*d), (std::vector<std::string>{"US-LA/state-of-emergency"}));
  EXPECT_EQ(formatRfc3339(*d->next_allowed_at), "2026-08-29T13:00:00Z");  // Saturday 08:00 CDT
  c.to = "+13127440100";                                                  // Illinois: not affected
  EXPECT_TRUE(p.evaluate(c)->allowed);
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
