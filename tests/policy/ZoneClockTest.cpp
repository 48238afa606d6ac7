// ZoneClock remembers offsets; it must answer exactly as date::tz does, on ordinary days and on
// the days around a transition (gaps, overlaps, half-hour DST, skipped calendar days), whatever
// order the questions come in.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "policy/ZoneClock.h"

namespace callwarden::policy {
namespace {

using date::days;
using date::sys_days;
using date::sys_seconds;
using namespace date::literals;

// Local times of day that sit on, just before and just after the usual transition hours.
constexpr std::int32_t kTods[] = {0,    1,    1799, 1800,  3599,  3600,  5400,  7199,
                                  7200, 7201, 9000, 10800, 43200, 72000, 86399, 86400};

// DST both ways, half-hour zones, Lord Howe's 30-minute DST, Dublin's negative DST, Troll's
// two-hour DST, Apia and Kiritimati skipping a whole day, and a zone without DST.
const char* const kZones[] = {"America/New_York",    "America/Chicago",    "America/St_Johns",
                              "Australia/Lord_Howe", "Europe/Dublin",      "Antarctica/Troll",
                              "Pacific/Apia",        "Pacific/Kiritimati", "Asia/Kathmandu",
                              "America/Santiago",    "America/Phoenix"};

void expectSameAsTz(ZoneClock& clock, sys_days day) {
  const date::time_zone* zone = clock.zone();
  for (std::int32_t tod : kTods) {
    const date::local_seconds local{(day + std::chrono::seconds{tod}).time_since_epoch()};
    for (date::choose c : {date::choose::earliest, date::choose::latest}) {
      ASSERT_EQ(clock.toSys(day, tod, c), zone->to_sys(local, c))
          << zone->name() << " " << date::format("%F", day) << " +" << tod << "s";
    }
    const sys_seconds t = sys_seconds{day} + std::chrono::seconds{tod};
    ASSERT_EQ(clock.offsetAt(t), zone->get_info(t).offset)
        << zone->name() << " " << date::format("%F %T", t);
  }
}

TEST(ZoneClock, MatchesTzDayByDayAcrossYearsOfTransitions) {
  for (const char* name : kZones) {
    ZoneClock clock{date::locate_zone(name)};
    for (sys_days d = sys_days{2009_y / 1 / 1}; d < sys_days{2031_y / 1 / 1}; d += days{1}) {
      expectSameAsTz(clock, d);
    }
  }
}

TEST(ZoneClock, MatchesTzInAnyOrder) {
  // Jumping back and forth makes the clock drop and reload spans; answers must not change.
  std::uint64_t s = 0x9e3779b97f4a7c15ull;
  for (const char* name : kZones) {
    ZoneClock clock{date::locate_zone(name)};
    for (int i = 0; i < 3000; ++i) {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      expectSameAsTz(clock, sys_days{2010_y / 1 / 1} + days{static_cast<int>(s % (20 * 366))});
    }
  }
}

TEST(ZoneClock, MatchesTzOnKnownTransitionDays) {
  // 2026-03-08 and 2026-11-01 (US), 2011-12-30 (Apia skipped it), 1994-12-31 (Kiritimati).
  const std::vector<std::pair<const char*, sys_days>> cases = {
      {"America/New_York", sys_days{2026_y / 3 / 8}},
      {"America/New_York", sys_days{2026_y / 11 / 1}},
      {"America/St_Johns", sys_days{2026_y / 11 / 1}},
      {"Pacific/Apia", sys_days{2011_y / 12 / 29}},
      {"Pacific/Apia", sys_days{2011_y / 12 / 30}},
      {"Pacific/Apia", sys_days{2011_y / 12 / 31}},
      {"Pacific/Kiritimati", sys_days{1994_y / 12 / 31}},
      {"Pacific/Kiritimati", sys_days{1995_y / 1 / 1}},
  };
  for (const auto& [name, day] : cases) {
    ZoneClock fresh{date::locate_zone(name)};
    expectSameAsTz(fresh, day);
    ZoneClock warmed{date::locate_zone(name)};
    warmed.offsetAt(sys_seconds{day - days{200}});
    expectSameAsTz(warmed, day);
  }
}

}  // namespace
}  // namespace callwarden::policy
