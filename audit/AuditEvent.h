#pragma once
// What the service asks the audit log to remember. Personal data is kept apart from clear,
// non-personal metadata so the log can seal it under the subject's own key (crypto-shredding).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callwarden::audit {

/// Stored as a u16 in every record: values are part of the on-disk format. Never renumber or
/// reuse a value; append new types at the end and add them to eventTypeName().
enum class EventType : uint16_t {
  kDecision = 1,
  kReservation = 2,
  kReservationOutcome = 3,
  kConversation = 4,
  kConsentChange = 5,
  kDncChange = 6,
  kFlagChange = 7,
  kRecordingAction = 8,
  kErasure = 9,
  kConfigLoad = 10,
  kRuleLoad = 11,
  kAuthFailure = 12,
  kAuditRepair = 13,
  kWebhookRejected = 14,
  kCallPlaced = 15,
  kTwilioEvent = 16,
  kAuditOpen = 17,  // written by AuditLog::open, so every restart is visible in the log
  kAuditClose = 18,
};

/// "decision", "erasure", ...; "unknown" for a value outside the enum.
std::string_view eventTypeName(EventType type);
/// True for the values listed above. The verifier rejects records with any other value.
bool isKnownEventType(uint16_t value);
std::optional<EventType> eventTypeFromName(std::string_view name);

using Fields = std::vector<std::pair<std::string, std::string>>;

/// A plain value type. Field names are limited to 65535 bytes and values to 16 MiB.
struct AuditEvent {
  EventType type = EventType::kDecision;
  /// NON-personal: decision, reason codes, rule version, key name, random ids. Stored in clear.
  Fields clear;
  /// Who the personal data is about, e.g. "subject:S-1" or "phone:+15415550123". Never stored
  /// in the log; only an HMAC of it (keyed from the KEK) is kept in the subject key store.
  /// Empty means the event carries no personal data, and `personal` must then be empty too.
  std::string subject_key;
  /// Sealed with AES-256-GCM under the subject's data key.
  Fields personal;
};

}  // namespace callwarden::audit
