#include "twilio/TwilioTypes.h"

#include <array>
#include <utility>

namespace callwarden::twilio {
namespace {

constexpr std::array<std::pair<CallStatus, std::string_view>, 8> kCallStatusNames{{
    {CallStatus::kQueued, "queued"},
    {CallStatus::kRinging, "ringing"},
    {CallStatus::kInProgress, "in-progress"},
    {CallStatus::kCompleted, "completed"},
    {CallStatus::kBusy, "busy"},
    {CallStatus::kFailed, "failed"},
    {CallStatus::kNoAnswer, "no-answer"},
    {CallStatus::kCanceled, "canceled"},
}};

constexpr std::array<std::pair<RecordingStatus, std::string_view>, 7> kRecordingStatusNames{{
    {RecordingStatus::kInProgress, "in-progress"},
    {RecordingStatus::kPaused, "paused"},
    {RecordingStatus::kStopped, "stopped"},
    {RecordingStatus::kProcessing, "processing"},
    {RecordingStatus::kCompleted, "completed"},
    {RecordingStatus::kAbsent, "absent"},
    {RecordingStatus::kDeleted, "deleted"},
}};

void addIfSet(FormParams& params, std::string_view name, const std::string& value) {
  if (!value.empty()) params.emplace_back(std::string(name), value);
}

void addIfSet(FormParams& params, std::string_view name, std::optional<int> value) {
  if (value) params.emplace_back(std::string(name), std::to_string(*value));
}

void addIfSet(FormParams& params, std::string_view name, std::optional<bool> value) {
  // Twilio's SDKs serialise booleans as lower-case strings.
  if (value) params.emplace_back(std::string(name), *value ? "true" : "false");
}

void addEach(FormParams& params, std::string_view name, const std::vector<std::string>& values) {
  for (const auto& v : values) params.emplace_back(std::string(name), v);
}

}  // namespace

CallStatus parseCallStatus(std::string_view text) {
  for (const auto& [status, name] : kCallStatusNames) {
    if (name == text) return status;
  }
  return CallStatus::kUnknown;
}

std::string_view callStatusName(CallStatus status) {
  for (const auto& [s, name] : kCallStatusNames) {
    if (s == status) return name;
  }
  return "unknown";
}

bool isFinal(CallStatus status) {
  switch (status) {
    case CallStatus::kCompleted:
    case CallStatus::kBusy:
    case CallStatus::kFailed:
    case CallStatus::kNoAnswer:
    case CallStatus::kCanceled:
      return true;
    default:
      return false;
  }
}

RecordingStatus parseRecordingStatus(std::string_view text) {
  for (const auto& [status, name] : kRecordingStatusNames) {
    if (name == text) return status;
  }
  return RecordingStatus::kUnknown;
}

std::string_view recordingStatusName(RecordingStatus status) {
  for (const auto& [s, name] : kRecordingStatusNames) {
    if (s == status) return name;
  }
  return "unknown";
}

bool isValidSid(std::string_view sid, std::string_view prefix) {
  if (sid.size() != prefix.size() + 32 || sid.substr(0, prefix.size()) != prefix) return false;
  for (char c : sid.substr(prefix.size())) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

FormParams toFormParams(const CreateCallRequest& r) {
  FormParams p;
  addIfSet(p, "To", r.to);
  addIfSet(p, "From", r.from);
  addIfSet(p, "Url", r.url);
  addIfSet(p, "Method", r.method);
  addIfSet(p, "Twiml", r.twiml);
  addIfSet(p, "ApplicationSid", r.application_sid);
  addIfSet(p, "FallbackUrl", r.fallback_url);
  addIfSet(p, "FallbackMethod", r.fallback_method);
  addIfSet(p, "StatusCallback", r.status_callback);
  addEach(p, "StatusCallbackEvent", r.status_callback_events);
  addIfSet(p, "StatusCallbackMethod", r.status_callback_method);
  addIfSet(p, "Record", r.record);
  addIfSet(p, "RecordingChannels", r.recording_channels);
  addIfSet(p, "RecordingTrack", r.recording_track);
  addIfSet(p, "RecordingStatusCallback", r.recording_status_callback);
  addIfSet(p, "RecordingStatusCallbackMethod", r.recording_status_callback_method);
  addEach(p, "RecordingStatusCallbackEvent", r.recording_status_callback_events);
  addIfSet(p, "Trim", r.trim);
  addIfSet(p, "MachineDetection", r.machine_detection);
  addIfSet(p, "MachineDetectionTimeout", r.machine_detection_timeout);
  addIfSet(p, "AsyncAmd", r.async_amd);
  addIfSet(p, "AsyncAmdStatusCallback", r.async_amd_status_callback);
  addIfSet(p, "AsyncAmdStatusCallbackMethod", r.async_amd_status_callback_method);
  addIfSet(p, "Timeout", r.timeout);
  addIfSet(p, "TimeLimit", r.time_limit);
  addIfSet(p, "CallerId", r.caller_id);
  addIfSet(p, "SendDigits", r.send_digits);
  addIfSet(p, "CallReason", r.call_reason);
  p.insert(p.end(), r.extra.begin(), r.extra.end());
  return p;
}

FormParams toFormParams(const StartRecordingRequest& r) {
  FormParams p;
  addIfSet(p, "RecordingChannels", r.recording_channels);
  addIfSet(p, "RecordingTrack", r.recording_track);
  addIfSet(p, "Trim", r.trim);
  addIfSet(p, "RecordingStatusCallback", r.recording_status_callback);
  addIfSet(p, "RecordingStatusCallbackMethod", r.recording_status_callback_method);
  addEach(p, "RecordingStatusCallbackEvent", r.recording_status_callback_events);
  return p;
}

}  // namespace callwarden::twilio
