// Contract tests: every request TwilioClient makes is validated by Stoplight Prism serving
// Twilio's own OpenAPI document (shared/twilio-oai/twilio_api_v2010.json), run as
//   prism mock -h 127.0.0.1 -p <free port> --errors <spec>
// with --errors, so a request that violates the spec gets a 4xx and fails the test.
//
// Prism's repeated-key bug (twilio.md §8.2; stoplightio/prism #2473): it rejects
// "StatusCallbackEvent=a&StatusCallbackEvent=b", the encoding Twilio and its SDKs use, and only
// accepts "StatusCallbackEvent[]=a". The client keeps sending what Twilio expects; a small
// loopback proxy in this test (and only here) rewrites those keys to the bracket form before
// Prism sees them, after recording the original body so tests can assert on it.
//
// A second Prism quirk: with --errors it answers 500 when the spec's own static example fails
// the response schema (GET Calls.json: relative URIs vs format "uri"). The proxy detects a 500
// whose violations are all response-side and asks again with "Prefer: dynamic=true".
//
// Needs tools/prism/install (npm ci). Without it the tests fail, unless CALLWARDEN_SKIP_CONTRACT=1.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "twilio/TwilioClient.h"

namespace callwarden::twilio {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

const std::string kAccountSid = "AC0123456789abcdef0123456789abcdef";
const std::string kCallSid = "CA0123456789abcdef0123456789abcdef";
const std::string kRecordingSid = "RE0123456789abcdef0123456789abcdef";
const std::string kTranscriptionSid = "TR0123456789abcdef0123456789abcdef";

/// One request as the client sent it and as Prism judged it.
struct Exchange {
  std::string method;
  std::string uri;
  std::string original_body;   // what the client sent (real Twilio encoding)
  std::string forwarded_body;  // what Prism saw (bracketed list keys)
  int prism_status = 0;
  std::string prism_body;
  std::string violations;  // sl-violations header
  bool dynamic_retry = false;
};

/// The test-only workaround for Prism's repeated-key bug: Key=v -> Key[]=v for array params.
std::string bracketListKeys(const std::string& body) {
  auto params = parseFormUrlEncoded(body);
  if (!params) return body;
  std::string out;
  for (const auto& [name, value] : *params) {
    if (!out.empty()) out += '&';
    bool list = name == "StatusCallbackEvent" || name == "RecordingStatusCallbackEvent";
    out += percentEncode(name) + (list ? "%5B%5D" : "") + "=" + percentEncode(value);
  }
  return out;
}

bool onlyResponseViolations(const std::string& violations) {
  // Each entry has "location":["request"|"body"|"query"|...|"response", ...].
  return !violations.empty() &&
         violations.find("\"location\":[\"response\"") != std::string::npos &&
         violations.find("\"location\":[\"body\"") == std::string::npos &&
         violations.find("\"location\":[\"query\"") == std::string::npos &&
         violations.find("\"location\":[\"path\"") == std::string::npos &&
         violations.find("\"location\":[\"header\"") == std::string::npos &&
         violations.find("\"location\":[\"request\"") == std::string::npos;
}

class ProxyLog {
 public:
  void add(Exchange e) {
    std::lock_guard<std::mutex> lock(mutex_);
    exchanges_.push_back(std::move(e));
  }
  std::vector<Exchange> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(exchanges_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<Exchange> exchanges_;
};

class ProxyHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  ProxyHandler(unsigned short prism_port, ProxyLog& log) : prism_port_(prism_port), log_(log) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in,
                     Poco::Net::HTTPServerResponse& out) override {
    Exchange e;
    e.method = in.getMethod();
    e.uri = in.getURI();
    Poco::StreamCopier::copyToString(in.stream(), e.original_body);
    e.forwarded_body = in.getContentType().rfind("application/x-www-form-urlencoded", 0) == 0
                           ? bracketListKeys(e.original_body)
                           : e.original_body;
    std::string content_type;
    forward(in, e, false, content_type);
    if (e.prism_status == 500 && onlyResponseViolations(e.violations)) {
      e.dynamic_retry = true;
      forward(in, e, true, content_type);
    }
    out.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(e.prism_status));
    if (!content_type.empty()) out.setContentType(content_type);
    out.setContentLength(static_cast<std::streamsize>(e.prism_body.size()));
    out.send() << e.prism_body;
    log_.add(std::move(e));
  }

 private:
  void forward(Poco::Net::HTTPServerRequest& in, Exchange& e, bool dynamic,
               std::string& content_type) {
    Poco::Net::HTTPClientSession session("127.0.0.1", prism_port_);
    session.setTimeout(Poco::Timespan(20, 0));
    Poco::Net::HTTPRequest request(e.method, e.uri, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const char* h : {"Authorization", "Accept", "User-Agent"}) {
      if (in.has(h)) request.set(h, in.get(h));
    }
    if (dynamic) request.set("Prefer", "dynamic=true");
    if (in.has("Content-Type")) {
      request.setContentType(in.getContentType());
      request.setContentLength(static_cast<std::streamsize>(e.forwarded_body.size()));
    }
    session.sendRequest(request) << e.forwarded_body;
    Poco::Net::HTTPResponse response;
    std::istream& body = session.receiveResponse(response);
    e.prism_status = static_cast<int>(response.getStatus());
    e.violations = response.get("sl-violations", "");
    content_type = response.getContentType();
    e.prism_body.clear();
    Poco::StreamCopier::copyToString(body, e.prism_body);
  }

  unsigned short prism_port_;
  ProxyLog& log_;
};

class ProxyFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  ProxyFactory(unsigned short prism_port, ProxyLog& log) : prism_port_(prism_port), log_(log) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new ProxyHandler(prism_port_, log_);  // Poco deletes it
  }

 private:
  unsigned short prism_port_;
  ProxyLog& log_;
};

unsigned short freePort() {
  Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
  return probe.address().port();
}

/// Prism and the proxy, started once for the whole suite.
struct PrismServer {
  std::string setup_error;  // non-empty: not started, with the reason
  unsigned short prism_port = 0;
  std::optional<Poco::ProcessHandle> process;
  std::unique_ptr<Poco::Net::HTTPServer> proxy;
  unsigned short proxy_port = 0;
  ProxyLog log;
  milliseconds startup{0};

  void start() {
    const fs::path source = CALLWARDEN_SOURCE_DIR;
    const fs::path prism = source / "tools/prism/node_modules/.bin/prism";
    const char* spec_env = std::getenv("CALLWARDEN_TWILIO_OAI");
    const fs::path spec =
        spec_env ? fs::path(spec_env) : source / "../shared/twilio-oai/twilio_api_v2010.json";
    if (!fs::exists(prism)) {
      setup_error = "Prism is not installed (" + prism.string() + "). Run tools/prism/install";
      return;
    }
    if (!fs::exists(spec)) {
      setup_error =
          "Twilio OpenAPI spec not found at " + spec.string() + " (set CALLWARDEN_TWILIO_OAI)";
      return;
    }
    prism_port = freePort();
    const fs::path log_file = fs::path(CALLWARDEN_BINARY_DIR) / "prism-contract.log";
    const auto started = std::chrono::steady_clock::now();
    // exec: the handle is Prism's own process, so kill() stops it.
    std::string command = "exec \"$0\" mock -h 127.0.0.1 -p " + std::to_string(prism_port) +
                          " --errors \"$1\" >\"$2\" 2>&1";
    process = Poco::Process::launch(
        "/bin/sh", {"-c", command, prism.string(), spec.string(), log_file.string()});
    bool ready = false;
    for (int i = 0; i < 600 && !ready; ++i) {
      try {
        Poco::Net::HTTPClientSession session("127.0.0.1", prism_port);
        session.setTimeout(Poco::Timespan(1, 0));
        Poco::Net::HTTPRequest request("GET", "/");
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        session.receiveResponse(response);
        ready = true;
      } catch (const Poco::Exception&) {
        if (!Poco::Process::isRunning(*process)) break;
        std::this_thread::sleep_for(milliseconds(100));
      }
    }
    if (!ready) {
      setup_error = "Prism did not start within 60 s; see " + log_file.string();
      return;
    }
    startup = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    proxy_port = socket.address().port();
    proxy = std::make_unique<Poco::Net::HTTPServer>(new ProxyFactory(prism_port, log), socket,
                                                    new Poco::Net::HTTPServerParams);
    proxy->start();
  }

  void stop() {
    if (proxy) proxy->stopAll(true);
    proxy.reset();
    if (process) {
      Poco::Process::kill(*process);
      process->wait();
      process.reset();
    }
  }
};

class NoSleep final : public Sleeper {
 public:
  void sleepFor(milliseconds) override {}
};

