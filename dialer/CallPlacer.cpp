#include "dialer/CallPlacer.h"

#include "common/PercentEncode.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/Log.h"

namespace callwarden::dialer {
namespace {

constexpr int kBatch = 100;
// How far back an unmatched callback may look for an unknown create with its To and From.
constexpr auto kAdoptWindow = std::chrono::hours(24);

// Callback fields kept with a stored event. Everything else Twilio sends (caller names, geo
// fields of both parties) is personal and not needed; To and From have their own columns.
constexpr std::string_view kKeptParams[] = {
    "CallSid",         "CallStatus",         "SequenceNumber",
    "Timestamp",       "CallDuration",       "Duration",
    "SipResponseCode", "AnsweredBy",         "Direction",
    "ParentCallSid",   "CallbackSource",     "RecordingSid",
    "RecordingStatus", "RecordingDuration",  "RecordingChannels",
    "RecordingSource", "RecordingStartTime", "RecordingTrack",
    "RecordingUrl",    "ErrorCode"};

std::string keptParams(const WebhookParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (std::find(std::begin(kKeptParams), std::end(kKeptParams), name) == std::end(kKeptParams))
      continue;
    out += (out.empty() ? "" : "&") + percentEncode(name) + "=" + percentEncode(value);
  }
  return out;
}

std::string param(const WebhookParams& params, std::string_view name) {
  for (const auto& [n, v] : params) {
    if (n == name) return v;
  }
  return {};
}

// Provider ids end up in SQL parameters and the audit log's clear part: letters and digits only.
bool plainSid(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
  });
}

bool plainStatus(const std::string& s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  });
}

bool showsRinging(std::string_view status) {
  return status == "ringing" || status == "in-progress";
}

std::string subjectKeyFor(const std::string& subject_id, const std::string& phone) {
  return subject_id.empty() ? "phone:" + phone : "subject:" + subject_id;
}

// Settles `reservation_id` from a provider status, only ever towards "counted": a pending
// reservation takes the settlement, a released one is re-counted when the provider shows the
// call rang or connected, a counted one stays as it is. Returns whether anything changed.
bool settleTowardsCounted(LedgerTxn& txn, const std::string& reservation_id, const Settlement& s,
                          const std::string& call_sid, Timestamp now) {
  auto r = txn.reservation(reservation_id);
  if (!r) return false;
  if (r->state == ReservationState::kPending) {
    txn.settleReservation(reservation_id, s.state, s.outcome, call_sid, false, now);
    return true;
  }
  if (r->state == ReservationState::kReleased && s.state == ReservationState::kCounted) {
    txn.settleReservation(reservation_id, ReservationState::kCounted, s.outcome, call_sid,
                          r->conversation, now);
    return true;
  }
  return false;
}

}  // namespace

bool isFinalCallStatus(std::string_view s) {
  return s == "completed" || s == "busy" || s == "failed" || s == "no-answer" || s == "canceled";
}

std::optional<Settlement> settlementForFinalStatus(std::string_view status, bool rang) {
  if (status == "completed" || status == "no-answer")
    return Settlement{ReservationState::kCounted, std::string(status)};
  if (status == "busy" || status == "failed")
    return Settlement{ReservationState::kReleased, std::string(status)};
  if (status == "canceled") {
    return Settlement{rang ? ReservationState::kCounted : ReservationState::kReleased, "canceled"};
  }
  return std::nullopt;
}

std::string_view placeOutcomeName(PlaceOutcome o) {
  switch (o) {
    case PlaceOutcome::kPlaced:
      return "placed";
    case PlaceOutcome::kUnknown:
      return "unknown";
    case PlaceOutcome::kDenied:
      return "denied";
    case PlaceOutcome::kRefused:
      return "refused";
    case PlaceOutcome::kRateLimited:
      return "rate_limited";
    case PlaceOutcome::kUnavailable:
      return "unavailable";
    case PlaceOutcome::kInvalid:
      return "invalid";
  }
  return "unknown";
}

struct CallPlacer::Applied {
  std::string result = "recorded";
  std::string reservation_id;
  std::string subject_id;
  std::string to;
  bool changed = false;
  std::string reservation_state;
  std::string outcome;
};

