#pragma once
// Reads the "frequency_rules" array of the rule file (docs/rules.md) into policy's
// FrequencyRule list: Reg F 7-in-7 and post-conversation, state caps. Strict like the rest of
// the rule file: an unknown key or value is an error, and a file without the array is one too
// (no silent "no frequency limits").

#include <string>
#include <string_view>
#include <vector>

#include "common/Result.h"
#include "policy/FrequencyPolicy.h"

namespace callwarden::rules {

Result<std::vector<policy::FrequencyRule>> parseFrequencyRules(std::string_view json,
                                                               const std::string& source);
Result<std::vector<policy::FrequencyRule>> loadFrequencyRules(const std::string& path);

}  // namespace callwarden::rules
