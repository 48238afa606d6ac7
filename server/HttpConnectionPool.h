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
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/Status.h"
#include "server/ApiMessage.h"
#include "server/HttpRequestHead.h"

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
};

/// Answers one request: its head, its body (decoded; EOF at its end) and the Content-Length
/// the client declared, if any. `can_defer`: the pool will hold an ApiResponse::deferred
/// answer. Must not throw.
using RequestHandler =
    std::function<ApiResponse(const HttpRequestHead&, std::istream& body,
                              std::optional<uint64_t> content_length, bool can_defer)>;

/// Calls `done` once audit record `seq` is durable, or cannot be (ServerContext::when_durable).
using WhenDurable = std::function<void(uint64_t seq, std::function<void(const Status&)> done)>;

class HttpConnectionPool {
 public:
  /// `listener` must be bound and listening. With `when_durable`, a deferred answer is held
  /// without a thread until its audit record is flushed, then sent by whichever thread takes
  /// the flush's completion; without it, handlers are told they cannot defer.
  HttpConnectionPool(Poco::Net::ServerSocket listener, ConnectionPoolOptions options,
                     RequestHandler handler, WhenDurable when_durable = {});
  ~HttpConnectionPool();
  HttpConnectionPool(const HttpConnectionPool&) = delete;
  HttpConnectionPool& operator=(const HttpConnectionPool&) = delete;

  Status start();
  /// Stops accepting, closes idle connections at once, lets each busy one finish the request it
  /// is answering (up to `grace`, then shuts its socket down), and joins the threads. An answer
  /// held for its audit flush is always waited for (the flush answers it, or close() of the
  /// log fails it), since its completion refers to this pool.
  void stop(std::chrono::milliseconds grace);

 private:
  struct Connection;
  using ConnectionPtr = std::shared_ptr<Connection>;

  enum class Next {
    kKeepOpen,   // answered; the connection stays open
    kClose,      // answered (or nothing to answer); the connection ends
    kHeld,       // the answer waits for an audit flush (settle() sends it)
    kAwaitHead,  // only part of a head has arrived
  };

  void run();
  void acceptAll();
  void serve(const ConnectionPtr& c);
  Next answer(const ConnectionPtr& c);  // one request
  /// Ends a turn of serving: re-arms the connection, or closes it.
  void release(const ConnectionPtr& c, bool open);
  /// From when_durable: queues the held answer of `c` for a request thread.
  void flushed(const ConnectionPtr& c, const Status& status);
  /// Sends the held answers whose flushes have finished, then serves on.
  void settleFlushed();
  void settle(const ConnectionPtr& c, const Status& status);
  void closeLocked(const ConnectionPtr& c);  // requires mu_
  void sweepIdle();

  Poco::Net::ServerSocket listener_;
  const ConnectionPoolOptions options_;
  RequestHandler handler_;
  WhenDurable when_durable_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;     // becomes readable, and stays so, when stop() begins
  int flushed_fd_ = -1;  // readable when flushed_ has answers to send

  std::mutex flushed_mu_;
  std::vector<std::pair<ConnectionPtr, Status>> flushed_;  // guarded by flushed_mu_
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> next_sweep_ms_{0};  // steady clock, milliseconds
  std::mutex sweep_mu_;                    // one sweeper at a time

  std::mutex mu_;
  std::condition_variable all_closed_;
  std::map<uint64_t, ConnectionPtr> connections_;  // guarded by mu_
  uint64_t next_id_ = 3;  // guarded by mu_; 0-2 are the listener and the two event fds
};

}  // namespace callwarden::server
