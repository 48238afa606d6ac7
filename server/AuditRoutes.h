#pragma once

#include <functional>
#include <string>

#include "common/Result.h"
#include "server/Router.h"

namespace callwarden::server {

/// GET /v1/audit/checkpoint (scope auditor): the latest signed checkpoint as its signed-note
/// text, ready to be saved and later passed to `callwarden audit verify --trusted-checkpoint`.
void addAuditRoutes(Router& router, std::function<Result<std::string>()> latest_checkpoint);

}  // namespace callwarden::server
