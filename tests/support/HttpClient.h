#pragma once
// A small blocking HTTP/1.1 client for tests, over loopback.

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <map>
#include <string>

namespace callwarden::testing {

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // as sent by the server
  /// The body parsed as a JSON object; throws if it is not one (a test failure).
  Poco::JSON::Object::Ptr json() const;
  /// Shorthand for json()->getObject("error")->getValue<std::string>(key).
  std::string errorField(const std::string& key) const;
};

struct HttpRequestSpec {
  std::string method = "GET";
  std::string path = "/";
  std::string body;
  std::string content_type;  // empty: no Content-Type header
  std::map<std::string, std::string> headers;
  bool chunked = false;
};

HttpResult httpRequest(const std::string& host, uint16_t port, const HttpRequestSpec& spec);

}  // namespace callwarden::testing
