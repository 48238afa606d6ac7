#include "server/toHttpStatus.h"

#include "server/ApiError.h"

namespace callwarden::server {

int toHttpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return 200;
    case ErrorCode::kInvalidArgument:
      return 422;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kFailedPrecondition:
      return 409;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kCorruption:
    case ErrorCode::kIOError:
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

ApiError ApiError::fromStatus(const Status& status, std::string code) {
  if (code.empty()) {
    code = status.code() == ErrorCode::kInvalidArgument ? "INVALID_FIELD"
                                                        : std::string(errorCodeName(status.code()));
  }
  return ApiError(toHttpStatus(status.code()), std::move(code), status.message(), status.field());
}

}  // namespace callwarden::server
