#include "server/GatewayRoutes.h"

#include "common/PercentEncode.h"

#include <algorithm>
#include <cctype>

#include "server/ApiError.h"
#include "server/CallJson.h"
#include "server/JsonFields.h"

namespace callwarden::server {
namespace {

bool isE164(const std::string& s) {
  return s.size() >= 3 && s.size() <= 16 && s[0] == '+' && s[1] >= '1' && s[1] <= '9' &&
         std::all_of(s.begin() + 1, s.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

bool isSid(const std::string& s, const char* prefix) {
  return s.size() == 34 && s.compare(0, 2, prefix) == 0 &&
         std::all_of(s.begin() + 2, s.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

bool isHttpUrl(const std::string& s) {
  return (s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0) &&
         std::none_of(s.begin(), s.end(),
                      [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

// Reads the Twilio call fields a dialer may set. Callbacks, recording and anything else are
// not accepted (rejectUnknown), so the dialer cannot redirect Twilio's reports or stop the
// recording.
dialer::OutboundCall parseCallFields(const JsonFields& f) {
  dialer::OutboundCall call;
  call.from = f.requiredString("from", 32);
  if (!isE164(call.from))
    throw ApiError(422, "INVALID_FIELD", "from must be an E.164 number (+15551234567)", "from");
  call.url = f.optionalString("url", 2048).value_or("");
  call.twiml = f.optionalString("twiml", 4000).value_or("");
  call.application_sid = f.optionalString("application_sid", 34).value_or("");
  const int given = !call.url.empty() + !call.twiml.empty() + !call.application_sid.empty();
  if (given == 0)
    throw ApiError(422, "MISSING_FIELD", "one of url, twiml or application_sid is required", "url");
  if (given > 1) {
    throw ApiError(422, "INVALID_FIELD", "give only one of url, twiml or application_sid",
                   call.url.empty() ? "twiml" : "url");
  }
  if (!call.url.empty() && !isHttpUrl(call.url))
    throw ApiError(422, "INVALID_FIELD", "url must be an http(s) URL", "url");
  if (!call.application_sid.empty() && !isSid(call.application_sid, "AP"))
    throw ApiError(422, "INVALID_FIELD", "application_sid must be AP followed by 32 hex digits",
                   "application_sid");
  call.machine_detection = f.optionalString("machine_detection", 32).value_or("");
  if (!call.machine_detection.empty() && call.machine_detection != "Enable" &&
      call.machine_detection != "DetectMessageEnd") {
    throw ApiError(422, "INVALID_FIELD", "machine_detection must be Enable or DetectMessageEnd",
                   "machine_detection");
  }
  if (auto t = f.optionalInt("timeout", 1, 600)) call.timeout_seconds = static_cast<int>(*t);
  call.caller_id = f.optionalString("caller_id", 64).value_or("");
  return call;
}

// {"error":{...}} plus the decision fields, so a dialer sees why and when in one body.
ApiResponse errorWithDecision(int status, const std::string& code, const std::string& message,
                              const dialer::PlaceResult& res) {
  auto o = decisionJson(res.decision);
  Poco::JSON::Object::Ptr err = new Poco::JSON::Object;
  err->set("code", code);
  err->set("message", message);
  if (res.error) {
    err->set("twilio_code", res.error->code);
    err->set("twilio_http_status", res.error->http_status);
  }
  o->set("error", err);
  if (res.decision.reservation_id) o->set("reservation_state", "released");
  auto r = ApiResponse::json(status, o);
  if (res.error && res.error->retry_after)
    r.headers.emplace_back("Retry-After", std::to_string(res.error->retry_after->count()));
  return r;
}

ApiResponse placeResponse(const dialer::PlaceResult& res) {
  using dialer::PlaceOutcome;
  const std::string twilio_message = res.error ? res.error->message : "";
  switch (res.outcome) {
    case PlaceOutcome::kPlaced:
    case PlaceOutcome::kUnknown: {
      auto o = decisionJson(res.decision);
      o->set("call_sid",
             res.call_sid.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(res.call_sid));
      o->set("status", res.call_status);
      o->set("reconciled", res.reconciled);
      // 202: the call may exist and counts; the outcome arrives by callback or reconciliation.
      return ApiResponse::json(res.outcome == PlaceOutcome::kPlaced ? 201 : 202, o);
    }
    case PlaceOutcome::kDenied:
      return errorWithDecision(403, "CALL_DENIED", "the gate denied this call; nothing was sent",
                               res);
    case PlaceOutcome::kRefused:
      return errorWithDecision(
          502, "TWILIO_REFUSED",
          "Twilio refused the call; the reservation was released: " + twilio_message, res);
    case PlaceOutcome::kRateLimited:
      return errorWithDecision(503, "TWILIO_RATE_LIMITED",
                               "Twilio is rate limiting calls; the reservation was released", res);
    case PlaceOutcome::kInvalid:
      return errorWithDecision(422, "INVALID_FIELD",
                               "the call was rejected before sending: " + twilio_message, res);
    case PlaceOutcome::kUnavailable:
    default:
      return errorWithDecision(503, "TWILIO_UNAVAILABLE",
                               "Twilio could not be reached; the reservation was released", res);
  }
}

RouteHandler webhookHandler(const GatewayRoutesDeps& deps, dialer::WebhookKind kind) {
  return [deps, kind](ApiRequest& r) {
    std::string url = deps.public_base_url + r.path;
    if (!r.query.empty()) {
      // Our callback URLs carry no query; any other is re-encoded and so fails unless it was
      // signed in exactly this form.
      std::string q;
      for (const auto& [k, v] : r.query)
        q += (q.empty() ? "" : "&") + percentEncode(k) + "=" + percentEncode(v);
      url += "?" + q;
    }
    auto it = r.headers.find("x-twilio-signature");
    const std::string signature = it == r.headers.end() ? std::string() : it->second;
    Status s = deps.placer->receiveWebhook(kind, r.route, url, r.form, signature, r.request_id);
    if (s.code() == ErrorCode::kPermissionDenied)
      throw ApiError(403, "INVALID_SIGNATURE", s.message());
    if (!s.isOk()) throw ApiError::fromStatus(s);
    return ApiResponse::text(204, "");
  };
}

}  // namespace

void addGatewayRoutes(Router& router, GatewayRoutesDeps deps) {
  while (!deps.public_base_url.empty() && deps.public_base_url.back() == '/')
    deps.public_base_url.pop_back();
  router.add({"POST", "/v1/calls", {Scope::kDialer}, BodyKind::kJson, [deps](ApiRequest& r) {
                JsonFields f(r.json);
                f.rejectUnknown(kCallRequestFields, {"from", "url", "twiml", "application_sid",
                                                     "machine_detection", "timeout", "caller_id"});
                if (!deps.placer->configured()) {
                  throw ApiError(503, "TWILIO_NOT_CONFIGURED",
                                 "the Twilio gateway is not configured (twilio.account_sid)");
                }
                auto req = parseCallRequest(f, *deps.clock, deps.allow_client_time);
                auto call = parseCallFields(f);
                auto res = deps.placer->place(req, std::move(call), caller(r));
                if (!res.isOk()) throw ApiError::fromStatus(res.status());
                countDecision(*deps.metrics, res->decision);
                return placeResponse(*res);
              }});
  router.add({"POST",
              "/twilio/call-status",
              {},
              BodyKind::kForm,
              webhookHandler(deps, dialer::WebhookKind::kCallStatus)});
  router.add({"POST",
              "/twilio/recording-status",
              {},
              BodyKind::kForm,
              webhookHandler(deps, dialer::WebhookKind::kRecordingStatus)});
}

}  // namespace callwarden::server
