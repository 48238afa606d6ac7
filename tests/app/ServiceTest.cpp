// The assembled service over HTTP: health, readiness, metrics.

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "TestServer.h"
#include "Unwritable.h"

namespace callwarden::testing {
namespace {

TEST(Service, HealthzNeedsNoToken) {
  TestServer s;
  auto r = s.get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()->getValue<std::string>("status"), "alive");
}

TEST(Service, ReadyzReportsEachCheck) {
  TestServer s;
  auto r = s.get("/readyz");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()->getObject("checks")->getValue<std::string>("store"), "ok");
  EXPECT_FALSE(r.json()->getValue<bool>("allow_client_time"));
}

TEST(Service, ReadyzFailsWhenTheStoreFileIsUnwritable) {
  TestServer s;
  ASSERT_EQ(s.get("/readyz").status, 200);
  Unwritable lock;
  const std::string db = s.dir().file("callwarden.db");
  if (!lock.apply({db, db + "-wal"})) GTEST_SKIP() << "cannot make files unwritable here";
  auto r = s.get("/readyz");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.errorField("code"), "NOT_READY");
  EXPECT_NE(r.errorField("message").find("store"), std::string::npos);
  EXPECT_NE(r.json()->getObject("checks")->getValue<std::string>("store").find("fail"),
            std::string::npos);
}

// server.request_timeout_ms reaches the HTTP server: a head left unfinished gets 408 then.
TEST(Service, RequestDeadlineComesFromTheConfig) {
  TestServer s([](app::Config& c) { c.server_request_timeout_ms = 300; });
  Poco::Net::StreamSocket client(Poco::Net::SocketAddress("127.0.0.1", s.port()));
  client.setReceiveTimeout(Poco::Timespan(5, 0));
  const std::string part = "GET /healthz HTTP/1.1\r\nHo";
  client.sendBytes(part.data(), static_cast<int>(part.size()));
  const auto start = std::chrono::steady_clock::now();
  char buf[512];
  const int n = client.receiveBytes(buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 408", 0), 0u);
  // The sweep that answers it runs about once a second; the default deadline would be 10 s.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(6));
}

TEST(Service, MetricsAreServedInPrometheusFormat) {
  TestServer s;
  s.get("/healthz");
  auto r = s.get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.headers["Content-Type"].find("text/plain"), std::string::npos);
  EXPECT_NE(r.body.find("callwarden_http_requests_total{route=\"/healthz\",status=\"200\"} 1"),
            std::string::npos);
}

TEST(Service, RestartKeepsServingOnTheSameFiles) {
  TestServer s;
  s.restart();
  EXPECT_EQ(s.get("/readyz").status, 200);
}

}  // namespace
}  // namespace callwarden::testing