CallPlacer::CallPlacer(const CallGate& gate, AttemptLedger& ledger, AuditTrail& audit,
                       TelephonyPort* port, const Clock& clock, CallPlacerOptions options)
    : gate_(gate),
      ledger_(ledger),
      audit_(audit),
      port_(port),
      clock_(clock),
      options_(std::move(options)) {}

void CallPlacer::setWakeup(std::function<void()> wakeup) {
  std::lock_guard lock(wakeup_mutex_);
  wakeup_ = std::move(wakeup);
}

void CallPlacer::wake() {
  std::lock_guard lock(wakeup_mutex_);
  if (wakeup_) wakeup_();
}

// ---- placing ----------------------------------------------------------------------------------

Result<PlaceResult> CallPlacer::place(const CallRequest& request, OutboundCall call,
                                      const Caller& caller) {
  if (port_ == nullptr)
    return Status::error(ErrorCode::kFailedPrecondition, "the Twilio gateway is not configured");
  auto decision = gate_.reserve(request, caller);
  if (!decision.isOk()) return decision.status();
  PlaceResult result;
  result.decision = *decision;
  if (!decision->allowed || !decision->reservation_id) {
    result.outcome = PlaceOutcome::kDenied;
    return result;
  }
  const std::string rid = *decision->reservation_id;

  // The dialer cannot override where the provider reports back, or that the call is recorded.
  call.to = request.call.to;
  call.status_callback = options_.public_base_url + "/twilio/call-status";
  call.status_callback_events = {"initiated", "ringing", "answered", "completed"};
  bool record = options_.record;
  if (options_.recording_policy) {
    result.decision.recording = options_.recording_policy(request, result.decision);
    record = result.decision.recording->record;
  }
  call.record = record;
  call.recording_channels = record ? "dual" : "";
  call.recording_status_callback =
      record ? options_.public_base_url + "/twilio/recording-status" : "";

  // Written before sending: if the process dies with the request in flight, the reconciler
  // still knows that a call may exist.
  const Timestamp sent_at = clock_.now();
  PlacedCall pc;
  pc.reservation_id = rid;
  pc.state = PlacedCallState::kUnknown;
  pc.to = call.to;
  pc.from = call.from;
  pc.subject_id = request.subject_id;
  pc.api_key = caller.key_name;
  pc.sent_at = sent_at;
  pc.next_reconcile_at = sent_at + options_.reconcile_interval;
  Status stored = ledger_.write([&](LedgerTxn& txn) {
    txn.insertPlacedCall(pc);
    return Status::ok();
  });
  if (!stored.isOk()) {
    Status undo = ledger_.write([&](LedgerTxn& txn) {
      txn.settleReservation(rid, ReservationState::kReleased, "not-placed", "", false, sent_at);
      return Status::ok();
    });
    if (!undo.isOk())
      Log::error("could not release a reservation whose call was not sent",
                 {{"reservation_id", rid}});
    return Status::unavailable("the attempt could not be recorded before placing the call: " +
                               stored.message());
  }

  auto created = port_->createCall(call);
  if (created.isOk()) {
    const TelephonyCall& c = *created.value;
    result.outcome = PlaceOutcome::kPlaced;
    result.call_sid = c.sid;
    result.call_status = c.status;
    Status s = ledger_.write([&](LedgerTxn& txn) {
      auto current = txn.placedCall(rid);
      PlacedCall p = current ? *current : pc;
      if (p.last_status.empty()) p.last_status = c.status;
      adoptSid(txn, p, c.sid, clock_.now());
      return Status::ok();
    });
    if (!s.isOk()) {
      // The call exists but its SID is not stored: the row stays kUnknown, the reservation
      // stays counted, and the reconciler finds the call by To/From.
      Log::error("placed call not recorded; left to the reconciler",
                 {{"reservation_id", rid}, {"call_sid", c.sid}, {"error", s.message()}});
    }
    auditPlaced(result, call, caller, request.subject_id);
    wake();  // callbacks that arrived before the create's answer can now be matched
    return result;
  }

  const TelephonyError& err = created.error;
  result.error = err;
  if (err.failure == TelephonyFailure::kOutcomeUnknown) {
    // The call may exist: it keeps counting. Look once now; the reconciler keeps looking.
    result.outcome = PlaceOutcome::kUnknown;
    result.call_status = "unknown";
    auto found = port_->findCallsForAttempt(call, sent_at);
    if (found.isOk()) {
      std::optional<TelephonyCall> adopted;
      Status s = ledger_.write([&](LedgerTxn& txn) {
        // Calls already bound to another attempt are not candidates; more than one free
        // candidate is ambiguous and left to the callbacks and the reconciler.
        std::vector<TelephonyCall> free;
        for (const auto& c : *found.value)
          if (!txn.placedCallBySid(c.sid)) free.push_back(c);
        auto current = txn.placedCall(rid);
        if (free.size() != 1 || !current || !current->call_sid.empty()) return Status::ok();
        PlacedCall p = *current;
        p.last_status = free.front().status;
        adoptSid(txn, p, free.front().sid, clock_.now());
        adopted = free.front();
        return Status::ok();
      });
      if (s.isOk() && adopted) {
        result.outcome = PlaceOutcome::kPlaced;
        result.reconciled = true;
        result.call_sid = adopted->sid;
        result.call_status = adopted->status;
      }
    }
    auditPlaced(result, call, caller, request.subject_id);
    if (result.outcome == PlaceOutcome::kPlaced) wake();
    return result;
  }

  // Refused, unavailable or invalid: the call was never placed, so the slot is released.
  switch (err.failure) {
    case TelephonyFailure::kRefused:
      result.outcome = err.http_status == 429 ? PlaceOutcome::kRateLimited : PlaceOutcome::kRefused;
      break;
    case TelephonyFailure::kInvalid:
      result.outcome = PlaceOutcome::kInvalid;
      break;
    default:
      result.outcome = PlaceOutcome::kUnavailable;
      break;
  }
  result.call_status = "not-placed";
  Status s = ledger_.write([&](LedgerTxn& txn) {
    auto r = txn.reservation(rid);
    if (r && r->state == ReservationState::kPending)
      txn.settleReservation(rid, ReservationState::kReleased, "not-placed", "", false,
                            clock_.now());
    auto current = txn.placedCall(rid);
    PlacedCall p = current ? *current : pc;
    p.state = PlacedCallState::kRefused;
    p.next_reconcile_at.reset();
    txn.updatePlacedCall(p);
    return Status::ok();
  });
  if (!s.isOk()) {
    // Still pending, so still counted: the safe side of the error.
    Log::error("could not release the reservation of a refused call",
               {{"reservation_id", rid}, {"error", s.message()}});
  }
  auditPlaced(result, call, caller, request.subject_id);
  return result;
}

