#pragma once
// Secrets (token hashes, webhook signatures) are compared in constant time so that response
// timing does not reveal how many leading bytes matched.

#include <string_view>

namespace callwarden {

/// True iff a == b. Time depends only on the lengths, never on the contents.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace callwarden
