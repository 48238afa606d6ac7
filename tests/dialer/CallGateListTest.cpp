// The gate with the list store: a list store that cannot answer denies (STORE_UNAVAILABLE),
// list reasons sit alongside the other rules' reasons, and the audit record names the
// registry copy relied on.

#include <gtest/gtest.h>

#include <algorithm>

#include "FakeClock.h"
#include "NoHistoryLedger.h"
#include "common/Rfc3339.h"
#include "dialer/CallGate.h"
#include "rules/FrequencyRuleLoader.h"
#include "rules/NumberingPlanLoader.h"

namespace callwarden::dialer {
namespace {

using testing::NoHistoryLedger;

// Serves fixed facts, or fails every call.
class FakeListStore final : public ListStore {
 public:
  bool fail = false;
  GateFacts facts;
  Result<GateFacts> gateFacts(const std::string&, const std::string&) override {
    if (fail) return Status::unavailable("list file gone");
    return facts;
  }
  Result<std::vector<DncMembership>> memberships(policy::NanpNumber) override {
    return Status::unavailable("unused");
  }
  Result<std::vector<DncListInfo>> lists() override { return Status::unavailable("unused"); }
  Result<AddResult> addInternal(policy::NanpNumber, const std::string&, const std::string&,
                                Timestamp) override {
    return Status::unavailable("unused");
  }
  Status removeInternal(policy::NanpNumber) override { return Status::unavailable("unused"); }
  Result<ImportReport> importList(const ImportRequest&, std::istream&, const BeforeSwap&) override {
    return Status::unavailable("unused");
  }
  Status recordRnd(policy::NanpNumber, const policy::RndAnswer&, const std::string&) override {
    return Status::unavailable("unused");
  }
};

class KeepingAudit final : public DurableAuditTrail {
 public:
  std::vector<audit::AuditEvent> events;
  Result<uint64_t> append(const audit::AuditEvent& e) override {
    events.push_back(e);
    return static_cast<uint64_t>(events.size());
  }
};

std::shared_ptr<const policy::CallingWindowPolicy> windows() {
  static auto w =
      rules::loadCallingWindowPolicy(std::string(CALLWARDEN_SOURCE_DIR) + "/data").value();
  return w;
}

CallRequest telemarketing(const char* at) {
  CallRequest r;
  r.call.to = "+13125550142";
  r.call.purpose = policy::Purpose::kTelemarketing;
  r.call.at = parseRfc3339(at).value();
  return r;
}

std::vector<policy::ReasonCode> codes(const GateDecision& d) {
  std::vector<policy::ReasonCode> out;
  for (const auto& r : d.reasons) out.push_back(r.code);
  return out;
}

class CallGateLists : public ::testing::Test {
 protected:
  CallGateLists()
      : clock_("2026-07-15T16:00:00Z"), gate_(windows(), {}, ledger_, lists_, audit_, clock_) {
    lists_.facts.national_obtained = policy::parseDate("2026-07-01").value();
  }
  NoHistoryLedger ledger_;
  FakeListStore lists_;
  KeepingAudit audit_;
  testing::FakeClock clock_;
  CallGate gate_;
};

TEST_F(CallGateLists, ListStoreOutageDeniesCheckAndReserve) {
  lists_.fail = true;
  for (bool reserve : {false, true}) {
    auto req = telemarketing("2026-07-15T16:00:00Z");
    req.call.purpose = policy::Purpose::kInformational;
    auto d = reserve ? gate_.reserve(req, {"k", "r"}) : gate_.check(req, {"k", "r"});
    ASSERT_TRUE(d.isOk());
    EXPECT_FALSE(d->allowed);
    EXPECT_EQ(codes(*d), std::vector<policy::ReasonCode>{policy::ReasonCode::kStoreUnavailable});
    EXPECT_EQ(d->reasons[0].rule, "callwarden/lists");
    EXPECT_FALSE(d->reservation_id.has_value());
  }
  EXPECT_EQ(ledger_.txn.inserted.size(), 0u);
}

TEST_F(CallGateLists, EveryFailingRuleIsListedAndNothingIsReserved) {
  lists_.facts.memberships = {{"national", policy::DncListKind::kNational, {}, {}, {}, {}}};
  // 02:00Z is 21:00 CDT: outside the window as well.
  auto d = gate_.reserve(telemarketing("2026-07-16T02:00:00Z"), {"k", "r"});
  ASSERT_TRUE(d.isOk());
  EXPECT_FALSE(d->allowed);
  auto c = codes(*d);
  EXPECT_NE(std::find(c.begin(), c.end(), policy::ReasonCode::kCallingWindow), c.end());
  EXPECT_NE(std::find(c.begin(), c.end(), policy::ReasonCode::kDncNational), c.end());
  EXPECT_FALSE(d->next_allowed_at.has_value());  // a listed number does not free up with time
  EXPECT_EQ(ledger_.txn.inserted.size(), 0u);
}

TEST_F(CallGateLists, AllowedReservationRecordsTheRegistryCopyInTheAudit) {
  auto d = gate_.reserve(telemarketing("2026-07-15T16:00:00Z"), {"k", "r"});
  ASSERT_TRUE(d.isOk());
  EXPECT_TRUE(d->allowed) << (d->reasons.empty() ? "" : d->reasons[0].message);
  EXPECT_EQ(ledger_.txn.inserted.size(), 1u);
  ASSERT_FALSE(audit_.events.empty());
  bool said = false;
  for (const auto& [k, v] : audit_.events.back().clear)
    said = said || (k == "dnc_national_obtained" && v == "2026-07-01");
  EXPECT_TRUE(said);
}

// A ledger that shares its database with the lists answers them in its own read
// transaction (LedgerTxn::gateFacts); the check then does not ask the list store at all.
TEST_F(CallGateLists, ACheckUsesTheListsReadInTheLedgersTransaction) {
  GateFacts in_txn;
  in_txn.national_obtained = policy::parseDate("2026-07-01").value();
  in_txn.memberships = {{"national", policy::DncListKind::kNational, {}, {}, {}, {}}};
  ledger_.txn.facts_in_txn = in_txn;
  lists_.fail = true;  // would deny with STORE_UNAVAILABLE if it were asked
  auto d = gate_.check(telemarketing("2026-07-15T16:00:00Z"), {"k", "r"});
  ASSERT_TRUE(d.isOk());
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(codes(*d), std::vector<policy::ReasonCode>{policy::ReasonCode::kDncNational});
}

// When the ledger's read fails (with the lists inside it), the check still consults the list
// store, and denies for the ledger outage as well as for what the lists say.
TEST_F(CallGateLists, ALedgerOutageStillReadsTheListsAndDenies) {
  class DownLedger final : public AttemptLedger {
   public:
    Status write(const std::function<Status(LedgerTxn&)>&) override {
      return Status::unavailable("ledger gone");
    }
    Status read(const std::function<Status(LedgerTxn&)>&) override {
      return Status::unavailable("ledger gone");
    }
  } down;
  lists_.facts.memberships = {{"national", policy::DncListKind::kNational, {}, {}, {}, {}}};
  CallGate gate(windows(), {}, down, lists_, audit_, clock_);
  auto d = gate.check(telemarketing("2026-07-15T16:00:00Z"), {"k", "r"});
  ASSERT_TRUE(d.isOk());
  EXPECT_FALSE(d->allowed);
  auto c = codes(*d);
  EXPECT_NE(std::find(c.begin(), c.end(), policy::ReasonCode::kStoreUnavailable), c.end());
  EXPECT_NE(std::find(c.begin(), c.end(), policy::ReasonCode::kDncNational), c.end());
}

}  // namespace
}  // namespace callwarden::dialer
