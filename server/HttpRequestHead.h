#pragma once
// The request line and header fields of an HTTP/1.1 request, parsed from the bytes before the
// blank line. Pure: no sockets, so every malformed input is unit-tested.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/Result.h"

namespace callwarden::server {

/// Limits on a request head (Poco's own server used the same field limits).
struct HeadLimits {
  size_t max_head_bytes = 64 * 1024;  // request line and all fields
  size_t max_fields = 100;
  size_t max_name_bytes = 256;
  size_t max_value_bytes = 8192;
};

struct HttpRequestHead {
  std::string method;
  std::string target;  // the request-target as sent ("/v1/x?a=b")
  bool http11 = true;  // false: HTTP/1.0
  std::vector<std::pair<std::string, std::string>> fields;  // names as sent, values trimmed

  /// The first field with this name (ASCII case-insensitive), or nullptr.
  const std::string* find(std::string_view name) const;
  /// HTTP/1.1 stays open unless "Connection: close"; HTTP/1.0 only with "keep-alive".
  bool keepAlive() const;
  bool expectContinue() const;
};

/// How the body that follows the head is framed.
struct BodyFraming {
  bool chunked = false;
  uint64_t length = 0;  // when not chunked; 0 without Content-Length
};

/// Parses `head`: everything up to and including the blank line. InvalidArgument names what is
/// wrong (the caller answers 400 and closes); the version must be HTTP/1.0 or HTTP/1.1, and a
/// field that holds one value (Host, Authorization, Content-Type, Expect, X-Request-Id,
/// X-Twilio-Signature) may not appear twice.
Result<HttpRequestHead> parseRequestHead(std::string_view head, const HeadLimits& limits = {});

/// Content-Length and Transfer-Encoding. A Transfer-Encoding other than "chunked", or a
/// Content-Length that is not one decimal number, is InvalidArgument.
Result<BodyFraming> bodyFraming(const HttpRequestHead& head);

}  // namespace callwarden::server
