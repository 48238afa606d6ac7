#pragma once
// The calling-window rules as immutable data: which hours and days each jurisdiction allows,
// for which purposes and call types, from when to when, and with which holiday calendar.
// Built once (rules/RuleFileLoader reads data/rules/us.json); shared read-only by every request.
// Thread-safe after construction. The format is documented in docs/rules.md.

#include <date/date.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/Result.h"
#include "policy/HolidayCalendar.h"
#include "policy/Types.h"

namespace callwarden::policy {

inline constexpr std::int32_t kSecondsPerDay = 86400;

/// The permitted part of one weekday, [start, end) in seconds after local midnight.
/// `open == false` means no calls at all that weekday (a Sunday ban).
struct DayWindow {
  bool open = true;
  std::int32_t start = 0;
  std::int32_t end = kSecondsPerDay;
};

inline constexpr std::uint8_t purposeBit(Purpose p) {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(p));
}
inline constexpr std::uint8_t callTypeBit(CallType t) {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(t));
}

struct Rule {
  std::string id;                  ///< "US-FL/telemarketing-hours"; appears in Reason::rule.
  std::string jurisdiction;        ///< "US" or "US-FL".
  std::uint8_t purposes = 0;       ///< purposeBit() mask.
  std::uint8_t call_types = 0x07;  ///< callTypeBit() mask; default all.
  /// Utah: the rule does not apply when the consumer gave prior express consent.
  bool unless_prior_express_consent = false;
  /// Local dates; from inclusive, to exclusive. Unset: unbounded.
  std::optional<date::sys_days> effective_from;
  std::optional<date::sys_days> effective_to;
  std::array<DayWindow, 7> days{};  ///< Indexed by weekday, 0 = Sunday.
  /// Set: the window is read on a fixed UTC offset instead of each candidate zone's civil time
  /// (Mississippi's "Central Standard Time" is UTC-06:00 all year).
  std::optional<std::chrono::seconds> fixed_utc_offset;
  std::string holiday_calendar;  ///< Calendar id; empty for none. Holidays are banned days.
  bool emergency_ban = false;    ///< Days under an emergency declaration are banned (La.).
  std::string citation;
  std::string evidence;  ///< "P", "S", "K", "?" as in regulations.md.
  bool verified = true;
  std::string summary;  ///< "08:00-20:00 daily", for messages.

  // Filled in by RuleSet::create.
  int jurisdiction_code = -1;
  int calendar_index = -1;
};

/// A declared state of emergency during which `emergency_ban` rules ban calls.
struct EmergencyDeclaration {
  std::string jurisdiction;
  date::sys_days first_day;  ///< Local dates, both inclusive.
  date::sys_days last_day;
  std::string reference;  ///< The proclamation.
  int jurisdiction_code = -1;
};

/// A statutory presumption that a call to the state's area codes is a call into the state.
struct AreaCodePresumption {
  std::string state;  ///< "FL".
  std::string citation;
};

class RuleSet {
 public:
  /// Checks internal consistency (unique ids, known calendars, sane windows) and indexes it.
  static Result<std::shared_ptr<const RuleSet>> create(
      std::string version, std::vector<Rule> rules, std::vector<HolidayCalendar> calendars,
      std::vector<EmergencyDeclaration> emergencies, std::vector<AreaCodePresumption> presumptions);

  const std::string& version() const { return version_; }
  const std::vector<Rule>& rules() const { return rules_; }
  const std::vector<HolidayCalendar>& calendars() const { return calendars_; }
  const std::vector<EmergencyDeclaration>& emergencies() const { return emergencies_; }
  const std::vector<AreaCodePresumption>& presumptions() const { return presumptions_; }
  /// Whether an emergency declaration for `jurisdiction_code` covers local date `day`.
  const EmergencyDeclaration* emergencyOn(int jurisdiction_code, date::sys_days day) const;
  const Rule* findRule(std::string_view id) const;

 private:
  RuleSet() = default;
  std::string version_;
  std::vector<Rule> rules_;
  std::vector<HolidayCalendar> calendars_;
  std::vector<EmergencyDeclaration> emergencies_;
  std::vector<AreaCodePresumption> presumptions_;
};

}  // namespace callwarden::policy
