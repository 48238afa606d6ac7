#include "server/CallJson.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>

#include "common/JsonEscape.h"
#include "common/Rfc3339.h"
#include "server/ApiError.h"

namespace callwarden::server {
namespace {

constexpr size_t kMaxDebts = 50;
constexpr size_t kMaxLocations = 10;
constexpr size_t kIdMax = 128;

}  // namespace

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

namespace {

std::string callerKey(const ApiRequest& r) {
  return r.principal ? r.principal->key_name : "";
}
}  // namespace

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

namespace {
void appendStringArray(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    appendJsonString(out, items[i]);
  }
  out += ']';
}
}  // namespace

// Written by hand, not through Poco::JSON: building and stringifying the object tree took a
// twelfth of a call check's CPU. Keys are in the order Poco's (sorted) objects give them, so
// the body is byte for byte what the routes answered before.
std::string decisionBody(const dialer::GateDecision& d) {
  std::string out;
  out.reserve(512);
  out += "{\"decision\":";
  out += d.allowed ? "\"allow\"" : "\"deny\"";
  out += ",\"decision_id\":";
  appendJsonString(out, d.decision_id);
  if (d.expires_at) {
    out += ",\"expires_at\":";
    appendJsonString(out, formatRfc3339(*d.expires_at));
  }
  out += ",\"jurisdictions\":";
  appendStringArray(out, d.jurisdictions);
  out += ",\"next_allowed_at\":";
  if (d.next_allowed_at)
    appendJsonString(out, formatRfc3339(*d.next_allowed_at));
  else
    out += "null";
  out += ",\"policy_version\":";
  appendJsonString(out, d.policy_version);
  out += ",\"reasons\":[";
  for (size_t i = 0; i < d.reasons.size(); ++i) {
    const auto& r = d.reasons[i];
    out += i > 0 ? ",{\"code\":" : "{\"code\":";
    appendJsonString(out, policy::reasonCodeName(r.code));
    out += ",\"message\":";
    appendJsonString(out, r.message);
    out += ",\"rule\":";
    appendJsonString(out, r.rule);
    out += '}';
  }
  out += ']';
  if (d.recording) {
    const auto& rec = *d.recording;
    out += ",\"recording\":{\"announce\":";
    out += rec.announce ? "true" : "false";
    out += ",\"basis\":";
    appendJsonString(out, rec.basis);
    out += ",\"channels\":";
    appendJsonString(out, rec.channels);
    out += ",\"record\":";
    out += rec.record ? "true" : "false";
    out += ",\"rules\":";
    appendStringArray(out, rec.rules);
    out += '}';
  }
  if (d.reservation_id) {
    out += ",\"reservation_id\":";
    appendJsonString(out, *d.reservation_id);
  }
  out += ",\"zones\":";
  appendStringArray(out, d.zones);
  out += '}';
  return out;
}

Poco::JSON::Object::Ptr decisionJson(const dialer::GateDecision& d) {
  return Poco::JSON::Parser().parse(decisionBody(d)).extract<Poco::JSON::Object::Ptr>();
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

}  // namespace callwarden::server
