// Candidate resolution (zones, jurisdictions, presumptions), TV-6 with the all-US option,
// request validation, consumer inconvenient times, and agreement with libphonenumber.

#include <gtest/gtest.h>
#include <phonenumbers/phonenumberutil.h>

#include "ShippedPolicy.h"

namespace callwarden::testing {
namespace {

using policy::CallContext;
using policy::Location;
using policy::Purpose;

CallContext tm(const char* to, const char* when, std::vector<Location> locations = {}) {
  CallContext c;
  c.to = to;
  c.purpose = Purpose::kTelemarketing;
  c.at = at(when);
  c.locations = std::move(locations);
  return c;
}

TEST(NumberZones, NpaUnionBeatsLibphonenumberSingleZoneFallback) {
  // libphonenumber alone answers only America/New_York for 850-555 (regulations.md 1.3).
  auto c = defaultPolicy().resolveCandidates("+18505551234", {});
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(c->zoneNames(), (std::vector<std::string>{"America/Chicago", "America/New_York"}));
  auto panama = defaultPolicy().resolveCandidates("+18508721234", {});
  ASSERT_TRUE(panama.isOk());
  EXPECT_EQ(panama->zoneNames(), (std::vector<std::string>{"America/Chicago", "America/New_York"}));
}

TEST(NumberZones, MultiZoneNpasFromResearchTable) {
  struct Row {
    const char* to;
    std::vector<std::string> zones;
  };
  const std::vector<Row> rows = {
      {"+15418891234", {"America/Denver", "America/Los_Angeles"}},
      {"+19287741234", {"America/Denver", "America/Phoenix"}},
      {"+12705551234", {"America/Chicago", "America/New_York"}},
      {"+19065551234", {"America/Chicago", "America/New_York"}},
      {"+13127440100", {"America/Chicago"}},
  };
  for (const Row& r : rows) {
    auto c = defaultPolicy().resolveCandidates(r.to, {});
    ASSERT_TRUE(c.isOk()) << r.to;
    EXPECT_EQ(c->zoneNames(), r.zones) << r.to;
  }
}

TEST(Jurisdictions, NpaStateAndLocationsAddJurisdictions) {
  const std::vector<Location> locs = {{"", "90012", ""}, {"", "", "America/St_Johns"}};
  auto c = defaultPolicy().resolveCandidates("+18508721234", locs);
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(c->jurisdictionNames(), (std::vector<std::string>{"US", "US-CA", "US-FL"}));
  EXPECT_EQ(c->zoneNames(), (std::vector<std::string>{"America/Chicago", "America/Los_Angeles",
                                                      "America/New_York", "America/St_Johns"}));
}

TEST(Jurisdictions, PresumptionStatesApplyEvenWhenNpaStateOptionIsOff) {
  policy::PolicyOptions o;
  o.npa_state_is_jurisdiction = false;
  auto p = shippedPolicy(o);
  ASSERT_TRUE(p);
  auto fl = p->resolveCandidates("+13053721234", std::vector<Location>{{"CA", "", ""}});
  ASSERT_TRUE(fl.isOk());
  EXPECT_EQ(fl->jurisdictionNames(), (std::vector<std::string>{"US", "US-CA", "US-FL"}));
  auto ct = p->resolveCandidates("+12039771234", {});
  ASSERT_TRUE(ct.isOk());
  EXPECT_EQ(ct->jurisdictionNames(), (std::vector<std::string>{"US", "US-CT"}));
  auto ok = p->resolveCandidates("+14055211234", {});
  ASSERT_TRUE(ok.isOk());
  EXPECT_EQ(ok->jurisdictionNames(), (std::vector<std::string>{"US", "US-OK"}));
  auto tx = p->resolveCandidates("+15124741234", {});
  ASSERT_TRUE(tx.isOk());
  EXPECT_EQ(tx->jurisdictionNames(), (std::vector<std::string>{"US"}));
}

TEST(Decision, ListsEveryFailingRuleAndReportsZonesAndVersion) {
  // Florida number, Rhode Island address, Sunday 2026-07-19 20:30 EDT.
  auto d = defaultPolicy().evaluate(tm("+18508721234", "2026-07-20T00:30:00Z", {{"RI", "", ""}}));
  ASSERT_TRUE(d.isOk());
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(ruleIds(*d),
            (std::vector<std::string>{"US-FL/telemarketing-hours", "US-RI/telemarketing-hours"}));
  EXPECT_EQ(codes(*d), (std::vector<std::string>{"CALLING_WINDOW", "DAY_BANNED"}));
  EXPECT_EQ(d->jurisdictions, (std::vector<std::string>{"US", "US-FL", "US-RI"}));
  EXPECT_EQ(defaultPolicy().version(), "us-2026.12.1");
}

TEST(Decision, Tv6AllUsZonesFederalOnly) {
  policy::PolicyOptions o;
  o.unknown_zone_uses_all_us_zones = true;
  auto p = shippedPolicy(o);
  ASSERT_TRUE(p);
  CallContext c;
  c.to = "+18005550100";
  c.purpose = Purpose::kDebtCollection;  // federal window only
  struct Row {
    const char* at;
    bool allowed;
    const char* next;
  };
  const std::vector<Row> rows = {
      {"2026-07-15T17:59:00Z", false, "2026-07-15T18:00:00Z"},  // 13:59 EDT
      {"2026-07-15T18:00:00Z", true, "2026-07-15T18:00:00Z"},   // 14:00 EDT = 08:00 HST
      {"2026-07-16T00:59:00Z", true, "2026-07-16T00:59:00Z"},   // 20:59 EDT
      {"2026-07-16T01:00:00Z", false, "2026-07-16T18:00:00Z"},  // 21:00 EDT
      {"2026-01-15T17:59:00Z", false, "2026-01-15T18:00:00Z"},  // 12:59 EST
      {"2026-01-15T18:00:00Z", true, "2026-01-15T18:00:00Z"},   // 13:00 EST
  };
  for (const Row& r : rows) {
    c.at = at(r.at);
    auto d = p->evaluate(c);
    ASSERT_TRUE(d.isOk());
    EXPECT_EQ(d->allowed, r.allowed) << r.at;
    ASSERT_TRUE(d->next_allowed_at) << r.at;
    EXPECT_EQ(formatRfc3339(*d->next_allowed_at), r.next) << r.at;
  }
}

TEST(Decision, Tv6AllUsZonesWithEveryStateRule) {
  policy::PolicyOptions o;
  o.unknown_zone_uses_all_us_zones = true;
  auto p = shippedPolicy(o);
  ASSERT_TRUE(p);
  // Every state's rule is read in every candidate zone (docs/rules-notes.md): weekday
  // [16:00, 18:00) EDT (Kentucky's 10:00 in Honolulu, Rhode Island's 18:00 in New York),
  // Saturday [16:00, 17:00) EDT, Sunday never.
  auto weekday = p->evaluate(tm("+18005550100", "2026-07-15T19:59:00Z"));
  ASSERT_TRUE(weekday.isOk());
  EXPECT_FALSE(weekday->allowed);
  EXPECT_EQ(formatRfc3339(*weekday->next_allowed_at), "2026-07-15T20:00:00Z");
  auto open = p->evaluate(tm("+18005550100", "2026-07-15T21:59:00Z"));
  ASSERT_TRUE(open.isOk());
  EXPECT_TRUE(open->allowed);
  auto saturday = p->evaluate(tm("+18005550100", "2026-07-18T21:00:00Z"));
  ASSERT_TRUE(saturday.isOk());
  EXPECT_FALSE(saturday->allowed);
  EXPECT_EQ(formatRfc3339(*saturday->next_allowed_at), "2026-07-20T20:00:00Z");
  auto sunday = p->evaluate(tm("+18005550100", "2026-07-19T20:30:00Z"));
  ASSERT_TRUE(sunday.isOk());
  EXPECT_FALSE(sunday->allowed);
  EXPECT_NE(std::find(codes(*sunday).begin(), codes(*sunday).end(), "DAY_BANNED"),
            codes(*sunday).end());
}

TEST(Decision, NonNanpNumberNeedsALocation) {
  auto unknown = defaultPolicy().evaluate(tm("+442079460958", "2026-07-15T12:00:00Z"));
  ASSERT_TRUE(unknown.isOk());
  EXPECT_FALSE(unknown->allowed);
  EXPECT_EQ(codes(*unknown), (std::vector<std::string>{"ZONE_UNKNOWN"}));
  auto london = defaultPolicy().evaluate(
      tm("+442079460958", "2026-07-15T12:00:00Z", {{"", "", "Europe/London"}}));
  ASSERT_TRUE(london.isOk());
  EXPECT_TRUE(london->allowed);  // 13:00 BST
}

TEST(Decision, KentuckyUnverifiedRuleCanBeSwitchedOff) {
  policy::PolicyOptions o;
  o.enforce_unverified_rules = false;
  auto p = shippedPolicy(o);
  ASSERT_TRUE(p);
  auto d = p->evaluate(tm("+15025741234", "2026-07-15T13:59:00Z"));  // 09:59 EDT
  ASSERT_TRUE(d.isOk());
  EXPECT_TRUE(d->allowed);
  auto strict = defaultPolicy().evaluate(tm("+15025741234", "2026-07-15T13:59:00Z"));
  ASSERT_TRUE(strict.isOk());
  EXPECT_FALSE(strict->allowed);
}

TEST(Inconvenient, ConsumerIntervalBlocksAndMovesNextAllowed) {
  auto c = tm("+13127440100", "2026-07-15T17:30:00Z");  // Wed 12:30 CDT
  c.purpose = Purpose::kDebtCollection;
  policy::LocalInterval lunch;
  lunch.start = std::chrono::hours{12};
  lunch.end = std::chrono::hours{13};
  c.inconvenient = {lunch};
  auto d = defaultPolicy().evaluate(c);
  ASSERT_TRUE(d.isOk());
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(codes(*d), (std::vector<std::string>{"INCONVENIENT_TIME"}));
  EXPECT_EQ(formatRfc3339(*d->next_allowed_at), "2026-07-15T18:00:00Z");
  // Evenings after 18:00 every weekday, wrapping to 09:00 next morning (Chicago).
  policy::LocalInterval evenings;
  evenings.weekdays = 0x3e;  // Mon-Fri
  evenings.start = std::chrono::hours{18};
  evenings.end = std::chrono::hours{9};
  evenings.tz = "America/Chicago";
  c.inconvenient = {evenings};
  c.at = at("2026-07-15T23:30:00Z");  // 18:30 CDT Wednesday
  d = defaultPolicy().evaluate(c);
  ASSERT_TRUE(d.isOk());
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(formatRfc3339(*d->next_allowed_at), "2026-07-16T14:00:00Z");  // Thu 09:00 CDT
}

struct BadInput {
  const char* name;
  CallContext ctx;
  const char* field;
};

class Validation : public ::testing::TestWithParam<BadInput> {};

TEST_P(Validation, RejectsClientMistakesWithField) {
  auto d = defaultPolicy().evaluate(GetParam().ctx);
  ASSERT_FALSE(d.isOk());
  EXPECT_EQ(d.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(d.status().field(), GetParam().field) << d.status().message();
}

CallContext withLocations(const char* to, std::vector<Location> l) {
  return tm(to, "2026-07-15T16:00:00Z", std::move(l));
}
CallContext withInconvenientTz(const char* tz) {
  auto c = tm("+13127440100", "2026-07-15T16:00:00Z");
  policy::LocalInterval iv;
  iv.start = std::chrono::hours{1};
  iv.end = std::chrono::hours{2};
  iv.tz = tz;
  c.inconvenient = {iv};
  return c;
}

INSTANTIATE_TEST_SUITE_P(
    BadRequests, Validation,
    ::testing::Values(
        BadInput{"NoPlus", withLocations("18508721234", {}), "to"},
        BadInput{"Spaces", withLocations("+1 850 872 1234", {}), "to"},
        BadInput{"NanpTooShort", withLocations("+1850872123", {}), "to"},
        BadInput{"NanpTooLong", withLocations("+185087212345", {}), "to"},
        BadInput{"InvalidNpa", withLocations("+11234567890", {}), "to"},
        BadInput{"InvalidNxx", withLocations("+18501234567", {}), "to"},
        BadInput{"InvalidForeign", withLocations("+4412", {}), "to"},
        BadInput{"Empty", withLocations("", {}), "to"},
        BadInput{"UnknownZone", withLocations("+13127440100", {{"", "", "Mars/Olympus_Mons"}}),
                 "locations[0].tz"},
        BadInput{"UnknownState", withLocations("+13127440100", {{"IL", "", ""}, {"ZZ", "", ""}}),
                 "locations[1].state"},
        BadInput{"LowercaseState", withLocations("+13127440100", {{"fl", "", ""}}),
                 "locations[0].state"},
        BadInput{"ShortZip", withLocations("+13127440100", {{"", "1234", ""}}), "locations[0].zip"},
        BadInput{"UnassignedZip", withLocations("+13127440100", {{"", "00012", ""}}),
                 "locations[0].zip"},
        BadInput{"MalformedZipPlus4", withLocations("+13127440100", {{"", "60601-12", ""}}),
                 "locations[0].zip"},
        BadInput{"InconvenientZone", withInconvenientTz("Nowhere/Town"), "inconvenient[0].tz"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Validation, AcceptsZipPlus4) {
  auto d = defaultPolicy().evaluate(withLocations("+13127440100", {{"", "60601-1234", ""}}));
  ASSERT_TRUE(d.isOk()) << d.status().toString();
  EXPECT_EQ(d->jurisdictions, (std::vector<std::string>{"US", "US-IL"}));
}

TEST(NumberValidity, ShippedTableAgreesWithLibphonenumber) {
  // nanp-numbers.tsv replaces PhoneNumberUtil on the hot path; it must give the same answers.
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  const auto& plan = defaultPolicy().plan();
  int checked = 0;
  for (int npa = 200; npa <= 999; ++npa) {
    for (int nxx : {200, 212, 345, 555, 872, 999}) {
      const auto v = plan.nanpValidity(npa, nxx);
      if (v == policy::NumberingPlan::Validity::kCheckFully) continue;
      PhoneNumber n;
      n.set_country_code(1);
      n.set_national_number(static_cast<std::uint64_t>(npa) * 10000000ull +
                            static_cast<std::uint64_t>(nxx) * 10000ull + 4321ull);
      EXPECT_EQ(v == policy::NumberingPlan::Validity::kValid, util->IsValidNumber(n))
          << npa << "-" << nxx;
      ++checked;
    }
  }
  EXPECT_GT(checked, 4000);
}

}  // namespace
}  // namespace callwarden::testing
