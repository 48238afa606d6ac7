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
