#pragma once
// A jurisdiction's legal holidays, computed from rules (fixed date with observed-day shift, nth
// weekday, Easter-based, weekday on or after a date) plus ad-hoc proclamations, for a declared
// range of years. Outside that range the calendar cannot say, and callers must fail closed.
//
// Immutable after construction; thread-safe. Dates are precomputed at construction, so a lookup
// is a binary search.

#include <date/date.h>

#include <string>
#include <utility>
#include <vector>

#include "common/Result.h"

namespace callwarden::policy {

struct HolidayRule {
  enum class Kind { kFixed, kNthWeekday, kEaster, kWeekdayOnOrAfter };
  Kind kind = Kind::kFixed;
  std::string name;
  unsigned month = 1;     ///< kFixed, kNthWeekday, kWeekdayOnOrAfter.
  unsigned day = 1;       ///< kFixed, kWeekdayOnOrAfter.
  unsigned weekday = 0;   ///< kNthWeekday, kWeekdayOnOrAfter: 0 = Sunday ... 6 = Saturday.
  int nth = 1;            ///< kNthWeekday: 1..5, or -1 for the last one of the month.
  int easter_offset = 0;  ///< kEaster: days from Western Easter Sunday (Good Friday = -2).
  /// kFixed only: whether the calendar's observed-day rule moves it off a weekend.
  bool observed = true;
  /// Years in which the holiday exists (e.g. Juneteenth from 2021; election day in even years).
  int first_year = 0;
  int last_year = 9999;
  bool even_years_only = false;
};

/// How a fixed-date holiday falling on a weekend is observed (e.g. Ala. Code 1-3-8(a):
/// Saturday -> Friday, Sunday -> Monday). Shifts are in days; 0 means not moved.
struct ObservedRule {
  int saturday_shift = 0;
  int sunday_shift = 0;
  /// Keep the actual date banned as well as the observed one. Conservative default: a
  /// statute banning calls "on" a holiday is read as covering both days.
  bool keep_actual = true;
};

struct AdHocHoliday {
  date::year_month_day date;
  std::string name;  ///< Should cite the proclamation.
};

class HolidayCalendar {
 public:
  /// Validates the rules (month/day ranges, nth) and precomputes every date in
  /// [first_year, last_year]. Error kInvalidArgument naming the bad holiday.
  static Result<HolidayCalendar> create(std::string id, int first_year, int last_year,
                                        ObservedRule observed, std::vector<HolidayRule> rules,
                                        std::vector<AdHocHoliday> adhoc);

  const std::string& id() const { return id_; }
  int firstYear() const { return first_year_; }
  int lastYear() const { return last_year_; }
  bool covers(date::year y) const {
    return static_cast<int>(y) >= first_year_ && static_cast<int>(y) <= last_year_;
  }
  /// The holiday's name on `day`, or nullptr. Only meaningful when covers(year of day).
  const std::string* holidayOn(date::sys_days day) const;
  /// Every computed date (sorted), for documentation and tests.
  const std::vector<std::pair<date::sys_days, std::string>>& dates() const { return dates_; }

  /// Western (Gregorian) Easter Sunday; anonymous Gregorian algorithm.
  static date::year_month_day easterSunday(date::year y);

 private:
  HolidayCalendar() = default;
  std::string id_;
  int first_year_ = 0;
  int last_year_ = -1;
  std::vector<std::pair<date::sys_days, std::string>> dates_;
};

}  // namespace callwarden::policy
