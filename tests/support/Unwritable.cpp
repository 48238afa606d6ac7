#include "Unwritable.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace callwarden::testing {

bool Unwritable::apply(const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    if (!std::filesystem::exists(p)) continue;
    paths_.push_back(p);
    ::chmod(p.c_str(), 0444);
  }
  if (::geteuid() == 0) {
    std::string cmd = "chattr +i";
    for (const auto& p : paths_) cmd += " '" + p + "'";
    cmd += " 2>/dev/null";
    immutable_ = std::system(cmd.c_str()) == 0;
    if (!immutable_) return false;
  }
  return true;
}

Unwritable::~Unwritable() {
  if (immutable_) {
    std::string cmd = "chattr -i";
    for (const auto& p : paths_) cmd += " '" + p + "'";
    cmd += " 2>/dev/null";
    (void)std::system(cmd.c_str());
  }
  for (const auto& p : paths_) ::chmod(p.c_str(), 0644);
}

}  // namespace callwarden::testing
