#include "rules/RecordingRuleLoader.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <set>
#include <sstream>

namespace callwarden::rules {
namespace {

struct Fail {
  std::string message;
};

std::string str(const Poco::JSON::Object::Ptr& o, const std::string& k, const std::string& where) {
  if (!o->has(k) || !o->get(k).isString()) throw Fail{where + "." + k + ": expected a string"};
  return o->getValue<std::string>(k);
}

}  // namespace

Result<std::vector<recording::AllPartyConsentRule>> parseRecordingRules(std::string_view json,
                                                                        const std::string& source) {
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    if (!root->has("recording_rules") || !root->isArray("recording_rules"))
      throw Fail{"$.recording_rules: expected an array"};
    auto arr = root->getArray("recording_rules");
    std::vector<recording::AllPartyConsentRule> out;
    std::set<std::string> ids;
    for (size_t i = 0; i < arr->size(); ++i) {
      const std::string where = "$.recording_rules[" + std::to_string(i) + "]";
      auto o = arr->getObject(static_cast<unsigned>(i));
      if (!o) throw Fail{where + ": expected an object"};
      for (const auto& [k, v] : *o) {
        static const std::set<std::string> known = {
            "id", "kind", "jurisdiction", "citation", "evidence", "verified", "note"};
        if (!known.count(k)) throw Fail{where + "." + k + ": unknown key"};
      }
      recording::AllPartyConsentRule r;
      r.id = str(o, "id", where);
      if (str(o, "kind", where) != "all_party_consent")
        throw Fail{where + ".kind: expected all_party_consent"};
      r.jurisdiction = str(o, "jurisdiction", where);
      if (r.jurisdiction.rfind("US-", 0) != 0 || r.jurisdiction.size() != 5)
        throw Fail{where + ".jurisdiction: expected US-XX"};
      r.citation = str(o, "citation", where);
      if (!o->has("verified") || !o->get("verified").isBoolean())
        throw Fail{where + ".verified: expected true or false"};
      r.verified = o->getValue<bool>("verified");
      if (!ids.insert(r.id).second) throw Fail{where + ".id: duplicate " + r.id};
      out.push_back(std::move(r));
    }
    return out;
  } catch (const Fail& f) {
    return Status::invalidArgument(source + ": " + f.message);
  } catch (const Poco::Exception& e) {
    return Status::invalidArgument(source + ": " + e.displayText());
  }
}

Result<std::vector<recording::AllPartyConsentRule>> loadRecordingRules(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::notFound("cannot read rule file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parseRecordingRules(ss.str(), path);
}

}  // namespace callwarden::rules
