#include "server/CallRoutes.h"

#include <Poco/JSON/Array.h>

#include <algorithm>

#include "common/Rfc3339.h"
#include "policy/FrequencyPolicy.h"
#include "server/ApiError.h"
#include "server/JsonFields.h"

namespace callwarden::server {
namespace {

constexpr size_t kMaxDebts = 50;
constexpr size_t kMaxLocations = 10;
constexpr size_t kIdMax = 128;

// Ids become parts of ledger keys ("debt|subject|group"), so '|' and control characters are
// refused; the set below covers every id scheme we have seen in collection systems.
bool validId(const std::string& s) {
  return !s.empty() && s.size() <= kIdMax && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == ':' || c == '@' || c == '+' || c == '/' || c == '#';
  });
}

std::string requireId(const JsonFields& f, const std::string& name) {
  std::string v = f.requiredString(name, kIdMax);
  if (!validId(v))
    throw ApiError(422, "INVALID_FIELD", name + " has characters outside [A-Za-z0-9-_.:@+/#]",
                   f.path(name));
  return v;
}

std::vector<std::string> idArray(const JsonFields& f, const std::string& name) {
  auto v = f.stringArray(name, kMaxDebts, kIdMax);
  for (size_t i = 0; i < v.size(); ++i) {
    if (!validId(v[i])) {
      throw ApiError(422, "INVALID_FIELD",
                     name + " has an id with characters outside [A-Za-z0-9-_.:@+/#]",
                     f.path(name) + "[" + std::to_string(i) + "]");
    }
  }
  return v;
}

Timestamp requireTime(const JsonFields& f, const std::string& name) {
  auto text = f.requiredString(name, 64);
  auto t = parseRfc3339(text);
  if (!t.isOk())
    throw ApiError(422, "INVALID_FIELD", name + " must be an RFC 3339 date-time", f.path(name));
  return *t;
}

std::optional<Timestamp> optionalTime(const JsonFields& f, const std::string& name) {
  if (!f.has(name)) return std::nullopt;
  return requireTime(f, name);
}

std::string callerKey(const ApiRequest& r) {
  return r.principal ? r.principal->key_name : "";
}
dialer::Caller caller(const ApiRequest& r) {
  return {callerKey(r), r.request_id};
}

dialer::CallRequest parseCallRequest(const JsonFields& f, const Clock& clock, bool at_allowed) {
  dialer::CallRequest req;
  req.call.to = f.requiredString("to", 32);
  auto purpose = policy::parsePurpose(f.requiredString("purpose", 32));
  if (!purpose.isOk()) throw ApiError(422, "INVALID_FIELD", purpose.status().message(), "purpose");
  req.call.purpose = *purpose;
  if (auto ct = f.optionalString("call_type", 32)) {
    auto t = policy::parseCallType(*ct);
    if (!t.isOk()) throw ApiError(422, "INVALID_FIELD", t.status().message(), "call_type");
    req.call.call_type = *t;
  }
  if (f.has("subject_id")) req.subject_id = requireId(f, "subject_id");
  req.debts = idArray(f, "debts");
  if (f.has("campaign_id")) req.campaign_id = requireId(f, "campaign_id");
  if (auto m = f.optionalString("subject_matter", kIdMax)) req.subject_matter = *m;
  for (const auto& loc : f.objectArray("locations", kMaxLocations)) {
    loc.rejectUnknown({"state", "zip", "tz"});
    policy::Location l;
    l.state = loc.optionalString("state", 2).value_or("");
    l.zip = loc.optionalString("zip", 10).value_or("");
    l.tz = loc.optionalString("tz", 64).value_or("");
    req.call.locations.push_back(std::move(l));
  }
  if (req.call.purpose == policy::Purpose::kDebtCollection) {
    if (req.subject_id.empty())
      throw ApiError(422, "MISSING_FIELD", "debt_collection needs subject_id", "subject_id");
    if (req.debts.empty())
      throw ApiError(422, "MISSING_FIELD", "debt_collection needs a non-empty debts array",
                     "debts");
  }
  if (f.has("at")) {
    if (!at_allowed) {
      throw ApiError(422, "CLIENT_TIME_DISABLED",
                     "at is accepted only when policy.allow_client_time is true", "at");
    }
    req.call.at = requireTime(f, "at");
    req.client_time = true;
  } else {
    req.call.at = clock.now();
  }
  return req;
}

