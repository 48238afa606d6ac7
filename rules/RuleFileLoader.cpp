#include "rules/RuleFileLoader.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "policy/Jurisdiction.h"

namespace callwarden::rules {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using namespace callwarden::policy;

// Thrown inside this file only, caught in parseRuleSet: keeps the walker readable.
struct LoadError {
  std::string path;
  std::string what;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw LoadError{path, what};
}

bool isObject(const Var& v) {
  return v.type() == typeid(Object::Ptr);
}
bool isArray(const Var& v) {
  return v.type() == typeid(Array::Ptr);
}

std::string describe(const Var& v) {
  if (v.isEmpty()) return "null";
  if (isObject(v)) return "an object";
  if (isArray(v)) return "an array";
  try {
    return v.isString() ? "\"" + v.toString() + "\"" : v.toString();
  } catch (const Poco::Exception&) {
    return "a value";
  }
}

Object::Ptr asObject(const Var& v, const std::string& path) {
  if (!isObject(v)) fail(path, "expected an object, got " + describe(v));
  return v.extract<Object::Ptr>();
}
Array::Ptr asArray(const Var& v, const std::string& path) {
  if (!isArray(v)) fail(path, "expected an array, got " + describe(v));
  return v.extract<Array::Ptr>();
}
std::string asString(const Var& v, const std::string& path) {
  if (!v.isString()) fail(path, "expected a string, got " + describe(v));
  return v.toString();
}
long asInt(const Var& v, const std::string& path) {
  if (!v.isInteger()) fail(path, "expected an integer, got " + describe(v));
  return v.convert<long>();
}
bool asBool(const Var& v, const std::string& path) {
  if (!v.isBoolean()) fail(path, "expected true or false, got " + describe(v));
  return v.extract<bool>();
}

void allowOnly(const Object::Ptr& o, const std::string& path,
               std::initializer_list<const char*> keys) {
  for (const auto& [key, value] : *o) {
    bool known = false;
    for (const char* k : keys) known = known || key == k;
    if (!known) fail(path + "." + key, "unknown key");
  }
}

Var required(const Object::Ptr& o, const std::string& path, const std::string& key) {
  if (!o->has(key)) fail(path + "." + key, "missing");
  return o->get(key);
}

// "08:00", "08:00:01", "24:00" -> seconds after midnight.
std::int32_t parseTimeOfDay(const Var& v, const std::string& path) {
  const std::string s = asString(v, path);
  int h = 0, m = 0, sec = 0;
  char c1 = 0, c2 = 0;
  std::istringstream in(s);
  bool ok = s.size() == 5 || s.size() == 8;
  if (ok) {
    in >> h >> c1 >> m;
    if (s.size() == 8) in >> c2 >> sec;
    ok = !in.fail() && c1 == ':' && (s.size() == 5 || c2 == ':') && h >= 0 && m >= 0 && m < 60 &&
         sec >= 0 && sec < 60 && (h < 24 || (h == 24 && m == 0 && sec == 0));
  }
  if (!ok) fail(path, "expected HH:MM or HH:MM:SS (00:00..24:00), got \"" + s + "\"");
  return h * 3600 + m * 60 + sec;
}

date::sys_days parseDate(const Var& v, const std::string& path) {
  const std::string s = asString(v, path);
  // By hand: date::parse trips g++ 12's -Wmaybe-uninitialized inside date.h.
  auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const bool shape = s.size() == 10 && s[4] == '-' && s[7] == '-';
  const int y = shape ? num(0, 4) : -1, m = shape ? num(5, 2) : -1, d = shape ? num(8, 2) : -1;
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m < 0 ? 0 : m)},
                                 date::day{static_cast<unsigned>(d < 0 ? 0 : d)}};
  if (!shape || y < 0 || m < 0 || d < 0 || !ymd.ok())
    fail(path, "expected a date YYYY-MM-DD, got \"" + s + "\"");
  return date::sys_days{ymd};
}

unsigned parseWeekday(const Var& v, const std::string& path) {
  static const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  const std::string s = asString(v, path);
  for (unsigned i = 0; i < 7; ++i) {
    if (s == names[i]) return i;
  }
  fail(path, "expected a weekday (sun, mon, tue, wed, thu, fri, sat), got \"" + s + "\"");
}

