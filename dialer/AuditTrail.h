#pragma once
// Where the gate writes what it decided. A port so tests can make the audit log fail and
// prove that the gate then denies (fail closed); app/ adapts audit::AuditLog to it.

#include <cstdint>
#include <functional>

#include "audit/AuditEvent.h"
#include "common/Result.h"

namespace callwarden::dialer {

/// Thread-safe implementations only.
class AuditTrail {
 public:
  virtual ~AuditTrail() = default;
  /// Returns once the event is durable; an error means it is not in the log.
  virtual Result<uint64_t> append(const audit::AuditEvent& event) = 0;
  /// For records of decisions that change nothing (a check): may return once the event is
  /// written, before it is flushed (audit::Ack::kWritten); an error still means it is not in
  /// the log. Durable unless an implementation says otherwise.
  virtual Result<uint64_t> appendUnflushed(const audit::AuditEvent& event) { return append(event); }
  /// Calls `done` once the record appendUnflushed() returned as `seq` is durable (ok), or can
  /// no longer be (an error); from any thread, possibly before returning. Must not block.
  virtual void whenDurable(uint64_t seq, std::function<void(const Status&)> done) {
    (void)seq;
    done(Status::ok());  // appendUnflushed() above waited for the disk
  }
};

}  // namespace callwarden::dialer
