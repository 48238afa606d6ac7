#pragma once
// FakeTwilio: a stateful fake of the parts of Twilio's 2010 REST API that callwarden uses,
// served over plain HTTP on 127.0.0.1 with an ephemeral port, for gateway, recording and
// client tests. It answers with Twilio's real response shapes (twilio.md §1-§3, error JSON
// §0.2), records every request, can inject faults, and can send signed status and recording
// callbacks (twilio.md §4, §5) to the system under test.
//
// Typical use:
//   FakeTwilio twilio;                                   // listening on twilio.baseUrl()
//   auto client = TwilioClient::create(twilio.clientOptions()).value();
//   twilio.failNext(FakeTwilio::Endpoint::kCreateCall, 400, 21211, "Invalid 'To' Phone Number");
//   ... exercise the gateway ...
//   twilio.setCallStatus(sid, "in-progress");
//   twilio.sendStatusCallback(sid, "answered");           // signed POST to the call's
//   StatusCallback EXPECT_EQ(twilio.requests(FakeTwilio::Endpoint::kCreateCall).size(), 1u);
//
// Behaviour (documented so tests can rely on it):
//  - Auth: HTTP Basic with (account SID, auth token) or (API key SID, secret); anything else
//    -> 401 {"code":20003}. The account SID in the path must be ours, else 401 20003.
//  - POST Calls.json -> 201, status "queued", direction "outbound-api". Missing To -> 400 21201,
//    missing From -> 400 21213, none of Url/Twiml/ApplicationSid -> 400 21205, To not E.164 /
//    sip: / client: -> 400 21211. Twilio's test magic numbers for To: +15005550001 -> 21217,
//    +15005550002 -> 21214, +15005550003 -> 21215, +15005550004 -> 21216.
//  - GET Calls.json filters To, From, Status, ParentCallSid; newest first; PageSize/Page with
//    next_page_uri. StartTime filters are accepted and ignored.
//  - POST Calls/{CA}.json Status=canceled|completed ends the call (active recordings complete).
//  - POST Calls/{CA}/Recordings.json needs the call "in-progress" (else 400 21220) -> 201,
//    status "in-progress", source "StartCallRecordingAPI", channels 2 for dual.
//  - POST Calls/{CA}/Recordings/{RE|Twilio.CURRENT}.json Status=paused|in-progress|stopped:
//    call not in progress -> 400 21220; Twilio.CURRENT with no active (in-progress/paused)
//    recording -> 404 20404; a stopped recording cannot change -> 400 20001.
//  - DELETE Recordings/{RE}.json, Transcriptions/{TR}.json, Calls/{CA}/Recordings/{RE}.json
//    -> 204, then 404 20404 for that SID.
//  - Unknown path -> 404 20404. Thread-safe: all public methods may be called while requests run.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/Clock.h"
#include "common/Result.h"
#include "twilio/FormParams.h"
#include "twilio/TwilioClient.h"

namespace callwarden::testing {

class FakeTwilio {
 public:
  using FormParams = twilio::FormParams;

  struct Options {
    std::string account_sid = "AC0123456789abcdef0123456789abcdef";
    std::string auth_token = "fake0auth0token0123456789abcdef0";
    std::string api_key_sid = "SK0123456789abcdef0123456789abcdef";
    std::string api_key_secret = "fake-api-key-secret";
    /// Source of date_created/Timestamp values; nullptr = system clock. Not owned.
    const Clock* clock = nullptr;
  };

  /// Which operation a request was routed to (kOther: unknown path or method).
  enum class Endpoint {
    kAny,  // only for matching faults and filtering requests()
    kCreateCall,
    kFetchCall,
    kUpdateCall,
    kListCalls,
    kDeleteCall,
    kCreateRecording,
    kUpdateRecording,
    kFetchCallRecording,
    kListCallRecordings,
    kDeleteCallRecording,
    kListRecordings,
    kFetchRecording,
    kDeleteRecording,
    kDeleteTranscription,
    kOther,
  };

  /// A scripted fault, consumed by the next matching request(s), in the order added.
  struct Fault {
    enum class Kind {
      kError,                 // answer http_status with Twilio's error JSON (or raw_body)
      kDelay,                 // wait `delay`, then answer normally (the client may have given up)
      kReset,                 // close the connection with a TCP RST instead of answering
      kWrongRecordingStatus,  // answer a recording update with status `wrong_status`, change
                              // nothing
    };
    Kind kind = Kind::kError;
    int http_status = 500;
    int code = 0;  // Twilio error code in the JSON; 0 = same as http_status
    std::string message = "Internal Server Error";
    std::optional<int> retry_after_seconds;  // sent as Retry-After
    std::string raw_body;                    // when set, sent instead of the error JSON
    std::chrono::milliseconds delay{0};
    /// Perform the operation before failing (kError, kReset): "Twilio created the call, then the
    /// answer was lost". kDelay always performs it after the wait.
    bool perform_operation = false;
    std::string wrong_status = "in-progress";
  };

  /// One request as received.
  struct Request {
    std::string method;
    std::string path;  // without query string
    FormParams query;
    FormParams form;  // decoded form body (repeated keys kept, in order)
    std::string body;
    std::string authorization;  // the raw header
    std::string content_type;
    Endpoint endpoint = Endpoint::kOther;
    int answered_status = 0;  // 0 when the fault reset the connection
  };

