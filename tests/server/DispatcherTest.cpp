// The dispatcher's layers over a real Poco server on loopback: auth, routing, body limits,
// content types, the error shape, request ids, and the access log.

#include "server/Dispatcher.h"

#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "HttpClient.h"
#include "common/Log.h"
#include "common/PhoneMask.h"
#include "common/Sha256.h"
#include "server/ApiError.h"
#include "server/HttpRequestHead.h"
#include "server/HttpServer.h"
#include "server/JsonFields.h"

namespace callwarden::server {
namespace {

using testing::HttpRequestSpec;
using testing::HttpResult;

constexpr const char* kDialer = "dialer-secret-token";
constexpr const char* kAuditor = "auditor-secret-token";

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Log::setSink([this](const std::string& line) {
      std::lock_guard lock(log_mutex_);
      log_.push_back(line);
    });
    router_.add({"POST", "/v1/echo", {Scope::kDialer}, BodyKind::kJson, [](ApiRequest& r) {
                   JsonFields f(r.json);
                   f.rejectUnknown({"to", "n"});
                   Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                   o->set("to", maskPhone(f.requiredString("to", 16)));
                   if (auto n = f.optionalInt("n", 0, 10)) o->set("n", *n);
                   Log::info("echo", {{"to", maskPhone(f.requiredString("to", 16))}});
                   return ApiResponse::json(200, o);
                 }});
    router_.add({"GET",
                 "/v1/items/{id}",
                 {Scope::kDialer, Scope::kAuditor},
                 BodyKind::kNone,
                 [](ApiRequest& r) {
                   Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                   o->set("id", r.pathParam("id"));
                   return ApiResponse::json(200, o);
                 }});
    router_.add({"GET", "/v1/boom", {}, BodyKind::kNone, [](ApiRequest&) -> ApiResponse {
                   throw std::runtime_error("secret internal detail");
                 }});
    auth_ = std::make_unique<Authenticator>(
        std::vector<ApiKey>{{"dialer-1", sha256Hex(kDialer), {Scope::kDialer}},
                            {"auditor-1", sha256Hex(kAuditor), {Scope::kAuditor}}});
    ctx_.router = &router_;
    ctx_.authenticator = auth_.get();
    ctx_.metrics = &metrics_;
    ctx_.max_body_bytes = 1024;
    ctx_.on_auth_failure = [this](const ApiRequest& r, std::string_view reason) {
      auth_failures_.push_back(r.route + ":" + std::string(reason));
    };
    HttpServerOptions opts;
    opts.port = 0;
    server_ = std::make_unique<HttpServer>(ctx_, opts);
    ASSERT_TRUE(server_->start().isOk());
  }
  void TearDown() override {
    server_->stop();
    Log::setSink({});
  }

  HttpResult post(const std::string& body, const char* token = kDialer,
                  const std::string& ct = "application/json") {
    HttpRequestSpec spec;
    spec.method = "POST";
    spec.path = "/v1/echo";
    spec.body = body;
    spec.content_type = ct;
    if (token) spec.headers["Authorization"] = std::string("Bearer ") + token;
    return testing::httpRequest("127.0.0.1", server_->port(), spec);
  }
  HttpResult get(const std::string& path, const char* token = nullptr,
                 std::map<std::string, std::string> h = {}) {
    HttpRequestSpec spec;
    spec.path = path;
    spec.headers = std::move(h);
    if (token) spec.headers["Authorization"] = std::string("Bearer ") + token;
    return testing::httpRequest("127.0.0.1", server_->port(), spec);
  }
  std::string allLogs() {
    std::lock_guard lock(log_mutex_);
    std::string s;
    for (const auto& l : log_) s += l + "\n";
    return s;
  }

