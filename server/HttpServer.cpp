#include "server/HttpServer.h"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServer.h>

#include "server/KeepAliveConnection.h"

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
    // HTTPServer takes ownership of the params and the factory (Poco's contract).
    Poco::Net::HTTPServerParams::Ptr params(new Poco::Net::HTTPServerParams);
    params->setMaxThreads(options_.threads);
    params->setMaxQueued(options_.max_queued);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);  // unlimited: dialers hold connections open
    params->setTimeout(Poco::Timespan(30, 0));
    // A TCPServer with our connections rather than Poco's HTTPServer (see
    // KeepAliveConnection.h); the server owns the factory.
    connections_ = new KeepAliveConnectionFactory(params, new DispatcherFactory(ctx_));
    server_ = std::make_unique<Poco::Net::TCPServer>(connections_, socket, params);
    server_->start();
    return Status::ok();
  } catch (const Poco::Exception& e) {
    return Status::unavailable("cannot listen on " + options_.host + ":" +
                               std::to_string(options_.port) + ": " + e.displayText());
  }
}

void HttpServer::stop() {
  if (server_) {
    server_->stop();  // no new connections
    connections_->stopAll(std::chrono::seconds(10));
    server_.reset();
    connections_ = nullptr;
  }
}

}  // namespace callwarden::server
