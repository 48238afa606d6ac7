#include "store/Migrations.h"

#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include <string>

namespace callwarden::store {

using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Poco::Data::Keywords::use;

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "health probe table",
       "CREATE TABLE store_health (id INTEGER PRIMARY KEY CHECK (id = 1), checked_at TEXT NOT "
       "NULL)"},
      // Times are INTEGER microseconds since the Unix epoch (UTC), the same as Timestamp.
      {2,
       "attempt ledger: reservations, counted attempts, conversations, consents, flags, debt "
       "groups",
       R"sql(
CREATE TABLE reservation (
  id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, phone TEXT NOT NULL, purpose TEXT NOT NULL,
  decision_id TEXT NOT NULL, api_key TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'counted', 'released')),
  outcome TEXT, call_sid TEXT, conversation INTEGER NOT NULL DEFAULT 0, settled_at INTEGER,
  debt_keys TEXT NOT NULL DEFAULT '');
CREATE TABLE attempt (
  reservation_id TEXT NOT NULL REFERENCES reservation(id), key TEXT NOT NULL, at INTEGER NOT NULL,
  consent_id TEXT, PRIMARY KEY (reservation_id, key));
CREATE INDEX attempt_by_key ON attempt (key, at);
CREATE INDEX attempt_by_consent ON attempt (consent_id) WHERE consent_id IS NOT NULL;
CREATE TABLE conversation (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL, at INTEGER NOT NULL, source TEXT NOT NULL, reservation_id TEXT);
CREATE INDEX conversation_by_key ON conversation (key, at);
CREATE TABLE consent (
  id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, phone TEXT NOT NULL DEFAULT '', scope TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('grant', 'revoke')), given_to TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL DEFAULT '', words TEXT NOT NULL DEFAULT '', received_at INTEGER NOT NULL,
  valid_until INTEGER, max_calls INTEGER NOT NULL DEFAULT 0, api_key TEXT NOT NULL DEFAULT '',
  seq INTEGER NOT NULL);
CREATE INDEX consent_by_subject ON consent (subject_id, scope, seq);
CREATE TABLE consent_key (consent_id TEXT NOT NULL REFERENCES consent(id), key TEXT NOT NULL,
  PRIMARY KEY (key, consent_id));
CREATE TABLE account_flag (subject_id TEXT NOT NULL, flag TEXT NOT NULL, set_at INTEGER NOT NULL,
  PRIMARY KEY (subject_id, flag));
CREATE TABLE debt_group (subject_id TEXT NOT NULL, debt TEXT NOT NULL, group_id TEXT NOT NULL,
  PRIMARY KEY (subject_id, debt))
)sql"},
      // Do-not-call lists, RND answers (store/SqliteListStore.h). A bulk list is a pointer to
      // one import generation; numbers are 10-digit NANP integers. dnc_number has no foreign
      // key: tens of millions of rows would each pay for the check.
      {3, "do-not-call lists, reassigned-number answers, consent lookup by phone",
       R"sql(
CREATE TABLE dnc_generation (
  id INTEGER PRIMARY KEY, list_name TEXT NOT NULL, obtained_on TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('loading', 'current', 'retired', 'failed', 'purged')),
  started_at INTEGER NOT NULL, finished_at INTEGER, accepted INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0,
  api_key TEXT NOT NULL DEFAULT '');
CREATE INDEX dnc_generation_by_state ON dnc_generation (state);
CREATE TABLE dnc_list (name TEXT PRIMARY KEY,
  current_generation INTEGER NOT NULL REFERENCES dnc_generation(id));
CREATE TABLE dnc_number (generation INTEGER NOT NULL, number INTEGER NOT NULL,
  PRIMARY KEY (generation, number)) WITHOUT ROWID;
CREATE TABLE dnc_internal (number INTEGER PRIMARY KEY, added_at INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '', api_key TEXT NOT NULL DEFAULT '');
CREATE TABLE rnd_answer (id INTEGER PRIMARY KEY, number INTEGER NOT NULL,
  result TEXT NOT NULL CHECK (result IN ('yes', 'no', 'no_data')), disconnected_on TEXT,
  queried_at INTEGER NOT NULL, api_key TEXT NOT NULL DEFAULT '');
CREATE INDEX rnd_by_number ON rnd_answer (number, queried_at);
CREATE INDEX consent_by_phone ON consent (phone, scope)
)sql"},
      // Version 3 belongs to the DNC/consent lists. applyMigrations() checks each version on
      // its own, so either may be applied first.
      {4, "call gateway: placed calls and Twilio callbacks",
       R"sql(
CREATE TABLE placed_call (
  reservation_id TEXT PRIMARY KEY REFERENCES reservation(id), call_sid TEXT UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('unknown', 'placed', 'settled', 'refused', 'abandoned')),
  phone TEXT NOT NULL, from_phone TEXT NOT NULL, subject_id TEXT NOT NULL DEFAULT '',
  api_key TEXT NOT NULL DEFAULT '', sent_at INTEGER NOT NULL, last_status TEXT NOT NULL DEFAULT '',
  last_sequence INTEGER NOT NULL DEFAULT -1, rang INTEGER NOT NULL DEFAULT 0,
  answered_by TEXT NOT NULL DEFAULT '', final_status TEXT NOT NULL DEFAULT '', settled_at INTEGER,
  reconcile_attempts INTEGER NOT NULL DEFAULT 0, next_reconcile_at INTEGER);
