#include "policy/CallingWindowPolicy.h"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "policy/ZoneClock.h"

namespace callwarden::policy {

namespace {

using date::days;
using date::sys_days;
using date::sys_seconds;
using std::chrono::floor;
using std::chrono::microseconds;
using std::chrono::seconds;

constexpr const char* kWeekdayNames[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};

// What one rule says about one local day (and, for kOpen, which hours).
enum class DayStatus {
  kNotInEffect,
  kOpen,
  kWeekdayBanned,
  kHoliday,
  kCalendarUncovered,
  kEmergency
};

struct DayVerdict {
  DayStatus status = DayStatus::kNotInEffect;
  const DayWindow* window = nullptr;
  const std::string* holiday = nullptr;
  const HolidayCalendar* calendar = nullptr;
  const EmergencyDeclaration* emergency = nullptr;
};

DayVerdict dayVerdict(const RuleSet& set, const Rule& rule, sys_days day) {
  DayVerdict v;
  if ((rule.effective_from && day < *rule.effective_from) ||
      (rule.effective_to && day >= *rule.effective_to)) {
    return v;
  }
  if (rule.emergency_ban) {
    if (const EmergencyDeclaration* e = set.emergencyOn(rule.jurisdiction_code, day)) {
      v.status = DayStatus::kEmergency;
      v.emergency = e;
      return v;
    }
  }
  if (rule.calendar_index >= 0) {
    const HolidayCalendar& cal = set.calendars()[static_cast<std::size_t>(rule.calendar_index)];
    v.calendar = &cal;
    if (!cal.covers(date::year_month_day{day}.year())) {
      v.status = DayStatus::kCalendarUncovered;  // fail closed: we cannot know it is not a holiday
      return v;
    }
    if (const std::string* name = cal.holidayOn(day)) {
      v.status = DayStatus::kHoliday;
      v.holiday = name;
      return v;
    }
  }
  const DayWindow& w = rule.days[date::weekday{day}.c_encoding()];
  v.window = &w;
  v.status = w.open ? DayStatus::kOpen : DayStatus::kWeekdayBanned;
  return v;
}

// Local civil time of `t` in a zone or at a fixed offset, split into day and time of day.
struct LocalInstant {
  sys_days day;      // the local date, as a day count
  std::int32_t tod;  // seconds after local midnight
};

LocalInstant splitLocal(seconds local_since_epoch) {
  const sys_days day = floor<days>(sys_seconds{local_since_epoch});
  return {day, static_cast<std::int32_t>((sys_seconds{local_since_epoch} - day).count())};
}

// The local clock a rule is read on: a candidate zone, or a fixed UTC offset. The zone's
// ZoneClock belongs to the decision in progress and remembers its offsets.
struct Clockface {
  ZoneClock* zone = nullptr;
  seconds fixed_offset{0};

