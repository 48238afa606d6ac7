#pragma once
// Adapts audit::AuditLog to the gate's AuditTrail port.

#include "audit/AuditLog.h"
#include "dialer/AuditTrail.h"

namespace callwarden::app {

class AuditLogTrail final : public dialer::AuditTrail {
 public:
  explicit AuditLogTrail(audit::AuditLog& log) : log_(log) {}
  Result<uint64_t> append(const audit::AuditEvent& event) override { return log_.append(event); }
  Result<uint64_t> appendUnflushed(const audit::AuditEvent& event) override {
    return log_.append(event, audit::Ack::kWritten);
  }
  void whenDurable(uint64_t seq, std::function<void(const Status&)> done) override {
    log_.whenDurable(seq, std::move(done));
  }

 private:
  audit::AuditLog& log_;
};

}  // namespace callwarden::app
