#include "rules/FrequencyRuleLoader.h"

#include <Poco/JSON/Parser.h>

#include <fstream>
#include <sstream>

#include "policy/Jurisdiction.h"

namespace callwarden::rules {
namespace {

using policy::FrequencyRule;

struct Fail {
  std::string message;
};

std::string str(const Poco::JSON::Object::Ptr& o, const std::string& k, const std::string& where) {
  if (!o->has(k) || !o->get(k).isString()) throw Fail{where + "." + k + ": expected a string"};
  return o->getValue<std::string>(k);
}

int num(const Poco::JSON::Object::Ptr& o, const std::string& k, const std::string& where) {
  if (!o->has(k) || !o->get(k).isInteger()) throw Fail{where + "." + k + ": expected an integer"};
  int v = o->getValue<int>(k);
  if (v < 0 || v > 100000) throw Fail{where + "." + k + ": out of range"};
  return v;
}

FrequencyRule parseRule(const Poco::JSON::Object::Ptr& o, const std::string& where) {
  for (const auto& [k, v] : *o) {
    static const std::set<std::string> known = {
        "id",     "kind",   "reason",   "purpose",  "jurisdiction", "scope", "limit",
        "window", "length", "citation", "evidence", "verified",     "note"};
    if (!known.count(k)) throw Fail{where + "." + k + ": unknown key"};
  }
  FrequencyRule r;
  r.id = str(o, "id", where);
  r.citation = str(o, "citation", where);
  const std::string kind = str(o, "kind", where);
  if (kind == "count")
    r.kind = FrequencyRule::Kind::kCount;
  else if (kind == "post_conversation")
    r.kind = FrequencyRule::Kind::kPostConversation;
  else
    throw Fail{where + ".kind: expected count or post_conversation"};
  const std::string reason = str(o, "reason", where);
  if (reason == "REGF_7_IN_7")
    r.code = policy::ReasonCode::kRegf7In7;
  else if (reason == "REGF_POST_CONVERSATION")
    r.code = policy::ReasonCode::kRegfPostConversation;
  else if (reason == "STATE_FREQUENCY_CAP")
    r.code = policy::ReasonCode::kStateFrequencyCap;
  else
    throw Fail{where +
               ".reason: expected REGF_7_IN_7, REGF_POST_CONVERSATION or STATE_FREQUENCY_CAP"};
  auto purpose = policy::parsePurpose(str(o, "purpose", where));
  if (!purpose.isOk()) throw Fail{where + ".purpose: " + purpose.status().message()};
  r.purpose = *purpose;
  auto j = policy::parseJurisdiction(str(o, "jurisdiction", where));
  if (!j) throw Fail{where + ".jurisdiction: expected US or US-XX"};
  r.jurisdiction = *j;
  const std::string scope = str(o, "scope", where);
  if (scope == "debt")
    r.scope = FrequencyRule::Scope::kDebt;
  else if (scope == "subject_matter")
    r.scope = FrequencyRule::Scope::kSubjectMatter;
  else
    throw Fail{where + ".scope: expected debt or subject_matter"};
  const std::string window = str(o, "window", where);
  if (window == "calendar_days")
    r.window = FrequencyRule::Window::kCalendarDays;
  else if (window == "rolling_hours")
    r.window = FrequencyRule::Window::kRollingHours;
  else
    throw Fail{where + ".window: expected calendar_days or rolling_hours"};
  r.length = num(o, "length", where);
  if (r.length == 0) throw Fail{where + ".length: must be positive"};
  r.limit = r.kind == FrequencyRule::Kind::kCount ? num(o, "limit", where) : 0;
  if (r.kind == FrequencyRule::Kind::kPostConversation &&
      r.window != FrequencyRule::Window::kCalendarDays) {
    throw Fail{where + ".window: a post-conversation block is counted in calendar days"};
  }
  return r;
}

}  // namespace

Result<std::vector<policy::FrequencyRule>> parseFrequencyRules(std::string_view json,
                                                               const std::string& source) {
  try {
    auto root = Poco::JSON::Parser().parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    auto arr = root->getArray("frequency_rules");
    if (arr.isNull())
      throw Fail{"$.frequency_rules: missing (an empty array states \"no limits\" explicitly)"};
    std::vector<policy::FrequencyRule> out;
    for (size_t i = 0; i < arr->size(); ++i) {
      std::string where = "$.frequency_rules[" + std::to_string(i) + "]";
      auto o = arr->getObject(static_cast<unsigned>(i));
      if (o.isNull()) throw Fail{where + ": expected an object"};
      out.push_back(parseRule(o, where));
    }
    return out;
  } catch (const Fail& f) {
    return Status::invalidArgument(source + ": " + f.message);
  } catch (const Poco::Exception& e) {
    return Status::invalidArgument(source + ": " + e.displayText());
  }
}

Result<std::vector<policy::FrequencyRule>> loadFrequencyRules(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::ioError("cannot read rule file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parseFrequencyRules(ss.str(), path);
}

}  // namespace callwarden::rules