void CallPlacer::adoptSid(LedgerTxn& txn, PlacedCall& pc, const std::string& sid,
                          Timestamp now) const {
  pc.call_sid = sid;
  if (pc.state == PlacedCallState::kUnknown) pc.state = PlacedCallState::kPlaced;
  if (pc.state == PlacedCallState::kPlaced) {
    // Without a final callback, look again once the reservation has expired.
    auto r = txn.reservation(pc.reservation_id);
    pc.next_reconcile_at = r ? std::max(r->expires_at, now) : now + options_.reconcile_interval;
  }
  txn.updatePlacedCall(pc);
  // Callbacks that came before we knew the SID were stored as "unmatched": apply them now.
  for (const auto& e : txn.telephonyEventsForCall(sid)) {
    if (e.result == "unmatched") {
      applyEvent(txn, e, now);
      txn.markTelephonyEventProcessed(e.id, "applied-late", now);
    }
  }
}

void CallPlacer::auditPlaced(const PlaceResult& r, const OutboundCall& call, const Caller& caller,
                             const std::string& subject_id) const {
  audit::AuditEvent ev;
  ev.type = audit::EventType::kCallPlaced;
  ev.clear = {{"reservation_id", r.decision.reservation_id.value_or("")},
              {"decision_id", r.decision.decision_id},
              {"result", std::string(placeOutcomeName(r.outcome))},
              {"call_sid", r.call_sid},
              {"twilio_status", r.call_status},
              {"reconciled", r.reconciled ? "true" : "false"},
              {"record", call.record ? "dual" : "false"},
              {"key", caller.key_name},
              {"request_id", caller.request_id}};
  if (r.error) {
    ev.clear.emplace_back("twilio_failure", std::string(telephonyFailureName(r.error->failure)));
    ev.clear.emplace_back("twilio_http_status", std::to_string(r.error->http_status));
    ev.clear.emplace_back("twilio_error_code", std::to_string(r.error->code));
  }
  ev.subject_key = subjectKeyFor(subject_id, call.to);
  ev.personal = {{"to", call.to}, {"from", call.from}, {"subject_id", subject_id}};
  auto logged = audit_.append(ev);
  if (!logged.isOk()) {
    // The call exists (or was refused) whatever the log says; the reservation decision before
    // it is in the log. Say so loudly rather than misreport the call to the dialer.
    Log::error("audit append failed for a placed call",
               {{"reservation_id", r.decision.reservation_id.value_or("")},
                {"error", logged.status().message()}});
  }
}

