#pragma once
// Time is injected: no module reads the system clock except through a Clock, so tests can
// drive every time-dependent rule with a fake clock (tests/support/FakeClock.h).

#include <chrono>

namespace callwarden {

/// An instant in UTC with microsecond precision.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

/// Thread-safe implementations only: a Clock is shared by every request thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

/// The real wall clock.
class SystemClock final : public Clock {
 public:
  Timestamp now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
  }
};

}  // namespace callwarden
