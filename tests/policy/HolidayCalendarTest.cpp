// Holiday computation (fixed with observed shift, nth weekday, last weekday, Easter-based,
// weekday-on-or-after, ad hoc) and the public reason-code names.

#include <gtest/gtest.h>

#include "policy/HolidayCalendar.h"
#include "policy/Jurisdiction.h"
#include "policy/Types.h"

namespace callwarden::policy {
namespace {

using date::sys_days;
using namespace date::literals;

struct EasterCase {
  int year;
  date::year_month_day sunday;
};
class Easter : public ::testing::TestWithParam<EasterCase> {};
TEST_P(Easter, MatchesPublishedDate) {
  EXPECT_EQ(HolidayCalendar::easterSunday(date::year{GetParam().year}), GetParam().sunday);
}
INSTANTIATE_TEST_SUITE_P(
    Years, Easter,
    ::testing::Values(EasterCase{2024, 2024_y / 3 / 31}, EasterCase{2025, 2025_y / 4 / 20},
                      EasterCase{2026, 2026_y / 4 / 5}, EasterCase{2027, 2027_y / 3 / 28},
                      EasterCase{2028, 2028_y / 4 / 16}, EasterCase{2038, 2038_y / 4 / 25}));

HolidayCalendar sample() {
  HolidayRule independence{HolidayRule::Kind::kFixed, "Independence Day", 7, 4};
  HolidayRule newyear{HolidayRule::Kind::kFixed, "New Year's Day", 1, 1};
  HolidayRule thanksgiving{HolidayRule::Kind::kNthWeekday, "Thanksgiving", 11, 1, 4, 4};
  HolidayRule memorial{HolidayRule::Kind::kNthWeekday, "Memorial Day", 5, 1, 1, -1};
  HolidayRule goodfriday{HolidayRule::Kind::kEaster, "Good Friday"};
  goodfriday.easter_offset = -2;
  HolidayRule election{HolidayRule::Kind::kWeekdayOnOrAfter, "Election Day", 11, 2, 2};
  auto cal =
      HolidayCalendar::create("X", 2026, 2028, ObservedRule{-1, 1, true},
                              {independence, newyear, thanksgiving, memorial, goodfriday, election},
                              {{2027_y / 7 / 5, "Proclamation 1"}});
  EXPECT_TRUE(cal.isOk()) << cal.status().toString();
  return std::move(cal).value();
}

struct DayCase {
  const char* name;
  date::year_month_day day;
  const char* holiday;
};
class CalendarDays : public ::testing::TestWithParam<DayCase> {};
TEST_P(CalendarDays, KnowsHolidays) {
  static const HolidayCalendar cal = sample();
  const std::string* got = cal.holidayOn(sys_days{GetParam().day});
  if (GetParam().holiday == nullptr) {
    EXPECT_EQ(got, nullptr) << *got;
  } else {
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(*got, GetParam().holiday);
  }
}
INSTANTIATE_TEST_SUITE_P(
    Sample, CalendarDays,
    ::testing::Values(
        DayCase{"SaturdayObservedFriday", 2026_y / 7 / 3, "Independence Day (observed)"},
        DayCase{"SaturdayActualKept", 2026_y / 7 / 4, "Independence Day"},
        DayCase{"SundayObservedMonday", 2027_y / 7 / 5, "Independence Day (observed)"},
        DayCase{"AdHocSameDayAlsoListed", 2027_y / 7 / 4, "Independence Day"},
        DayCase{"NewYearObservedPreviousDecember", 2027_y / 12 / 31, "New Year's Day (observed)"},
        DayCase{"FourthThursday", 2026_y / 11 / 26, "Thanksgiving"},
        DayCase{"NotThirdThursday", 2026_y / 11 / 19, nullptr},
        DayCase{"LastMondayOfMay", 2027_y / 5 / 31, "Memorial Day"},
        DayCase{"GoodFriday2028", 2028_y / 4 / 14, "Good Friday"},
        DayCase{"ElectionDayWhenFirstIsMonday", 2027_y / 11 / 2, "Election Day"},
        DayCase{"ElectionDayNotTheFirstTuesday", 2026_y / 11 / 3, "Election Day"},
        DayCase{"LeapDayIsOrdinary", 2028_y / 2 / 29, nullptr}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(HolidayCalendar, DeclaresCoverage) {
  const HolidayCalendar cal = sample();
  EXPECT_TRUE(cal.covers(date::year{2026}));
  EXPECT_TRUE(cal.covers(date::year{2028}));
  EXPECT_FALSE(cal.covers(date::year{2029}));
  EXPECT_FALSE(cal.covers(date::year{2025}));
}

TEST(HolidayCalendar, RejectsImpossibleRules) {
  HolidayRule bad{HolidayRule::Kind::kFixed, "Feb 30", 2, 30};
  EXPECT_FALSE(HolidayCalendar::create("X", 2026, 2026, {}, {bad}, {}).isOk());
  HolidayRule nth{HolidayRule::Kind::kNthWeekday, "Sixth Monday", 1, 1, 1, 6};
  EXPECT_FALSE(HolidayCalendar::create("X", 2026, 2026, {}, {nth}, {}).isOk());
  EXPECT_FALSE(HolidayCalendar::create("X", 2027, 2026, {}, {}, {}).isOk());
}

TEST(ReasonCodes, NamesArePublicApi) {
  const std::vector<std::pair<ReasonCode, const char*>> names = {
      {ReasonCode::kCallingWindow, "CALLING_WINDOW"},
      {ReasonCode::kDayBanned, "DAY_BANNED"},
      {ReasonCode::kZoneUnknown, "ZONE_UNKNOWN"},
      {ReasonCode::kInconvenientTime, "INCONVENIENT_TIME"},
      {ReasonCode::kRegf7In7, "REGF_7_IN_7"},
      {ReasonCode::kRegfPostConversation, "REGF_POST_CONVERSATION"},
      {ReasonCode::kStateFrequencyCap, "STATE_FREQUENCY_CAP"},
      {ReasonCode::kDncInternal, "DNC_INTERNAL"},
      {ReasonCode::kDncNational, "DNC_NATIONAL"},
      {ReasonCode::kDncState, "DNC_STATE"},
      {ReasonCode::kDncListStale, "DNC_LIST_STALE"},
      {ReasonCode::kConsentRevoked, "CONSENT_REVOKED"},
      {ReasonCode::kConsentMissing, "CONSENT_MISSING"},
      {ReasonCode::kReassignedNumber, "REASSIGNED_NUMBER"},
      {ReasonCode::kAccountBlocked, "ACCOUNT_BLOCKED"},
      {ReasonCode::kStoreUnavailable, "STORE_UNAVAILABLE"},
      {ReasonCode::kAuditUnavailable, "AUDIT_UNAVAILABLE"},
      {ReasonCode::kInternalError, "INTERNAL_ERROR"}};
  for (const auto& [code, name] : names) EXPECT_EQ(reasonCodeName(code), name);
  EXPECT_EQ(reasonCodeName(static_cast<ReasonCode>(200)), "INTERNAL_ERROR");
}

TEST(Purposes, ParseAndRejectWithField) {
  EXPECT_EQ(parsePurpose("debt_collection").value(), Purpose::kDebtCollection);
  EXPECT_EQ(parseCallType("prerecorded").value(), CallType::kPrerecorded);
  auto bad = parsePurpose("collection");
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().field(), "purpose");
}

TEST(Jurisdictions, RoundTrip) {
  EXPECT_EQ(jurisdictionName(parseJurisdiction("US-FL").value()), "US-FL");
  EXPECT_EQ(parseJurisdiction("US").value(), kJurisdictionUs);
  EXPECT_FALSE(parseJurisdiction("US-fl").has_value());
  EXPECT_FALSE(parseJurisdiction("FL").has_value());
}

}  // namespace
}  // namespace callwarden::policy
