#pragma once
// Whether and how a call is recorded (issue #8, docs/recording.md):
//  - by default, dual channel, no announcement required;
//  - a candidate jurisdiction listed in the rule file's "recording_rules" as all-party consent
//    makes `announce` true (every party must be told and consent by staying on the line);
//  - a subject located in the EU or UK is recorded only with a recorded `recording` consent,
//    and then with an announcement; without it, record is false.
// "Located in the EU/UK": the number's country calling code is an EU member state's or the
// UK's (+44), or any location's tz is "Europe/..." (conservative: every European zone).
//
// Pure: thread-safe (const after construction), no I/O, never throws.

#include <string>
#include <string_view>
#include <vector>

#include "recording/RecordingDecision.h"

namespace callwarden::recording {

/// One all-party-consent rule from the rule file.
struct AllPartyConsentRule {
  std::string id;            // "US-CA/recording-all-party"
  std::string jurisdiction;  // "US-CA"
  std::string citation;
  bool verified = false;
};

struct RecordingSubject {
  std::string to;                          // E.164
  std::vector<std::string> zones;          // the locations' tz values (may be empty)
  std::vector<std::string> jurisdictions;  // candidate jurisdictions ("US", "US-FL", ...)
  bool recording_consent = false;          // an unrevoked `recording` consent is on file
};

/// True iff the number's country code belongs to an EU member state or the UK, or a zone is
/// "Europe/...".
bool isEuOrUkSubject(std::string_view to, const std::vector<std::string>& zones);

class RecordingPolicy {
 public:
  explicit RecordingPolicy(std::vector<AllPartyConsentRule> rules) : rules_(std::move(rules)) {}
  RecordingDecision decide(const RecordingSubject& subject) const;
  const std::vector<AllPartyConsentRule>& rules() const { return rules_; }

 private:
  const std::vector<AllPartyConsentRule> rules_;
};

}  // namespace callwarden::recording
