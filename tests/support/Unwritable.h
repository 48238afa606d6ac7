#pragma once
// Makes files unwritable even for root (tests and CI run as root, and root ignores mode
// bits): chmod for ordinary users, plus the ext4 immutable attribute where we are root.

#include <string>
#include <vector>

namespace callwarden::testing {

class Unwritable {
 public:
  /// Returns false (and changes nothing) when the files cannot be made unwritable here.
  bool apply(const std::vector<std::string>& paths);
  ~Unwritable();

 private:
  std::vector<std::string> paths_;
  bool immutable_ = false;
};

}  // namespace callwarden::testing
