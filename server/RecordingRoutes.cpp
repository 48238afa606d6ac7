#include "server/RecordingRoutes.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <cctype>

#include "common/Rfc3339.h"
#include "server/ApiError.h"
#include "server/CallJson.h"
#include "server/JsonFields.h"

namespace callwarden::server {
namespace {

using recording::PauseSession;
using recording::SessionKind;
using recording::SessionState;

std::string callSid(const ApiRequest& r) {
  std::string sid = r.pathParam("call_sid");
  const bool ok = sid.size() == 34 && sid.compare(0, 2, "CA") == 0 &&
                  std::all_of(sid.begin() + 2, sid.end(), [](char c) {
                    return std::isxdigit(static_cast<unsigned char>(c)) != 0;
                  });
  if (!ok) throw ApiError(404, "NOT_FOUND", "call_sid must be CA followed by 32 hex digits");
  return sid;
}

void requireConfigured(const RecordingRoutesDeps& deps) {
  if (!deps.control->configured()) {
    throw ApiError(503, "TWILIO_NOT_CONFIGURED",
                   "the Twilio gateway is not configured (twilio.account_sid)");
  }
}

Poco::Dynamic::Var timeOrNull(const std::optional<Timestamp>& t) {
  return t ? Poco::Dynamic::Var(formatRfc3339(*t)) : Poco::Dynamic::Var();
}

Poco::JSON::Object::Ptr sessionJson(const PauseSession& s) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("id", s.id);
  o->set("kind", std::string(recording::sessionKindName(s.kind)));
  o->set("state", std::string(recording::sessionStateName(s.state)));
  o->set("reason", s.reason);
  o->set("requested_at", formatRfc3339(s.requested_at));
  o->set("confirmed_at", timeOrNull(s.confirmed_at));
  o->set("resume_deadline", timeOrNull(s.resume_deadline));
  o->set("resumed_at", timeOrNull(s.resumed_at));
  o->set("closed_at", timeOrNull(s.closed_at));
  o->set("close_reason", s.close_reason);
  o->set("resume_attempts", s.resume_attempts);
  Poco::JSON::Array::Ptr sids = new Poco::JSON::Array;
  for (const auto& sid : s.recording_sids) sids->add(sid);
  o->set("recording_sids", sids);
  if (!s.last_error.empty()) o->set("last_error", s.last_error);
  return o;
}

// The visible recording state after a session operation.
std::string stateAfter(const RecordingRoutesDeps& deps, const std::string& call_sid) {
  auto v = deps.control->view(call_sid);
  return v.isOk() ? v->state : "unknown";
}

ApiResponse pauseResponse(const RecordingRoutesDeps& deps, const std::string& call_sid,
                          const dialer::PauseResult& res, const char* id_field) {
  switch (res.outcome) {
    case dialer::PauseOutcome::kPaused: {
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
      o->set(id_field, res.session.id);
      o->set("recording_state", stateAfter(deps, call_sid));
      o->set("resume_deadline", timeOrNull(res.session.resume_deadline));
      Poco::JSON::Array::Ptr sids = new Poco::JSON::Array;
      for (const auto& sid : res.session.recording_sids) sids->add(sid);
      o->set("recording_sids", sids);
      return ApiResponse::json(201, o);
    }
    case dialer::PauseOutcome::kConflict:
      throw ApiError(
          409, "SESSION_OPEN",
          "the call already has an open payment or pause session (" + res.session.id + ")");
    case dialer::PauseOutcome::kUnconfirmed:
    default: {
      Poco::JSON::Object::Ptr err = new Poco::JSON::Object;
      err->set("code", "PAUSE_UNCONFIRMED");
      err->set("message",
               "Twilio did not confirm the pause; the recording is NOT paused, do not take card "
               "data: " +
                   res.message);
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
      o->set("error", err);
      o->set("recording_state", stateAfter(deps, call_sid));
      return ApiResponse::json(503, o);
    }
  }
}

ApiResponse closedResponse(const RecordingRoutesDeps& deps, const std::string& call_sid,
                           const PauseSession& s) {
  Poco::JSON::Object::Ptr o = sessionJson(s);
  o->set("recording_state", stateAfter(deps, call_sid));
  // A resume that failed is retried by the worker; the agent is told, not blocked.
  return ApiResponse::json(s.state == SessionState::kResumeFailed ? 502 : 200, o);
}

}  // namespace

