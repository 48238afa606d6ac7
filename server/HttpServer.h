#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/Status.h"
#include "server/Dispatcher.h"

namespace callwarden::server {

class HttpConnectionPool;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port (tests)
  int threads = 16;
  std::chrono::milliseconds keep_alive_timeout{10000};  // idle connections close after this
  std::chrono::milliseconds request_timeout{10000};     // ConnectionPoolOptions
  uint64_t min_body_bytes_per_second = 4096;            // ConnectionPoolOptions
  size_t max_connections = 4096;
};

/// Serves HTTP through an HttpConnectionPool. start() binds and returns at once; stop() waits for
/// in-flight requests. The ServerContext must outlive the server.
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
  std::unique_ptr<HttpConnectionPool> connections_;
  uint16_t bound_port_ = 0;
};

}  // namespace callwarden::server
