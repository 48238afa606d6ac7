#pragma once
// What a dialer asks the gate, already validated for shape by the HTTP layer.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/Clock.h"
#include "policy/Types.h"
#include "recording/RecordingDecision.h"

namespace callwarden::dialer {

struct CallRequest {
  policy::CallContext
      call;  // to, purpose, call_type, locations, at (inconvenient times come from the store)
  bool client_time = false;  // `at` came from the client rather than the clock
  std::string subject_id;    // the consumer; required for debt_collection
  std::vector<std::string> debts;
  std::string campaign_id;
  std::string subject_matter;
};

/// Who asked, for the audit log.
struct Caller {
  std::string key_name;
  std::string request_id;
  /// The caller holds its answer until GateDecision::flush_pending is durable
  /// (AuditTrail::whenDurable), so a check whose record must be flushed may return once it is
  /// written, and no thread waits for the disk. Only the HTTP transport sets it.
  bool holds_answer_until_flushed = false;
};

struct GateDecision {
  bool allowed = false;
  std::vector<policy::Reason> reasons;
  std::optional<Timestamp> next_allowed_at;
  std::vector<std::string> zones;
  std::vector<std::string> jurisdictions;
  std::string policy_version;
  std::string decision_id;
  std::optional<std::string> reservation_id;  // reserve only, on allow
  std::optional<Timestamp> expires_at;
  /// Whether and how the call is recorded (issue #8); set where the recording policy ran.
  std::optional<recording::RecordingDecision> recording;
  /// Set for a check by a caller that holds its answer (Caller::holds_answer_until_flushed):
  /// the audit record's seq, written but not yet durable. The answer may not leave before
  /// it is; if the flush fails, the answer is denyForAuditFailure() of this one.
  std::optional<uint64_t> flush_pending;
  /// The decision failed and is only a deny with INTERNAL_ERROR (CallGate fails closed):
  /// nothing else of it, zones included, was evaluated, so nothing more is derived from it.
  bool failed = false;
};

/// What a decision becomes when its audit record cannot be written or flushed: a deny with
/// AUDIT_UNAVAILABLE and no next time (fail closed).
void denyForAuditFailure(GateDecision& d);

}  // namespace callwarden::dialer
