#pragma once
// Consent and its revocation at the gate (regulations.md 4.1, 4.3; TV-22, TV-24): resolves a
// consumer's history of grant/revoke records into an answer for one call, and voids consent on
// a number the Reassigned Numbers Database says was disconnected after the consent was given.
// History is only ever read here; records are appended elsewhere and never overwritten.
//
// Thread-safe: stateless. Never throws.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/Clock.h"
#include "policy/ListPolicy.h"
#include "policy/Types.h"

namespace callwarden::policy {

/// One consent record as stored (POST /v1/consents). Only the "telemarketing" and "robocall"
/// scopes concern the gate; "regf_call" is Reg F's direct consent (FrequencyPolicy) and
/// "recording" is about recording, not calling.
struct ConsentEvent {
  std::string id;
  std::string subject_id;
  std::string phone;  ///< E.164 or empty (the record is about the subject, not one number)
  std::string scope;  ///< "telemarketing", "robocall", ...
  bool grant = true;  ///< false: a revocation
  Timestamp received_at{};
  std::optional<Timestamp> valid_until;
  std::int64_t seq = 0;  ///< insertion order; breaks ties between equal received_at
};

/// A Reassigned Numbers Database answer recorded for a number.
enum class RndResult : std::uint8_t { kYes, kNo, kNoData };
/// "yes", "no", "no_data".
std::optional<RndResult> parseRndResult(std::string_view text);
std::string_view rndResultName(RndResult r);

struct RndAnswer {
  RndResult result = RndResult::kNoData;
  std::optional<Date> disconnected_on;  ///< set for kYes
  Timestamp queried_at{};
};

struct ConsentOptions {
  /// Treat every telemarketing call as needing a recorded telemarketing (or robocall) grant,
  /// for sellers whose policy requires prior express written consent.
  bool require_written_consent_for_telemarketing = false;
  /// An RND "no_data" gives no safe harbor (47 CFR 64.1200(m)); deny robocalls on it.
  bool rnd_no_data_denies_robocalls = true;
};

struct ConsentInput {
  Purpose purpose = Purpose::kTelemarketing;
  CallType call_type = CallType::kLive;
  std::string to;          ///< E.164
  std::string subject_id;  ///< may be empty
  Timestamp at{};
  /// Every record for this number or subject, in any order. Records received after `at` are
  /// ignored (they did not exist at that instant).
  std::vector<ConsentEvent> history;
  /// Every RND answer for the number, any order; the latest one queried by `at` counts.
  std::vector<RndAnswer> rnd;
};

struct ConsentDecision {
  std::vector<Reason> reasons;  ///< CONSENT_REVOKED, CONSENT_MISSING, REASSIGNED_NUMBER
  /// A valid, unvoided telemarketing or robocall grant covers this call: lifts rules such as
  /// Utah's Sunday/holiday ban (CallContext::prior_express_consent).
  bool prior_express_consent = false;
  /// The grant the decision relied on, if any (for the audit record).
  std::string consent_id;
  bool consent_void = false;  ///< the RND voided that grant (TV-24)
};

/// Rules (docs/lists-and-consent.md):
/// - A revocation of the telemarketing or robocall scope, through any channel, for the number
///   or the subject, covers every robocall and robotext from us from the moment it is received
///   (revoke-all, TV-22). It is also a company-specific do-not-call request, so it blocks live
///   telemarketing calls too. Only a grant received after it lifts it.
/// - Autodialed and prerecorded calls need a current robocall grant: CONSENT_REVOKED when the
///   latest relevant record is a revocation, CONSENT_MISSING when there is none or it expired.
/// - An RND "yes" with a disconnect date on or after the grant's date voids the grant
///   (REASSIGNED_NUMBER); "no_data" denies robocalls unless the option is off.
ConsentDecision evaluateConsent(const ConsentInput& in, const ConsentOptions& options);

}  // namespace callwarden::policy
