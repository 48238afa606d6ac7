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

/// Whether other processes may use the database file while this one has it open
/// (`store.sqlite_process_lock`).
enum class ProcessLock {
  /// Any process (SQLite's default "unix" VFS): a second callwardend on the same file (the
  /// ledger stays atomic across processes: tests/app/ProcessTest), a new instance started
  /// before the old one stops, `sqlite3` reading the file.
  kShared,
  /// Only this process (SQLite's "unix-excl" VFS). The file stays locked against every other
  /// process, and the WAL index lives in this process's memory instead of a shared -shm file,
  /// so beginning and ending a read transaction costs no file-lock system call: those calls,
  /// and the mutex SQLite holds around them, were a tenth of a call check's CPU
  /// (docs/PERFORMANCE.md, session 6).
  kExclusive,
};

/// The setting named by `store.sqlite_process_lock`: "exclusive", else shared (the
/// configuration has already refused any other value).
inline ProcessLock processLockNamed(const std::string& name) {
  return name == "exclusive" ? ProcessLock::kExclusive : ProcessLock::kShared;
}

/// Thread-safe: sessions come from a pool, one per concurrent caller.
/// Opening applies pending schema migrations (see Migrations.h) before returning.
class Database {
 public:
  /// `url` is "sqlite:PATH" (PostgreSQL comes later). Fails with kInvalidArgument for an
  /// unknown scheme and kUnavailable when the file cannot be opened or migrated, or (either
  /// way) while another process holds it with kExclusive.
  static Result<std::unique_ptr<Database>> open(const std::string& url,
                                                ProcessLock lock = ProcessLock::kShared);
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
  /// What every connection to this database opens, with SQLITE_OPEN_URI: a file: URI that
  /// names the VFS, so that no connection of this process locks the file differently.
  const std::string& connectionName() const { return connection_name_; }

 private:
  Database(std::string path, ProcessLock lock);
  std::string path_;
  std::string connection_name_;
  std::unique_ptr<Poco::Data::SessionPool> pool_;
};

}  // namespace callwarden::store
