#include "recording/RecordingSession.h"

#include <algorithm>

namespace callwarden::recording {

std::string_view sessionStateName(SessionState s) {
  switch (s) {
    case SessionState::kPausing:
      return "pausing";
    case SessionState::kPaused:
      return "paused";
    case SessionState::kResumeFailed:
      return "resume_failed";
    case SessionState::kResumed:
      return "resumed";
    case SessionState::kUnconfirmed:
      return "unconfirmed";
    case SessionState::kEnded:
      return "ended";
  }
  return "unknown";
}

std::optional<SessionState> parseSessionState(std::string_view s) {
  for (auto v : {SessionState::kPausing, SessionState::kPaused, SessionState::kResumeFailed,
                 SessionState::kResumed, SessionState::kUnconfirmed, SessionState::kEnded}) {
    if (sessionStateName(v) == s) return v;
  }
  return std::nullopt;
}

bool isOpen(SessionState s) {
  return s == SessionState::kPausing || s == SessionState::kPaused ||
         s == SessionState::kResumeFailed;
}

std::string_view sessionKindName(SessionKind k) {
  return k == SessionKind::kPayment ? "payment" : "pause";
}

std::optional<SessionKind> parseSessionKind(std::string_view s) {
  if (s == "payment") return SessionKind::kPayment;
  if (s == "pause") return SessionKind::kPause;
  return std::nullopt;
}

bool isActiveRecordingStatus(std::string_view status) {
  return status == "in-progress" || status == "paused";
}

Timestamp resumeDeadline(Timestamp confirmed_at, std::chrono::seconds limit) {
  if (limit <= std::chrono::seconds::zero() || limit > kMaxResumeDeadline)
    limit = kMaxResumeDeadline;
  return confirmed_at + limit;
}

Timestamp nextResumeRetry(Timestamp now, int attempts) {
  std::chrono::seconds wait{5};
  for (int i = 1; i < attempts && wait < std::chrono::seconds(300); ++i) wait *= 2;
  return now + std::min(wait, std::chrono::seconds(300));
}

std::string_view visibleState(const std::vector<TrackedRecording>& recordings,
                              const std::optional<PauseSession>& open_session) {
  const bool any_in_progress =
      std::any_of(recordings.begin(), recordings.end(),
                  [](const TrackedRecording& r) { return r.status == "in-progress"; });
  const bool any_paused =
      std::any_of(recordings.begin(), recordings.end(),
                  [](const TrackedRecording& r) { return r.status == "paused"; });
  if (open_session && open_session->state == SessionState::kResumeFailed) return "resume_failed";
  if (any_in_progress) return "recording";
  if (open_session && open_session->state == SessionState::kPaused) return "paused";
  // A recording paused outside a session (another tool) is still paused.
  if (any_paused) return "paused";
  if (recordings.empty()) return "none";
  return "stopped";
}

}  // namespace callwarden::recording
