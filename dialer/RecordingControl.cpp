#include "dialer/RecordingControl.h"

#include <algorithm>

#include "common/Log.h"
#include "common/Random.h"

namespace callwarden::dialer {
namespace {

using recording::PauseSession;
using recording::SessionKind;
using recording::SessionState;

constexpr int kCallNotInProgress = 21220;  // Twilio: the call is no longer in progress
constexpr int kNotFound = 20404;

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::string describe(const TelephonyError& e) {
  std::string out(telephonyFailureName(e.failure));
  if (e.http_status != 0) out += " http " + std::to_string(e.http_status);
  if (e.code != 0) out += " code " + std::to_string(e.code);
  if (!e.message.empty()) out += ": " + e.message;
  return out;
}

}  // namespace

RecordingControl::RecordingControl(RecordingStore& store, AuditTrail& audit, TelephonyPort* port,
                                   const Clock& clock, recording::RecordingPolicy policy,
                                   JurisdictionResolver resolver, RecordingControlOptions options)
    : store_(store),
      audit_(audit),
      port_(port),
      clock_(clock),
      policy_(std::move(policy)),
      resolver_(std::move(resolver)),
      options_(std::move(options)) {}

std::mutex& RecordingControl::lockFor(const std::string& call_sid) {
  return locks_[std::hash<std::string>{}(call_sid) % locks_.size()];
}

void RecordingControl::setCounter(std::function<void(const std::string&)> counter) {
  std::lock_guard<std::mutex> lock(counter_mutex_);
  counter_ = std::move(counter);
}

void RecordingControl::count(const std::string& name) {
  std::lock_guard<std::mutex> lock(counter_mutex_);
  if (counter_) counter_(name);
}

recording::RecordingDecision RecordingControl::decide(
    const std::string& to, const std::string& subject_id,
    const std::vector<policy::Location>& locations, std::vector<std::string> jurisdictions) const {
  recording::RecordingSubject subject;
  subject.to = to;
  for (const auto& l : locations)
    if (!l.tz.empty()) subject.zones.push_back(l.tz);
  if (jurisdictions.empty() && resolver_) {
    auto j = resolver_(to, locations);
    if (j.isOk()) jurisdictions = *j;
  }
  subject.jurisdictions = std::move(jurisdictions);
  // Only an EU/UK subject's decision depends on a recording consent; asking the store for
  // everyone else would add a database read to every call check for nothing.
  if (recording::isEuOrUkSubject(subject.to, subject.zones)) {
    auto consent = store_.hasRecordingConsent(subject_id, to, clock_.now());
    subject.recording_consent = consent.isOk() && *consent;  // unsure: no consent
  }
  return policy_.decide(subject);
}

void RecordingControl::audit(const std::string& action, const std::string& result,
                             const PauseSession* s, const std::string& recording_sids,
                             const std::string& error, const Caller& caller,
                             const std::string& call_sid) const {
  audit::AuditEvent ev;
  ev.type = audit::EventType::kRecordingAction;
  ev.clear = {{"action", action}, {"result", result}};
  if (s) {
    ev.clear.emplace_back("call_sid", s->call_sid);
    ev.clear.emplace_back("session_id", s->id);
    ev.clear.emplace_back("kind", std::string(recording::sessionKindName(s->kind)));
    ev.clear.emplace_back("state", std::string(recording::sessionStateName(s->state)));
    if (!s->reason.empty()) {
      ev.subject_key = "call:" + s->call_sid;
      ev.personal = {{"reason", s->reason}};
    }
  } else if (!call_sid.empty()) {
    ev.clear.emplace_back("call_sid", call_sid);
  }
  ev.clear.emplace_back("recording_sids", recording_sids);
  if (!error.empty()) ev.clear.emplace_back("error", error);
  ev.clear.emplace_back("key", caller.key_name);
  ev.clear.emplace_back("request_id", caller.request_id);
  auto r = audit_.append(ev);
  if (!r.isOk()) {
    Log::error("audit append failed for a recording action",
               {{"action", action}, {"error", r.status().message()}});
  }
}

void RecordingControl::track(const std::string& call_sid, const std::string& sid,
                             const std::string& status, const std::string& source) {
  recording::TrackedRecording r;
  r.sid = sid;
  r.call_sid = call_sid;
  r.status = status;
  r.source = source;
  r.updated_at = clock_.now();
  Status s = store_.upsertRecording(r);
  if (!s.isOk()) Log::error("cannot store a recording's status", {{"error", s.message()}});
}

Result<PauseResult> RecordingControl::openPause(const std::string& call_sid, SessionKind kind,
                                                const std::string& reason, const Caller& caller) {
  if (!port_) return Status::error(ErrorCode::kFailedPrecondition, "Twilio is not configured");
  std::lock_guard<std::mutex> lock(lockFor(call_sid));
  PauseResult result;
  PauseSession& s = result.session;
  s.id = randomId(kind == SessionKind::kPayment ? "pay_" : "pause_");
  s.call_sid = call_sid;
  s.kind = kind;
  s.reason = reason;
  s.state = SessionState::kPausing;
  s.api_key = caller.key_name;
  s.requested_at = clock_.now();
  Status ins = store_.insertSession(s);
  if (ins.code() == ErrorCode::kConflict) {
    result.outcome = PauseOutcome::kConflict;
    auto open = store_.openSession(call_sid);
    if (open.isOk() && *open) result.session = **open;
    result.message = "the call already has an open payment or pause session";
    return result;
  }
  if (!ins.isOk()) return ins;

  // Every active recording, as Twilio knows them now (a recording we have not heard of yet
  // still counts), plus the ones we track.
  std::vector<std::string> active;
  std::string error;
  auto listed = port_->listRecordings(call_sid);
  if (!listed.isOk()) {
    error = "listing recordings failed: " + describe(listed.error);
  } else {
    for (const auto& r : *listed.value) {
      track(call_sid, r.sid, r.status, r.source);
      if (recording::isActiveRecordingStatus(r.status)) active.push_back(r.sid);
    }
  }
  std::vector<std::string> paused;
  if (error.empty()) {
    for (const auto& sid : active) {
      auto u = port_->updateRecording(call_sid, sid, RecordingCommand::kPause);
      if (!u.isOk()) {
        error = "pause of " + sid + " not confirmed: " + describe(u.error);
        break;
      }
      if (u.value->status != "paused") {  // the port checks this too; belt and braces
        error = "pause of " + sid + " answered " + u.value->status;
        break;
      }
      paused.push_back(sid);
      track(call_sid, sid, "paused", "");
    }
  }
  const Timestamp now = clock_.now();
  s.recording_sids = paused;
  if (!error.empty()) {
    // Fail closed: undo what was paused so the state is "recording" again, and tell the
    // caller nothing is paused. A recording we cannot resume stays with the worker.
    std::vector<std::string> stuck;
    for (const auto& sid : paused) {
      auto u = port_->updateRecording(call_sid, sid, RecordingCommand::kResume);
      if (u.isOk()) {
        track(call_sid, sid, "in-progress", "");
      } else {
        stuck.push_back(sid);
      }
    }
    if (stuck.empty()) {
      s.state = SessionState::kUnconfirmed;
      s.closed_at = now;
      s.close_reason = "unconfirmed";
    } else {
      s.state = SessionState::kResumeFailed;
      s.recording_sids = stuck;
      s.resume_attempts = 1;
      s.next_attempt_at = recording::nextResumeRetry(now, 1);
      count("callwarden_recording_resume_failed_total");
    }
    s.last_error = error;
    Status u = store_.updateSession(s);
    if (!u.isOk()) Log::error("cannot store an unconfirmed pause", {{"error", u.message()}});
    audit("pause", "unconfirmed", &s, join(active), error, caller);
    count("callwarden_recording_pause_unconfirmed_total");
    result.outcome = PauseOutcome::kUnconfirmed;
    result.message = error;
    return result;
  }
  s.state = SessionState::kPaused;
  s.confirmed_at = now;
  s.resume_deadline = recording::resumeDeadline(now, options_.resume_deadline);
  s.next_attempt_at = s.resume_deadline;
  Status u = store_.updateSession(s);
  if (!u.isOk()) {
    // Without the durable timer the pause is unbounded: undo it and refuse.
    for (const auto& sid : paused) {
      auto r = port_->updateRecording(call_sid, sid, RecordingCommand::kResume);
      if (r.isOk()) track(call_sid, sid, "in-progress", "");
    }
    audit("pause", "unconfirmed", &s, join(active), "store: " + u.message(), caller);
    return u;
  }
  audit("pause", "confirmed", &s, join(paused), "", caller);
  result.outcome = PauseOutcome::kPaused;
  return result;
}

void RecordingControl::endSessionLocked(PauseSession& s, Timestamp now, const std::string& why) {
  s.state = SessionState::kEnded;
  s.closed_at = now;
  s.close_reason = why;
  s.next_attempt_at.reset();
  Status u = store_.updateSession(s);
  if (!u.isOk()) Log::error("cannot close a recording session", {{"error", u.message()}});
  audit("close", "call_ended", &s, join(s.recording_sids), "", {});
}

void RecordingControl::resumeLocked(PauseSession& s, Timestamp now, const std::string& trigger,
                                    const Caller& caller) {
  // What this session paused, plus any recording of the call we know as paused (one that
  // started during the session and was paused on arrival).
  std::vector<std::string> sids = s.recording_sids;
  auto tracked = store_.recordings(s.call_sid);
  if (tracked.isOk()) {
    for (const auto& r : *tracked) {
      if (r.status == "paused" && std::find(sids.begin(), sids.end(), r.sid) == sids.end())
        sids.push_back(r.sid);
    }
  }
  std::vector<std::string> failed;
  std::string error;
  bool call_ended = false;
  for (const auto& sid : sids) {
    auto u = port_->updateRecording(s.call_sid, sid, RecordingCommand::kResume);
    if (u.isOk() && u.value->status == "in-progress") {
      track(s.call_sid, sid, "in-progress", "");
      continue;
    }
    if (!u.isOk() && u.error.code == kCallNotInProgress) {
      call_ended = true;  // nothing left to resume: the call is over
      continue;
    }
    if (!u.isOk() && u.error.code == kNotFound) continue;  // the recording is gone
    failed.push_back(sid);
    error = u.isOk() ? "resume of " + sid + " answered " + u.value->status
                     : "resume of " + sid + " failed: " + describe(u.error);
  }
  if (failed.empty()) {
    if (call_ended) {
      endSessionLocked(s, now, "call_ended");
      return;
    }
    s.state = SessionState::kResumed;
    s.resumed_at = now;
    s.closed_at = now;
    s.close_reason = trigger;
    s.next_attempt_at.reset();
    s.last_error.clear();
    Status u = store_.updateSession(s);
    if (!u.isOk()) Log::error("cannot store a resume", {{"error", u.message()}});
    audit("resume", "confirmed", &s, join(sids), "", caller);
    return;
  }
  s.state = SessionState::kResumeFailed;
  s.resume_attempts += 1;
  s.next_attempt_at = recording::nextResumeRetry(now, s.resume_attempts);
  s.last_error = error;
  Status u = store_.updateSession(s);
  if (!u.isOk()) Log::error("cannot store a failed resume", {{"error", u.message()}});
  audit("resume", "failed", &s, join(failed), error, caller);
  count("callwarden_recording_resume_failed_total");
  Log::warn(
      "recording resume failed; retrying",
      {{"session_id", s.id}, {"attempts", std::to_string(s.resume_attempts)}, {"error", error}});
}

Result<PauseSession> RecordingControl::closeSession(const std::string& call_sid,
                                                    const std::string& session_id,
                                                    recording::SessionKind kind,
                                                    const std::string& close_reason,
                                                    const Caller& caller) {
  if (!port_) return Status::error(ErrorCode::kFailedPrecondition, "Twilio is not configured");
  std::lock_guard<std::mutex> lock(lockFor(call_sid));
  auto found = store_.session(session_id);
  if (!found.isOk()) return found.status();
  if (!*found || (*found)->call_sid != call_sid || (*found)->kind != kind)
    return Status::notFound("no such session on this call");
  PauseSession s = **found;
  if (s.state == SessionState::kPaused || s.state == SessionState::kResumeFailed)
    resumeLocked(s, clock_.now(), close_reason, caller);
  return s;
}

Result<std::optional<PauseSession>> RecordingControl::openSession(const std::string& call_sid) {
  return store_.openSession(call_sid);
}

Result<recording::TrackedRecording> RecordingControl::startRecording(
    const std::string& call_sid, const recording::RecordingDecision& decision,
    const Caller& caller) {
  if (!port_) return Status::error(ErrorCode::kFailedPrecondition, "Twilio is not configured");
  std::lock_guard<std::mutex> lock(lockFor(call_sid));
  if (!decision.record) {
    audit("start", "not_recorded", nullptr, "", "policy: " + decision.basis, caller, call_sid);
    return Status::error(
        ErrorCode::kFailedPrecondition,
        "the recording policy does not allow recording this call (" + decision.basis + ")");
  }
  // While a payment (or a manual pause) is open the call must not be heard: a recording started
  // now would capture the card until a pause landed, and that pause could fail. Refused, under
  // the call's lock, so no session can open between this read and the start.
  auto open = store_.openSession(call_sid);
  if (!open.isOk())
    return Status::unavailable("cannot read the call's pause sessions: " + open.status().message());
  if (*open) {
    audit("start", "refused_paused", &**open, "", "a pause session is open", caller);
    return Status::conflict("the call's recording is paused (session " + (*open)->id +
                            "); start a recording after it ends");
  }
  auto r = port_->startRecording(call_sid, options_.public_base_url + "/twilio/recording-status");
  if (!r.isOk()) {
    audit("start", "failed", nullptr, "", describe(r.error), caller, call_sid);
    if (r.error.failure == TelephonyFailure::kRefused)
      return Status::error(ErrorCode::kFailedPrecondition,
                           "Twilio refused the recording: " + describe(r.error));
    return Status::unavailable("Twilio did not start the recording: " + describe(r.error));
  }
  track(call_sid, r.value->sid, r.value->status, r.value->source);
  audit("start", "started", nullptr, r.value->sid, "", caller, call_sid);
  recording::TrackedRecording out;
  out.sid = r.value->sid;
  out.call_sid = call_sid;
  out.status = r.value->status;
  out.source = r.value->source;
  out.updated_at = clock_.now();
  return out;
}

Result<RecordingView> RecordingControl::view(const std::string& call_sid) {
  RecordingView v;
  auto recs = store_.recordings(call_sid);
  if (!recs.isOk()) return recs.status();
  auto sessions = store_.sessionsForCall(call_sid);
  if (!sessions.isOk()) return sessions.status();
  v.recordings = *recs;
  v.sessions = *sessions;
  std::optional<PauseSession> open;
  for (const auto& s : v.sessions)
    if (recording::isOpen(s.state)) open = s;
  v.state = std::string(recording::visibleState(v.recordings, open));
  return v;
}

void RecordingControl::recoverPausingLocked(PauseSession s, Timestamp now, const std::string& why) {
  // The pause request died before it answered (or its session could not be stored): the
  // agent never took a card. Whatever may have been paused is resumed now.
  auto listed = port_->listRecordings(s.call_sid);
  if (listed.isOk()) {
    for (const auto& r : *listed.value) {
      track(s.call_sid, r.sid, r.status, r.source);
      if (r.status == "paused") s.recording_sids.push_back(r.sid);
    }
  }
  resumeLocked(s, now, why, {});
}

int RecordingControl::resumeDueOnce(Timestamp now) {
  if (!port_) return 0;
  int recovered = 0;
  // A session left "pausing" (its final state could not be stored) would block every payment
  // on the call until a restart. One older than any pause request can take is recovered here;
  // a younger one may still be in progress, in this process or another.
  auto pausing = store_.pausingSessions();
  if (pausing.isOk()) {
    for (const auto& candidate : *pausing) {
      if (now - candidate.requested_at < kStalePausing) continue;
      std::lock_guard<std::mutex> lock(lockFor(candidate.call_sid));
      auto fresh = store_.session(candidate.id);
      if (!fresh.isOk() || !*fresh || (*fresh)->state != SessionState::kPausing) continue;
      recoverPausingLocked(**fresh, now, "stale");
      ++recovered;
    }
  }
  auto due = store_.dueSessions(now);
  if (!due.isOk()) {
    Log::error("cannot read due recording sessions", {{"error", due.status().message()}});
    return recovered;
  }
  int n = recovered;
  for (const auto& candidate : *due) {
    std::lock_guard<std::mutex> lock(lockFor(candidate.call_sid));
    auto fresh = store_.session(candidate.id);  // an agent may have closed it meanwhile
    if (!fresh.isOk() || !*fresh) continue;
    PauseSession s = **fresh;
    if (s.state != SessionState::kPaused && s.state != SessionState::kResumeFailed) continue;
    if (!s.next_attempt_at || *s.next_attempt_at > now) continue;
    resumeLocked(s, now, s.state == SessionState::kPaused ? "deadline" : "retry", {});
    ++n;
  }
  return n;
}

int RecordingControl::recoverAtStart() {
  if (!port_) return 0;
  int n = 0;
  auto pausing = store_.pausingSessions();
  if (pausing.isOk()) {
    for (const auto& s : *pausing) {
      std::lock_guard<std::mutex> lock(lockFor(s.call_sid));
      recoverPausingLocked(s, clock_.now(), "restart");
      ++n;
    }
  }
  return n + resumeDueOnce(clock_.now());
}

int RecordingControl::resumeFailedSessions() {
  auto n = store_.resumeFailedCount();
  return n.isOk() ? *n : -1;
}

void RecordingControl::onTelephonyEvent(const TelephonyEvent& e) {
  if (!port_ || e.call_sid.empty()) return;
  std::lock_guard<std::mutex> lock(lockFor(e.call_sid));
  const Timestamp now = clock_.now();
  if (e.kind == "recording-status") {
    if (e.resource_sid.empty()) return;
    auto known = store_.recordings(e.call_sid);
    std::string previous;
    if (known.isOk())
      for (const auto& r : *known)
        if (r.sid == e.resource_sid) previous = r.status;
    // A late "in-progress" callback must not undo a pause we confirmed.
    std::string status = e.status;
    if (status == "in-progress" && previous == "paused") status = "paused";
    track(e.call_sid, e.resource_sid, status, "");
    auto open = store_.openSession(e.call_sid);
    if (!open.isOk() || !*open) return;
    PauseSession s = **open;
    if (e.status == "completed" || e.status == "absent") {
      // Twilio completes a call's recordings when the call ends. With none left active there
      // is nothing to resume: the session closes (an inbound call sends us no call status).
      auto now_known = store_.recordings(e.call_sid);
      const bool any_active =
          !now_known.isOk() || std::any_of(now_known->begin(), now_known->end(), [](const auto& r) {
            return recording::isActiveRecordingStatus(r.status);
          });
      if (!any_active && s.state != SessionState::kPausing) endSessionLocked(s, now, "call_ended");
      return;
    }
    if (e.status == "in-progress" && previous.empty() &&
        (s.state == SessionState::kPaused || s.state == SessionState::kPausing)) {
      // A recording that started during a payment (a transfer): pause it at once.
      auto u = port_->updateRecording(e.call_sid, e.resource_sid, RecordingCommand::kPause);
      if (u.isOk() && u.value->status == "paused") {
        track(e.call_sid, e.resource_sid, "paused", "");
        s.recording_sids.push_back(e.resource_sid);
        (void)store_.updateSession(s);
        audit("pause_new_recording", "confirmed", &s, e.resource_sid, "", {});
      } else {
        const std::string err = u.isOk() ? "answered " + u.value->status : describe(u.error);
        audit("pause_new_recording", "unconfirmed", &s, e.resource_sid, err, {});
        count("callwarden_recording_pause_unconfirmed_total");
        Log::error("a recording that started during a payment could not be paused",
                   {{"session_id", s.id}, {"error", err}});
      }
    }
    return;
  }
  if (e.kind == "call-status" || e.kind == "reconcile") {
    if (!isFinalCallStatus(e.status)) return;
    auto known = store_.recordings(e.call_sid);
    if (known.isOk()) {
      for (const auto& r : *known)
        if (recording::isActiveRecordingStatus(r.status)) track(e.call_sid, r.sid, "completed", "");
    }
    auto open = store_.openSession(e.call_sid);
    if (!open.isOk() || !*open) return;
    PauseSession s = **open;
    endSessionLocked(s, now, "call_ended");
  }
}

}  // namespace callwarden::dialer
