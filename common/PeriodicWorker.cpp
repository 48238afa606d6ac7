#include "common/PeriodicWorker.h"

#include "common/ThreadName.h"

namespace callwarden {

PeriodicWorker::PeriodicWorker(const char* name, std::chrono::milliseconds interval,
                               std::function<void(Tick)> tick)
    : interval_(interval), tick_(std::move(tick)), thread_([this, name] {
        nameCurrentThread(name);
        run();
      }) {}

PeriodicWorker::~PeriodicWorker() {
  stop();
}

void PeriodicWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    pending_ = true;
  }
  cv_.notify_all();
}

void PeriodicWorker::run() {
  // Steady time paces the thread; what a tick decides is up to the caller's injected clock.
  auto next_due = std::chrono::steady_clock::now() + interval_;
  for (;;) {
    Tick t{false, false};
    {
      std::unique_lock lock(mutex_);
      cv_.wait_until(lock, next_due, [this] { return stopping_ || pending_; });
      if (stopping_) return;
      t.woken = pending_;
      pending_ = false;
    }
    t.due = std::chrono::steady_clock::now() >= next_due;
    if (t.due) next_due = std::chrono::steady_clock::now() + interval_;
    tick_(t);
  }
}

}  // namespace callwarden
