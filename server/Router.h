#pragma once
// Maps (method, path) to a route. Patterns are literal segments and "{name}" parameters;
// a path that matches some pattern under another method is a 405, not a 404.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "server/ApiMessage.h"
#include "server/Auth.h"

namespace callwarden::server {

using RouteHandler = std::function<ApiResponse(ApiRequest&)>;

struct Route {
  std::string method;
  std::string pattern;
  std::vector<Scope> scopes;  // any one of them grants access; empty = no token needed
  BodyKind body = BodyKind::kNone;
  RouteHandler handler;
};

/// Built once at start, then read-only: thread-safe for lookups.
class Router {
 public:
  void add(Route route);

  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    std::vector<std::string>
        allowed_methods;  // filled when the path matched but the method did not
  };
  /// `path` is as it arrived, percent-encoded: each segment is decoded after the split.
  Match match(const std::string& method, const std::string& path) const;

 private:
  struct Compiled {
    Route route;
    std::vector<std::string> segments;
  };
  std::vector<Compiled> routes_;
};

}  // namespace callwarden::server
