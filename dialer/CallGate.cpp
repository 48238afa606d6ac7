#include "dialer/CallGate.h"

#include <date/tz.h>

#include <algorithm>
#include <future>
#include <stdexcept>
#include <utility>

#include "common/Log.h"
#include "common/Random.h"
#include "common/Rfc3339.h"

namespace callwarden::dialer {
namespace {

using std::chrono::hours;

// How far back the ledger is read. The longest rule window is 7 calendar days; 15 days covers
// it in any zone with room to spare.
constexpr auto kLookback = hours(24 * 15);
constexpr auto kHorizon = hours(24 * 14);

std::string joinCodes(const std::vector<policy::Reason>& reasons) {
  std::string s;
  for (const auto& r : reasons)
    s += (s.empty() ? "" : ",") + std::string(policy::reasonCodeName(r.code));
  return s;
}

std::string joinList(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ",") + i;
  return s;
}

std::string subjectKeyFor(const std::string& subject_id, const std::string& phone) {
  return subject_id.empty() ? "phone:" + phone : "subject:" + subject_id;
}

// A debt counts under its group's key (TV-12); a debt in no group is its own group.
std::string keyOfDebt(const std::map<std::string, std::string>& groups,
                      const std::string& subject_id, const std::string& debt) {
  auto g = groups.find(debt);
  return CallGate::debtKey(subject_id, g == groups.end() ? debt : g->second);
}

}  // namespace

std::optional<Outcome> parseOutcome(std::string_view t) {
  if (t == "completed") return Outcome::kCompleted;
  if (t == "no-answer") return Outcome::kNoAnswer;
  if (t == "voicemail") return Outcome::kVoicemail;
  if (t == "busy") return Outcome::kBusy;
  if (t == "not-in-service") return Outcome::kNotInService;
  if (t == "failed") return Outcome::kFailed;
  if (t == "canceled") return Outcome::kCanceled;
  return std::nullopt;
}

std::string_view outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kCompleted:
      return "completed";
    case Outcome::kNoAnswer:
      return "no-answer";
    case Outcome::kVoicemail:
      return "voicemail";
    case Outcome::kBusy:
      return "busy";
    case Outcome::kNotInService:
      return "not-in-service";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kCanceled:
      return "canceled";
  }
  return "failed";
}

bool outcomeReleasesSlot(Outcome o) {
  return o == Outcome::kBusy || o == Outcome::kNotInService || o == Outcome::kCanceled;
}

std::string_view reservationStateName(ReservationState s) {
  switch (s) {
    case ReservationState::kPending:
      return "pending";
    case ReservationState::kCounted:
      return "counted";
    case ReservationState::kReleased:
      return "released";
  }
  return "pending";
}

std::string CallGate::debtKey(const std::string& subject_id, const std::string& group) {
  return "debt|" + subject_id + "|" + group;
}

std::string CallGate::topicKey(const std::string& subject, const std::string& subject_matter) {
  return "topic|" + subject + "|" + subject_matter;
}

// What the list store said about this call; `wired` is false for a gate built without one.
struct CallGate::ListView {
  bool wired = false;
  bool failed = false;
  std::string error;
  GateFacts facts;
};

struct CallGate::Evaluation {
  policy::CallContext call;  // the request's call plus what the ledger added (inconvenient times)
  Result<policy::WindowDecision> window = Status::internal("not evaluated");
  policy::FrequencyDecision frequency;
  bool store_failed = false;
  std::string store_error;
  // Do-not-call, consent and reassigned-number reasons; none of them clears with time.
  std::vector<policy::Reason> list_reasons;
  bool lists_failed = false;
  std::string lists_error;
  // Set only by internalFailure(): the service itself failed (INTERNAL_ERROR).
  std::optional<policy::Reason> internal_error;
  std::string national_obtained;  // the registry copy relied on, for the audit record
  std::string consent_id;
  bool prior_express_consent = false;  // what the windows were evaluated with
  std::vector<std::string> debt_keys;
  std::string decision_id = randomId("dec");
  std::optional<std::string> reservation_id;
  std::optional<Timestamp> expires_at;

  bool allowed() const {
    return window.isOk() && window->allowed && frequency.allowed && !store_failed &&
           list_reasons.empty() && !lists_failed && !internal_error;
  }
};

