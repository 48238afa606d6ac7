#include "audit/AuditEvent.h"

#include <array>

namespace callwarden::audit {

namespace {
constexpr std::array<std::string_view, 19> kNames = {
    "unknown",        "decision",     "reservation",  "reservation_outcome", "conversation",
    "consent_change", "dnc_change",   "flag_change",  "recording_action",    "erasure",
    "config_load",    "rule_load",    "auth_failure", "audit_repair",        "webhook_rejected",
    "call_placed",    "twilio_event", "audit_open",   "audit_close"};
}  // namespace

bool isKnownEventType(uint16_t value) {
  return value >= 1 && value < kNames.size();
}

std::string_view eventTypeName(EventType type) {
  auto v = static_cast<uint16_t>(type);
  return isKnownEventType(v) ? kNames[v] : kNames[0];
}

std::optional<EventType> eventTypeFromName(std::string_view name) {
  for (uint16_t v = 1; v < kNames.size(); ++v) {
    if (kNames[v] == name) return static_cast<EventType>(v);
  }
  return std::nullopt;
}

}  // namespace callwarden::audit