HolidayRule parseHoliday(const Object::Ptr& o, const std::string& path) {
  allowOnly(o, path,
            {"name", "fixed", "observed", "nth_weekday", "easter", "weekday_on_or_after",
             "from_year", "to_year", "even_years_only", "note"});
  HolidayRule h;
  h.name = asString(required(o, path, "name"), path + ".name");
  int kinds = 0;
  if (o->has("fixed")) {
    ++kinds;
    h.kind = HolidayRule::Kind::kFixed;
    const std::string s = asString(o->get("fixed"), path + ".fixed");
    unsigned mo = 0, d = 0;
    char dash = 0;
    std::istringstream in(s);
    in >> mo >> dash >> d;
    if (in.fail() || dash != '-' || s.size() != 5 || mo < 1 || mo > 12 || d < 1 || d > 31) {
      fail(path + ".fixed", "expected MM-DD, got \"" + s + "\"");
    }
    h.month = mo;
    h.day = d;
    if (o->has("observed")) h.observed = asBool(o->get("observed"), path + ".observed");
  }
  if (o->has("nth_weekday")) {
    ++kinds;
    const std::string p = path + ".nth_weekday";
    Object::Ptr n = asObject(o->get("nth_weekday"), p);
    allowOnly(n, p, {"month", "weekday", "n"});
    h.kind = HolidayRule::Kind::kNthWeekday;
    h.month = static_cast<unsigned>(asInt(required(n, p, "month"), p + ".month"));
    h.weekday = parseWeekday(required(n, p, "weekday"), p + ".weekday");
    const Var nv = required(n, p, "n");
    if (nv.isString() && nv.toString() == "last") {
      h.nth = -1;
    } else {
      h.nth = static_cast<int>(asInt(nv, p + ".n"));
      if (h.nth < 1 || h.nth > 5) fail(p + ".n", "expected 1..5 or \"last\"");
    }
  }
  if (o->has("easter")) {
    ++kinds;
    h.kind = HolidayRule::Kind::kEaster;
    h.easter_offset = static_cast<int>(asInt(o->get("easter"), path + ".easter"));
  }
  if (o->has("weekday_on_or_after")) {
    ++kinds;
    const std::string p = path + ".weekday_on_or_after";
    Object::Ptr n = asObject(o->get("weekday_on_or_after"), p);
    allowOnly(n, p, {"month", "day", "weekday"});
    h.kind = HolidayRule::Kind::kWeekdayOnOrAfter;
    h.month = static_cast<unsigned>(asInt(required(n, p, "month"), p + ".month"));
    h.day = static_cast<unsigned>(asInt(required(n, p, "day"), p + ".day"));
    h.weekday = parseWeekday(required(n, p, "weekday"), p + ".weekday");
  }
  if (kinds != 1)
    fail(path, "exactly one of fixed, nth_weekday, easter, weekday_on_or_after is required");
  if (o->has("from_year"))
    h.first_year = static_cast<int>(asInt(o->get("from_year"), path + ".from_year"));
  if (o->has("to_year"))
    h.last_year = static_cast<int>(asInt(o->get("to_year"), path + ".to_year"));
  if (o->has("even_years_only"))
    h.even_years_only = asBool(o->get("even_years_only"), path + ".even_years_only");
  return h;
}

