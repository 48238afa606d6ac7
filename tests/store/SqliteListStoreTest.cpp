// The do-not-call list store on a real SQLite file: imports replace a list atomically, a failed
// import keeps the old list, malformed lines are reported, and readers during an import see
// the old copy or the new one, never a mix.

#include "store/SqliteListStore.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "TempDir.h"
#include "common/Rfc3339.h"
#include "store/SqliteAttemptLedger.h"

namespace callwarden::store {
namespace {

using dialer::ImportReport;
using dialer::ImportRequest;

class SqliteListStoreTest : public ::testing::Test {
 protected:
  SqliteListStoreTest() {
    db_ = Database::open("sqlite:" + dir_.file("lists.db")).value();
    store_ = std::make_unique<SqliteListStore>(*db_, 1000);
  }

  ImportReport import(const std::string& list, const char* obtained, const std::string& body) {
    ImportRequest r;
    r.list = list;
    r.obtained = policy::parseDate(obtained).value();
    r.at = parseRfc3339("2026-06-02T12:00:00Z").value();
    std::istringstream in(body);
    auto rep = store_->importList(r, in, {});
    EXPECT_TRUE(rep.isOk()) << rep.status().toString();
    return rep.isOk() ? *rep : ImportReport{};
  }

  // `values`: rows of (id, subject_id, phone, scope, action, received_at, seq).
  void insertConsents(const std::string& values) {
    auto s = db_->session();
    s << "INSERT INTO consent (id, subject_id, phone, scope, action, received_at, seq) VALUES " +
             values,
        Poco::Data::Keywords::now;
  }

