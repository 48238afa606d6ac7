#include "server/HttpServer.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include "server/HttpConnectionPool.h"

namespace callwarden::server {

HttpServer::HttpServer(const ServerContext& ctx, HttpServerOptions options)
    : ctx_(ctx), options_(std::move(options)) {}

HttpServer::~HttpServer() {
  stop();
}

Status HttpServer::start() {
  try {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress(options_.host, options_.port), /*reuseAddress=*/true);
    socket.listen(1024);
    bound_port_ = socket.address().port();
    ConnectionPoolOptions pool;
    pool.threads = options_.threads;
    pool.keep_alive_timeout = options_.keep_alive_timeout;
    pool.request_timeout = options_.request_timeout;
    pool.min_body_bytes_per_second = options_.min_body_bytes_per_second;
    pool.max_connections = options_.max_connections;
    pool.metrics = ctx_.metrics;
    connections_ = std::make_unique<HttpConnectionPool>(
        socket, pool,
        // The pool holds deferred answers (ApiResponse::deferred) without a thread.
        [dispatcher = Dispatcher(ctx_)](const HttpRequestHead& head, std::istream& body,
                                        std::optional<uint64_t> content_length) {
          return dispatcher.dispatch(head, body, content_length, /*can_defer=*/true);
        });
    Status s = connections_->start();
    if (!s.isOk()) connections_.reset();
    return s;
  } catch (const Poco::Exception& e) {
    return Status::unavailable("cannot listen on " + options_.host + ":" +
                               std::to_string(options_.port) + ": " + e.displayText());
  }
}

void HttpServer::stop() {
  if (connections_) {
    connections_->stop(std::chrono::seconds(10));
    connections_.reset();
  }
}

}  // namespace callwarden::server
