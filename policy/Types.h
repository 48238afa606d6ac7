#pragma once
// The vocabulary of the calling-window decision: what a call is (purpose, call type), where the
// consumer may be (locations), and what the policy answers (reasons, next allowed instant).
// Plain value types; thread-compatible. Names of ReasonCode values are a public API.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/Clock.h"
#include "common/Result.h"

namespace callwarden::policy {

/// Why the call is made; selects which rules apply (regulations.md 0.1).
enum class Purpose : std::uint8_t { kTelemarketing, kDebtCollection, kInformational };
/// How the call is placed; Oklahoma's ADAD rule applies only to autodialed/prerecorded calls.
enum class CallType : std::uint8_t { kLive, kAutodialed, kPrerecorded };

/// "telemarketing", "debt_collection", "informational". Error (field "purpose") otherwise.
Result<Purpose> parsePurpose(std::string_view text);
std::string_view purposeName(Purpose purpose);
/// "live", "autodialed", "prerecorded". Error (field "call_type") otherwise.
Result<CallType> parseCallType(std::string_view text);
std::string_view callTypeName(CallType type);

/// Every reason the gate can give for a deny. The policy itself emits the first four; the rest
/// belong to other checks but live here so the whole API has one closed list.
enum class ReasonCode : std::uint8_t {
  kCallingWindow,
  kDayBanned,
  kZoneUnknown,
  kInconvenientTime,
  kRegf7In7,
  kRegfPostConversation,
  kStateFrequencyCap,
  kDncInternal,
  kDncNational,
  kDncState,
  kDncListStale,
  kConsentRevoked,
  kConsentMissing,
  kReassignedNumber,
  kAccountBlocked,
  kStoreUnavailable,
  kAuditUnavailable,
  kInternalError,
};

/// "CALLING_WINDOW", "DAY_BANNED", ... exactly as documented in docs/rules.md.
std::string_view reasonCodeName(ReasonCode code);

struct Reason {
  ReasonCode code;
  std::string rule;     ///< Rule id, e.g. "US-FL/telemarketing-hours".
  std::string message;  ///< For humans; not parsed by anyone.
};

/// A location signal on file for the consumer. Any subset of the fields may be set; each set
/// field widens the candidate set (it never narrows it).
struct Location {
  std::string state;  ///< USPS code: "FL", "PR". Adds the state's zones and jurisdiction "US-FL".
  std::string zip;    ///< "32401" or "32401-1234". Adds the ZIP's state, as above.
  std::string tz;     ///< IANA zone, "America/St_Johns". Adds that zone only.
};

/// A consumer-designated inconvenient time (Reg F 1006.6(b)(1)): a blocked local interval that
/// recurs on the days in `weekdays`.
struct LocalInterval {
  /// The most a subject may have; the API refuses more when they are stored.
  static constexpr std::size_t kMaxPerSubject = 16;

  /// Bit d set: applies on weekday d (0 = Sunday ... 6 = Saturday) of the local date on which
  /// the interval starts. Default: every day.
  std::uint8_t weekdays = 0x7f;
  std::chrono::seconds start{0};  ///< Local time of day, [0, 24h].
  std::chrono::seconds end{0};    ///< Exclusive. end <= start wraps past midnight.
  std::string tz;                 ///< IANA zone; empty means in every candidate zone.
};

/// One question: may this call be placed at `at`?
struct CallContext {
  std::string to;  ///< E.164, "+18508721234".
  Purpose purpose = Purpose::kTelemarketing;
  CallType call_type = CallType::kLive;
  /// Utah's Sunday/holiday ban applies only without prior express consent (13-25a-103(3)).
  bool prior_express_consent = false;
  std::vector<Location> locations;
  std::vector<LocalInterval> inconvenient;
  Timestamp at{};
};

struct WindowDecision {
  bool allowed = false;
  std::vector<Reason> reasons;  ///< Every failing rule; empty when allowed.
  /// Earliest instant >= `at` at which every rule allows, within 14 days; `at` when allowed.
  std::optional<Timestamp> next_allowed_at;
  std::vector<std::string> zones;          ///< Candidate IANA zones, sorted.
  std::vector<std::string> jurisdictions;  ///< "US", "US-FL", sorted.
};

/// Deployment choices that are not law.
struct PolicyOptions {
  /// TV-6: with no location signal at all, evaluate every US zone (and every state's rules)
  /// instead of denying with ZONE_UNKNOWN. Default false: fail closed.
  bool unknown_zone_uses_all_us_zones = false;
  /// The state of the number's area code is a jurisdiction even without a statutory area-code
  /// presumption (conservative reading of regulations.md 1.3: every signal's state applies).
  bool npa_state_is_jurisdiction = true;
  /// Enforce rules the research could not verify (marked "verified": false). Fail-safe default.
  bool enforce_unverified_rules = true;
  /// How far ahead next_allowed_at is searched.
  std::chrono::hours search_horizon{24 * 14};
};

}  // namespace callwarden::policy