// ---- callbacks --------------------------------------------------------------------------------

void CallPlacer::rejectWebhook(std::string_view route, std::string_view reason,
                               const std::string& request_id) const {
  audit::AuditEvent ev;
  ev.type = audit::EventType::kWebhookRejected;
  ev.clear = {
      {"route", std::string(route)}, {"reason", std::string(reason)}, {"request_id", request_id}};
  if (!audit_.append(ev).isOk())
    Log::error("audit append failed for a rejected webhook", {{"request_id", request_id}});
  Log::warn("webhook rejected", {{"route", route}, {"reason", reason}, {"request_id", request_id}});
}

Status CallPlacer::receiveWebhook(WebhookKind kind, std::string_view route, std::string_view url,
                                  const WebhookParams& params, std::string_view signature,
                                  const std::string& request_id) {
  const auto denied = [](std::string m) {
    return Status::error(ErrorCode::kPermissionDenied, std::move(m));
  };
  if (port_ == nullptr) {
    rejectWebhook(route, "not_configured", request_id);
    return denied("the Twilio gateway is not configured");
  }
  if (signature.empty()) {
    rejectWebhook(route, "missing_signature", request_id);
    return denied("X-Twilio-Signature is missing");
  }
  if (!port_->verifyWebhook(url, params, signature)) {
    rejectWebhook(route, "bad_signature", request_id);
    return denied("X-Twilio-Signature does not match");
  }

  TelephonyEvent e;
  e.call_sid = param(params, "CallSid");
  if (!plainSid(e.call_sid)) return Status::invalidArgument("CallSid is missing", "CallSid");
  if (kind == WebhookKind::kCallStatus) {
    e.kind = "call-status";
    e.status = param(params, "CallStatus");
    if (!plainStatus(e.status))
      return Status::invalidArgument("CallStatus is missing or malformed", "CallStatus");
  } else {
    e.kind = "recording-status";
    e.status = param(params, "RecordingStatus");
    e.resource_sid = param(params, "RecordingSid");
    if (!plainStatus(e.status))
      return Status::invalidArgument("RecordingStatus is missing or malformed", "RecordingStatus");
    if (!plainSid(e.resource_sid))
      return Status::invalidArgument("RecordingSid is missing", "RecordingSid");
  }
  const std::string seq = param(params, "SequenceNumber");
  if (!seq.empty()) {
    int n = -1;
    auto [end, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), n);
    if (ec != std::errc() || end != seq.data() + seq.size() || n < 0)
      return Status::invalidArgument("SequenceNumber is not a number", "SequenceNumber");
    e.sequence_number = n;
  }
  e.answered_by = param(params, "AnsweredBy").substr(0, 64);
  e.to = param(params, "To").substr(0, 64);
  e.from = param(params, "From").substr(0, 64);
  e.params = keptParams(params);
  e.request_id = request_id;
  e.received_at = clock_.now();
  bool inserted = false;
  Status s = ledger_.write([&](LedgerTxn& txn) {
    int64_t id = 0;
    inserted = txn.insertTelephonyEvent(e, &id);
    return Status::ok();
  });
  if (!s.isOk()) return Status::unavailable("the callback could not be stored: " + s.message());
  if (inserted) wake();
  return Status::ok();
}

