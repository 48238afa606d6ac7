// The HTTP connection loop (server/KeepAliveConnection), over raw sockets: keep-alive and
// pipelined requests, malformed requests, and a stop that does not wait for idle clients.

#include "server/KeepAliveConnection.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "server/Auth.h"
#include "server/HttpServer.h"
#include "server/Metrics.h"
#include "server/Router.h"

namespace callwarden::server {
namespace {

class KeepAliveConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add({"GET", "/v1/ping", {}, BodyKind::kNone, [](ApiRequest&) {
                   Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                   o->set("pong", true);
                   return ApiResponse::json(200, o);
                 }});
    auth_ = std::make_unique<Authenticator>(std::vector<ApiKey>{});
    ctx_.router = &router_;
    ctx_.authenticator = auth_.get();
    ctx_.metrics = &metrics_;
    ctx_.max_body_bytes = 1024;
    HttpServerOptions opts;
    opts.port = 0;
    server_ = std::make_unique<HttpServer>(ctx_, opts);
    ASSERT_TRUE(server_->start().isOk());
  }
  void TearDown() override { server_->stop(); }

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
  static int countOf(const std::string& hay, const std::string& needle) {
    int n = 0;
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
  }

  Router router_;
  Metrics metrics_;
  std::unique_ptr<Authenticator> auth_;
  ServerContext ctx_;
  std::unique_ptr<HttpServer> server_;
};

constexpr const char* kPing = "GET /v1/ping HTTP/1.1\r\nHost: t\r\n\r\n";

TEST_F(KeepAliveConnectionTest, ServesSeveralRequestsOnOneConnection) {
  auto s = connect();
  for (int i = 0; i < 3; ++i) {
    sendAll(s, kPing);
    std::string r = readResponses(s, 1);
    EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
    EXPECT_NE(r.find("\"pong\":true"), std::string::npos) << r;
  }
}

TEST_F(KeepAliveConnectionTest, AnswersPipelinedRequestsInOrder) {
  auto s = connect();
  sendAll(s, std::string(kPing) + kPing + kPing);
  std::string r = readResponses(s, 3);
  EXPECT_EQ(countOf(r, "HTTP/1.1 200"), 3) << r;
}

TEST_F(KeepAliveConnectionTest, MalformedRequestGets400AndTheConnectionCloses) {
  for (const char* bad : {"NOT A REQUEST\r\n\r\n", "GET /v1/ping HTTP/9.9\r\nHost: t\r\n\r\n"}) {
    auto s = connect();
    sendAll(s, bad);
    std::string r = readResponses(s, 1);
    EXPECT_EQ(r.rfind("HTTP/1.1 400", 0), 0u) << bad << "\n" << r;
    char c;
    EXPECT_EQ(s.receiveBytes(&c, 1), 0) << bad;  // closed by the server
  }
}

TEST_F(KeepAliveConnectionTest, ConnectionCloseIsHonoured) {
  auto s = connect();
  sendAll(s, "GET /v1/ping HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  std::string r = readResponses(s, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  char c;
  EXPECT_EQ(s.receiveBytes(&c, 1), 0);
}

TEST_F(KeepAliveConnectionTest, StopClosesIdleConnectionsWithoutWaitingForTheirTimeout) {
  auto s = connect();
  sendAll(s, kPing);
  ASSERT_EQ(readResponses(s, 1).rfind("HTTP/1.1 200", 0), 0u);
  // The connection is now idle, waiting in recv() for a request that never comes.
  const auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  char c;
  EXPECT_EQ(s.receiveBytes(&c, 1), 0);
}

}  // namespace
}  // namespace callwarden::server
