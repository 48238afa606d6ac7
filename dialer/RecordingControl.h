#pragma once
// Recording control (issue #8; docs/recording.md): confirmed, bounded, audited pauses of a
// call's recordings for payments (PCI DSS: no card data in a recording), manual pauses,
// recordings started on calls callwarden did not place, and the recording policy.
//
// Fail closed: a pause is reported only after the provider confirmed every active recording
// paused; otherwise the session is "unconfirmed", whatever was paused is resumed, and the
// caller gets kUnconfirmed (HTTP 503 PAUSE_UNCONFIRMED). Every pause is bounded by a durable
// resume deadline (RecordingStore next_attempt_at), resumed by resumeDueOnce() from the worker
// (dialer/RecordingWorker) and at start by recoverAtStart(). A failed resume is retried with
// backoff and shows as resume_failed.
//
// Thread-safe: operations on one call are serialised by a striped lock; state lives in the
// store. `port` may be null (Twilio not configured): every operation then fails with
// kFailedPrecondition. Never throws. The store, audit trail, port and clock must outlive it.

#include <array>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/Clock.h"
#include "common/Result.h"
#include "dialer/AuditTrail.h"
#include "dialer/CallPlacer.h"
#include "dialer/CallRequest.h"
#include "dialer/RecordingStore.h"
#include "dialer/TelephonyPort.h"
#include "policy/Types.h"
#include "recording/RecordingPolicy.h"
#include "recording/RecordingSession.h"

namespace callwarden::dialer {

struct RecordingControlOptions {
  /// recording.resume_deadline_seconds: automatic resume after a confirmed pause (<= 900 s).
  std::chrono::seconds resume_deadline{180};
  /// Where the provider reports recordings we start: public_base_url + "/twilio/recording-status".
  std::string public_base_url;
};

enum class PauseOutcome {
  kPaused,       // every active recording confirmed paused
  kUnconfirmed,  // refused, timed out or answered another status: NOT paused
  kConflict,     // the call already has an open session
};

struct PauseResult {
  PauseOutcome outcome = PauseOutcome::kUnconfirmed;
  recording::PauseSession session;
  std::string message;
};

/// What GET /v1/calls/{sid}/recording shows.
struct RecordingView {
  std::string state;  // none, recording, paused, stopped, resume_failed
  std::vector<recording::TrackedRecording> recordings;
  std::vector<recording::PauseSession> sessions;  // oldest first, failed attempts included
};

/// Candidate jurisdictions for a number and its locations (the gate's numbering plan).
using JurisdictionResolver = std::function<Result<std::vector<std::string>>(
    const std::string& to, const std::vector<policy::Location>& locations)>;

class RecordingControl final : public TelephonyEventObserver {
 public:
  RecordingControl(RecordingStore& store, AuditTrail& audit, TelephonyPort* port,
                   const Clock& clock, recording::RecordingPolicy policy,
                   JurisdictionResolver resolver, RecordingControlOptions options);
  RecordingControl(const RecordingControl&) = delete;
  RecordingControl& operator=(const RecordingControl&) = delete;

  bool configured() const { return port_ != nullptr; }

  /// The recording policy for a subject. `jurisdictions` empty: resolved from `to` and
  /// `locations`. A consent lookup that fails counts as "no consent" (fail closed).
  recording::RecordingDecision decide(const std::string& to, const std::string& subject_id,
                                      const std::vector<policy::Location>& locations,
                                      std::vector<std::string> jurisdictions) const;

  /// Opens a payment (kPayment) or manual (kPause) session and pauses every active recording
  /// of the call (PauseBehavior=skip). kFailedPrecondition when not configured; kUnavailable
  /// when the store fails before anything was sent.
  Result<PauseResult> openPause(const std::string& call_sid, recording::SessionKind kind,
                                const std::string& reason, const Caller& caller);
  /// Resumes and closes a session of `kind` (idempotent: a closed session is returned as it
  /// is). kNotFound for an unknown id, another call's session or another kind's (nothing is
  /// resumed then). A resume that fails leaves the session resume_failed (retried by the
  /// worker) and is returned with that state.
  Result<recording::PauseSession> closeSession(const std::string& call_sid,
                                               const std::string& session_id,
                                               recording::SessionKind kind,
                                               const std::string& close_reason,
                                               const Caller& caller);
  /// The call's open session, if any.
  Result<std::optional<recording::PauseSession>> openSession(const std::string& call_sid);
  /// Starts a dual-channel recording on a live call (the caller applied the policy).
  Result<recording::TrackedRecording> startRecording(const std::string& call_sid,
                                                     const recording::RecordingDecision& decision,
                                                     const Caller& caller);
  Result<RecordingView> view(const std::string& call_sid);

  /// Resumes sessions whose deadline or retry time has passed. Returns how many were tried.
  int resumeDueOnce(Timestamp now);
  /// At start: sessions left "pausing" by a crash are resumed (the agent never got a
  /// confirmation), then everything overdue. Returns how many were tried.
  int recoverAtStart();
  /// Sessions currently in resume_failed (for /metrics); -1 when the store cannot say.
  int resumeFailedSessions();

  /// Call and recording callbacks, after the placer applied them (worker thread).
  void onTelephonyEvent(const TelephonyEvent& event) override;

  /// Called with a counter name for every failed resume, e.g. to feed /metrics.
  void setCounter(std::function<void(const std::string&)> counter);

 private:
  std::mutex& lockFor(const std::string& call_sid);
  /// Resumes what `s` paused. Updates and stores `s`. Caller holds lockFor(call_sid).
  void resumeLocked(recording::PauseSession& s, Timestamp now, const std::string& trigger,
                    const Caller& caller);
  void endSessionLocked(recording::PauseSession& s, Timestamp now, const std::string& why);
  /// `call_sid` names the call when there is no session. The session's reason is free text
  /// an agent typed, so it is sealed (under a per-call key), never in clear.
  void audit(const std::string& action, const std::string& result, const recording::PauseSession* s,
             const std::string& recording_sids, const std::string& error, const Caller& caller,
             const std::string& call_sid = "") const;
  /// Resumes whatever a session left "pausing" may have paused, and closes it. Needs the
  /// call's lock.
  void recoverPausingLocked(recording::PauseSession s, Timestamp now, const std::string& why);
  /// No pause request takes this long (two attempts at recording.pause_timeout_ms, itself at
  /// most seconds), so a "pausing" session this old is left over, not in progress.
  static constexpr std::chrono::minutes kStalePausing{5};
  void track(const std::string& call_sid, const std::string& sid, const std::string& status,
             const std::string& source);
  void count(const std::string& name);

  RecordingStore& store_;
  AuditTrail& audit_;
  TelephonyPort* const port_;
  const Clock& clock_;
  const recording::RecordingPolicy policy_;
  const JurisdictionResolver resolver_;
  const RecordingControlOptions options_;
  std::array<std::mutex, 32> locks_;
  std::mutex counter_mutex_;
  std::function<void(const std::string&)> counter_;  // guarded by counter_mutex_
};

}  // namespace callwarden::dialer