CallGate::CallGate(std::shared_ptr<const policy::CallingWindowPolicy> windows,
                   std::vector<policy::FrequencyRule> rules, AttemptLedger& ledger,
                   AuditTrail& audit, const Clock& clock, CallGateOptions options)
    : windows_(std::move(windows)),
      rules_(std::move(rules)),
      ledger_(ledger),
      audit_(audit),
      clock_(clock),
      options_(options) {}

CallGate::CallGate(std::shared_ptr<const policy::CallingWindowPolicy> windows,
                   std::vector<policy::FrequencyRule> rules, AttemptLedger& ledger,
                   ListStore& lists, AuditTrail& audit, const Clock& clock, CallGateOptions options)
    : windows_(std::move(windows)),
      rules_(std::move(rules)),
      ledger_(ledger),
      lists_(&lists),
      audit_(audit),
      clock_(clock),
      options_(options) {}

CallGate::ListView CallGate::readLists(const CallRequest& request, LedgerTxn* txn) const {
  ListView v;
  if (lists_ == nullptr) return v;
  v.wired = true;
  if (txn != nullptr) {
    if (auto facts = txn->gateFacts(request.call.to, request.subject_id)) {
      v.facts = std::move(*facts);
      return v;
    }
  }
  auto facts = lists_->gateFacts(request.call.to, request.subject_id);
  if (!facts.isOk()) {
    v.failed = true;
    v.error = facts.status().message();
  } else {
    v.facts = std::move(facts).value();
  }
  return v;
}

