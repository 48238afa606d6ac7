#pragma once
// Result<T>: a value or the Status that explains why there is none (absl::StatusOr style).

#include <cassert>
#include <optional>
#include <utility>

#include "common/Status.h"

namespace callwarden {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.isOk() && "Result needs a value or an error");
  }
  bool isOk() const { return value_.has_value(); }
  explicit operator bool() const { return isOk(); }
  /// OK when a value is held.
  const Status& status() const { return status_; }
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
  Status status_;
};

}  // namespace callwarden
