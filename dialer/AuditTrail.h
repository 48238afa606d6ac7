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
  /// the log.
  virtual Result<uint64_t> appendUnflushed(const audit::AuditEvent& event) = 0;
  /// Calls `done` once the record appendUnflushed() returned as `seq` is durable (ok), or can
  /// no longer be (an error); from any thread, possibly before returning. Must not block.
  /// Pure, like appendUnflushed(): a trail that answered before the flush and inherited an
  /// "already durable" here would let a held check leave before its record is on disk.
  virtual void whenDurable(uint64_t seq, std::function<void(const Status&)> done) = 0;
};

/// A trail whose every append waits for the disk: appendUnflushed() is append(), so a record
/// it returned is already durable.
class DurableAuditTrail : public AuditTrail {
 public:
  Result<uint64_t> appendUnflushed(const audit::AuditEvent& event) final { return append(event); }
  void whenDurable(uint64_t /*seq*/, std::function<void(const Status&)> done) final {
    done(Status::ok());
  }
};

}  // namespace callwarden::dialer
