#include "server/Dispatcher.h"

#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include <algorithm>
#include <chrono>
#include <istream>

#include "common/Log.h"
#include "common/Random.h"
#include "server/ApiError.h"

namespace callwarden::server {
namespace {

constexpr int kMaxJsonDepth = 32;
// Twilio's webhooks, the only form bodies, are a few KiB. The routes take them before any
// token check (the signature is checked on the body), so a small bound also limits how long
// a client sending slowly can hold a thread with one.
constexpr size_t kMaxFormBytes = 64 * 1024;

std::string requestIdFrom(const HttpRequestHead& head) {
  // Accept the caller's id only if it is short and plain, so it is safe in logs and headers.
  const std::string* given = head.find("X-Request-Id");
  const std::string id = given != nullptr ? *given : std::string();
  bool plain = !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
  return plain ? id : randomId("req");
}

std::string mediaType(const HttpRequestHead& head) {
  const std::string* given = head.find("Content-Type");
  std::string ct = given != nullptr ? *given : std::string();
  auto semi = ct.find(';');
  if (semi != std::string::npos) ct.resize(semi);
  ct.erase(std::remove_if(ct.begin(), ct.end(), [](unsigned char c) { return std::isspace(c); }),
           ct.end());
  std::transform(ct.begin(), ct.end(), ct.begin(), [](unsigned char c) { return std::tolower(c); });
  return ct;
}

// Reads at most `limit` bytes; a longer body is a 413 whether or not Content-Length said so
// (chunked bodies carry no length).
std::string readBounded(std::istream& in, std::optional<uint64_t> content_length, size_t limit) {
  if (content_length && *content_length > limit) {
    throw ApiError(413, "BODY_TOO_LARGE",
                   "request body exceeds " + std::to_string(limit) + " bytes");
  }
  std::string body;
  char buf[8192];
  while (in) {
    in.read(buf, sizeof buf);
    body.append(buf, static_cast<size_t>(in.gcount()));
    if (body.size() > limit) {
      throw ApiError(413, "BODY_TOO_LARGE",
                     "request body exceeds " + std::to_string(limit) + " bytes");
    }
  }
  return body;
}

// Poco's parser recurses per nesting level; bound it before parsing so that a body of
// 100,000 '[' cannot exhaust the stack.
void checkJsonDepth(const std::string& body) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth)
        throw ApiError(400, "MALFORMED_JSON", "JSON nesting is too deep");
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
}

Poco::JSON::Object::Ptr parseJsonObject(const std::string& body) {
  if (body.empty()) throw ApiError(400, "MALFORMED_JSON", "the request body is empty");
  checkJsonDepth(body);
  Poco::Dynamic::Var v;
  try {
    Poco::JSON::Parser parser;
    v = parser.parse(body);
  } catch (const Poco::Exception& e) {
    throw ApiError(400, "MALFORMED_JSON", "the request body is not valid JSON");
  }
  if (v.type() != typeid(Poco::JSON::Object::Ptr)) {
    throw ApiError(400, "MALFORMED_JSON", "the request body must be a JSON object");
  }
  return v.extract<Poco::JSON::Object::Ptr>();
}

std::vector<std::pair<std::string, std::string>> parseForm(const std::string& body) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i <= body.size()) {
    size_t amp = body.find('&', i);
    if (amp == std::string::npos) amp = body.size();
    std::string part = body.substr(i, amp - i);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string k = part.substr(0, eq), v = eq == std::string::npos ? "" : part.substr(eq + 1);
      std::replace(k.begin(), k.end(), '+', ' ');
      std::replace(v.begin(), v.end(), '+', ' ');
      std::string dk, dv;
      try {
        Poco::URI::decode(k, dk);
        Poco::URI::decode(v, dv);
      } catch (const Poco::Exception&) {
        throw ApiError(400, "MALFORMED_FORM", "the form body is not valid URL encoding");
      }
      out.emplace_back(std::move(dk), std::move(dv));
    }
    i = amp + 1;
  }
  return out;
}

void readBody(const Route& route, const HttpRequestHead& head, std::istream& in,
              std::optional<uint64_t> content_length, ApiRequest& req, size_t limit) {
  switch (route.body) {
    case BodyKind::kNone:
      return;
    case BodyKind::kJson:
      if (mediaType(head) != "application/json") {
        throw ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
      }
      req.raw_body = readBounded(in, content_length, limit);
      req.json = parseJsonObject(req.raw_body);
      return;
    case BodyKind::kForm:
      if (mediaType(head) != "application/x-www-form-urlencoded") {
        throw ApiError(415, "UNSUPPORTED_MEDIA_TYPE",
                       "Content-Type must be application/x-www-form-urlencoded");
      }
      req.raw_body = readBounded(in, content_length, std::min(limit, kMaxFormBytes));
      req.form = parseForm(req.raw_body);
      return;
    case BodyKind::kStream:
      if (mediaType(head) != "text/plain") {
        throw ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be text/plain");
      }
      req.stream = &in;
      return;
  }
}

}  // namespace

ApiResponse errorResponse(int status, const std::string& code, const std::string& message,
                          const std::string& field) {
  Poco::JSON::Object::Ptr err = new Poco::JSON::Object;
  err->set("code", code);
  err->set("message", message);
  if (!field.empty()) err->set("field", field);
  Poco::JSON::Object::Ptr root = new Poco::JSON::Object;
  root->set("error", err);
  return ApiResponse::json(status, root);
}