HolidayCalendar parseCalendar(const Object::Ptr& o, const std::string& path) {
  allowOnly(
      o, path,
      {"id", "years", "observed", "holidays", "adhoc", "citation", "evidence", "verified", "note"});
  const std::string id = asString(required(o, path, "id"), path + ".id");
  Array::Ptr years = asArray(required(o, path, "years"), path + ".years");
  if (years->size() != 2) fail(path + ".years", "expected [first_year, last_year]");
  const int first = static_cast<int>(asInt(years->get(0), path + ".years[0]"));
  const int last = static_cast<int>(asInt(years->get(1), path + ".years[1]"));
  ObservedRule observed;
  if (o->has("observed")) {
    const std::string p = path + ".observed";
    Object::Ptr ob = asObject(o->get("observed"), p);
    allowOnly(ob, p, {"saturday", "sunday", "keep_actual"});
    if (ob->has("saturday"))
      observed.saturday_shift = static_cast<int>(asInt(ob->get("saturday"), p + ".saturday"));
    if (ob->has("sunday"))
      observed.sunday_shift = static_cast<int>(asInt(ob->get("sunday"), p + ".sunday"));
    if (ob->has("keep_actual"))
      observed.keep_actual = asBool(ob->get("keep_actual"), p + ".keep_actual");
    if (std::abs(observed.saturday_shift) > 2 || std::abs(observed.sunday_shift) > 2) {
      fail(p, "observed shifts are days in -2..2");
    }
  }
  std::vector<HolidayRule> holidays;
  Array::Ptr hs = asArray(required(o, path, "holidays"), path + ".holidays");
  for (std::size_t i = 0; i < hs->size(); ++i) {
    const std::string p = path + ".holidays[" + std::to_string(i) + "]";
    holidays.push_back(parseHoliday(asObject(hs->get(static_cast<unsigned>(i)), p), p));
  }
  std::vector<AdHocHoliday> adhoc;
  if (o->has("adhoc")) {
    Array::Ptr as = asArray(o->get("adhoc"), path + ".adhoc");
    for (std::size_t i = 0; i < as->size(); ++i) {
      const std::string p = path + ".adhoc[" + std::to_string(i) + "]";
      Object::Ptr a = asObject(as->get(static_cast<unsigned>(i)), p);
      allowOnly(a, p, {"date", "name", "citation"});
      adhoc.push_back({date::year_month_day{parseDate(required(a, p, "date"), p + ".date")},
                       asString(required(a, p, "name"), p + ".name")});
    }
  }
  auto cal =
      HolidayCalendar::create(id, first, last, observed, std::move(holidays), std::move(adhoc));
  if (!cal) fail(path, cal.status().message());
  return std::move(cal).value();
}

DayWindow parseWindow(const Var& v, const std::string& path) {
  DayWindow w;
  if (v.isEmpty()) {  // null: no calls that day
    w.open = false;
    return w;
  }
  Array::Ptr a = asArray(v, path);
  if (a->size() != 2) fail(path, "expected [\"HH:MM\", \"HH:MM\"] or null (no calls)");
  w.start = parseTimeOfDay(a->get(0), path + "[0]");
  w.end = parseTimeOfDay(a->get(1), path + "[1]");
  if (w.start >= w.end) fail(path, "start must be before end");
  return w;
}

std::chrono::seconds parseClock(const std::string& s, const std::string& path) {
  // "UTC-06:00" / "UTC+05:30"
  if (s.size() == 9 && s.compare(0, 3, "UTC") == 0 && (s[3] == '+' || s[3] == '-') && s[6] == ':') {
    const int h = std::atoi(s.substr(4, 2).c_str());
    const int m = std::atoi(s.substr(7, 2).c_str());
    if (std::isdigit(static_cast<unsigned char>(s[4])) &&
        std::isdigit(static_cast<unsigned char>(s[5])) &&
        std::isdigit(static_cast<unsigned char>(s[7])) &&
        std::isdigit(static_cast<unsigned char>(s[8])) && h <= 14 && m < 60) {
      const int sign = s[3] == '-' ? -1 : 1;
      return std::chrono::seconds{sign * (h * 3600 + m * 60)};
    }
  }
  fail(path, "expected \"local\" or a fixed offset like \"UTC-06:00\", got \"" + s + "\"");
}

