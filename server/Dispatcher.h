#pragma once
// Every request's layers, in a fixed order: request id -> route -> authenticate -> authorise ->
// read and bound the body -> handler -> error mapping -> metrics and the access log. The
// transport (server/HttpConnectionPool) parses the head and writes the answer; route handlers
// see only ApiRequest.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string_view>

#include "common/Status.h"
#include "server/ApiMessage.h"
#include "server/Auth.h"
#include "server/HttpRequestHead.h"
#include "server/Metrics.h"
#include "server/Router.h"

namespace callwarden::server {

/// Everything the dispatcher needs; owned by the composition root, outlives the server.
struct ServerContext {
  const Router* router = nullptr;
  const Authenticator* authenticator = nullptr;
  Metrics* metrics = nullptr;
  size_t max_body_bytes = 1 << 20;
  /// Called for every 401/403 so the audit log can record it (key name and route only).
  std::function<void(const ApiRequest&, std::string_view reason)> on_auth_failure;
};

/// Stateless beyond the shared context: one instance serves every thread.
class Dispatcher {
 public:
  explicit Dispatcher(const ServerContext& ctx) : ctx_(ctx) {}
  /// Answers one request whose head has been read; `body` yields its (decoded) body and
  /// `content_length` is what the client declared, if it did. Never throws: every failure is
  /// an error response. The X-Request-Id header is among the response's headers. With
  /// `can_defer` (the transport handles ApiResponse::deferred), a handler may return a
  /// deferred answer; its `settle` then adds the headers, metrics and access-log line.
  ApiResponse dispatch(const HttpRequestHead& head, std::istream& body,
                       std::optional<uint64_t> content_length, bool can_defer = false) const;

 private:
  const ServerContext& ctx_;
};

/// The error body every failure uses: {"error":{"code","message","field"?}}.
ApiResponse errorResponse(int status, const std::string& code, const std::string& message,
                          const std::string& field = {});

}  // namespace callwarden::server