  seconds offsetAt(sys_seconds t) const { return zone ? zone->offsetAt(t) : fixed_offset; }
  // Local wall time -> UTC. A nonexistent local time maps to the transition; an ambiguous one to
  // the occurrence `choice` picks (callers pick the one that narrows the allowed window).
  sys_seconds toSys(sys_days day, std::int32_t tod, date::choose choice) const {
    if (zone) return zone->toSys(day, tod, choice);
    return sys_seconds{(day + seconds{tod}).time_since_epoch() - fixed_offset};
  }
  // "America/Chicago", or "UTC-06:00" for a fixed offset.
  void appendName(std::string& out) const {
    if (zone) {
      out += zone->zone()->name();
      return;
    }
    char buf[32];
    const long long m = fixed_offset.count() / 60;
    std::snprintf(buf, sizeof buf, "UTC%c%02lld:%02lld", m < 0 ? '-' : '+', (m < 0 ? -m : m) / 60,
                  (m < 0 ? -m : m) % 60);
    out += buf;
  }
};

struct Interval {
  Timestamp begin;
  Timestamp end;
};
using Intervals = std::vector<Interval>;

void appendMerged(Intervals& out, Timestamp b, Timestamp e, Timestamp lo, Timestamp hi) {
  b = std::max(b, lo);
  e = std::min(e, hi);
  if (b >= e) return;
  if (!out.empty() && out.back().end >= b) {
    out.back().end = std::max(out.back().end, e);
    return;
  }
  out.push_back({b, e});
}

// The search reuses its vectors (out-parameters, cleared first): across rules, zones and days it
// then allocates only while they first grow.
void intersect(const Intervals& a, const Intervals& b, Intervals& out) {
  out.clear();
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const Timestamp lo = std::max(a[i].begin, b[j].begin);
    const Timestamp hi = std::min(a[i].end, b[j].end);
    if (lo < hi) out.push_back({lo, hi});
    if (a[i].end < b[j].end)
      ++i;
    else
      ++j;
  }
}

Timestamp ts(sys_seconds s) {
  return std::chrono::time_point_cast<microseconds>(s);
}

// The allowed UTC intervals within [lo, hi) of one rule read on one clock, built day by day
// from local dates so that DST days (23 h, 25 h), leap days and ban days come out right.
void ruleAllowed(const RuleSet& set, const Rule& rule, const Clockface& clock, Timestamp lo,
                 Timestamp hi, Intervals& out) {
  out.clear();
  const sys_seconds lo_s = floor<seconds>(lo);
  const sys_seconds hi_s = std::chrono::ceil<seconds>(hi);
  const sys_days first = splitLocal((lo_s + clock.offsetAt(lo_s)).time_since_epoch()).day - days{1};
  const sys_days last = splitLocal((hi_s + clock.offsetAt(hi_s)).time_since_epoch()).day + days{1};
  for (sys_days d = first; d <= last; d += days{1}) {
    const DayVerdict v = dayVerdict(set, rule, d);
    if (v.status == DayStatus::kNotInEffect) {
      appendMerged(out, ts(clock.toSys(d, 0, date::choose::earliest)),
                   ts(clock.toSys(d + days{1}, 0, date::choose::earliest)), lo, hi);
    } else if (v.status == DayStatus::kOpen) {
      appendMerged(out, ts(clock.toSys(d, v.window->start, date::choose::latest)),
                   ts(clock.toSys(d, v.window->end, date::choose::earliest)), lo, hi);
    }
  }
}

bool blockedAt(const LocalInterval& iv, LocalInstant li) {
  const auto s = static_cast<std::int32_t>(iv.start.count());
  const auto e = static_cast<std::int32_t>(iv.end.count());
  const unsigned wd = date::weekday{li.day}.c_encoding();
  const unsigned prev = date::weekday{li.day - days{1}}.c_encoding();
  if (s < e) return (iv.weekdays >> wd & 1u) && li.tod >= s && li.tod < e;
  // Wraps past midnight: [s, 24h) today, or [0, e) on the day after a marked day.
  return ((iv.weekdays >> wd & 1u) && li.tod >= s) || ((iv.weekdays >> prev & 1u) && li.tod < e);
}

// Allowed = complement of the blocked interval, on one clock, within [lo, hi).
void inconvenientAllowed(const LocalInterval& iv, const Clockface& clock, Timestamp lo,
                         Timestamp hi, Intervals& blocked, Intervals& out) {
  blocked.clear();
  const sys_seconds lo_s = floor<seconds>(lo);
  const sys_seconds hi_s = std::chrono::ceil<seconds>(hi);
  const sys_days first = splitLocal((lo_s + clock.offsetAt(lo_s)).time_since_epoch()).day - days{2};
  const sys_days last = splitLocal((hi_s + clock.offsetAt(hi_s)).time_since_epoch()).day + days{1};
  const auto s = static_cast<std::int32_t>(iv.start.count());
  const auto e = static_cast<std::int32_t>(iv.end.count());
  for (sys_days d = first; d <= last; d += days{1}) {
    if (!(iv.weekdays >> date::weekday{d}.c_encoding() & 1u)) continue;
    // Blocking errs wide: start at the earliest, end at the latest reading of an ambiguous time.
    const sys_seconds b = clock.toSys(d, s, date::choose::earliest);
    const sys_seconds en = s < e ? clock.toSys(d, e, date::choose::latest)
                                 : clock.toSys(d + days{1}, e, date::choose::latest);
    appendMerged(blocked, ts(b), ts(en), lo, hi);
  }
  out.clear();
  Timestamp cursor = lo;
  for (const Interval& b : blocked) {
    if (b.begin > cursor) out.push_back({cursor, b.begin});
    cursor = std::max(cursor, b.end);
  }
  if (cursor < hi) out.push_back({cursor, hi});
}

// Messages are built by appending to one reserved string with hand-rolled digits: temporaries
// from operator+ and snprintf were a third of the cost of a deny.

void appendTwoDigits(std::string& out, unsigned v) {
  out += static_cast<char>('0' + v / 10 % 10);
  out += static_cast<char>('0' + v % 10);
}

// "08:00", or "08:00:30" when the seconds are not zero. tod is within [00:00, 24:00].
void appendHhmm(std::string& out, std::int32_t tod) {
  const auto t = static_cast<unsigned>(tod);
  appendTwoDigits(out, t / 3600);
  out += ':';
  appendTwoDigits(out, t / 60 % 60);
  if (t % 60 != 0) {
    out += ':';
    appendTwoDigits(out, t % 60);
  }
}

// "2026-07-15".
void appendYmd(std::string& out, sys_days d) {
  const date::year_month_day v{d};
  const int y = static_cast<int>(v.year());
  if (y < 0 || y > 9999) {  // not a four-digit year: keep printf's rendering
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, static_cast<unsigned>(v.month()),
                  static_cast<unsigned>(v.day()));
    out += buf;
    return;
  }
  appendTwoDigits(out, static_cast<unsigned>(y) / 100);
  appendTwoDigits(out, static_cast<unsigned>(y) % 100);
  out += '-';
  appendTwoDigits(out, static_cast<unsigned>(v.month()));
  out += '-';
  appendTwoDigits(out, static_cast<unsigned>(v.day()));
}

