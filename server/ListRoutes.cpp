#include "server/ListRoutes.h"

#include <Poco/JSON/Array.h>

#include "common/Rfc3339.h"
#include "server/ApiError.h"
#include "server/CallJson.h"
#include "server/JsonFields.h"

namespace callwarden::server {
namespace {

// Module errors keep their field; a client's bad input is 422 INVALID_FIELD like elsewhere.
[[noreturn]] void fail(const Status& s) {
  if (s.code() == ErrorCode::kInvalidArgument)
    throw ApiError(422, "INVALID_FIELD", s.message(), s.field());
  if (s.code() == ErrorCode::kConflict) throw ApiError::fromStatus(s, "IMPORT_IN_PROGRESS");
  throw ApiError::fromStatus(s);
}

std::string pathPhone(const ApiRequest& r) {
  std::string phone = r.pathParam("phone");
  if (!policy::nanpFromE164(phone))
    throw ApiError(422, "INVALID_FIELD", "phone must be a +1 NANP number in E.164", "phone");
  return phone;
}

Poco::Dynamic::Var timeOrNull(const std::optional<Timestamp>& t) {
  return t ? Poco::Dynamic::Var(formatRfc3339(*t)) : Poco::Dynamic::Var();
}

Poco::JSON::Object::Ptr membershipJson(const dialer::DncMembership& m) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("list", m.list);
  if (m.kind == policy::DncListKind::kInternal) {
    o->set("since", timeOrNull(m.since));
    o->set("reason", m.reason);
  } else {
    o->set("obtained",
           m.obtained ? Poco::Dynamic::Var(policy::formatDate(*m.obtained)) : Poco::Dynamic::Var());
    o->set("imported_at", timeOrNull(m.imported_at));
  }
  return o;
}

Poco::JSON::Object::Ptr reportJson(const dialer::ImportReport& r) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("list", r.list);
  o->set("obtained", policy::formatDate(r.obtained));
  o->set("committed", r.committed);
  o->set("generation", r.generation);
  o->set("replaced_generation",
         r.replaced_generation ? Poco::Dynamic::Var(*r.replaced_generation) : Poco::Dynamic::Var());
  o->set("lines", r.lines);
  o->set("accepted", r.accepted);
  o->set("duplicates", r.duplicates);
  o->set("rejected", r.rejected);
  Poco::JSON::Array::Ptr lines = new Poco::JSON::Array;
  for (auto l : r.rejected_lines) lines->add(l);
  o->set("rejected_lines", lines);
  o->set("rejected_lines_truncated", r.rejected > r.rejected_lines.size());
  return o;
}

std::string requiredQuery(const ApiRequest& r, const std::string& name) {
  auto v = r.queryParam(name);
  if (!v || v->empty()) throw ApiError(422, "MISSING_FIELD", name + " is required", name);
  return *v;
}

}  // namespace

