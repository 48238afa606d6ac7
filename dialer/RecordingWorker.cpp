#include "dialer/RecordingWorker.h"

namespace callwarden::dialer {

RecordingWorker::RecordingWorker(RecordingControl& control, const Clock& clock,
                                 std::chrono::milliseconds interval)
    : control_(control),
      clock_(clock),
      worker_("cw-recording", interval, [this](PeriodicWorker::Tick t) {
        // Only the first tick is "woken" (nothing else wakes this worker): that is the
        // restart recovery; later ticks resume what is due.
        if (t.woken) control_.recoverAtStart();
        if (t.due) control_.resumeDueOnce(clock_.now());
      }) {}

RecordingWorker::~RecordingWorker() {
  stop();
}

void RecordingWorker::stop() {
  worker_.stop();
}

}  // namespace callwarden::dialer
