#pragma once
// application/x-www-form-urlencoded bodies and query strings, as Twilio expects them: an ordered
// list of name/value pairs in which a name may repeat. List parameters such as
// StatusCallbackEvent are sent as repeated keys without brackets (twilio.md §0), never as
// "Name[]=" or a comma-joined value.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include "common/PercentEncode.h"

namespace callwarden::twilio {

/// Ordered name/value pairs; repeated names are allowed and kept in order.
using FormParams = std::vector<std::pair<std::string, std::string>>;

/// Percent-encodes everything except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~).
using ::callwarden::percentEncode;

/// "a=1&b=x%20y": names and values percent-encoded, pairs in the given order.
std::string formUrlEncode(const FormParams& params);

/// Decodes a form body or query string ('+' is a space). nullopt on a malformed %-escape.
std::optional<FormParams> parseFormUrlEncoded(std::string_view text);

/// All values of `name`, in order.
std::vector<std::string> formValues(const FormParams& params, std::string_view name);

/// The first value of `name`, or nullopt.
std::optional<std::string> formValue(const FormParams& params, std::string_view name);

}  // namespace callwarden::twilio
