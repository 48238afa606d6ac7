#include "server/HttpServer.h"

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

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
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(options_.threads);
    params->setMaxQueued(options_.max_queued);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);  // unlimited: dialers hold connections open
    params->setTimeout(Poco::Timespan(30, 0));
    server_ = std::make_unique<Poco::Net::HTTPServer>(new DispatcherFactory(ctx_), socket, params);
    server_->start();
    return Status::ok();
  } catch (const Poco::Exception& e) {
    return Status::unavailable("cannot listen on " + options_.host + ":" +
                               std::to_string(options_.port) + ": " + e.displayText());
  }
}

void HttpServer::stop() {
  if (server_) {
    server_->stopAll(/*abortCurrent=*/false);
    server_.reset();
  }
}

}  // namespace callwarden::server