namespace {

// What the last layer needs of a request, kept for a deferred answer's settle().
struct Answered {
  const ServerContext* ctx;
  std::string request_id;
  std::string method;
  std::string route_label;
  std::string key;
  std::chrono::steady_clock::time_point started;
};

// The request id header, metrics and the access-log line: once the answer is final.
void finishAnswer(const Answered& a, ApiResponse& res) {
  res.headers.insert(res.headers.begin(), {"X-Request-Id", a.request_id});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - a.started).count();
  a.ctx->metrics->observeRequest(a.route_label, res.status, seconds);
  const std::string status = std::to_string(res.status);
  const std::string ms = std::to_string(seconds * 1000.0);
  Log::write(res.status >= 500 ? LogLevel::kError : LogLevel::kInfo, "request",
             {{"request_id", a.request_id},
              {"method", a.method},
              {"route", a.route_label},
              {"status", status},
              {"duration_ms", ms},
              {"key", a.key}});
}

// The still-encoded path of a request target: origin-form ("/v1/x?a") or absolute-form
// ("http://host/v1/x?a", RFC 9112 3.2.2).
std::string rawPath(const std::string& target) {
  size_t start = 0;
  if (target.empty() || target[0] != '/') {
    const size_t scheme = target.find("://");
    if (scheme == std::string::npos) return "/";
    start = target.find('/', scheme + 3);
    if (start == std::string::npos) return "/";
  }
  const size_t end = target.find_first_of("?#", start);
  return target.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

ApiResponse Dispatcher::dispatch(const HttpRequestHead& head, std::istream& body,
                                 std::optional<uint64_t> content_length, bool can_defer) const {
  const auto started = std::chrono::steady_clock::now();
  ApiRequest req;
  req.request_id = requestIdFrom(head);
  req.method = head.method;
  req.can_defer = can_defer;
  req.content_length = content_length;
  std::string route_label = "unmatched";
  ApiResponse res;
  try {
    Poco::URI uri;
    try {
      uri = Poco::URI(head.target);
      req.path = uri.getPath();
      req.query = uri.getQueryParameters();
    } catch (const Poco::Exception&) {
      throw ApiError(400, "MALFORMED_URI", "the request URI cannot be parsed");
    }
    // Route on the path as sent, so that an encoded '/' stays inside its segment.
    auto match = ctx_.router->match(req.method, rawPath(head.target));
    if (match.route == nullptr) {
      if (!match.allowed_methods.empty()) {
        std::string allow;
        for (const auto& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
        res = errorResponse(405, "METHOD_NOT_ALLOWED", req.method + " is not allowed here");
        res.headers.emplace_back("Allow", allow);
      } else {
        res = errorResponse(404, "NOT_FOUND", "no such endpoint");
      }
    } else {
      const Route& route = *match.route;
      route_label = route.pattern;
      req.route = route.pattern;
      req.path_params = std::move(match.params);
      for (const auto& [name, value] : head.fields) {
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        // The first of repeated fields, as HttpRequestHead::find() sees them.
        if (lower != "authorization") req.headers.emplace(std::move(lower), value);
      }
      if (!route.scopes.empty()) {
        const std::string* authorization = head.find("Authorization");
        req.principal = ctx_.authenticator->authenticate(
            authorization != nullptr ? std::string_view(*authorization) : std::string_view());
        if (!req.principal) {
          if (ctx_.on_auth_failure) ctx_.on_auth_failure(req, "unauthenticated");
          res = errorResponse(401, "UNAUTHENTICATED", "a valid bearer token is required");
          res.headers.emplace_back("WWW-Authenticate", "Bearer");
        } else if (std::none_of(route.scopes.begin(), route.scopes.end(),
                                [&](Scope s) { return req.principal->has(s); })) {
          if (ctx_.on_auth_failure) ctx_.on_auth_failure(req, "forbidden");
          std::string need;
          for (Scope s : route.scopes)
            need += (need.empty() ? "" : " or ") + std::string(scopeName(s));
          res = errorResponse(403, "FORBIDDEN", "this endpoint needs the " + need + " scope");
        }
      }
      if (res.body.empty()) {
        readBody(route, head, body, content_length, req, ctx_.max_body_bytes);
        res = route.handler(req);
      }
    }
  } catch (const ApiError& e) {
    res = errorResponse(e.httpStatus(), e.code(), e.what(), e.field());
  } catch (const std::exception& e) {
    // Internals stay in the log; the client gets the request id to quote.
    Log::error("unhandled exception",
               {{"request_id", req.request_id}, {"route", route_label}, {"what", e.what()}});
    res = errorResponse(500, "INTERNAL", "internal error; quote request id " + req.request_id);
  }

  Answered answered{&ctx_,
                    std::move(req.request_id),
                    std::move(req.method),
                    route_label,
                    req.principal ? req.principal->key_name : "",
                    started};
  if (res.deferred && can_defer) {
    // The request is logged, timed and counted when its answer is settled, as it is sent.
    res.deferred->settle = [settle = std::move(res.deferred->settle),
                            answered = std::move(answered)](const Status& ready) {
      ApiResponse out;
      try {
        out = settle(ready);
      } catch (const std::exception& e) {
        Log::error("unhandled exception", {{"request_id", answered.request_id},
                                           {"route", answered.route_label},
                                           {"what", e.what()}});
        out = errorResponse(500, "INTERNAL",
                            "internal error; quote request id " + answered.request_id);
      }
      out.deferred.reset();
      finishAnswer(answered, out);
      return out;
    };
    return res;
  }
  if (res.deferred) {
    // A handler must not defer what the transport cannot hold: fail closed.
    Log::error("a deferred answer without a transport to hold it",
               {{"request_id", answered.request_id}, {"route", route_label}});
    res = errorResponse(500, "INTERNAL", "internal error; quote request id " + answered.request_id);
  }
  finishAnswer(answered, res);
  return res;
}

}  // namespace callwarden::server