const char* weekdayName(sys_days d) {
  return kWeekdayNames[date::weekday{d}.c_encoding()];
}

// " on 2026-07-15 at 20:30 America/New_York"
void appendWhere(std::string& out, const Clockface& face, LocalInstant li) {
  out += " on ";
  appendYmd(out, li.day);
  out += " at ";
  appendHhmm(out, li.tod);
  out += ' ';
  face.appendName(out);
}

// " (citation)", or nothing.
void appendCite(std::string& out, const Rule& r) {
  if (r.citation.empty()) return;
  out += " (";
  out += r.citation;
  out += ')';
}

// Why rule `r` fails at `li` on `face`, given its verdict for that day (not kNotInEffect).
Reason ruleFailure(const Rule& r, const DayVerdict& v, const Clockface& face, LocalInstant li) {
  std::string m;
  m.reserve(192 + r.citation.size());
  ReasonCode code = ReasonCode::kDayBanned;
  switch (v.status) {
    case DayStatus::kOpen:
      code = ReasonCode::kCallingWindow;
      m += "calls allowed ";
      appendHhmm(m, v.window->start);
      m += '-';
      appendHhmm(m, v.window->end);
      m += ' ';
      if (r.fixed_utc_offset) {
        face.appendName(m);
      } else {
        m += "local";
      }
      m += " time";
      appendCite(m, r);
      m += "; it is ";
      m += weekdayName(li.day);
      appendWhere(m, face, li);
      break;
    case DayStatus::kWeekdayBanned:
      m += "no calls on ";
      m += weekdayName(li.day);
      appendCite(m, r);
      m += "; it is";
      appendWhere(m, face, li);
      break;
    case DayStatus::kHoliday:
      m += "no calls on legal holidays: ";
      m += *v.holiday;
      m += " (calendar ";
      m += v.calendar->id();
      m += ')';
      appendCite(m, r);
      m += "; it is";
      appendWhere(m, face, li);
      break;
    case DayStatus::kCalendarUncovered:
      m += "holiday calendar ";
      m += v.calendar->id();
      m += " covers only ";
      m += std::to_string(v.calendar->firstYear());
      m += '-';
      m += std::to_string(v.calendar->lastYear());
      m += "; ";
      appendYmd(m, li.day);
      m += " in ";
      face.appendName(m);
      m += " cannot be checked, so the call is denied (fail closed)";
      break;
    case DayStatus::kEmergency:
      m += "no telephonic solicitation during a declared state of emergency: ";
      m += v.emergency->reference;
      appendCite(m, r);
      m += "; it is";
      appendWhere(m, face, li);
      break;
    case DayStatus::kNotInEffect:
      break;
  }
  return {code, r.id, std::move(m)};
}

