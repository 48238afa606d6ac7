#pragma once
// The call gateway's use case (issue #7): callwarden places the call itself, so every call that
// reaches the provider has passed the gate. place() reserves through the CallGate, then creates
// the call with callbacks and dual-channel recording the dialer cannot override. Provider
// callbacks are verified, stored durably (idempotent on call, status and sequence number) and
// acknowledged; processPendingEvents() later settles the reservation from the final status.
// reconcileOnce() fetches calls whose create answer was lost or whose final callback never came.
//
// Statuses map to gate outcomes in exactly one place, settlementForFinalStatus() (see there and
// docs/gateway.md). Settling from the provider only ever moves a reservation towards "counted":
// a pending one is settled, a released one is re-counted when the provider says the call
// connected or rang, a counted one is never released.
//
// Thread-safe: state lives in the ledger; the only member that changes is the wake-up hook,
// behind a mutex. `port` may be null: the gateway is then "not configured" (place() fails with
// kFailedPrecondition, webhooks are rejected and audited). Never throws.

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/Clock.h"
#include "common/Result.h"
#include "dialer/AttemptLedger.h"
#include "dialer/AuditTrail.h"
#include "dialer/CallGate.h"
#include "dialer/CallRequest.h"
#include "dialer/TelephonyPort.h"
#include "recording/RecordingDecision.h"

namespace callwarden::dialer {

/// Told about every stored provider event after the placer applied it (recording control,
/// issue #8). Called on the worker thread, in arrival order; must not throw.
class TelephonyEventObserver {
 public:
  virtual ~TelephonyEventObserver() = default;
  virtual void onTelephonyEvent(const TelephonyEvent& event) = 0;
};

struct CallPlacerOptions {
  /// Where the provider reaches us, without a trailing '/': callbacks go to
  /// public_base_url + "/twilio/call-status" and "/twilio/recording-status".
  std::string public_base_url;
  /// Records every placed call (dual channel) unless `recording_policy` is set.
  bool record = true;
  /// The recording policy (issue #8): decides per call whether it is recorded; the answer is
  /// also returned in the decision (GateDecision::recording).
  std::function<recording::RecordingDecision(const CallRequest&, const GateDecision&)>
      recording_policy;
  /// How long after sending an unanswered create is first reconciled, and the pause between
  /// reconciliation attempts of one call.
  std::chrono::seconds reconcile_interval{60};
  /// A call never found at the provider stops being looked for after this; its reservation
  /// stays counted.
  std::chrono::seconds abandon_after{std::chrono::hours(24)};
};

/// How a reservation is settled by a provider status.
struct Settlement {
  ReservationState state = ReservationState::kCounted;
  std::string outcome;
};

/// Twilio's final CallStatus -> gate settlement; nullopt for a status that is not final.
///   completed, no-answer   -> counted (the call rang or connected)
///   busy, failed           -> released (not connected; Twilio's "failed" is an unreachable
///                             number, unlike a dialer-reported "failed", which counts)
///   canceled               -> counted if the call rang (`rang`), else released
bool isFinalCallStatus(std::string_view status);
std::optional<Settlement> settlementForFinalStatus(std::string_view status, bool rang);

enum class PlaceOutcome {
  kPlaced,       // the provider accepted the call (call_sid set)
  kUnknown,      // sent, answer lost: counted, being reconciled (no call_sid yet)
  kDenied,       // the gate said no; nothing was sent
  kRefused,      // the provider refused: reservation released
  kRateLimited,  // the provider answered 429: reservation released
  kUnavailable,  // the provider was not reached: reservation released
  kInvalid,      // the call fields were rejected before sending: reservation released
};
std::string_view placeOutcomeName(PlaceOutcome o);

struct PlaceResult {
  PlaceOutcome outcome = PlaceOutcome::kDenied;
  GateDecision decision;
  std::string call_sid;
  std::string call_status;  // the provider's status ("queued"), or "unknown"
  bool reconciled = false;  // the answer was lost but the call was found at once
  std::optional<TelephonyError> error;
};

enum class WebhookKind { kCallStatus, kRecordingStatus };

class CallPlacer {
 public:
  CallPlacer(const CallGate& gate, AttemptLedger& ledger, AuditTrail& audit, TelephonyPort* port,
             const Clock& clock, CallPlacerOptions options);
  CallPlacer(const CallPlacer&) = delete;
  CallPlacer& operator=(const CallPlacer&) = delete;

  bool configured() const { return port_ != nullptr; }

  /// Reserves, then creates `call` (its to is taken from `request`; callbacks and recording are
  /// overwritten). kFailedPrecondition when not configured; kUnavailable when the ledger cannot
  /// record the attempt before sending (the reservation is then released, nothing is sent);
  /// gate errors otherwise. Every outcome with a reservation is in the audit log (kCallPlaced).
  Result<PlaceResult> place(const CallRequest& request, OutboundCall call, const Caller& caller);

  /// A provider callback: verifies the signature against `url` (the public URL), stores the
  /// event durably, wakes the worker. kPermissionDenied for a missing or wrong signature or an
  /// unconfigured gateway (audited as kWebhookRejected with `route` and the request id);
  /// kInvalidArgument for a signed callback without its required fields; kUnavailable when it
  /// could not be stored (the provider retries). OK for a replay as well.
  Status receiveWebhook(WebhookKind kind, std::string_view route, std::string_view url,
                        const WebhookParams& params, std::string_view signature,
                        const std::string& request_id);

  /// Applies every stored, unprocessed event; returns how many were processed. Each event is
  /// applied and marked in one ledger transaction, then audited (kTwilioEvent).
  int processPendingEvents();
  /// One reconciliation pass at `now`: unknown creates are looked up (findCallsForAttempt),
  /// placed calls past their reservation's expiry without a final status are fetched. Returns
  /// how many calls were examined.
  int reconcileOnce(Timestamp now);

  /// Called (on the request thread) after a new event is stored. Set before serving requests.
  void setWakeup(std::function<void()> wakeup);
  /// Recording control's hook (may be null). Set before the worker starts; not owned.
  void setEventObserver(TelephonyEventObserver* observer);

 private:
  struct Applied;
  Applied applyEvent(LedgerTxn& txn, const TelephonyEvent& e, Timestamp now) const;
  void adoptSid(LedgerTxn& txn, PlacedCall& pc, const std::string& sid, Timestamp now) const;
  void auditEvent(const TelephonyEvent& e, const Applied& a) const;
  void auditPlaced(const PlaceResult& r, const OutboundCall& call, const Caller& caller,
                   const std::string& subject_id) const;
  void reconcileCall(const PlacedCall& pc, Timestamp now);
  void rejectWebhook(std::string_view route, std::string_view reason,
                     const std::string& request_id) const;
  void wake();

  const CallGate& gate_;
  AttemptLedger& ledger_;
  AuditTrail& audit_;
  TelephonyPort* const port_;
  const Clock& clock_;
  const CallPlacerOptions options_;
  std::mutex wakeup_mutex_;
  std::function<void()> wakeup_;  // guarded by wakeup_mutex_
  std::atomic<TelephonyEventObserver*> observer_{nullptr};
};

}  // namespace callwarden::dialer