Rule parseRule(const Object::Ptr& o, const std::string& path) {
  allowOnly(o, path,
            {"id", "jurisdiction", "purposes", "call_types", "unless_prior_express_consent",
             "effective_from", "effective_to", "clock", "hours", "holidays", "emergency_ban",
             "citation", "evidence", "verified", "summary", "note"});
  Rule r;
  r.id = asString(required(o, path, "id"), path + ".id");
  r.jurisdiction = asString(required(o, path, "jurisdiction"), path + ".jurisdiction");
  Array::Ptr purposes = asArray(required(o, path, "purposes"), path + ".purposes");
  r.purposes = 0;
  for (std::size_t i = 0; i < purposes->size(); ++i) {
    const std::string p = path + ".purposes[" + std::to_string(i) + "]";
    auto purpose = parsePurpose(asString(purposes->get(static_cast<unsigned>(i)), p));
    if (!purpose) fail(p, purpose.status().message());
    r.purposes |= purposeBit(*purpose);
  }
  if (r.purposes == 0) fail(path + ".purposes", "at least one purpose");
  if (o->has("call_types")) {
    Array::Ptr types = asArray(o->get("call_types"), path + ".call_types");
    r.call_types = 0;
    for (std::size_t i = 0; i < types->size(); ++i) {
      const std::string p = path + ".call_types[" + std::to_string(i) + "]";
      auto type = parseCallType(asString(types->get(static_cast<unsigned>(i)), p));
      if (!type) fail(p, type.status().message());
      r.call_types |= callTypeBit(*type);
    }
    if (r.call_types == 0) fail(path + ".call_types", "at least one call type");
  }
  if (o->has("unless_prior_express_consent")) {
    r.unless_prior_express_consent =
        asBool(o->get("unless_prior_express_consent"), path + ".unless_prior_express_consent");
  }
  if (o->has("effective_from") && !o->isNull("effective_from")) {
    r.effective_from = parseDate(o->get("effective_from"), path + ".effective_from");
  }
  if (o->has("effective_to") && !o->isNull("effective_to")) {
    r.effective_to = parseDate(o->get("effective_to"), path + ".effective_to");
  }
  if (r.effective_from && r.effective_to && *r.effective_from >= *r.effective_to) {
    fail(path + ".effective_to", "must be after effective_from (it is exclusive)");
  }
  if (o->has("clock")) {
    const std::string c = asString(o->get("clock"), path + ".clock");
    if (c != "local") r.fixed_utc_offset = parseClock(c, path + ".clock");
  }
  const std::string hp = path + ".hours";
  Object::Ptr hours = asObject(required(o, path, "hours"), hp);
  allowOnly(hours, hp, {"default", "sun", "mon", "tue", "wed", "thu", "fri", "sat"});
  static const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  const DayWindow def = parseWindow(required(hours, hp, "default"), hp + ".default");
  for (unsigned d = 0; d < 7; ++d) {
    r.days[d] = hours->has(names[d]) ? parseWindow(hours->get(names[d]), hp + "." + names[d]) : def;
  }
  if (o->has("holidays") && !o->isNull("holidays"))
    r.holiday_calendar = asString(o->get("holidays"), path + ".holidays");
  if (o->has("emergency_ban"))
    r.emergency_ban = asBool(o->get("emergency_ban"), path + ".emergency_ban");
  r.citation = asString(required(o, path, "citation"), path + ".citation");
  r.evidence = asString(required(o, path, "evidence"), path + ".evidence");
  if (r.evidence != "P" && r.evidence != "S" && r.evidence != "K" && r.evidence != "?" &&
      r.evidence != "product") {
    fail(path + ".evidence", "expected one of P, S, K, ?, product");
  }
  r.verified = asBool(required(o, path, "verified"), path + ".verified");
  if (r.evidence == "?" && r.verified)
    fail(path + ".verified", "evidence \"?\" cannot be verified");
  if (o->has("summary")) r.summary = asString(o->get("summary"), path + ".summary");
  return r;
}

}  // namespace

