#include "store/Database.h"

#include <gtest/gtest.h>

#include <Poco/Data/Statement.h>

#include "TempDir.h"
#include "Unwritable.h"
#include "store/Migrations.h"

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

}  // namespace
}  // namespace callwarden::store
