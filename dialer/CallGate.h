#pragma once
// The gate: combines the calling-window policy, the frequency rules over the attempt ledger,
// the do-not-call lists and consent history (dialer/ListStore.h),
// and the audit log into one answer per call. Every decision is written to the audit log
// before it is returned; if that write fails the answer is a deny (AUDIT_UNAVAILABLE), and
// if the ledger cannot be read or written it is a deny (STORE_UNAVAILABLE). Nothing here
// ever turns a failure into an allow.
//
// Thread-safe: immutable after construction; state lives in the ledger and the audit log.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/Clock.h"
#include "common/Result.h"
#include "dialer/AttemptLedger.h"
#include "dialer/AuditTrail.h"
#include "dialer/CallRequest.h"
#include "dialer/ListStore.h"
#include "policy/CallingWindowPolicy.h"
#include "policy/ConsentPolicy.h"
#include "policy/FrequencyPolicy.h"

namespace callwarden::dialer {

struct CallGateOptions {
  std::chrono::seconds reservation_ttl{600};
  policy::FrequencyOptions frequency;
  policy::ListOptions lists;       // policy.dnc_max_age_days
  policy::ConsentOptions consent;  // policy.require_written_consent_for_telemarketing, ...
  /// audit.check_durability: false lets a check answer once its record is written, before
  /// the flush (AuditTrail::appendUnflushed). Everything that changes state always waits.
  bool flush_check_records = true;
};

/// Outcomes a dialer reports for a reserved attempt (POST /v1/reservations/{id}/outcome).
enum class Outcome { kCompleted, kNoAnswer, kVoicemail, kBusy, kNotInService, kFailed, kCanceled };
std::optional<Outcome> parseOutcome(std::string_view text);
std::string_view outcomeName(Outcome o);
/// Not connected (busy, not in service) and canceled-before-dialing release the slot
/// (1006.14(b)(3)(ii)); everything else counts, including failures: when unsure, count.
bool outcomeReleasesSlot(Outcome o);

struct OutcomeResult {
  Reservation reservation;
  bool changed = false;  // false for an idempotent repeat
};

struct ConsentInput {
  ConsentRecord record;            // id, api_key and debt_keys are filled by the gate
  std::vector<std::string> debts;  // as the client named them
};

struct AttemptsView {
  std::string subject_id;
  std::string debt;
  std::string key;
  std::vector<Reservation> reservations;  // touching the key in the last 15 days, newest first
  std::vector<Timestamp> conversations;
  std::optional<Timestamp> frees_at;     // when a new call stops being blocked by frequency rules
  std::vector<policy::Reason> blocking;  // which rules block it now
};

class CallGate {
 public:
  CallGate(std::shared_ptr<const policy::CallingWindowPolicy> windows,
           std::vector<policy::FrequencyRule> rules, AttemptLedger& ledger, AuditTrail& audit,
           const Clock& clock, CallGateOptions options = {});
  /// With do-not-call lists, consent and RND answers read from `lists` (must outlive the
  /// gate). A list store that cannot answer denies with STORE_UNAVAILABLE. The constructor
  /// above checks no lists: it exists for tests of the other rules, and app/ never uses it.
  CallGate(std::shared_ptr<const policy::CallingWindowPolicy> windows,
           std::vector<policy::FrequencyRule> rules, AttemptLedger& ledger, ListStore& lists,
           AuditTrail& audit, const Clock& clock, CallGateOptions options = {});

