#include "policy/HolidayCalendar.h"

#include <algorithm>

namespace callwarden::policy {

using date::days;
using date::sys_days;

date::year_month_day HolidayCalendar::easterSunday(date::year y) {
  const int Y = static_cast<int>(y);
  const int a = Y % 19;
  const int b = Y / 100;
  const int c = Y % 100;
  const int d = b / 4;
  const int e = b % 4;
  const int f = (b + 8) / 25;
  const int g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4;
  const int k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const unsigned month = static_cast<unsigned>((h + l - 7 * m + 114) / 31);
  const unsigned day = static_cast<unsigned>((h + l - 7 * m + 114) % 31 + 1);
  return date::year_month_day{y, date::month{month}, date::day{day}};
}

Result<HolidayCalendar> HolidayCalendar::create(std::string id, int first_year, int last_year,
                                                ObservedRule observed,
                                                std::vector<HolidayRule> rules,
                                                std::vector<AdHocHoliday> adhoc) {
  if (first_year < 1900 || last_year > 2200 || first_year > last_year) {
    return Status::invalidArgument("calendar " + id + ": years must be an ascending range");
  }
  HolidayCalendar cal;
  cal.id_ = std::move(id);
  cal.first_year_ = first_year;
  cal.last_year_ = last_year;
  for (const HolidayRule& r : rules) {
    const bool needs_month = r.kind != HolidayRule::Kind::kEaster;
    if (needs_month && (r.month < 1 || r.month > 12)) {
      return Status::invalidArgument("calendar " + cal.id_ + ": holiday " + r.name + ": bad month");
    }
    if ((r.kind == HolidayRule::Kind::kNthWeekday ||
         r.kind == HolidayRule::Kind::kWeekdayOnOrAfter) &&
        r.weekday > 6) {
      return Status::invalidArgument("calendar " + cal.id_ + ": holiday " + r.name +
                                     ": bad weekday");
    }
    if (r.kind == HolidayRule::Kind::kNthWeekday && (r.nth == 0 || r.nth < -1 || r.nth > 5)) {
      return Status::invalidArgument("calendar " + cal.id_ + ": holiday " + r.name +
                                     ": nth must be 1..5 or -1 (last)");
    }
    // Compute one year beyond each side, so that a 1 January holiday observed on the previous
    // 31 December is found when that December is inside the range.
    for (int year = first_year - 1; year <= last_year + 1; ++year) {
      if (year < r.first_year || year > r.last_year) continue;
      if (r.even_years_only && year % 2 != 0) continue;
      const date::year y{year};
      switch (r.kind) {
        case HolidayRule::Kind::kFixed: {
          const date::year_month_day ymd{y, date::month{r.month}, date::day{r.day}};
          if (!ymd.ok()) {
            if (r.month == 2 && r.day == 29) continue;  // leap-day holidays only in leap years
            return Status::invalidArgument("calendar " + cal.id_ + ": holiday " + r.name +
                                           ": no such date");
          }
          const sys_days actual{ymd};
          sys_days when = actual;
          const date::weekday wd{actual};
          if (r.observed && wd == date::Saturday) when = actual + days{observed.saturday_shift};
          if (r.observed && wd == date::Sunday) when = actual + days{observed.sunday_shift};
          cal.dates_.emplace_back(when, when == actual ? r.name : r.name + " (observed)");
          if (when != actual && observed.keep_actual) cal.dates_.emplace_back(actual, r.name);
          break;
        }
        case HolidayRule::Kind::kNthWeekday: {
          const date::weekday wd{r.weekday};
          sys_days when;
          if (r.nth == -1) {
            when = sys_days{y / date::month{r.month} / wd[date::last]};
          } else {
            const date::year_month_weekday ymw{y / date::month{r.month} /
                                               wd[static_cast<unsigned>(r.nth)]};
            if (!ymw.ok()) continue;  // no 5th Monday this year
            when = sys_days{ymw};
          }
          cal.dates_.emplace_back(when, r.name);
          break;
        }
        case HolidayRule::Kind::kEaster:
          cal.dates_.emplace_back(sys_days{easterSunday(y)} + days{r.easter_offset}, r.name);
          break;
        case HolidayRule::Kind::kWeekdayOnOrAfter: {
          const date::year_month_day start{y, date::month{r.month}, date::day{r.day}};
          if (!start.ok()) {
            return Status::invalidArgument("calendar " + cal.id_ + ": holiday " + r.name +
                                           ": no such date");
          }
          const sys_days s{start};
          const date::weekday target{r.weekday};
          cal.dates_.emplace_back(s + (target - date::weekday{s}), r.name);
          break;
        }
      }
    }
  }
  for (const AdHocHoliday& h : adhoc) {
    if (!h.date.ok()) {
      return Status::invalidArgument("calendar " + cal.id_ + ": ad-hoc holiday " + h.name +
                                     ": no such date");
    }
    cal.dates_.emplace_back(sys_days{h.date}, h.name);
  }
  std::stable_sort(cal.dates_.begin(), cal.dates_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return cal;
}

const std::string* HolidayCalendar::holidayOn(sys_days day) const {
  auto it = std::lower_bound(dates_.begin(), dates_.end(), day,
                             [](const auto& entry, sys_days d) { return entry.first < d; });
  if (it == dates_.end() || it->first != day) return nullptr;
  return &it->second;
}

}  // namespace callwarden::policy
