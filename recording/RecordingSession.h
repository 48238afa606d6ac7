#pragma once
// The pure part of a recording pause (issue #8): the states a pause session goes through,
// its resume deadline, the retry backoff of a failed resume, and the recording state a caller
// sees. RecordingControl (dialer/) does the I/O and keeps sessions durable.
//
//   pausing --all recordings confirmed paused--> paused --resumed--> resumed (closed)
//      |                                          |  \--resume failed--> resume_failed --retry-->
//      \--refused / timeout / wrong status--> unconfirmed (closed; nothing paused)
//   paused or resume_failed --call ended--> ended (closed, no resume)
//
// Fail closed: a session is "paused" only after every active recording was confirmed paused.
// Pure: no I/O, never throws, thread-safe.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/Clock.h"

namespace callwarden::recording {

enum class SessionState { kPausing, kPaused, kResumeFailed, kResumed, kUnconfirmed, kEnded };
std::string_view sessionStateName(SessionState s);
std::optional<SessionState> parseSessionState(std::string_view s);
/// pausing, paused and resume_failed: at most one such session per call.
bool isOpen(SessionState s);

enum class SessionKind { kPayment, kPause };
std::string_view sessionKindName(SessionKind k);
std::optional<SessionKind> parseSessionKind(std::string_view s);

/// A pause session as stored.
struct PauseSession {
  std::string id;  // pay_... or pause_...
  std::string call_sid;
  SessionKind kind = SessionKind::kPayment;
  std::string reason;
  SessionState state = SessionState::kPausing;
  std::string api_key;
  Timestamp requested_at{};
  std::optional<Timestamp> confirmed_at;
  std::optional<Timestamp> resume_deadline;
  std::optional<Timestamp> resumed_at;
  std::optional<Timestamp> closed_at;
  std::string close_reason;  // completed, manual, deadline, call_ended, unconfirmed
  int resume_attempts = 0;
  /// When the worker next resumes it: the deadline, then the retry time.
  std::optional<Timestamp> next_attempt_at;
  std::string last_error;
  std::vector<std::string> recording_sids;  // the recordings this session paused
};

/// A recording as last known (Twilio's status text: in-progress, paused, stopped, completed,
/// absent, processing).
struct TrackedRecording {
  std::string sid;
  std::string call_sid;
  std::string status;
  std::string source;
  Timestamp updated_at{};
};
/// in-progress or paused: the recording may still capture audio once resumed.
bool isActiveRecordingStatus(std::string_view status);

/// The deadline for a pause confirmed at `confirmed_at`; `limit` is clamped to (0, 15 min].
Timestamp resumeDeadline(Timestamp confirmed_at, std::chrono::seconds limit);
inline constexpr std::chrono::seconds kMaxResumeDeadline{900};

/// When a resume that failed `attempts` times is tried again: 5 s doubling, at most 5 min.
Timestamp nextResumeRetry(Timestamp now, int attempts);

/// The state GET /v1/calls/{sid}/recording shows: "none", "recording", "paused", "stopped"
/// or "resume_failed". Fail closed: "paused" only when a session is paused and no tracked
/// recording is in progress.
std::string_view visibleState(const std::vector<TrackedRecording>& recordings,
                              const std::optional<PauseSession>& open_session);

}  // namespace callwarden::recording