CREATE INDEX placed_call_due ON placed_call (next_reconcile_at) WHERE next_reconcile_at IS NOT NULL;
CREATE INDEX placed_call_unknown ON placed_call (phone, from_phone) WHERE state = 'unknown';
CREATE TABLE twilio_event (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, call_sid TEXT NOT NULL,
  resource_sid TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, sequence_number INTEGER NOT NULL,
  answered_by TEXT NOT NULL DEFAULT '', to_phone TEXT NOT NULL DEFAULT '',
  from_phone TEXT NOT NULL DEFAULT '', params TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '', received_at INTEGER NOT NULL, processed_at INTEGER,
  result TEXT, UNIQUE (kind, call_sid, resource_sid, status, sequence_number));
CREATE INDEX twilio_event_unprocessed ON twilio_event (id) WHERE processed_at IS NULL;
CREATE INDEX twilio_event_by_call ON twilio_event (call_sid, sequence_number)
)sql"},
      // Recording control (issue #8, store/SqliteRecordingStore.h). next_attempt_at is the
      // durable resume timer: the deadline, then the retry time of a failed resume. At most one
      // open session per call, enforced by the partial unique index.
      {5, "recording control: pause sessions and known recordings",
       R"sql(
CREATE TABLE recording_session (
  id TEXT PRIMARY KEY, call_sid TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('payment', 'pause')),
  reason TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL CHECK (state IN ('pausing', 'paused', 'resume_failed', 'resumed', 'unconfirmed', 'ended')),
  api_key TEXT NOT NULL DEFAULT '', requested_at INTEGER NOT NULL, confirmed_at INTEGER,
  resume_deadline INTEGER, resumed_at INTEGER, closed_at INTEGER, close_reason TEXT NOT NULL DEFAULT '',
  resume_attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER, last_error TEXT NOT NULL DEFAULT '',
  recording_sids TEXT NOT NULL DEFAULT '');
CREATE UNIQUE INDEX recording_session_one_open ON recording_session (call_sid)
  WHERE state IN ('pausing', 'paused', 'resume_failed');
CREATE INDEX recording_session_due ON recording_session (next_attempt_at)
  WHERE state IN ('paused', 'resume_failed');
CREATE INDEX recording_session_by_call ON recording_session (call_sid, requested_at);
CREATE TABLE call_recording (
  recording_sid TEXT PRIMARY KEY, call_sid TEXT NOT NULL, status TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT '', updated_at INTEGER NOT NULL);
CREATE INDEX call_recording_by_call ON call_recording (call_sid)
)sql"},
      {6, "consumer-designated inconvenient times",
       "CREATE TABLE inconvenient_time (subject_id TEXT NOT NULL, weekdays INTEGER NOT NULL, "
       "start_s INTEGER NOT NULL, end_s INTEGER NOT NULL, tz TEXT NOT NULL DEFAULT '');"
       "CREATE INDEX inconvenient_time_by_subject ON inconvenient_time (subject_id)"},
  };
  return kMigrations;
}

namespace {

void execScript(Poco::Data::Session& session, std::string_view sql) {
  size_t start = 0;
  while (start < sql.size()) {
    size_t end = sql.find(';', start);
    if (end == std::string_view::npos) end = sql.size();
    std::string stmt(sql.substr(start, end - start));
    if (stmt.find_first_not_of(" \t\r\n") != std::string::npos) session << stmt, now;
    start = end + 1;
  }
}

}  // namespace

Status applyMigrations(Poco::Data::Session& session) {
  try {
    session << "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
               "description TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (datetime('now')))",
        now;
    for (const auto& m : migrations()) {
      session << "BEGIN IMMEDIATE", now;
      try {
        int applied = 0;
        int version = m.version;
        session << "SELECT COUNT(*) FROM schema_version WHERE version = ?", into(applied),
            use(version), now;
        if (applied == 0) {
          execScript(session, m.sql);
          std::string description(m.description);
          session << "INSERT INTO schema_version (version, description) VALUES (?, ?)",
              use(version), use(description), now;
        }
        session << "COMMIT", now;
      } catch (...) {
        session << "ROLLBACK", now;
        throw;
      }
    }
    return Status::ok();
  } catch (const Poco::Exception& e) {
    return Status::unavailable("schema migration failed: " + e.displayText());
  }
}

}  // namespace callwarden::store
