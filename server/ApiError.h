#pragma once
// Inside server/ a handler stops with an ApiError; the Dispatcher turns it into the one error
// shape {"error":{"code","message","field"}}. Modules below server/ never throw across their
// APIs: they return Status, which handlers convert with ApiError::fromStatus.

#include <stdexcept>
#include <string>

#include "common/Status.h"

namespace callwarden::server {

class ApiError : public std::runtime_error {
 public:
  ApiError(int http_status, std::string code, std::string message, std::string field = {})
      : std::runtime_error(message),
        http_status_(http_status),
        code_(std::move(code)),
        field_(std::move(field)) {}

  /// Maps a module Status through toHttpStatus(); the code string is the ErrorCode's name
  /// unless `code` overrides it.
  static ApiError fromStatus(const Status& status, std::string code = {});

  int httpStatus() const { return http_status_; }
  const std::string& code() const { return code_; }
  const std::string& field() const { return field_; }

 private:
  int http_status_;
  std::string code_;
  std::string field_;
};

}  // namespace callwarden::server