  std::vector<std::string> listsHolding(const std::string& phone) {
    auto f = store_->gateFacts(phone, "");
    EXPECT_TRUE(f.isOk());
    std::vector<std::string> out;
    for (const auto& m : f->memberships) out.push_back(m.list);
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<SqliteListStore> store_;
};

TEST_F(SqliteListStoreTest, ImportServesTheListAndReportsMalformedLines) {
  auto r = import("national", "2026-06-01",
                  "phone_number\r\n3125550142\r\n\r\n312555014\r\n5415550199\r\n3125550142\r\n"
                  "hello\r\n2015550100");
  EXPECT_TRUE(r.committed);
  EXPECT_EQ(r.lines, 8u);
  EXPECT_EQ(r.accepted, 3u);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(r.rejected, 2u);
  EXPECT_EQ(r.rejected_lines, (std::vector<std::uint64_t>{4, 7}));
  EXPECT_EQ(listsHolding("+13125550142"), std::vector<std::string>{"national"});
  EXPECT_EQ(listsHolding("+12015550100"), std::vector<std::string>{"national"});
  EXPECT_TRUE(listsHolding("+13125550143").empty());
  auto f = store_->gateFacts("+13125550143", "");
  ASSERT_TRUE(f.isOk());
  EXPECT_EQ(policy::formatDate(*f->national_obtained), "2026-06-01");
  auto lists = store_->lists();
  ASSERT_TRUE(lists.isOk());
  ASSERT_EQ(lists->size(), 1u);
  EXPECT_EQ((*lists)[0].count, 3);
}

TEST_F(SqliteListStoreTest, ANewImportReplacesTheOldCopyWhole) {
  ASSERT_TRUE(import("national", "2026-06-01", "3125550142\n5415550199\n").committed);
  auto r = import("national", "2026-07-01", "2015550100\n");
  ASSERT_TRUE(r.committed);
  EXPECT_TRUE(r.replaced_generation.has_value());
  EXPECT_TRUE(listsHolding("+13125550142").empty());
  EXPECT_EQ(listsHolding("+12015550100"), std::vector<std::string>{"national"});
  // The old generation's rows go away.
  ASSERT_TRUE(store_->purgeNowForTesting().isOk());
  auto s = db_->session();
  int rows = -1;
  s << "SELECT COUNT(*) FROM dnc_number", Poco::Data::Keywords::into(rows),
      Poco::Data::Keywords::now;
  EXPECT_EQ(rows, 1);
}

TEST_F(SqliteListStoreTest, AFailedImportKeepsTheOldList) {
  ASSERT_TRUE(import("US-TX", "2026-06-01", "3125550142\n").committed);
  // Nothing valid: an empty download must not clear the list.
  auto empty = import("US-TX", "2026-07-01", "oops\n\n12345\n");
  EXPECT_FALSE(empty.committed);
  EXPECT_EQ(empty.rejected_lines, (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(listsHolding("+13125550142"), std::vector<std::string>{"US-TX"});
  // A truncated upload: fewer bytes than announced.
  ImportRequest r;
  r.list = "US-TX";
  r.obtained = policy::parseDate("2026-07-01").value();
  r.expected_bytes = 1000;
  std::istringstream in("2015550100\n");
  auto cut = store_->importList(r, in, {});
  ASSERT_TRUE(cut.isOk());
  EXPECT_FALSE(cut->committed);
  EXPECT_NE(cut->failure.find("ended after"), std::string::npos);
  // A refusal before the swap (the audit log is down).
  std::istringstream in2("2015550100\n");
  r.expected_bytes.reset();
  auto refused = store_->importList(
      r, in2, [](const ImportReport&) { return Status::unavailable("audit down"); });
  EXPECT_FALSE(refused.isOk());
  EXPECT_EQ(listsHolding("+13125550142"), std::vector<std::string>{"US-TX"});
  EXPECT_TRUE(listsHolding("+12015550100").empty());
  ASSERT_TRUE(store_->purgeNowForTesting().isOk());
  EXPECT_EQ(listsHolding("+13125550142"), std::vector<std::string>{"US-TX"});
}

TEST_F(SqliteListStoreTest, InternalListAddRemoveAndHistoryOfSince) {
  const auto t1 = parseRfc3339("2026-06-02T12:00:00Z").value();
  auto a = store_->addInternal(3125550142, "asked on call", "admin-1", t1);
  ASSERT_TRUE(a.isOk());
  EXPECT_TRUE(a->added);
  auto again = store_->addInternal(3125550142, "again", "admin-1", t1 + std::chrono::hours(1));
  ASSERT_TRUE(again.isOk());
  EXPECT_FALSE(again->added);
  EXPECT_EQ(again->entry.since, t1);
  EXPECT_EQ(again->entry.reason, "asked on call");
  EXPECT_EQ(listsHolding("+13125550142"), std::vector<std::string>{"internal"});
  EXPECT_TRUE(store_->removeInternal(3125550142).isOk());
  EXPECT_EQ(store_->removeInternal(3125550142).code(), ErrorCode::kNotFound);
  EXPECT_TRUE(listsHolding("+13125550142").empty());
}

TEST_F(SqliteListStoreTest, ReadersDuringAnImportSeeOneWholeCopy) {
  // Old copy: A on the list. New copy: B and 200,000 others, A absent. Every snapshot must
  // pair "A listed" with the old date and "A not listed" with the new one.
  ASSERT_TRUE(import("national", "2026-06-01", "3125550142\n").committed);
  std::string big = "5415550199\n";
  for (int i = 0; i < 200000; ++i) big += std::to_string(2015550000LL + i * 7) + "\n";
  std::atomic<bool> done{false};
  std::atomic<int> old_seen{0}, new_seen{0}, mixed{0};
  std::thread reader([&] {
    while (!done.load()) {
      auto a = store_->gateFacts("+13125550142", "");
      auto b = store_->gateFacts("+15415550199", "");
      if (!a.isOk() || !b.isOk()) {
        ++mixed;
        continue;
      }
      const std::string da = policy::formatDate(*a->national_obtained);
      const std::string db = policy::formatDate(*b->national_obtained);
      const bool a_listed = !a->memberships.empty(), b_listed = !b->memberships.empty();
      if (da == "2026-06-01" && a_listed)
        ++old_seen;
      else if (da == "2026-07-01" && !a_listed)
        ++new_seen;
      else
        ++mixed;
      if (!((db == "2026-06-01" && !b_listed) || (db == "2026-07-01" && b_listed))) ++mixed;
    }
  });
  auto r = import("national", "2026-07-01", big);
  done = true;
  reader.join();
  EXPECT_TRUE(r.committed);
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_GT(old_seen.load(), 0);
  EXPECT_EQ(listsHolding("+15415550199"), std::vector<std::string>{"national"});
  EXPECT_TRUE(listsHolding("+13125550142").empty());
}

TEST_F(SqliteListStoreTest, ConsentAndRndAnswersAreReadForTheGate) {
  insertConsents(
      "('c1', 'S-1', '+13125550142', 'robocall', 'grant', 1, 1), "
      "('c2', 'S-1', '+15415550199', 'telemarketing', 'revoke', 2, 2), "
      "('c3', 'S-2', '+19995550000', 'recording', 'grant', 3, 3)");
  policy::RndAnswer yes;
  yes.result = policy::RndResult::kYes;
  yes.disconnected_on = policy::parseDate("2026-03-15").value();
  yes.queried_at = parseRfc3339("2026-03-31T12:00:00Z").value();
  ASSERT_TRUE(store_->recordRnd(3125550142, yes, "admin-1").isOk());
  auto f = store_->gateFacts("+13125550142", "S-1");
  ASSERT_TRUE(f.isOk());
  EXPECT_EQ(f->consents.size(), 2u);  // by number and by subject; not the recording record
  ASSERT_EQ(f->rnd.size(), 1u);
  EXPECT_EQ(policy::formatDate(*f->rnd[0].disconnected_on), "2026-03-15");
}

// The attempt ledger reads the same facts inside its own read transaction (one transaction
// per call check), and they must equal what the list store answers.
TEST_F(SqliteListStoreTest, TheLedgersReadTransactionSeesTheSameFacts) {
  insertConsents(
      "('c1', 'S-1', '+13125550142', 'robocall', 'grant', 1, 1), "
      "('c2', 'S-1', '+15415550199', 'telemarketing', 'revoke', 2, 2), "
      "('c3', 'S-1', '+13125550142', 'telemarketing', 'grant', 3, 3)");
  import("national", "2026-06-01", "3125550142\n3125550143\n");
  ASSERT_TRUE(store_
                  ->addInternal(3125550142, "asked", "admin-1",
                                parseRfc3339("2026-06-03T00:00:00Z").value())
                  .isOk());
  auto direct = store_->gateFacts("+13125550142", "S-1");
  ASSERT_TRUE(direct.isOk());
  ASSERT_EQ(direct->memberships.size(), 2u);
  ASSERT_EQ(direct->consents.size(), 3u);

  SqliteAttemptLedger ledger(*db_);
  ledger.readListsToo();
  for (int round = 0; round < 2; ++round) {  // the second round reuses the cached statements
    std::optional<dialer::GateFacts> in_txn;
    ASSERT_TRUE(ledger
                    .read([&](dialer::LedgerTxn& txn) {
                      in_txn = txn.gateFacts("+13125550142", "S-1");
                      return Status::ok();
                    })
                    .isOk());
    ASSERT_TRUE(in_txn.has_value());
    ASSERT_EQ(in_txn->memberships.size(), direct->memberships.size());
    for (size_t i = 0; i < in_txn->memberships.size(); ++i)
      EXPECT_EQ(in_txn->memberships[i].list, direct->memberships[i].list);
    EXPECT_EQ(in_txn->national_obtained, direct->national_obtained);
    ASSERT_EQ(in_txn->consents.size(), direct->consents.size());
    for (size_t i = 0; i < in_txn->consents.size(); ++i)
      EXPECT_EQ(in_txn->consents[i].id, direct->consents[i].id);
  }
  // Without readListsToo() the ledger leaves the lists to the list store.
  SqliteAttemptLedger plain(*db_);
  ASSERT_TRUE(plain
                  .read([&](dialer::LedgerTxn& txn) {
                    EXPECT_FALSE(txn.gateFacts("+13125550142", "S-1").has_value());
                    return Status::ok();
                  })
                  .isOk());
}

}  // namespace
}  // namespace callwarden::store
