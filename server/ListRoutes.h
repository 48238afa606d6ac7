#pragma once
// The do-not-call and reassigned-number HTTP surface (docs/lists-and-consent.md):
//   POST   /v1/dnc                        add a number to the internal list (admin, agent)
//   DELETE /v1/dnc/{phone}?list=internal  remove it (admin)
//   GET    /v1/dnc/{phone}                which lists hold it, since when (dialer, agent,
//                                         auditor, admin)
//   POST   /v1/dnc/imports?list=L&obtained=YYYY-MM-DD
//                                         stream a national or state list file (text/plain,
//                                         admin); never buffered whole, not bound by
//                                         server.max_body_bytes
//   GET    /v1/dnc/imports                the bulk lists served now (admin, auditor)
//   POST   /v1/reassigned-numbers         record an RND answer (admin)
// Translation only: input checks, dialer::ListAdmin calls, JSON out.

#include "common/Clock.h"
#include "dialer/ListAdmin.h"
#include "server/Router.h"

namespace callwarden::server {

struct ListRoutesDeps {
  const dialer::ListAdmin* admin = nullptr;
  const Clock* clock = nullptr;
};

void addListRoutes(Router& router, ListRoutesDeps deps);

}  // namespace callwarden::server