// Reads what the ledger knows and runs both policies. Ledger errors propagate as exceptions
// to the AttemptLedger, which rolls back and reports them.
CallGate::Evaluation CallGate::evaluate(const CallRequest& request, LedgerTxn* txn,
                                        const ListView& lists) const {
  Evaluation e;
  policy::CallContext call = request.call;
  const auto candidates = windows_->resolveCandidates(call.to, call.locations);
  if (lists.failed) {
    e.lists_failed = true;
    e.lists_error = lists.error;
  } else if (lists.wired) {
    // Lists and consent (regulations.md 4; docs/lists-and-consent.md).
    policy::DncInput dnc;
    dnc.purpose = call.purpose;
    dnc.at = call.at;
    if (candidates.isOk()) dnc.zones = candidates->zones();
    dnc.national_obtained = lists.facts.national_obtained;
    for (const auto& m : lists.facts.memberships) dnc.hits.push_back({m.list, m.kind});
    e.list_reasons = policy::evaluateDnc(dnc, options_.lists);
    if (dnc.national_obtained) e.national_obtained = policy::formatDate(*dnc.national_obtained);
    policy::ConsentInput ci;
    ci.purpose = call.purpose;
    ci.call_type = call.call_type;
    ci.to = call.to;
    ci.subject_id = request.subject_id;
    ci.at = call.at;
    ci.history = lists.facts.consents;
    ci.rnd = lists.facts.rnd;
    auto consent = policy::evaluateConsent(ci, options_.consent);
    e.list_reasons.insert(e.list_reasons.end(), consent.reasons.begin(), consent.reasons.end());
    e.consent_id = consent.consent_id;
    // A recorded grant lifts the window rules that yield to prior express consent (Utah).
    call.prior_express_consent = consent.prior_express_consent;
    e.prior_express_consent = consent.prior_express_consent;
  }
  // The consumer's own inconvenient times narrow every window (12 CFR 1006.6(b)(1)(i)).
  if (txn != nullptr && !request.subject_id.empty())
    call.inconvenient = txn->inconvenientTimes(request.subject_id);
  e.window = windows_->evaluate(call);
  if (!e.window.isOk() && e.window.status().field().rfind("inconvenient", 0) == 0) {
    // A request carries no intervals: these came from the ledger (stored before a limit was
    // lowered, or by a newer version). That is the service's failure, not a 422 the caller
    // cannot fix, and never an allow: failClosed() answers INTERNAL_ERROR.
    throw std::runtime_error("the subject's stored inconvenient times cannot be evaluated: " +
                             e.window.status().message());
  }
  e.call = call;
  if (lists.wired && !lists.failed && e.window.isOk() && !e.window->allowed &&
      !call.prior_express_consent) {
    // Name the window rules that consent would lift as CONSENT_MISSING too, so the dialer
    // learns that a recorded consent, not waiting, is what would allow the call.
    policy::CallContext consented = call;
    consented.prior_express_consent = true;
    auto w = windows_->evaluate(consented);
    if (w.isOk()) {
      for (const auto& r : e.window->reasons) {
        bool lifted = std::none_of(w->reasons.begin(), w->reasons.end(), [&](const auto& x) {
          return x.rule == r.rule && x.code == r.code;
        });
        if (lifted) {
          e.list_reasons.push_back({policy::ReasonCode::kConsentMissing, r.rule,
                                    "prior express consent on record would lift " + r.rule});
        }
      }
    }
  }
  if (!e.window.isOk() || !candidates.isOk() || txn == nullptr) return e;

  std::vector<policy::KeyHistory> keys;
  const Timestamp since = call.at - kLookback;
  std::vector<policy::DirectConsent> consents;
  std::set<std::string> flags;
  if (call.purpose == policy::Purpose::kDebtCollection) {
    const auto groups = txn->debtGroups(request.subject_id);
    for (const auto& debt : request.debts) {
      std::string key = keyOfDebt(groups, request.subject_id, debt);
      if (std::find(e.debt_keys.begin(), e.debt_keys.end(), key) != e.debt_keys.end()) continue;
      e.debt_keys.push_back(key);
      auto attempts = txn->attempts(key, since);
      keys.push_back({key, policy::FrequencyRule::Scope::kDebt, std::move(attempts.counted),
                      txn->conversations(key, since), std::move(attempts.consented)});
      auto c = txn->directConsents(key, since);
      consents.insert(consents.end(), c.begin(), c.end());
    }
    flags = txn->accountFlags(request.subject_id);
  } else if (call.purpose == policy::Purpose::kTelemarketing) {
    // The caps count calls to a person on one subject matter (Fla. Stat. 501.616(6)(b)).
    // The person is the number called and, when the request names one, the subject: a call
    // counts against both and is checked against both, so calls made with a subject id are
    // found by one made without it. Without a subject matter, the campaign is the matter.
    const std::string matter = !request.subject_matter.empty() ? request.subject_matter
                               : !request.campaign_id.empty()  ? "campaign:" + request.campaign_id
                                                               : "unspecified";
    for (const std::string* person : {&std::as_const(call.to), &request.subject_id}) {
      if (person->empty()) continue;
      std::string key = topicKey(*person, matter);
      if (!keys.empty() && keys.front().key == key) continue;
      keys.push_back({key,
                      policy::FrequencyRule::Scope::kSubjectMatter,
                      txn->attempts(key, since).counted,
                      {},
                      {}});
    }
  }
  policy::FrequencyInput in;
  in.purpose = call.purpose;
  in.zones = candidates->zones();
  in.jurisdictions = candidates->jurisdictions();
  in.keys = keys;
  in.consents = consents;
  in.account_flags = flags;
  in.at = call.at;
  e.frequency = policy::evaluateFrequency(in, rules_, options_.frequency);
  return e;
}

