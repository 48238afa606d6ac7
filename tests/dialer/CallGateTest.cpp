// The gate fails closed: a ledger that cannot be read or written, or an audit log that
// refuses the record, turns the answer into a deny with the matching reason.

#include "dialer/CallGate.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "FakeClock.h"
#include "NoHistoryLedger.h"
#include "TempDir.h"
#include "common/Rfc3339.h"
#include "rules/FrequencyRuleLoader.h"
#include "rules/NumberingPlanLoader.h"
#include "store/Database.h"
#include "store/SqliteAttemptLedger.h"

namespace callwarden::dialer {
namespace {

class FailingLedger final : public AttemptLedger {
 public:
  Status write(const std::function<Status(LedgerTxn&)>&) override {
    return Status::unavailable("disk on fire");
  }
  Status read(const std::function<Status(LedgerTxn&)>&) override {
    return Status::unavailable("disk on fire");
  }
};

// A job that fails of itself: SqliteAttemptLedger turns its exception into kInternal
// (SqliteAttemptLedgerTest); a ledger with a defect of its own lets the exception through.
class DefectiveLedger final : public AttemptLedger {
 public:
  bool throws = false;
  Status write(const std::function<Status(LedgerTxn&)>&) override { return fail(); }
  Status read(const std::function<Status(LedgerTxn&)>&) override { return fail(); }

 private:
  Status fail() {
    if (throws) throw std::runtime_error("unexpected row shape");
    return Status::internal("attempt ledger job failed: unexpected row shape");
  }
};

using testing::NoHistoryLedger;

class RecordingAudit final : public AuditTrail {
 public:
  bool fail = false;
  int throw_next = 0;  // this many appends throw, as a defect in building the record would
  std::vector<audit::AuditEvent> events;
  std::vector<bool> flushed;  // per event: append() (true) or appendUnflushed() (false)
  Result<uint64_t> append(const audit::AuditEvent& e) override { return keep(e, true); }
  Result<uint64_t> appendUnflushed(const audit::AuditEvent& e) override { return keep(e, false); }
  // No test here holds an answer for its flush (CheckDeferralTest does).
  void whenDurable(uint64_t, std::function<void(const Status&)> done) override {
    done(Status::ok());
  }