Reason inconvenientFailure(std::size_t i, const LocalInterval& iv, const Clockface& face,
                           LocalInstant li) {
  std::string id = "consumer/inconvenient-time[";
  id += std::to_string(i);
  id += ']';
  std::string m;
  m.reserve(128);
  m += "the consumer designated ";
  appendHhmm(m, static_cast<std::int32_t>(iv.start.count()));
  m += '-';
  appendHhmm(m, static_cast<std::int32_t>(iv.end.count()));
  m += " as inconvenient (12 CFR 1006.6(b)(1)); it is ";
  appendYmd(m, li.day);
  m += ' ';
  appendHhmm(m, li.tod);
  m += ' ';
  face.appendName(m);
  return {ReasonCode::kInconvenientTime, std::move(id), std::move(m)};
}

bool ruleApplies(const Rule& r, const CallContext& ctx, const CandidateSet& c,
                 const PolicyOptions& o) {
  return c.hasJurisdiction(r.jurisdiction_code) && (r.purposes & purposeBit(ctx.purpose)) &&
         (r.call_types & callTypeBit(ctx.call_type)) &&
         !(r.unless_prior_express_consent && ctx.prior_express_consent) &&
         (r.verified || o.enforce_unverified_rules);
}

bool isDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

int digitsToInt(std::string_view s) {
  int v = 0;
  for (char ch : s) v = v * 10 + (ch - '0');
  return v;
}

struct ParsedNumber {
  bool nanp = false;
  int npa = 0;
  int nxx = 0;
};

bool libphonenumberValid(std::string_view e164) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util->Parse(std::string(e164), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR)
    return false;
  return util->IsValidNumber(number);
}

Result<ParsedNumber> parseE164(std::string_view to, const NumberingPlan& plan,
                               const std::string& field = "to") {
  // E.164 only: '+', a country code not starting with 0, at most 15 digits in all.
  if (to.size() < 3 || to.size() > 16 || to[0] != '+' || !isDigits(to.substr(1)) || to[1] == '0') {
    return Status::invalidArgument(field + " must be an E.164 number such as +18505551234", field);
  }
  ParsedNumber p;
  if (to[1] == '1') {
    if (to.size() != 12)
      return Status::invalidArgument("a +1 number has exactly 10 digits after +1", field);
    p.nanp = true;
    p.npa = digitsToInt(to.substr(2, 3));
    p.nxx = digitsToInt(to.substr(5, 3));
    // The validity table is libphonenumber's own answer, precomputed per NPA-NXX by
    // tools/gen_number_zones.py; PhoneNumberUtil::Parse costs ~20 us, ten times the budget.
    switch (plan.nanpValidity(p.npa, p.nxx)) {
      case NumberingPlan::Validity::kValid:
        return p;
      case NumberingPlan::Validity::kCheckFully:
        if (libphonenumberValid(to)) return p;
        break;
      default:
        break;
    }
    return Status::invalidArgument(field + " is not a valid NANP number", field);
  }
  if (!libphonenumberValid(to))
    return Status::invalidArgument(field + " is not a valid phone number", field);
  return p;
}

