#pragma once
// Starts the real callwarden service (app::Service: real HTTP server, real SQLite file,
// real audit log) on 127.0.0.1 and a free port, in a temporary directory, with a fake clock.
// Every integration test builds on this.

#include <functional>
#include <memory>
#include <string>

#include "FakeClock.h"
#include "HttpClient.h"
#include "TempDir.h"
#include "app/Config.h"

namespace callwarden::app {
class Service;
}

namespace callwarden::testing {

/// Bearer tokens the harness configures, one per scope, plus one with every scope.
inline constexpr const char* kDialerToken = "test-token-dialer";
inline constexpr const char* kAgentToken = "test-token-agent";
inline constexpr const char* kAuditorToken = "test-token-auditor";
inline constexpr const char* kAdminToken = "test-token-admin";

class TestServer {
 public:
  /// `tweak` may change the configuration before the service starts.
  explicit TestServer(std::function<void(app::Config&)> tweak = {});
  ~TestServer();

  uint16_t port() const;
  app::Config& config() { return config_; }
  FakeClock& clock() { return clock_; }
  const TempDir& dir() const { return dir_; }

  /// Stops and starts the service again on the same files (restart tests).
  void restart();
  void stop();

  HttpResult get(const std::string& path, const std::string& token = {});
  HttpResult postJson(const std::string& path, const std::string& json,
                      const std::string& token = {});
  HttpResult putJson(const std::string& path, const std::string& json,
                     const std::string& token = {});
  HttpResult send(HttpRequestSpec spec, const std::string& token = {});

 private:
  HttpResult sendJson(const std::string& method, const std::string& path, const std::string& json,
                      const std::string& token);
  void start();
  TempDir dir_;
  FakeClock clock_;
  app::Config config_;
  std::unique_ptr<app::Service> service_;
};

}  // namespace callwarden::testing
