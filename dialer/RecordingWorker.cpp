#include "dialer/RecordingWorker.h"

namespace callwarden::dialer {

RecordingWorker::RecordingWorker(RecordingControl& control, const Clock& clock,
                                 std::chrono::milliseconds interval)
    : control_(control), clock_(clock), interval_(interval) {
  thread_ = std::thread([this] { run(); });
}

RecordingWorker::~RecordingWorker() {
  stop();
}

void RecordingWorker::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RecordingWorker::run() {
  control_.recoverAtStart();
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    control_.resumeDueOnce(clock_.now());
    lock.lock();
  }
}

}  // namespace callwarden::dialer
