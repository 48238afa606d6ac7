#include "server/KeepAliveConnection.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>

#include <memory>
#include <string>

namespace callwarden::server {
namespace {

// An HTTPServerSession that can wait for the next request by reading, not polling.
class Session : public Poco::Net::HTTPServerSession {
 public:
  using HTTPServerSession::HTTPServerSession;
  /// Blocks in recv() (bounded by SO_RCVTIMEO) until the next request's first bytes are
  /// buffered. False when the peer closed the connection.
  bool awaitRequest() { return buffered() > 0 || peek() != std::char_traits<char>::eof(); }
};

void sendError(Poco::Net::HTTPServerSession& session, Poco::Net::HTTPResponse::HTTPStatus status) {
  Poco::Net::HTTPServerResponseImpl response(session);
  response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
  response.setStatusAndReason(status);
  response.setKeepAlive(false);
  response.send();
  session.setKeepAlive(false);
}

}  // namespace

Poco::Net::TCPServerConnection* KeepAliveConnectionFactory::createConnection(
    const Poco::Net::StreamSocket& socket) {
  return new KeepAliveConnection(socket, *this);
}

bool KeepAliveConnectionFactory::enter(KeepAliveConnection* c) {
  std::lock_guard lock(mu_);
  if (stopped_) return false;
  live_.insert(c);
  return true;
}

void KeepAliveConnectionFactory::leave(KeepAliveConnection* c) {
  std::lock_guard lock(mu_);
  live_.erase(c);
  if (live_.empty()) all_left_.notify_all();
}

void KeepAliveConnectionFactory::stopAll(std::chrono::milliseconds grace) {
  std::unique_lock lock(mu_);
  stopped_ = true;
  for (KeepAliveConnection* c : live_) c->stop();
  all_left_.wait_for(lock, grace, [this] { return live_.empty(); });
}

KeepAliveConnection::KeepAliveConnection(const Poco::Net::StreamSocket& socket,
                                         KeepAliveConnectionFactory& factory)
    : TCPServerConnection(socket), factory_(factory) {}

void KeepAliveConnection::stop() {
  std::lock_guard lock(request_mu_);
  stopped_ = true;
  try {
    socket().shutdown();  // wakes a recv() waiting for the next request
  } catch (const Poco::Exception&) {
    // Already closed by the peer.
  }
}

void KeepAliveConnection::run() {
  if (!factory_.enter(this)) return;
  try {
    serve();
  } catch (const Poco::Exception&) {
    // The peer went away or stayed silent past the timeout: there is no one to answer.
  } catch (const std::exception&) {
    // Dispatcher answers every request itself; this is a failure to write the answer.
  }
  factory_.leave(this);
}

void KeepAliveConnection::serve() {
  const Poco::Net::HTTPServerParams& params = *factory_.params_;
  socket().setReceiveTimeout(params.getKeepAliveTimeout());
  socket().setSendTimeout(params.getTimeout());
  Session session(socket(), factory_.params_);
  // The first wait is Poco's own: it also starts the session's keep-alive accounting.
  if (!session.hasMoreRequests()) return;
  do {
    std::lock_guard lock(request_mu_);
    if (stopped_ || !answer(session)) return;
    // The next request is awaited outside the lock, so that stop() closes an idle
    // connection at once instead of after the keep-alive timeout.
  } while (session.awaitRequest());
}

bool KeepAliveConnection::answer(Poco::Net::HTTPServerSession& session) {
  const Poco::Net::HTTPServerParams& params = *factory_.params_;
  try {
    Poco::Net::HTTPServerResponseImpl response(session);
    Poco::Net::HTTPServerRequestImpl request(response, session, factory_.params_.get());
    // Poco reads any third word of the request line as the version and would echo it back.
    const std::string& version = request.getVersion();
    if (version != Poco::Net::HTTPMessage::HTTP_1_1 && version != Poco::Net::HTTPMessage::HTTP_1_0)
      throw Poco::Net::MessageException("unsupported HTTP version");
    response.setDate(Poco::Timestamp());
    response.setVersion(request.getVersion());
    response.setKeepAlive(params.getKeepAlive() && request.getKeepAlive() &&
                          session.canKeepAlive());
    const std::string& server = params.getSoftwareVersion();
    if (!server.empty()) response.set("Server", server);
    std::unique_ptr<Poco::Net::HTTPRequestHandler> handler(
        factory_.handlers_->createRequestHandler(request));
    if (request.getExpectContinue() && response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK)
      response.sendContinue();
    handler->handleRequest(request, response);
    session.setKeepAlive(params.getKeepAlive() && response.getKeepAlive() &&
                         session.canKeepAlive());
  } catch (const Poco::Net::NoMessageException&) {
    return false;  // the peer closed between requests
  } catch (const Poco::Net::MessageException&) {
    // A request Poco cannot parse, or one refused above, before any handler answered it.
    sendError(session, Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
    return false;
  }
  return session.getKeepAlive();
}

}  // namespace callwarden::server
