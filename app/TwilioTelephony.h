#pragma once
// Adapts twilio::TwilioClient and twilio::WebhookSignature to the call placer's TelephonyPort,
// translating Twilio's failure classes into the gate's (placed / not placed / may be placed).
//
// Thread-safe: the client is thread-safe and the signature checker immutable. Never throws.

#include <memory>
#include <string>

#include "common/Result.h"
#include "dialer/TelephonyPort.h"
#include "twilio/TwilioClient.h"
#include "twilio/WebhookSignature.h"

namespace callwarden::app {

class TwilioTelephony final : public dialer::TelephonyPort {
 public:
  /// `auth_token` keys the webhook signatures (always the account's primary auth token).
  /// `recording_client`, when given, serves recording control (shorter timeouts and fewer
  /// retries, so a pause is answered within recording.pause_timeout_ms); else `client` does.
  TwilioTelephony(std::unique_ptr<twilio::TwilioClient> client, std::string auth_token,
                  std::unique_ptr<twilio::TwilioClient> recording_client = nullptr);

  /// Replaces the recording-control client. Call before serving requests (not synchronised).
  void setRecordingClient(std::unique_ptr<twilio::TwilioClient> client) {
    recording_client_ = std::move(client);
  }

  dialer::TelephonyResult<dialer::TelephonyCall> createCall(
      const dialer::OutboundCall& call) override;
  dialer::TelephonyResult<dialer::TelephonyCall> fetchCall(const std::string& call_sid) override;
  dialer::TelephonyResult<std::vector<dialer::TelephonyCall>> findCallsForAttempt(
      const dialer::OutboundCall& call, Timestamp sent_at) override;
  bool verifyWebhook(std::string_view url, const dialer::WebhookParams& params,
                     std::string_view signature) const override;
  dialer::TelephonyResult<dialer::TelephonyRecording> startRecording(
      const std::string& call_sid, const std::string& status_callback) override;
  dialer::TelephonyResult<dialer::TelephonyRecording> updateRecording(
      const std::string& call_sid, const std::string& recording_sid,
      dialer::RecordingCommand command) override;
  dialer::TelephonyResult<std::vector<dialer::TelephonyRecording>> listRecordings(
      const std::string& call_sid) override;

  /// Reads the auth token file: it must exist, be a regular file that grants nothing to group
  /// or others (0600/0400), and hold one non-empty line. The message names the file and the fix.
  static Result<std::string> readAuthTokenFile(const std::string& path);

  /// The CreateCallRequest sent for `call` (exposed for tests of the mapping).
  static twilio::CreateCallRequest toCreateRequest(const dialer::OutboundCall& call);

 private:
  std::unique_ptr<twilio::TwilioClient> client_;
  std::unique_ptr<twilio::TwilioClient> recording_client_;  // may be null: client_ serves
  twilio::WebhookSignature signature_;
};

}  // namespace callwarden::app
