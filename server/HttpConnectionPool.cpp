#include "server/HttpConnectionPool.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/StreamSocketImpl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "common/Log.h"
#include "common/Random.h"
#include "common/ThreadName.h"
#include "server/ApiError.h"
#include "server/ChunkedBody.h"
#include "server/ConnectionReader.h"
#include "server/Dispatcher.h"
#include "server/FixedLengthBody.h"

namespace callwarden::server {
namespace {

constexpr uint64_t kListenerId = 0;
constexpr uint64_t kWakeId = 1;
constexpr uint64_t kReadyId = 2;
constexpr uint64_t kFinishId = 3;
constexpr uint32_t kArmed = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Poco::Timespan timespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

// Drops the empty lines received before the next request (RFC 9112 §2.2), then says whether
// a request has begun.
bool hasBufferedRequest(ConnectionReader& reader) {
  while (reader.buffered() > 0 && (reader.peek() == '\r' || reader.peek() == '\n')) reader.get();
  return reader.buffered() > 0;
}

const size_t kMaxHeadBytes = HeadLimits{}.max_head_bytes;

enum class HeadRead { kComplete, kIncomplete, kNoRequest, kTooLarge, kTimedOut };

// Reads what has arrived of a head, up to and including the blank line that ends it, into
// `p`, without waiting. kIncomplete: the rest has not arrived (the connection goes back to
// epoll, holding no thread). kNoRequest: the peer closed before sending a byte (a keep-alive
// connection ending) or in the middle, or sent only empty lines until the deadline (nothing to
// answer). kTimedOut: the head began but did not end within `timeout` of its first byte.
HeadRead readHead(ConnectionReader& reader, PartialHead& p, std::chrono::milliseconds timeout) {
  for (;;) {
    int c;
    try {
      c = reader.tryGet();
    } catch (const ReadFailed&) {
      return HeadRead::kNoRequest;
    }
    if (c == ConnectionReader::kWouldBlock) {
      // Nothing yet (a wake-up without data) is an idle connection: the keep-alive timeout's.
      if (p.started_ms == 0 || nowMs() - p.started_ms < timeout.count())
        return HeadRead::kIncomplete;
      return p.head.empty() ? HeadRead::kNoRequest : HeadRead::kTimedOut;
    }
    if (c == std::char_traits<char>::eof()) return HeadRead::kNoRequest;
    // The clock starts with the first byte: waiting for it is the keep-alive timeout's job.
    if (p.started_ms == 0) p.started_ms = nowMs();
    if (p.head.empty() && (c == '\r' || c == '\n')) {
      // Empty lines before a request count toward the limit (RFC 9112 §2.2 allows some).
      if (++p.empty_lines > kMaxHeadBytes) return HeadRead::kTooLarge;
      continue;
    }
    p.head += static_cast<char>(c);
    const std::string& head = p.head;
    const size_t n = head.size();
    if (c == '\n' && ((n >= 2 && head[n - 2] == '\n') ||
                      (n >= 4 && head[n - 2] == '\r' && head[n - 3] == '\n'))) {
      return HeadRead::kComplete;
    }
    if (n > kMaxHeadBytes) return HeadRead::kTooLarge;
  }
}

// The Date header, formatted once a second per thread.
const std::string& httpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached;
  const Poco::Timestamp now;
  if (now.epochTime() != cached_second) {
    cached_second = now.epochTime();
    cached = Poco::DateTimeFormatter::format(now, Poco::DateTimeFormat::HTTP_FORMAT);
  }
  return cached;
}

void appendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ");
  // Values come from our own handlers, but a CR or LF must never split a header.
  for (char ch : value) out += (ch == '\r' || ch == '\n') ? ' ' : ch;
  out += "\r\n";
}

