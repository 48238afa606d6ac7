#pragma once
// Parsing Twilio's JSON bodies: resources, list pages and the error body. Tolerant of what
// Twilio is documented to vary (null for any field, numbers sent as strings or as numbers),
// strict about what we rely on (a resource must have a well-formed sid).
// Thread-safe: free functions without shared state. Never throw.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/Clock.h"
#include "common/Result.h"
#include "twilio/TwilioTypes.h"

namespace callwarden::twilio {

/// Twilio's error body: {"code":21211,"message":"...","more_info":"...","status":400}.
struct ErrorBody {
  int code = 0;
  std::string message;
  std::string more_info;
  int status = 0;
};

/// One page of a list: the items and the next page's URI (relative; empty on the last page).
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_uri;
};

Result<Call> parseCall(std::string_view json);
Result<Recording> parseRecording(std::string_view json);
Result<Page<Call>> parseCallPage(std::string_view json);
Result<Page<Recording>> parseRecordingPage(std::string_view json);
/// nullopt when the body is not Twilio's error JSON (HTML from a proxy, problem+json, empty).
std::optional<ErrorBody> parseErrorBody(std::string_view json);

/// "Tue, 31 Aug 2010 20:36:28 +0000" -> Timestamp; nullopt on anything else.
std::optional<Timestamp> parseRfc2822(std::string_view text);
/// Timestamp -> "Tue, 31 Aug 2010 20:36:28 +0000" (Twilio's format for dates in JSON and
/// callbacks).
std::string formatRfc2822(Timestamp t);

}  // namespace callwarden::twilio
