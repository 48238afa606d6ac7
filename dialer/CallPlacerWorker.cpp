#include "dialer/CallPlacerWorker.h"

namespace callwarden::dialer {

CallPlacerWorker::CallPlacerWorker(CallPlacer& placer, const Clock& clock,
                                   std::chrono::milliseconds interval)
    : placer_(placer), clock_(clock), interval_(interval) {
  placer_.setWakeup([this] { wake(); });
  thread_ = std::thread([this] { run(); });
}

CallPlacerWorker::~CallPlacerWorker() {
  stop();
}

void CallPlacerWorker::stop() {
  placer_.setWakeup(nullptr);
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CallPlacerWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    pending_ = true;
  }
  cv_.notify_all();
}

void CallPlacerWorker::run() {
  auto next_reconcile = std::chrono::steady_clock::now() + interval_;
  for (;;) {
    bool events = false;
    {
      std::unique_lock lock(mutex_);
      cv_.wait_until(lock, next_reconcile, [this] { return stopping_ || pending_; });
      if (stopping_) return;
      events = pending_;
      pending_ = false;
    }
    if (events) placer_.processPendingEvents();
    if (std::chrono::steady_clock::now() >= next_reconcile) {
      placer_.reconcileOnce(clock_.now());
      placer_.processPendingEvents();
      next_reconcile = std::chrono::steady_clock::now() + interval_;
    }
  }
}

}  // namespace callwarden::dialer
