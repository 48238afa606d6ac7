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
