#pragma once
// The Twilio REST client: places calls, controls recordings on live calls and deletes
// recordings/transcriptions, over HTTPS with certificate verification (twilio.md §0-§3).
//
// Retries: requests that are safe to repeat (GET, DELETE, setting a recording or call to a
// state) are retried on connection failures, timeouts, 408, 429 and 5xx with exponential
// backoff, jitter and Retry-After. Creates (calls, recordings) are never repeated once they may
// have reached Twilio: a lost answer is reported as TwilioFailure::kOutcomeUnknown, and
// findCallsForAttempt() helps reconcile.

#include <chrono>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/Result.h"
#include "twilio/FormParams.h"
#include "twilio/Sleeper.h"
#include "twilio/TwilioError.h"
#include "twilio/TwilioTypes.h"

namespace callwarden::twilio {

/// HTTP Basic credentials. Either the account's auth token or an API key (SK...) and its
/// secret; the account SID is in every path either way.
struct TwilioCredentials {
  std::string account_sid;  // AC...
  std::string username;     // account SID or API key SID
  std::string secret;       // auth token or API key secret

  static TwilioCredentials authToken(std::string account_sid, std::string auth_token);
  static TwilioCredentials apiKey(std::string account_sid, std::string key_sid,
                                  std::string key_secret);
};

struct RetryPolicy {
  /// Total attempts for a safe request, including the first.
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{8000};
  /// A Retry-After longer than this is not waited for: the error is returned with retry_after set.
  std::chrono::milliseconds max_retry_after{30000};
};

struct TwilioClientOptions {
  /// Scheme, host and optional port, no path: "https://api.twilio.com". http:// is accepted only
  /// for loopback hosts (tests, local mocks).
  std::string base_url = "https://api.twilio.com";
  TwilioCredentials credentials;
  std::chrono::milliseconds connect_timeout{5000};
  /// Per read/write on the socket, not the whole exchange.
  std::chrono::milliseconds read_timeout{30000};
  RetryPolicy retry;
  /// CA file or directory; empty uses the system store (OpenSSL default paths).
  std::string ca_location;
  /// http:// is refused for non-loopback hosts unless this is set (credentials would travel in
  /// clear text). For a mock in another container, never for Twilio.
  bool allow_insecure_http = false;
  std::string user_agent = "callwarden-twilio/1";
  /// Backoff waits; nullptr means a ThreadSleeper.
  std::shared_ptr<Sleeper> sleeper;
};

/// Thread-safe: every call opens its own HTTP(S) session, and the TLS context, options and
/// jitter source are immutable or locked. Never throws; every failure is a TwilioError.
/// Not copyable; share it by reference or pointer.
class TwilioClient {
 public:
  /// Validates the options (account SID format, base URL, credentials) and builds the TLS
  /// context. kInvalidArgument on bad options.
  static Result<std::unique_ptr<TwilioClient>> create(TwilioClientOptions options);
  ~TwilioClient();
  TwilioClient(const TwilioClient&) = delete;
  TwilioClient& operator=(const TwilioClient&) = delete;

  /// POST /Calls.json. Not retried once the request may have reached Twilio: check
  /// error().isOutcomeUnknown() and count the call as placed; kRefused means it was not placed.
  TwilioResult<Call> createCall(const CreateCallRequest& request);
  /// GET /Calls/{sid}.json.
  TwilioResult<Call> fetchCall(std::string_view call_sid);
  /// GET /Calls.json, following next_page_uri up to filter.max_pages.
  TwilioResult<std::vector<Call>> listCalls(const CallFilter& filter);
  /// Reconciliation after kOutcomeUnknown: calls with the request's To and From created at or
  /// after `sent_at - slack`, newest first. Twilio has no idempotency key for calls, so more than
  /// one candidate means "ambiguous"; the status callback (which carries CallSid) settles it.
  TwilioResult<std::vector<Call>> findCallsForAttempt(
      const CreateCallRequest& request, Timestamp sent_at,
      std::chrono::seconds slack = std::chrono::seconds(120));
  /// POST /Calls/{sid}.json Status=canceled|completed (hang up). Retried: setting a state.
  TwilioResult<Call> endCall(std::string_view call_sid, EndCallStatus status);

  /// POST /Calls/{sid}/Recordings.json. Not retried (a repeat could start a second recording).
  TwilioResult<Recording> createCallRecording(const StartRecordingRequest& request);
  /// POST /Calls/{sid}/Recordings/{recording_sid|Twilio.CURRENT}.json Status=... Retried.
  /// kBadResponse when Twilio answers with a status other than the one asked for.
  TwilioResult<Recording> updateCallRecording(
      std::string_view call_sid, std::string_view recording_sid, RecordingAction action,
      PauseBehavior pause_behavior = PauseBehavior::kTwilioDefault);
  /// GET /Calls/{sid}/Recordings.json (first page of up to 1000 recordings).
  TwilioResult<std::vector<Recording>> listCallRecordings(std::string_view call_sid);
  /// DELETE /Recordings/{sid}.json: the media is gone for good (twilio.md §3.2).
  TwilioResult<DeleteOutcome> deleteRecording(std::string_view recording_sid);
  /// DELETE /Transcriptions/{sid}.json.
  TwilioResult<DeleteOutcome> deleteTranscription(std::string_view transcription_sid);

  const std::string& accountSid() const { return options_.credentials.account_sid; }

 private:
  /// Whether a request may be sent again after a lost or 5xx answer.
  enum class Repeat { kSafe, kNever };
  struct Response {
    int status = 0;
    std::string body;
  };

  explicit TwilioClient(TwilioClientOptions options);
  /// `path` starts with "/" and is relative to base_url (with query when any).
  TwilioResult<Response> execute(const std::string& method, const std::string& path,
                                 const FormParams* form, Repeat repeat);
  std::string accountPath(std::string_view rest) const;
  std::chrono::milliseconds backoff(int attempt);
  template <typename T>
  TwilioResult<std::vector<T>> listPages(std::string path, int max_pages);

  struct Tls;  // the Poco TLS context, kept out of this header

  const TwilioClientOptions options_;
  bool https_ = true;
  std::string host_;
  unsigned short port_ = 0;
  std::string base_path_;      // path prefix of base_url without trailing '/', usually empty
  std::string authorization_;  // "Basic ..."
  std::unique_ptr<Tls> tls_;   // null for http://
  std::shared_ptr<Sleeper> sleeper_;
  std::mutex jitter_mutex_;
  std::mt19937_64 jitter_;  // guarded by jitter_mutex_
};

}  // namespace callwarden::twilio
