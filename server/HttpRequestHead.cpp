#include "server/HttpRequestHead.h"

#include <algorithm>
#include <cctype>

namespace callwarden::server {
namespace {

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Whether the comma-separated list `value` has the token `token` (case-insensitive).
bool hasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (equalsNoCase(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// RFC 9110 token characters, the only ones allowed in a method or a field name.
bool isTokenChar(unsigned char c) {
  return std::isalnum(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return isTokenChar(static_cast<unsigned char>(c));
  });
}

Status bad(const std::string& what) {
  return Status::invalidArgument("malformed request: " + what);
}

// Fields that hold one value (RFC 9110 §5.3: only list fields may repeat). Two of them are
// refused rather than resolved, because two parties that resolve them differently (first or
// last wins) see two different requests: which credentials, which body type, which signature.
bool isSingleton(std::string_view name) {
  for (std::string_view s :
       {"Host", "Authorization", "Content-Type", "Expect", "X-Request-Id", "X-Twilio-Signature"})
    if (equalsNoCase(name, s)) return true;
  return false;
}

}  // namespace

const std::string* HttpRequestHead::find(std::string_view name) const {
  for (const auto& [k, v] : fields)
    if (equalsNoCase(k, name)) return &v;
  return nullptr;
}

bool HttpRequestHead::keepAlive() const {
  // Connection may be sent as several fields, which mean their values joined (RFC 9110 5.3):
  // "close" in any of them closes.
  bool close = false, keep_alive = false;
  for (const auto& [k, v] : fields) {
    if (!equalsNoCase(k, "Connection")) continue;
    close = close || hasToken(v, "close");
    keep_alive = keep_alive || hasToken(v, "keep-alive");
  }
  return http11 ? !close : keep_alive && !close;
}

bool HttpRequestHead::expectContinue() const {
  if (!http11) return false;  // RFC 9110 §10.1.1: never a 100 to an HTTP/1.0 client
  const std::string* e = find("Expect");
  return e != nullptr && equalsNoCase(*e, "100-continue");
}

Result<HttpRequestHead> parseRequestHead(std::string_view head, const HeadLimits& limits) {
  if (head.size() > limits.max_head_bytes) return bad("the header section is too large");
  HttpRequestHead out;
  bool first = true;
  while (!head.empty()) {
    size_t nl = head.find('\n');
    if (nl == std::string_view::npos) return bad("the header section does not end");
    std::string_view line = head.substr(0, nl);
    head.remove_prefix(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
      first = false;
      size_t sp1 = line.find(' ');
      size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
      if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return bad("the request line is not 'METHOD target HTTP/1.1'");
      std::string_view method = line.substr(0, sp1);
      std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      std::string_view version = line.substr(sp2 + 1);
      if (!isToken(method)) return bad("the method is not a token");
      if (target.empty() || std::any_of(target.begin(), target.end(), [](char c) {
            return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
          }))
        return bad("the request target is empty or has control characters");
      if (version == "HTTP/1.1")
        out.http11 = true;
      else if (version == "HTTP/1.0")
        out.http11 = false;
      else
        return bad("unsupported HTTP version");
      out.method = std::string(method);
      out.target = std::string(target);
      continue;
    }
    if (line.empty()) {
      if (!head.empty()) return bad("bytes after the end of the header section");
      return out;
    }
    if (line.front() == ' ' || line.front() == '\t')
      return bad("obsolete line folding");  // RFC 9112 §5.2: reject in requests
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return bad("a header field has no ':'");
    std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    if (!isToken(name)) return bad("a header field name is not a token");
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (std::any_of(value.begin(), value.end(), [](char c) {
          return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
        }))
      return bad("a header field value has control characters");
    if (name.size() > limits.max_name_bytes || value.size() > limits.max_value_bytes)
      return bad("a header field is too long");
    if (out.fields.size() == limits.max_fields) return bad("too many header fields");
    if (isSingleton(name) && out.find(name) != nullptr)
      return bad("more than one " + std::string(name) + " field");
    out.fields.emplace_back(std::string(name), std::string(value));
  }
  return bad("the header section does not end");
}

Result<BodyFraming> bodyFraming(const HttpRequestHead& head) {
  BodyFraming f;
  const std::string* te = head.find("Transfer-Encoding");
  const std::string* cl = head.find("Content-Length");
  if (te != nullptr) {
    // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
    if (!head.http11) return bad("Transfer-Encoding in an HTTP/1.0 request");
    if (!equalsNoCase(*te, "chunked")) return bad("unsupported Transfer-Encoding");
    // A second field would be combined with the first ("chunked, identity"), which is not
    // chunked; find() sees only the first.
    for (const auto& [k, v] : head.fields)
      if (&v != te && equalsNoCase(k, "Transfer-Encoding"))
        return bad("more than one Transfer-Encoding field");
    // RFC 9112 §6.3: with both, a request is a smuggling attempt or a broken client.
    if (cl != nullptr) return bad("both Transfer-Encoding and Content-Length");
    f.chunked = true;
    return f;
  }
  if (cl != nullptr) {
    if (cl->empty() || cl->size() > 18 ||
        !std::all_of(cl->begin(), cl->end(), [](char c) { return c >= '0' && c <= '9'; }))
      return bad("Content-Length is not a number");
    for (const auto& [k, v] : head.fields)
      if (&v != cl && equalsNoCase(k, "Content-Length") && v != *cl)
        return bad("conflicting Content-Length fields");
    f.length = std::stoull(*cl);
  }
  return f;
}

}  // namespace callwarden::server