  /// Decides without recording an attempt (POST /v1/calls/check). Error only for invalid input.
  Result<GateDecision> check(const CallRequest& request, const Caller& caller) const;
  /// Decides and, on allow, records a pending attempt on every counted key in the same
  /// transaction (POST /v1/calls/reserve).
  Result<GateDecision> reserve(const CallRequest& request, const Caller& caller) const;
  /// Settles a reservation. kNotFound, kConflict for a different second outcome,
  /// kInvalidArgument for a conversation on an unconnected call.
  Result<OutcomeResult> recordOutcome(const std::string& reservation_id, Outcome outcome,
                                      const std::string& call_sid, bool conversation,
                                      const Caller& caller) const;
  Status recordConversation(const std::string& subject_id, const std::vector<std::string>& debts,
                            Timestamp at, const Caller& caller) const;
  Result<std::string> recordConsent(ConsentInput input, const Caller& caller) const;
  Status setAccountFlags(const std::string& subject_id, const std::set<std::string>& flags,
                         const Caller& caller) const;
  Status setDebtGroups(const std::string& subject_id,
                       const std::map<std::string, std::vector<std::string>>& groups,
                       const Caller& caller) const;
  /// Replaces the subject's consumer-designated inconvenient times (Reg F 1006.6(b)(1)(i)).
  /// kInvalidArgument (field "intervals[i].tz"/"...") for an unknown zone or a bad interval.
  Status setInconvenientTimes(const std::string& subject_id,
                              const std::vector<policy::LocalInterval>& intervals,
                              const Caller& caller) const;
  Result<std::vector<policy::LocalInterval>> inconvenientTimes(const std::string& subject_id) const;
  Result<AttemptsView> attempts(const std::string& subject_id, const std::string& debt) const;

  /// Calls `done` once the record of a check answered with GateDecision::flush_pending is
  /// durable (ok), or can no longer be (AuditTrail::whenDurable).
  void whenDurable(uint64_t seq, std::function<void(const Status&)> done) const {
    audit_.whenDurable(seq, std::move(done));
  }
  const std::string& policyVersion() const { return windows_->version(); }
  /// The ledger key for a (subject, debt group) and a (subject, subject matter).
  static std::string debtKey(const std::string& subject_id, const std::string& group);
  static std::string topicKey(const std::string& subject, const std::string& subject_matter);

 private:
  struct Evaluation;
  struct ListView;
  /// Read before the ledger transaction (their own snapshot), so the ledger's group-commit
  /// writer never waits on them.
  /// From `txn` when its ledger can read the lists (LedgerTxn::gateFacts), else the ListStore.
  ListView readLists(const CallRequest& request, LedgerTxn* txn) const;
  Evaluation evaluate(const CallRequest& request, LedgerTxn* txn, const ListView& lists) const;
  Result<GateDecision> checkOnce(const CallRequest& request, const Caller& caller) const;
  Result<GateDecision> reserveOnce(const CallRequest& request, const Caller& caller) const;
  /// Runs `decide`; an exception that escapes it (a defect, memory exhaustion) becomes an
  /// audited deny with INTERNAL_ERROR: any internal failure is a deny, never a 500 or an allow.
  Result<GateDecision> failClosed(const CallRequest& request, const Caller& caller,
                                  const char* action,
                                  const std::function<Result<GateDecision>()>& decide) const;
  /// The audited INTERNAL_ERROR deny (GateDecision::failed); `cause` goes to the log only.
  GateDecision internalFailure(const CallRequest& request, const Caller& caller, const char* action,
                               const std::string& cause) const;
  /// Releases a committed reservation whose decision could not be recorded.
  void releaseUnaudited(const std::string& reservation_id) const;
  /// Runs `job` and writes its record in the same ledger transaction: if the audit log refuses
  /// the record the change is rolled back, so no change (a consent granted, a flag lifted) ever
  /// stands unrecorded. Returns once the record is flushed. The record is written before the
  /// commit, so a commit that then fails leaves a record of a change that was not made, and
  /// the caller an error to retry: the safe side for an audit.
  Status writeAudited(const std::function<Status(LedgerTxn&)>& job,
                      const std::function<audit::AuditEvent()>& record) const;
  GateDecision finish(Evaluation& e, const CallRequest& request, const Caller& caller,
                      const char* action) const;

  std::shared_ptr<const policy::CallingWindowPolicy> windows_;
  const std::vector<policy::FrequencyRule> rules_;
  AttemptLedger& ledger_;
  ListStore* const lists_ = nullptr;  // nullptr: no list checks (tests of other rules only)
  AuditTrail& audit_;
  const Clock& clock_;
  const CallGateOptions options_;
};

}  // namespace callwarden::dialer
