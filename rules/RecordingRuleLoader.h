#pragma once
// Reads the "recording_rules" array of the rule file (docs/recording.md) into the recording
// policy's all-party-consent rules. Strict like the rest of the rule file: unknown keys are
// errors, and a file without the array is one too (no silent "one-party everywhere").

#include <string>
#include <string_view>
#include <vector>

#include "common/Result.h"
#include "recording/RecordingPolicy.h"

namespace callwarden::rules {

Result<std::vector<recording::AllPartyConsentRule>> parseRecordingRules(std::string_view json,
                                                                        const std::string& source);
Result<std::vector<recording::AllPartyConsentRule>> loadRecordingRules(const std::string& path);

}  // namespace callwarden::rules
