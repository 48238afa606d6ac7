#include "HttpClient.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <sstream>
#include <stdexcept>

namespace callwarden::testing {

Poco::JSON::Object::Ptr HttpResult::json() const {
  auto v = Poco::JSON::Parser().parse(body);
  return v.extract<Poco::JSON::Object::Ptr>();
}

std::string HttpResult::errorField(const std::string& key) const {
  auto err = json()->getObject("error");
  if (err.isNull() || !err->has(key)) return {};
  return err->getValue<std::string>(key);
}

HttpResult httpRequest(const std::string& host, uint16_t port, const HttpRequestSpec& spec) {
  Poco::Net::HTTPClientSession session(host, port);
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(spec.method, spec.path, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : spec.headers) req.set(k, v);
  if (!spec.content_type.empty()) req.setContentType(spec.content_type);
  if (spec.chunked) {
    req.setChunkedTransferEncoding(true);
  } else if (!spec.body.empty() || spec.method == "POST" || spec.method == "PUT") {
    req.setContentLength(static_cast<std::streamsize>(spec.body.size()));
  }
  std::ostream& os = session.sendRequest(req);
  os << spec.body;
  Poco::Net::HTTPResponse res;
  std::istream& is = session.receiveResponse(res);
  HttpResult out;
  out.status = static_cast<int>(res.getStatus());
  for (const auto& [k, v] : res) out.headers[k] = v;
  std::ostringstream body;
  Poco::StreamCopier::copyStream(is, body);
  out.body = body.str();
  return out;
}

}  // namespace callwarden::testing
