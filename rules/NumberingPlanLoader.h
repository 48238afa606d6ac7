#pragma once
// Reads the generated numbering tables under data/ (tools/gen_number_zones.py,
// tools/gen_zip3_states.py) and an optional per-deployment override file into policy's
// NumberingPlan. Errors name the file and line. Stateless free functions; thread-safe.

#include <memory>
#include <optional>
#include <string>

#include "common/Result.h"
#include "policy/CallingWindowPolicy.h"
#include "policy/NumberingPlan.h"

namespace callwarden::rules {

struct NumberingDataPaths {
  std::string number_zones;  ///< number-zones.tsv
  std::string npa_states;    ///< npa-states.tsv
  std::string state_zones;   ///< state-zones.tsv
  std::string nanp_numbers;  ///< nanp-numbers.tsv
  std::string zip_states;    ///< zip3-states.tsv
  /// Optional deployment override, same row format as number-zones.tsv ("npa<TAB>850<TAB>zones"
  /// or "nxx<TAB>850872<TAB>zones"). Its zones are ADDED to the generated ones, never replace
  /// them: an override can only make the decision more conservative.
  std::optional<std::string> overrides;

  /// The shipped file names inside `data_dir` (e.g. CALLWARDEN_SOURCE_DIR "/data").
  static NumberingDataPaths inDirectory(const std::string& data_dir);
};

/// kIOError when a file cannot be read; kInvalidArgument "<file>:<line>: <what>" otherwise.
Result<std::shared_ptr<const policy::NumberingPlan>> loadNumberingPlan(
    const NumberingDataPaths& paths);

/// Everything the policy needs from one data directory: `<data_dir>/rules/us.json` and the
/// tables above (plus an optional override file). The usual entry point for app/.
Result<std::shared_ptr<const policy::CallingWindowPolicy>> loadCallingWindowPolicy(
    const std::string& data_dir, policy::PolicyOptions options = {},
    std::optional<std::string> zone_overrides = std::nullopt);

}  // namespace callwarden::rules
