#pragma once
// What went wrong talking to Twilio, in the terms the gateway needs to decide. The key
// distinction is between "Twilio refused" (nothing happened, the call was not placed) and
// "outcome unknown" (a request that creates something was sent but no definite answer came
// back: the call may exist and must be counted as placed, then reconciled).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/Result.h"
#include "common/Status.h"

namespace callwarden::twilio {

enum class TwilioFailure {
  /// Rejected locally before anything was sent (bad SID, missing To, unknown callback event).
  kInvalidRequest,
  /// Twilio answered with an error (4xx, or 429 on a create). Nothing was created or changed.
  kRefused,
  /// Twilio could not be reached or kept failing (connection refused, TLS failure, 5xx/429/timeouts
  /// after all retries). For creates this is only reported when the request provably never
  /// left this process; idempotent requests may have taken effect and are safe to repeat.
  kUnavailable,
  /// A create (call or recording) was sent, but the answer was lost (timeout, reset, 5xx or an
  /// unreadable 2xx). It may have taken effect. Never retried automatically.
  kOutcomeUnknown,
  /// Twilio answered 2xx with a body we cannot use, or with a state other than the one requested
  /// (e.g. a pause answered with "in-progress").
  kBadResponse,
};

std::string_view twilioFailureName(TwilioFailure failure);

/// A failed Twilio operation. `code`, `more_info` come from Twilio's error JSON
/// ({"code":21211,"message":...,"more_info":...,"status":400}) when there was one.
struct TwilioError {
  TwilioFailure failure = TwilioFailure::kUnavailable;
  int http_status = 0;  // 0 when no HTTP answer was received
  int code = 0;         // Twilio error code (20404, 21211, ...); 0 when none was given
  std::string message;
  std::string more_info;
  /// The server's Retry-After, when it sent one (429/503).
  std::optional<std::chrono::milliseconds> retry_after;
  /// How many HTTP attempts were made (0 for kInvalidRequest).
  int attempts = 0;

  bool isRefused() const { return failure == TwilioFailure::kRefused; }
  bool isOutcomeUnknown() const { return failure == TwilioFailure::kOutcomeUnknown; }
  std::string toString() const;
  /// Maps to the project-wide Status: 404 -> kNotFound, other refusals -> kInvalidArgument (400)
  /// or kFailedPrecondition, everything else -> kUnavailable (local validation ->
  /// kInvalidArgument). The gateway should switch on `failure` itself where "placed or not"
  /// matters.
  Status toStatus() const;
};

/// A value or a TwilioError.
template <typename T>
using TwilioResult = Result<T, TwilioError>;

}  // namespace callwarden::twilio
