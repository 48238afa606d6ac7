#pragma once
// A background thread that calls `tick` every `interval` and whenever wake() is called, for
// the service's timers (callback processing and reconciliation, recording resumes). The
// first tick runs at once with `woken` set, so work left by a previous run is picked up.
//
// Thread-safe. Owns its thread: stop() (or the destructor) wakes it and joins; a tick in
// progress finishes first. `tick` must not call stop().

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace callwarden {

class PeriodicWorker {
 public:
  struct Tick {
    bool woken;  // wake() was called (or this is the first tick)
    bool due;    // `interval` has passed since the last due tick
  };

  /// `name` (a string literal) names the thread (common/ThreadName.h).
  PeriodicWorker(const char* name, std::chrono::milliseconds interval,
                 std::function<void(Tick)> tick);
  ~PeriodicWorker();
  PeriodicWorker(const PeriodicWorker&) = delete;
  PeriodicWorker& operator=(const PeriodicWorker&) = delete;

  void wake();
  /// Idempotent.
  void stop();

 private:
  void run();

  const std::chrono::milliseconds interval_;
  const std::function<void(Tick)> tick_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mutex_
  bool pending_ = true;    // guarded by mutex_
  std::thread thread_;
};

}  // namespace callwarden
