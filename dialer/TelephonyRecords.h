#pragma once
// What the call gateway keeps in the attempt ledger beside the reservations: one PlacedCall
// per call it sent to the provider, and every provider callback as a TelephonyEvent. Plain
// value types; store/ maps them to the placed_call and twilio_event tables (migration 4).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/Clock.h"

namespace callwarden::dialer {

enum class PlacedCallState {
  /// Written before the create is sent, and kept when its answer is lost: the call may exist.
  /// The reservation stays pending (it counts) until a callback or the reconciler settles it.
  kUnknown,
  kPlaced,     // the provider gave us a call SID
  kSettled,    // a final status settled the reservation
  kRefused,    // the provider refused the create; the reservation was released
  kAbandoned,  // never found at the provider; the reservation stays counted
};
std::string_view placedCallStateName(PlacedCallState s);
PlacedCallState parsePlacedCallState(std::string_view s);

struct PlacedCall {
  std::string reservation_id;
  std::string call_sid;  // empty while kUnknown
  PlacedCallState state = PlacedCallState::kUnknown;
  std::string to;
  std::string from;
  std::string subject_id;  // for the audit log's subject key
  std::string api_key;     // who placed it
  Timestamp sent_at{};
  std::string last_status;  // the provider status with the highest sequence number seen
  int last_sequence = -1;
  bool rang = false;  // a ringing or in-progress status was seen
  std::string answered_by;
  std::string final_status;
  std::optional<Timestamp> settled_at;
  int reconcile_attempts = 0;
  /// The reconciler looks at this call again at or after this instant; unset = never.
  std::optional<Timestamp> next_reconcile_at;
};

/// A provider callback (or a reconciler finding), stored before it is acknowledged. The key
/// (kind, call_sid, resource_sid, status, sequence_number) is unique: a replay is not stored
/// twice and is therefore never processed twice.
struct TelephonyEvent {
  int64_t id = 0;
  std::string kind;  // "call-status", "recording-status" or "reconcile"
  std::string call_sid;
  std::string resource_sid;  // RecordingSid for recording events, else empty
  std::string status;        // CallStatus / RecordingStatus
  int sequence_number = -1;  // -1 when the provider sent none
  std::string answered_by;
  std::string to;
  std::string from;
  /// The non-personal callback fields worth keeping, form-encoded (see CallPlacer.cpp).
  std::string params;
  std::string request_id;
  Timestamp received_at{};
  std::optional<Timestamp> processed_at;
  std::string result;  // what processing did: "settled", "recorded", "unmatched", ...
};

}  // namespace callwarden::dialer
