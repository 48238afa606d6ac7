#include "server/CallRoutes.h"

#include <Poco/JSON/Array.h>

#include <cstdio>

#include <algorithm>

#include "common/Log.h"
#include "common/Rfc3339.h"
#include "policy/FrequencyPolicy.h"
#include "server/ApiError.h"
#include "server/CallJson.h"
#include "server/JsonFields.h"

namespace callwarden::server {
namespace {

constexpr size_t kMaxDebtGroups = 50;
constexpr size_t kMaxIntervals = policy::LocalInterval::kMaxPerSubject;

constexpr const char* kWeekdays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// "HH:MM" or "HH:MM:SS", 00:00 to 24:00.
std::optional<std::chrono::seconds> parseTimeOfDay(const std::string& t) {
  int h = 0, m = 0, sec = 0;
  char tail = 0;
  int n = std::sscanf(t.c_str(), "%2d:%2d:%2d%c", &h, &m, &sec, &tail);
  if ((n != 2 && n != 3) || t.size() != (n == 2 ? 5u : 8u)) return std::nullopt;
  if (h < 0 || m < 0 || m > 59 || sec < 0 || sec > 59 || h > 24 ||
      (h == 24 && (m != 0 || sec != 0))) {
    return std::nullopt;
  }
  return std::chrono::seconds(h * 3600 + m * 60 + sec);
}

std::string formatTimeOfDay(std::chrono::seconds s) {
  char buf[64];
  const long v = static_cast<long>(s.count());
  std::snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld", v / 3600, v / 60 % 60, v % 60);
  return buf;
}

}  // namespace
void addCallRoutes(Router& router, CallRoutesDeps deps) {
  router.add({"POST", "/v1/calls/check", {Scope::kDialer}, BodyKind::kJson, [deps](ApiRequest& r) {
                JsonFields f(r.json);
                f.rejectUnknown(kCallRequestFields);
                // Nothing is written by a check, so evaluating another instant is always allowed.
                auto req = parseCallRequest(f, *deps.clock, true);
                auto who = caller(r);
                who.holds_answer_until_flushed = r.can_defer;
                auto d = deps.gate->check(req, who);
                if (!d.isOk()) throw ApiError::fromStatus(d.status());
                if (deps.recording != nullptr && !d->failed) {
                  d->recording = deps.recording->decide(req.call.to, req.subject_id,
                                                        req.call.locations, d->jurisdictions);
                }
                if (!d->flush_pending) {
                  countDecision(*deps.metrics, *d);
                  return ApiResponse::jsonText(200, decisionBody(*d));
                }
                // The record is written, not yet flushed: the transport sends this answer
                // once it is, and a deny if the flush fails (docs/adr/0002).
                ApiResponse held;
                held.deferred = ApiResponse::Deferred{
                    [gate = deps.gate, seq = *d->flush_pending](auto done) {
                      gate->whenDurable(seq, std::move(done));
                    },
                    [d = std::move(*d), metrics = deps.metrics](const Status& flushed) mutable {
                      if (!flushed.isOk()) {
                        Log::error("audit flush failed; decision denied",
                                   {{"decision_id", d.decision_id}, {"error", flushed.message()}});
                        dialer::denyForAuditFailure(d);
                      }
                      d.flush_pending.reset();
                      countDecision(*metrics, d);
                      return ApiResponse::jsonText(200, decisionBody(d));
                    }};
                return held;
              }});
  router.add(
      {"POST", "/v1/calls/reserve", {Scope::kDialer}, BodyKind::kJson, [deps](ApiRequest& r) {
         JsonFields f(r.json);
         f.rejectUnknown(kCallRequestFields);
         auto req = parseCallRequest(f, *deps.clock, deps.allow_client_time);
         auto d = deps.gate->reserve(req, caller(r));
         if (!d.isOk()) throw ApiError::fromStatus(d.status());
         countDecision(*deps.metrics, *d);
         if (deps.recording != nullptr && !d->failed) {
           d->recording = deps.recording->decide(req.call.to, req.subject_id, req.call.locations,
                                                 d->jurisdictions);
         }
         return ApiResponse::jsonText(200, decisionBody(*d));
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
         // "Call me back tomorrow at 10" is one call (TV-13): a consent covers one call unless
         // it says how many.
         c.max_calls = static_cast<int>(f.optionalInt("max_calls", 1, 1000).value_or(1));
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
         f.require("flags");
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
                f.require("groups");
                std::string subject = r.pathParam("id");
                if (!validId(subject)) throw ApiError(422, "INVALID_FIELD", "bad subject id", "id");
                std::map<std::string, std::vector<std::string>> groups;
                for (const auto& g : f.objectArray("groups", kMaxDebtGroups)) {
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
  router.add({"PUT",
              "/v1/subjects/{id}/inconvenient-times",
              {Scope::kAdmin, Scope::kAgent},
              BodyKind::kJson,
              [deps](ApiRequest& r) {
                JsonFields f(r.json);
                f.rejectUnknown({"intervals"});
                f.require("intervals");
                std::string subject = r.pathParam("id");
                if (!validId(subject)) throw ApiError(422, "INVALID_FIELD", "bad subject id", "id");
                std::vector<policy::LocalInterval> intervals;
                for (const auto& x : f.objectArray("intervals", kMaxIntervals)) {
                  x.rejectUnknown({"weekdays", "start", "end", "tz"});
                  policy::LocalInterval i;
                  auto start = parseTimeOfDay(x.requiredString("start", 8));
                  auto end = parseTimeOfDay(x.requiredString("end", 8));
                  if (!start)
                    throw ApiError(422, "INVALID_FIELD", "start must be HH:MM or HH:MM:SS",
                                   x.path("start"));
                  if (!end)
                    throw ApiError(422, "INVALID_FIELD", "end must be HH:MM or HH:MM:SS",
                                   x.path("end"));
                  i.start = *start;
                  i.end = *end;
                  i.tz = x.optionalString("tz", 64).value_or("");
                  if (x.has("weekdays")) {
                    i.weekdays = 0;
                    const auto days = x.stringArray("weekdays", 7, 3);
                    for (size_t k = 0; k < days.size(); ++k) {
                      auto it = std::find_if(std::begin(kWeekdays), std::end(kWeekdays),
                                             [&](const char* w) { return days[k] == w; });
                      if (it == std::end(kWeekdays)) {
                        throw ApiError(422, "INVALID_FIELD",
                                       "weekdays are sun, mon, tue, wed, thu, fri, sat",
                                       x.path("weekdays") + "[" + std::to_string(k) + "]");
                      }
                      i.weekdays |= static_cast<uint8_t>(1u << (it - std::begin(kWeekdays)));
                    }
                  }
                  intervals.push_back(std::move(i));
                }
                Status s = deps.gate->setInconvenientTimes(subject, intervals, caller(r));
                if (!s.isOk()) throw ApiError::fromStatus(s);
                Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                o->set("subject_id", subject);
                o->set("intervals", static_cast<int>(intervals.size()));
                return ApiResponse::json(200, o);
              }});
  router.add({"GET",
              "/v1/subjects/{id}/inconvenient-times",
              {Scope::kAdmin, Scope::kAgent, Scope::kAuditor},
              BodyKind::kNone,
              [deps](ApiRequest& r) {
                std::string subject = r.pathParam("id");
                if (!validId(subject)) throw ApiError(422, "INVALID_FIELD", "bad subject id", "id");
                auto v = deps.gate->inconvenientTimes(subject);
                if (!v.isOk()) throw ApiError::fromStatus(v.status());
                Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
                for (const auto& i : *v) {
                  Poco::JSON::Object::Ptr x = new Poco::JSON::Object;
                  Poco::JSON::Array::Ptr days = new Poco::JSON::Array;
                  for (int d = 0; d < 7; ++d) {
                    if (i.weekdays & (1u << d)) days->add(std::string(kWeekdays[d]));
                  }
                  x->set("weekdays", days);
                  x->set("start", formatTimeOfDay(i.start));
                  x->set("end", formatTimeOfDay(i.end));
                  if (!i.tz.empty()) x->set("tz", i.tz);
                  arr->add(x);
                }
                Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                o->set("subject_id", subject);
                o->set("intervals", arr);
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