 private:
  Result<uint64_t> keep(const audit::AuditEvent& e, bool flush) {
    if (fail) return Status::unavailable("audit disk full");
    if (throw_next > 0) {
      --throw_next;
      throw std::runtime_error("record could not be built");
    }
    events.push_back(e);
    flushed.push_back(flush);
    return static_cast<uint64_t>(events.size());
  }
};

std::shared_ptr<const policy::CallingWindowPolicy> windows() {
  static auto w =
      rules::loadCallingWindowPolicy(std::string(CALLWARDEN_SOURCE_DIR) + "/data").value();
  return w;
}

std::vector<policy::FrequencyRule> frequencyRules() {
  return rules::loadFrequencyRules(std::string(CALLWARDEN_SOURCE_DIR) + "/data/rules/us.json")
      .value();
}

CallRequest request(const char* at) {
  CallRequest r;
  r.call.to = "+13125550142";
  r.call.purpose = policy::Purpose::kDebtCollection;
  r.call.at = parseRfc3339(at).value();
  r.subject_id = "S-1";
  r.debts = {"D1"};
  return r;
}

bool hasReason(const GateDecision& d, policy::ReasonCode c) {
  return std::any_of(d.reasons.begin(), d.reasons.end(),
                     [&](const policy::Reason& r) { return r.code == c; });
}

TEST(CallGate, StoreOutageDeniesAndIsAudited) {
  FailingLedger ledger;
  RecordingAudit audit;
  testing::FakeClock clock("2026-07-15T16:00:00Z");
  CallGate gate(windows(), frequencyRules(), ledger, audit, clock);
  for (bool reserve : {false, true}) {
    auto d = reserve ? gate.reserve(request("2026-07-15T16:00:00Z"), {"k", "r"})
                     : gate.check(request("2026-07-15T16:00:00Z"), {"k", "r"});
    ASSERT_TRUE(d.isOk());
    EXPECT_FALSE(d->allowed);
    EXPECT_TRUE(hasReason(*d, policy::ReasonCode::kStoreUnavailable));
    EXPECT_FALSE(d->next_allowed_at.has_value());
    EXPECT_FALSE(d->reservation_id.has_value());
  }
  ASSERT_EQ(audit.events.size(), 2u);
  bool said = false;
  for (const auto& [k, v] : audit.events[0].clear)
    said = said || (k == "reasons" && v == "STORE_UNAVAILABLE");
  EXPECT_TRUE(said);
}

// Stored data the policy cannot evaluate (more intervals than it takes, as a future limit or
// an older version might have stored) is the service's failure, not the caller's: a deny with
// INTERNAL_ERROR, audited, never a 422 the dialer cannot fix and never an allow.
TEST(CallGate, StoredIntervalsThePolicyCannotUseDenyWithInternalError) {
  using std::chrono::hours;
  NoHistoryLedger ledger;
  const policy::LocalInterval night{0x7f, hours(1), hours(2), ""};
  ledger.txn.inconvenient.assign(policy::LocalInterval::kMaxPerSubject + 1, night);
  RecordingAudit audit;
  testing::FakeClock clock("2026-07-15T16:00:00Z");  // 11:00 CDT on a Wednesday
  CallGate gate(windows(), frequencyRules(), ledger, audit, clock);
  for (bool reserve : {false, true}) {
    auto d = reserve ? gate.reserve(request("2026-07-15T16:00:00Z"), {"k", "r"})
                     : gate.check(request("2026-07-15T16:00:00Z"), {"k", "r"});
    ASSERT_TRUE(d.isOk()) << d.status().message();
    EXPECT_FALSE(d->allowed);
    EXPECT_TRUE(hasReason(*d, policy::ReasonCode::kInternalError));
    EXPECT_TRUE(d->failed);
    EXPECT_FALSE(d->next_allowed_at.has_value());
    EXPECT_FALSE(d->reservation_id.has_value());
  }
  EXPECT_TRUE(ledger.txn.inserted.empty());
  ASSERT_EQ(audit.events.size(), 2u);
  bool said = false;
  for (const auto& [k, v] : audit.events[1].clear)
    said = said || (k == "reasons" && v == "INTERNAL_ERROR");
  EXPECT_TRUE(said);
  // Within the limit the same intervals are evaluated, and 11:00 is not inside them.
  ledger.txn.inconvenient.resize(policy::LocalInterval::kMaxPerSubject);
  auto ok = gate.check(request("2026-07-15T16:00:00Z"), {"k", "r"});
  ASSERT_TRUE(ok.isOk());
  EXPECT_TRUE(ok->allowed);
  // And the gate refuses to store more than the policy takes.
  const std::vector<policy::LocalInterval> too_many(policy::LocalInterval::kMaxPerSubject + 1,
                                                    night);
  const Status s = gate.setInconvenientTimes("S-1", too_many, {"k", "r"});
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "intervals");
}

// Any internal failure is a deny with a reason: a job that failed of itself, or an exception
// escaping the evaluation, is an audited INTERNAL_ERROR deny (not STORE_UNAVAILABLE, not a
// 500), with nothing of the failed evaluation in the answer.
TEST(CallGate, AnInternalFailureIsAnAuditedDenyWithInternalError) {
  DefectiveLedger ledger;
  RecordingAudit audit;
  testing::FakeClock clock("2026-07-15T16:00:00Z");
  CallGate gate(windows(), frequencyRules(), ledger, audit, clock);
  for (int i = 0; i < 4; ++i) {
    const bool reserve = i % 2 == 1;
    ledger.throws = i >= 2;
    SCOPED_TRACE(std::string(reserve ? "reserve" : "check") + (ledger.throws ? ", throws" : ""));
    auto d = reserve ? gate.reserve(request("2026-07-15T16:00:00Z"), {"k", "req-7"})
                     : gate.check(request("2026-07-15T16:00:00Z"), {"k", "req-7"});
    ASSERT_TRUE(d.isOk()) << d.status().message();
    EXPECT_FALSE(d->allowed);
    ASSERT_EQ(d->reasons.size(), 1u);
    EXPECT_EQ(d->reasons[0].code, policy::ReasonCode::kInternalError);
    EXPECT_EQ(d->reasons[0].rule, "callwarden/gate");
    EXPECT_NE(d->reasons[0].message.find("req-7"), std::string::npos);
    EXPECT_EQ(d->reasons[0].message.find("row shape"), std::string::npos);  // log only
    EXPECT_FALSE(d->next_allowed_at.has_value());
    EXPECT_FALSE(d->reservation_id.has_value());
    EXPECT_TRUE(d->zones.empty());
    EXPECT_FALSE(d->policy_version.empty());
    EXPECT_TRUE(d->failed);
  }
  ASSERT_EQ(audit.events.size(), 4u);
  EXPECT_EQ(audit.events[0].type, audit::EventType::kDecision);
  EXPECT_EQ(audit.events[1].type, audit::EventType::kReservation);
  for (const auto& ev : audit.events) {
    bool said = false;
    for (const auto& [k, v] : ev.clear) said = said || (k == "reasons" && v == "INTERNAL_ERROR");
    EXPECT_TRUE(said);
  }
}

// A reservation is committed before its decision is recorded; if recording it throws, the
// reservation is released (it must not count against the caps) and the answer is the audited
// INTERNAL_ERROR deny.
TEST(CallGate, AReservationWhoseRecordThrowsIsReleased) {
  NoHistoryLedger ledger;
  RecordingAudit audit;
  audit.throw_next = 1;
  testing::FakeClock clock("2026-07-15T16:00:00Z");
  CallGate gate(windows(), frequencyRules(), ledger, audit, clock);
  auto d = gate.reserve(request("2026-07-15T16:00:00Z"), {"k", "req-8"});
  ASSERT_TRUE(d.isOk()) << d.status().message();
  EXPECT_FALSE(d->allowed);
  EXPECT_TRUE(d->failed);
  EXPECT_FALSE(d->reservation_id.has_value());
  ASSERT_EQ(ledger.txn.inserted.size(), 1u);
  EXPECT_EQ(ledger.txn.released, ledger.txn.inserted);
  ASSERT_EQ(audit.events.size(), 1u);  // the deny, not the allow that could not be recorded
  bool said = false;
  for (const auto& [k, v] : audit.events[0].clear)
    said = said || (k == "reasons" && v == "INTERNAL_ERROR");
  EXPECT_TRUE(said);
}

TEST(CallGate, AuditFailureDeniesAnOtherwiseAllowedCall) {
  RecordingAudit audit;
  audit.fail = true;
  testing::FakeClock clock("2026-07-15T16:00:00Z");
  NoHistoryLedger ledger;
  CallGate gate(windows(), frequencyRules(), ledger, audit, clock);
  auto req = request("2026-07-15T16:00:00Z");
  req.call.purpose = policy::Purpose::kInformational;
  req.debts.clear();
  auto d = gate.check(req, {"k", "r"});
  ASSERT_TRUE(d.isOk());
  EXPECT_FALSE(d->allowed);
  EXPECT_TRUE(hasReason(*d, policy::ReasonCode::kAuditUnavailable));
  // A reservation that the audit log refused is released, and no reservation id is given out.
  auto r = gate.reserve(req, {"k", "r"});
  ASSERT_TRUE(r.isOk());
  EXPECT_FALSE(r->allowed);
  EXPECT_FALSE(r->reservation_id.has_value());
  ASSERT_EQ(ledger.txn.inserted.size(), 1u);
  EXPECT_EQ(ledger.txn.released, ledger.txn.inserted);
}

TEST(CallGate, PersonalDataGoesOnlyIntoTheSealedPart) {
  FailingLedger ledger;
  RecordingAudit audit;
  testing::FakeClock clock("2026-07-15T16:00:00Z");
  CallGate gate(windows(), frequencyRules(), ledger, audit, clock);
  ASSERT_TRUE(gate.check(request("2026-07-15T16:00:00Z"), {"key-1", "req-1"}).isOk());
  ASSERT_EQ(audit.events.size(), 1u);
  const auto& e = audit.events[0];
  EXPECT_EQ(e.subject_key, "subject:S-1");
  for (const auto& [k, v] : e.clear) {
    EXPECT_EQ(v.find("3125550142"), std::string::npos) << k;
    EXPECT_EQ(v.find("S-1"), std::string::npos) << k;
  }
  bool has_to = false;
  for (const auto& [k, v] : e.personal) has_to = has_to || (k == "to" && v == "+13125550142");
  EXPECT_TRUE(has_to);
}

// audit.check_durability: only a check may skip the flush, and only when configured to, or
// when its caller holds the answer until the record is flushed (the HTTP transport): then the
// gate only writes the record and names it in flush_pending. A reservation always waits here.
TEST(CallGate, WhichAppendsWaitForTheDisk) {
  NoHistoryLedger ledger;
  testing::FakeClock clock("2026-07-15T16:00:00Z");
  auto req = request("2026-07-15T16:00:00Z");
  for (bool flush_checks : {true, false}) {
    for (bool holds : {false, true}) {
      RecordingAudit audit;
      CallGateOptions options;
      options.flush_check_records = flush_checks;
      CallGate gate(windows(), frequencyRules(), ledger, audit, clock, options);
      const Caller caller{"k", "r", holds};
      auto checked = gate.check(req, caller);
      ASSERT_TRUE(checked.isOk());
      EXPECT_TRUE(checked->allowed);
      auto reserved = gate.reserve(req, caller);
      ASSERT_TRUE(reserved.isOk());
      ASSERT_EQ(audit.flushed.size(), 2u);
      EXPECT_EQ(audit.flushed[0], flush_checks && !holds) << "check";
      EXPECT_TRUE(audit.flushed[1]) << "reserve";
      // Only a record that still has to be flushed is named.
      EXPECT_EQ(checked->flush_pending.has_value(), flush_checks && holds);
      if (checked->flush_pending) {
        EXPECT_EQ(*checked->flush_pending, 1u);
      }
      EXPECT_FALSE(reserved->flush_pending);
    }
  }
  // When the write itself fails there is nothing to wait for: a deny at once.
  RecordingAudit failing;
  failing.fail = true;
  CallGate gate(windows(), frequencyRules(), ledger, failing, clock);
  auto d = gate.check(req, {"k", "r", true});
  ASSERT_TRUE(d.isOk());
  EXPECT_FALSE(d->allowed);
  EXPECT_FALSE(d->flush_pending);
  ASSERT_FALSE(d->reasons.empty());
  EXPECT_EQ(d->reasons.back().code, policy::ReasonCode::kAuditUnavailable);
}

// A change whose record the audit log refuses does not stand: a lifted bankruptcy flag, a
// granted consent or a regrouping would otherwise take effect with no record of it.
TEST(CallGate, ChangesTheAuditLogRefusesAreRolledBack) {
  testing::TempDir dir;
  auto db = store::Database::open("sqlite:" + dir.file("ledger.db")).value();
  store::SqliteAttemptLedger ledger(*db);
  RecordingAudit audit;
  testing::FakeClock clock("2026-07-15T16:00:00Z");
  CallGate gate(windows(), frequencyRules(), ledger, audit, clock);
  ASSERT_TRUE(gate.setAccountFlags("S-1", {"bankruptcy"}, {"k", "r"}).isOk());
  audit.fail = true;
  EXPECT_EQ(gate.setAccountFlags("S-1", {}, {"k", "r"}).code(), ErrorCode::kUnavailable);
  ConsentInput consent;
  consent.record.subject_id = "S-1";
  consent.record.scope = "regf_call";
  consent.record.action = "grant";
  consent.record.given_to = "collector";
  consent.record.received_at = clock.now();
  consent.record.max_calls = 1;
  consent.debts = {"D1"};
  EXPECT_EQ(gate.recordConsent(consent, {"k", "r"}).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(gate.setDebtGroups("S-1", {{"G", {"D1", "D2"}}}, {"k", "r"}).code(),
            ErrorCode::kUnavailable);
  EXPECT_EQ(gate.recordConversation("S-1", {"D1"}, clock.now(), {"k", "r"}).code(),
            ErrorCode::kUnavailable);
  audit.fail = false;
  auto d = gate.check(request("2026-07-15T16:00:00Z"), {"k", "r"});
  ASSERT_TRUE(d.isOk());
  EXPECT_TRUE(hasReason(*d, policy::ReasonCode::kAccountBlocked));
  EXPECT_FALSE(hasReason(*d, policy::ReasonCode::kRegfPostConversation));
  ASSERT_TRUE(ledger
                  .read([&](LedgerTxn& txn) {
                    EXPECT_TRUE(txn.debtGroups("S-1").empty());
                    EXPECT_TRUE(txn.directConsents(CallGate::debtKey("S-1", "D1"),
                                                   clock.now() - std::chrono::hours(24))
                                    .empty());
                    return Status::ok();
                  })
                  .isOk());
}

TEST(CallGate, DenyForAuditFailureFailsClosed) {
  GateDecision d;
  d.allowed = true;
  d.next_allowed_at = Timestamp{};
  d.flush_pending = 7;
  denyForAuditFailure(d);
  EXPECT_FALSE(d.allowed);
  EXPECT_FALSE(d.next_allowed_at);
  EXPECT_FALSE(d.flush_pending);
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0].code, policy::ReasonCode::kAuditUnavailable);
}

TEST(Outcomes, OnlyUnconnectedAndCanceledCallsRelease) {
  EXPECT_TRUE(outcomeReleasesSlot(Outcome::kBusy));
  EXPECT_TRUE(outcomeReleasesSlot(Outcome::kNotInService));
  EXPECT_TRUE(outcomeReleasesSlot(Outcome::kCanceled));
  for (auto o : {Outcome::kCompleted, Outcome::kNoAnswer, Outcome::kVoicemail, Outcome::kFailed}) {
    EXPECT_FALSE(outcomeReleasesSlot(o)) << outcomeName(o);
    EXPECT_EQ(parseOutcome(outcomeName(o)), o);
  }
  EXPECT_FALSE(parseOutcome("dropped"));
}

}  // namespace
}  // namespace callwarden::dialer
