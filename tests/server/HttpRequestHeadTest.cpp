// Request heads as the connection pool sees them (server/HttpRequestHead): what is accepted,
// what each malformed head is refused for, and how the body is framed.

#include "server/HttpRequestHead.h"

#include <gtest/gtest.h>

#include <string>

namespace callwarden::server {
namespace {

TEST(HttpRequestHead, ParsesRequestLineAndFields) {
  auto h = parseRequestHead(
      "POST /v1/calls/check?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type:  application/json \r\n"
      "X-Empty:\r\n\r\n");
  ASSERT_TRUE(h.isOk()) << h.status().message();
  EXPECT_EQ(h->method, "POST");
  EXPECT_EQ(h->target, "/v1/calls/check?x=1");
  EXPECT_TRUE(h->http11);
  ASSERT_EQ(h->fields.size(), 3u);
  ASSERT_NE(h->find("content-type"), nullptr);
  EXPECT_EQ(*h->find("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(*h->find("x-empty"), "");
  EXPECT_EQ(h->find("Authorization"), nullptr);
}

TEST(HttpRequestHead, AcceptsBareLineFeeds) {
  auto h = parseRequestHead("GET / HTTP/1.0\nHost: a\n\n");
  ASSERT_TRUE(h.isOk()) << h.status().message();
  EXPECT_FALSE(h->http11);
}

TEST(HttpRequestHead, KeepAliveAndExpectFollowTheVersion) {
  auto k = [](const std::string& head) { return parseRequestHead(head)->keepAlive(); };
  EXPECT_TRUE(k("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_FALSE(k("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n"));
  EXPECT_FALSE(
      k("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(k("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(k("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
  EXPECT_TRUE(parseRequestHead("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n\r\n")
                  ->expectContinue());
  EXPECT_FALSE(parseRequestHead("PUT / HTTP/1.1\r\nHost: a\r\n\r\n")->expectContinue());
  EXPECT_FALSE(
      parseRequestHead("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n")->expectContinue());
}

TEST(HttpRequestHead, RefusesMalformedHeads) {
  const char* bad[] = {
      "NOT A REQUEST\r\n\r\n",                      // version
      "GET / HTTP/9.9\r\n\r\n",                     // version
      "GET /\r\n\r\n",                              // two words
      "GET  / HTTP/1.1\r\n\r\n",                    // empty target
      "GET / x HTTP/1.1\r\n\r\n",                   // four words
      "G(T / HTTP/1.1\r\n\r\n",                     // method not a token
      "GET /\x01 HTTP/1.1\r\n\r\n",                 // control character in the target
      "GET / HTTP/1.1\r\nNoColon\r\n\r\n",          // field without ':'
      "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",      // space in a name
      "GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",  // obsolete line folding
      "GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",        // control character in a value
      "GET / HTTP/1.1\r\nHost: a\r\n",              // no blank line
      "GET / HTTP/1.1\r\n\r\nextra",                // bytes after the head
  };
  for (const char* head : bad) {
    auto h = parseRequestHead(head);
    EXPECT_FALSE(h.isOk()) << head;
    if (!h.isOk()) {
      EXPECT_EQ(h.status().code(), ErrorCode::kInvalidArgument);
    }
  }
}

// A second Authorization or Content-Type would be read as the first by one layer and as the
// last by another: refused, not resolved. List fields may repeat.
TEST(HttpRequestHead, RefusesRepeatedSingleValueFields) {
  for (const char* name :
       {"Host", "authorization", "Content-Type", "Expect", "X-Request-Id", "X-Twilio-Signature"}) {
    const std::string field = std::string(name) + ": a\r\n";
    auto h = parseRequestHead("GET / HTTP/1.1\r\n" + field + "X: 1\r\n" + field + "\r\n");
    ASSERT_FALSE(h.isOk()) << name;
    EXPECT_NE(h.status().message().find("more than one"), std::string::npos) << name;
  }
  auto h = parseRequestHead("GET / HTTP/1.1\r\nAccept: a\r\nAccept: b\r\n\r\n");
  ASSERT_TRUE(h.isOk()) << h.status().message();
  EXPECT_EQ(h->fields.size(), 2u);
}

TEST(HttpRequestHead, EnforcesLimits) {
  HeadLimits limits;
  limits.max_fields = 2;
  limits.max_name_bytes = 4;
  limits.max_value_bytes = 5;
  limits.max_head_bytes = 100;
  EXPECT_TRUE(parseRequestHead("GET / HTTP/1.1\r\nA: 1\r\nB: 12345\r\n\r\n", limits).isOk());
  EXPECT_FALSE(parseRequestHead("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits).isOk());
  EXPECT_FALSE(parseRequestHead("GET / HTTP/1.1\r\nLonger: 1\r\n\r\n", limits).isOk());
  EXPECT_FALSE(parseRequestHead("GET / HTTP/1.1\r\nA: 123456\r\n\r\n", limits).isOk());
  EXPECT_FALSE(
      parseRequestHead("GET /" + std::string(100, 'x') + " HTTP/1.1\r\n\r\n", limits).isOk());
}

TEST(HttpRequestHead, FramesTheBody) {
  auto framing = [](const std::string& fields) {
    auto h = parseRequestHead("POST / HTTP/1.1\r\n" + fields + "\r\n");
    EXPECT_TRUE(h.isOk()) << fields;
    return bodyFraming(*h);
  };
  EXPECT_EQ(framing("")->length, 0u);
  EXPECT_EQ(framing("Content-Length: 42\r\n")->length, 42u);
  EXPECT_EQ(framing("Content-Length: 7\r\ncontent-length: 7\r\n")->length, 7u);
  EXPECT_TRUE(framing("Transfer-Encoding: Chunked\r\n")->chunked);
  EXPECT_FALSE(framing("Content-Length: -1\r\n").isOk());
  EXPECT_FALSE(framing("Content-Length: 1e3\r\n").isOk());
  EXPECT_FALSE(framing("Content-Length: 99999999999999999999\r\n").isOk());
  EXPECT_FALSE(framing("Content-Length: 7\r\nContent-Length: 8\r\n").isOk());
  EXPECT_FALSE(framing("Transfer-Encoding: gzip, chunked\r\n").isOk());
  EXPECT_FALSE(framing("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n").isOk());
  // Both at once is how requests are smuggled past a proxy.
  EXPECT_FALSE(framing("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n").isOk());
  // An HTTP/1.0 message has no chunked framing (RFC 9112 §6.1).
  auto h10 = parseRequestHead("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_TRUE(h10.isOk());
  EXPECT_FALSE(bodyFraming(*h10).isOk());
}

}  // namespace
}  // namespace callwarden::server
