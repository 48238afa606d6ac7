#include "store/Database.h"

#include <gtest/gtest.h>

#include <Poco/Data/Statement.h>

#include "TempDir.h"
#include "Unwritable.h"
#include "store/Migrations.h"
#include "store/SqliteConnection.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace callwarden::store {
namespace {

using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;

TEST(Database, RejectsUnknownUrlScheme) {
  auto db = Database::open("mysql://x");
  ASSERT_FALSE(db.isOk());
  EXPECT_EQ(db.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(db.status().field(), "store.url");
}

TEST(Database, AppliesMigrationsAndUsesWal) {
  testing::TempDir dir;
  auto db = Database::open("sqlite:" + dir.file("a.db"));
  ASSERT_TRUE(db.isOk()) << db.status().toString();
  EXPECT_EQ(*(*db)->schemaVersion(), migrations().back().version);
  auto s = (*db)->session();
  std::string mode;
  s << "PRAGMA journal_mode", into(mode), now;
  EXPECT_EQ(mode, "wal");
  int sync = -1;
  s << "PRAGMA synchronous", into(sync), now;
  EXPECT_EQ(sync, 2);  // FULL
  EXPECT_TRUE((*db)->ping().isOk());
}

TEST(Database, MigrationsAreIdempotent) {
  testing::TempDir dir;
  const std::string url = "sqlite:" + dir.file("a.db");
  { ASSERT_TRUE(Database::open(url).isOk()); }
  auto db = Database::open(url);
  ASSERT_TRUE(db.isOk());
  auto s = (*db)->session();
  ASSERT_TRUE(applyMigrations(s).isOk());  // a third time, on a live connection
  int rows = 0;
  s << "SELECT COUNT(*) FROM schema_version", into(rows), now;
  EXPECT_EQ(rows, static_cast<int>(migrations().size()));
}

TEST(Database, PingFailsWhenTheFileBecomesUnwritable) {
  testing::TempDir dir;
  auto db = Database::open("sqlite:" + dir.file("a.db"));
  ASSERT_TRUE(db.isOk());
  ASSERT_TRUE((*db)->ping().isOk());
  testing::Unwritable lock;
  if (!lock.apply({dir.file("a.db"), dir.file("a.db-wal")})) {
    GTEST_SKIP() << "cannot make files unwritable on this filesystem";
  }
  Status s = (*db)->ping();
  EXPECT_FALSE(s.isOk());
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
}

// What the sqlite3 command-line shell, another process, gets from the file.
struct ShellResult {
  int exit_code;
  std::string output;
};
bool haveSqliteShell() {
  return std::system("sqlite3 -version >/dev/null 2>&1") == 0;  // scripts/deps installs it
}
ShellResult readFromAnotherProcess(const std::string& path) {
  std::string cmd = "sqlite3 '" + path + "' 'SELECT COUNT(*) FROM schema_version;' 2>&1";
  FILE* f = ::popen(cmd.c_str(), "r");
  if (f == nullptr) return {-1, "popen failed"};
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, f) != nullptr) out += buf;
  int status = ::pclose(f);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(Database, SharedLetsAnotherProcessRead) {
  if (!haveSqliteShell()) GTEST_SKIP() << "no sqlite3 shell to play the other process";
  testing::TempDir dir;
  auto db = Database::open("sqlite:" + dir.file("a.db"), ProcessLock::kShared);
  ASSERT_TRUE(db.isOk()) << db.status().toString();
  auto r = readFromAnotherProcess(dir.file("a.db"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, std::to_string(migrations().size()) + "\n");
}

TEST(Database, ExclusiveKeepsOtherProcessesOutAndServesThisOne) {
  if (!haveSqliteShell()) GTEST_SKIP() << "no sqlite3 shell to play the other process";
  testing::TempDir dir;
  const std::string url = "sqlite:" + dir.file("a.db");
  {
    auto db = Database::open(url, ProcessLock::kExclusive);
    ASSERT_TRUE(db.isOk()) << db.status().toString();
    auto r = readFromAnotherProcess(dir.file("a.db"));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("locked"), std::string::npos) << r.output;
    // Connections of this process share the lock: a second Database, and a raw connection
    // opened by name as the stores open theirs, read and write.
    auto again = Database::open(url, ProcessLock::kExclusive);
    ASSERT_TRUE(again.isOk()) << again.status().toString();
    EXPECT_TRUE((*again)->ping().isOk());
    auto conn = SqliteConnection::open((*db)->connectionName());
    ASSERT_TRUE(conn.isOk()) << conn.status().toString();
    EXPECT_NO_THROW((*conn)->exec("SELECT COUNT(*) FROM schema_version"));
    // With no -shm file the WAL index is in this process's memory.
    EXPECT_NE(::access(dir.file("a.db-shm").c_str(), F_OK), 0);
  }
  auto r = readFromAnotherProcess(dir.file("a.db"));  // released with the last connection
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(Database, PathsWithUriCharactersOpenTheFileNamed) {
  testing::TempDir dir;
  const std::string name = "odd ?x=1#y%41.db";
  for (auto lock : {ProcessLock::kShared, ProcessLock::kExclusive}) {
    auto db = Database::open("sqlite:" + dir.file(name), lock);
    ASSERT_TRUE(db.isOk()) << db.status().toString();
    EXPECT_TRUE((*db)->ping().isOk());
    EXPECT_EQ(::access(dir.file(name).c_str(), F_OK), 0);
  }
  // "//tmp/..." names the same file as "/tmp/..."; as a URI it must not become a host name.
  auto db = Database::open("sqlite:/" + dir.file("b.db"), ProcessLock::kExclusive);
  ASSERT_TRUE(db.isOk()) << db.status().toString();
  EXPECT_EQ((*db)->connectionName().rfind("file:////", 0), 0u) << (*db)->connectionName();
  EXPECT_TRUE((*db)->ping().isOk());
  EXPECT_EQ(::access(dir.file("b.db").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace callwarden::store
