#include "server/HttpConnectionPool.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/StreamSocketImpl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/Log.h"

namespace callwarden::server {
namespace {

constexpr uint64_t kListenerId = 0;
constexpr uint64_t kWakeId = 1;
constexpr uint32_t kArmed = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Poco::Timespan timespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

// Exposes how much of the next request Poco has already read from the socket: those bytes
// will never make the socket readable again.
class Session : public Poco::Net::HTTPServerSession {
 public:
  using HTTPServerSession::HTTPServerSession;
  bool hasBufferedRequest() const { return buffered() > 0; }
};

void sendError(Poco::Net::HTTPServerSession& session, Poco::Net::HTTPResponse::HTTPStatus status) {
  Poco::Net::HTTPServerResponseImpl response(session);
  response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
  response.setStatusAndReason(status);
  response.setKeepAlive(false);
  response.send();
  session.setKeepAlive(false);
}

// Reads, handles and answers one request as Poco's HTTPServerConnection does; true if the
// connection stays open.
bool answer(Poco::Net::HTTPServerSession& session, const Poco::Net::HTTPServerParams& params,
            Poco::Net::HTTPRequestHandlerFactory& handlers) {
  try {
    Poco::Net::HTTPServerResponseImpl response(session);
    Poco::Net::HTTPServerRequestImpl request(response, session,
                                             const_cast<Poco::Net::HTTPServerParams*>(&params));
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
    std::unique_ptr<Poco::Net::HTTPRequestHandler> handler(handlers.createRequestHandler(request));
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

}  // namespace

struct HttpConnectionPool::Connection {
  Connection(uint64_t id_, const Poco::Net::StreamSocket& s,
             const Poco::Net::HTTPServerParams::Ptr& params, const ConnectionPoolOptions& o)
      : id(id_), socket(s), session(socket, params) {
    // After the session: Poco's constructor sets the receive timeout to params' timeout.
    socket.setNoDelay(true);
    socket.setReceiveTimeout(timespan(o.keep_alive_timeout));
    socket.setSendTimeout(timespan(o.send_timeout));
  }
  const uint64_t id;
  Poco::Net::StreamSocket socket;
  Session session;
  bool first = true;       // only touched by the thread serving it
  bool busy = false;       // guarded by mu_: a thread is serving it (it is not armed)
  int64_t idle_since = 0;  // guarded by mu_
};

HttpConnectionPool::HttpConnectionPool(Poco::Net::ServerSocket listener,
                                       ConnectionPoolOptions options,
                                       Poco::Net::HTTPServerParams::Ptr params,
                                       Poco::Net::HTTPRequestHandlerFactory::Ptr handlers)
    : listener_(std::move(listener)),
      options_(options),
      params_(std::move(params)),
      handlers_(std::move(handlers)) {}

HttpConnectionPool::~HttpConnectionPool() {
  stop(std::chrono::seconds(10));
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status HttpConnectionPool::start() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0)
    return Status::unavailable(std::string("cannot create the connection poll: ") +
                               std::strerror(errno));
  listener_.setBlocking(false);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = kListenerId;
  epoll_event wake{};
  wake.events = EPOLLIN;  // level-triggered and never read: wakes every thread
  wake.data.u64 = kWakeId;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listener_.impl()->sockfd(), &ev) != 0 ||
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0)
    return Status::unavailable(std::string("cannot watch the listening socket: ") +
                               std::strerror(errno));
  next_sweep_ms_ = nowMs() + 1000;
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { run(); });
  return Status::ok();
}

void HttpConnectionPool::stop(std::chrono::milliseconds grace) {
  if (threads_.empty()) return;
  stopping_ = true;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  std::unique_lock lock(mu_);
  for (auto it = connections_.begin(); it != connections_.end();) {
    auto c = (it++)->second;
    if (!c->busy) closeLocked(c);
  }
  // Busy connections are closed by their thread once the request is answered.
  if (!all_closed_.wait_for(lock, grace, [this] { return connections_.empty(); })) {
    for (auto& [id, c] : connections_) {
      try {
        c->socket.shutdown();  // fails the blocked read or write of a request overstaying
      } catch (const Poco::Exception&) {
      }
    }
  }
  lock.unlock();
  for (auto& t : threads_) t.join();
  threads_.clear();
  listener_.close();
}

