#pragma once

#include "common/Status.h"

namespace callwarden::server {

/// The single place where a module error becomes an HTTP status. Unknown codes are 500:
/// a new ErrorCode must be mapped here on purpose.
int toHttpStatus(ErrorCode code);

}  // namespace callwarden::server
