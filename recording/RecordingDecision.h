#pragma once
// The recording part of a call decision (issue #8; docs/recording.md), shared by the gate's
// answers and the recording use case. A plain value type.

#include <string>
#include <vector>

namespace callwarden::recording {

struct RecordingDecision {
  bool record = false;
  std::string channels = "dual";
  /// Every party must be told (all-party-consent jurisdiction, or an EU/UK subject).
  bool announce = false;
  /// Why: "default", "all_party_consent", "eu_uk_consent", "eu_uk_no_consent".
  std::string basis = "default";
  /// The rule ids that applied (recording_rules in the rule file).
  std::vector<std::string> rules;
};

}  // namespace callwarden::recording
