// FakeTwilio's callbacks: signed exactly as Twilio signs them, to the URLs from the create
// requests, with the parameters of twilio.md §5.
#include "tests/support/FakeTwilio.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "twilio/TwilioClient.h"
#include "twilio/WebhookSignature.h"

namespace callwarden::twilio {
namespace {

using testing::FakeTwilio;

/// A webhook receiver on loopback that records what it got and answers 204.
class Receiver {
 public:
  struct Hit {
    std::string method;
    std::string uri;
    std::string signature;
    FormParams form;
  };

  Receiver() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket,
                                                      new Poco::Net::HTTPServerParams);
    server_->start();
  }
  ~Receiver() { server_->stopAll(true); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Hit> hits() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return hits_;
  }

 private:
  class Handler final : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(Receiver& r) : r_(r) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      Hit hit;
      hit.method = req.getMethod();
      hit.uri = req.getURI();
      hit.signature = req.get("X-Twilio-Signature", "");
      std::string body;
      Poco::StreamCopier::copyToString(req.stream(), body);
      hit.form = parseFormUrlEncoded(body).value_or(FormParams{});
      {
        std::lock_guard<std::mutex> lock(r_.mutex_);
        r_.hits_.push_back(hit);
      }
      resp.setStatus(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
      resp.setContentLength(0);
      resp.send();
    }

   private:
    Receiver& r_;
  };
  class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(Receiver& r) : r_(r) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(r_);
    }

   private:
    Receiver& r_;
  };

  unsigned short port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  mutable std::mutex mutex_;
  std::vector<Hit> hits_;
};

class FakeTwilioCallbacks : public ::testing::Test {
 protected:
  std::string placeCall(const std::string& status_callback_method = "POST") {
    auto client = TwilioClient::create(twilio_.clientOptions());
    CreateCallRequest r;
    r.to = "+14155550100";
    r.from = "+14155550199";
    r.url = "https://dialer.example.com/twiml";
    r.status_callback = receiver_.url("/twilio/status?gw=1");
    r.status_callback_method = status_callback_method;
    r.status_callback_events = {"initiated", "ringing", "answered", "completed"};
    r.record = true;
    r.recording_status_callback = receiver_.url("/twilio/recording");
    auto call = client.value()->createCall(r);
    EXPECT_TRUE(call.isOk());
    return call->sid;
  }

  FakeTwilio twilio_;
  Receiver receiver_;
};

TEST_F(FakeTwilioCallbacks, StatusCallbacksAreSignedAndSequenced) {
  const std::string sid = placeCall();
  auto answered = twilio_.sendStatusCallback(sid, "answered");
  ASSERT_TRUE(answered.isOk()) << answered.status().toString();
  EXPECT_EQ(answered->status, 204);
  ASSERT_TRUE(twilio_.sendStatusCallback(sid, "completed").isOk());

  auto hits = receiver_.hits();
  ASSERT_EQ(hits.size(), 2u);
  WebhookSignature validator(twilio_.authToken());
  for (const auto& hit : hits) {
    EXPECT_EQ(hit.method, "POST");
    EXPECT_EQ(hit.uri, "/twilio/status?gw=1");
    EXPECT_TRUE(validator.validate(receiver_.url(hit.uri), hit.form, hit.signature));
    EXPECT_EQ(formValue(hit.form, "CallSid"), sid);
    EXPECT_EQ(formValue(hit.form, "AccountSid"), twilio_.accountSid());
    EXPECT_EQ(formValue(hit.form, "CallbackSource"), "call-progress-events");
  }
  EXPECT_EQ(formValue(hits[0].form, "CallStatus"), "in-progress");
  EXPECT_EQ(formValue(hits[0].form, "SequenceNumber"), "0");
  EXPECT_EQ(formValue(hits[1].form, "CallStatus"), "completed");
  EXPECT_EQ(formValue(hits[1].form, "SequenceNumber"), "1");
  EXPECT_TRUE(formValue(hits[1].form, "CallDuration").has_value());
  EXPECT_EQ(twilio_.call(sid)->status, "completed");
}

