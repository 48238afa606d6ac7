#pragma once
// The one owner of the SQL connection(s). Every table lives behind a store/ class; nothing
// outside store/ sees SQL or Poco::Data.

#include <memory>
#include <string>

#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>

#include "common/Result.h"
#include "common/Status.h"

namespace callwarden::store {

/// Thread-safe: sessions come from a pool, one per concurrent caller.
/// Opening applies pending schema migrations (see Migrations.h) before returning.
class Database {
 public:
  /// `url` is "sqlite:PATH" (PostgreSQL comes later). Fails with kInvalidArgument for an
  /// unknown scheme and kUnavailable when the file cannot be opened or migrated.
  static Result<std::unique_ptr<Database>> open(const std::string& url);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Proves the store is reachable *and writable* by committing a tiny write: a read-only or
  /// vanished file must make /readyz fail, and a SELECT alone would not notice.
  Status ping();
  /// The highest applied migration.
  Result<int> schemaVersion();
  /// A pooled session with the connection pragmas applied.
  Poco::Data::Session session();
  const std::string& path() const { return path_; }

 private:
  explicit Database(std::string path);
  std::string path_;
  std::unique_ptr<Poco::Data::SessionPool> pool_;
};

}  // namespace callwarden::store
