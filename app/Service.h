#pragma once
// The composition root: builds every module from a Config, wires routes, and owns their
// lifetimes. No logic lives here beyond wiring; callwardend and the test harness both use it.

#include <memory>

#include "app/Config.h"
#include "common/Clock.h"
#include "common/Result.h"

namespace callwarden::app {

class Service {
 public:
  /// Opens the store (migrations), the audit log and the rules, then starts listening.
  /// Any failure returns a Status that says which part failed; nothing is left running.
  static Result<std::unique_ptr<Service>> start(const Config& config, const Clock& clock);
  ~Service();
  /// Stops accepting requests, waits for in-flight ones, then closes the audit log (final
  /// checkpoint) and the store.
  void stop();
  uint16_t port() const;

  struct Parts;  // the wired modules; defined in Service.cpp

 private:
  explicit Service(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace callwarden::app