void HttpConnectionPool::run() {
  for (;;) {
    epoll_event ev{};
    const int n = ::epoll_wait(epoll_fd_, &ev, 1, 1000);
    if (stopping_) return;
    if (n < 0 && errno != EINTR) {
      Log::error("epoll_wait failed; an HTTP thread stops", {{"error", std::strerror(errno)}});
      return;
    }
    if (n == 1 && ev.data.u64 == kListenerId) {
      acceptAll();
    } else if (n == 1 && ev.data.u64 != kWakeId) {
      ConnectionPtr c;
      {
        std::lock_guard lock(mu_);
        auto it = connections_.find(ev.data.u64);
        if (it == connections_.end()) continue;  // closed by a sweep since it became ready
        c = it->second;
        c->busy = true;
      }
      serve(c);
    }
    if (nowMs() >= next_sweep_ms_.load()) sweepIdle();
  }
}

void HttpConnectionPool::acceptAll() {
  const int listen_fd = listener_.impl()->sockfd();
  for (;;) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        Log::warn("cannot accept a connection", {{"error", std::strerror(errno)}});
      break;  // EMFILE and the like: try again on the next readiness
    }
    try {
      Poco::Net::StreamSocket socket(new Poco::Net::StreamSocketImpl(fd));  // owns fd
      std::lock_guard lock(mu_);
      if (stopping_ || connections_.size() >= options_.max_connections) continue;  // closes fd
      auto c = std::make_shared<Connection>(next_id_++, socket, params_, options_);
      c->idle_since = nowMs();
      epoll_event ev{};
      ev.events = kArmed;
      ev.data.u64 = c->id;
      if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0) connections_.emplace(c->id, c);
    } catch (const Poco::Exception& e) {
      Log::warn("cannot set up a connection", {{"error", e.displayText()}});
    }
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = kListenerId;
  (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd, &ev);
}

void HttpConnectionPool::serve(const ConnectionPtr& c) {
  bool open = true;
  try {
    if (c->first) {
      // Poco starts its keep-alive accounting here; the request is ready, so its wait is not.
      c->first = false;
      open = c->session.hasMoreRequests();
    }
    // Pipelined requests Poco has already read never make the socket readable again.
    do {
      open = open && answer(c->session, *params_, *handlers_) && !stopping_;
    } while (open && c->session.hasBufferedRequest());
  } catch (const Poco::Exception&) {
    open = false;  // the peer went away or stayed silent past the timeout
  } catch (const std::exception&) {
    open = false;  // Dispatcher answers every request itself; this is a failed write
  }
  std::lock_guard lock(mu_);
  c->busy = false;
  c->idle_since = nowMs();
  epoll_event ev{};
  ev.events = kArmed;
  ev.data.u64 = c->id;
  if (!open || stopping_ ||
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->socket.impl()->sockfd(), &ev) != 0)
    closeLocked(c);
}

void HttpConnectionPool::closeLocked(const ConnectionPtr& c) {
  // Out of the epoll set before the descriptor can be reused by another connection.
  (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->socket.impl()->sockfd(), nullptr);
  try {
    c->socket.shutdown();
  } catch (const Poco::Exception&) {
    // Already closed by the peer.
  }
  c->socket.close();
  connections_.erase(c->id);
  if (connections_.empty()) all_closed_.notify_all();
}

void HttpConnectionPool::sweepIdle() {
  std::unique_lock sweep(sweep_mu_, std::try_to_lock);
  if (!sweep.owns_lock()) return;
  const int64_t now = nowMs();
  next_sweep_ms_ = now + 1000;
  std::lock_guard lock(mu_);
  for (auto it = connections_.begin(); it != connections_.end();) {
    auto c = (it++)->second;
    if (!c->busy && now - c->idle_since >= options_.keep_alive_timeout.count()) closeLocked(c);
  }
}

}  // namespace callwarden::server
