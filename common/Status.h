#pragma once
// Status: the result of an operation that returns no value, in the style of leveldb::Status.
// Modules return Status/Result instead of throwing across their APIs; server/ maps the code to
// an HTTP status in exactly one place (server/toHttpStatus.cpp).

#include <string>
#include <string_view>
#include <utility>

namespace callwarden {

/// A closed set of error kinds. Switches over it must have a default that fails closed.
enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong (422 at the edge)
  kNotFound,            // the named thing does not exist
  kConflict,            // the request contradicts the stored state (409)
  kFailedPrecondition,  // the operation is not allowed in the current state
  kUnauthenticated,
  kPermissionDenied,
  kUnavailable,  // a dependency (store, audit, Twilio) cannot answer now
  kCorruption,   // stored data failed an integrity check
  kIOError,
  kInternal,
};

std::string_view errorCodeName(ErrorCode code);

/// Thread-compatible value type. Cheap to copy when ok.
class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(ErrorCode code, std::string message, std::string field = {}) {
    return Status(code, std::move(message), std::move(field));
  }
  static Status invalidArgument(std::string message, std::string field = {}) {
    return error(ErrorCode::kInvalidArgument, std::move(message), std::move(field));
  }
  static Status notFound(std::string message) {
    return error(ErrorCode::kNotFound, std::move(message));
  }
  static Status conflict(std::string message) {
    return error(ErrorCode::kConflict, std::move(message));
  }
  static Status unavailable(std::string message) {
    return error(ErrorCode::kUnavailable, std::move(message));
  }
  static Status ioError(std::string message) {
    return error(ErrorCode::kIOError, std::move(message));
  }
  static Status corruption(std::string message) {
    return error(ErrorCode::kCorruption, std::move(message));
  }
  static Status internal(std::string message) {
    return error(ErrorCode::kInternal, std::move(message));
  }

  bool isOk() const { return code_ == ErrorCode::kOk; }
  explicit operator bool() const { return isOk(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  /// The request field the error is about, if any (for {"error":{"field":...}}).
  const std::string& field() const { return field_; }
  std::string toString() const;

 private:
  Status(ErrorCode code, std::string message, std::string field)
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  std::string field_;
};

}  // namespace callwarden
