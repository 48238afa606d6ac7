#pragma once
// Serves HTTP/1.1 keep-alive connections with a fixed set of threads, each answering whichever
// connection has a request ready.
//
// Poco's TCPServer gives a connection one thread for its whole life, and the thread waits in
// recv() between requests. Dialers keep their connections open, so with `server.threads`
// connections open the next dialer waited in a queue until one of them closed. Here idle
// connections wait in one epoll set, each armed once (EPOLLONESHOT), and hold no thread; a
// thread that has answered a request takes the next ready connection, without sleeping if one
// is ready. (On the two-core benchmark VM this costs a check the same CPU as before: the
// client shares the cores, so a thread rarely finds the next request already waiting.)
//
// A request is read, handled and answered by one thread with blocking socket calls, so a
// handler may block (an audit flush, a Twilio call) without stalling the others. A request has
// a deadline (server/ConnectionReader): its head must arrive within `request_timeout` of its
// first byte, and its body at a minimum rate after that grace, so a client trickling bytes
// holds a thread for a bounded time (408). Writes are bounded by the send timeout. The head is
// parsed here (server/HttpRequestHead), the body decoded by server/FixedLengthBody or
// server/ChunkedBody, and the answer written in one send. Poco's request and response objects
// are not used: building them took a fifth of a call check's instructions.

#include <Poco/Net/ServerSocket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/SpinThenWaitMutex.h"
#include "common/Status.h"
#include "server/ApiMessage.h"
#include "server/HttpRequestHead.h"
#include "server/Metrics.h"

namespace callwarden::server {

/// What has arrived of a request head that has not arrived whole.
struct PartialHead {
  std::string head;
  size_t empty_lines = 0;  // CR or LF before the request line
  int64_t started_ms = 0;  // steady clock at its first byte; 0 before it
};

struct ConnectionPoolOptions {
  int threads = 16;
  /// An idle keep-alive connection is closed after this.
  std::chrono::milliseconds keep_alive_timeout{10000};
  /// A request head must arrive within this of its first byte (else 408 and close), and a
  /// body gets this long before the minimum rate below applies to it.
  std::chrono::milliseconds request_timeout{10000};
  /// After the grace period, a body must arrive at least this fast on average (else 408):
  /// bounds how long a client trickling bytes holds a thread, without cutting off a large
  /// list import on a slow link.
  uint64_t min_body_bytes_per_second = 4096;
  /// Bounds each write of an answer.
  std::chrono::milliseconds send_timeout{30000};
  /// Connections beyond this are closed as soon as they are accepted.
  size_t max_connections = 4096;
  /// Counts the pool's own refusals (may be null).
  Metrics* metrics = nullptr;
};

/// Answers one request: its head, its body (decoded; EOF at its end) and the Content-Length
/// the client declared, if any. May return an ApiResponse::deferred answer, which the pool
/// holds without a thread until it is ready. Must not throw.
using RequestHandler = std::function<ApiResponse(const HttpRequestHead&, std::istream& body,
                                                 std::optional<uint64_t> content_length)>;

class HttpConnectionPool {
 public:
  /// `listener` must be bound and listening.
  HttpConnectionPool(Poco::Net::ServerSocket listener, ConnectionPoolOptions options,
                     RequestHandler handler);
  ~HttpConnectionPool();
  HttpConnectionPool(const HttpConnectionPool&) = delete;
  HttpConnectionPool& operator=(const HttpConnectionPool&) = delete;

  Status start();
  /// Stops accepting, closes idle connections at once, lets each busy one finish the request it
  /// is answering (up to `grace`, then shuts its socket down), and joins the threads. A held
  /// answer is always waited for (an audit flush answers it, or close() of the log fails it),
  /// since its completion refers to this pool.
  void stop(std::chrono::milliseconds grace);

 private:
  struct Connection;
  using ConnectionPtr = std::shared_ptr<Connection>;

  enum class Next {
    kKeepOpen,   // answered; the connection stays open
    kClose,      // answered (or nothing to answer); the connection ends
    kHeld,       // the answer is held until it is ready (sendHeld() sends it)
    kAwaitHead,  // only part of a head has arrived
  };

  void run();
  void acceptAll();
  void serve(const ConnectionPtr& c);
  Next answer(const ConnectionPtr& c);  // one request
  /// Ends a turn of serving: re-arms the connection, or closes it.
  void release(const ConnectionPtr& c, bool open);
  /// From a held answer's when_ready: queues it for a request thread.
  void ready(const ConnectionPtr& c, const Status& status);
  /// Sends every held answer now ready, without waiting on any one client.
  void sendReady();
  void sendHeld(const ConnectionPtr& c, const Status& status);
  /// What sendHeld() could not do without waiting (the rest of an answer the socket buffer
  /// did not take, a lingering close, a request pipelined behind it), on a thread of its own.
  void queueFinish(const ConnectionPtr& c);
  void finishOne();
  void finishHeld(const ConnectionPtr& c);
  /// The pool's own answers, to requests the dispatcher never sees (a head that cannot be
  /// parsed or framed, or came too late): with a request id, logged and counted like the
  /// others under the route "unparsed". The connection ends after them.
  std::string refusal(int status, const std::string& code, const std::string& message) const;
  void refuseAndClose(Connection& c, int status, const std::string& code,
                      const std::string& message);
  void closeLocked(const ConnectionPtr& c);  // requires mu_
  void sweepIdle();

  Poco::Net::ServerSocket listener_;
  const ConnectionPoolOptions options_;
  RequestHandler handler_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;    // becomes readable, and stays so, when stop() begins
  int ready_fd_ = -1;   // readable when ready_ has answers to send
  int finish_fd_ = -1;  // a semaphore: one count per connection in finishing_

  std::mutex ready_mu_;
  std::vector<std::pair<ConnectionPtr, Status>> ready_;  // guarded by ready_mu_
  std::deque<ConnectionPtr> finishing_;                  // guarded by ready_mu_
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> next_sweep_ms_{0};  // steady clock, milliseconds
  std::mutex sweep_mu_;                    // one sweeper at a time

  SpinThenWaitMutex mu_;
  std::condition_variable_any all_closed_;
  std::map<uint64_t, ConnectionPtr> connections_;  // guarded by mu_
  uint64_t next_id_ = 4;  // guarded by mu_; 0-3 are the listener and the three event fds
};

}  // namespace callwarden::server
