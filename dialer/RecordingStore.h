#pragma once
// The durable state of recording control (issue #8): pause sessions (the durable resume timer
// is their next_attempt_at), the recordings known per call, and the `recording` consent
// lookup. store/SqliteRecordingStore implements it (migration 5); tests may substitute fakes.
//
// Thread-safe implementations only. Errors are kUnavailable (store down) or kConflict.

#include <optional>
#include <string>
#include <vector>

#include "common/Clock.h"
#include "common/Result.h"
#include "common/Status.h"
#include "recording/RecordingSession.h"

namespace callwarden::dialer {

class RecordingStore {
 public:
  virtual ~RecordingStore() = default;
  /// Inserts an open session; kConflict when the call already has an open one (the unique
  /// index decides, so two concurrent requests cannot both win).
  virtual Status insertSession(const recording::PauseSession& s) = 0;
  virtual Status updateSession(const recording::PauseSession& s) = 0;
  virtual Result<std::optional<recording::PauseSession>> session(const std::string& id) = 0;
  virtual Result<std::optional<recording::PauseSession>> openSession(
      const std::string& call_sid) = 0;
  /// Oldest first.
  virtual Result<std::vector<recording::PauseSession>> sessionsForCall(
      const std::string& call_sid) = 0;
  /// Paused and resume_failed sessions whose next_attempt_at is at or before `now`.
  virtual Result<std::vector<recording::PauseSession>> dueSessions(Timestamp now) = 0;
  /// Sessions left "pausing" (a request that died before it was answered).
  virtual Result<std::vector<recording::PauseSession>> pausingSessions() = 0;
  /// Open sessions in resume_failed, for the metrics gauge.
  virtual Result<int> resumeFailedCount() = 0;
  virtual Status upsertRecording(const recording::TrackedRecording& r) = 0;
  virtual Result<std::vector<recording::TrackedRecording>> recordings(
      const std::string& call_sid) = 0;
  /// True iff the newest `recording` consent for the subject (or, with no subject, the phone)
  /// is a grant still valid at `now`.
  virtual Result<bool> hasRecordingConsent(const std::string& subject_id, const std::string& phone,
                                           Timestamp now) = 0;
};

}  // namespace callwarden::dialer
