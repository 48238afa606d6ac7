#include "server/ApiMessage.h"

#include <sstream>

namespace callwarden::server {

std::optional<std::string> ApiRequest::queryParam(const std::string& name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string ApiRequest::pathParam(const std::string& name) const {
  auto it = path_params.find(name);
  return it == path_params.end() ? std::string() : it->second;
}

ApiResponse ApiResponse::json(int status, const Poco::JSON::Object::Ptr& object) {
  std::ostringstream os;
  object->stringify(os);
  ApiResponse r;
  r.status = status;
  r.body = os.str();
  return r;
}

ApiResponse ApiResponse::jsonText(int status, std::string body) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

ApiResponse ApiResponse::text(int status, std::string body, std::string content_type) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

}  // namespace callwarden::server
