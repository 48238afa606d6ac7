#pragma once
// The subcommands of the `callwarden` CLI, as a table so that --help lists exactly what runs.

#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace callwarden::app {

struct CliCommand {
  std::vector<std::string> words;  // e.g. {"audit", "verify"}
  std::string usage;
  std::string summary;
  std::string details;  // every option, one per line
  std::function<int(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)>
      run;
};

const std::vector<CliCommand>& cliCommands();

/// Parses "--name=value", "--name value" and bare "--flag" arguments. Positional arguments
/// are returned under the key "" in order. Unknown flags are an error (nullopt, message in err).
struct CliArgs {
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;
  bool has(const std::string& f) const { return flags.count(f) != 0; }
  std::string get(const std::string& f, const std::string& fallback = {}) const {
    auto it = flags.find(f);
    return it == flags.end() ? fallback : it->second;
  }
};
std::optional<CliArgs> parseCliArgs(const std::vector<std::string>& args,
                                    const std::vector<std::string>& value_flags,
                                    const std::vector<std::string>& bool_flags, std::ostream& err);

}  // namespace callwarden::app
