#pragma once
// Backoff waits go through a Sleeper so tests can record them instead of waiting.

#include <chrono>
#include <thread>

namespace callwarden::twilio {

/// Thread-safe implementations only: one Sleeper is shared by every request thread.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleepFor(std::chrono::milliseconds duration) = 0;
};

/// Blocks the calling thread.
class ThreadSleeper final : public Sleeper {
 public:
  void sleepFor(std::chrono::milliseconds duration) override {
    std::this_thread::sleep_for(duration);
  }
};

}  // namespace callwarden::twilio
