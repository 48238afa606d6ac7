#pragma once
// RFC 3339 instants on the API: we accept any offset and always answer in UTC ("...Z").

#include <string>
#include <string_view>

#include "common/Clock.h"
#include "common/Result.h"

namespace callwarden {

/// Parses "2026-07-15T19:29:00Z", "2026-07-15T19:29:00.123-04:00", etc. Rejects anything
/// that is not a full date-time with an offset, and impossible dates (2026-02-29).
Result<Timestamp> parseRfc3339(std::string_view text);

/// Formats as "2026-07-15T23:29:00Z" (fractional seconds only when non-zero).
std::string formatRfc3339(Timestamp t);

}  // namespace callwarden