class TwilioContract : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (const char* skip = std::getenv("CALLWARDEN_SKIP_CONTRACT");
        skip && std::string(skip) == "1")
      return;
    server_ = new PrismServer;
    server_->start();
    if (server_->setup_error.empty()) {
      std::cout << "[contract] Prism ready in " << server_->startup.count() << " ms\n";
    }
  }
  static void TearDownTestSuite() {
    if (server_) server_->stop();
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    if (!server_) GTEST_SKIP() << "CALLWARDEN_SKIP_CONTRACT=1";
    ASSERT_TRUE(server_->setup_error.empty()) << server_->setup_error;
    server_->log.take();
    client_ = makeClient(TwilioCredentials::authToken(kAccountSid, "contract-test-token"));
  }

  std::unique_ptr<TwilioClient> makeClient(TwilioCredentials credentials) {
    TwilioClientOptions o;
    o.base_url = "http://127.0.0.1:" + std::to_string(server_->proxy_port);
    o.credentials = std::move(credentials);
    o.read_timeout = milliseconds(20000);
    o.sleeper = std::make_shared<NoSleep>();
    auto client = TwilioClient::create(o);
    EXPECT_TRUE(client.isOk());
    return std::move(client).value();
  }

  /// Every request since the last call, asserting that Prism found nothing wrong with it.
  std::vector<Exchange> expectAllAccepted() {
    auto exchanges = server_->log.take();
    EXPECT_FALSE(exchanges.empty()) << "the client sent nothing";
    for (const auto& e : exchanges) {
      EXPECT_LT(e.prism_status, 400) << e.method << " " << e.uri << "\nbody: " << e.original_body
                                     << "\nPrism: " << e.prism_body;
    }
    return exchanges;
  }

  static inline PrismServer* server_ = nullptr;
  std::unique_ptr<TwilioClient> client_;
};

CreateCallRequest fullCreateRequest() {
  CreateCallRequest r;
  r.to = "+14155550100";
  r.from = "+14155550199";
  r.url = "https://dialer.example.com/twiml/agent-bridge";
  r.method = "POST";
  r.fallback_url = "https://dialer.example.com/twiml/fallback";
  r.fallback_method = "POST";
  r.status_callback = "https://gate.example.com/twilio/status";
  r.status_callback_events = {"initiated", "ringing", "answered", "completed"};
  r.status_callback_method = "POST";
  r.record = true;
  r.recording_channels = "dual";
  r.recording_track = "both";
  r.recording_status_callback = "https://gate.example.com/twilio/recording";
  r.recording_status_callback_method = "POST";
  r.recording_status_callback_events = {"in-progress", "completed", "absent"};
  r.trim = "do-not-trim";
  r.machine_detection = "Enable";
  r.machine_detection_timeout = 30;
  r.async_amd = true;
  r.async_amd_status_callback = "https://gate.example.com/twilio/amd";
  r.async_amd_status_callback_method = "POST";
  r.timeout = 30;
  r.time_limit = 3600;
  r.caller_id = "+14155550199";
  r.send_digits = "1234w#";
  r.call_reason = "Appointment reminder";
  return r;
}

TEST_F(TwilioContract, CreateCallWithEveryParameterMatchesTheSpec) {
  auto call = client_->createCall(fullCreateRequest());
  ASSERT_TRUE(call.isOk()) << call.error().toString();
  EXPECT_TRUE(isValidSid(call->sid, "CA"));
  auto exchanges = expectAllAccepted();
  ASSERT_EQ(exchanges.size(), 1u);
  // What left the client is Twilio's encoding; only Prism saw brackets.
  EXPECT_NE(
      exchanges[0].original_body.find("StatusCallbackEvent=initiated&StatusCallbackEvent=ringing"),
      std::string::npos);
  EXPECT_EQ(exchanges[0].original_body.find("%5B%5D"), std::string::npos);
  EXPECT_EQ(exchanges[0].prism_status, 201);
}

TEST_F(TwilioContract, CreateCallWithTwimlOrApplicationMatchesTheSpec) {
  CreateCallRequest twiml;
  twiml.to = "client:agent-7";
  twiml.from = "+14155550199";
  twiml.twiml = "<Response><Say>Hello</Say></Response>";
  ASSERT_TRUE(client_->createCall(twiml).isOk());
  CreateCallRequest app;
  app.to = "sip:agent@example.com";
  app.from = "+14155550199";
  app.application_sid = "AP0123456789abcdef0123456789abcdef";
  ASSERT_TRUE(client_->createCall(app).isOk());
  expectAllAccepted();
}

TEST_F(TwilioContract, ApiKeyCredentialsMatchTheSpec) {
  auto client = makeClient(
      TwilioCredentials::apiKey(kAccountSid, "SK0123456789abcdef0123456789abcdef", "secret"));
  ASSERT_TRUE(client->createCall(fullCreateRequest()).isOk());
  expectAllAccepted();
}

