#pragma once
// How often a person may be called: Reg F's 7-in-7 and post-conversation presumptions
// (12 CFR 1006.14(b)(2)), the exclusion for consent given directly to the collector
// ((b)(3)(i)), state caps (Fla. Stat. 501.616(6)(b) and its OK/MD twins, 940 CMR 7.04(1)(f)),
// and account flags that stop collection calls altogether (regulations.md 2.1).
//
// Pure: given the history and the instant, decide. The attempt ledger supplies the history
// inside the same transaction that records the new attempt, which is what makes
// check-and-reserve atomic. Thread-compatible value types; the functions are thread-safe.

#include <date/tz.h>

#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "common/Clock.h"
#include "policy/Jurisdiction.h"
#include "policy/Types.h"

namespace callwarden::policy {

/// A counting rule, loaded from the rule file ("frequency_rules", docs/rules.md).
struct FrequencyRule {
  enum class Kind {
    kCount,             // at most `limit` counted calls per window
    kPostConversation,  // no call for `length` days after a conversation; its date is day 1
  };
  enum class Scope { kDebt, kSubjectMatter };
  enum class Window { kCalendarDays, kRollingHours };

  std::string id;        // e.g. "US/regf-7-in-7"
  std::string citation;  // e.g. "12 CFR 1006.14(b)(2)(i)(A)"
  Kind kind = Kind::kCount;
  ReasonCode code = ReasonCode::kRegf7In7;
  Purpose purpose = Purpose::kDebtCollection;
  int jurisdiction = kJurisdictionUs;  // applies when this is a candidate jurisdiction
  Scope scope = Scope::kDebt;
  int limit = 7;
  Window window = Window::kCalendarDays;
  int length = 7;  // days (calendar window, conversation block) or hours (rolling window)
};

/// What the ledger knows about one counted key: a (subject, debt group) or a (subject,
/// subject matter). Times are instants; their order does not matter.
struct KeyHistory {
  std::string key;
  FrequencyRule::Scope scope = FrequencyRule::Scope::kDebt;
  std::vector<Timestamp> attempts;       // placed or pending; released and excluded ones omitted
  std::vector<Timestamp> conversations;  // debt keys only
  /// Placed or pending calls that direct consent excluded from Reg F (1006.14(b)(3)(i)). The
  /// exclusion is Reg F's own: a state cap (940 CMR 7.04(1)(f)) counts them like any other.
  std::vector<Timestamp> consented_attempts;
};

/// Prior consent to be called, given directly to the collector (1006.14(b)(3)(i)). Consent
/// given to the creditor never becomes one of these: it does not qualify.
struct DirectConsent {
  std::string id;
  std::string key;  // the debt key it covers
  Timestamp received_at{};
  std::optional<Timestamp> valid_until;  // an earlier end the consumer set, if any
  int max_calls = 1;  // calls it covers within its 7-day life; 0 (stored by versions before
                      // 2026-12-03, which defaulted to it): no limit
  int calls_used = 0;
};

/// Flags that bar every collection call (cease-communication, attorney, bankruptcy, dispute).
bool isKnownAccountFlag(std::string_view flag);

struct FrequencyOptions {
  /// Strict mode (regulations.md 2.3.5): a rolling 168-hour window for Reg F counts instead of
  /// consumer-local calendar days; the post-conversation block then also lasts at least 168 h.
  bool regf_rolling_168h = false;
};

struct FrequencyInput {
  Purpose purpose = Purpose::kDebtCollection;
  std::span<const date::time_zone* const> zones;  // candidate zones; days are counted in each
  JurisdictionSet jurisdictions;                  // which rules apply
  std::span<const KeyHistory> keys;               // every debt key and subject-matter key
  std::span<const DirectConsent> consents;
  std::set<std::string> account_flags;
  Timestamp at{};
};

struct FrequencyDecision {
  bool allowed = false;
  std::vector<Reason> reasons;
  /// The earliest instant at which every frequency rule allows (the calling window is the
  /// caller's business). nullopt: not by waiting (an account flag).
  std::optional<Timestamp> free_at;
  /// Keys the new call counts against, and keys where it is excluded by direct consent
  /// (with the consent that covers it).
  std::vector<std::string> counted_keys;
  std::vector<std::pair<std::string, std::string>> excluded_keys;  // (key, consent id)
};

FrequencyDecision evaluateFrequency(const FrequencyInput& input,
                                    std::span<const FrequencyRule> rules,
                                    const FrequencyOptions& options);

}  // namespace callwarden::policy
