#pragma once
// The attempt ledger on SQLite. Writes are group-committed: one writer thread takes every job
// waiting, runs them one after another inside a single BEGIN IMMEDIATE transaction (each in
// its own SAVEPOINT, so one failing job does not undo the others), and commits once. Each job
// still sees every earlier job's changes, so check-and-reserve stays atomic, while one fsync
// serves the whole batch. BEGIN IMMEDIATE also serialises against other processes sharing
// the file.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "dialer/AttemptLedger.h"
#include "store/Database.h"
#include "store/SqliteConnection.h"

namespace callwarden::store {

class SqliteAttemptLedger final : public dialer::AttemptLedger {
 public:
  /// `db` must outlive this object.
  explicit SqliteAttemptLedger(Database& db, size_t max_batch = 256);
  ~SqliteAttemptLedger() override;

  Status write(const std::function<Status(dialer::LedgerTxn&)>& job) override;
  Status read(const std::function<Status(dialer::LedgerTxn&)>& job) override;
  /// The do-not-call lists live in this ledger's database (a SqliteListStore on the same
  /// Database): read transactions then answer LedgerTxn::gateFacts, so a call check reads
  /// history and lists in one transaction. Call before the ledger is used.
  void readListsToo() { lists_in_reads_ = true; }

 private:
  struct Job;
  void writerLoop();
  void runBatch(std::vector<std::shared_ptr<Job>>& batch);

  Database& db_;
  const size_t max_batch_;
  SqlitePool readers_;
  bool lists_in_reads_ = false;
  std::unique_ptr<SqliteConnection> writer_conn_;  // used only by the writer thread
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;  // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::thread writer_;
};

}  // namespace callwarden::store