Poco::JSON::Object::Ptr decisionJson(const dialer::GateDecision& d) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("decision", d.allowed ? "allow" : "deny");
  Poco::JSON::Array::Ptr reasons = new Poco::JSON::Array;
  for (const auto& r : d.reasons) {
    Poco::JSON::Object::Ptr x = new Poco::JSON::Object;
    x->set("code", std::string(policy::reasonCodeName(r.code)));
    x->set("rule", r.rule);
    x->set("message", r.message);
    reasons->add(x);
  }
  o->set("reasons", reasons);
  if (d.next_allowed_at) {
    o->set("next_allowed_at", formatRfc3339(*d.next_allowed_at));
  } else {
    o->set("next_allowed_at", Poco::Dynamic::Var());
  }
  Poco::JSON::Array::Ptr zones = new Poco::JSON::Array, jur = new Poco::JSON::Array;
  for (const auto& z : d.zones) zones->add(z);
  for (const auto& j : d.jurisdictions) jur->add(j);
  o->set("zones", zones);
  o->set("jurisdictions", jur);
  o->set("policy_version", d.policy_version);
  o->set("decision_id", d.decision_id);
  if (d.reservation_id) o->set("reservation_id", *d.reservation_id);
  if (d.expires_at) o->set("expires_at", formatRfc3339(*d.expires_at));
  return o;
}

void countDecision(Metrics& m, const dialer::GateDecision& d) {
  if (d.reasons.empty()) m.countDecision(d.allowed ? "allow" : "deny", "");
  for (const auto& r : d.reasons)
    m.countDecision(d.allowed ? "allow" : "deny", std::string(policy::reasonCodeName(r.code)));
}

Poco::JSON::Object::Ptr reservationJson(const dialer::Reservation& r, Timestamp now) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("reservation_id", r.id);
  // A pending reservation past its expiry counts as placed: when unsure, count.
  std::string state(dialer::reservationStateName(r.state));
  if (r.state == dialer::ReservationState::kPending && now > r.expires_at)
    state = "expired_counted";
  o->set("state", state);
  o->set("created_at", formatRfc3339(r.created_at));
  o->set("expires_at", formatRfc3339(r.expires_at));
  o->set("outcome", r.outcome.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.outcome));
  o->set("call_sid", r.call_sid.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.call_sid));
  o->set("conversation", r.conversation);
  return o;
}

}  // namespace

