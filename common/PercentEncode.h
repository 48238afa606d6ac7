#pragma once

#include <string>
#include <string_view>

namespace callwarden {

/// RFC 3986 percent-encoding: every byte except the unreserved set A-Z a-z 0-9 - . _ ~ becomes
/// %XX (upper-case hex). Used for form bodies and for the canonical parameter strings we store.
std::string percentEncode(std::string_view s);

}  // namespace callwarden
