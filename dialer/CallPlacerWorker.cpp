#include "dialer/CallPlacerWorker.h"

namespace callwarden::dialer {

CallPlacerWorker::CallPlacerWorker(CallPlacer& placer, const Clock& clock,
                                   std::chrono::milliseconds interval)
    : placer_(placer), clock_(clock), worker_("cw-calls", interval, [this](PeriodicWorker::Tick t) {
        // Stored callbacks first; a reconciliation pass may store more, so apply them after.
        if (t.woken) placer_.processPendingEvents();
        if (t.due) {
          placer_.reconcileOnce(clock_.now());
          placer_.processPendingEvents();
        }
      }) {
  placer_.setWakeup([this] { wake(); });
}

CallPlacerWorker::~CallPlacerWorker() {
  stop();
}

void CallPlacerWorker::stop() {
  placer_.setWakeup(nullptr);
  worker_.stop();
}

void CallPlacerWorker::wake() {
  worker_.wake();
}

}  // namespace callwarden::dialer
