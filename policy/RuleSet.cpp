#include "policy/RuleSet.h"

#include <set>

#include "policy/Jurisdiction.h"

namespace callwarden::policy {

Result<std::shared_ptr<const RuleSet>> RuleSet::create(
    std::string version, std::vector<Rule> rules, std::vector<HolidayCalendar> calendars,
    std::vector<EmergencyDeclaration> emergencies, std::vector<AreaCodePresumption> presumptions) {
  if (version.empty()) return Status::invalidArgument("rule set needs a version");
  std::shared_ptr<RuleSet> set(new RuleSet());
  set->version_ = std::move(version);
  std::set<std::string> calendar_ids;
  for (const HolidayCalendar& c : calendars) {
    if (!calendar_ids.insert(c.id()).second) {
      return Status::invalidArgument("duplicate calendar id " + c.id());
    }
  }
  std::set<std::string> ids;
  for (Rule& r : rules) {
    if (r.id.empty()) return Status::invalidArgument("rule without id");
    if (!ids.insert(r.id).second) return Status::invalidArgument("duplicate rule id " + r.id);
    auto code = parseJurisdiction(r.jurisdiction);
    if (!code)
      return Status::invalidArgument("rule " + r.id + ": bad jurisdiction " + r.jurisdiction);
    r.jurisdiction_code = *code;
    if (r.purposes == 0) return Status::invalidArgument("rule " + r.id + ": no purposes");
    if (r.call_types == 0) return Status::invalidArgument("rule " + r.id + ": no call types");
    for (const DayWindow& d : r.days) {
      if (d.open && (d.start < 0 || d.end > kSecondsPerDay || d.start >= d.end)) {
        return Status::invalidArgument("rule " + r.id +
                                       ": window must satisfy 00:00 <= start < end <= 24:00");
      }
    }
    if (r.effective_from && r.effective_to && *r.effective_from >= *r.effective_to) {
      return Status::invalidArgument("rule " + r.id +
                                     ": effective_from must be before effective_to");
    }
    if (r.fixed_utc_offset && std::chrono::abs(*r.fixed_utc_offset) > std::chrono::hours{14}) {
      return Status::invalidArgument("rule " + r.id + ": fixed UTC offset out of range");
    }
    if (!r.holiday_calendar.empty()) {
      for (std::size_t i = 0; i < calendars.size(); ++i) {
        if (calendars[i].id() == r.holiday_calendar) r.calendar_index = static_cast<int>(i);
      }
      if (r.calendar_index < 0) {
        return Status::invalidArgument("rule " + r.id + ": unknown holiday calendar " +
                                       r.holiday_calendar);
      }
    }
  }
  for (EmergencyDeclaration& e : emergencies) {
    auto code = parseJurisdiction(e.jurisdiction);
    if (!code) return Status::invalidArgument("emergency: bad jurisdiction " + e.jurisdiction);
    e.jurisdiction_code = *code;
    if (e.first_day > e.last_day)
      return Status::invalidArgument("emergency " + e.reference + ": from after to");
  }
  for (const AreaCodePresumption& p : presumptions) {
    if (!stateJurisdiction(p.state))
      return Status::invalidArgument("presumption: bad state " + p.state);
  }
  set->rules_ = std::move(rules);
  set->calendars_ = std::move(calendars);
  set->emergencies_ = std::move(emergencies);
  set->presumptions_ = std::move(presumptions);
  return std::shared_ptr<const RuleSet>(std::move(set));
}

const EmergencyDeclaration* RuleSet::emergencyOn(int jurisdiction_code, date::sys_days day) const {
  for (const EmergencyDeclaration& e : emergencies_) {
    if (e.jurisdiction_code == jurisdiction_code && e.first_day <= day && day <= e.last_day)
      return &e;
  }
  return nullptr;
}

const Rule* RuleSet::findRule(std::string_view id) const {
  for (const Rule& r : rules_) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

}  // namespace callwarden::policy
