#pragma once
// JSON string escaping for the modules that must not depend on Poco (audit, logs, the check
// answer that is written by hand).

#include <string>
#include <string_view>

namespace callwarden {

/// Appends `s` to `out` as a quoted JSON string literal. Quotes, backslashes, control
/// characters and DEL are escaped; bytes that are not valid UTF-8 (including overlong forms
/// and surrogates) become U+FFFD, so the output is valid JSON whatever a caller hands in.
void appendJsonString(std::string& out, std::string_view s);
std::string jsonString(std::string_view s);

}  // namespace callwarden
