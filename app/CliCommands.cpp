#include "app/CliCommands.h"

#include <algorithm>

#include "app/Config.h"
#include "common/Hex.h"
#include "common/Random.h"
#include "common/Sha256.h"

namespace callwarden::app {

std::optional<CliArgs> parseCliArgs(const std::vector<std::string>& args,
                                    const std::vector<std::string>& value_flags,
                                    const std::vector<std::string>& bool_flags, std::ostream& err) {
  CliArgs out;
  auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    auto eq = name.find('=');
    bool has_value = eq != std::string::npos;
    if (has_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (contains(bool_flags, name) && !has_value) {
      out.flags[name] = "true";
    } else if (contains(value_flags, name)) {
      if (!has_value) {
        if (i + 1 >= args.size()) {
          err << "callwarden: --" << name << " needs a value\n";
          return std::nullopt;
        }
        value = args[++i];
      }
      out.flags[name] = value;
    } else {
      err << "callwarden: unknown option --" << name << "\n";
      return std::nullopt;
    }
  }
  return out;
}

namespace {

int tokenNew(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parseCliArgs(argv, {"name", "scopes"}, {}, err);
  if (!args) return 3;
  std::string name = args->get("name"), scopes = args->get("scopes");
  if (name.empty() || scopes.empty()) {
    err << "callwarden token new: --name and --scopes are required\n";
    return 3;
  }
  std::string scope_json;
  size_t start = 0;
  while (start <= scopes.size()) {
    size_t comma = scopes.find(',', start);
    if (comma == std::string::npos) comma = scopes.size();
    std::string s = scopes.substr(start, comma - start);
    if (!server::parseScope(s)) {
      err << "callwarden token new: unknown scope '" << s << "' (dialer, agent, auditor, admin)\n";
      return 3;
    }
    scope_json += (scope_json.empty() ? "\"" : ", \"") + s + "\"";
    start = comma + 1;
  }
  // 256 bits: the token is a bearer credential; only its hash goes into the config.
  std::string token = "cw_" + toHex(randomBytes(32));
  out << "token: " << token << "\n";
  out << "auth.keys entry: {\"name\": \"" << name << "\", \"sha256\": \"" << sha256Hex(token)
      << "\", \"scopes\": [" << scope_json << "]}\n";
  return 0;
}

int configCheck(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parseCliArgs(argv, {"config"}, {}, err);
  if (!args) return 3;
  if (!args->has("config")) {
    err << "callwarden config check: --config=PATH is required\n";
    return 3;
  }
  auto c = loadConfig(args->get("config"), processEnv());
  if (!c.isOk()) {
    err << "callwarden: " << c.status().toString() << "\n";
    return 1;
  }
  out << "configuration ok: " << c->auth_keys.size() << " API keys, store " << c->store_url << "\n";
  return 0;
}

}  // namespace

const std::vector<CliCommand>& cliCommands() {
  static const std::vector<CliCommand> commands = {
      {{"token", "new"},
       "callwarden token new --name NAME --scopes dialer[,agent,auditor,admin]",
       "create a random API token; prints the token once and the auth.keys entry (its SHA-256) for "
       "the config",
       "  --name NAME      key name shown in logs and audit records\n"
       "  --scopes LIST    comma-separated scopes: dialer, agent, auditor, admin\n",
       tokenNew},
      {{"config", "check"},
       "callwarden config check --config=PATH",
       "load a configuration file with its environment overrides and report the first problem",
       "  --config=PATH    the JSON configuration file\n",
       configCheck},
  };
  return commands;
}

}  // namespace callwarden::app
