// The HTTP connection pool (server/HttpConnectionPool), over raw sockets: keep-alive and
// pipelined requests, malformed requests, more connections than threads, idle timeouts,
// request deadlines against trickling clients, a stop that does not wait for idle clients,
// and running out of descriptors.

#include "server/HttpConnectionPool.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/Auth.h"
#include "server/HttpServer.h"
#include "server/Metrics.h"
#include "server/Router.h"

namespace callwarden::server {
namespace {

class HttpConnectionPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add({"GET", "/v1/ping", {}, BodyKind::kNone, [](ApiRequest&) {
                   Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                   o->set("pong", true);
                   return ApiResponse::json(200, o);
                 }});
    // Answers with the body's length, or without reading the body at all.
    router_.add({"POST", "/v1/size", {}, BodyKind::kJson, [](ApiRequest& r) {
                   return ApiResponse::jsonText(200, std::to_string(r.raw_body.size()));
                 }});
    // Holds its thread for longer than the idle sweep's period.
    router_.add({"GET", "/v1/slow", {}, BodyKind::kNone, [](ApiRequest&) {
                   std::this_thread::sleep_for(std::chrono::milliseconds(1500));
                   return ApiResponse::jsonText(200, "0");
                 }});
    router_.add({"POST", "/v1/ignore", {}, BodyKind::kNone, [](ApiRequest&) {
                   return ApiResponse::jsonText(200, "0");
                 }});
    // Needs a token; the authenticator knows none, so every request gets 401.
    router_.add({"POST", "/v1/secure", {Scope::kDialer}, BodyKind::kJson, [](ApiRequest&) {
                   return ApiResponse::jsonText(200, "0");
                 }});
    // An answer that may leave only once "audit record" 7 is flushed; the flushes are
    // finished by the test (finishFlushes).
    router_.add({"POST", "/v1/held", {}, BodyKind::kNone, [this](ApiRequest& r) {
                   if (!r.can_defer) return ApiResponse::jsonText(200, "\"not held\"");
                   ApiResponse res;
                   res.deferred = ApiResponse::Deferred{
                       [this](std::function<void(const Status&)> done) {
                         std::lock_guard lock(flush_mu_);
                         pending_flushes_.push_back(std::move(done));
                       },
                       [](const Status& flushed) {
                         return ApiResponse::jsonText(
                             200, flushed.isOk() ? "\"durable\"" : "\"denied\"");
                       }};
                   return res;
                 }});
    auth_ = std::make_unique<Authenticator>(std::vector<ApiKey>{});
    ctx_.router = &router_;
    ctx_.authenticator = auth_.get();
    ctx_.metrics = &metrics_;
    ctx_.max_body_bytes = 1024;
    HttpServerOptions opts;
    opts.port = 0;
    startServer(opts);
  }
  // Restarts the server with the default options (on a free port) changed by `change`.
  void restartWith(const std::function<void(HttpServerOptions&)>& change) {
    HttpServerOptions opts;
    opts.port = 0;
    change(opts);
    startServer(opts);
  }
  void startServer(const HttpServerOptions& opts) {
    if (server_) server_->stop();
    server_ = std::make_unique<HttpServer>(ctx_, opts);
    ASSERT_TRUE(server_->start().isOk());
  }
  void TearDown() override {
    finishFlushes(Status::unavailable("test over"));
    server_->stop();
  }

