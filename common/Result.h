#pragma once
// Result<T>: a value or the Status that explains why there is none (absl::StatusOr style).

#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>

#include "common/Status.h"

namespace callwarden {

/// E is the error type: Status everywhere except where callers need a typed error (the Twilio
/// client's TwilioResult<T> = Result<T, TwilioError>, twilio/TwilioError.h).
template <typename T, typename E = Status>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : error_(std::move(error)) {   // NOLINT
    if constexpr (std::is_same_v<E, Status>) {
      assert(!error_.isOk() && "Result needs a value or an error");
    }
  }
  bool isOk() const { return value_.has_value(); }
  explicit operator bool() const { return isOk(); }
  /// OK when a value is held.
  const Status& status() const requires std::is_same_v<E, Status> { return error_; }
  /// Only meaningful when !isOk().
  const E& error() const {
    assert(!isOk());
    return error_;
  }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  // Not std::variant: g++ 12 reports false maybe-uninitialized warnings through it at -O2.
  std::optional<T> value_;
  E error_;
};

}  // namespace callwarden
