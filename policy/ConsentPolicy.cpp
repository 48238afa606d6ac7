#include "policy/ConsentPolicy.h"

#include <algorithm>
#include <initializer_list>

namespace callwarden::policy {
namespace {

bool callScope(const std::string& scope) {
  return scope == "telemarketing" || scope == "robocall";
}

bool applies(const ConsentEvent& e, const ConsentInput& in) {
  if (e.received_at > in.at || !callScope(e.scope)) return false;
  if (!e.phone.empty() && e.phone == in.to) return true;
  const bool same_subject = !in.subject_id.empty() && e.subject_id == in.subject_id;
  // A grant given for another number does not cover this one; a revocation by the consumer
  // covers every number we call them on (revoke-all is about the person, not the line).
  if (e.grant) return e.phone.empty() && same_subject;
  return same_subject;
}

enum class State { kNone, kGranted, kExpired, kRevoked };

struct Latest {
  State state = State::kNone;
  const ConsentEvent* event = nullptr;
};

// The latest record that decides: a revocation of any call scope, or a grant of one of
// `grant_scopes`. `events` is sorted oldest first.
Latest latest(const std::vector<const ConsentEvent*>& events,
              std::initializer_list<const char*> grant_scopes, Timestamp at) {
  Latest l;
  for (const ConsentEvent* e : events) {
    if (!e->grant) {
      l = {State::kRevoked, e};
    } else if (std::any_of(grant_scopes.begin(), grant_scopes.end(),
                           [&](const char* s) { return e->scope == s; })) {
      l = {State::kGranted, e};
    }
  }
  if (l.state == State::kGranted && l.event->valid_until && *l.event->valid_until <= at)
    l.state = State::kExpired;
  return l;
}

bool hasReason(const std::vector<Reason>& reasons, ReasonCode code) {
  return std::any_of(reasons.begin(), reasons.end(),
                     [&](const Reason& r) { return r.code == code; });
}

}  // namespace

std::optional<RndResult> parseRndResult(std::string_view text) {
  if (text == "yes") return RndResult::kYes;
  if (text == "no") return RndResult::kNo;
  if (text == "no_data") return RndResult::kNoData;
  return std::nullopt;
}

std::string_view rndResultName(RndResult r) {
  switch (r) {
    case RndResult::kYes:
      return "yes";
    case RndResult::kNo:
      return "no";
    case RndResult::kNoData:
      return "no_data";
  }
  return "no_data";
}

ConsentDecision evaluateConsent(const ConsentInput& in, const ConsentOptions& options) {
  ConsentDecision d;
  std::vector<const ConsentEvent*> events;
  for (const auto& e : in.history)
    if (applies(e, in)) events.push_back(&e);
  std::sort(events.begin(), events.end(), [](const ConsentEvent* a, const ConsentEvent* b) {
    return a->received_at != b->received_at ? a->received_at < b->received_at : a->seq < b->seq;
  });

  const RndAnswer* rnd = nullptr;
  for (const auto& a : in.rnd) {
    if (a.queried_at > in.at) continue;
    if (rnd == nullptr || a.queried_at >= rnd->queried_at) rnd = &a;
  }
  // 4.3: "yes" means disconnected on or after the date of consent, so a grant given before
  // the disconnect belongs to the previous subscriber. A "yes" without a date voids any grant.
  auto voided = [&](const ConsentEvent& grant) {
    if (rnd == nullptr || rnd->result != RndResult::kYes) return false;
    if (!rnd->disconnected_on) return true;
    return *rnd->disconnected_on >= std::chrono::floor<std::chrono::days>(grant.received_at);
  };
  auto reassigned = [&](const ConsentEvent& grant) {
    d.consent_void = true;
    d.reasons.push_back({ReasonCode::kReassignedNumber, "US/rnd-reassigned",
                         "the Reassigned Numbers Database reports the number disconnected on " +
                             (rnd->disconnected_on ? formatDate(*rnd->disconnected_on)
                                                   : std::string("an unknown date")) +
                             ", after consent " + grant.id + " was given; that consent is void"});
  };

  const bool robocall = in.call_type != CallType::kLive;
  bool robocall_consent = false;
  if (robocall) {
    const Latest r = latest(events, {"robocall"}, in.at);
    switch (r.state) {
      case State::kRevoked:
        d.reasons.push_back({ReasonCode::kConsentRevoked, "US/tcpa-revocation",
                             "consent was revoked (" + r.event->id +
                                 "); a revocation covers every robocall and robotext"});
        break;
      case State::kNone:
      case State::kExpired:
        d.reasons.push_back(
            {ReasonCode::kConsentMissing, "US/tcpa-robocall-consent",
             r.state == State::kNone
                 ? "an autodialed or prerecorded call needs a robocall consent on record"
                 : "the robocall consent " + r.event->id + " has expired"});
        break;
      case State::kGranted:
        d.consent_id = r.event->id;
        if (voided(*r.event)) {
          reassigned(*r.event);
        } else if (rnd != nullptr && rnd->result == RndResult::kNoData &&
                   options.rnd_no_data_denies_robocalls) {
          d.reasons.push_back({ReasonCode::kReassignedNumber, "US/rnd-no-data",
                               "the Reassigned Numbers Database has no data for the number: no "
                               "safe harbor for a robocall"});
        } else {
          robocall_consent = true;
        }
        break;
    }
  }

  if (in.purpose == Purpose::kTelemarketing) {
    const Latest t = latest(events, {"telemarketing", "robocall"}, in.at);
    if (t.state == State::kRevoked) {
      // A "stop" is also a company-specific do-not-call request (64.1200(d)(3)).
      if (!hasReason(d.reasons, ReasonCode::kConsentRevoked)) {
        d.reasons.push_back({ReasonCode::kConsentRevoked, "US/company-dnc-request",
                             "the consumer revoked consent (" + t.event->id +
                                 "), which is also a do-not-call request for telemarketing"});
      }
    } else if (t.state == State::kGranted) {
      const bool is_void = voided(*t.event);
      if (d.consent_id.empty()) d.consent_id = t.event->id;
      if (is_void && options.require_written_consent_for_telemarketing &&
          !hasReason(d.reasons, ReasonCode::kReassignedNumber)) {
        reassigned(*t.event);
      }
      d.consent_void = d.consent_void || is_void;
      d.prior_express_consent = !is_void && (!robocall || robocall_consent);
    } else if (options.require_written_consent_for_telemarketing &&
               !hasReason(d.reasons, ReasonCode::kConsentMissing)) {
      d.reasons.push_back({ReasonCode::kConsentMissing, "callwarden/telemarketing-written-consent",
                           "policy requires prior express written consent for telemarketing"});
    }
  }
  return d;
}

}  // namespace callwarden::policy
