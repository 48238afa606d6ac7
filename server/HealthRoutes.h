#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/Status.h"
#include "server/Metrics.h"
#include "server/Router.h"

namespace callwarden::server {

/// One dependency /readyz asks about, e.g. {"store", [&]{ return db.ping(); }}.
struct ReadinessCheck {
  std::string name;
  std::function<Status()> check;
};

/// Extra facts /readyz reports (e.g. "allow_client_time": true), so an operator sees a
/// replay/test mode at a glance.
struct ReadinessFacts {
  bool allow_client_time = false;
  std::string policy_version;
};

/// GET /healthz (alive), GET /readyz (every check passes, else 503 naming the failing part),
/// GET /metrics (Prometheus text). None needs a token.
void addHealthRoutes(Router& router, std::vector<ReadinessCheck> checks, ReadinessFacts facts,
                     Metrics& metrics);

}  // namespace callwarden::server