  Router router_;
  std::unique_ptr<Authenticator> auth_;
  Metrics metrics_;
  ServerContext ctx_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::string> auth_failures_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

TEST_F(DispatcherTest, AcceptsValidRequest) {
  auto r = post(R"({"to":"+15415550123","n":3})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()->getValue<std::string>("to"), "+1541555****");
}

TEST_F(DispatcherTest, MissingTokenIs401) {
  auto r = post(R"({"to":"+15415550123"})", nullptr);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.errorField("code"), "UNAUTHENTICATED");
  EXPECT_EQ(r.headers["WWW-Authenticate"], "Bearer");
  ASSERT_EQ(auth_failures_.size(), 1u);
  EXPECT_EQ(auth_failures_[0], "/v1/echo:unauthenticated");
}

TEST_F(DispatcherTest, WrongTokenIs401) {
  EXPECT_EQ(post(R"({"to":"+15415550123"})", "not-a-token").status, 401);
  HttpRequestSpec spec;
  spec.path = "/v1/items/7";
  spec.headers["Authorization"] = std::string("Basic ") + kDialer;
  EXPECT_EQ(testing::httpRequest("127.0.0.1", server_->port(), spec).status, 401);
}

TEST_F(DispatcherTest, TokenWithoutScopeIs403) {
  auto r = post(R"({"to":"+15415550123"})", kAuditor);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.errorField("code"), "FORBIDDEN");
  EXPECT_EQ(get("/v1/items/7", kAuditor).status, 200);  // any of the listed scopes grants access
}

TEST_F(DispatcherTest, MalformedJsonIs400) {
  for (const char* body : {"{", "[1,2]", "\"text\"", "{\"to\":}", ""}) {
    auto r = post(body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.errorField("code"), "MALFORMED_JSON") << body;
  }
}

TEST_F(DispatcherTest, DeepNestingIs400NotACrash) {
  std::string deep(1000, '[');
  auto r = post("{\"to\":" + deep + "}");
  EXPECT_EQ(r.status, 400);
}

TEST_F(DispatcherTest, OversizedBodyIs413) {
  std::string big = R"({"to":")" + std::string(2000, '1') + "\"}";
  auto r = post(big);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.errorField("code"), "BODY_TOO_LARGE");
}

TEST_F(DispatcherTest, OversizedChunkedBodyIs413) {
  HttpRequestSpec spec;
  spec.method = "POST";
  spec.path = "/v1/echo";
  spec.body = R"({"to":")" + std::string(5000, '1') + "\"}";
  spec.content_type = "application/json";
  spec.chunked = true;
  spec.headers["Authorization"] = std::string("Bearer ") + kDialer;
  EXPECT_EQ(testing::httpRequest("127.0.0.1", server_->port(), spec).status, 413);
}

TEST_F(DispatcherTest, WrongContentTypeIs415) {
  auto r = post(R"({"to":"+15415550123"})", kDialer, "text/plain");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.errorField("code"), "UNSUPPORTED_MEDIA_TYPE");
  EXPECT_EQ(post(R"({"to":"+15415550123"})", kDialer, "application/json; charset=utf-8").status,
            200);
}

TEST_F(DispatcherTest, UnknownRouteIs404AndWrongMethodIs405) {
  auto r = get("/v1/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.errorField("code"), "NOT_FOUND");
  auto m = get("/v1/echo");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.errorField("code"), "METHOD_NOT_ALLOWED");
  EXPECT_EQ(m.headers["Allow"], "POST");
}

// Path parameters are decoded after the path is split: an id with a '/' in it stays one
// segment. HEAD answers like GET, without the body.
TEST_F(DispatcherTest, PathParametersKeepAnEncodedSlashAndHeadIsGetWithoutABody) {
  auto r = get("/v1/items/acct%2F7", kDialer);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()->getValue<std::string>("id"), "acct/7");
  EXPECT_EQ(get("/v1/items/acct/7", kDialer).status, 404);
  // On one connection: HEAD (the next bytes after its head must be the next answer), then an
  // absolute-form GET whose encoded '/' must stay in its segment too.
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server_->port()));
  s.setReceiveTimeout(Poco::Timespan(5, 0));
  const std::string auth = std::string("Authorization: Bearer ") + kDialer + "\r\n";
  const std::string requests = "HEAD /v1/items/7 HTTP/1.1\r\nHost: t\r\n" + auth +
                               "\r\nGET http://t/v1/items/acct%2F8 HTTP/1.1\r\nHost: t\r\n" + auth +
                               "Connection: close\r\n\r\n";
  s.sendBytes(requests.data(), static_cast<int>(requests.size()));
  std::string answers;
  char buf[4096];
  for (int n; (n = s.receiveBytes(buf, sizeof buf)) > 0;)
    answers.append(buf, static_cast<size_t>(n));
  ASSERT_EQ(answers.rfind("HTTP/1.1 200", 0), 0u) << answers;
  EXPECT_NE(answers.find("Content-Length: 10"), std::string::npos) << answers;  // {"id":"7"}
  const size_t end_of_head = answers.find("\r\n\r\n");
  ASSERT_NE(end_of_head, std::string::npos);
  EXPECT_EQ(answers.compare(end_of_head + 4, 12, "HTTP/1.1 200"), 0) << answers;
  EXPECT_NE(answers.find(R"("id":"acct/8")"), std::string::npos) << answers;
  HttpRequestSpec head;
  head.method = "HEAD";
  head.path = "/v1/echo";
  head.headers["Authorization"] = std::string("Bearer ") + kDialer;
  EXPECT_EQ(testing::httpRequest("127.0.0.1", server_->port(), head).status, 405);
}

