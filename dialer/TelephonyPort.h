#pragma once
// The port through which the call placer reaches the telephony provider (Twilio), in the gate's
// terms. app/ adapts twilio::TwilioClient and twilio::WebhookSignature to it; tests substitute
// fakes. Declared here, in the module that uses it, so dependencies point inward and dialer/
// stays free of HTTP.
//
// The one distinction that matters to the gate is TelephonyFailure: kRefused and kUnavailable
// mean the call was NOT placed (release the slot); kOutcomeUnknown means it may have been
// placed (keep it counted and reconcile).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/Clock.h"

namespace callwarden::dialer {

/// Name/value pairs of a webhook form body, in arrival order (repeated names allowed).
using WebhookParams = std::vector<std::pair<std::string, std::string>>;

/// The call to create. The callback and recording fields are set by CallPlacer, never by the
/// dialer.
struct OutboundCall {
  std::string to;
  std::string from;
  // Exactly one of the three.
  std::string url;
  std::string twiml;
  std::string application_sid;
  std::string machine_detection;  // "", "Enable" or "DetectMessageEnd"
  std::optional<int> timeout_seconds;
  std::string caller_id;
  std::string status_callback;
  std::vector<std::string> status_callback_events;
  bool record = false;
  std::string recording_channels;  // "dual" when recording
  std::string recording_status_callback;
};

/// A call as the provider reports it. `status` is the provider's raw status text
/// ("queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer",
/// "canceled"; anything else is treated as not final).
struct TelephonyCall {
  std::string sid;
  std::string status;
  std::string answered_by;
  std::string to;
  std::string from;
  std::optional<Timestamp> created_at;
};

/// A recording of a live call as the provider reports it. `status`: in-progress, paused,
/// stopped, processing, completed, absent (the provider's text).
struct TelephonyRecording {
  std::string sid;
  std::string call_sid;
  std::string status;
  std::string source;
};

/// What to do with a live recording. kPause leaves the paused time out of the file (Twilio
/// PauseBehavior=skip).
enum class RecordingCommand { kPause, kResume };

enum class TelephonyFailure {
  kRefused,         // the provider answered with an error: not placed
  kUnavailable,     // the request provably never reached the provider: not placed
  kOutcomeUnknown,  // sent, answer lost (timeout, reset, 5xx): may be placed
  kInvalid,         // rejected before sending (caller bug or bad input): not placed
};
std::string_view telephonyFailureName(TelephonyFailure f);

struct TelephonyError {
  TelephonyFailure failure = TelephonyFailure::kUnavailable;
  int http_status = 0;  // 0 when no HTTP answer came
  int code = 0;         // the provider's error code (Twilio: 21211, 20429, ...); 0 when none
  std::string message;
  std::optional<std::chrono::seconds> retry_after;
};

/// A value or a TelephonyError.
template <typename T>
struct [[nodiscard]] TelephonyResult {
  TelephonyResult(T v) : value(std::move(v)) {}               // NOLINT: implicit by design
  TelephonyResult(TelephonyError e) : error(std::move(e)) {}  // NOLINT
  bool isOk() const { return value.has_value(); }
  std::optional<T> value;
  TelephonyError error;
};

/// Thread-safe implementations only: one port serves every request thread and the
/// background worker. Implementations never throw.
class TelephonyPort {
 public:
  virtual ~TelephonyPort() = default;
  /// Creates the call. Never repeated by the implementation once the request may have left
  /// the process.
  virtual TelephonyResult<TelephonyCall> createCall(const OutboundCall& call) = 0;
  virtual TelephonyResult<TelephonyCall> fetchCall(const std::string& call_sid) = 0;
  /// After kOutcomeUnknown: calls with the same To and From created since shortly before
  /// `sent_at`, newest first. More than one candidate means "ambiguous".
  virtual TelephonyResult<std::vector<TelephonyCall>> findCallsForAttempt(const OutboundCall& call,
                                                                          Timestamp sent_at) = 0;
  /// True iff `signature` authenticates a webhook to `url` (the public URL the provider
  /// called) with these form parameters.
  virtual bool verifyWebhook(std::string_view url, const WebhookParams& params,
                             std::string_view signature) const = 0;

  // Recording control (issue #8, dialer/RecordingControl). The defaults answer kUnavailable,
  // so a port without recording support fails closed ("not paused").

  /// Starts a dual-channel recording of a live call, reporting to `status_callback`. Not
  /// repeated by the implementation once sent.
  virtual TelephonyResult<TelephonyRecording> startRecording(const std::string& call_sid,
                                                             const std::string& status_callback);
  /// Pauses or resumes one recording. OK only when the provider answered with the requested
  /// status (paused / in-progress); anything else is an error.
  virtual TelephonyResult<TelephonyRecording> updateRecording(const std::string& call_sid,
                                                              const std::string& recording_sid,
                                                              RecordingCommand command);
  /// The call's recordings, any status.
  virtual TelephonyResult<std::vector<TelephonyRecording>> listRecordings(
      const std::string& call_sid);
};

inline TelephonyResult<TelephonyRecording> TelephonyPort::startRecording(const std::string&,
                                                                         const std::string&) {
  return TelephonyError{
      TelephonyFailure::kUnavailable, 0, 0, "recording control not supported", {}};
}
inline TelephonyResult<TelephonyRecording> TelephonyPort::updateRecording(const std::string&,
                                                                          const std::string&,
                                                                          RecordingCommand) {
  return TelephonyError{
      TelephonyFailure::kUnavailable, 0, 0, "recording control not supported", {}};
}
inline TelephonyResult<std::vector<TelephonyRecording>> TelephonyPort::listRecordings(
    const std::string&) {
  return TelephonyError{
      TelephonyFailure::kUnavailable, 0, 0, "recording control not supported", {}};
}

}  // namespace callwarden::dialer
