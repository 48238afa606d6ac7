#pragma once
// One zone's UTC offset, remembered for the span of time (a date::sys_info) around the last
// lookup. A deny converts dozens of instants in the same one or two zones; asking date::tz for
// each conversion was a third of its cost, while the answer only changes at a transition.
//
// A value type used inside one decision: not thread-safe, and not meant to be shared.

#include <date/tz.h>

#include <chrono>
#include <cstdint>

namespace callwarden::policy {

class ZoneClock {
 public:
  ZoneClock() = default;
  /// `zone` must be non-null and outlive the clock.
  explicit ZoneClock(const date::time_zone* zone) : zone_(zone) {}

  const date::time_zone* zone() const { return zone_; }

  /// The zone's UTC offset at `t`; the same as zone()->get_info(t).offset.
  std::chrono::seconds offsetAt(date::sys_seconds t);

  /// Local date `day` at `tod` seconds after local midnight (0..86400) -> UTC; the same as
  /// zone()->to_sys(local, choice), including nonexistent and ambiguous local times.
  date::sys_seconds toSys(date::sys_days day, std::int32_t tod, date::choose choice);

 private:
  bool contains(date::sys_seconds t) const { return t >= begin_ && t < end_; }
  void load(date::sys_seconds t);
  bool uniformDay(date::sys_days day);

  const date::time_zone* zone_ = nullptr;
  // The remembered span [begin_, end_) and its offset; empty until the first lookup.
  date::sys_seconds begin_ = date::sys_seconds::max();
  date::sys_seconds end_ = date::sys_seconds::min();
  std::chrono::seconds offset_{0};
};

}  // namespace callwarden::policy
