#pragma once
// The call placer's background thread: applies stored provider callbacks as soon as the
// placer wakes it (the receiver only stores and acknowledges them), and runs a reconciliation
// pass every `interval`, at the injected clock's time. Also applies anything left unprocessed
// by a previous run when it starts.
//
// Thread-safe. Owns its thread: the destructor (or stop()) wakes it and joins. The placer must
// outlive this object.

#include <chrono>

#include "common/Clock.h"
#include "common/PeriodicWorker.h"
#include "dialer/CallPlacer.h"

namespace callwarden::dialer {

class CallPlacerWorker {
 public:
  /// Starts the thread and registers itself as the placer's wake-up hook.
  CallPlacerWorker(CallPlacer& placer, const Clock& clock, std::chrono::milliseconds interval);
  ~CallPlacerWorker();
  CallPlacerWorker(const CallPlacerWorker&) = delete;
  CallPlacerWorker& operator=(const CallPlacerWorker&) = delete;

  /// Unregisters the hook and joins the thread. Idempotent.
  void stop();
  /// Asks for an event pass soon (called by the placer after storing an event).
  void wake();

 private:
  CallPlacer& placer_;
  const Clock& clock_;
  PeriodicWorker worker_;
};

}  // namespace callwarden::dialer