TEST_F(DispatcherTest, ValidationFailureIs422NamingTheField) {
  auto missing = post(R"({"n":1})");
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(missing.errorField("code"), "MISSING_FIELD");
  EXPECT_EQ(missing.errorField("field"), "to");
  auto wrong_type = post(R"({"to":5})");
  EXPECT_EQ(wrong_type.status, 422);
  EXPECT_EQ(wrong_type.errorField("field"), "to");
  auto too_long = post(R"({"to":"+1541555012345678901"})");
  EXPECT_EQ(too_long.status, 422);
  for (const char* n : {"true", "false", "1.5", "\"3\""}) {
    auto not_int = post(std::string(R"({"to":"+15415550123","n":)") + n + "}");
    EXPECT_EQ(not_int.status, 422) << n;
    EXPECT_EQ(not_int.errorField("field"), "n") << n;
  }
  auto out_of_range = post(R"({"to":"+15415550123","n":11})");
  EXPECT_EQ(out_of_range.status, 422);
  EXPECT_EQ(out_of_range.errorField("field"), "n");
  auto unknown = post(R"({"to":"+15415550123","subjectid":"x"})");
  EXPECT_EQ(unknown.status, 422);
  EXPECT_EQ(unknown.errorField("code"), "UNKNOWN_FIELD");
  EXPECT_EQ(unknown.errorField("field"), "subjectid");
}

TEST_F(DispatcherTest, UnexpectedExceptionIs500WithRequestIdAndNoInternals) {
  auto r = get("/v1/boom", nullptr, {{"X-Request-Id", "abc-123"}});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.errorField("code"), "INTERNAL");
  EXPECT_NE(r.errorField("message").find("abc-123"), std::string::npos);
  EXPECT_EQ(r.body.find("secret internal detail"), std::string::npos);
  // The server is still serving.
  EXPECT_EQ(get("/v1/items/1", kDialer).status, 200);
}

TEST_F(DispatcherTest, RequestIdIsEchoedOrGenerated) {
  auto given = get("/v1/items/1", kDialer, {{"X-Request-Id", "trace-42"}});
  EXPECT_EQ(given.headers["X-Request-Id"], "trace-42");
  auto generated = get("/v1/items/1", kDialer);
  EXPECT_EQ(generated.headers["X-Request-Id"].rfind("req_", 0), 0u);
  // An id with characters unsafe for logs is replaced, not echoed.
  auto unsafe = get("/v1/items/1", kDialer, {{"X-Request-Id", "bad id\"{}"}});
  EXPECT_EQ(unsafe.headers["X-Request-Id"].rfind("req_", 0), 0u);
  EXPECT_NE(allLogs().find("\"request_id\":\"trace-42\""), std::string::npos);
}

TEST_F(DispatcherTest, LogsNeverContainTokensOrFullNumbers) {
  post(R"({"to":"+15415550123"})");
  post(R"({"to":"+15415550123"})", "wrong-token-value");
  std::string logs = allLogs();
  EXPECT_EQ(logs.find(kDialer), std::string::npos);
  EXPECT_EQ(logs.find("wrong-token-value"), std::string::npos);
  EXPECT_EQ(logs.find("+15415550123"), std::string::npos);
  EXPECT_NE(logs.find("+1541555****"), std::string::npos);
}