  // Waits until `n` held answers wait for their flush.
  bool waitForHeld(size_t n) {
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard lock(flush_mu_);
        if (pending_flushes_.size() >= n) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  // Tells every held answer how its flush went.
  void finishFlushes(const Status& status) {
    std::vector<std::function<void(const Status&)>> done;
    {
      std::lock_guard lock(flush_mu_);
      done.swap(pending_flushes_);
    }
    for (auto& d : done) d(status);
  }

  Poco::Net::StreamSocket connect() {
    Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server_->port()));
    s.setReceiveTimeout(Poco::Timespan(5, 0));
    return s;
  }
  static void sendAll(Poco::Net::StreamSocket& s, const std::string& data) {
    ASSERT_EQ(s.sendBytes(data.data(), static_cast<int>(data.size())),
              static_cast<int>(data.size()));
  }
  // Reads until `count` responses with a complete body have arrived or the peer closes.
  static std::string readResponses(Poco::Net::StreamSocket& s, int count) {
    std::string in;
    char buf[4096];
    for (;;) {
      size_t pos = 0;
      int complete = 0;
      while (complete < count) {
        size_t head_end = in.find("\r\n\r\n", pos);
        if (head_end == std::string::npos) break;
        size_t cl = in.find("Content-Length: ", pos);
        if (cl == std::string::npos || cl > head_end) break;
        size_t len = std::stoul(in.substr(cl + 16));
        if (in.size() < head_end + 4 + len) break;
        pos = head_end + 4 + len;
        ++complete;
      }
      if (complete == count) return in;
      int n = s.receiveBytes(buf, sizeof buf);
      if (n <= 0) return in;
      in.append(buf, static_cast<size_t>(n));
    }
  }
  // Sends `request` on a new connection: the answer must start with `status_line`, and the
  // server must close the connection after it. Returns the answer.
  std::string expectAnswerThenClose(const std::string& request, const std::string& status_line) {
    auto s = connect();
    sendAll(s, request);
    std::string r = readResponses(s, 1);
    EXPECT_EQ(r.rfind(status_line, 0), 0u) << request.substr(0, 80) << "\n" << r.substr(0, 200);
    char c;
    EXPECT_EQ(s.receiveBytes(&c, 1), 0) << request.substr(0, 80);  // closed by the server
    return r;
  }
  static int countOf(const std::string& hay, const std::string& needle) {
    int n = 0;
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
  }

  Router router_;
  std::mutex flush_mu_;
  std::vector<std::function<void(const Status&)>> pending_flushes_;  // guarded by flush_mu_
  Metrics metrics_;
  std::unique_ptr<Authenticator> auth_;
  ServerContext ctx_;
  std::unique_ptr<HttpServer> server_;
};

constexpr const char* kPing = "GET /v1/ping HTTP/1.1\r\nHost: t\r\n\r\n";

TEST_F(HttpConnectionPoolTest, ServesSeveralRequestsOnOneConnection) {
  auto s = connect();
  for (int i = 0; i < 3; ++i) {
    sendAll(s, kPing);
    std::string r = readResponses(s, 1);
    EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
    EXPECT_NE(r.find("\"pong\":true"), std::string::npos) << r;
  }
}

TEST_F(HttpConnectionPoolTest, AnswersPipelinedRequestsInOrder) {
  auto s = connect();
  sendAll(s, std::string(kPing) + kPing + kPing);
  std::string r = readResponses(s, 3);
  EXPECT_EQ(countOf(r, "HTTP/1.1 200"), 3) << r;
}

TEST_F(HttpConnectionPoolTest, MalformedRequestGets400AndTheConnectionCloses) {
  for (const char* bad : {"NOT A REQUEST\r\n\r\n", "GET /v1/ping HTTP/9.9\r\nHost: t\r\n\r\n"})
    expectAnswerThenClose(bad, "HTTP/1.1 400");
  // The dispatcher never saw them, but they are counted like every answer.
  EXPECT_NE(
      metrics_.render().find(R"(callwarden_http_requests_total{route="unparsed",status="400"} 2)"),
      std::string::npos)
      << metrics_.render();
}