GateDecision CallGate::finish(Evaluation& e, const CallRequest& request, const Caller& caller,
                              const char* action) const {
  const auto& call = request.call;
  GateDecision d;
  d.decision_id = e.decision_id;
  d.policy_version = windows_->version();
  d.zones = e.window->zones;
  d.jurisdictions = e.window->jurisdictions;
  d.reasons = e.window->reasons;
  d.reasons.insert(d.reasons.end(), e.frequency.reasons.begin(), e.frequency.reasons.end());
  d.reasons.insert(d.reasons.end(), e.list_reasons.begin(), e.list_reasons.end());
  if (e.store_failed) {
    d.reasons.push_back({policy::ReasonCode::kStoreUnavailable, "callwarden/store",
                         "the attempt ledger cannot be read or written: " + e.store_error});
  }
  if (e.lists_failed) {
    d.reasons.push_back({policy::ReasonCode::kStoreUnavailable, "callwarden/lists",
                         "the do-not-call lists cannot be read: " + e.lists_error});
  }
  if (e.internal_error) d.reasons.push_back(*e.internal_error);
  d.allowed = e.allowed();
  if (d.allowed) {
    d.next_allowed_at = call.at;
  } else if (!e.store_failed && !e.lists_failed && e.list_reasons.empty() && !e.internal_error &&
             e.frequency.free_at) {
    // Frequency rules only ever free up with time, so the answer is the first instant the
    // calling windows allow at or after the frequency rules do.
    const Timestamp t0 = std::max(call.at, *e.frequency.free_at);
    if (t0 == call.at) {
      d.next_allowed_at = e.window->next_allowed_at;
    } else {
      policy::CallContext later = e.call;
      later.at = t0;
      later.prior_express_consent = e.prior_express_consent;
      auto w = windows_->evaluate(later);
      if (w.isOk()) d.next_allowed_at = w->next_allowed_at;
    }
    if (d.next_allowed_at && *d.next_allowed_at > call.at + kHorizon) d.next_allowed_at.reset();
  }
  d.reservation_id = e.reservation_id;
  d.expires_at = e.expires_at;

  audit::AuditEvent ev;
  ev.type = std::string_view(action) == "reserve" ? audit::EventType::kReservation
                                                  : audit::EventType::kDecision;
  ev.clear = {{"action", action},
              {"decision", d.allowed ? "allow" : "deny"},
              {"reasons", joinCodes(d.reasons)},
              {"policy_version", d.policy_version},
              {"decision_id", d.decision_id},
              {"key", caller.key_name},
              {"request_id", caller.request_id},
              {"purpose", std::string(policy::purposeName(call.purpose))},
              {"call_type", std::string(policy::callTypeName(call.call_type))},
              {"at", formatRfc3339(call.at)},
              {"client_time", request.client_time ? "true" : "false"}};
  if (d.next_allowed_at)
    ev.clear.emplace_back("next_allowed_at", formatRfc3339(*d.next_allowed_at));
  if (d.reservation_id) ev.clear.emplace_back("reservation_id", *d.reservation_id);
  if (!e.national_obtained.empty())
    ev.clear.emplace_back("dnc_national_obtained", e.national_obtained);
  if (!e.consent_id.empty()) ev.clear.emplace_back("consent_id", e.consent_id);
  ev.subject_key = subjectKeyFor(request.subject_id, call.to);
  ev.personal = {{"to", call.to},
                 {"subject_id", request.subject_id},
                 {"debts", joinList(request.debts)},
                 {"campaign_id", request.campaign_id},
                 {"subject_matter", request.subject_matter},
                 {"zones", joinList(d.zones)},
                 {"jurisdictions", joinList(d.jurisdictions)}};
  // A check changes nothing, so it may be configured to answer before its record is flushed
  // (docs/adr/0002); a reservation always waits for the disk. A check whose record must be
  // flushed need not wait here if the caller holds the answer until it is.
  const bool check = std::string_view(action) == "check";
  const bool caller_waits =
      check && options_.flush_check_records && caller.holds_answer_until_flushed;
  const bool unflushed = check && (!options_.flush_check_records || caller_waits);
  auto logged = unflushed ? audit_.appendUnflushed(ev) : audit_.append(ev);
  if (!logged.isOk()) {
    Log::error("audit append failed; decision denied",
               {{"decision_id", d.decision_id}, {"error", logged.status().message()}});
    denyForAuditFailure(d);
  } else if (caller_waits) {
    d.flush_pending = *logged;
  }
  return d;
}

void denyForAuditFailure(GateDecision& d) {
  d.allowed = false;
  d.next_allowed_at.reset();
  d.flush_pending.reset();
  d.reasons.push_back({policy::ReasonCode::kAuditUnavailable, "callwarden/audit",
                       "the decision could not be written to the audit log"});
}

Result<GateDecision> CallGate::failClosed(
    const CallRequest& request, const Caller& caller, const char* action,
    const std::function<Result<GateDecision>()>& decide) const {
  try {
    return decide();
  } catch (const std::exception& ex) {
    return internalFailure(request, caller, action, ex.what());
  }
}