void addListRoutes(Router& router, ListRoutesDeps deps) {
  router.add(
      {"POST", "/v1/dnc", {Scope::kAdmin, Scope::kAgent}, BodyKind::kJson, [deps](ApiRequest& r) {
         JsonFields f(r.json);
         f.rejectUnknown({"phone", "list", "reason"});
         std::string phone = f.requiredString("phone", 32);
         std::string list = f.optionalString("list", 16).value_or("internal");
         if (list != "internal") {
           throw ApiError(422, "INVALID_FIELD",
                          "only the internal list takes single numbers; national and "
                          "state lists are imported (POST /v1/dnc/imports)",
                          "list");
         }
         std::string reason = f.optionalString("reason", 256).value_or("");
         auto res = deps.admin->addInternal(phone, reason, caller(r));
         if (!res.isOk()) fail(res.status());
         auto o = membershipJson(res->entry);
         o->set("phone", phone);
         o->set("added", res->added);
         return ApiResponse::json(res->added ? 201 : 200, o);
       }});
  // Registered before /v1/dnc/{phone}: the router takes the first pattern that matches.
  router.add({"POST", "/v1/dnc/imports", {Scope::kAdmin}, BodyKind::kStream, [deps](ApiRequest& r) {
                dialer::ImportRequest req;
                req.list = requiredQuery(r, "list");
                auto obtained = policy::parseDate(requiredQuery(r, "obtained"));
                if (!obtained.isOk())
                  throw ApiError(422, "INVALID_FIELD", obtained.status().message(), "obtained");
                req.obtained = *obtained;
                req.expected_bytes = r.content_length;
                auto report = deps.admin->importList(req, *r.stream, caller(r));
                if (!report.isOk()) fail(report.status());
                if (!report->committed) {
                  Poco::JSON::Object::Ptr err = new Poco::JSON::Object;
                  err->set("code", "IMPORT_REJECTED");
                  err->set("message", report->failure + "; the previous list stays in force");
                  err->set("field", "");
                  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                  o->set("error", err);
                  o->set("import", reportJson(*report));
                  return ApiResponse::json(422, o);
                }
                return ApiResponse::json(200, reportJson(*report));
              }});
  router.add({"GET",
              "/v1/dnc/imports",
              {Scope::kAdmin, Scope::kAuditor},
              BodyKind::kNone,
              [deps](ApiRequest&) {
                auto lists = deps.admin->lists();
                if (!lists.isOk()) fail(lists.status());
                const auto today = std::chrono::floor<std::chrono::days>(deps.clock->now());
                Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
                for (const auto& l : *lists) {
                  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                  o->set("list", l.list);
                  o->set("generation", l.generation);
                  o->set("obtained", policy::formatDate(l.obtained));
                  o->set("age_days", static_cast<int>((today - l.obtained).count()));
                  o->set("imported_at", formatRfc3339(l.imported_at));
                  o->set("count", l.count);
                  a->add(o);
                }
                Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                o->set("lists", a);
                return ApiResponse::json(200, o);
              }});
  router.add({"GET",
              "/v1/dnc/{phone}",
              {Scope::kDialer, Scope::kAgent, Scope::kAuditor, Scope::kAdmin},
              BodyKind::kNone,
              [deps](ApiRequest& r) {
                std::string phone = pathPhone(r);
                auto m = deps.admin->lookup(phone);
                if (!m.isOk()) fail(m.status());
                Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
                for (const auto& x : *m) a->add(membershipJson(x));
                Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                o->set("phone", phone);
                o->set("lists", a);
                return ApiResponse::json(200, o);
              }});
  router.add({"DELETE", "/v1/dnc/{phone}", {Scope::kAdmin}, BodyKind::kNone, [deps](ApiRequest& r) {
                std::string phone = pathPhone(r);
                if (requiredQuery(r, "list") != "internal") {
                  throw ApiError(422, "INVALID_FIELD",
                                 "only numbers on the internal list can be removed one by one",
                                 "list");
                }
                Status s = deps.admin->removeInternal(phone, caller(r));
                if (!s.isOk()) fail(s);
                Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                o->set("phone", phone);
                o->set("list", "internal");
                o->set("removed", true);
                return ApiResponse::json(200, o);
              }});
  router.add(
      {"POST", "/v1/reassigned-numbers", {Scope::kAdmin}, BodyKind::kJson, [deps](ApiRequest& r) {
         JsonFields f(r.json);
         f.rejectUnknown({"phone", "result", "disconnected_on", "queried_at"});
         std::string phone = f.requiredString("phone", 32);
         auto result = policy::parseRndResult(f.requiredString("result", 16));
         if (!result)
           throw ApiError(422, "INVALID_FIELD", "result must be yes, no or no_data", "result");
         policy::RndAnswer a;
         a.result = *result;
         if (auto d = f.optionalString("disconnected_on", 16)) {
           auto date = policy::parseDate(*d);
           if (!date.isOk())
             throw ApiError(422, "INVALID_FIELD", "disconnected_on must be YYYY-MM-DD",
                            "disconnected_on");
           a.disconnected_on = *date;
         }
         a.queried_at = optionalTime(f, "queried_at").value_or(deps.clock->now());
         if (a.queried_at > deps.clock->now())
           throw ApiError(422, "INVALID_FIELD", "queried_at is in the future", "queried_at");
         Status s = deps.admin->recordRnd(phone, a, caller(r));
         if (!s.isOk()) fail(s);
         Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
         o->set("phone", phone);
         o->set("result", std::string(policy::rndResultName(a.result)));
         o->set("recorded", true);
         return ApiResponse::json(201, o);
       }});
}

}  // namespace callwarden::server