TEST_F(HttpConnectionPoolTest, ConnectionCloseIsHonoured) {
  expectAnswerThenClose("GET /v1/ping HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                        "HTTP/1.1 200");
}

TEST_F(HttpConnectionPoolTest, StopClosesIdleConnectionsWithoutWaitingForTheirTimeout) {
  auto s = connect();
  sendAll(s, kPing);
  ASSERT_EQ(readResponses(s, 1).rfind("HTTP/1.1 200", 0), 0u);
  // The connection is now idle, waiting for a request that never comes.
  const auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  char c;
  EXPECT_EQ(s.receiveBytes(&c, 1), 0);
}

// Idle keep-alive connections hold no thread: two threads serve six open connections, each
// asking in turn (one thread per connection would leave the last four queued).
TEST_F(HttpConnectionPoolTest, ServesMoreOpenConnectionsThanThreads) {
  restartWith([](HttpServerOptions& o) { o.threads = 2; });
  std::vector<Poco::Net::StreamSocket> conns;
  for (int i = 0; i < 6; ++i) conns.push_back(connect());
  for (int round = 0; round < 2; ++round) {
    for (auto& s : conns) {
      sendAll(s, kPing);
      std::string r = readResponses(s, 1);
      EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
    }
  }
}

TEST_F(HttpConnectionPoolTest, RequestArrivingInPiecesIsAnswered) {
  auto s = connect();
  sendAll(s, "GET /v1/ping HTTP/1.1\r\nHo");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  sendAll(s, "st: t\r\n\r\n");
  std::string r = readResponses(s, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
}

TEST_F(HttpConnectionPoolTest, IdleConnectionIsClosedAfterTheKeepAliveTimeout) {
  restartWith([](HttpServerOptions& o) { o.keep_alive_timeout = std::chrono::milliseconds(200); });
  auto s = connect();
  sendAll(s, kPing);
  ASSERT_EQ(readResponses(s, 1).rfind("HTTP/1.1 200", 0), 0u);
  const auto t0 = std::chrono::steady_clock::now();
  char c;
  EXPECT_EQ(s.receiveBytes(&c, 1), 0);  // closed by the server (the socket waits up to 5 s)
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

// A request that arrives while every thread is busy waits until one is free: the idle sweep
// must not take its connection for an idle one, however long the wait.
TEST_F(HttpConnectionPoolTest, RequestWaitingForAThreadIsNotSweptAsIdle) {
  restartWith([](HttpServerOptions& o) {
    o.threads = 1;
    o.keep_alive_timeout = std::chrono::milliseconds(200);
  });
  auto waiting = connect();
  auto busy = connect();
  sendAll(busy, "GET /v1/slow HTTP/1.1\r\nHost: t\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the one thread is taken
  sendAll(waiting, kPing);
  EXPECT_EQ(readResponses(busy, 1).rfind("HTTP/1.1 200", 0), 0u);
  const std::string r = readResponses(waiting, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
}

// A client that stops halfway through its head gets 408 at the request deadline, and the
// connection ends.
TEST_F(HttpConnectionPoolTest, HalfSentRequestGets408AndFreesItsThread) {
  restartWith([](HttpServerOptions& o) {
    o.threads = 1;
    o.request_timeout = std::chrono::milliseconds(200);
  });
  auto stalled = connect();
  sendAll(stalled, "GET /v1/ping HTTP/1.1\r\nHo");
  std::string r = readResponses(stalled, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 408", 0), 0u) << r;
  EXPECT_NE(r.find("REQUEST_TIMEOUT"), std::string::npos) << r;
  auto s = connect();
  sendAll(s, kPing);
  EXPECT_EQ(readResponses(s, 1).rfind("HTTP/1.1 200", 0), 0u);
}

// A head is read as it arrives, without a thread waiting for the rest: with one thread, a
// client that stops halfway through its head does not delay another client's request (it used
// to, until the first one timed out).
TEST_F(HttpConnectionPoolTest, HalfSentHeadHoldsNoThread) {
  restartWith([](HttpServerOptions& o) {
    o.threads = 1;
    o.request_timeout = std::chrono::milliseconds(3000);
  });
  auto stalled = connect();
  sendAll(stalled, "GET /v1/ping HTTP/1.1\r\nHo");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // taken by the one thread
  const auto start = std::chrono::steady_clock::now();
  auto s = connect();
  sendAll(s, kPing);
  EXPECT_EQ(readResponses(s, 1).rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
  sendAll(stalled, "st: t\r\n\r\n");  // the rest of it, still in time
  EXPECT_EQ(readResponses(stalled, 1).rfind("HTTP/1.1 200", 0), 0u);
}

// Empty lines alone are not a request: past the deadline the connection closes without an
// answer (an unasked-for 408 could be read as the answer to a request sent just then).
TEST_F(HttpConnectionPoolTest, EmptyLinesAloneCloseQuietlyAtTheDeadline) {
  restartWith([](HttpServerOptions& o) { o.request_timeout = std::chrono::milliseconds(200); });
  auto s = connect();
  sendAll(s, "\r\n");
  char buf[64];
  EXPECT_EQ(s.receiveBytes(buf, sizeof buf), 0);
}

// Sends `data` a byte at a time, `gap` apart, until it is all sent or the server answers;
// returns what the server answered and how long that took.
std::pair<std::string, std::chrono::milliseconds> trickle(Poco::Net::StreamSocket& s,
                                                          const std::string& data,
                                                          std::chrono::milliseconds gap) {
  const auto start = std::chrono::steady_clock::now();
  s.setNoDelay(true);
  s.setReceiveTimeout(Poco::Timespan(0, static_cast<long>(gap.count()) * 1000));
  std::string answer;
  for (char c : data) {
    try {
      s.sendBytes(&c, 1);
    } catch (const Poco::Exception&) {
      break;  // closed after the answer
    }
    char buf[4096];
    try {
      int n = s.receiveBytes(buf, sizeof buf);
      if (n <= 0) break;
      answer.append(buf, static_cast<size_t>(n));
      break;
    } catch (const Poco::TimeoutException&) {
    }
  }
  s.setReceiveTimeout(Poco::Timespan(5, 0));
  return {answer, std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)};
}

// POST /v1/size with its head at once and a JSON body of about `padding` bytes trickled a byte
// every 20 ms (about 50 bytes a second).
std::pair<std::string, std::chrono::milliseconds> trickleJsonBody(Poco::Net::StreamSocket& s,
                                                                  size_t padding) {
  const std::string body = "{\"a\":\"" + std::string(padding, 'x') + "\"}";
  const std::string head =
      "POST /v1/size HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";
  s.sendBytes(head.data(), static_cast<int>(head.size()));
  return trickle(s, body, std::chrono::milliseconds(20));
}

// Each byte arrives well inside the keep-alive timeout, which used to bound each read and
// nothing else: a client could hold a thread for as long as it kept trickling.
TEST_F(HttpConnectionPoolTest, TrickledHeadGets408AtTheRequestDeadline) {
  restartWith([](HttpServerOptions& o) {
    o.threads = 1;
    o.keep_alive_timeout = std::chrono::milliseconds(1000);
    o.request_timeout = std::chrono::milliseconds(300);
  });
  auto s = connect();
  auto [answer, took] = trickle(
      s, "GET /v1/ping HTTP/1.1\r\nHost: t\r\nX-Padding: " + std::string(200, 'a') + "\r\n\r\n",
      std::chrono::milliseconds(20));
  EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
  EXPECT_LT(took, std::chrono::milliseconds(2000));
}

TEST_F(HttpConnectionPoolTest, TrickledBodyBelowTheMinimumRateGets408) {
  // The trickle below sends 50 bytes a second.
  restartWith([](HttpServerOptions& o) {
    o.threads = 1;
    o.keep_alive_timeout = std::chrono::milliseconds(1000);
    o.request_timeout = std::chrono::milliseconds(200);
    o.min_body_bytes_per_second = 100;
  });
  auto s = connect();
  auto [answer, took] = trickleJsonBody(s, 500);
  EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
  EXPECT_NE(answer.find("REQUEST_TIMEOUT"), std::string::npos) << answer;
  EXPECT_LT(took, std::chrono::milliseconds(3000));
}

// A body at the minimum rate is read, however long it takes past the grace period.
TEST_F(HttpConnectionPoolTest, BodyAboveTheMinimumRateIsRead) {
  // The trickle sends about 50 bytes a second.
  restartWith([](HttpServerOptions& o) {
    o.request_timeout = std::chrono::milliseconds(100);
    o.min_body_bytes_per_second = 20;
  });
  auto s = connect();
  auto [answer, took] = trickleJsonBody(s, 20);
  if (answer.empty()) answer = readResponses(s, 1);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_GT(took, std::chrono::milliseconds(300));  // well past the grace period
}

// The connection ends before Content-Length bytes: the route must not see a cut-off body as
// the whole of it (Poco's stream ended the body quietly there).
TEST_F(HttpConnectionPoolTest, BodyCutShortByTheClientIsRefused) {
  auto s = connect();
  sendAll(s,
          "POST /v1/size HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
          "Content-Length: 10\r\n\r\n{}");
  s.shutdownSend();
  std::string r = readResponses(s, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 400", 0), 0u) << r;
  EXPECT_NE(r.find("MALFORMED_REQUEST"), std::string::npos) << r;
}

constexpr const char* kChunkedPost =
    "POST /v1/size HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n\r\n";

TEST_F(HttpConnectionPoolTest, ChunkedBodyIsDecoded) {
  auto s = connect();
  sendAll(s, kChunkedPost + std::string("4\r\n{\"a\"\r\n4\r\n:12}\r\n0\r\n\r\n") + kPing);
  std::string r = readResponses(s, 2);
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_NE(r.find("\r\n\r\n8"), std::string::npos) << r;
  EXPECT_EQ(countOf(r, "HTTP/1.1 200"), 2) << r;  // the next request is read after the body
}

// Chunk extensions and trailers are read past; the next request follows.
TEST_F(HttpConnectionPoolTest, ChunkExtensionsAndTrailersAreSkipped) {
  auto s = connect();
  sendAll(s, kChunkedPost + std::string("2;name=value\r\n{}\r\n0\r\nX-Trailer: 1\r\n\r\n") + kPing);
  std::string r = readResponses(s, 2);
  EXPECT_NE(r.find("\r\n\r\n2"), std::string::npos) << r;
  EXPECT_EQ(countOf(r, "HTTP/1.1 200"), 2) << r;
}

// Poco's decoder took a bad chunk-size line for the end of the body, so what followed was
// served as a second request: a request smuggled past any proxy that framed it correctly.
TEST_F(HttpConnectionPoolTest, MalformedChunkedBodyGets400AndNothingAfterItIsServed) {
  for (const std::string& chunks : {std::string("2\r\n{}XGET /v1/ping HTTP/1.1\r\nHost: t\r\n\r\n"),
                                    std::string("zz\r\n{}\r\n0\r\n\r\n") + kPing,
                                    std::string("1234567890abcdef0\r\n{}\r\n0\r\n\r\n") + kPing}) {
    std::string r = expectAnswerThenClose(kChunkedPost + chunks, "HTTP/1.1 400");
    EXPECT_NE(r.find("MALFORMED_REQUEST"), std::string::npos) << r;
    EXPECT_EQ(countOf(r, "HTTP/1.1 "), 1) << r;
  }
}

// Empty lines before a request are allowed, but not without end.
// Chunk extensions are bounded per body too: the minimum data rate counts bytes on the wire,
// so a body of one-byte chunks with long extensions must not stretch its deadline.
TEST_F(HttpConnectionPoolTest, ChunkExtensionsBeyond64KiBPerBodyGet400) {
  std::string chunks;
  for (int i = 0; i < 70; ++i) chunks += "1;x=" + std::string(1000, 'e') + "\r\n{\r\n";
  std::string r = expectAnswerThenClose(kChunkedPost + chunks, "HTTP/1.1 400");
  EXPECT_NE(r.find("chunk extensions too large"), std::string::npos) << r.substr(0, 300);
}

TEST_F(HttpConnectionPoolTest, EndlessEmptyLinesBeforeARequestGet400) {
  std::string r = expectAnswerThenClose(std::string(70 * 1024, '\n') + kPing, "HTTP/1.1 400");
  EXPECT_NE(r.find("MALFORMED_REQUEST"), std::string::npos) << r;
  EXPECT_NE(r.find("X-Request-Id: req_"), std::string::npos) << r;
}

// A body the route never reads is never taken for the next request: the answer says
// "Connection: close" and the connection ends.
TEST_F(HttpConnectionPoolTest, UnreadBodyEndsTheConnectionInsteadOfBecomingARequest) {
  auto s = connect();
  sendAll(s, "POST /v1/ignore HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                 std::to_string(std::string(kPing).size()) + "\r\n\r\n" + kPing);
  std::string r = readResponses(s, 2);
  EXPECT_EQ(countOf(r, "HTTP/1.1 200"), 1) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  EXPECT_EQ(r.find("\"pong\":true"), std::string::npos) << r;
}

constexpr const char* kHeld = "POST /v1/held HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n";

// True if nothing arrives on `s` within `ms`.
bool silentFor(Poco::Net::StreamSocket& s, int ms) {
  s.setReceiveTimeout(Poco::Timespan(0, ms * 1000));
  char c;
  bool silent = false;
  try {
    s.receiveBytes(&c, 1);
  } catch (const Poco::TimeoutException&) {
    silent = true;
  }
  s.setReceiveTimeout(Poco::Timespan(5, 0));
  return silent;
}

// An answer held for its audit flush leaves once the flush has finished, not before; and the
// request pipelined behind it is answered after it, in order.
TEST_F(HttpConnectionPoolTest, HeldAnswerLeavesAfterItsFlushAndBeforeTheNextAnswer) {
  auto s = connect();
  sendAll(s, std::string(kHeld) + kPing);
  ASSERT_TRUE(waitForHeld(1));
  EXPECT_TRUE(silentFor(s, 200));
  finishFlushes(Status::ok());
  std::string r = readResponses(s, 2);
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  const size_t durable = r.find("\"durable\"");
  const size_t pong = r.find("\"pong\":true");
  ASSERT_NE(durable, std::string::npos) << r;
  ASSERT_NE(pong, std::string::npos) << r;
  EXPECT_LT(durable, pong);
  EXPECT_NE(r.find("X-Request-Id: "), std::string::npos) << r;  // settled through the dispatcher
}

// A flush that fails sends the answer settle() makes of that (a deny), never the held one.
TEST_F(HttpConnectionPoolTest, FailedFlushSendsTheFailureAnswer) {
  auto s = connect();
  sendAll(s, kHeld);
  ASSERT_TRUE(waitForHeld(1));
  finishFlushes(Status::unavailable("disk gone"));
  std::string r = readResponses(s, 1);
  EXPECT_NE(r.find("\"denied\""), std::string::npos) << r;
  EXPECT_EQ(r.find("\"durable\""), std::string::npos) << r;
}

// No thread waits for the flush: with one thread, other requests are answered meanwhile.
TEST_F(HttpConnectionPoolTest, HeldAnswersHoldNoThread) {
  restartWith([](HttpServerOptions& o) { o.threads = 1; });
  std::vector<Poco::Net::StreamSocket> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(connect());
    sendAll(held.back(), kHeld);
  }
  ASSERT_TRUE(waitForHeld(3));
  auto s = connect();
  sendAll(s, kPing);
  EXPECT_EQ(readResponses(s, 1).rfind("HTTP/1.1 200", 0), 0u);
  finishFlushes(Status::ok());
  for (auto& h : held) EXPECT_NE(readResponses(h, 1).find("\"durable\""), std::string::npos);
}

// The thread that sends a batch of ready answers waits on no client: one that asked to close
// (its lingering close waits up to a second for it) does not delay the next one's answer.
TEST_F(HttpConnectionPoolTest, ASlowClientDoesNotDelayTheOtherReadyAnswers) {
  auto closing = connect();
  sendAll(closing, "POST /v1/held HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(waitForHeld(1));
  auto other = connect();
  sendAll(other, kHeld);
  ASSERT_TRUE(waitForHeld(2));
  const auto start = std::chrono::steady_clock::now();
  finishFlushes(Status::ok());  // one batch, the closing client first
  EXPECT_NE(readResponses(other, 1).find("\"durable\""), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  std::string r = readResponses(closing, 1);
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
}

// stop() waits for a held answer (its completion refers to the pool) and sends it.
TEST_F(HttpConnectionPoolTest, StopWaitsForHeldAnswers) {
  auto s = connect();
  sendAll(s, kHeld);
  ASSERT_TRUE(waitForHeld(1));
  std::thread stopper([&] { server_->stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  finishFlushes(Status::ok());
  stopper.join();
  EXPECT_NE(readResponses(s, 1).find("\"durable\""), std::string::npos);
}

TEST_F(HttpConnectionPoolTest, ExpectContinueOnAChunkedBodyGets100First) {
  auto s = connect();
  sendAll(
      s,
      std::string(kChunkedPost).insert(std::strlen(kChunkedPost) - 2, "Expect: 100-continue\r\n"));
  char buf[64];
  int n = s.receiveBytes(buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u);
  sendAll(s, "2\r\n{}\r\n0\r\n\r\n");
  std::string r = readResponses(s, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
}

TEST_F(HttpConnectionPoolTest, ExpectContinueGets100First) {
  auto s = connect();
  sendAll(s,
          "POST /v1/size HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
          "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  char buf[64];
  int n = s.receiveBytes(buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u);
  sendAll(s, "{}");
  std::string r = readResponses(s, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
}

// A request that will be refused before its body is read gets no 100 Continue: the client
// need not upload a body nobody reads (RFC 9110 §10.1.1).
TEST_F(HttpConnectionPoolTest, NoContinueBeforeARefusal) {
  auto s = connect();
  sendAll(s,
          "POST /v1/secure HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
          "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  std::string r = readResponses(s, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 401", 0), 0u) << r;
  EXPECT_EQ(r.find("100 Continue"), std::string::npos) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;  // the body was not read
}

TEST_F(HttpConnectionPoolTest, SmugglingShapedOrOversizedHeadsGet400AndClose) {
  for (const std::string& bad :
       {std::string("POST /v1/size HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                    "Content-Length: 3\r\n\r\n"),
        "GET /v1/ping HTTP/1.1\r\nX: " + std::string(70 * 1024, 'a') + "\r\n\r\n"}) {
    std::string r = expectAnswerThenClose(bad, "HTTP/1.1 400");
    EXPECT_NE(r.find("MALFORMED_REQUEST"), std::string::npos) << r.substr(0, 200);
    EXPECT_NE(r.find("Connection: close"), std::string::npos);
  }
}

TEST_F(HttpConnectionPoolTest, Http11WithoutHostGets400AndCloses) {
  std::string r = expectAnswerThenClose("GET /v1/ping HTTP/1.1\r\n\r\n", "HTTP/1.1 400");
  EXPECT_NE(r.find("MALFORMED_REQUEST"), std::string::npos) << r;
}

TEST_F(HttpConnectionPoolTest, Http10ClosesUnlessAskedToKeepAlive) {
  expectAnswerThenClose("GET /v1/ping HTTP/1.0\r\n\r\n", "HTTP/1.0 200");
}

// Lowers this process's descriptor limit and fills every free descriptor below it, so the
// test decides exactly when the next accept() fails with EMFILE. Restores both on exit.
class DescriptorSqueeze {
 public:
  DescriptorSqueeze() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    int highest = 0;
    for (int fd = 0; fd < 65536; ++fd)
      if (::fcntl(fd, F_GETFD) != -1) highest = fd;
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(highest) + 8;
    ::setrlimit(RLIMIT_NOFILE, &lowered);
    for (;;) {
      const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;  // EMFILE: every descriptor below the limit is taken
      fillers_.push_back(fd);
    }
  }
  ~DescriptorSqueeze() {
    for (int fd : fillers_) ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }
  /// Frees one descriptor for whoever opens one next.
  void release() {
    ::close(fillers_.back());
    fillers_.pop_back();
  }
  bool filled() const { return !fillers_.empty(); }

 private:
  rlimit saved_{};
  std::vector<int> fillers_;
};

double processCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Out of descriptors, accept() keeps failing while the connection waits in the backlog: the
// server must back off instead of spinning on the ready listener, keep serving the
// connections it has, and take the waiting one once a descriptor is free.
TEST_F(HttpConnectionPoolTest, OutOfDescriptorsBacksOffThenAcceptsTheWaitingConnection) {
  auto served = connect();
  sendAll(served, kPing);
  ASSERT_EQ(readResponses(served, 1).rfind("HTTP/1.1 200", 0), 0u);
  std::optional<Poco::Net::StreamSocket> waiting;
  {
    DescriptorSqueeze squeeze;
    ASSERT_TRUE(squeeze.filled());
    squeeze.release();  // for the client's socket; the server's accept() then gets EMFILE
    waiting = connect();
    sendAll(*waiting, kPing);
    const double cpu0 = processCpuSeconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    // A thread spinning on accept() would burn most of the half second.
    EXPECT_LT(processCpuSeconds() - cpu0, 0.2);
    waiting->setReceiveTimeout(Poco::Timespan(0, 1000));
    char c;
    EXPECT_THROW(waiting->receiveBytes(&c, 1), Poco::TimeoutException);  // not accepted yet
    // The connection accepted earlier is still served.
    sendAll(served, kPing);
    EXPECT_EQ(readResponses(served, 1).rfind("HTTP/1.1 200", 0), 0u);
    squeeze.release();  // for the server's accept()
    waiting->setReceiveTimeout(Poco::Timespan(5, 0));
    EXPECT_EQ(readResponses(*waiting, 1).rfind("HTTP/1.1 200", 0), 0u);
  }
}

}  // namespace
}  // namespace callwarden::server
