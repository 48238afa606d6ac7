#pragma once
// The calling-window decision (issue #4, policy half): may a call to `to` be placed at `at`,
// given the federal window, every applicable state's hours, Sunday and holiday bans, and the
// consumer's own inconvenient times, in every zone the consumer may be in?
//
// Pure: the instant is an input, nothing reads the clock; the only I/O is date::tz reading the
// system tz database, and that happens while the RuleSet/NumberingPlan are built.
// Immutable after construction; thread-safe; never throws.

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/Result.h"
#include "policy/CandidateSet.h"
#include "policy/NumberingPlan.h"
#include "policy/RuleSet.h"
#include "policy/Types.h"

namespace callwarden::policy {

class CallingWindowPolicy {
 public:
  /// Both pointers must be non-null.
  CallingWindowPolicy(std::shared_ptr<const RuleSet> rules,
                      std::shared_ptr<const NumberingPlan> plan, PolicyOptions options = {});

  /// The rule file's "version"; every answer should carry it.
  const std::string& version() const { return rules_->version(); }
  const RuleSet& rules() const { return *rules_; }
  const NumberingPlan& plan() const { return *plan_; }
  const PolicyOptions& options() const { return options_; }

  /// Error (kInvalidArgument, with the field: "to", "locations[0].tz", "locations[1].state",
  /// "locations[0].zip", "inconvenient[0].tz") only for client mistakes; everything else,
  /// including an unknown zone or a missing holiday calendar, is a deny with reasons.
  Result<WindowDecision> evaluate(const CallContext& context) const;

  /// The candidate zones and jurisdictions for a number and its locations, as evaluate() sees
  /// them. Errors as for evaluate(). An empty set means ZONE_UNKNOWN.
  Result<CandidateSet> resolveCandidates(std::string_view to,
                                         std::span<const Location> locations) const;

  /// OK if `number` is an E.164 number this policy would accept as `to`; otherwise
  /// kInvalidArgument naming `field`. Other records matched against a call's `to` (a consent's
  /// phone) must pass it, so that the same number is never stored in a second spelling.
  Status validateNumber(std::string_view number, const std::string& field) const;

 private:
  std::shared_ptr<const RuleSet> rules_;
  std::shared_ptr<const NumberingPlan> plan_;
  PolicyOptions options_;
  JurisdictionSet presumption_states_;
};

}  // namespace callwarden::policy
