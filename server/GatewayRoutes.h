#pragma once
// The call gateway's HTTP surface (issue #7; docs/gateway.md):
//   POST /v1/calls                 (dialer) reserve, then place the call through Twilio
//   POST /twilio/call-status       (Twilio, signed) call progress callbacks
//   POST /twilio/recording-status  (Twilio, signed) recording callbacks
// Translation only: JSON or form in, dialer::CallPlacer calls, JSON out.

#include <string>

#include "common/Clock.h"
#include "dialer/CallPlacer.h"
#include "server/Metrics.h"
#include "server/Router.h"

namespace callwarden::server {

struct GatewayRoutesDeps {
  dialer::CallPlacer* placer = nullptr;
  Metrics* metrics = nullptr;
  const Clock* clock = nullptr;
  bool allow_client_time = false;  // policy.allow_client_time: "at" accepted when placing
  /// twilio.public_base_url without a trailing '/': the signed URL of a callback is this plus
  /// the request path (and query, if any).
  std::string public_base_url;
};

void addGatewayRoutes(Router& router, GatewayRoutesDeps deps);

}  // namespace callwarden::server