bool isZip(std::string_view z) {
  if (z.size() == 5) return isDigits(z);
  return z.size() == 10 && isDigits(z.substr(0, 5)) && z[5] == '-' && isDigits(z.substr(6));
}

std::string field(const char* list, std::size_t i, const char* name) {
  return std::string(list) + "[" + std::to_string(i) + "]." + name;
}

}  // namespace

CallingWindowPolicy::CallingWindowPolicy(std::shared_ptr<const RuleSet> rules,
                                         std::shared_ptr<const NumberingPlan> plan,
                                         PolicyOptions options)
    : rules_(std::move(rules)), plan_(std::move(plan)), options_(options) {
  for (const AreaCodePresumption& p : rules_->presumptions()) {
    if (auto code = stateJurisdiction(p.state))
      presumption_states_.set(static_cast<std::size_t>(*code));
  }
}

Status CallingWindowPolicy::validateNumber(std::string_view number,
                                           const std::string& field) const {
  auto parsed = parseE164(number, *plan_, field);
  return parsed ? Status::ok() : parsed.status();
}

Result<CandidateSet> CallingWindowPolicy::resolveCandidates(
    std::string_view to, std::span<const Location> locations) const {
  auto parsed = parseE164(to, *plan_);
  if (!parsed) return parsed.status();
  CandidateSet c;
  // Product policy: the federal window applies to every call the gate sees (regulations.md 0.1).
  c.addJurisdiction(kJurisdictionUs);
  auto addZones = [&](std::span<const ZoneId> ids) {
    for (ZoneId id : ids) c.addZone(plan_->zone(id));  // plan zones never exceed kMaxZones
  };
  if (parsed->nanp && plan_->isGeographic(parsed->npa)) {
    // NPA-level union plus the NXX entry: never trust one zone for a multi-zone NPA (1.3).
    addZones(plan_->npaZones(parsed->npa));
    addZones(plan_->nxxZones(parsed->npa, parsed->nxx));
    const int state = plan_->npaState(parsed->npa);
    if (state >= 0 && (options_.npa_state_is_jurisdiction ||
                       presumption_states_.test(static_cast<std::size_t>(state)))) {
      c.addJurisdiction(state);
    }
  }
  for (std::size_t i = 0; i < locations.size(); ++i) {
    const Location& loc = locations[i];
    auto addState = [&](int code) {
      c.addJurisdiction(code);
      for (ZoneId id : plan_->stateZones(code)) {
        if (!c.addZone(plan_->zone(id))) return false;
      }
      return true;
    };
    if (!loc.state.empty()) {
      auto code = stateJurisdiction(loc.state);
      if (!code || !plan_->knownState(*code)) {
        return Status::invalidArgument("unknown US state or territory code " + loc.state,
                                       field("locations", i, "state"));
      }
      if (!addState(*code))
        return Status::invalidArgument("too many distinct zones", field("locations", i, "state"));
    }
    if (!loc.zip.empty()) {
      if (!isZip(loc.zip)) {
        return Status::invalidArgument("zip must be 5 digits or ZIP+4 (12345-6789)",
                                       field("locations", i, "zip"));
      }
      auto code = plan_->zipState(std::string_view(loc.zip).substr(0, 5));
      if (!code) {
        return Status::invalidArgument("ZIP prefix is not assigned to a US state or territory",
                                       field("locations", i, "zip"));
      }
      if (!addState(*code))
        return Status::invalidArgument("too many distinct zones", field("locations", i, "zip"));
    }
    if (!loc.tz.empty()) {
      const date::time_zone* z = nullptr;
      if (auto id = plan_->findZone(loc.tz)) {
        z = plan_->zone(*id);
      } else {
        try {
          z = date::locate_zone(loc.tz);
        } catch (const std::exception&) {
          return Status::invalidArgument("unknown IANA time zone " + loc.tz,
                                         field("locations", i, "tz"));
        }
      }
      if (!c.addZone(z))
        return Status::invalidArgument("too many distinct zones", field("locations", i, "tz"));
    }
  }
  if (c.empty() && options_.unknown_zone_uses_all_us_zones) {
    addZones(plan_->allUsZones());
    for (int s : plan_->allUsStates()) c.addJurisdiction(s);
    c.markAllUsFallback();
  }
  return c;
}

