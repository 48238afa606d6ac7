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

// Regrouping (CallGate::setDebtGroups) copies a key's history: a call counted under the old
// key counts under the new one even where consent had excluded it there, and a reservation
// whose debt keys named the old key names the new one too, so a conversation reported on it
// later blocks the new group.
TEST(SqliteAttemptLedger, CopiedHistoryCountsAndFollowsOpenReservations) {
  testing::TempDir dir;
  auto db = Database::open("sqlite:" + dir.file("ledger.db")).value();
  SqliteAttemptLedger ledger(*db);
  const Timestamp t0{std::chrono::seconds(1'780'000'000)};
  dialer::Reservation both;  // counted under D1, excluded by consent under G
  both.id = "res-both";
  both.subject_id = "S";
  both.to = "+13125550142";
  both.purpose = "debt_collection";
  both.created_at = t0;
  both.expires_at = t0 + std::chrono::minutes(10);
  both.counted_keys = {"debt|S|D1"};
  both.excluded_keys = {{"debt|S|G", "con-1"}};
  both.debt_keys = {"debt|S|D1", "debt|S|G"};
  dialer::Reservation one = both;  // D1 only
  one.id = "res-one";
  one.excluded_keys.clear();
  one.debt_keys = {"debt|S|D1"};
  ASSERT_TRUE(ledger
                  .write([&](dialer::LedgerTxn& txn) {
                    txn.insertReservation(both);
                    txn.insertReservation(one);
                    txn.copyHistory("debt|S|D1", "debt|S|G");
                    return Status::ok();
                  })
                  .isOk());
  ASSERT_TRUE(ledger
                  .read([&](dialer::LedgerTxn& txn) {
                    auto g = txn.attempts("debt|S|G", t0 - std::chrono::hours(1));
                    EXPECT_EQ(g.counted.size(), 2u);
                    EXPECT_EQ(g.consented.size(), 0u);
                    EXPECT_EQ(txn.attempts("debt|S|D1", t0 - std::chrono::hours(1)).counted.size(),
                              2u);
                    auto r = txn.reservation("res-one");
                    EXPECT_TRUE(r.has_value());
                    if (r) {
                      EXPECT_EQ(r->debt_keys, (std::vector<std::string>{"debt|S|D1", "debt|S|G"}));
                    }
                    return Status::ok();
                  })
                  .isOk());
}

}  // namespace
}  // namespace callwarden::store
