#pragma once
// The gate's HTTP surface: POST /v1/calls/check, POST /v1/calls/reserve,
// POST /v1/reservations/{id}/outcome, POST /v1/conversations, POST /v1/consents,
// PUT /v1/subjects/{id}/flags, PUT /v1/subjects/{id}/debt-groups, GET /v1/subjects/{id}/attempts.
// Translation only: JSON in, dialer::CallGate calls, JSON out.

#include "common/Clock.h"
#include "dialer/CallGate.h"
#include "dialer/RecordingControl.h"
#include "server/Metrics.h"
#include "server/Router.h"

namespace callwarden::server {

struct CallRoutesDeps {
  const dialer::CallGate* gate = nullptr;
  Metrics* metrics = nullptr;
  const Clock* clock = nullptr;
  bool allow_client_time = false;  // policy.allow_client_time: "at" accepted on reservations
  /// The recording policy, for the "recording" part of check and reserve answers; may be null.
  const dialer::RecordingControl* recording = nullptr;
};

void addCallRoutes(Router& router, CallRoutesDeps deps);

}  // namespace callwarden::server
