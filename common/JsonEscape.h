#pragma once
// Minimal JSON string escaping for the modules that must not depend on Poco (audit, logs).

#include <string>
#include <string_view>

namespace callwarden {

/// Appends `s` to `out` as a quoted JSON string, escaping quotes, backslashes and control
/// characters (bytes >= 0x80 pass through: callers hand in UTF-8).
void appendJsonString(std::string& out, std::string_view s);
std::string jsonString(std::string_view s);

}  // namespace callwarden
