#include "store/Database.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include <sqlite3.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "store/Migrations.h"

namespace callwarden::store {

using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;

namespace {

void registerConnectors() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Before SQLite initializes: its allocation statistics, which nothing here reads, take
    // a process-wide mutex on every malloc, and every HTTP worker thread contends for it.
    // (If SQLite is already initialized the call is refused and changes nothing.)
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    Poco::Data::SQLite::Connector::registerConnector();
  });
}

// Applied to every pooled connection: pragmas are per connection in SQLite.
void applyPragmas(Poco::Data::Session& s) {
  // WAL lets readers proceed during a write; FULL makes every commit durable on return,
  // which is what "acknowledged means stored" requires.
  s << "PRAGMA journal_mode=WAL", now;
  s << "PRAGMA synchronous=FULL", now;
  // Wait for a competing writer (another thread or another callwardend on the same file)
  // instead of failing at once with SQLITE_BUSY.
  s << "PRAGMA busy_timeout=10000", now;
  s << "PRAGMA foreign_keys=ON", now;
}

// A file: URI for `path` that selects `vfs`. Everything but unreserved characters is
// %-escaped, so no path can be read as a query or fragment; an absolute path gets an empty
// authority ("file:///...") so that one starting with "//" is not taken for a host.
std::string fileUri(const std::string& path, const char* vfs) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = path.rfind('/', 0) == 0 ? "file://" : "file:";
  for (unsigned char c : path) {
    if (std::isalnum(c) || (c != 0 && std::strchr("/-._~", c) != nullptr)) {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  return uri + "?vfs=" + vfs;
}

// Poco's connector retries a locked file for a minute before it gives up, so the file is
// asked about first, once, with the busy timeout every statement here has (10 s): longer
// than any lock a shared process holds for a transaction or a WAL recovery, so what is still
// locked then is held by a process with store.sqlite_process_lock exclusive.
bool heldByAnotherProcess(const std::string& name) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(name.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, nullptr);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(db, 10000);
    rc = sqlite3_exec(db, "SELECT COUNT(*) FROM sqlite_master", nullptr, nullptr, nullptr);
  }
  sqlite3_close(db);
  return (rc & 0xff) == SQLITE_BUSY;  // anything else, Poco reports below
}

}  // namespace

Database::Database(std::string path, ProcessLock lock)
    : path_(std::move(path)),
      connection_name_(fileUri(path_, lock == ProcessLock::kExclusive ? "unix-excl" : "unix")) {}
Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::open(const std::string& url, ProcessLock lock) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.rfind(kSqlite, 0) != 0 || url.size() == kSqlite.size()) {
    return Status::invalidArgument("store.url must be sqlite:PATH", "store.url");
  }
  registerConnectors();
  std::unique_ptr<Database> db(new Database(url.substr(kSqlite.size()), lock));
  const std::string mode = lock == ProcessLock::kExclusive ? "exclusive" : "shared";
  const std::string locked_hint =
      " (another process may hold the file; this one opens it with "
      "store.sqlite_process_lock " +
      mode + ", and exclusive on either side keeps the other out)";
  if (heldByAnotherProcess(db->connection_name_))
    return Status::unavailable("cannot open store " + db->path_ + ": database is locked" +
                               locked_hint);
  try {
    // Poco's SQLite sessions open with SQLITE_OPEN_URI, so the VFS applies to them too.
    db->pool_ =
        std::make_unique<Poco::Data::SessionPool>("SQLite", db->connection_name_, 1, 64, 60);
    auto s = db->session();
    Status st = applyMigrations(s);
    if (!st.isOk()) return st;
  } catch (const Poco::Exception& e) {
    std::string why = e.displayText();
    if (why.find("locked") != std::string::npos) why += locked_hint;
    return Status::unavailable("cannot open store " + db->path_ + ": " + why);
  }
  return db;
}

Poco::Data::Session Database::session() {
  Poco::Data::Session s = pool_->get();
  // A pooled session may be fresh or reused; the pragmas are idempotent and cheap, but only
  // needed once per connection, so mark the connection via a temp-free check.
  int timeout = 0;
  s << "PRAGMA busy_timeout", into(timeout), now;
  if (timeout != 10000) applyPragmas(s);
  return s;
}

Status Database::ping() {
  // Open connections keep writing through their descriptors even after the file was made
  // read-only or deleted, so also ask whether a new connection (the pool's next one, or the
  // next start) could open it for writing.
  if (::access(path_.c_str(), W_OK) != 0) {
    return Status::unavailable("store file " + path_ + " is not writable: " + std::strerror(errno));
  }
  try {
    auto s = session();
    s << "INSERT INTO store_health (id, checked_at) VALUES (1, datetime('now')) "
         "ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
        now;
    return Status::ok();
  } catch (const Poco::Exception& e) {
    return Status::unavailable("store not writable: " + e.displayText());
  }
}

Result<int> Database::schemaVersion() {
  try {
    auto s = session();
    int v = 0;
    s << "SELECT COALESCE(MAX(version), 0) FROM schema_version", into(v), now;
    return v;
  } catch (const Poco::Exception& e) {
    return Status::unavailable(e.displayText());
  }
}

}  // namespace callwarden::store
