// Every shipped state row of research sections 3.1 and 3.2: both edges of each day's window and
// each banned weekday in a summer week (and a winter one for Mississippi's fixed clock, Rhode
// Island and Nebraska); then, per holiday calendar, a fixed date, an nth weekday, its observed
// shifts and, where it has them, an Easter-based day and election day. (Louisiana's ad hoc
// proclamation and more holidays are in CallingWindowPolicyTest.) The expectations are typed
// here from the research tables and the calendars' statutes, not read from
// data/rules/us.json, so a wrong hour or date in the rule file fails.

#include <date/tz.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "ShippedPolicy.h"

namespace callwarden::testing {
namespace {

using policy::CallType;
using std::chrono::minutes;

/// [from, to) in minutes of the local day.
struct Window {
  int from;
  int to;
};
constexpr Window hm(int from_h, int to_h) {
  return {from_h * 60, to_h * 60};
}
constexpr std::optional<Window> kBanned = std::nullopt;

struct StateRow {
  const char* name;
  const char* number;  // a number whose only candidate zone is `zone`
  const char* zone;
  const char* jurisdiction;  // "US-FL": a rule of it must fail outside the window
  std::optional<Window> weekday, saturday, sunday;
  CallType call_type = CallType::kLive;
  bool winter = false;  // the week of 2026-01-14 instead of 2026-07-15
  bool consent = false;
};

std::ostream& operator<<(std::ostream& os, const StateRow& r) {
  return os << r.name;
}

// Wednesday, Saturday and Sunday of a week with no holiday in any shipped calendar.
std::vector<date::year_month_day> week(bool winter) {
  using namespace date::literals;
  if (winter) return {2026_y / 1 / 14, 2026_y / 1 / 17, 2026_y / 1 / 18};
  return {2026_y / 7 / 15, 2026_y / 7 / 18, 2026_y / 7 / 19};
}

Timestamp localInstant(const char* zone, date::year_month_day day, int minute) {
  const auto local = date::local_days{day} + minutes(minute);
  return std::chrono::time_point_cast<Timestamp::duration>(
      date::make_zoned(zone, local).get_sys_time());
}

class StateRows : public ::testing::TestWithParam<StateRow> {
 protected:
  policy::WindowDecision decide(const StateRow& row, Timestamp t) {
    auto d = defaultPolicy().evaluate(telemarketingCall(row.number, t, row.call_type, row.consent));
    EXPECT_TRUE(d.isOk()) << d.status().toString();
    return d.isOk() ? *d : policy::WindowDecision{};
  }
  static bool hasRuleOf(const policy::WindowDecision& d, const std::string& jurisdiction) {
    for (const auto& r : d.reasons)
      if (r.rule.rfind(jurisdiction + "/", 0) == 0) return true;
    return false;
  }
};

TEST_P(StateRows, EdgesAndBannedDays) {
  const StateRow& row = GetParam();
  const auto days = week(row.winter);
  const std::optional<Window> windows[] = {row.weekday, row.saturday, row.sunday};
  for (size_t i = 0; i < days.size(); ++i) {
    const auto day = days[i];
    SCOPED_TRACE(date::format("%F %a", date::sys_days{day}));
    if (!windows[i]) {
      const auto d = decide(row, localInstant(row.zone, day, 12 * 60));
      EXPECT_FALSE(d.allowed);
      EXPECT_TRUE(hasRuleOf(d, row.jurisdiction));
      const auto reason_codes = codes(d);
      EXPECT_NE(std::find(reason_codes.begin(), reason_codes.end(), "DAY_BANNED"),
                reason_codes.end());
      continue;
    }
    const Window w = *windows[i];
    struct Probe {
      int minute;
      bool allowed;
    };
    for (const Probe p : {Probe{w.from - 1, false}, Probe{w.from, true}, Probe{w.to - 1, true},
                          Probe{w.to, false}}) {
      SCOPED_TRACE(std::to_string(p.minute / 60) + ":" + std::to_string(p.minute % 60));
      const auto d = decide(row, localInstant(row.zone, day, p.minute));
      EXPECT_EQ(d.zones, std::vector<std::string>{row.zone});
      EXPECT_EQ(d.allowed, p.allowed) << (d.reasons.empty() ? "" : d.reasons[0].rule);
      // Outside 08-21 the federal rule may be the only one the window comes from.
      const bool federal_edge = p.minute < 8 * 60 || p.minute >= 21 * 60;
      if (!p.allowed) {
        EXPECT_TRUE(hasRuleOf(d, row.jurisdiction) || (federal_edge && hasRuleOf(d, "US")));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Research, StateRows,
    ::testing::Values(
        // Section 3.1, verified or secondary.
        StateRow{"Florida", "+13053721234", "America/New_York", "US-FL", hm(8, 20), hm(8, 20),
                 hm(8, 20)},
        StateRow{"Oklahoma", "+14055211234", "America/Chicago", "US-OK", hm(8, 20), hm(8, 20),
                 hm(8, 20)},
        StateRow{"OklahomaAdad", "+14055211234", "America/Chicago", "US-OK", hm(9, 20), hm(9, 20),
                 hm(9, 20), CallType::kAutodialed},
        StateRow{"Maryland", "+14107671234", "America/New_York", "US-MD", hm(8, 20), hm(8, 20),
                 hm(8, 20)},
        StateRow{"Washington", "+12066841234", "America/Los_Angeles", "US-WA", hm(8, 20), hm(8, 20),
                 hm(8, 20)},
        StateRow{"Texas", "+15124741234", "America/Chicago", "US-TX", hm(9, 21), hm(9, 21),
                 hm(12, 21)},
        StateRow{"Louisiana", "+15046581234", "America/Chicago", "US-LA", hm(8, 20), hm(8, 20),
                 kBanned},
        StateRow{"Alabama", "+12052541234", "America/Chicago", "US-AL", hm(8, 20), hm(8, 20),
                 kBanned},
        // "Central Standard Time" read literally: 08-20 CST is 09-21 CDT, intersected with
        // the local reading, so 09-20 in summer (TV-15); in winter the two agree.
        StateRow{"MississippiSummer", "+16019601234", "America/Chicago", "US-MS", hm(9, 20),
                 hm(9, 20), kBanned},
        StateRow{"MississippiWinter", "+16019601234", "America/Chicago", "US-MS", hm(8, 20),
                 hm(8, 20), kBanned, CallType::kLive, true},
        StateRow{"Utah", "+18015381234", "America/Denver", "US-UT", hm(8, 21), hm(8, 21), kBanned},
        StateRow{"UtahWithPriorExpressConsent", "+18015381234", "America/Denver", "US", hm(8, 21),
                 hm(8, 21), hm(8, 21), CallType::kLive, false, true},
        StateRow{"Connecticut", "+12039771234", "America/New_York", "US-CT", hm(9, 20), hm(9, 20),
                 hm(9, 20)},
        StateRow{"RhodeIsland", "+14012221234", "America/New_York", "US-RI", hm(9, 18), hm(10, 17),
                 kBanned},
        StateRow{"RhodeIslandWinter", "+14012221234", "America/New_York", "US-RI", hm(9, 18),
                 hm(10, 17), kBanned, CallType::kLive, true},
        StateRow{"Pennsylvania", "+12156861234", "America/New_York", "US-PA", hm(8, 21), hm(8, 21),
                 hm(8, 21)},
        StateRow{"Kentucky", "+15025741234", "America/New_York", "US-KY", hm(10, 21), hm(10, 21),
                 hm(10, 21)},
        // Section 3.1, "also reported, not verified": shipped unverified, enforced by default.
        StateRow{"Massachusetts", "+16176353300", "America/New_York", "US-MA", hm(8, 20), hm(8, 20),
                 hm(8, 20)},
        StateRow{"Michigan", "+13132241234", "America/New_York", "US-MI", hm(9, 21), hm(9, 21),
                 hm(9, 21)},
        StateRow{"Minnesota", "+16126731234", "America/Chicago", "US-MN", hm(9, 21), hm(9, 21),
                 hm(9, 21)},
        StateRow{"Nevada", "+17022291234", "America/Los_Angeles", "US-NV", hm(9, 20), hm(9, 20),
                 hm(9, 20)},
        StateRow{"NewMexico", "+15057681234", "America/Denver", "US-NM", hm(9, 21), hm(9, 21),
                 hm(9, 21)},
        StateRow{"Wyoming", "+13077771234", "America/Denver", "US-WY", hm(8, 20), hm(8, 20),
                 hm(8, 20)},
        StateRow{"IllinoisPrerecorded", "+13127440100", "America/Chicago", "US-IL", hm(9, 21),
                 hm(9, 21), hm(9, 21), CallType::kPrerecorded},
        StateRow{"IllinoisLiveIsFederal", "+13127440100", "America/Chicago", "US", hm(8, 21),
                 hm(8, 21), hm(8, 21)},
        StateRow{"MaineAutomated", "+12072871234", "America/New_York", "US-ME", hm(9, 17), kBanned,
                 kBanned, CallType::kAutodialed},
        StateRow{"MaineLiveIsFederal", "+12072871234", "America/New_York", "US", hm(8, 21),
                 hm(8, 21), hm(8, 21)},
        StateRow{"NebraskaPrerecorded", "+14024441234", "America/Chicago", "US-NE", hm(8, 21),
                 hm(8, 21), hm(13, 21), CallType::kPrerecorded},
        StateRow{"NebraskaPrerecordedWinter", "+14024441234", "America/Chicago", "US-NE", hm(8, 21),
                 hm(8, 21), hm(13, 21), CallType::kPrerecorded, true}),
    [](const auto& info) { return std::string(info.param.name); });

// One day at local noon: banned by the row's holiday calendar, or (a control) not.
struct HolidayCase {
  const char* name;
  const char* number;
  const char* zone;
  const char* rule;  // the rule that bans the day
  const char* date;  // local date
  bool banned;
  CallType call_type = CallType::kLive;
  bool consent = false;
};

std::ostream& operator<<(std::ostream& os, const HolidayCase& c) {
  return os << c.name;
}

class StateHolidays : public ::testing::TestWithParam<HolidayCase> {};

TEST_P(StateHolidays, BannedAtNoonOrNot) {
  const HolidayCase& c = GetParam();
  int y = 0;
  unsigned m = 0, dd = 0;
  ASSERT_EQ(std::sscanf(c.date, "%d-%u-%u", &y, &m, &dd), 3) << c.date;
  const date::year_month_day day{date::year{y}, date::month{m}, date::day{dd}};
  ASSERT_TRUE(day.ok()) << c.date;
  auto d = defaultPolicy().evaluate(
      telemarketingCall(c.number, localInstant(c.zone, day, 12 * 60), c.call_type, c.consent));
  ASSERT_TRUE(d.isOk()) << d.status().toString();
  std::string why;
  for (const auto& r : d->reasons) why += " " + r.rule;
  if (!c.banned) {
    EXPECT_TRUE(d->allowed) << why;
    return;
  }
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(ruleIds(*d), std::vector<std::string>{c.rule}) << why;
  EXPECT_EQ(codes(*d), std::vector<std::string>{"DAY_BANNED"}) << why;
}

constexpr const char* kAl = "+12052541234";
constexpr const char* kLa = "+15046581234";
constexpr const char* kPa = "+12156861234";
constexpr const char* kRi = "+14012221234";
constexpr const char* kUt = "+18015381234";
constexpr const char* kNe = "+14024441234";
constexpr const char* kChicago = "America/Chicago";
constexpr const char* kNewYork = "America/New_York";

INSTANTIATE_TEST_SUITE_P(
    Calendars, StateHolidays,
    ::testing::Values(
        // Alabama (Ala. Code 1-3-8): Easter-based, nth weekday, fixed.
        HolidayCase{"AlabamaMardiGras2027", kAl, kChicago, "US-AL/telemarketing-hours",
                    "2027-02-09", true},  // Easter 2027-03-28, minus 47 days
        HolidayCase{"AlabamaDayAfterMardiGras2027", kAl, kChicago, "", "2027-02-10", false},
        HolidayCase{"AlabamaConfederateMemorialDay", kAl, kChicago, "US-AL/telemarketing-hours",
                    "2026-04-27", true},  // fourth Monday of April
        HolidayCase{"AlabamaChristmas", kAl, kChicago, "US-AL/telemarketing-hours", "2026-12-25",
                    true},
        // Louisiana: fixed, nth weekday, Good Friday, Saturday moved to Friday and kept.
        HolidayCase{"LouisianaNewYearsDay", kLa, kChicago, "US-LA/telemarketing-hours",
                    "2026-01-01", true},
        HolidayCase{"LouisianaLaborDay", kLa, kChicago, "US-LA/telemarketing-hours", "2026-09-07",
                    true},
        HolidayCase{"LouisianaGoodFriday", kLa, kChicago, "US-LA/telemarketing-hours", "2026-04-03",
                    true},
        HolidayCase{"LouisianaMaundyThursday", kLa, kChicago, "", "2026-04-02", false},
        HolidayCase{"LouisianaChristmas2027Observed", kLa, kChicago, "US-LA/telemarketing-hours",
                    "2027-12-24", true},  // Christmas 2027 is a Saturday
        HolidayCase{"LouisianaChristmas2027Actual", kLa, kChicago, "US-LA/telemarketing-hours",
                    "2027-12-25", true},
        // Pennsylvania (Act 73 of 2019, from 2019-12-03): no observed shift; Sundays are
        // otherwise open, so Flag Day on a Sunday is banned and the Monday is not.
        HolidayCase{"PennsylvaniaFlagDayOnSunday", kPa, kNewYork, "US-PA/holiday-ban", "2026-06-14",
                    true},
        HolidayCase{"PennsylvaniaMondayAfterFlagDay", kPa, kNewYork, "", "2026-06-15", false},
        HolidayCase{"PennsylvaniaMlkDay", kPa, kNewYork, "US-PA/holiday-ban", "2026-01-19", true},
        HolidayCase{"PennsylvaniaThanksgivingBeforeAct73", kPa, kNewYork, "", "2019-11-28", false},
        HolidayCase{"PennsylvaniaChristmasAfterAct73", kPa, kNewYork, "US-PA/holiday-ban",
                    "2019-12-25", true},
        // Rhode Island: fixed, election day in an odd year (conservative), Sunday moved to
        // Monday, Saturday not moved.
        HolidayCase{"RhodeIslandIndependenceDay", kRi, kNewYork, "US-RI/telemarketing-hours",
                    "2026-05-04", true},
        HolidayCase{"RhodeIslandElectionDay2027", kRi, kNewYork, "US-RI/telemarketing-hours",
                    "2027-11-02", true},
        HolidayCase{"RhodeIslandJuly4th2027ObservedMonday", kRi, kNewYork,
                    "US-RI/telemarketing-hours", "2027-07-05", true},
        HolidayCase{"RhodeIslandFridayBeforeSaturdayChristmas", kRi, kNewYork, "", "2027-12-24",
                    false},
        // Utah (63G-1-301): nth weekday, fixed, Saturday moved to Friday; consent lifts it.
        HolidayCase{"UtahLaborDay", kUt, "America/Denver", "US-UT/telemarketing-hours",
                    "2026-09-07", true},
        HolidayCase{"UtahPioneerDay", kUt, "America/Denver", "US-UT/telemarketing-hours",
                    "2026-07-24", true},
        HolidayCase{"UtahPioneerDay2027ObservedFriday", kUt, "America/Denver",
                    "US-UT/telemarketing-hours", "2027-07-23", true},
        HolidayCase{"UtahPioneerDayWithConsent", kUt, "America/Denver", "", "2026-07-24", false,
                    CallType::kLive, true},
        // Nebraska (prerecorded only): last Friday of April, the Friday after Thanksgiving in a
        // year where it is the fifth Friday.
        HolidayCase{"NebraskaArborDay", kNe, kChicago, "US-NE/prerecorded-sunday-holiday-hours",
                    "2026-04-24", true, CallType::kPrerecorded},
        HolidayCase{"NebraskaArborDayLiveCall", kNe, kChicago, "", "2026-04-24", false},
        HolidayCase{"NebraskaDayAfterThanksgiving2024", kNe, kChicago,
                    "US-NE/prerecorded-sunday-holiday-hours", "2024-11-29", true,
                    CallType::kPrerecorded},
        HolidayCase{"NebraskaThursdayBeforeArborDay", kNe, kChicago, "", "2026-04-23", false,
                    CallType::kPrerecorded},
        HolidayCase{"NebraskaJuly4th2027ObservedMonday", kNe, kChicago,
                    "US-NE/prerecorded-sunday-holiday-hours", "2027-07-05", true,
                    CallType::kPrerecorded},
        HolidayCase{"NebraskaChristmas2027ObservedFriday", kNe, kChicago,
                    "US-NE/prerecorded-sunday-holiday-hours", "2027-12-24", true,
                    CallType::kPrerecorded},
        // Mississippi's holiday ban was lifted (research 9.4).
        HolidayCase{"MississippiChristmasIsNotBanned", "+16019601234", kChicago, "", "2026-12-25",
                    false}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace callwarden::testing