GateDecision CallGate::internalFailure(const CallRequest& request, const Caller& caller,
                                       const char* action, const std::string& cause) const {
  Log::error("the decision failed; denied",
             {{"action", action}, {"request_id", caller.request_id}, {"error", cause}});
  // Nothing of the evaluation is trusted: no zones, no next instant, only the reason. The
  // message stays generic; what failed is in the service log under the request id.
  Evaluation e;
  e.call = request.call;
  e.window = policy::WindowDecision{};
  e.internal_error = policy::Reason{
      policy::ReasonCode::kInternalError, "callwarden/gate",
      "the decision could not be made; the service log has the cause under request id " +
          caller.request_id};
  GateDecision d = finish(e, request, caller, action);
  d.failed = true;
  return d;
}

Result<GateDecision> CallGate::check(const CallRequest& request, const Caller& caller) const {
  return failClosed(request, caller, "check", [&] { return checkOnce(request, caller); });
}

Result<GateDecision> CallGate::reserve(const CallRequest& request, const Caller& caller) const {
  return failClosed(request, caller, "reserve", [&] { return reserveOnce(request, caller); });
}

Result<GateDecision> CallGate::checkOnce(const CallRequest& request, const Caller& caller) const {
  Evaluation e;
  ListView lists;
  Status s = ledger_.read([&](LedgerTxn& txn) {
    lists = readLists(request, &txn);
    e = evaluate(request, &txn, lists);
    return Status::ok();
  });
  // kInternal: the job itself failed (the ledger turned its exception into a status), not the
  // store; the store's own failures are kUnavailable.
  if (s.code() == ErrorCode::kInternal)
    return internalFailure(request, caller, "check", s.message());
  if (!s.isOk()) {
    lists = readLists(request, nullptr);
    e = evaluate(request, nullptr, lists);
    e.store_failed = true;
    e.store_error = s.message();
  }
  if (!e.window.isOk()) return e.window.status();
  return finish(e, request, caller, "check");
}

Result<GateDecision> CallGate::reserveOnce(const CallRequest& request, const Caller& caller) const {
  Evaluation e;
  Reservation r;
  const ListView lists = readLists(request, nullptr);
  Status s = ledger_.write([&](LedgerTxn& txn) {
    e = evaluate(request, &txn, lists);
    if (!e.allowed()) return Status::ok();  // nothing to record
    r.id = randomId("res");
    r.subject_id = request.subject_id;
    r.to = request.call.to;
    r.purpose = std::string(policy::purposeName(request.call.purpose));
    r.decision_id = e.decision_id;
    r.api_key = caller.key_name;
    r.created_at = request.call.at;
    r.expires_at = request.call.at + options_.reservation_ttl;
    r.counted_keys = e.frequency.counted_keys;
    r.excluded_keys = e.frequency.excluded_keys;
    r.debt_keys = e.debt_keys;
    txn.insertReservation(r);
    e.reservation_id = r.id;
    e.expires_at = r.expires_at;
    return Status::ok();
  });
  if (s.code() == ErrorCode::kInternal) {
    return internalFailure(request, caller, "reserve", s.message());  // the job was rolled back
  }
  if (!s.isOk()) {
    e = evaluate(request, nullptr, lists);
    e.store_failed = true;
    e.store_error = s.message();
  }
  if (!e.window.isOk()) return e.window.status();
  GateDecision d;
  try {
    d = finish(e, request, caller, "reserve");
  } catch (...) {
    // The reservation is committed but its decision was never recorded, and failClosed()
    // answers a deny: it must not stand and count against the caps.
    if (e.reservation_id) releaseUnaudited(*e.reservation_id);
    throw;
  }
  if (!d.allowed && d.reservation_id) {
    // The audit log refused the decision: the reservation must not stand unrecorded.
    releaseUnaudited(*d.reservation_id);
    d.reservation_id.reset();
    d.expires_at.reset();
  }
  return d;
}

Status CallGate::writeAudited(const std::function<Status(LedgerTxn&)>& job,
                              const std::function<audit::AuditEvent()>& record) const {
  // Written, not flushed, inside the transaction: the ledger has one writer, and an fsync
  // there would hold every reservation and outcome behind it. The answer waits for the flush.
  std::optional<uint64_t> written;
  Status s = ledger_.write([&](LedgerTxn& txn) {
    Status st = job(txn);
    if (!st.isOk()) return st;
    auto logged = audit_.appendUnflushed(record());
    if (!logged.isOk())
      return Status::unavailable("the audit log refused the record, so nothing was changed; retry");
    written = *logged;
    return Status::ok();
  });
  if (!s.isOk() || !written) return s;
  std::promise<Status> flushed;
  auto done = flushed.get_future();
  audit_.whenDurable(*written, [&flushed](const Status& st) { flushed.set_value(st); });
  Status durable = done.get();
  if (!durable.isOk()) {
    return Status::unavailable("the change is stored but its audit record could not be flushed: " +
                               durable.message());
  }
  return Status::ok();
}