  struct CallState {
    std::string sid;
    std::string to;
    std::string from;
    std::string status;  // queued ringing in-progress completed busy failed no-answer canceled
    FormParams create_params;  // the form body of the create request (empty for addCall())
    std::string status_callback;
    std::string status_callback_method;
    std::vector<std::string> status_callback_events;
    std::string recording_status_callback;
    Timestamp date_created;
    int next_sequence_number = 0;
  };

  struct RecordingState {
    std::string sid;
    std::string call_sid;
    std::string status;  // in-progress paused stopped completed absent
    int channels = 1;
    std::string source;
    std::string track = "both";
    std::string pause_behavior;  // last PauseBehavior sent with Status=paused
    std::string recording_status_callback;
    std::string recording_status_callback_method;
    bool deleted = false;
  };

  /// How a callback is sent. Defaults: POST, signature computed with the auth token over the
  /// target URL.
  struct CallbackOptions {
    /// URL the signature is computed over, when it differs from where the request is sent
    /// (e.g. the public URL of a gateway behind a TLS-terminating proxy).
    std::string sign_url;
    /// Sent as X-Twilio-Signature instead of the computed one (to test rejection).
    std::optional<std::string> signature;
    /// Sign with this token instead of the account's.
    std::optional<std::string> auth_token;
    /// "http://127.0.0.1:PORT": send to this origin instead of the callback URL's (the path and
    /// query are kept), while signing the callback URL itself, as a proxy in front of the
    /// gateway would see it. Lets a test configure a public URL before the port is known.
    std::string deliver_to;
  };

  /// The answer to a callback we sent.
  struct CallbackResponse {
    int status = 0;
    std::string body;
  };

  FakeTwilio();
  explicit FakeTwilio(Options options);
  /// Stops the server, aborting delayed requests, and waits for its threads.
  ~FakeTwilio();
  FakeTwilio(const FakeTwilio&) = delete;
  FakeTwilio& operator=(const FakeTwilio&) = delete;

  /// "http://127.0.0.1:<port>".
  std::string baseUrl() const;
  unsigned short port() const;
  const std::string& accountSid() const;
  const std::string& authToken() const;
  /// Options for a TwilioClient talking to this fake with the auth token; tests adjust
  /// timeouts/retry/sleeper as needed.
  twilio::TwilioClientOptions clientOptions() const;

  // --- faults --------------------------------------------------------------------------------
  void addFault(Endpoint endpoint, Fault fault, int times = 1);
  /// Answer http_status with {"code":code,...}; code 0 = http_status.
  void failNext(Endpoint endpoint, int http_status, int code = 0, std::string message = "Error",
                int times = 1);
  /// 429 code 20429 with Retry-After.
  void rateLimitNext(Endpoint endpoint, int retry_after_seconds, int times = 1);
  void delayNext(Endpoint endpoint, std::chrono::milliseconds delay, int times = 1);
  void resetNext(Endpoint endpoint, bool perform_operation = false, int times = 1);
  void answerWrongRecordingStatus(std::string status = "in-progress", int times = 1);
  void clearFaults();

  // --- what was received ----------------------------------------------------------------------
  std::vector<Request> requests(Endpoint endpoint = Endpoint::kAny) const;
  void clearRequests();

  // --- state ---------------------------------------------------------------------------------
  std::optional<CallState> call(const std::string& sid) const;
  std::vector<CallState> calls() const;
  std::optional<RecordingState> recording(const std::string& sid) const;
  std::vector<RecordingState> recordings() const;
  /// Adds a call as if created earlier (by another process, or before a lost answer).
  std::string addCall(const std::string& to, const std::string& from,
                      const std::string& status = "queued");
  /// Moves a call to a status. A final status completes its active recordings.
  void setCallStatus(const std::string& sid, const std::string& status);
  /// Adds an in-progress dual-channel recording to a call, as if Twilio started one (a
  /// transfer with <Dial record>). Returns its RE sid.
  std::string addRecording(const std::string& call_sid,
                           const std::string& recording_status_callback,
                           const std::string& source = "DialVerb");
  /// Adds a transcription of a recording, for deletion tests. Returns its TR sid.
  std::string addTranscription(const std::string& recording_sid);
  bool transcriptionExists(const std::string& sid) const;

  // --- callbacks -----------------------------------------------------------------------------
  /// Sends the call's StatusCallback (URL and method from the create request) for `event`:
  /// initiated, ringing, answered (CallStatus in-progress) or completed (CallStatus = the call's
  /// final status if it has one, else "completed"). The fake's call status follows the event.
  /// Parameters per twilio.md §5.1 plus `extra`. Errors if the call has no StatusCallback.
  Result<CallbackResponse> sendStatusCallback(const std::string& call_sid, const std::string& event,
                                              const FormParams& extra = {},
                                              const CallbackOptions& options = {});
  /// Sends the recording's RecordingStatusCallback for status in-progress, completed or absent
  /// (twilio.md §5.2). completed also sets the fake's recording status.
  Result<CallbackResponse> sendRecordingCallback(const std::string& recording_sid,
                                                 const std::string& status,
                                                 const FormParams& extra = {},
                                                 const CallbackOptions& options = {});
  /// Sends any signed callback: POST form (method "POST") or GET with params in the query.
  Result<CallbackResponse> sendSignedRequest(const std::string& url, const FormParams& params,
                                             const std::string& method = "POST",
                                             const CallbackOptions& options = {});

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace callwarden::testing
