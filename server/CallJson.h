#pragma once
// JSON <-> gate types shared by the routes that decide on calls (check, reserve, place).
// Every reader enforces size limits and throws ApiError(422) naming the field.

#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <vector>

#include "common/Clock.h"
#include "dialer/CallGate.h"
#include "server/ApiMessage.h"
#include "server/JsonFields.h"
#include "server/Metrics.h"

namespace callwarden::server {

/// The request fields of POST /v1/calls/check (and of reserve and place, which extend it).
inline constexpr std::initializer_list<const char*> kCallRequestFields = {
    "to",          "purpose",        "call_type", "subject_id", "debts",
    "campaign_id", "subject_matter", "locations", "at"};

/// Ids become parts of ledger keys ("debt|subject|group"), so only [A-Za-z0-9-_.:@+/#] is allowed.
bool validId(const std::string& s);
std::string requireId(const JsonFields& f, const std::string& name);
std::vector<std::string> idArray(const JsonFields& f, const std::string& name);
Timestamp requireTime(const JsonFields& f, const std::string& name);
std::optional<Timestamp> optionalTime(const JsonFields& f, const std::string& name);
dialer::Caller caller(const ApiRequest& r);

/// Reads the check request. `at_allowed`: whether "at" may replace the clock (always on
/// check; on reserve and place only with policy.allow_client_time).
dialer::CallRequest parseCallRequest(const JsonFields& f, const Clock& clock, bool at_allowed);
/// {"decision","reasons","next_allowed_at","zones","jurisdictions","policy_version","decision_id",...}
/// as JSON text, the body of a check or a reservation.
std::string decisionBody(const dialer::GateDecision& d);
/// The same, as an object that routes add their own fields to.
Poco::JSON::Object::Ptr decisionJson(const dialer::GateDecision& d);
void countDecision(Metrics& m, const dialer::GateDecision& d);
Poco::JSON::Object::Ptr reservationJson(const dialer::Reservation& r, Timestamp now);

}  // namespace callwarden::server