void CallGate::releaseUnaudited(const std::string& reservation_id) const {
  Status undo = ledger_.write([&](LedgerTxn& txn) {
    txn.settleReservation(reservation_id, ReservationState::kReleased, "audit_failed", "", false,
                          clock_.now());
    return Status::ok();
  });
  if (!undo.isOk())
    Log::error("could not release an unaudited reservation", {{"reservation_id", reservation_id}});
}

Result<OutcomeResult> CallGate::recordOutcome(const std::string& reservation_id, Outcome outcome,
                                              const std::string& call_sid, bool conversation,
                                              const Caller& caller) const {
  if (conversation && outcomeReleasesSlot(outcome)) {
    return Status::invalidArgument("a conversation needs a connected call", "conversation");
  }
  OutcomeResult result;
  auto job = [&](LedgerTxn& txn) -> Status {
    auto r = txn.reservation(reservation_id);
    if (!r) return Status::notFound("no reservation " + reservation_id);
    if (r->state != ReservationState::kPending) {
      const bool same_call =
          r->outcome == outcomeName(outcome) && (call_sid.empty() || r->call_sid == call_sid);
      if (same_call && r->conversation == conversation) {
        result.reservation = *r;
        return Status::ok();
      }
      // Twilio's final callback often settles a call before the agent reports that a
      // conversation took place on it: the same outcome plus a conversation adds the block.
      if (same_call && conversation && !r->conversation && r->state == ReservationState::kCounted) {
        txn.settleReservation(reservation_id, r->state, r->outcome, r->call_sid, true,
                              clock_.now());
        for (const auto& key : r->debt_keys)
          txn.insertConversation(key, r->created_at, "outcome", reservation_id);
        result.reservation = *txn.reservation(reservation_id);
        result.changed = true;
        return Status::ok();
      }
      return Status::conflict("reservation " + reservation_id + " already has outcome " +
                              r->outcome);
    }
    const auto state =
        outcomeReleasesSlot(outcome) ? ReservationState::kReleased : ReservationState::kCounted;
    const Timestamp now = clock_.now();
    txn.settleReservation(reservation_id, state, std::string(outcomeName(outcome)), call_sid,
                          conversation, now);
    if (conversation) {
      // The conversation happened on this call, so its date is the call's date.
      for (const auto& key : r->debt_keys)
        txn.insertConversation(key, r->created_at, "outcome", reservation_id);
    }
    result.reservation = *txn.reservation(reservation_id);
    result.changed = true;
    return Status::ok();
  };
  auto record = [&] {
    const auto& r = result.reservation;
    audit::AuditEvent ev;
    ev.type = audit::EventType::kReservationOutcome;
    ev.clear = {{"reservation_id", r.id},
                {"outcome", r.outcome},
                {"state", std::string(reservationStateName(r.state))},
                {"conversation", r.conversation ? "true" : "false"},
                {"changed", result.changed ? "true" : "false"},
                {"late", clock_.now() > r.expires_at ? "true" : "false"},
                {"call_sid", r.call_sid},
                {"key", caller.key_name},
                {"request_id", caller.request_id}};
    ev.subject_key = subjectKeyFor(r.subject_id, r.to);
    ev.personal = {{"subject_id", r.subject_id}, {"to", r.to}};
    return ev;
  };
  Status s = writeAudited(job, record);
  if (!s.isOk()) return s;
  return result;
}

