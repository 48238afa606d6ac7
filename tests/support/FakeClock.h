#pragma once
// A settable clock for tests. Thread-safe, so server tests can move time while requests run.

#include <atomic>

#include "common/Clock.h"
#include "common/Rfc3339.h"

namespace callwarden::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start = Timestamp{}) : now_(start.time_since_epoch().count()) {}
  /// Convenience: FakeClock("2026-07-15T12:00:00Z"). Aborts the test on a malformed literal.
  explicit FakeClock(const char* rfc3339) : FakeClock(parseRfc3339(rfc3339).value()) {}

  Timestamp now() const override { return Timestamp{std::chrono::microseconds{now_.load()}}; }
  void set(Timestamp t) { now_.store(t.time_since_epoch().count()); }
  void advance(std::chrono::microseconds d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<long long> now_;
};

}  // namespace callwarden::testing
