#include "server/AuditRoutes.h"

#include "server/ApiError.h"

namespace callwarden::server {

void addAuditRoutes(Router& router, std::function<Result<std::string>()> latest_checkpoint) {
  router.add({"GET",
              "/v1/audit/checkpoint",
              {Scope::kAuditor},
              BodyKind::kNone,
              [latest_checkpoint = std::move(latest_checkpoint)](ApiRequest&) {
                auto note = latest_checkpoint();
                if (!note.isOk()) throw ApiError::fromStatus(note.status(), "NO_CHECKPOINT");
                return ApiResponse::text(200, *note);
              }});
}

}  // namespace callwarden::server
