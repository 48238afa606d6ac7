#pragma once
// Versioned schema migrations, applied in order at start. A migration is never edited once
// shipped; changes are new migrations. Applying twice is a no-op (schema_version records
// what ran), so two processes starting on one file are safe: each migration runs inside an
// IMMEDIATE transaction that re-checks the version.

#include <Poco/Data/Session.h>

#include <string_view>
#include <vector>

#include "common/Status.h"

namespace callwarden::store {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;  // one or more statements separated by ';'
};

const std::vector<Migration>& migrations();

/// Applies every migration newer than the recorded schema version.
Status applyMigrations(Poco::Data::Session& session);

}  // namespace callwarden::store