void addCallRoutes(Router& router, CallRoutesDeps deps) {
  router.add({"POST", "/v1/calls/check", {Scope::kDialer}, BodyKind::kJson, [deps](ApiRequest& r) {
                JsonFields f(r.json);
                f.rejectUnknown({"to", "purpose", "call_type", "subject_id", "debts", "campaign_id",
                                 "subject_matter", "locations", "at"});
                // Nothing is written by a check, so evaluating another instant is always allowed.
                auto req = parseCallRequest(f, *deps.clock, true);
                auto d = deps.gate->check(req, caller(r));
                if (!d.isOk()) throw ApiError::fromStatus(d.status());
                countDecision(*deps.metrics, *d);
                return ApiResponse::json(200, decisionJson(*d));
              }});
  router.add(
      {"POST", "/v1/calls/reserve", {Scope::kDialer}, BodyKind::kJson, [deps](ApiRequest& r) {
         JsonFields f(r.json);
         f.rejectUnknown({"to", "purpose", "call_type", "subject_id", "debts", "campaign_id",
                          "subject_matter", "locations", "at"});
         auto req = parseCallRequest(f, *deps.clock, deps.allow_client_time);
         auto d = deps.gate->reserve(req, caller(r));
         if (!d.isOk()) throw ApiError::fromStatus(d.status());
         countDecision(*deps.metrics, *d);
         return ApiResponse::json(200, decisionJson(*d));
       }});
  router.add(
      {"POST",
       "/v1/reservations/{id}/outcome",
       {Scope::kDialer},
       BodyKind::kJson,
       [deps](ApiRequest& r) {
         JsonFields f(r.json);
         f.rejectUnknown({"outcome", "call_sid", "conversation"});
         auto outcome = dialer::parseOutcome(f.requiredString("outcome", 32));
         if (!outcome) {
           throw ApiError(
               422, "INVALID_FIELD",
               "outcome must be completed, no-answer, voicemail, busy, not-in-service, failed or "
               "canceled",
               "outcome");
         }
         std::string sid = f.optionalString("call_sid", 64).value_or("");
         bool conversation = f.optionalBool("conversation", false);
         auto res =
             deps.gate->recordOutcome(r.pathParam("id"), *outcome, sid, conversation, caller(r));
         if (!res.isOk()) {
           throw ApiError::fromStatus(
               res.status(), res.status().code() == ErrorCode::kConflict ? "OUTCOME_CONFLICT" : "");
         }
         auto o = reservationJson(res->reservation, deps.clock->now());
         o->set("changed", res->changed);
         return ApiResponse::json(200, o);
       }});
  router.add({"POST",
              "/v1/conversations",
              {Scope::kDialer, Scope::kAgent},
              BodyKind::kJson,
              [deps](ApiRequest& r) {
                JsonFields f(r.json);
                f.rejectUnknown({"subject_id", "debts", "at"});
                std::string subject = requireId(f, "subject_id");
                auto debts = idArray(f, "debts");
                if (debts.empty())
                  throw ApiError(422, "MISSING_FIELD", "debts must name at least one debt",
                                 "debts");
                Timestamp at = optionalTime(f, "at").value_or(deps.clock->now());
                if (at > deps.clock->now())
                  throw ApiError(422, "INVALID_FIELD", "at is in the future", "at");
                Status s = deps.gate->recordConversation(subject, debts, at, caller(r));
                if (!s.isOk()) throw ApiError::fromStatus(s);
                Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                o->set("recorded", true);
                return ApiResponse::json(201, o);
              }});
  router.add(
      {"POST",
       "/v1/consents",
       {Scope::kAdmin, Scope::kAgent},
       BodyKind::kJson,
       [deps](ApiRequest& r) {
         JsonFields f(r.json);
         f.rejectUnknown({"subject_id", "phone", "scope", "action", "debts", "given_to", "channel",
                          "words", "received_at", "valid_until", "max_calls"});
         dialer::ConsentInput in;
         auto& c = in.record;
         c.subject_id = requireId(f, "subject_id");
         c.phone = f.optionalString("phone", 32).value_or("");
         c.scope = f.requiredString("scope", 32);
         if (c.scope != "regf_call" && c.scope != "telemarketing" && c.scope != "robocall" &&
             c.scope != "recording") {
           throw ApiError(422, "INVALID_FIELD",
                          "scope must be regf_call, telemarketing, robocall or recording", "scope");
         }
         c.action = f.optionalString("action", 16).value_or("grant");
         if (c.action != "grant" && c.action != "revoke") {
           throw ApiError(422, "INVALID_FIELD", "action must be grant or revoke", "action");
         }
         in.debts = idArray(f, "debts");
         c.given_to = f.optionalString("given_to", 16).value_or("");
         if (c.scope == "regf_call" && c.action == "grant") {
           if (in.debts.empty())
             throw ApiError(422, "MISSING_FIELD", "regf_call consent names its debts", "debts");
           if (c.given_to != "collector" && c.given_to != "creditor") {
             throw ApiError(422, "INVALID_FIELD", "given_to must be collector or creditor",
                            "given_to");
           }
         }
         c.channel = f.optionalString("channel", 64).value_or("");
         c.words = f.optionalString("words", 1024).value_or("");
         c.received_at = optionalTime(f, "received_at").value_or(deps.clock->now());
         c.valid_until = optionalTime(f, "valid_until");
         c.max_calls = static_cast<int>(f.optionalInt("max_calls", 0, 1000).value_or(0));
         auto id = deps.gate->recordConsent(std::move(in), caller(r));
         if (!id.isOk()) throw ApiError::fromStatus(id.status());
         Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
         o->set("consent_id", *id);
         return ApiResponse::json(201, o);
       }});
  router.add(
      {"PUT", "/v1/subjects/{id}/flags", {Scope::kAdmin}, BodyKind::kJson, [deps](ApiRequest& r) {
         JsonFields f(r.json);
         f.rejectUnknown({"flags"});
         std::string subject = r.pathParam("id");
         if (!validId(subject)) throw ApiError(422, "INVALID_FIELD", "bad subject id", "id");
         auto list = f.stringArray("flags", 16, 64);
         for (size_t i = 0; i < list.size(); ++i) {
           if (!policy::isKnownAccountFlag(list[i])) {
             throw ApiError(422, "INVALID_FIELD", "unknown flag " + list[i],
                            "flags[" + std::to_string(i) + "]");
           }
         }
         Status s = deps.gate->setAccountFlags(subject, {list.begin(), list.end()}, caller(r));
         if (!s.isOk()) throw ApiError::fromStatus(s);
         Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
         Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
         for (const auto& x : std::set<std::string>(list.begin(), list.end())) a->add(x);
         o->set("subject_id", subject);
         o->set("flags", a);
         return ApiResponse::json(200, o);
       }});
  router.add({"PUT",
              "/v1/subjects/{id}/debt-groups",
              {Scope::kAdmin},
              BodyKind::kJson,
              [deps](ApiRequest& r) {
                JsonFields f(r.json);
                f.rejectUnknown({"groups"});
                std::string subject = r.pathParam("id");
                if (!validId(subject)) throw ApiError(422, "INVALID_FIELD", "bad subject id", "id");
                std::map<std::string, std::vector<std::string>> groups;
                for (const auto& g : f.objectArray("groups", kMaxDebts)) {
                  g.rejectUnknown({"id", "debts"});
                  groups[requireId(g, "id")] = idArray(g, "debts");
                }
                Status s = deps.gate->setDebtGroups(subject, groups, caller(r));
                if (!s.isOk()) throw ApiError::fromStatus(s);
                Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                o->set("subject_id", subject);
                o->set("groups", static_cast<int>(groups.size()));
                return ApiResponse::json(200, o);
              }});
  router.add({"GET",
              "/v1/subjects/{id}/attempts",
              {Scope::kDialer, Scope::kAuditor, Scope::kAdmin},
              BodyKind::kNone,
              [deps](ApiRequest& r) {
                std::string subject = r.pathParam("id");
                auto debt = r.queryParam("debt");
                if (!validId(subject)) throw ApiError(422, "INVALID_FIELD", "bad subject id", "id");
                if (!debt || !validId(*debt))
                  throw ApiError(422, "MISSING_FIELD", "debt=ID is required", "debt");
                auto v = deps.gate->attempts(subject, *debt);
                if (!v.isOk()) throw ApiError::fromStatus(v.status());
                const Timestamp now = deps.clock->now();
                Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                o->set("subject_id", v->subject_id);
                o->set("debt", v->debt);
                o->set("key", v->key);
                Poco::JSON::Array::Ptr counted = new Poco::JSON::Array,
                                       excluded = new Poco::JSON::Array,
                                       pending = new Poco::JSON::Array,
                                       released = new Poco::JSON::Array;
                for (const auto& res : v->reservations) {
                  bool is_excluded = std::any_of(res.excluded_keys.begin(), res.excluded_keys.end(),
                                                 [&](const auto& k) { return k.first == v->key; });
                  auto j = reservationJson(res, now);
                  if (is_excluded)
                    excluded->add(j);
                  else if (res.state == dialer::ReservationState::kReleased)
                    released->add(j);
                  else if (res.state == dialer::ReservationState::kPending && now <= res.expires_at)
                    pending->add(j);
                  else
                    counted->add(j);
                }
                o->set("counted", counted);
                o->set("pending", pending);
                o->set("excluded", excluded);
                o->set("released", released);
                Poco::JSON::Array::Ptr conv = new Poco::JSON::Array;
                for (auto t : v->conversations) conv->add(formatRfc3339(t));
                o->set("conversations", conv);
                o->set("frees_at", v->frees_at ? Poco::Dynamic::Var(formatRfc3339(*v->frees_at))
                                               : Poco::Dynamic::Var());
                Poco::JSON::Array::Ptr blocking = new Poco::JSON::Array;
                for (const auto& b : v->blocking) {
                  Poco::JSON::Object::Ptr x = new Poco::JSON::Object;
                  x->set("code", std::string(policy::reasonCodeName(b.code)));
                  x->set("rule", b.rule);
                  x->set("message", b.message);
                  blocking->add(x);
                }
                o->set("blocking", blocking);
                return ApiResponse::json(200, o);
              }});
}

}  // namespace callwarden::server
