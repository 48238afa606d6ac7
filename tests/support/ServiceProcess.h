#pragma once
// Runs the real callwardend binary as a child process (for tests that need a second process
// on the same SQLite file, or kill -9). Reads the bound port from its JSON log.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

namespace callwarden::testing {

class ServiceProcess {
 public:
  /// Starts `callwardend --config=config_path` with extra environment variables and waits
  /// (up to 20 s) until it logs that it listens. Throws std::runtime_error on failure.
  ServiceProcess(const std::string& config_path, const std::map<std::string, std::string>& env,
                 const std::string& log_path);
  ~ServiceProcess();
  uint16_t port() const { return port_; }
  /// SIGKILL: no shutdown code runs.
  void kill9();

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

/// The path of a built program, e.g. binaryPath("callwardend").
std::string binaryPath(const std::string& name);

}  // namespace callwarden::testing
