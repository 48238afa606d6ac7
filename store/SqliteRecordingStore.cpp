#include "store/SqliteRecordingStore.h"

#include <sstream>

namespace callwarden::store {
namespace {

using recording::PauseSession;
using recording::TrackedRecording;

constexpr int kSqliteConstraint = 19;

int64_t micros(Timestamp t) {
  return t.time_since_epoch().count();
}
std::optional<int64_t> micros(const std::optional<Timestamp>& t) {
  if (!t) return std::nullopt;
  return micros(*t);
}
Timestamp fromMicros(int64_t m) {
  return Timestamp{std::chrono::microseconds{m}};
}
std::optional<Timestamp> optionalTime(const Query& q, int column) {
  if (q.isNull(column)) return std::nullopt;
  return fromMicros(q.int64(column));
}

std::string joinSids(const std::vector<std::string>& sids) {
  std::string out;
  for (const auto& s : sids) out += (out.empty() ? "" : ",") + s;
  return out;
}
std::vector<std::string> splitSids(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

#define SESSION_COLUMNS                                                                       \
  "id, call_sid, kind, reason, state, api_key, requested_at, confirmed_at, resume_deadline, " \
  "resumed_at, closed_at, close_reason, resume_attempts, next_attempt_at, last_error, "       \
  "recording_sids"

PauseSession readSession(const Query& q) {
  PauseSession s;
  s.id = q.text(0);
  s.call_sid = q.text(1);
  s.kind = recording::parseSessionKind(q.text(2)).value_or(recording::SessionKind::kPayment);
  s.reason = q.text(3);
  // An unreadable state is treated as still paused: it is resumed, never forgotten.
  s.state = recording::parseSessionState(q.text(4)).value_or(recording::SessionState::kPaused);
  s.api_key = q.text(5);
  s.requested_at = fromMicros(q.int64(6));
  s.confirmed_at = optionalTime(q, 7);
  s.resume_deadline = optionalTime(q, 8);
  s.resumed_at = optionalTime(q, 9);
  s.closed_at = optionalTime(q, 10);
  s.close_reason = q.text(11);
  s.resume_attempts = static_cast<int>(q.int64(12));
  s.next_attempt_at = optionalTime(q, 13);
  s.last_error = q.text(14);
  s.recording_sids = splitSids(q.text(15));
  return s;
}

}  // namespace

SqliteRecordingStore::SqliteRecordingStore(Database& db) : db_(db), readers_(db.connectionName()) {}
SqliteRecordingStore::~SqliteRecordingStore() = default;

template <typename F>
auto SqliteRecordingStore::withConnection(F&& f) -> decltype(f(std::declval<SqliteConnection&>())) {
  std::lock_guard<std::mutex> lock(mutex_);
  try {
    if (!conn_) {
      auto c = SqliteConnection::open(db_.connectionName());
      if (!c.isOk()) return c.status();
      conn_ = std::move(c).value();
    }
    return f(*conn_);
  } catch (const SqliteError& e) {
    if ((e.code() & 0xff) == kSqliteConstraint)
      return Status::conflict("the call already has an open recording pause");
    return Status::unavailable(std::string("recording store: ") + e.what());
  }
}

Status SqliteRecordingStore::insertSession(const PauseSession& s) {
  return withConnection([&](SqliteConnection& c) -> Status {
    Query(c, "INSERT INTO recording_session (" SESSION_COLUMNS
             ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        .bind(s.id)
        .bind(s.call_sid)
        .bind(recording::sessionKindName(s.kind))
        .bind(s.reason)
        .bind(recording::sessionStateName(s.state))
        .bind(s.api_key)
        .bind(micros(s.requested_at))
        .bind(micros(s.confirmed_at))
        .bind(micros(s.resume_deadline))
        .bind(micros(s.resumed_at))
        .bind(micros(s.closed_at))
        .bind(s.close_reason)
        .bind(static_cast<int64_t>(s.resume_attempts))
        .bind(micros(s.next_attempt_at))
        .bind(s.last_error)
        .bind(joinSids(s.recording_sids))
        .run();
    return Status::ok();
  });
}

Status SqliteRecordingStore::updateSession(const PauseSession& s) {
  return withConnection([&](SqliteConnection& c) -> Status {
    Query(c,
          "UPDATE recording_session SET state = ?, confirmed_at = ?, resume_deadline = ?, "
          "resumed_at = ?, closed_at = ?, close_reason = ?, resume_attempts = ?, "
          "next_attempt_at = ?, last_error = ?, recording_sids = ? WHERE id = ?")
        .bind(recording::sessionStateName(s.state))
        .bind(micros(s.confirmed_at))
        .bind(micros(s.resume_deadline))
        .bind(micros(s.resumed_at))
        .bind(micros(s.closed_at))
        .bind(s.close_reason)
        .bind(static_cast<int64_t>(s.resume_attempts))
        .bind(micros(s.next_attempt_at))
        .bind(s.last_error)
        .bind(joinSids(s.recording_sids))
        .bind(s.id)
        .run();
    return Status::ok();
  });
}

Result<std::vector<PauseSession>> SqliteRecordingStore::querySessions(
    const char* sql, const std::string& arg, std::optional<int64_t> time_arg) {
  return withConnection([&](SqliteConnection& c) -> Result<std::vector<PauseSession>> {
    Query q(c, sql);
    if (!arg.empty()) q.bind(arg);
    if (time_arg) q.bind(*time_arg);
    std::vector<PauseSession> out;
    while (q.next()) out.push_back(readSession(q));
    return out;
  });
}

Result<std::optional<PauseSession>> SqliteRecordingStore::session(const std::string& id) {
  auto r = querySessions("SELECT " SESSION_COLUMNS " FROM recording_session WHERE id = ?", id,
                         std::nullopt);
  if (!r.isOk()) return r.status();
  if (r->empty()) return std::optional<PauseSession>();
  return std::optional<PauseSession>(r->front());
}

Result<std::optional<PauseSession>> SqliteRecordingStore::openSession(const std::string& call_sid) {
  auto r = querySessions("SELECT " SESSION_COLUMNS
                         " FROM recording_session WHERE call_sid = ? AND state IN "
                         "('pausing', 'paused', 'resume_failed')",
                         call_sid, std::nullopt);
  if (!r.isOk()) return r.status();
  if (r->empty()) return std::optional<PauseSession>();
  return std::optional<PauseSession>(r->front());
}

Result<std::vector<PauseSession>> SqliteRecordingStore::sessionsForCall(
    const std::string& call_sid) {
  return querySessions("SELECT " SESSION_COLUMNS
                       " FROM recording_session WHERE call_sid = ? ORDER BY requested_at, rowid",
                       call_sid, std::nullopt);
}

Result<std::vector<PauseSession>> SqliteRecordingStore::dueSessions(Timestamp now) {
  return querySessions("SELECT " SESSION_COLUMNS
                       " FROM recording_session WHERE state IN ('paused', 'resume_failed') AND "
                       "next_attempt_at <= ? ORDER BY next_attempt_at LIMIT 100",
                       "", micros(now));
}

Result<std::vector<PauseSession>> SqliteRecordingStore::pausingSessions() {
  return querySessions("SELECT " SESSION_COLUMNS " FROM recording_session WHERE state = 'pausing'",
                       "", std::nullopt);
}

Result<int> SqliteRecordingStore::resumeFailedCount() {
  return withConnection([&](SqliteConnection& c) -> Result<int> {
    Query q(c, "SELECT COUNT(*) FROM recording_session WHERE state = 'resume_failed'");
    int n = 0;
    if (q.next()) n = static_cast<int>(q.int64(0));
    return n;
  });
}

Status SqliteRecordingStore::upsertRecording(const TrackedRecording& r) {
  return withConnection([&](SqliteConnection& c) -> Status {
    Query(c,
          "INSERT INTO call_recording (recording_sid, call_sid, status, source, updated_at) "
          "VALUES (?,?,?,?,?) ON CONFLICT (recording_sid) DO UPDATE SET status = "
          "excluded.status, source = CASE WHEN excluded.source = '' THEN call_recording.source "
          "ELSE excluded.source END, updated_at = excluded.updated_at")
        .bind(r.sid)
        .bind(r.call_sid)
        .bind(r.status)
        .bind(r.source)
        .bind(micros(r.updated_at))
        .run();
    return Status::ok();
  });
}

Result<std::vector<TrackedRecording>> SqliteRecordingStore::recordings(
    const std::string& call_sid) {
  return withConnection([&](SqliteConnection& c) -> Result<std::vector<TrackedRecording>> {
    Query q(c,
            "SELECT recording_sid, call_sid, status, source, updated_at FROM call_recording "
            "WHERE call_sid = ? ORDER BY rowid");
    q.bind(call_sid);
    std::vector<TrackedRecording> out;
    while (q.next()) {
      TrackedRecording r;
      r.sid = q.text(0);
      r.call_sid = q.text(1);
      r.status = q.text(2);
      r.source = q.text(3);
      r.updated_at = fromMicros(q.int64(4));
      out.push_back(std::move(r));
    }
    return out;
  });
}

Result<bool> SqliteRecordingStore::hasRecordingConsent(const std::string& subject_id,
                                                       const std::string& phone, Timestamp now) {
  if (subject_id.empty() && phone.empty()) return false;
  try {
    auto lease = readers_.acquire();
    // One index search per key and the newest row picked here: an OR of the two keys with
    // ORDER BY makes SQLite sort through a temporary b-tree on every call check.
    Query q(*lease, subject_id.empty() ? "SELECT action, valid_until, seq FROM consent "
                                         "WHERE phone = ?1 AND scope = 'recording'"
                                       : "SELECT action, valid_until, seq FROM consent "
                                         "WHERE subject_id = ?1 AND scope = 'recording'");
    q.bind(subject_id.empty() ? phone : subject_id);
    bool found = false, granted = false;
    int64_t newest = 0;
    while (q.next()) {
      if (found && q.int64(2) < newest) continue;
      found = true;
      newest = q.int64(2);
      granted = q.text(0) == "grant" && (q.isNull(1) || q.int64(1) > micros(now));
    }
    return granted;
  } catch (const SqliteError& e) {
    return Status::unavailable(std::string("recording store: ") + e.what());
  }
}

}  // namespace callwarden::store
