// callwarden: the operator CLI. Each subcommand parses its own flags and calls into the
// modules; no logic lives here.

#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "app/CliCommands.h"

namespace {

void printUsage(std::ostream& out) {
  out << "callwarden: operator tool for the callwarden compliance gate.\n\n"
         "Usage: callwarden COMMAND [OPTIONS]\n\n";
  for (const auto& c : callwarden::app::cliCommands()) {
    out << "  " << c.usage << "\n      " << c.summary << "\n";
  }
  out << "\n  --help, -h\n      show this help\n\n"
         "Exit status: 0 success; 1 failure (for audit verify: integrity failure); 2 audit verify "
         "passed with\n"
         "warnings; 3 usage or I/O error.\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    printUsage(std::cout);
    return args.empty() ? 3 : 0;
  }
  for (const auto& c : callwarden::app::cliCommands()) {
    size_t words = c.words.size();
    if (args.size() < words) continue;
    bool match = true;
    for (size_t i = 0; i < words; ++i) match = match && args[i] == c.words[i];
    if (!match) continue;
    std::vector<std::string> rest(args.begin() + static_cast<long>(words), args.end());
    for (const auto& a : rest) {
      if (a == "--help" || a == "-h") {
        std::cout << "Usage: " << c.usage << "\n" << c.summary << "\n" << c.details;
        return 0;
      }
    }
    return c.run(rest, std::cout, std::cerr);
  }
  std::cerr << "callwarden: unknown command (see callwarden --help)\n";
  return 3;
}