void addRecordingRoutes(Router& router, RecordingRoutesDeps deps) {
  router.add({"POST",
              "/v1/calls/{call_sid}/payments",
              {Scope::kAgent},
              BodyKind::kJson,
              [deps](ApiRequest& r) {
                JsonFields f(r.json);
                f.rejectUnknown({"reason"});
                const std::string sid = callSid(r);
                requireConfigured(deps);
                const std::string reason = f.optionalString("reason", 200).value_or("payment");
                auto res = deps.control->openPause(sid, SessionKind::kPayment, reason, caller(r));
                if (!res.isOk()) throw ApiError::fromStatus(res.status());
                return pauseResponse(deps, sid, *res, "payment_id");
              }});
  router.add({"POST",
              "/v1/calls/{call_sid}/payments/{payment_id}/complete",
              {Scope::kAgent},
              BodyKind::kNone,
              [deps](ApiRequest& r) {
                const std::string sid = callSid(r);
                requireConfigured(deps);
                auto res = deps.control->closeSession(
                    sid, r.pathParam("payment_id"), SessionKind::kPayment, "completed", caller(r));
                if (!res.isOk()) throw ApiError::fromStatus(res.status());
                return closedResponse(deps, sid, *res);
              }});
  router.add({"POST",
              "/v1/calls/{call_sid}/recordings/pause",
              {Scope::kAgent},
              BodyKind::kJson,
              [deps](ApiRequest& r) {
                JsonFields f(r.json);
                f.rejectUnknown({"reason"});
                const std::string sid = callSid(r);
                const std::string reason = f.requiredString("reason", 200);
                requireConfigured(deps);
                auto res = deps.control->openPause(sid, SessionKind::kPause, reason, caller(r));
                if (!res.isOk()) throw ApiError::fromStatus(res.status());
                return pauseResponse(deps, sid, *res, "pause_id");
              }});
  router.add({"POST",
              "/v1/calls/{call_sid}/recordings/resume",
              {Scope::kAgent},
              BodyKind::kJson,
              [deps](ApiRequest& r) {
                JsonFields f(r.json);
                f.rejectUnknown({"reason"});
                const std::string sid = callSid(r);
                f.requiredString("reason", 200);
                requireConfigured(deps);
                auto open = deps.control->openSession(sid);
                if (!open.isOk()) throw ApiError::fromStatus(open.status());
                if (!*open) {
                  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                  o->set("recording_state", stateAfter(deps, sid));
                  return ApiResponse::json(200, o);
                }
                if ((*open)->kind == SessionKind::kPayment)
                  throw ApiError(409, "PAYMENT_OPEN",
                                 "a payment is open; complete it with its own endpoint");
                auto res = deps.control->closeSession(sid, (*open)->id, SessionKind::kPause,
                                                      "manual", caller(r));
                if (!res.isOk()) throw ApiError::fromStatus(res.status());
                return closedResponse(deps, sid, *res);
              }});
  router.add({"POST",
              "/v1/calls/{call_sid}/recordings",
              {Scope::kAgent},
              BodyKind::kJson,
              [deps](ApiRequest& r) {
                JsonFields f(r.json);
                f.rejectUnknown({"to", "subject_id", "locations"});
                const std::string sid = callSid(r);
                // The subject's number (for an inbound call, the caller's From).
                const std::string to = f.requiredString("to", 32);
                std::string subject_id;
                if (f.has("subject_id")) subject_id = requireId(f, "subject_id");
                std::vector<policy::Location> locations;
                for (const auto& loc : f.objectArray("locations", 10)) {
                  loc.rejectUnknown({"state", "zip", "tz"});
                  policy::Location l;
                  l.state = loc.optionalString("state", 2).value_or("");
                  l.zip = loc.optionalString("zip", 10).value_or("");
                  l.tz = loc.optionalString("tz", 64).value_or("");
                  locations.push_back(std::move(l));
                }
                requireConfigured(deps);
                auto decision = deps.control->decide(to, subject_id, locations, {});
                Poco::JSON::Object::Ptr rec = new Poco::JSON::Object;
                rec->set("record", decision.record);
                rec->set("channels", decision.channels);
                rec->set("announce", decision.announce);
                rec->set("basis", decision.basis);
                Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                o->set("recording", rec);
                if (!decision.record) {
                  o->set("recording_sid", Poco::Dynamic::Var());
                  o->set("recording_state", stateAfter(deps, sid));
                  return ApiResponse::json(200, o);
                }
                auto res = deps.control->startRecording(sid, decision, caller(r));
                if (!res.isOk()) {
                  if (res.status().code() == ErrorCode::kFailedPrecondition)
                    throw ApiError(409, "RECORDING_NOT_STARTED", res.status().message());
                  if (res.status().code() == ErrorCode::kConflict)
                    throw ApiError(409, "RECORDING_PAUSED", res.status().message());
                  throw ApiError(503, "TWILIO_UNAVAILABLE", res.status().message());
                }
                o->set("recording_sid", res->sid);
                o->set("recording_state", stateAfter(deps, sid));
                return ApiResponse::json(201, o);
              }});
  router.add({"GET",
              "/v1/calls/{call_sid}/recording",
              {Scope::kAgent, Scope::kAuditor},
              BodyKind::kNone,
              [deps](ApiRequest& r) {
                const std::string sid = callSid(r);
                auto v = deps.control->view(sid);
                if (!v.isOk()) throw ApiError::fromStatus(v.status());
                Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                o->set("call_sid", sid);
                o->set("state", v->state);
                Poco::JSON::Array::Ptr recs = new Poco::JSON::Array;
                Poco::JSON::Array::Ptr sids = new Poco::JSON::Array;
                for (const auto& rec : v->recordings) {
                  Poco::JSON::Object::Ptr x = new Poco::JSON::Object;
                  x->set("sid", rec.sid);
                  x->set("status", rec.status);
                  x->set("source", rec.source);
                  x->set("updated_at", formatRfc3339(rec.updated_at));
                  recs->add(x);
                  sids->add(rec.sid);
                }
                o->set("recording_sids", sids);
                o->set("recordings", recs);
                Poco::JSON::Array::Ptr hist = new Poco::JSON::Array;
                Poco::Dynamic::Var open;
                for (const auto& s : v->sessions) {
                  hist->add(sessionJson(s));
                  if (recording::isOpen(s.state)) open = sessionJson(s);
                }
                o->set("open_session", open);
                o->set("history", hist);
                return ApiResponse::json(200, o);
              }});
}

}  // namespace callwarden::server
