#pragma once
// The port through which the call gate reads and writes the attempt ledger. store/ implements
// it on SQL; tests substitute fakes (for example one that fails, to prove a store outage
// denies). Declared here, in the module that uses it, so dependencies point inward.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/Clock.h"
#include "common/Status.h"
#include "dialer/ListStore.h"
#include "dialer/TelephonyRecords.h"
#include "policy/FrequencyPolicy.h"

namespace callwarden::dialer {

enum class ReservationState { kPending, kCounted, kReleased };
std::string_view reservationStateName(ReservationState s);

/// A reserved attempt. `counted_keys` hold a pending attempt each; `excluded_keys` are
/// covered by direct consent (key, consent id) and never count.
struct Reservation {
  std::string id;
  std::string subject_id;
  std::string to;
  std::string purpose;
  std::string decision_id;
  std::string api_key;
  Timestamp created_at{};
  Timestamp expires_at{};
  ReservationState state = ReservationState::kPending;
  std::string outcome;  // empty until settled
  std::string call_sid;
  bool conversation = false;
  std::optional<Timestamp> settled_at;
  std::vector<std::string> counted_keys;
  std::vector<std::pair<std::string, std::string>> excluded_keys;
  std::vector<std::string> debt_keys;  // the debts a conversation on this call would block
};

struct AttemptTimes {
  std::vector<Timestamp> counted;
  std::vector<Timestamp> consented;
};

/// A consent record, granted or revoked; history is appended, never overwritten.
struct ConsentRecord {
  std::string id;
  std::string subject_id;
  std::string phone;   // E.164 or empty
  std::string scope;   // "regf_call", "telemarketing", "robocall", "recording"
  std::string action;  // "grant" or "revoke"
  std::vector<std::string> debt_keys;
  std::string given_to;  // "collector" or "creditor" (regf_call)
  std::string channel;
  std::string words;
  Timestamp received_at{};
  std::optional<Timestamp> valid_until;
  int max_calls = 1;  // calls a regf_call grant covers (TV-13: one callback)
  std::string api_key;
};

/// One transaction's view of the ledger. Valid only inside AttemptLedger::write/read.
/// Methods throw on storage failure; AttemptLedger turns that into a Status and rolls back,
/// so callers never see a half-applied change.
class LedgerTxn {
 public:
  virtual ~LedgerTxn() = default;
  /// debt -> group for a subject (TV-12); debts without a group map to themselves.
  virtual std::map<std::string, std::string> debtGroups(const std::string& subject_id) = 0;
  virtual void setDebtGroups(const std::string& subject_id,
                             const std::map<std::string, std::string>& groups) = 0;
  /// Records every attempt and conversation of key `from` under key `to` as well, each
  /// reservation once, and adds `to` to the debt keys of the reservations that have `from` (a
  /// conversation reported on them later blocks both). An attempt that direct consent
  /// excluded under `from` counts under `to` (the consent names the old key only), and a
  /// counted one makes the reservation count under `to` even if it was excluded there.
  virtual void copyHistory(const std::string& from, const std::string& to) = 0;
  /// Pending or counted attempts at or after `since`: those that count, and those that direct
  /// consent excluded from Reg F's counts (state caps still count them).
  virtual AttemptTimes attempts(const std::string& key, Timestamp since) = 0;
  virtual std::vector<Timestamp> conversations(const std::string& key, Timestamp since) = 0;
  /// Unrevoked regf_call consents given to the collector for `key`, with calls used so far.
  virtual std::vector<policy::DirectConsent> directConsents(const std::string& key,
                                                            Timestamp since) = 0;
  virtual std::set<std::string> accountFlags(const std::string& subject_id) = 0;
  virtual void setAccountFlags(const std::string& subject_id, const std::set<std::string>& flags,
                               Timestamp at) = 0;
  virtual void insertReservation(const Reservation& r) = 0;
  virtual std::optional<Reservation> reservation(const std::string& id) = 0;
  virtual void settleReservation(const std::string& id, ReservationState state,
                                 const std::string& outcome, const std::string& call_sid,
                                 bool conversation, Timestamp at) = 0;
  virtual void insertConversation(const std::string& key, Timestamp at, const std::string& source,
                                  const std::string& reservation_id) = 0;
  virtual void insertConsent(const ConsentRecord& c) = 0;
  /// Reservations touching `key` created at or after `since`, newest first.
  virtual std::vector<Reservation> reservationsForKey(const std::string& key, Timestamp since) = 0;
  /// Times the consumer designated inconvenient (Reg F 1006.6(b)(1)(i)), intersected into
  /// every window; replaced as a whole.
  virtual std::vector<policy::LocalInterval> inconvenientTimes(const std::string& subject_id) = 0;
  /// The do-not-call, consent and RND facts of a call read in this same transaction, when the
  /// ledger shares its database with the ListStore (one read transaction per check instead of
  /// two); nullopt means the gate asks the ListStore itself.
  virtual std::optional<GateFacts> gateFacts(const std::string& /*to_e164*/,
                                             const std::string& /*subject_id*/) {
    return std::nullopt;
  }
  virtual void setInconvenientTimes(const std::string& subject_id,
                                    const std::vector<policy::LocalInterval>& intervals) = 0;

  // --- The call gateway (CallPlacer): placed calls and provider callbacks. Not pure, so
  // ledgers that do not serve the gateway (test fakes) need not implement them; the defaults
  // throw, which AttemptLedger reports as a failed job.
  virtual void insertPlacedCall(const PlacedCall& call);
  /// Overwrites every field of the row with this reservation id.
  virtual void updatePlacedCall(const PlacedCall& call);
  virtual std::optional<PlacedCall> placedCall(const std::string& reservation_id);
  virtual std::optional<PlacedCall> placedCallBySid(const std::string& call_sid);
  /// kUnknown calls (no SID yet) to `to` from `from` sent at or after `since`.
  virtual std::vector<PlacedCall> unknownPlacedCalls(const std::string& to, const std::string& from,
                                                     Timestamp since);
  /// kUnknown or kPlaced calls whose next_reconcile_at is at or before `now`, oldest first.
  virtual std::vector<PlacedCall> placedCallsDue(Timestamp now, int limit);
  /// Stores the event unless its unique key is already there. True iff it was inserted; the
  /// new row's id is written to `*id` when inserted.
  virtual bool insertTelephonyEvent(const TelephonyEvent& event, int64_t* id);
  /// Events not yet processed, in arrival order.
  virtual std::vector<TelephonyEvent> unprocessedTelephonyEvents(int limit);
  /// Every stored event of a call, by sequence number then arrival.
  virtual std::vector<TelephonyEvent> telephonyEventsForCall(const std::string& call_sid);
  virtual void markTelephonyEventProcessed(int64_t id, const std::string& result, Timestamp at);
};

/// Thread-safe. write() jobs run one at a time, in arrival order, each atomically: either all
/// of a job's changes commit or none. A job that returns a non-OK Status is rolled back.
class AttemptLedger {
 public:
  virtual ~AttemptLedger() = default;
  /// Returns when the job's changes are durable (or rolled back). kUnavailable when the store
  /// cannot be reached or committed; the job's own Status otherwise.
  virtual Status write(const std::function<Status(LedgerTxn&)>& job) = 0;
  /// A consistent read-only snapshot; nothing the job does is kept.
  virtual Status read(const std::function<Status(LedgerTxn&)>& job) = 0;
};

}  // namespace callwarden::dialer
