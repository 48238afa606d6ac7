#pragma once
// Jurisdictions as small integers so that a candidate set is a fixed-size bitset (no allocation
// on the decision path). "US" is 0; "US-XX" is 1 + 26 * (X0 - 'A') + (X1 - 'A').

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

namespace callwarden::policy {

inline constexpr int kJurisdictionCount = 1 + 26 * 26;
inline constexpr int kJurisdictionUs = 0;
using JurisdictionSet = std::bitset<kJurisdictionCount>;

/// "FL" -> code of "US-FL"; nullopt unless two upper-case letters.
inline std::optional<int> stateJurisdiction(std::string_view state) {
  if (state.size() != 2 || state[0] < 'A' || state[0] > 'Z' || state[1] < 'A' || state[1] > 'Z') {
    return std::nullopt;
  }
  return 1 + 26 * (state[0] - 'A') + (state[1] - 'A');
}

/// "US" or "US-FL" -> code; nullopt otherwise.
inline std::optional<int> parseJurisdiction(std::string_view text) {
  if (text == "US") return kJurisdictionUs;
  if (text.size() == 5 && text.substr(0, 3) == "US-") return stateJurisdiction(text.substr(3));
  return std::nullopt;
}

inline std::string jurisdictionName(int code) {
  if (code == kJurisdictionUs) return "US";
  const int s = code - 1;
  return std::string("US-") + static_cast<char>('A' + s / 26) + static_cast<char>('A' + s % 26);
}

}  // namespace callwarden::policy
