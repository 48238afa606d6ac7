// The decision body is written by hand (server/CallJson): it must be valid JSON with exactly
// the keys, values and layout Poco's objects produced before, for every optional field.

#include "server/CallJson.h"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "common/Rfc3339.h"

namespace callwarden::server {
namespace {

std::string pocoStringify(const Poco::JSON::Object::Ptr& o) {
  std::ostringstream os;
  o->stringify(os);
  return os.str();
}

dialer::GateDecision fullDecision() {
  dialer::GateDecision d;
  d.allowed = false;
  d.reasons = {{policy::ReasonCode::kCallingWindow, "US/tcpa-hours", "calls allowed 08:00-21:00"},
               {policy::ReasonCode::kDncInternal, "callwarden/dnc",
                "quote \" backslash \\ newline \n tab \t bell \x07 caf\xc3\xa9"}};
  d.next_allowed_at = *parseRfc3339("2026-07-15T12:00:00Z");
  d.zones = {"America/Chicago", "America/New_York"};
  d.jurisdictions = {"US", "US-FL"};
  d.policy_version = "us-2026.11.1";
  d.decision_id = "dec_0123";
  d.reservation_id = "res_42";
  d.expires_at = *parseRfc3339("2026-07-15T12:05:00Z");
  recording::RecordingDecision rec;
  rec.record = true;
  rec.announce = true;
  rec.basis = "all_party_consent";
  rec.rules = {"US-FL/recording-all-party"};
  d.recording = rec;
  return d;
}

TEST(DecisionBody, IsWhatPocoWritesForTheSameObject) {
  dialer::GateDecision minimal;
  minimal.allowed = true;
  minimal.policy_version = "v";
  minimal.decision_id = "dec_1";
  for (const auto& d : {minimal, fullDecision()}) {
    const std::string body = decisionBody(d);
    Poco::JSON::Object::Ptr parsed;
    ASSERT_NO_THROW(parsed = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>())
        << body;
    EXPECT_EQ(pocoStringify(parsed), body);
  }
}

TEST(DecisionBody, CarriesEveryField) {
  auto o = decisionJson(fullDecision());
  EXPECT_EQ(o->getValue<std::string>("decision"), "deny");
  EXPECT_EQ(o->getValue<std::string>("next_allowed_at"), "2026-07-15T12:00:00Z");
  EXPECT_EQ(o->getValue<std::string>("expires_at"), "2026-07-15T12:05:00Z");
  EXPECT_EQ(o->getValue<std::string>("reservation_id"), "res_42");
  EXPECT_EQ(o->getArray("zones")->size(), 2u);
  EXPECT_EQ(o->getArray("jurisdictions")->getElement<std::string>(1), "US-FL");
  auto reasons = o->getArray("reasons");
  ASSERT_EQ(reasons->size(), 2u);
  EXPECT_EQ(reasons->getObject(0)->getValue<std::string>("code"), "CALLING_WINDOW");
  EXPECT_EQ(reasons->getObject(1)->getValue<std::string>("message"),
            "quote \" backslash \\ newline \n tab \t bell \x07 caf\xc3\xa9");
  auto rec = o->getObject("recording");
  EXPECT_TRUE(rec->getValue<bool>("record"));
  EXPECT_EQ(rec->getValue<std::string>("channels"), "dual");
  EXPECT_TRUE(decisionJson(dialer::GateDecision{})->isNull("next_allowed_at"));
}

}  // namespace
}  // namespace callwarden::server
