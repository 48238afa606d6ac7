#include "policy/ZoneClock.h"

namespace callwarden::policy {

namespace {

using date::days;
using date::sys_days;
using date::sys_seconds;
using std::chrono::seconds;

// More than any difference between two UTC offsets (all lie within +-16 h): a local day whose
// UTC image sits this far inside one span has exactly one reading, at that span's offset.
constexpr days kMargin{2};

}  // namespace

seconds ZoneClock::offsetAt(sys_seconds t) {
  if (!contains(t)) load(t);
  return offset_;
}

void ZoneClock::load(sys_seconds t) {
  const date::sys_info info = zone_->get_info(t);
  begin_ = info.begin;
  end_ = info.end;
  offset_ = info.offset;
}

// Whether every wall time of `day`, 00:00 to 24:00, maps to UTC at offset_ without a gap or an
// overlap. Loads the span around the day's noon if the remembered one is elsewhere.
bool ZoneClock::uniformDay(sys_days day) {
  const sys_seconds noon = sys_seconds{day} + std::chrono::hours{12} - offset_;
  if (!contains(noon)) load(noon);
  return begin_ <= sys_seconds{day - kMargin} - offset_ &&
         sys_seconds{day + days{1} + kMargin} - offset_ < end_;
}

sys_seconds ZoneClock::toSys(sys_days day, std::int32_t tod, date::choose choice) {
  const sys_seconds wall = day + seconds{tod};  // the wall clock reading, as if it were UTC
  if (uniformDay(day)) return wall - offset_;
  // Near a transition: let date::tz resolve gaps and overlaps.
  return zone_->to_sys(date::local_seconds{wall.time_since_epoch()}, choice);
}

}  // namespace callwarden::policy