TEST_F(FakeTwilioCallbacks, GetCallbacksSignTheQuery) {
  const std::string sid = placeCall("GET");
  ASSERT_TRUE(twilio_.sendStatusCallback(sid, "ringing").isOk());
  auto hit = receiver_.hits().at(0);
  EXPECT_EQ(hit.method, "GET");
  EXPECT_NE(hit.uri.find("CallStatus=ringing"), std::string::npos);
  EXPECT_TRUE(
      WebhookSignature(twilio_.authToken()).validate(receiver_.url(hit.uri), {}, hit.signature));
}

TEST_F(FakeTwilioCallbacks, RecordingCallbackCarriesRecordingFields) {
  const std::string sid = placeCall();
  auto recordings = twilio_.recordings();
  ASSERT_EQ(recordings.size(), 1u);
  ASSERT_TRUE(twilio_.sendRecordingCallback(recordings[0].sid, "completed").isOk());
  auto hit = receiver_.hits().at(0);
  EXPECT_TRUE(WebhookSignature(twilio_.authToken())
                  .validate(receiver_.url(hit.uri), hit.form, hit.signature));
  EXPECT_EQ(formValue(hit.form, "RecordingSid"), recordings[0].sid);
  EXPECT_EQ(formValue(hit.form, "CallSid"), sid);
  EXPECT_EQ(formValue(hit.form, "RecordingStatus"), "completed");
  EXPECT_EQ(formValue(hit.form, "RecordingSource"), "OutboundAPI");
  EXPECT_EQ(twilio_.recording(recordings[0].sid)->status, "completed");
}

TEST_F(FakeTwilioCallbacks, SignatureCanBeForgedOrSignedForAPublicUrl) {
  const std::string sid = placeCall();
  FakeTwilio::CallbackOptions forged;
  forged.signature = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  ASSERT_TRUE(twilio_.sendStatusCallback(sid, "ringing", {}, forged).isOk());
  FakeTwilio::CallbackOptions behind_proxy;
  behind_proxy.sign_url = "https://gate.example.com/twilio/status?gw=1";
  ASSERT_TRUE(
      twilio_.sendStatusCallback(sid, "answered", {{"AnsweredBy", "human"}}, behind_proxy).isOk());
  auto hits = receiver_.hits();
  ASSERT_EQ(hits.size(), 2u);
  WebhookSignature validator(twilio_.authToken());
  EXPECT_FALSE(validator.validate(receiver_.url(hits[0].uri), hits[0].form, hits[0].signature));
  EXPECT_FALSE(validator.validate(receiver_.url(hits[1].uri), hits[1].form, hits[1].signature));
  EXPECT_TRUE(validator.validate(behind_proxy.sign_url, hits[1].form, hits[1].signature));
  EXPECT_EQ(formValue(hits[1].form, "AnsweredBy"), "human");
}

TEST(TwilioClientTls, HandshakeFailureIsUnavailableAndNotRetried) {
  FakeTwilio twilio;
  // A peer that answers the ClientHello with plain HTTP and hangs up. (An HTTP server as the
  // peer was flaky: depending on the random bytes of the hello it could wait for the rest of
  // a "request line" while the client waited for the server's hello, until the timeout.)
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::thread peer([&listener] {
    if (!listener.poll(Poco::Timespan(10, 0), Poco::Net::Socket::SELECT_READ)) return;
    Poco::Net::StreamSocket s = listener.acceptConnection();
    char hello[512];
    (void)s.receiveBytes(hello, sizeof hello);
    const std::string answer = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
    s.sendBytes(answer.data(), static_cast<int>(answer.size()));
    s.close();
  });
  struct JoinAtExit {
    std::thread& t;
    ~JoinAtExit() { t.join(); }
  } join_peer{peer};
  auto options = twilio.clientOptions();
  options.base_url = "https://127.0.0.1:" + std::to_string(listener.address().port());
  auto client = TwilioClient::create(options);
  ASSERT_TRUE(client.isOk()) << client.status().toString();
  CreateCallRequest r;
  r.to = "+14155550100";
  r.from = "+14155550199";
  r.url = "https://dialer.example.com/twiml";
  auto call = client.value()->createCall(r);
  ASSERT_FALSE(call.isOk());
  EXPECT_EQ(call.error().failure, TwilioFailure::kUnavailable) << call.error().toString();
  EXPECT_EQ(call.error().attempts, 1);
  EXPECT_TRUE(twilio.calls().empty());
}

}  // namespace
}  // namespace callwarden::twilio