TEST_F(DispatcherTest, MetricsCountRoutesByPattern) {
  get("/v1/items/1", kDialer);
  get("/v1/items/2", kDialer);
  std::string text = metrics_.render();
  EXPECT_NE(text.find("callwarden_http_requests_total{route=\"/v1/items/{id}\",status=\"200\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("callwarden_http_request_duration_seconds_count 2"), std::string::npos);
}

// Called directly, without the HTTP server: the dispatcher's own handling of deferred answers
// and of form bodies.
class DirectDispatch : public ::testing::Test {
 protected:
  DirectDispatch() : auth_(std::vector<ApiKey>{}) {
    // A deferred answer whose settle fails when told the record is not durable.
    router_.add({"POST", "/v1/deferred", {}, BodyKind::kNone, [](ApiRequest&) {
                   ApiResponse res;
                   res.deferred = ApiResponse::Deferred{
                       [](std::function<void(const Status&)> done) { done(Status::ok()); },
                       [](const Status& ready) -> ApiResponse {
                         if (!ready.isOk()) throw std::runtime_error("settle failed");
                         return ApiResponse::jsonText(200, "\"settled\"");
                       }};
                   return res;
                 }});
    router_.add({"POST", "/v1/form", {}, BodyKind::kForm, [](ApiRequest& r) {
                   return ApiResponse::jsonText(200, std::to_string(r.raw_body.size()));
                 }});
    ctx_.router = &router_;
    ctx_.authenticator = &auth_;
    ctx_.metrics = &metrics_;
    ctx_.max_body_bytes = 1 << 20;
  }
  ApiResponse post(const std::string& path, const std::string& type, const std::string& body,
                   bool can_defer) {
    auto head = parseRequestHead("POST " + path + " HTTP/1.1\r\nHost: t\r\nContent-Type: " + type +
                                 "\r\n\r\n");
    EXPECT_TRUE(head.isOk());
    std::istringstream in(body);
    return Dispatcher(ctx_).dispatch(*head, in, body.size(), can_defer);
  }
  Router router_;
  Authenticator auth_;
  Metrics metrics_;
  ServerContext ctx_;
};

// A handler must not defer an answer the transport cannot hold: that is a 500, never the
// answer it would have settled to.
TEST_F(DirectDispatch, ADeferredAnswerWithoutATransportToHoldItIs500) {
  ApiResponse res = post("/v1/deferred", "text/plain", "", /*can_defer=*/false);
  EXPECT_FALSE(res.deferred);
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.find("settled"), std::string::npos);
}

// A settle that throws is a 500 with the request id, like a handler that throws.
TEST_F(DirectDispatch, ASettleThatThrowsIs500) {
  ApiResponse held = post("/v1/deferred", "text/plain", "", /*can_defer=*/true);
  ASSERT_TRUE(held.deferred);
  ApiResponse ok = held.deferred->settle(Status::ok());
  EXPECT_EQ(ok.status, 200);
  held = post("/v1/deferred", "text/plain", "", true);
  ApiResponse failed = held.deferred->settle(Status::unavailable("flush failed"));
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.body.find("settle failed"), std::string::npos);  // internals stay in the log
  ASSERT_FALSE(failed.headers.empty());
  EXPECT_EQ(failed.headers.front().first, "X-Request-Id");
}

// Form bodies (Twilio's webhooks, read before any token check) are capped at 64 KiB whatever
// server.max_body_bytes allows.
TEST_F(DirectDispatch, FormBodiesAreCappedAt64KiB) {
  const std::string type = "application/x-www-form-urlencoded";
  EXPECT_EQ(post("/v1/form", type, "a=" + std::string(60 * 1024, 'x'), false).status, 200);
  ApiResponse big = post("/v1/form", type, "a=" + std::string(65 * 1024, 'x'), false);
  EXPECT_EQ(big.status, 413);
  EXPECT_NE(big.body.find("BODY_TOO_LARGE"), std::string::npos);
}

}  // namespace
}  // namespace callwarden::server
