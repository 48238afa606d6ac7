#pragma once

#include <string>
#include <string_view>

namespace callwarden {

/// Masks the last four digits for logs: "+15415550123" -> "+1541555****". Anything shorter
/// than five characters is masked whole, so no short identifier leaks.
std::string maskPhone(std::string_view phone);

}  // namespace callwarden