Result<WindowDecision> CallingWindowPolicy::evaluate(const CallContext& ctx) const {
  auto resolved = resolveCandidates(ctx.to, ctx.locations);
  if (!resolved) return resolved.status();
  const CandidateSet& cands = *resolved;

  // Inconvenient intervals: validate, and resolve their zones once.
  // A clock without a zone: the interval is read in every candidate zone.
  std::array<ZoneClock, LocalInterval::kMaxPerSubject> inconvenient_clock{};
  if (ctx.inconvenient.size() > inconvenient_clock.size()) {
    return Status::invalidArgument(
        "at most " + std::to_string(inconvenient_clock.size()) + " inconvenient intervals",
        "inconvenient");
  }
  for (std::size_t i = 0; i < ctx.inconvenient.size(); ++i) {
    const LocalInterval& iv = ctx.inconvenient[i];
    if (iv.start < seconds{0} || iv.start > seconds{kSecondsPerDay} || iv.end < seconds{0} ||
        iv.end > seconds{kSecondsPerDay} || iv.start == iv.end || iv.weekdays == 0 ||
        iv.weekdays > 0x7f) {
      return Status::invalidArgument(
          "an inconvenient interval needs 00:00 <= start, end <= 24:00, start != end "
          "and at least one weekday",
          field("inconvenient", i, "start"));
    }
    if (!iv.tz.empty()) {
      if (auto id = plan_->findZone(iv.tz)) {
        inconvenient_clock[i] = ZoneClock{plan_->zone(*id)};
      } else {
        try {
          inconvenient_clock[i] = ZoneClock{date::locate_zone(iv.tz)};
        } catch (const std::exception&) {
          return Status::invalidArgument("unknown IANA time zone " + iv.tz,
                                         field("inconvenient", i, "tz"));
        }
      }
    }
  }

  WindowDecision d;
  d.zones = cands.zoneNames();
  d.jurisdictions = cands.jurisdictionNames();
  if (cands.empty()) {
    d.allowed = false;
    d.reasons.push_back({ReasonCode::kZoneUnknown, "US/location",
                         "no location signal: the number is not geographic (toll-free, premium or "
                         "unknown area code) and no state, ZIP or zone is on file"});
    return d;
  }

  const RuleSet& set = *rules_;
  const sys_seconds t = floor<seconds>(ctx.at);
  auto zones = cands.zones();
  // One clock per zone: a tz lookup per zone per decision, and on a deny per DST change seen.
  std::array<ZoneClock, CandidateSet::kMaxZones> zone_clock{};
  std::array<LocalInstant, CandidateSet::kMaxZones> local{};
  for (std::size_t z = 0; z < zones.size(); ++z) {
    zone_clock[z] = ZoneClock{zones[z]};
    local[z] = splitLocal((t + zone_clock[z].offsetAt(t)).time_since_epoch());
  }

  // Why one rule fails on one clock at t, or kNotInEffect/kOpen-and-inside when it does not.
  auto failsAt = [&](const Rule& r, LocalInstant li, DayVerdict& v) {
    v = dayVerdict(set, r, li.day);
    if (v.status == DayStatus::kNotInEffect) return false;
    if (v.status == DayStatus::kOpen) return li.tod < v.window->start || li.tod >= v.window->end;
    return true;
  };
  auto inconvenientClocks = [&](std::size_t i, auto&& fn) {
    ZoneClock& own = inconvenient_clock[i];
    if (own.zone()) {
      fn(Clockface{&own, {}}, splitLocal((t + own.offsetAt(t)).time_since_epoch()));
    } else {
      for (std::size_t z = 0; z < zones.size(); ++z) fn(Clockface{&zone_clock[z], {}}, local[z]);
    }
  };

  // Pass 1 (the common case, no allocation): is every rule satisfied everywhere?
  bool allowed = true;
  for (const Rule& r : set.rules()) {
    if (!allowed) break;
    if (!ruleApplies(r, ctx, cands, options_)) continue;
    DayVerdict v;
    if (r.fixed_utc_offset) {
      allowed = !failsAt(r, splitLocal((t + *r.fixed_utc_offset).time_since_epoch()), v);
    } else {
      for (std::size_t z = 0; z < zones.size() && allowed; ++z) allowed = !failsAt(r, local[z], v);
    }
  }
  for (std::size_t i = 0; i < ctx.inconvenient.size() && allowed; ++i) {
    inconvenientClocks(i, [&](const Clockface&, LocalInstant li) {
      if (blockedAt(ctx.inconvenient[i], li)) allowed = false;
    });
  }
  if (allowed) {
    d.allowed = true;
    d.next_allowed_at = ctx.at;
    return d;
  }

  // Pass 2 (deny): every failing rule, once, with the first clock it fails on.
  d.allowed = false;
  for (const Rule& r : set.rules()) {
    if (!ruleApplies(r, ctx, cands, options_)) continue;
    std::size_t n_clocks = r.fixed_utc_offset ? 1 : zones.size();
    for (std::size_t z = 0; z < n_clocks; ++z) {
      const Clockface face = r.fixed_utc_offset ? Clockface{nullptr, *r.fixed_utc_offset}
                                                : Clockface{&zone_clock[z], {}};
      const LocalInstant li =
          r.fixed_utc_offset ? splitLocal((t + *r.fixed_utc_offset).time_since_epoch()) : local[z];
      DayVerdict v;
      if (!failsAt(r, li, v)) continue;
      d.reasons.push_back(ruleFailure(r, v, face, li));
      break;
    }
  }
  for (std::size_t i = 0; i < ctx.inconvenient.size(); ++i) {
    bool reported = false;
    inconvenientClocks(i, [&](const Clockface& face, LocalInstant li) {
      if (reported || !blockedAt(ctx.inconvenient[i], li)) return;
      reported = true;
      d.reasons.push_back(inconvenientFailure(i, ctx.inconvenient[i], face, li));
    });
  }

  // next_allowed_at: intersect, clock by clock, the allowed UTC intervals. Search a day at a
  // time so the usual answer (later today or tomorrow) is found without building two weeks.
  const Timestamp horizon_end = ctx.at + options_.search_horizon;
  Intervals allowed_iv, part, merged, blocked;
  auto narrow = [&] {
    intersect(allowed_iv, part, merged);
    allowed_iv.swap(merged);
  };
  Timestamp lo = ctx.at;
  while (lo < horizon_end && !d.next_allowed_at) {
    const Timestamp hi = std::min(horizon_end, lo + std::chrono::hours{24});
    allowed_iv.assign(1, {lo, hi});
    for (const Rule& r : set.rules()) {
      if (allowed_iv.empty()) break;
      if (!ruleApplies(r, ctx, cands, options_)) continue;
      if (r.fixed_utc_offset) {
        ruleAllowed(set, r, Clockface{nullptr, *r.fixed_utc_offset}, lo, hi, part);
        narrow();
      } else {
        for (std::size_t z = 0; z < zones.size() && !allowed_iv.empty(); ++z) {
          ruleAllowed(set, r, Clockface{&zone_clock[z], {}}, lo, hi, part);
          narrow();
        }
      }
    }
    for (std::size_t i = 0; i < ctx.inconvenient.size() && !allowed_iv.empty(); ++i) {
      inconvenientClocks(i, [&](const Clockface& face, LocalInstant) {
        inconvenientAllowed(ctx.inconvenient[i], face, lo, hi, blocked, part);
        narrow();
      });
    }
    if (!allowed_iv.empty()) d.next_allowed_at = allowed_iv.front().begin;
    lo = hi;
  }
  return d;
}

}  // namespace callwarden::policy
