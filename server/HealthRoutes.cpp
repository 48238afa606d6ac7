#include "server/HealthRoutes.h"

namespace callwarden::server {

void addHealthRoutes(Router& router, std::vector<ReadinessCheck> checks, ReadinessFacts facts,
                     Metrics& metrics) {
  router.add({"GET", "/healthz", {}, BodyKind::kNone, [](ApiRequest&) {
                Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                o->set("status", "alive");
                return ApiResponse::json(200, o);
              }});
  router.add(
      {"GET", "/readyz", {}, BodyKind::kNone, [checks = std::move(checks), facts](ApiRequest&) {
         Poco::JSON::Object::Ptr results = new Poco::JSON::Object;
         std::string failing;
         for (const auto& c : checks) {
           Status s = c.check();
           results->set(c.name, s.isOk() ? std::string("ok") : "fail: " + s.message());
           if (!s.isOk() && failing.empty()) failing = c.name + ": " + s.message();
         }
         Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
         if (!failing.empty()) {
           Poco::JSON::Object::Ptr err = new Poco::JSON::Object;
           err->set("code", "NOT_READY");
           err->set("message", failing);
           o->set("error", err);
         }
         o->set("status", failing.empty() ? "ready" : "not_ready");
         o->set("checks", results);
         o->set("allow_client_time", facts.allow_client_time);
         if (!facts.policy_version.empty()) o->set("policy_version", facts.policy_version);
         return ApiResponse::json(failing.empty() ? 200 : 503, o);
       }});
  router.add({"GET", "/metrics", {}, BodyKind::kNone, [&metrics](ApiRequest&) {
                return ApiResponse::text(200, metrics.render(), "text/plain; version=0.0.4");
              }});
}

}  // namespace callwarden::server
