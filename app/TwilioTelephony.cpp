#include "app/TwilioTelephony.h"

#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace callwarden::app {
namespace {

dialer::TelephonyError toGate(const twilio::TwilioError& e) {
  dialer::TelephonyError out;
  switch (e.failure) {
    case twilio::TwilioFailure::kRefused:
      out.failure = dialer::TelephonyFailure::kRefused;
      break;
    case twilio::TwilioFailure::kUnavailable:
      out.failure = dialer::TelephonyFailure::kUnavailable;
      break;
    case twilio::TwilioFailure::kInvalidRequest:
      out.failure = dialer::TelephonyFailure::kInvalid;
      break;
    default:
      // kOutcomeUnknown, kBadResponse and anything added later: the call may exist (when
      // unsure, count).
      out.failure = dialer::TelephonyFailure::kOutcomeUnknown;
      break;
  }
  out.http_status = e.http_status;
  out.code = e.code;
  out.message = e.message;
  if (e.retry_after)
    out.retry_after = std::chrono::duration_cast<std::chrono::seconds>(*e.retry_after);
  return out;
}

dialer::TelephonyCall toGate(const twilio::Call& c) {
  dialer::TelephonyCall out;
  out.sid = c.sid;
  out.status = c.status == twilio::CallStatus::kUnknown ? c.status_text
                                                        : std::string(callStatusName(c.status));
  out.answered_by = c.answered_by;
  out.to = c.to;
  out.from = c.from;
  out.created_at = c.date_created;
  return out;
}

dialer::TelephonyRecording toGate(const twilio::Recording& r) {
  dialer::TelephonyRecording out;
  out.sid = r.sid;
  out.call_sid = r.call_sid;
  out.status = r.status == twilio::RecordingStatus::kUnknown
                   ? r.status_text
                   : std::string(twilio::recordingStatusName(r.status));
  out.source = r.source;
  return out;
}

// For recording control every failure means "not done": a lost answer is not "maybe paused"
// but "not confirmed", which the caller treats as not paused.
dialer::TelephonyError recordingError(const twilio::TwilioError& e) {
  dialer::TelephonyError out = toGate(e);
  if (e.failure == twilio::TwilioFailure::kBadResponse)
    out.message = "unexpected answer: " + e.message;
  return out;
}

}  // namespace

Result<std::string> TwilioTelephony::readAuthTokenFile(const std::string& path) {
  if (path.empty()) return Status::invalidArgument("twilio.auth_token_file is not set");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Status::notFound("Twilio auth token file " + path + " cannot be read");
  if (!S_ISREG(st.st_mode))
    return Status::error(ErrorCode::kPermissionDenied, path + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    return Status::error(ErrorCode::kPermissionDenied,
                         "Twilio auth token file " + path +
                             " is readable or writable by group or others; run `chmod 600 " + path +
                             "`");
  }
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front())))
    token.erase(token.begin());
  if (!in || token.empty() || token.find_first_of(" \t\r\n") != std::string::npos)
    return Status::invalidArgument("Twilio auth token file " + path + " must hold one token");
  return token;
}

TwilioTelephony::TwilioTelephony(std::unique_ptr<twilio::TwilioClient> client,
                                 std::string auth_token,
                                 std::unique_ptr<twilio::TwilioClient> recording_client)
    : client_(std::move(client)),
      recording_client_(std::move(recording_client)),
      signature_(std::move(auth_token)) {}

twilio::CreateCallRequest TwilioTelephony::toCreateRequest(const dialer::OutboundCall& call) {
  twilio::CreateCallRequest r;
  r.to = call.to;
  r.from = call.from;
  r.url = call.url;
  r.twiml = call.twiml;
  r.application_sid = call.application_sid;
  r.machine_detection = call.machine_detection;
  r.timeout = call.timeout_seconds;
  r.caller_id = call.caller_id;
  r.status_callback = call.status_callback;
  r.status_callback_events = call.status_callback_events;
  if (call.record) {
    r.record = true;
    r.recording_channels = call.recording_channels;
    r.recording_status_callback = call.recording_status_callback;
  }
  return r;
}

dialer::TelephonyResult<dialer::TelephonyCall> TwilioTelephony::createCall(
    const dialer::OutboundCall& call) {
  auto r = client_->createCall(toCreateRequest(call));
  if (!r) return toGate(r.error());
  return toGate(*r);
}

dialer::TelephonyResult<dialer::TelephonyCall> TwilioTelephony::fetchCall(
    const std::string& call_sid) {
  auto r = client_->fetchCall(call_sid);
  if (!r) return toGate(r.error());
  return toGate(*r);
}

dialer::TelephonyResult<std::vector<dialer::TelephonyCall>> TwilioTelephony::findCallsForAttempt(
    const dialer::OutboundCall& call, Timestamp sent_at) {
  auto r = client_->findCallsForAttempt(toCreateRequest(call), sent_at);
  if (!r) return toGate(r.error());
  std::vector<dialer::TelephonyCall> out;
  for (const auto& c : *r) out.push_back(toGate(c));
  return out;
}

bool TwilioTelephony::verifyWebhook(std::string_view url, const dialer::WebhookParams& params,
                                    std::string_view signature) const {
  return signature_.validate(url, params, signature);
}

dialer::TelephonyResult<dialer::TelephonyRecording> TwilioTelephony::startRecording(
    const std::string& call_sid, const std::string& status_callback) {
  twilio::StartRecordingRequest req;
  req.call_sid = call_sid;
  req.recording_channels = "dual";
  req.recording_status_callback = status_callback;
  req.recording_status_callback_events = {"in-progress", "completed", "absent"};
  auto& client = recording_client_ ? *recording_client_ : *client_;
  auto r = client.createCallRecording(req);
  if (!r) return recordingError(r.error());
  return toGate(*r);
}

dialer::TelephonyResult<dialer::TelephonyRecording> TwilioTelephony::updateRecording(
    const std::string& call_sid, const std::string& recording_sid,
    dialer::RecordingCommand command) {
  auto& client = recording_client_ ? *recording_client_ : *client_;
  const bool pause = command == dialer::RecordingCommand::kPause;
  // The client checks that Twilio's answer carries the requested status (kBadResponse else).
  auto r = client.updateCallRecording(
      call_sid, recording_sid,
      pause ? twilio::RecordingAction::kPause : twilio::RecordingAction::kResume,
      pause ? twilio::PauseBehavior::kSkip : twilio::PauseBehavior::kTwilioDefault);
  if (!r) return recordingError(r.error());
  return toGate(*r);
}

dialer::TelephonyResult<std::vector<dialer::TelephonyRecording>> TwilioTelephony::listRecordings(
    const std::string& call_sid) {
  auto& client = recording_client_ ? *recording_client_ : *client_;
  auto r = client.listCallRecordings(call_sid);
  if (!r) return recordingError(r.error());
  std::vector<dialer::TelephonyRecording> out;
  for (const auto& x : *r) out.push_back(toGate(x));
  return out;
}

}  // namespace callwarden::app
