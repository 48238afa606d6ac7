#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/Status.h"
#include "server/Dispatcher.h"

namespace Poco::Net {
class TCPServer;
}

namespace callwarden::server {

class KeepAliveConnectionFactory;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port (tests)
  int threads = 16;
  int max_queued = 256;
};

/// Owns the Poco TCPServer that serves HTTP through KeepAliveConnections. start() binds and returns
/// at once; stop() waits for in-flight requests. The ServerContext must outlive the server.
class HttpServer {
 public:
  HttpServer(const ServerContext& ctx, HttpServerOptions options);
  ~HttpServer();
  Status start();
  void stop();
  /// The bound port (useful after binding port 0).
  uint16_t port() const { return bound_port_; }

 private:
  const ServerContext& ctx_;
  HttpServerOptions options_;
  std::unique_ptr<Poco::Net::TCPServer> server_;
  KeepAliveConnectionFactory* connections_ = nullptr;  // owned by server_
  uint16_t bound_port_ = 0;
};

}  // namespace callwarden::server