Result<std::shared_ptr<const RuleSet>> parseRuleSet(std::string_view json,
                                                    const std::string& source) {
  try {
    Var root_var;
    try {
      Poco::JSON::Parser parser;
      root_var = parser.parse(std::string(json));
    } catch (const Poco::Exception& e) {
      return Status::invalidArgument(source + ": not valid JSON: " + e.displayText());
    }
    Object::Ptr root = asObject(root_var, "$");
    allowOnly(
        root, "$",
        {"format", "version", "description", "area_code_presumptions", "emergency_declarations",
         "calendars", "rules", "frequency_rules", "recording_rules"});
    if (asInt(required(root, "$", "format"), "$.format") != 1)
      fail("$.format", "only format 1 is understood");
    const std::string version = asString(required(root, "$", "version"), "$.version");
    if (version.empty()) fail("$.version", "must not be empty");

    std::vector<HolidayCalendar> calendars;
    if (root->has("calendars")) {
      Array::Ptr cs = asArray(root->get("calendars"), "$.calendars");
      for (std::size_t i = 0; i < cs->size(); ++i) {
        const std::string p = "$.calendars[" + std::to_string(i) + "]";
        calendars.push_back(parseCalendar(asObject(cs->get(static_cast<unsigned>(i)), p), p));
      }
    }
    std::vector<Rule> rules;
    Array::Ptr rs = asArray(required(root, "$", "rules"), "$.rules");
    std::set<std::string> calendar_ids;
    for (const auto& c : calendars) calendar_ids.insert(c.id());
    for (std::size_t i = 0; i < rs->size(); ++i) {
      const std::string p = "$.rules[" + std::to_string(i) + "]";
      rules.push_back(parseRule(asObject(rs->get(static_cast<unsigned>(i)), p), p));
      if (!rules.back().holiday_calendar.empty() &&
          !calendar_ids.count(rules.back().holiday_calendar)) {
        fail(p + ".holidays", "unknown calendar \"" + rules.back().holiday_calendar + "\"");
      }
      if (!parseJurisdiction(rules.back().jurisdiction)) {
        fail(p + ".jurisdiction",
             "expected \"US\" or \"US-XX\", got \"" + rules.back().jurisdiction + "\"");
      }
    }
    std::vector<EmergencyDeclaration> emergencies;
    if (root->has("emergency_declarations")) {
      Array::Ptr es = asArray(root->get("emergency_declarations"), "$.emergency_declarations");
      for (std::size_t i = 0; i < es->size(); ++i) {
        const std::string p = "$.emergency_declarations[" + std::to_string(i) + "]";
        Object::Ptr e = asObject(es->get(static_cast<unsigned>(i)), p);
        allowOnly(e, p, {"jurisdiction", "from", "to", "reference"});
        EmergencyDeclaration d;
        d.jurisdiction = asString(required(e, p, "jurisdiction"), p + ".jurisdiction");
        d.first_day = parseDate(required(e, p, "from"), p + ".from");
        d.last_day = parseDate(required(e, p, "to"), p + ".to");
        d.reference = asString(required(e, p, "reference"), p + ".reference");
        if (d.first_day > d.last_day) fail(p + ".to", "must not be before from (both inclusive)");
        emergencies.push_back(std::move(d));
      }
    }
    std::vector<AreaCodePresumption> presumptions;
    if (root->has("area_code_presumptions")) {
      Array::Ptr ps = asArray(root->get("area_code_presumptions"), "$.area_code_presumptions");
      for (std::size_t i = 0; i < ps->size(); ++i) {
        const std::string p = "$.area_code_presumptions[" + std::to_string(i) + "]";
        Object::Ptr a = asObject(ps->get(static_cast<unsigned>(i)), p);
        allowOnly(a, p, {"state", "citation", "evidence"});
        presumptions.push_back({asString(required(a, p, "state"), p + ".state"),
                                asString(required(a, p, "citation"), p + ".citation")});
      }
    }
    auto set = RuleSet::create(version, std::move(rules), std::move(calendars),
                               std::move(emergencies), std::move(presumptions));
    if (!set) return Status::invalidArgument(source + ": " + set.status().message());
    return set;
  } catch (const LoadError& e) {
    return Status::invalidArgument(source + ": " + e.path + ": " + e.what);
  } catch (const Poco::Exception& e) {
    return Status::invalidArgument(source + ": " + e.displayText());
  } catch (const std::exception& e) {
    return Status::invalidArgument(source + ": " + e.what());
  }
}

Result<std::shared_ptr<const RuleSet>> loadRuleSet(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::ioError(path + ": cannot open rule file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::ioError(path + ": read error");
  return parseRuleSet(text.str(), path);
}

}  // namespace callwarden::rules
