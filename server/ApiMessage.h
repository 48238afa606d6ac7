#pragma once
// The HTTP-independent view of a request and a response that route handlers work with.
// Handlers never touch Poco::Net objects for the usual JSON routes; the Dispatcher fills these.

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/Status.h"
#include "server/Auth.h"

namespace callwarden::server {

enum class BodyKind {
  kNone,    // no body expected; one that is sent is ignored
  kJson,    // application/json, parsed into `json`
  kForm,    // application/x-www-form-urlencoded (Twilio webhooks), parsed into `form`
  kStream,  // text/plain, handed over unread as `stream` (bulk imports)
};

struct ApiRequest {
  std::string method;
  std::string path;   // without the query string
  std::string route;  // the matched pattern, e.g. "/v1/reservations/{id}/outcome"
  std::map<std::string, std::string> path_params;
  std::vector<std::pair<std::string, std::string>> query;
  std::map<std::string, std::string> headers;  // lower-case names; Authorization removed
  std::string request_id;
  std::optional<Principal> principal;
  Poco::JSON::Object::Ptr json;                           // kJson
  std::vector<std::pair<std::string, std::string>> form;  // kForm, in arrival order
  std::string raw_body;                                   // kJson / kForm
  std::istream* stream = nullptr;                         // kStream
  std::optional<uint64_t> content_length;                 // as the client declared it
  /// The transport can hold the answer until an audit record is durable
  /// (ApiResponse::deferred); otherwise a handler must wait for the flush itself.
  bool can_defer = false;

  std::optional<std::string> queryParam(const std::string& name) const;
  std::string pathParam(const std::string& name) const;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  /// An answer that may leave only once something has happened: a call check's audit record
  /// is durable (audit.check_durability = flushed, docs/adr/0002). Only when
  /// ApiRequest::can_defer. The transport calls `when_ready` with a callback, which runs (on
  /// any thread, perhaps at once) with ok, or with the error that stops the answer; it then
  /// calls `settle` with that status and sends what it returns. The fields above are unused.
  struct Deferred {
    std::function<void(std::function<void(const Status&)> done)> when_ready;
    std::function<ApiResponse(const Status& ready)> settle;
  };
  std::optional<Deferred> deferred;

  static ApiResponse json(int status, const Poco::JSON::Object::Ptr& object);
  /// `body` must already be a JSON document.
  static ApiResponse jsonText(int status, std::string body);
  static ApiResponse text(int status, std::string body,
                          std::string content_type = "text/plain; charset=utf-8");
};

}  // namespace callwarden::server
