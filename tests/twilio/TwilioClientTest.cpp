// TwilioClient against FakeTwilio: what goes on the wire, retries, and how each failure is
// classified (refused / outcome unknown / unavailable / bad response).
#include "twilio/TwilioClient.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>

#include <mutex>
#include <sstream>
#include <thread>

#include "tests/support/FakeClock.h"
#include "tests/support/FakeTwilio.h"

namespace callwarden::twilio {
namespace {

using std::chrono::milliseconds;
using testing::FakeTwilio;
using Endpoint = FakeTwilio::Endpoint;

/// Records backoff waits instead of sleeping.
class RecordingSleeper final : public Sleeper {
 public:
  void sleepFor(milliseconds d) override {
    std::lock_guard<std::mutex> lock(mutex_);
    waits_.push_back(d);
  }
  std::vector<milliseconds> waits() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return waits_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<milliseconds> waits_;
};

std::string basicAuth(const std::string& user, const std::string& pass) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << user << ':' << pass;
  enc.close();
  return "Basic " + out.str();
}

CreateCallRequest dialRequest(std::string to = "+14155550100") {
  CreateCallRequest r;
  r.to = std::move(to);
  r.from = "+14155550199";
  r.url = "https://dialer.example.com/twiml/agent-bridge";
  r.status_callback = "https://gate.example.com/twilio/status";
  r.status_callback_events = {"initiated", "ringing", "answered", "completed"};
  r.record = true;
  r.recording_channels = "dual";
  r.recording_status_callback = "https://gate.example.com/twilio/recording";
  r.recording_status_callback_events = {"in-progress", "completed", "absent"};
  r.machine_detection = "Enable";
  r.timeout = 30;
  return r;
}

class TwilioClientTest : public ::testing::Test {
 protected:
  explicit TwilioClientTest(FakeTwilio::Options options = {}) : twilio_(std::move(options)) {}

  std::unique_ptr<TwilioClient> makeClient(TwilioClientOptions options) {
    options.sleeper = sleeper_;
    auto client = TwilioClient::create(std::move(options));
    EXPECT_TRUE(client.isOk()) << client.status().toString();
    return std::move(client).value();
  }
  std::unique_ptr<TwilioClient> makeClient() { return makeClient(twilio_.clientOptions()); }

  /// A call that is answered, so recordings can be started.
  std::string answeredCall(TwilioClient& client) {
    CreateCallRequest request = dialRequest();
    request.record.reset();  // no OutboundAPI recording: tests start their own
    auto call = client.createCall(request);
    EXPECT_TRUE(call.isOk());
    twilio_.setCallStatus(call->sid, "in-progress");
    twilio_.clearRequests();
    return call->sid;
  }