CallPlacer::Applied CallPlacer::applyEvent(LedgerTxn& txn, const TelephonyEvent& e,
                                           Timestamp now) const {
  Applied a;
  std::optional<PlacedCall> pc = txn.placedCallBySid(e.call_sid);
  if (!pc && e.kind == "call-status" && !e.to.empty()) {
    // The create's answer may be lost or still on its way: a callback with the same To and
    // From as exactly one unknown create identifies its call.
    auto candidates = txn.unknownPlacedCalls(e.to, e.from, e.received_at - kAdoptWindow);
    if (candidates.size() == 1) {
      pc = candidates.front();
      pc->call_sid = e.call_sid;
      pc->state = PlacedCallState::kPlaced;
      auto r = txn.reservation(pc->reservation_id);
      pc->next_reconcile_at = r ? std::max(r->expires_at, now) : now;
      txn.updatePlacedCall(*pc);
      a.result = "adopted";
    }
  }
  if (!pc) {
    a.result = "unmatched";
    return a;
  }
  a.reservation_id = pc->reservation_id;
  a.subject_id = pc->subject_id;
  a.to = pc->to;
  if (e.kind == "recording-status") {
    // The recording issue acts on these; the gateway only keeps them.
    a.result = "recorded";
    return a;
  }

  if (showsRinging(e.status)) pc->rang = true;
  if (!e.answered_by.empty()) pc->answered_by = e.answered_by;
  if (e.sequence_number > pc->last_sequence || (e.sequence_number < 0 && pc->last_sequence < 0)) {
    pc->last_status = e.status;
    pc->last_sequence = std::max(pc->last_sequence, e.sequence_number);
  }
  if (isFinalCallStatus(e.status)) {
    // With initiated/ringing/answered/completed requested, a canceled call that never rang
    // has sent only "initiated" (0) before its final event (1): a final sequence number of 2
    // or more proves a ringing event, even if it has not arrived yet. The reconciler cannot
    // tell, so it counts (when unsure, count).
    const bool rang =
        pc->rang || e.sequence_number >= 2 || e.kind == "reconcile" || !e.answered_by.empty();
    auto settlement = settlementForFinalStatus(e.status, rang);
    if (pc->final_status.empty()) {
      pc->final_status = e.status;
      pc->state = PlacedCallState::kSettled;
      pc->settled_at = now;
      pc->next_reconcile_at.reset();
    }
    a.changed = settleTowardsCounted(txn, pc->reservation_id, *settlement, pc->call_sid, now);
    a.result = "settled";
  } else if (showsRinging(e.status) && pc->final_status == "canceled") {
    // A late ringing for a call released as canceled-before-ringing: it rang, so it counts.
    a.changed = settleTowardsCounted(txn, pc->reservation_id,
                                     {ReservationState::kCounted, "canceled"}, pc->call_sid, now);
    a.result = a.changed ? "recounted" : "recorded";
  } else if (pc->state == PlacedCallState::kSettled) {
    a.result = "late";  // arrived after the final status: changes nothing
  }
  txn.updatePlacedCall(*pc);
  if (auto r = txn.reservation(pc->reservation_id)) {
    a.reservation_state = std::string(reservationStateName(r->state));
    a.outcome = r->outcome;
  }
  return a;
}

void CallPlacer::auditEvent(const TelephonyEvent& e, const Applied& a) const {
  audit::AuditEvent ev;
  ev.type = audit::EventType::kTwilioEvent;
  ev.clear = {{"kind", e.kind},
              {"call_sid", e.call_sid},
              {"resource_sid", e.resource_sid},
              {"status", e.status},
              {"sequence_number", std::to_string(e.sequence_number)},
              {"answered_by", e.answered_by},
              {"result", a.result},
              {"reservation_id", a.reservation_id},
              {"reservation_state", a.reservation_state},
              {"outcome", a.outcome},
              {"changed", a.changed ? "true" : "false"},
              {"request_id", e.request_id}};
  if (!audit_.append(ev).isOk())
    Log::error("audit append failed for a Twilio event",
               {{"call_sid", e.call_sid}, {"status", e.status}});
}

void CallPlacer::setEventObserver(TelephonyEventObserver* observer) {
  observer_.store(observer);
}

int CallPlacer::processPendingEvents() {
  int processed = 0;
  for (;;) {
    std::vector<TelephonyEvent> events;
    Status s = ledger_.read([&](LedgerTxn& txn) {
      events = txn.unprocessedTelephonyEvents(kBatch);
      return Status::ok();
    });
    if (!s.isOk()) {
      Log::error("cannot read stored Twilio events", {{"error", s.message()}});
      return processed;
    }
    if (events.empty()) return processed;
    for (const auto& e : events) {
      Applied a;
      Status w = ledger_.write([&](LedgerTxn& txn) {
        a = applyEvent(txn, e, clock_.now());
        txn.markTelephonyEventProcessed(e.id, a.result, clock_.now());
        return Status::ok();
      });
      if (!w.isOk()) {
        // Left unprocessed; the next pass tries again.
        Log::error("cannot apply a Twilio event",
                   {{"call_sid", e.call_sid}, {"error", w.message()}});
        return processed;
      }
      auditEvent(e, a);
      if (auto* observer = observer_.load()) observer->onTelephonyEvent(e);
      ++processed;
    }
  }
}