// The whole answer in one buffer, so that it leaves in one send.
std::string serialize(const ApiResponse& res, bool http11, bool keep_alive, bool head_only) {
  std::string out;
  out.reserve(192 + res.body.size());
  out += http11 ? "HTTP/1.1 " : "HTTP/1.0 ";
  out += std::to_string(res.status);
  out += ' ';
  out += Poco::Net::HTTPResponse::getReasonForStatus(
      static_cast<Poco::Net::HTTPResponse::HTTPStatus>(res.status));
  out += "\r\n";
  appendHeader(out, "Date", httpDate());
  appendHeader(out, "Connection", keep_alive ? "Keep-Alive" : "close");
  for (const auto& [name, value] : res.headers) appendHeader(out, name, value);
  // A 204 has no content, and no Content-Length may say so (RFC 9110 8.6).
  const bool no_content = res.status == 204;
  if (!no_content) {
    appendHeader(out, "Content-Type", res.content_type);
    appendHeader(out, "Content-Length", std::to_string(res.body.size()));
  }
  out += "\r\n";
  if (!head_only && !no_content) out += res.body;
  return out;
}

void sendAll(Poco::Net::StreamSocket& socket, const std::string& data) {
  // Poco sends everything on a blocking socket, or throws (the send timeout included).
  socket.sendBytes(data.data(), static_cast<int>(data.size()));
}

// Closing a socket that still has unread input makes the kernel send a reset, which can
// destroy the answer before the client has read it (a 413 sent while the body is still
// arriving). So stop sending, and read until the client closes, for at most a second in all
// and 1 MiB.
void lingerBeforeClose(Poco::Net::StreamSocket& socket) {
  try {
    socket.shutdownSend();
    const int64_t deadline = nowMs() + 1000;
    char buf[8192];
    for (size_t total = 0; total < (1u << 20);) {
      const int64_t left = deadline - nowMs();
      if (left <= 0) break;
      socket.setReceiveTimeout(timespan(std::chrono::milliseconds(left)));
      const int n = socket.receiveBytes(buf, sizeof buf);
      if (n <= 0) break;
      total += static_cast<size_t>(n);
    }
  } catch (const Poco::Exception&) {
    // Timed out or reset: close anyway.
  }
}

}  // namespace

struct HttpConnectionPool::Connection {
  Connection(uint64_t id_, const Poco::Net::StreamSocket& s, const ConnectionPoolOptions& o)
      : id(id_), socket(s), reader(socket.impl()->sockfd()) {
    socket.setNoDelay(true);
    socket.setReceiveTimeout(timespan(o.keep_alive_timeout));
    socket.setSendTimeout(timespan(o.send_timeout));
  }
  // An answer held until it is ready. Written by the thread that parks the request before it
  // calls when_ready, read by the one that sends it (through ready_mu_); meanwhile no thread
  // touches the connection.
  struct Held {
    std::function<ApiResponse(const Status&)> settle;
    bool http11 = true;
    bool keep_alive = false;
    bool head_only = false;
  };

  const uint64_t id;
  Poco::Net::StreamSocket socket;
  ConnectionReader reader;
  PartialHead partial;  // what has arrived of the next request's head
  std::optional<Held> held;
  std::string unsent;  // the rest of a held answer, for finishHeld()
  bool close_after_unsent = false;
  bool busy = false;       // guarded by mu_: a thread is serving it (it is not armed), or its
                           // answer is held
  int64_t idle_since = 0;  // guarded by mu_
};

std::string HttpConnectionPool::refusal(int status, const std::string& code,
                                        const std::string& message) const {
  ApiResponse res = errorResponse(status, code, message);
  const std::string id = randomId("req");
  res.headers.emplace_back("X-Request-Id", id);
  if (options_.metrics != nullptr) options_.metrics->observeRequest("unparsed", status, 0.0);
  Log::write(LogLevel::kInfo, "request",
             {{"request_id", id},
              {"route", "unparsed"},
              {"status", std::to_string(status)},
              {"error", code}});
  return serialize(res, true, false, false);
}

void HttpConnectionPool::refuseAndClose(Connection& c, int status, const std::string& code,
                                        const std::string& message) {
  sendAll(c.socket, refusal(status, code, message));
  lingerBeforeClose(c.socket);
}

HttpConnectionPool::HttpConnectionPool(Poco::Net::ServerSocket listener,
                                       ConnectionPoolOptions options, RequestHandler handler)
    : listener_(std::move(listener)), options_(options), handler_(std::move(handler)) {}

HttpConnectionPool::~HttpConnectionPool() {
  stop(std::chrono::seconds(10));
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (ready_fd_ >= 0) ::close(ready_fd_);
  if (finish_fd_ >= 0) ::close(finish_fd_);
}

