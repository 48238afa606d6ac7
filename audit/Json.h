#pragma once
// Minimal JSON writing for reports and exports (audit/ links no JSON library).

#include <string>
#include <string_view>

namespace callwarden::audit {

/// Appends `s` as a JSON string literal (with quotes). Control characters, quotes and
/// backslashes are escaped; bytes that are not valid UTF-8 become U+FFFD so the output is
/// always valid JSON.
void appendJsonString(std::string& out, std::string_view s);
std::string jsonString(std::string_view s);

}  // namespace callwarden::audit
