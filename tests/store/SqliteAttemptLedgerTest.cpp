// The attempt ledger's transactions on a real SQLite file: a job that throws is the job's
// failure (kInternal), told apart from the store's own (kUnavailable), and the ledger stays
// usable after it. The gate turns kInternal into INTERNAL_ERROR and kUnavailable into
// STORE_UNAVAILABLE.

#include "store/SqliteAttemptLedger.h"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

#include "TempDir.h"
#include "store/Database.h"

namespace callwarden::store {
namespace {

TEST(SqliteAttemptLedger, AJobThatThrowsIsAnInternalFailureAndTheLedgerCarriesOn) {
  testing::TempDir dir;
  auto db = Database::open("sqlite:" + dir.file("ledger.db")).value();
  SqliteAttemptLedger ledger(*db);
  auto boom = [](dialer::LedgerTxn&) -> Status { throw std::runtime_error("a defect"); };
  const Status read = ledger.read(boom);
  EXPECT_EQ(read.code(), ErrorCode::kInternal) << read.toString();
  const Status write = ledger.write(boom);
  EXPECT_EQ(write.code(), ErrorCode::kInternal) << write.toString();
  // Both connections are back in service, and the failed write left nothing behind.
  std::map<std::string, std::string> groups{{"D1", "G1"}};
  ASSERT_TRUE(ledger
                  .write([&](dialer::LedgerTxn& txn) {
                    txn.setDebtGroups("S-1", groups);
                    return Status::ok();
                  })
                  .isOk());
  std::map<std::string, std::string> seen;
  ASSERT_TRUE(ledger
                  .read([&](dialer::LedgerTxn& txn) {
                    seen = txn.debtGroups("S-1");
                    return Status::ok();
                  })
                  .isOk());
  EXPECT_EQ(seen, groups);
}

}  // namespace
}  // namespace callwarden::store