// ---- reconciliation ---------------------------------------------------------------------------

int CallPlacer::reconcileOnce(Timestamp now) {
  if (port_ == nullptr) return 0;
  std::vector<PlacedCall> due;
  Status s = ledger_.read([&](LedgerTxn& txn) {
    due = txn.placedCallsDue(now, kBatch);
    return Status::ok();
  });
  if (!s.isOk()) {
    Log::error("cannot read calls to reconcile", {{"error", s.message()}});
    return 0;
  }
  for (const auto& pc : due) reconcileCall(pc, now);
  return static_cast<int>(due.size());
}

void CallPlacer::reconcileCall(const PlacedCall& pc, Timestamp now) {
  OutboundCall call;
  call.to = pc.to;
  call.from = pc.from;
  std::optional<TelephonyCall> found;
  bool ambiguous = false;
  if (pc.call_sid.empty()) {
    auto r = port_->findCallsForAttempt(call, pc.sent_at);
    if (r.isOk()) {
      // Calls already bound to another attempt are not candidates.
      std::vector<TelephonyCall> free;
      Status rs = ledger_.read([&](LedgerTxn& txn) {
        for (const auto& c : *r.value)
          if (!txn.placedCallBySid(c.sid)) free.push_back(c);
        return Status::ok();
      });
      if (rs.isOk() && free.size() == 1) found = free.front();
      ambiguous = free.size() > 1;
    }
  } else {
    auto r = port_->fetchCall(pc.call_sid);
    if (r.isOk()) found = *r.value;
  }

  TelephonyEvent finding;
  Applied applied;
  bool have_finding = false;
  Status w = ledger_.write([&](LedgerTxn& txn) {
    auto current = txn.placedCall(pc.reservation_id);
    if (!current || (current->state != PlacedCallState::kUnknown &&
                     current->state != PlacedCallState::kPlaced)) {
      return Status::ok();  // settled meanwhile by a callback
    }
    PlacedCall p = *current;
    const bool adopting = found && p.call_sid.empty();
    if (adopting) adoptSid(txn, p, found->sid, now);
    if (found && isFinalCallStatus(found->status)) {
      finding.kind = "reconcile";
      finding.call_sid = found->sid;
      finding.status = found->status;
      finding.answered_by = found->answered_by;
      finding.received_at = now;
      finding.request_id = "reconcile";
      int64_t id = 0;
      if (txn.insertTelephonyEvent(finding, &id)) {
        finding.id = id;
        applied = applyEvent(txn, finding, now);
        txn.markTelephonyEventProcessed(id, applied.result, now);
        have_finding = true;
      }
    }
    // Re-read: adopting the SID may have applied stored callbacks and settled the call.
    auto latest = txn.placedCall(pc.reservation_id);
    if (!latest) return Status::ok();
    p = *latest;
    p.reconcile_attempts = current->reconcile_attempts + 1;
    if (p.state == PlacedCallState::kUnknown && now >= p.sent_at + options_.abandon_after) {
      // Never found: stop looking. The reservation stays pending, which counts.
      p.state = PlacedCallState::kAbandoned;
      p.next_reconcile_at.reset();
    } else if (p.state == PlacedCallState::kUnknown ||
               (p.state == PlacedCallState::kPlaced && !adopting)) {
      // Not found yet, or placed and still not final: look again later.
      p.next_reconcile_at = now + options_.reconcile_interval;
    }
    txn.updatePlacedCall(p);
    return Status::ok();
  });
  if (!w.isOk()) {
    Log::error("cannot record a reconciliation", {{"reservation_id", pc.reservation_id}});
    return;
  }
  if (have_finding) auditEvent(finding, applied);
  Log::info("reconciled a call", {{"reservation_id", pc.reservation_id},
                                  {"call_sid", found ? found->sid : pc.call_sid},
                                  {"status", found ? found->status : "not-found"},
                                  {"ambiguous", ambiguous ? "true" : "false"}});
}

}  // namespace callwarden::dialer
