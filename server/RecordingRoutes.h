#pragma once
// Recording control over HTTP (issue #8; docs/recording.md):
//   POST /v1/calls/{call_sid}/payments                        (agent) confirmed pause for a payment
//   POST /v1/calls/{call_sid}/payments/{payment_id}/complete  (agent) resume, close; idempotent
//   POST /v1/calls/{call_sid}/recordings                      (agent) start a dual-channel
//   recording POST /v1/calls/{call_sid}/recordings/pause                (agent) manual confirmed
//   pause POST /v1/calls/{call_sid}/recordings/resume               (agent) manual resume GET
//   /v1/calls/{call_sid}/recording                       (agent, auditor) state and history
// Translation only: JSON in, dialer::RecordingControl calls, JSON out.

#include "common/Clock.h"
#include "dialer/RecordingControl.h"
#include "server/Metrics.h"
#include "server/Router.h"

namespace callwarden::server {

struct RecordingRoutesDeps {
  dialer::RecordingControl* control = nullptr;
  Metrics* metrics = nullptr;
  const Clock* clock = nullptr;
};

void addRecordingRoutes(Router& router, RecordingRoutesDeps deps);

}  // namespace callwarden::server