Status HttpConnectionPool::start() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ready_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  finish_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC | EFD_SEMAPHORE);
  if (epoll_fd_ < 0 || wake_fd_ < 0 || ready_fd_ < 0 || finish_fd_ < 0)
    return Status::unavailable(std::string("cannot create the connection poll: ") +
                               std::strerror(errno));
  listener_.setBlocking(false);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = kListenerId;
  epoll_event wake{};
  wake.events = EPOLLIN;  // level-triggered and never read: wakes every thread
  wake.data.u64 = kWakeId;
  epoll_event ready{};
  ready.events = EPOLLIN | EPOLLONESHOT;  // one thread takes every ready answer
  ready.data.u64 = kReadyId;
  epoll_event finish{};
  finish.events = EPOLLIN | EPOLLONESHOT;  // one thread per connection to finish
  finish.data.u64 = kFinishId;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listener_.impl()->sockfd(), &ev) != 0 ||
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0 ||
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, ready_fd_, &ready) != 0 ||
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, finish_fd_, &finish) != 0)
    return Status::unavailable(std::string("cannot watch the listening socket: ") +
                               std::strerror(errno));
  next_sweep_ms_ = nowMs() + 1000;
  for (int i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([this] {
      nameCurrentThread("cw-http");
      run();
    });
  }
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
  // Busy connections are closed by their thread once the request is answered; those whose
  // answer is held, here once it is ready (the request threads stop taking events now).
  // Those are waited for however long it takes: their completion refers to this pool.
  const auto shut_down_at = std::chrono::steady_clock::now() + grace;
  bool shut_down = false;
  while (!connections_.empty()) {
    lock.unlock();
    sendReady();
    for (;;) {
      ConnectionPtr c;
      {
        std::lock_guard ready(ready_mu_);
        if (finishing_.empty()) break;
        c = std::move(finishing_.front());
        finishing_.pop_front();
      }
      finishHeld(c);  // closes it, since stopping_
    }
    lock.lock();
    if (!shut_down && std::chrono::steady_clock::now() >= shut_down_at) {
      shut_down = true;
      for (auto& [id, c] : connections_) {
        try {
          c->socket.shutdown();  // fails the blocked read or write of a request overstaying
        } catch (const Poco::Exception&) {
        }
      }
    }
    all_closed_.wait_for(lock, std::chrono::milliseconds(10),
                         [this] { return connections_.empty(); });
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
    } else if (n == 1 && ev.data.u64 == kReadyId) {
      sendReady();
    } else if (n == 1 && ev.data.u64 == kFinishId) {
      finishOne();
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
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        // Out of descriptors or memory: the pending connection stays ready, so re-arming at
        // once would spin. Wait a little for connections to close.
        Log::warn("cannot accept a connection", {{"error", std::strerror(errno)}});
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      break;
    }
    try {
      Poco::Net::StreamSocket socket(new Poco::Net::StreamSocketImpl(fd));  // owns fd
      std::lock_guard lock(mu_);
      if (stopping_ || connections_.size() >= options_.max_connections) continue;  // closes fd
      auto c = std::make_shared<Connection>(next_id_++, socket, options_);
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
    // Pipelined requests already in the reader's buffer never make the socket readable again.
    do {
      const Next next = answer(c);
      if (next == Next::kHeld) return;      // sendHeld() carries on once the answer is ready
      if (next == Next::kAwaitHead) break;  // back to epoll until more of it arrives
      open = next == Next::kKeepOpen && !stopping_;
    } while (open && hasBufferedRequest(c->reader));
  } catch (const Poco::Exception&) {
    open = false;  // the peer went away or stayed silent past the timeout
  } catch (const std::exception&) {
    open = false;  // the handler answers every request itself; this is a failed write
  }
  release(c, open);
}

void HttpConnectionPool::ready(const ConnectionPtr& c, const Status& status) {
  std::lock_guard lock(ready_mu_);
  // sendReady() reads the event fd before it takes the queue, so an answer queued behind
  // others is taken along with them and needs no signal of its own. The signal is written
  // under the lock: once sendReady() has taken the answer, the pool may stop and be destroyed.
  const bool signal = ready_.empty();
  ready_.emplace_back(c, status);
  const uint64_t one = 1;
  if (signal) (void)!::write(ready_fd_, &one, sizeof one);
}

