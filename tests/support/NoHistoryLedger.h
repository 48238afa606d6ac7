#pragma once
// An attempt ledger with no history that runs every job and remembers only which
// reservations were inserted and released (and answers the inconvenient times a test
// stores in it): for tests and benchmarks of the gate's decision
// logic without SQL. Header-only so benchmarks can use it without the test support library.
// Not thread-safe.

#include <string>
#include <vector>

#include "dialer/AttemptLedger.h"

namespace callwarden::testing {

class NoHistoryTxn final : public dialer::LedgerTxn {
 public:
  std::map<std::string, std::string> debtGroups(const std::string&) override { return {}; }
  void setDebtGroups(const std::string&, const std::map<std::string, std::string>&) override {}
  dialer::AttemptTimes attempts(const std::string&, Timestamp) override { return {}; }
  void copyHistory(const std::string&, const std::string&) override {}
  std::vector<Timestamp> conversations(const std::string&, Timestamp) override { return {}; }
  std::vector<policy::DirectConsent> directConsents(const std::string&, Timestamp) override {
    return {};
  }
  std::set<std::string> accountFlags(const std::string&) override { return {}; }
  void setAccountFlags(const std::string&, const std::set<std::string>&, Timestamp) override {}
  void insertReservation(const dialer::Reservation& r) override { inserted.push_back(r.id); }
  std::optional<dialer::Reservation> reservation(const std::string&) override {
    return std::nullopt;
  }
  void settleReservation(const std::string& id, dialer::ReservationState state, const std::string&,
                         const std::string&, bool, Timestamp) override {
    if (state == dialer::ReservationState::kReleased) released.push_back(id);
  }
  void insertConversation(const std::string&, Timestamp, const std::string&,
                          const std::string&) override {}
  void insertConsent(const dialer::ConsentRecord&) override {}
  std::vector<dialer::Reservation> reservationsForKey(const std::string&, Timestamp) override {
    return {};
  }
  std::vector<policy::LocalInterval> inconvenientTimes(const std::string&) override {
    return inconvenient;
  }
  void setInconvenientTimes(const std::string&,
                            const std::vector<policy::LocalInterval>&) override {}

  /// What gateFacts() answers: nullopt by default (the gate then asks its ListStore).
  std::optional<dialer::GateFacts> facts_in_txn;
  std::optional<dialer::GateFacts> gateFacts(const std::string&, const std::string&) override {
    return facts_in_txn;
  }

  std::vector<std::string> inserted, released;
  /// What inconvenientTimes() answers for every subject (empty by default).
  std::vector<policy::LocalInterval> inconvenient;
};

class NoHistoryLedger final : public dialer::AttemptLedger {
 public:
  Status write(const std::function<Status(dialer::LedgerTxn&)>& job) override { return job(txn); }
  Status read(const std::function<Status(dialer::LedgerTxn&)>& job) override { return job(txn); }
  NoHistoryTxn txn;
};

}  // namespace callwarden::testing
