#pragma once
// What a dialer asks the gate, already validated for shape by the HTTP layer.

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
};

}  // namespace callwarden::dialer