TEST_F(TwilioContract, CallQueriesMatchTheSpec) {
  auto fetched = client_->fetchCall(kCallSid);
  ASSERT_TRUE(fetched.isOk()) << fetched.error().toString();
  CallFilter filter;
  filter.to = "+14155550100";
  filter.from = "+14155550199";
  filter.status = "queued";
  filter.start_time_after = "2026-07-15";
  filter.max_pages = 1;
  auto listed = client_->listCalls(filter);
  ASSERT_TRUE(listed.isOk()) << listed.error().toString();
  // Prism generates this list dynamically (its static example fails the spec), so the
  // next_page_uri it invents is junk that the client refuses to follow: only the request counts.
  (void)client_->findCallsForAttempt(fullCreateRequest(), SystemClock().now());
  auto ended = client_->endCall(kCallSid, EndCallStatus::kCompleted);
  ASSERT_TRUE(ended.isOk()) << ended.error().toString();
  expectAllAccepted();
}

TEST_F(TwilioContract, RecordingControlMatchesTheSpec) {
  StartRecordingRequest start;
  start.call_sid = kCallSid;
  start.recording_track = "both";
  start.trim = "do-not-trim";
  start.recording_status_callback = "https://gate.example.com/twilio/recording";
  start.recording_status_callback_method = "POST";
  start.recording_status_callback_events = {"in-progress", "completed", "absent"};
  auto rec = client_->createCallRecording(start);
  ASSERT_TRUE(rec.isOk()) << rec.error().toString();

  auto paused = client_->updateCallRecording(kCallSid, kCurrentRecording, RecordingAction::kPause,
                                             PauseBehavior::kSkip);
  ASSERT_TRUE(paused.isOk()) << paused.error().toString();
  EXPECT_EQ(paused->status, RecordingStatus::kPaused);
  // Prism answers every update with the spec's single example ("paused"), so resume and stop
  // come back as kBadResponse here; what this test checks is that Prism accepted the requests.
  (void)client_->updateCallRecording(kCallSid, kRecordingSid, RecordingAction::kResume);
  (void)client_->updateCallRecording(kCallSid, kRecordingSid, RecordingAction::kStop);
  (void)client_->updateCallRecording(kCallSid, kRecordingSid, RecordingAction::kPause,
                                     PauseBehavior::kSilence);

  auto listed = client_->listCallRecordings(kCallSid);
  ASSERT_TRUE(listed.isOk()) << listed.error().toString();
  auto deleted = client_->deleteRecording(kRecordingSid);
  ASSERT_TRUE(deleted.isOk()) << deleted.error().toString();
  EXPECT_EQ(*deleted, DeleteOutcome::kDeleted);
  auto transcription = client_->deleteTranscription(kTranscriptionSid);
  ASSERT_TRUE(transcription.isOk()) << transcription.error().toString();
  auto exchanges = expectAllAccepted();
  EXPECT_EQ(exchanges.size(), 8u);
}

// Controls: the validator is live, and the bug the proxy works around is still there.
TEST_F(TwilioContract, PrismRejectsInvalidRequestsAndRepeatedKeys) {
  auto post = [](const std::string& path, const std::string& body) {
    Poco::Net::HTTPClientSession session("127.0.0.1", server_->prism_port);
    Poco::Net::HTTPRequest request("POST", "/2010-04-01/Accounts/" + kAccountSid + path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setCredentials("Basic", "QUM6dG9rZW4=");
    request.setContentType("application/x-www-form-urlencoded");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::string answer;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), answer);
    return std::make_pair(static_cast<int>(response.getStatus()), answer);
  };
  EXPECT_EQ(post("/Calls.json", "From=%2B14155550199&Url=https%3A%2F%2Fx.example.com").first, 422)
      << "missing To";
  EXPECT_EQ(
      post("/Calls/" + kCallSid + "/Recordings/" + kRecordingSid + ".json", "Status=bogus").first,
      422);
  auto repeated = post("/Calls.json",
                       "To=%2B14155550100&From=%2B14155550199&Url=https%3A%2F%2Fx.example.com&"
                       "StatusCallbackEvent=initiated&StatusCallbackEvent=ringing");
  EXPECT_EQ(repeated.first, 422) << "Prism now accepts repeated keys: drop bracketListKeys() from "
                                    "this test (stoplightio/prism #2473)";
}

}  // namespace
}  // namespace callwarden::twilio
