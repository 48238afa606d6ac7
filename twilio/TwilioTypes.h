#pragma once
// The Twilio resources and requests callwarden uses, as plain structs (twilio.md §1, §2, §3).
// Strings left empty and optionals left unset are not sent, so Twilio's defaults apply.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/Clock.h"
#include "twilio/FormParams.h"

namespace callwarden::twilio {

/// Call.status. kUnknown for any value this build does not know: callers must treat it as
/// "not known to be finished".
enum class CallStatus {
  kQueued,
  kRinging,
  kInProgress,
  kCompleted,
  kBusy,
  kFailed,
  kNoAnswer,
  kCanceled,
  kUnknown
};
CallStatus parseCallStatus(std::string_view text);
std::string_view callStatusName(CallStatus status);
/// completed, busy, failed, no-answer, canceled.
bool isFinal(CallStatus status);

/// Recording.status (call recordings; account recordings add "deleted").
enum class RecordingStatus {
  kInProgress,
  kPaused,
  kStopped,
  kProcessing,
  kCompleted,
  kAbsent,
  kDeleted,
  kUnknown
};
RecordingStatus parseRecordingStatus(std::string_view text);
std::string_view recordingStatusName(RecordingStatus status);

/// A Call resource (twilio.md §1.1). Timestamps are parsed from Twilio's RFC 2822 strings.
struct Call {
  std::string sid;  // CA...
  std::string account_sid;
  std::string parent_call_sid;
  std::string to;
  std::string from;
  CallStatus status = CallStatus::kUnknown;
  std::string status_text;  // the raw value, kept for logs when status is kUnknown
  std::string direction;    // outbound-api for calls we create
  std::string answered_by;  // AMD result, empty without AMD
  std::optional<Timestamp> date_created;
  std::optional<Timestamp> start_time;
  std::optional<Timestamp> end_time;
  std::optional<int> duration_seconds;
  std::string price;
  std::string price_unit;
  std::string uri;
};

/// A call recording or account recording (twilio.md §2.1, §3.1).
struct Recording {
  std::string sid;  // RE...
  std::string account_sid;
  std::string call_sid;
  std::string conference_sid;
  RecordingStatus status = RecordingStatus::kUnknown;
  std::string status_text;
  int channels = 0;
  std::string source;  // StartCallRecordingAPI, OutboundAPI, ...
  std::string track;
  std::optional<int> duration_seconds;
  std::optional<Timestamp> date_created;
  std::optional<Timestamp> start_time;
  std::optional<int> error_code;
  std::string uri;
};

/// POST /Calls.json (twilio.md §1). To, From and exactly one of url / twiml / application_sid
/// are required. The two event lists are sent as repeated keys.
struct CreateCallRequest {
  std::string to;
  std::string from;
  std::string url;
  std::string method;  // GET|POST for url
  std::string twiml;   // <= 4000 characters
  std::string application_sid;
  std::string fallback_url;
  std::string fallback_method;
  std::string status_callback;
  std::vector<std::string> status_callback_events;  // initiated ringing answered completed
  std::string status_callback_method;
  std::optional<bool> record;
  std::string recording_channels;  // mono|dual
  std::string recording_track;     // inbound|outbound|both
  std::string recording_status_callback;
  std::string recording_status_callback_method;
  std::vector<std::string> recording_status_callback_events;  // in-progress completed absent
  std::string trim;                                           // trim-silence|do-not-trim
  std::string machine_detection;                              // Enable|DetectMessageEnd
  std::optional<int> machine_detection_timeout;
  std::optional<bool> async_amd;
  std::string async_amd_status_callback;
  std::string async_amd_status_callback_method;
  std::optional<int> timeout;     // ring timeout, seconds
  std::optional<int> time_limit;  // max call duration, seconds
  std::string caller_id;
  std::string send_digits;
  std::string call_reason;
  /// Any other documented parameter, appended verbatim after the ones above.
  FormParams extra;
};

/// POST /Calls/{CallSid}/Recordings.json (twilio.md §2.1). Call must be in progress.
struct StartRecordingRequest {
  std::string call_sid;
  std::string recording_channels = "dual";
  std::string recording_track;  // inbound|outbound|both
  std::string trim;             // trim-silence|do-not-trim
  std::string recording_status_callback;
  std::string recording_status_callback_method;
  std::vector<std::string> recording_status_callback_events;  // in-progress completed absent
};

/// What to do with a live recording (Status=paused|in-progress|stopped).
enum class RecordingAction { kPause, kResume, kStop };
/// Only with kPause: skip leaves the paused time out of the file, silence (Twilio's default)
/// fills it with silence.
enum class PauseBehavior { kTwilioDefault, kSkip, kSilence };

/// Ends a call: kCanceled for a queued/ringing call, kCompleted for an answered one.
enum class EndCallStatus { kCanceled, kCompleted };

/// Filter for GET /Calls.json. Empty fields are not sent.
struct CallFilter {
  std::string to;
  std::string from;
  std::string status;
  std::string parent_call_sid;
  std::string start_time_after;  // StartTime>=, YYYY-MM-DD (UTC)
  int page_size = 50;
  int max_pages = 5;  // stop following next_page_uri after this many pages
};

/// Outcome of a DELETE: 404 is not an error, because "gone" is what the caller wanted and a
/// retried DELETE whose first answer was lost sees exactly that.
enum class DeleteOutcome { kDeleted, kAlreadyAbsent };

/// Sentinel recording SID meaning "the call's active recording".
inline constexpr std::string_view kCurrentRecording = "Twilio.CURRENT";

/// True iff `sid` is `prefix` followed by 32 hex digits (Twilio's SID pattern).
bool isValidSid(std::string_view sid, std::string_view prefix);

/// The form parameters createCall sends, in order, with repeated keys for the event lists.
FormParams toFormParams(const CreateCallRequest& request);
FormParams toFormParams(const StartRecordingRequest& request);

}  // namespace callwarden::twilio