void HttpConnectionPool::sendReady() {
  uint64_t count;
  (void)!::read(ready_fd_, &count, sizeof count);
  std::vector<std::pair<ConnectionPtr, Status>> batch;
  {
    std::lock_guard lock(ready_mu_);
    batch.swap(ready_);
  }
  // Re-armed before sending, so that answers ready meanwhile go to another thread.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = kReadyId;
  (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, ready_fd_, &ev);
  for (auto& [c, status] : batch) sendHeld(c, status);
}

void HttpConnectionPool::sendHeld(const ConnectionPtr& c, const Status& status) {
  // One thread sends a whole batch, so nothing here may wait on one client: the answer is
  // sent without waiting, and whatever would wait is finished on a thread of its own.
  try {
    Connection::Held held = std::move(*c->held);
    c->held.reset();
    std::string out = serialize(held.settle(status), held.http11, held.keep_alive, held.head_only);
    const ssize_t n =
        ::send(c->socket.impl()->sockfd(), out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      release(c, false);  // the client has gone
      return;
    }
    const size_t sent = n < 0 ? 0 : static_cast<size_t>(n);
    if (sent == out.size() && held.keep_alive && c->reader.buffered() == 0 && !stopping_) {
      release(c, true);  // the common case: back to epoll for the next request
      return;
    }
    c->unsent = out.substr(sent);
    c->close_after_unsent = !held.keep_alive;
  } catch (const std::exception&) {
    release(c, false);
    return;
  }
  queueFinish(c);
}

void HttpConnectionPool::queueFinish(const ConnectionPtr& c) {
  std::lock_guard lock(ready_mu_);
  finishing_.push_back(c);
  const uint64_t one = 1;
  (void)!::write(finish_fd_, &one, sizeof one);  // a semaphore: one count per connection
}

void HttpConnectionPool::finishOne() {
  uint64_t one;
  const bool counted = ::read(finish_fd_, &one, sizeof one) == sizeof one;
  // Re-armed whatever happens, so that the next one goes to another thread.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = kFinishId;
  (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, finish_fd_, &ev);
  if (!counted) return;
  ConnectionPtr c;
  {
    std::lock_guard lock(ready_mu_);
    if (finishing_.empty()) return;  // stop() finished it itself
    c = std::move(finishing_.front());
    finishing_.pop_front();
  }
  finishHeld(c);
}

void HttpConnectionPool::finishHeld(const ConnectionPtr& c) {
  bool open = false;
  try {
    if (stopping_) {
      // stop() finishes these itself and must not wait on a client: best effort, then close.
      (void)::send(c->socket.impl()->sockfd(), c->unsent.data(), c->unsent.size(),
                   MSG_DONTWAIT | MSG_NOSIGNAL);
    } else {
      if (!c->unsent.empty()) sendAll(c->socket, c->unsent);
      if (c->close_after_unsent) lingerBeforeClose(c->socket);
      open = !c->close_after_unsent;
    }
  } catch (const std::exception&) {
    open = false;  // a failed write (Poco's exceptions are std::exceptions too)
  }
  c->unsent.clear();
  if (open && hasBufferedRequest(c->reader)) {
    serve(c);  // a request pipelined behind the held one
    return;
  }
  release(c, open);
}

