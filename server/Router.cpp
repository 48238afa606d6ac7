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

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes one path segment. Decoding after splitting keeps "%2F" inside its segment:
// a subject id "acct/7" is reachable as /v1/subjects/acct%2F7/flags. A malformed escape is
// left as it is (and then matches no id, since '%' is not an id character).
std::string decodeSegment(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    int hi = 0, lo = 0;
    if (s[i] == '%' && i + 2 < s.size() && (hi = hexValue(s[i + 1])) >= 0 &&
        (lo = hexValue(s[i + 2])) >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
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
  auto segments = splitPath(path);
  for (auto& s : segments) s = decodeSegment(s);
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
    // HEAD is GET without the body (RFC 9110 9.3.2); the connection leaves the body out.
    if (c.route.method == method || (method == "HEAD" && c.route.method == "GET")) {
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
