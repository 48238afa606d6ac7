#pragma once
// Do-not-call lists, consent history reads and RND answers on SQLite (schema: migration 3 in
// store/Migrations.cpp).
//
// Bulk lists are stored per import *generation*: an import streams its numbers into a new
// generation in batched transactions that no reader looks at, then one tiny transaction
// points the list at it. A reader's snapshot therefore holds the old copy or the new one,
// never part of either, and a failed import leaves the old pointer untouched. Old and failed
// generations are deleted afterwards, in small batches, by a background thread, so that the
// attempt ledger's writer never waits long for the database's write lock. Lookups are primary
// key probes on (generation, number): O(log n).
//
// Thread-safe: every call takes its own pooled connection. One import runs at a time (a second
// gets kConflict). Failures are returned as kUnavailable, never thrown.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "dialer/ListStore.h"
#include "store/Database.h"
#include "store/SqliteConnection.h"

namespace callwarden::store {

class SqliteListStore final : public dialer::ListStore {
 public:
  /// `db` must outlive this object. Starts the purge thread, which first clears generations
  /// an interrupted import or an unfinished purge left behind.
  explicit SqliteListStore(Database& db, size_t batch_rows = 20000);
  ~SqliteListStore() override;
  SqliteListStore(const SqliteListStore&) = delete;
  SqliteListStore& operator=(const SqliteListStore&) = delete;

  Result<dialer::GateFacts> gateFacts(const std::string& to_e164,
                                      const std::string& subject_id) override;
  Result<std::vector<dialer::DncMembership>> memberships(policy::NanpNumber number) override;
  Result<std::vector<dialer::DncListInfo>> lists() override;
  Result<AddResult> addInternal(policy::NanpNumber number, const std::string& reason,
                                const std::string& api_key, Timestamp at) override;
  Status removeInternal(policy::NanpNumber number) override;
  Result<dialer::ImportReport> importList(const dialer::ImportRequest& request, std::istream& in,
                                          const dialer::BeforeSwap& before_swap) override;
  Status recordRnd(policy::NanpNumber number, const policy::RndAnswer& answer,
                   const std::string& api_key) override;

  /// gateFacts() on `conn`, inside the read transaction its caller holds: the attempt ledger
  /// passes its own connection, so that a call check opens one read transaction, not two
  /// (starting one costs more than the list queries themselves). Throws SqliteError.
  static dialer::GateFacts gateFactsOn(SqliteConnection& conn, const std::string& to_e164,
                                       const std::string& subject_id);

  /// Blocks until no retired or failed generation has rows left (tests, benchmarks).
  Status purgeNowForTesting();

 private:
  void purgeLoop();
  void schedulePurge();
  Status purgeOnce(bool* more);

  // Read-only connections for the gate's per-call read, each with its statements prepared
  // once: going through Poco's pool and preparing four statements per call cost ~15x the
  // queries themselves.
  struct Reader;
  struct ReaderLease;
  ReaderLease acquireReader();
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Reader>> idle_readers_;  // guarded by readers_mu_

  Database& db_;
  const size_t batch_rows_;
  std::mutex import_mu_;  // held for the whole of an import

  std::mutex purge_mu_;  // guards the two flags below
  std::condition_variable purge_cv_;
  bool purge_wanted_ = true;
  bool stopping_ = false;
  std::thread purger_;
};

}  // namespace callwarden::store
