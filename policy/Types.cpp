#include "policy/Types.h"

namespace callwarden::policy {

Result<Purpose> parsePurpose(std::string_view text) {
  if (text == "telemarketing") return Purpose::kTelemarketing;
  if (text == "debt_collection") return Purpose::kDebtCollection;
  if (text == "informational") return Purpose::kInformational;
  return Status::invalidArgument(
      "purpose must be one of telemarketing, debt_collection, informational", "purpose");
}

std::string_view purposeName(Purpose purpose) {
  switch (purpose) {
    case Purpose::kTelemarketing:
      return "telemarketing";
    case Purpose::kDebtCollection:
      return "debt_collection";
    case Purpose::kInformational:
      return "informational";
  }
  return "unknown";
}

Result<CallType> parseCallType(std::string_view text) {
  if (text == "live") return CallType::kLive;
  if (text == "autodialed") return CallType::kAutodialed;
  if (text == "prerecorded") return CallType::kPrerecorded;
  return Status::invalidArgument("call_type must be one of live, autodialed, prerecorded",
                                 "call_type");
}

std::string_view callTypeName(CallType type) {
  switch (type) {
    case CallType::kLive:
      return "live";
    case CallType::kAutodialed:
      return "autodialed";
    case CallType::kPrerecorded:
      return "prerecorded";
  }
  return "unknown";
}

std::string_view reasonCodeName(ReasonCode code) {
  switch (code) {
    case ReasonCode::kCallingWindow:
      return "CALLING_WINDOW";
    case ReasonCode::kDayBanned:
      return "DAY_BANNED";
    case ReasonCode::kZoneUnknown:
      return "ZONE_UNKNOWN";
    case ReasonCode::kInconvenientTime:
      return "INCONVENIENT_TIME";
    case ReasonCode::kRegf7In7:
      return "REGF_7_IN_7";
    case ReasonCode::kRegfPostConversation:
      return "REGF_POST_CONVERSATION";
    case ReasonCode::kStateFrequencyCap:
      return "STATE_FREQUENCY_CAP";
    case ReasonCode::kDncInternal:
      return "DNC_INTERNAL";
    case ReasonCode::kDncNational:
      return "DNC_NATIONAL";
    case ReasonCode::kDncState:
      return "DNC_STATE";
    case ReasonCode::kDncListStale:
      return "DNC_LIST_STALE";
    case ReasonCode::kConsentRevoked:
      return "CONSENT_REVOKED";
    case ReasonCode::kConsentMissing:
      return "CONSENT_MISSING";
    case ReasonCode::kReassignedNumber:
      return "REASSIGNED_NUMBER";
    case ReasonCode::kAccountBlocked:
      return "ACCOUNT_BLOCKED";
    case ReasonCode::kStoreUnavailable:
      return "STORE_UNAVAILABLE";
    case ReasonCode::kAuditUnavailable:
      return "AUDIT_UNAVAILABLE";
    case ReasonCode::kInternalError:
      return "INTERNAL_ERROR";
  }
  // An out-of-range value is a bug somewhere; the name that fails closed is INTERNAL_ERROR.
  return "INTERNAL_ERROR";
}

}  // namespace callwarden::policy
