#pragma once
// The one Poco request handler. Its layers run in a fixed order for every request:
// request id -> route -> authenticate -> authorise -> read and bound the body -> handler ->
// error mapping -> response, metrics and the access log. Route handlers see only ApiRequest.

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <cstddef>
#include <functional>
#include <string_view>

#include "server/ApiMessage.h"
#include "server/Auth.h"
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

/// Poco creates one handler per request (see Poco::Net::HTTPRequestHandler), so it holds no
/// state of its own beyond a pointer to the shared context.
class Dispatcher final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Dispatcher(const ServerContext& ctx) : ctx_(ctx) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  const ServerContext& ctx_;
};

class DispatcherFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit DispatcherFactory(const ServerContext& ctx) : ctx_(ctx) {}
  // Poco takes ownership of the returned raw pointer (its contract at this boundary only).
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Dispatcher(ctx_);
  }

 private:
  const ServerContext& ctx_;
};

/// The error body every failure uses: {"error":{"code","message","field"?}}.
ApiResponse errorResponse(int status, const std::string& code, const std::string& message,
                          const std::string& field = {});

}  // namespace callwarden::server