void HttpConnectionPool::release(const ConnectionPtr& c, bool open) {
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

HttpConnectionPool::Next HttpConnectionPool::answer(const ConnectionPtr& cp) {
  Connection& c = *cp;
  c.reader.clearDeadline();
  switch (readHead(c.reader, c.partial, options_.request_timeout)) {
    case HeadRead::kIncomplete:
      return Next::kAwaitHead;
    case HeadRead::kNoRequest:
      return Next::kClose;
    case HeadRead::kTimedOut:
      refuseAndClose(c, 408, "REQUEST_TIMEOUT", "the request head did not arrive in time");
      return Next::kClose;
    case HeadRead::kTooLarge:
      refuseAndClose(c, 400, "MALFORMED_REQUEST",
                     "the request head exceeds " + std::to_string(kMaxHeadBytes) + " bytes");
      return Next::kClose;
    case HeadRead::kComplete:
      break;
  }
  const std::string raw = std::move(c.partial.head);
  c.partial = PartialHead{};
  auto head = parseRequestHead(raw);
  // RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host.
  if (head.isOk() && head->http11 && head->find("Host") == nullptr)
    head = Status::invalidArgument("an HTTP/1.1 request needs a Host field");
  auto framing = head.isOk() ? bodyFraming(*head) : Result<BodyFraming>(head.status());
  if (!framing.isOk()) {
    // The rest of the stream cannot be framed, so the connection ends after the answer.
    refuseAndClose(c, 400, "MALFORMED_REQUEST", framing.status().message());
    return Next::kClose;
  }
  // When the handler starts to read the body: the body's clock starts (a grace period, then at
  // least the minimum data rate, so the server's own time before it reads does not count), and
  // the interim 100 Continue goes out, so a client that gets 401 or 413 is not asked to upload
  // a body that will not be read.
  std::function<void()> before_first_read = [this, &c, expect = head->expectContinue()] {
    c.reader.setDeadline(nowMs() + options_.request_timeout.count(),
                         options_.min_body_bytes_per_second);
    if (!expect) return;
    try {
      sendAll(c.socket, "HTTP/1.1 100 Continue\r\n\r\n");
    } catch (const Poco::Exception&) {
      throw ApiError(400, "MALFORMED_REQUEST", "the connection failed while the body was read");
    }
  };
  std::unique_ptr<std::istream> body;
  ChunkedBodyStream* chunked = nullptr;
  FixedLengthBodyStream* fixed = nullptr;
  std::optional<uint64_t> content_length;
  if (framing->chunked) {
    auto stream =
        std::make_unique<ChunkedBodyStream>([&c, hook = std::move(before_first_read)]() mutable {
          if (hook) std::exchange(hook, nullptr)();
          char ch;
          return readBodyBytes(c.reader, &ch, 1) == 0 ? std::char_traits<char>::eof()
                                                      : static_cast<unsigned char>(ch);
        });
    chunked = stream.get();
    body = std::move(stream);
  } else {
    if (head->find("Content-Length") != nullptr) content_length = framing->length;
    auto stream = std::make_unique<FixedLengthBodyStream>(c.reader, framing->length,
                                                          std::move(before_first_read));
    fixed = stream.get();
    body = std::move(stream);
  }
  ApiResponse res = handler_(*head, *body, content_length);
  // A body the handler did not read to its end (a 401 or 413 before reading, a route that takes
  // none) would be read as the next request: the connection ends after this answer instead.
  // A chunked body counts as read only if its last chunk and trailers were: a malformed one
  // never leaves bytes to be taken for a request.
  const bool body_done = chunked != nullptr ? chunked->complete() : fixed->complete();
  const bool keep_alive = head->keepAlive() && body_done;
  const bool head_only = head->method == "HEAD";
  if (res.deferred) {
    // Held, not sent: no thread waits for it. Nothing here touches the connection after
    // when_ready(), whose callback may already run on another thread.
    c.held = Connection::Held{std::move(res.deferred->settle), head->http11, keep_alive, head_only};
    auto when_ready = std::move(res.deferred->when_ready);
    when_ready([this, cp](const Status& status) { ready(cp, status); });
    return Next::kHeld;
  }
  sendAll(c.socket, serialize(res, head->http11, keep_alive, head_only));
  if (!keep_alive) lingerBeforeClose(c.socket);
  return keep_alive ? Next::kKeepOpen : Next::kClose;
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
    if (c->busy) continue;
    // A head under way has the request deadline; a connection between requests, the
    // keep-alive timeout.
    const bool in_head = c->partial.started_ms != 0;
    const bool head_late =
        in_head && now - c->partial.started_ms >= options_.request_timeout.count();
    if (in_head ? !head_late : now - c->idle_since < options_.keep_alive_timeout.count()) continue;
    // A request that arrived while every thread was busy waits in the socket, not yet taken
    // by any thread: that connection is not idle (and a late head is answered by that thread).
    const int fd = c->socket.impl()->sockfd();
    int unread = 0;
    if (::ioctl(fd, FIONREAD, &unread) == 0 && unread > 0) continue;
    if (head_late && !c->partial.head.empty()) {
      // Best effort and without waiting: the sweeping thread must not block on one client.
      const std::string answer =
          refusal(408, "REQUEST_TIMEOUT", "the request head did not arrive in time");
      (void)::send(fd, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    closeLocked(c);
  }
}

}  // namespace callwarden::server
