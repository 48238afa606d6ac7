#pragma once
// Recording control's durable timer: at start it recovers what a previous run left paused
// (RecordingControl::recoverAtStart), then every `interval` resumes sessions whose deadline or
// retry time has passed, at the injected clock's time (RecordingControl::resumeDueOnce).
//
// Thread-safe. Owns its thread: the destructor (or stop()) wakes it and joins. The control
// must outlive this object.

#include <chrono>

#include "common/Clock.h"
#include "common/PeriodicWorker.h"
#include "dialer/RecordingControl.h"

namespace callwarden::dialer {

class RecordingWorker {
 public:
  RecordingWorker(RecordingControl& control, const Clock& clock,
                  std::chrono::milliseconds interval);
  ~RecordingWorker();
  RecordingWorker(const RecordingWorker&) = delete;
  RecordingWorker& operator=(const RecordingWorker&) = delete;
  /// Joins the thread. Idempotent.
  void stop();

 private:
  RecordingControl& control_;
  const Clock& clock_;
  PeriodicWorker worker_;
};

}  // namespace callwarden::dialer
