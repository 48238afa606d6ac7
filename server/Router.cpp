#include "server/Router.h"

namespace callwarden::server {
namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool isParam(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

void Router::add(Route route) {
  auto segments = splitPath(route.pattern);
  routes_.push_back({std::move(route), std::move(segments)});
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match result;
  // A trailing slash is a different resource; keep paths exact to avoid ambiguity.
  if (path.size() > 1 && path.back() == '/') return result;
  const auto segments = splitPath(path);
  for (const auto& c : routes_) {
    if (c.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (size_t i = 0; i < segments.size() && ok; ++i) {
      if (isParam(c.segments[i])) {
        params[c.segments[i].substr(1, c.segments[i].size() - 2)] = segments[i];
      } else {
        ok = c.segments[i] == segments[i];
      }
    }
    if (!ok) continue;
    if (c.route.method == method) {
      result.route = &c.route;
      result.params = std::move(params);
      result.allowed_methods.clear();
      return result;
    }
    result.allowed_methods.push_back(c.route.method);
  }
  return result;
}

}  // namespace callwarden::server