  FakeTwilio twilio_;
  std::shared_ptr<RecordingSleeper> sleeper_ = std::make_shared<RecordingSleeper>();
};

TEST_F(TwilioClientTest, CreateCallSendsFormWithRepeatedKeysAndBasicAuth) {
  auto client = makeClient();
  auto call = client->createCall(dialRequest());
  ASSERT_TRUE(call.isOk()) << call.error().toString();
  EXPECT_TRUE(isValidSid(call->sid, "CA"));
  EXPECT_EQ(call->status, CallStatus::kQueued);
  EXPECT_EQ(call->to, "+14155550100");
  EXPECT_EQ(call->direction, "outbound-api");
  EXPECT_TRUE(call->date_created.has_value());

  auto requests = twilio_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/2010-04-01/Accounts/" + twilio_.accountSid() + "/Calls.json");
  EXPECT_EQ(r.content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(r.authorization, basicAuth(twilio_.accountSid(), twilio_.authToken()));
  EXPECT_EQ(formValues(r.form, "StatusCallbackEvent"),
            (std::vector<std::string>{"initiated", "ringing", "answered", "completed"}));
  EXPECT_EQ(formValues(r.form, "RecordingStatusCallbackEvent"),
            (std::vector<std::string>{"in-progress", "completed", "absent"}));
  EXPECT_NE(r.body.find("StatusCallbackEvent=initiated&StatusCallbackEvent=ringing"),
            std::string::npos);
  EXPECT_EQ(r.body.find("%5B"), std::string::npos) << "no bracketed list keys";
  EXPECT_EQ(formValue(r.form, "To"), "+14155550100");
  EXPECT_EQ(formValue(r.form, "Record"), "true");
  EXPECT_EQ(formValue(r.form, "RecordingChannels"), "dual");
  EXPECT_EQ(formValue(r.form, "Timeout"), "30");
  EXPECT_EQ(formValue(r.form, "MachineDetection"), "Enable");
  EXPECT_TRUE(twilio_.call(call->sid).has_value());
}

TEST_F(TwilioClientTest, ApiKeyIsTheUsernameAndTheAccountStaysInThePath) {
  auto options = twilio_.clientOptions();
  options.credentials = TwilioCredentials::apiKey(
      twilio_.accountSid(), "SK0123456789abcdef0123456789abcdef", "fake-api-key-secret");
  auto client = makeClient(options);
  ASSERT_TRUE(client->createCall(dialRequest()).isOk());
  auto r = twilio_.requests().at(0);
  EXPECT_EQ(r.authorization,
            basicAuth("SK0123456789abcdef0123456789abcdef", "fake-api-key-secret"));
  EXPECT_NE(r.path.find(twilio_.accountSid()), std::string::npos);
}

TEST_F(TwilioClientTest, WrongCredentialsAreRefusedWithTwilioCode) {
  auto options = twilio_.clientOptions();
  options.credentials = TwilioCredentials::authToken(twilio_.accountSid(), "wrong");
  auto client = makeClient(options);
  auto call = client->createCall(dialRequest());
  ASSERT_FALSE(call.isOk());
  EXPECT_EQ(call.error().failure, TwilioFailure::kRefused);
  EXPECT_EQ(call.error().http_status, 401);
  EXPECT_EQ(call.error().code, 20003);
}

TEST_F(TwilioClientTest, InvalidToIsRefusedWithParsedErrorJson) {
  auto client = makeClient();
  auto call = client->createCall(dialRequest("12345"));
  ASSERT_FALSE(call.isOk());
  const TwilioError& e = call.error();
  EXPECT_TRUE(e.isRefused());
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.code, 21211);
  EXPECT_NE(e.message.find("Invalid 'To' Phone Number"), std::string::npos);
  EXPECT_EQ(e.more_info, "https://www.twilio.com/docs/errors/21211");
  EXPECT_EQ(e.toStatus().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(twilio_.requests().size(), 1u);
  EXPECT_TRUE(twilio_.calls().empty());
}

TEST_F(TwilioClientTest, TwilioMagicNumbersAreRefused) {
  auto client = makeClient();
  auto call = client->createCall(dialRequest("+15005550002"));
  ASSERT_FALSE(call.isOk());
  EXPECT_EQ(call.error().code, 21214);
}

TEST_F(TwilioClientTest, CreateCallServerErrorIsOutcomeUnknownAndNotRetried) {
  FakeTwilio::Fault fault;
  fault.http_status = 500;
  fault.code = 20500;
  fault.perform_operation = true;  // Twilio created the call, then failed to answer
  twilio_.addFault(Endpoint::kCreateCall, fault);
  auto client = makeClient();
  auto call = client->createCall(dialRequest());
  ASSERT_FALSE(call.isOk());
  EXPECT_TRUE(call.error().isOutcomeUnknown());
  EXPECT_EQ(call.error().http_status, 500);
  EXPECT_EQ(call.error().attempts, 1);
  EXPECT_EQ(twilio_.requests(Endpoint::kCreateCall).size(), 1u);
  EXPECT_TRUE(sleeper_->waits().empty());
  EXPECT_EQ(twilio_.calls().size(), 1u)
      << "exactly one call exists: the client did not repeat the create";
}

TEST_F(TwilioClientTest, CreateCallTimeoutIsOutcomeUnknownAndCanBeReconciled) {
  twilio_.delayNext(Endpoint::kCreateCall, milliseconds(1500));
  auto options = twilio_.clientOptions();
  options.read_timeout = milliseconds(300);
  auto client = makeClient(options);
  const Timestamp sent_at = SystemClock().now();
  auto call = client->createCall(dialRequest());
  ASSERT_FALSE(call.isOk());
  EXPECT_TRUE(call.error().isOutcomeUnknown()) << call.error().toString();
  EXPECT_EQ(twilio_.requests(Endpoint::kCreateCall).size(), 1u);

  // The fake finishes creating the call after its delay; reconciliation then finds it.
  for (int i = 0; i < 100 && twilio_.calls().empty(); ++i)
    std::this_thread::sleep_for(milliseconds(30));
  ASSERT_EQ(twilio_.calls().size(), 1u);
  auto found = client->findCallsForAttempt(dialRequest(), sent_at);
  ASSERT_TRUE(found.isOk()) << found.error().toString();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->at(0).sid, twilio_.calls()[0].sid);
  auto list = twilio_.requests(Endpoint::kListCalls).at(0);
  EXPECT_EQ(formValue(list.query, "To"), "+14155550100");
  EXPECT_EQ(formValue(list.query, "From"), "+14155550199");
}

TEST_F(TwilioClientTest, CreateCallConnectionResetIsOutcomeUnknown) {
  twilio_.resetNext(Endpoint::kCreateCall, /*perform_operation=*/true);
  auto client = makeClient();
  auto call = client->createCall(dialRequest());
  ASSERT_FALSE(call.isOk());
  EXPECT_TRUE(call.error().isOutcomeUnknown()) << call.error().toString();
  EXPECT_EQ(twilio_.requests(Endpoint::kCreateCall).size(), 1u);
  EXPECT_EQ(twilio_.calls().size(), 1u);
}

TEST_F(TwilioClientTest, CreateCallRateLimitIsRefusedWithRetryAfterAndNotRetried) {
  twilio_.rateLimitNext(Endpoint::kCreateCall, 2);
  auto client = makeClient();
  auto call = client->createCall(dialRequest());
  ASSERT_FALSE(call.isOk());
  EXPECT_TRUE(call.error().isRefused());
  EXPECT_EQ(call.error().http_status, 429);
  EXPECT_EQ(call.error().code, 20429);
  EXPECT_EQ(call.error().retry_after, milliseconds(2000));
  EXPECT_EQ(twilio_.requests().size(), 1u);
  EXPECT_TRUE(twilio_.calls().empty());
}

TEST_F(TwilioClientTest, CreateCallThatNeverLeftIsUnavailableAfterRetries) {
  unsigned short closed_port = 0;
  {
    Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
    closed_port = probe.address().port();
  }
  auto options = twilio_.clientOptions();
  options.base_url = "http://127.0.0.1:" + std::to_string(closed_port);
  auto client = makeClient(options);
  auto call = client->createCall(dialRequest());
  ASSERT_FALSE(call.isOk());
  // Connection refused: nothing reached Twilio, so "not placed" is certain and retrying was safe.
  EXPECT_EQ(call.error().failure, TwilioFailure::kUnavailable) << call.error().toString();
  EXPECT_EQ(call.error().attempts, options.retry.max_attempts);
  EXPECT_EQ(sleeper_->waits().size(), static_cast<size_t>(options.retry.max_attempts - 1));
}

TEST_F(TwilioClientTest, CreateCallIsValidatedBeforeSending) {
  auto client = makeClient();
  CreateCallRequest no_target = dialRequest();
  no_target.url.clear();
  EXPECT_EQ(client->createCall(no_target).error().failure, TwilioFailure::kInvalidRequest);
  CreateCallRequest two_targets = dialRequest();
  two_targets.twiml = "<Response/>";
  EXPECT_EQ(client->createCall(two_targets).error().failure, TwilioFailure::kInvalidRequest);
  CreateCallRequest typo = dialRequest();
  typo.status_callback_events = {"answerd"};
  EXPECT_EQ(client->createCall(typo).error().failure, TwilioFailure::kInvalidRequest);
  EXPECT_EQ(client->fetchCall("CA../../Recordings").error().failure,
            TwilioFailure::kInvalidRequest);
  EXPECT_TRUE(twilio_.requests().empty());
}

TEST_F(TwilioClientTest, FetchIsRetriedOnServerErrorsWithGrowingBackoff) {
  auto client = makeClient();
  const std::string sid = twilio_.addCall("+14155550100", "+14155550199", "ringing");
  twilio_.failNext(Endpoint::kFetchCall, 500, 0, "Internal Server Error", 2);
  auto call = client->fetchCall(sid);
  ASSERT_TRUE(call.isOk()) << call.error().toString();
  EXPECT_EQ(call->status, CallStatus::kRinging);
  EXPECT_EQ(twilio_.requests(Endpoint::kFetchCall).size(), 3u);
  auto waits = sleeper_->waits();
  ASSERT_EQ(waits.size(), 2u);
  // Equal jitter: attempt n waits between step/2 and step, step = 250ms * 2^(n-1).
  EXPECT_GE(waits[0], milliseconds(125));
  EXPECT_LE(waits[0], milliseconds(250));
  EXPECT_GE(waits[1], milliseconds(250));
  EXPECT_LE(waits[1], milliseconds(500));
}

TEST_F(TwilioClientTest, RateLimitOnSafeRequestHonoursRetryAfter) {
  auto client = makeClient();
  const std::string sid = twilio_.addCall("+14155550100", "+14155550199");
  twilio_.rateLimitNext(Endpoint::kFetchCall, 3);
  auto call = client->fetchCall(sid);
  ASSERT_TRUE(call.isOk()) << call.error().toString();
  ASSERT_EQ(sleeper_->waits().size(), 1u);
  EXPECT_GE(sleeper_->waits()[0], milliseconds(3000));
  EXPECT_EQ(twilio_.requests(Endpoint::kFetchCall).size(), 2u);
}

TEST_F(TwilioClientTest, RetryAfterBeyondTheLimitIsReturnedNotWaited) {
  auto options = twilio_.clientOptions();
  options.retry.max_retry_after = milliseconds(1000);
  auto client = makeClient(options);
  const std::string sid = twilio_.addCall("+14155550100", "+14155550199");
  twilio_.rateLimitNext(Endpoint::kFetchCall, 60);
  auto call = client->fetchCall(sid);
  ASSERT_FALSE(call.isOk());
  EXPECT_EQ(call.error().failure, TwilioFailure::kUnavailable);
  EXPECT_EQ(call.error().retry_after, milliseconds(60000));
  EXPECT_TRUE(sleeper_->waits().empty());
}

TEST_F(TwilioClientTest, SafeRequestGivesUpAfterMaxAttempts) {
  auto client = makeClient();
  const std::string sid = twilio_.addCall("+14155550100", "+14155550199");
  twilio_.failNext(Endpoint::kFetchCall, 503, 0, "Service Unavailable", 10);
  auto call = client->fetchCall(sid);
  ASSERT_FALSE(call.isOk());
  EXPECT_EQ(call.error().failure, TwilioFailure::kUnavailable);
  EXPECT_EQ(call.error().http_status, 503);
  EXPECT_EQ(call.error().attempts, 4);
  EXPECT_EQ(twilio_.requests(Endpoint::kFetchCall).size(), 4u);
}

TEST_F(TwilioClientTest, ReadTimeoutOnSafeRequestIsRetried) {
  auto options = twilio_.clientOptions();
  options.read_timeout = milliseconds(200);
  auto client = makeClient(options);
  const std::string sid = twilio_.addCall("+14155550100", "+14155550199");
  twilio_.delayNext(Endpoint::kFetchCall, milliseconds(1000));
  auto call = client->fetchCall(sid);
  ASSERT_TRUE(call.isOk()) << call.error().toString();
  EXPECT_EQ(twilio_.requests(Endpoint::kFetchCall).size(), 2u);
}

TEST_F(TwilioClientTest, NonJsonErrorBodyKeepsHttpStatus) {
  FakeTwilio::Fault fault;
  fault.http_status = 502;
  fault.raw_body = "<html>Bad Gateway</html>";
  twilio_.addFault(Endpoint::kCreateCall, fault);
  auto client = makeClient();
  auto call = client->createCall(dialRequest());
  ASSERT_FALSE(call.isOk());
  EXPECT_TRUE(call.error().isOutcomeUnknown());
  EXPECT_EQ(call.error().http_status, 502);
  EXPECT_EQ(call.error().code, 0);
}

TEST_F(TwilioClientTest, RecordingLifecycleOnALiveCall) {
  auto client = makeClient();
  const std::string call_sid = answeredCall(*client);
  StartRecordingRequest start;
  start.call_sid = call_sid;
  start.recording_status_callback = "https://gate.example.com/twilio/recording";
  start.recording_status_callback_events = {"in-progress", "completed"};
  auto rec = client->createCallRecording(start);
  ASSERT_TRUE(rec.isOk()) << rec.error().toString();
  EXPECT_EQ(rec->status, RecordingStatus::kInProgress);
  EXPECT_EQ(rec->channels, 2);
  EXPECT_EQ(rec->source, "StartCallRecordingAPI");
  auto sent = twilio_.requests(Endpoint::kCreateRecording).at(0);
  EXPECT_EQ(formValue(sent.form, "RecordingChannels"), "dual");
  EXPECT_EQ(formValues(sent.form, "RecordingStatusCallbackEvent"),
            (std::vector<std::string>{"in-progress", "completed"}));

  auto paused = client->updateCallRecording(call_sid, kCurrentRecording, RecordingAction::kPause,
                                            PauseBehavior::kSkip);
  ASSERT_TRUE(paused.isOk()) << paused.error().toString();
  EXPECT_EQ(paused->status, RecordingStatus::kPaused);
  EXPECT_EQ(twilio_.recording(rec->sid)->pause_behavior, "skip");
  auto update = twilio_.requests(Endpoint::kUpdateRecording).at(0);
  EXPECT_EQ(update.path, "/2010-04-01/Accounts/" + twilio_.accountSid() + "/Calls/" + call_sid +
                             "/Recordings/Twilio.CURRENT.json");
  EXPECT_EQ(update.form, (FormParams{{"Status", "paused"}, {"PauseBehavior", "skip"}}));

  auto resumed = client->updateCallRecording(call_sid, rec->sid, RecordingAction::kResume);
  ASSERT_TRUE(resumed.isOk());
  EXPECT_EQ(resumed->status, RecordingStatus::kInProgress);
  auto stopped = client->updateCallRecording(call_sid, rec->sid, RecordingAction::kStop);
  ASSERT_TRUE(stopped.isOk());
  EXPECT_EQ(stopped->status, RecordingStatus::kStopped);

  auto listed = client->listCallRecordings(call_sid);
  ASSERT_TRUE(listed.isOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->at(0).sid, rec->sid);

  auto deleted = client->deleteRecording(rec->sid);
  ASSERT_TRUE(deleted.isOk());
  EXPECT_EQ(*deleted, DeleteOutcome::kDeleted);
  EXPECT_EQ(twilio_.requests(Endpoint::kDeleteRecording).at(0).method, "DELETE");
  auto again = client->deleteRecording(rec->sid);
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(*again, DeleteOutcome::kAlreadyAbsent);
}

TEST_F(TwilioClientTest, RefusedPauseIsReportedNotRetried) {
  auto client = makeClient();
  const std::string call_sid = answeredCall(*client);
  StartRecordingRequest start;
  start.call_sid = call_sid;
  ASSERT_TRUE(client->createCallRecording(start).isOk());
  twilio_.failNext(Endpoint::kUpdateRecording, 400, 21220, "Call is not in-progress");
  auto paused = client->updateCallRecording(call_sid, kCurrentRecording, RecordingAction::kPause);
  ASSERT_FALSE(paused.isOk());
  EXPECT_TRUE(paused.error().isRefused());
  EXPECT_EQ(paused.error().code, 21220);
  EXPECT_EQ(twilio_.requests(Endpoint::kUpdateRecording).size(), 1u);
}

TEST_F(TwilioClientTest, PauseAnsweredWithWrongStatusIsBadResponse) {
  auto client = makeClient();
  const std::string call_sid = answeredCall(*client);
  StartRecordingRequest start;
  start.call_sid = call_sid;
  ASSERT_TRUE(client->createCallRecording(start).isOk());
  twilio_.answerWrongRecordingStatus("in-progress");
  auto paused = client->updateCallRecording(call_sid, kCurrentRecording, RecordingAction::kPause);
  ASSERT_FALSE(paused.isOk());
  EXPECT_EQ(paused.error().failure, TwilioFailure::kBadResponse);
  EXPECT_NE(paused.error().message.find("in-progress"), std::string::npos);
}

TEST_F(TwilioClientTest, RecordingActionTimeout408IsRetried) {
  auto client = makeClient();
  const std::string call_sid = answeredCall(*client);
  StartRecordingRequest start;
  start.call_sid = call_sid;
  ASSERT_TRUE(client->createCallRecording(start).isOk());
  twilio_.failNext(Endpoint::kUpdateRecording, 408, 16114, "Recording action timed out");
  auto paused = client->updateCallRecording(call_sid, kCurrentRecording, RecordingAction::kPause);
  ASSERT_TRUE(paused.isOk()) << paused.error().toString();
  EXPECT_EQ(twilio_.requests(Endpoint::kUpdateRecording).size(), 2u);
}

TEST_F(TwilioClientTest, PauseWithoutActiveRecordingIsNotFound) {
  auto client = makeClient();
  const std::string call_sid = answeredCall(*client);
  auto paused = client->updateCallRecording(call_sid, kCurrentRecording, RecordingAction::kPause);
  ASSERT_FALSE(paused.isOk());
  EXPECT_EQ(paused.error().code, 20404);
  EXPECT_EQ(paused.error().toStatus().code(), ErrorCode::kNotFound);
}

TEST_F(TwilioClientTest, StartRecordingOnUnansweredCallIsRefused) {
  auto client = makeClient();
  auto call = client->createCall(dialRequest());
  ASSERT_TRUE(call.isOk());
  StartRecordingRequest start;
  start.call_sid = call->sid;
  auto rec = client->createCallRecording(start);
  ASSERT_FALSE(rec.isOk());
  EXPECT_EQ(rec.error().code, 21220);
}

TEST_F(TwilioClientTest, StartRecordingTimeoutIsOutcomeUnknown) {
  auto options = twilio_.clientOptions();
  options.read_timeout = milliseconds(200);
  auto client = makeClient(options);
  const std::string call_sid = answeredCall(*client);
  twilio_.delayNext(Endpoint::kCreateRecording, milliseconds(800));
  StartRecordingRequest start;
  start.call_sid = call_sid;
  auto rec = client->createCallRecording(start);
  ASSERT_FALSE(rec.isOk());
  EXPECT_TRUE(rec.error().isOutcomeUnknown());
  EXPECT_EQ(twilio_.requests(Endpoint::kCreateRecording).size(), 1u);
}

TEST_F(TwilioClientTest, DeletesTranscriptions) {
  auto client = makeClient();
  const std::string tr = twilio_.addTranscription("RE0123456789abcdef0123456789abcdef");
  auto deleted = client->deleteTranscription(tr);
  ASSERT_TRUE(deleted.isOk());
  EXPECT_EQ(*deleted, DeleteOutcome::kDeleted);
  EXPECT_FALSE(twilio_.transcriptionExists(tr));
  EXPECT_EQ(*client->deleteTranscription(tr), DeleteOutcome::kAlreadyAbsent);
}

TEST_F(TwilioClientTest, DeleteIsRetriedAfterALostAnswer) {
  auto client = makeClient();
  const std::string call_sid = answeredCall(*client);
  StartRecordingRequest start;
  start.call_sid = call_sid;
  auto rec = client->createCallRecording(start);
  ASSERT_TRUE(rec.isOk());
  twilio_.resetNext(Endpoint::kDeleteRecording, /*perform_operation=*/true);
  auto deleted = client->deleteRecording(rec->sid);
  ASSERT_TRUE(deleted.isOk()) << deleted.error().toString();
  EXPECT_EQ(*deleted, DeleteOutcome::kAlreadyAbsent);
  EXPECT_EQ(twilio_.requests(Endpoint::kDeleteRecording).size(), 2u);
}

TEST_F(TwilioClientTest, ListCallsFollowsNextPageUri) {
  auto client = makeClient();
  for (int i = 0; i < 5; ++i) twilio_.addCall("+14155550100", "+14155550199");
  twilio_.addCall("+14155550111", "+14155550199");
  CallFilter filter;
  filter.to = "+14155550100";
  filter.page_size = 2;
  auto calls = client->listCalls(filter);
  ASSERT_TRUE(calls.isOk()) << calls.error().toString();
  ASSERT_EQ(calls->size(), 5u);
  EXPECT_EQ(twilio_.requests(Endpoint::kListCalls).size(), 3u);
  for (size_t i = 1; i < calls->size(); ++i)
    EXPECT_GE(*calls->at(i - 1).date_created, *calls->at(i).date_created);
  filter.max_pages = 1;
  EXPECT_EQ(client->listCalls(filter)->size(), 2u);
}

TEST_F(TwilioClientTest, EndCallCancelsOrCompletes) {
  auto client = makeClient();
  const std::string sid = twilio_.addCall("+14155550100", "+14155550199", "ringing");
  auto ended = client->endCall(sid, EndCallStatus::kCanceled);
  ASSERT_TRUE(ended.isOk()) << ended.error().toString();
  EXPECT_EQ(ended->status, CallStatus::kCanceled);
  EXPECT_EQ(twilio_.requests(Endpoint::kUpdateCall).at(0).form,
            (FormParams{{"Status", "canceled"}}));
}

TEST(TwilioClientOptions, RejectsUnsafeOrMalformedOptions) {
  TwilioClientOptions o;
  o.credentials = TwilioCredentials::authToken("AC0123456789abcdef0123456789abcdef", "token");
  EXPECT_TRUE(TwilioClient::create(o).isOk());
  o.base_url = "http://api.twilio.com";
  EXPECT_FALSE(TwilioClient::create(o).isOk()) << "plain http to a remote host";
  o.base_url = "ftp://127.0.0.1";
  EXPECT_FALSE(TwilioClient::create(o).isOk());
  o.base_url = "https://api.twilio.com";
  o.credentials.account_sid = "AC123";
  EXPECT_FALSE(TwilioClient::create(o).isOk());
  o.credentials = TwilioCredentials::authToken("AC0123456789abcdef0123456789abcdef", "");
  EXPECT_FALSE(TwilioClient::create(o).isOk());
}

TEST(TwilioError, MapsToProjectStatus) {
  TwilioError e;
  e.failure = TwilioFailure::kOutcomeUnknown;
  EXPECT_EQ(e.toStatus().code(), ErrorCode::kUnavailable);
  e.failure = TwilioFailure::kRefused;
  e.http_status = 404;
  EXPECT_EQ(e.toStatus().code(), ErrorCode::kNotFound);
  e.http_status = 401;
  EXPECT_EQ(e.toStatus().code(), ErrorCode::kUnavailable);
  e.failure = TwilioFailure::kInvalidRequest;
  EXPECT_EQ(e.toStatus().code(), ErrorCode::kInvalidArgument);
}

class TwilioClientReconcileTest : public TwilioClientTest {
 protected:
  TwilioClientReconcileTest() : TwilioClientTest(optionsWithClock()) {}
  FakeTwilio::Options optionsWithClock() {
    FakeTwilio::Options o;
    o.clock = &clock_;
    return o;
  }
  static inline testing::FakeClock clock_{"2026-07-15T12:00:00Z"};
};

TEST_F(TwilioClientReconcileTest, FindCallsForAttemptIgnoresOlderCallsToTheSameNumber) {
  auto client = makeClient();
  const std::string old_sid = twilio_.addCall("+14155550100", "+14155550199", "completed");
  clock_.advance(std::chrono::minutes(30));
  const Timestamp sent_at = clock_.now();
  twilio_.failNext(Endpoint::kCreateCall, 503, 0, "Service Unavailable");
  FakeTwilio::Fault fault;
  twilio_.clearFaults();
  fault.http_status = 503;
  fault.perform_operation = true;
  twilio_.addFault(Endpoint::kCreateCall, fault);
  auto call = client->createCall(dialRequest());
  ASSERT_TRUE(call.error().isOutcomeUnknown());
  auto found = client->findCallsForAttempt(dialRequest(), sent_at);
  ASSERT_TRUE(found.isOk());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_NE(found->at(0).sid, old_sid);
}

}  // namespace
}  // namespace callwarden::twilio