Status CallGate::recordConversation(const std::string& subject_id,
                                    const std::vector<std::string>& debts, Timestamp at,
                                    const Caller& caller) const {
  audit::AuditEvent ev;
  ev.type = audit::EventType::kConversation;
  ev.clear = {
      {"at", formatRfc3339(at)}, {"key", caller.key_name}, {"request_id", caller.request_id}};
  ev.subject_key = subjectKeyFor(subject_id, "");
  ev.personal = {{"subject_id", subject_id}, {"debts", joinList(debts)}};
  return writeAudited(
      [&](LedgerTxn& txn) {
        const auto groups = txn.debtGroups(subject_id);
        for (const auto& debt : debts) {
          txn.insertConversation(keyOfDebt(groups, subject_id, debt), at, "reported", "");
        }
        return Status::ok();
      },
      [&] { return ev; });
}

Result<std::string> CallGate::recordConsent(ConsentInput input, const Caller& caller) const {
  auto& c = input.record;
  // Consents are looked up by the call's `to`, textually: a phone in any other spelling
  // ("3055551234") would never match, and a revocation stored that way would never deny.
  if (!c.phone.empty()) {
    Status valid = windows_->validateNumber(c.phone, "phone");
    if (!valid.isOk()) return valid;
  }
  c.id = randomId("con");
  c.api_key = caller.key_name;
  audit::AuditEvent ev;
  ev.type = audit::EventType::kConsentChange;
  ev.clear = {{"consent_id", c.id},     {"scope", c.scope},
              {"action", c.action},     {"given_to", c.given_to},
              {"channel", c.channel},   {"received_at", formatRfc3339(c.received_at)},
              {"key", caller.key_name}, {"request_id", caller.request_id}};
  ev.subject_key = subjectKeyFor(c.subject_id, c.phone);
  ev.personal = {{"subject_id", c.subject_id},
                 {"phone", c.phone},
                 {"debts", joinList(input.debts)},
                 {"words", c.words}};
  Status s = writeAudited(
      [&](LedgerTxn& txn) {
        const auto groups = txn.debtGroups(c.subject_id);
        for (const auto& debt : input.debts) {
          c.debt_keys.push_back(keyOfDebt(groups, c.subject_id, debt));
        }
        txn.insertConsent(c);
        return Status::ok();
      },
      [&] { return ev; });
  if (!s.isOk()) return s;
  return c.id;
}

Status CallGate::setAccountFlags(const std::string& subject_id, const std::set<std::string>& flags,
                                 const Caller& caller) const {
  audit::AuditEvent ev;
  ev.type = audit::EventType::kFlagChange;
  ev.clear = {{"flags", joinList({flags.begin(), flags.end()})},
              {"key", caller.key_name},
              {"request_id", caller.request_id}};
  ev.subject_key = subjectKeyFor(subject_id, "");
  ev.personal = {{"subject_id", subject_id}};
  return writeAudited(
      [&](LedgerTxn& txn) {
        txn.setAccountFlags(subject_id, flags, clock_.now());
        return Status::ok();
      },
      [&] { return ev; });
}

Status CallGate::setDebtGroups(const std::string& subject_id,
                               const std::map<std::string, std::vector<std::string>>& groups,
                               const Caller& caller) const {
  std::map<std::string, std::string> by_debt;
  for (const auto& [group, debts] : groups) {
    for (const auto& debt : debts) {
      if (!by_debt.emplace(debt, group).second) {
        return Status::invalidArgument("debt " + debt + " is in more than one group", "groups");
      }
    }
  }
  audit::AuditEvent ev;
  ev.type = audit::EventType::kFlagChange;
  ev.clear = {
      {"change", "debt_groups"}, {"key", caller.key_name}, {"request_id", caller.request_id}};
  ev.subject_key = subjectKeyFor(subject_id, "");
  std::string desc;
  for (const auto& [debt, group] : by_debt) desc += (desc.empty() ? "" : ",") + debt + "=" + group;
  ev.personal = {{"subject_id", subject_id}, {"groups", desc}};

  return writeAudited(
      [&](LedgerTxn& txn) {
        // Calls and conversations are stored under the key their debt had then. A debt whose key
        // changes takes that history along: grouping SL-A (4 calls) with SL-B (3 calls) must find
        // 7 calls on SL, and a debt leaving a group keeps the group's calls (TV-12).
        const auto before = txn.debtGroups(subject_id);
        std::set<std::string> debts;
        for (const auto& m : {before, by_debt})
          for (const auto& entry : m) debts.insert(entry.first);
        for (const auto& debt : debts) {
          const std::string from = keyOfDebt(before, subject_id, debt);
          const std::string to = keyOfDebt(by_debt, subject_id, debt);
          if (from != to) txn.copyHistory(from, to);
        }
        txn.setDebtGroups(subject_id, by_debt);
        return Status::ok();
      },
      [&] { return ev; });
}

