#include "twilio/TwilioError.h"

namespace callwarden::twilio {

std::string_view twilioFailureName(TwilioFailure failure) {
  switch (failure) {
    case TwilioFailure::kInvalidRequest:
      return "invalid_request";
    case TwilioFailure::kRefused:
      return "refused";
    case TwilioFailure::kUnavailable:
      return "unavailable";
    case TwilioFailure::kOutcomeUnknown:
      return "outcome_unknown";
    case TwilioFailure::kBadResponse:
      return "bad_response";
  }
  return "unknown";
}

std::string TwilioError::toString() const {
  std::string out = "twilio ";
  out += twilioFailureName(failure);
  if (http_status != 0) out += " http=" + std::to_string(http_status);
  if (code != 0) out += " code=" + std::to_string(code);
  if (!message.empty()) out += ": " + message;
  return out;
}

Status TwilioError::toStatus() const {
  switch (failure) {
    case TwilioFailure::kInvalidRequest:
      return Status::invalidArgument(toString());
    case TwilioFailure::kRefused:
      if (http_status == 404) return Status::notFound(toString());
      // 401/403 mean our own credentials are wrong: a dependency problem, not the caller's.
      if (http_status == 401 || http_status == 403) return Status::unavailable(toString());
      if (http_status == 429) return Status::unavailable(toString());
      if (http_status == 400) return Status::invalidArgument(toString());
      return Status::error(ErrorCode::kFailedPrecondition, toString());
    case TwilioFailure::kUnavailable:
    case TwilioFailure::kOutcomeUnknown:
    case TwilioFailure::kBadResponse:
      return Status::unavailable(toString());
  }
  return Status::internal(toString());
}

}  // namespace callwarden::twilio