Status CallGate::setInconvenientTimes(const std::string& subject_id,
                                      const std::vector<policy::LocalInterval>& intervals,
                                      const Caller& caller) const {
  if (intervals.size() > policy::LocalInterval::kMaxPerSubject) {
    return Status::invalidArgument(
        "at most " + std::to_string(policy::LocalInterval::kMaxPerSubject) + " intervals",
        "intervals");
  }
  for (size_t i = 0; i < intervals.size(); ++i) {
    const auto& v = intervals[i];
    const std::string at = "intervals[" + std::to_string(i) + "]";
    if (v.start < std::chrono::seconds(0) || v.start > std::chrono::hours(24) ||
        v.end < std::chrono::seconds(0) || v.end > std::chrono::hours(24) || v.start == v.end ||
        v.weekdays == 0 || v.weekdays > 0x7f) {
      return Status::invalidArgument(
          "an interval needs a start and an end between 00:00 and 24:00 that differ", at);
    }
    if (!v.tz.empty()) {
      try {
        (void)date::locate_zone(v.tz);
      } catch (const std::exception&) {
        return Status::invalidArgument("unknown IANA time zone " + v.tz, at + ".tz");
      }
    }
  }
  audit::AuditEvent ev;
  ev.type = audit::EventType::kFlagChange;
  ev.clear = {{"change", "inconvenient_times"},
              {"intervals", std::to_string(intervals.size())},
              {"key", caller.key_name},
              {"request_id", caller.request_id}};
  ev.subject_key = subjectKeyFor(subject_id, "");
  ev.personal = {{"subject_id", subject_id}};
  return writeAudited(
      [&](LedgerTxn& txn) {
        txn.setInconvenientTimes(subject_id, intervals);
        return Status::ok();
      },
      [&] { return ev; });
}

Result<std::vector<policy::LocalInterval>> CallGate::inconvenientTimes(
    const std::string& subject_id) const {
  std::vector<policy::LocalInterval> out;
  Status s = ledger_.read([&](LedgerTxn& txn) {
    out = txn.inconvenientTimes(subject_id);
    return Status::ok();
  });
  if (!s.isOk()) return s;
  return out;
}

Result<AttemptsView> CallGate::attempts(const std::string& subject_id,
                                        const std::string& debt) const {
  AttemptsView view;
  view.subject_id = subject_id;
  view.debt = debt;
  const Timestamp now = clock_.now();
  Status s = ledger_.read([&](LedgerTxn& txn) {
    const auto groups = txn.debtGroups(subject_id);
    view.key = keyOfDebt(groups, subject_id, debt);
    view.reservations = txn.reservationsForKey(view.key, now - kLookback);
    view.conversations = txn.conversations(view.key, now - kLookback);
    auto attempts = txn.attempts(view.key, now - kLookback);
    std::vector<policy::KeyHistory> keys = {{view.key, policy::FrequencyRule::Scope::kDebt,
                                             std::move(attempts.counted), view.conversations,
                                             std::move(attempts.consented)}};
    auto consents = txn.directConsents(view.key, now - kLookback);
    // Days are counted in the zones of the most recent number called for this debt.
    policy::CandidateSet candidates;
    if (!view.reservations.empty()) {
      auto c = windows_->resolveCandidates(view.reservations.front().to, {});
      if (c.isOk()) candidates = *c;
    }
    policy::FrequencyInput in;
    in.purpose = policy::Purpose::kDebtCollection;
    in.zones = candidates.zones();
    in.jurisdictions = candidates.jurisdictions();
    in.jurisdictions.set(policy::kJurisdictionUs);
    in.keys = keys;
    in.consents = consents;
    in.account_flags = txn.accountFlags(subject_id);
    in.at = now;
    auto f = policy::evaluateFrequency(in, rules_, options_.frequency);
    view.frees_at = f.free_at;
    view.blocking = f.reasons;
    return Status::ok();
  });
  if (!s.isOk()) return s;
  return view;
}

}  // namespace callwarden::dialer
