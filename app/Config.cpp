#include "app/Config.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace callwarden::app {
namespace {

enum class Kind { kString, kInt, kBool, kKeys };

struct KeySpec {
  const char* key;
  Kind kind;
  const char* description;
};

// The single list of keys: loading, unknown-key detection and --help all read it.
const KeySpec kKeys[] = {
    {"server.host", Kind::kString, "address to listen on (default 127.0.0.1)"},
    {"server.port", Kind::kInt, "TCP port (default 8080; 0 picks a free port)"},
    {"server.max_body_bytes", Kind::kInt, "largest accepted request body (default 1048576)"},
    {"server.threads", Kind::kInt, "HTTP worker threads (default 16)"},
    {"store.url", Kind::kString, "sqlite:PATH (default sqlite:callwarden.db)"},
    {"auth.keys", Kind::kKeys,
     "API keys: [{\"name\",\"sha256\",\"scopes\":[dialer|agent|auditor|admin]}]"},
    {"policy.rules", Kind::kString, "rule data file (default data/rules/us.json)"},
    {"policy.allow_client_time", Kind::kBool,
     "accept \"at\" on reservations (replay/tests only; default false)"},
    {"twilio.account_sid", Kind::kString, "Twilio Account SID (AC...)"},
    {"twilio.auth_token_file", Kind::kString, "file holding the Twilio auth token (0600)"},
    {"twilio.base_url", Kind::kString, "Twilio REST base URL (default https://api.twilio.com)"},
    {"twilio.public_base_url", Kind::kString,
     "URL Twilio uses to reach us, for callbacks and signatures"},
    {"audit.dir", Kind::kString, "directory of the audit log (default audit)"},
    {"audit.kek_file", Kind::kString, "audit key-encryption key file (0600)"},
    {"audit.signing_key_file", Kind::kString, "audit Ed25519 checkpoint signing key file (0600)"},
    {"log.level", Kind::kString, "debug | info | warn | error (default info)"},
};

std::string envName(const std::string& key) {
  std::string n = "CALLWARDEN_";
  for (char c : key)
    n += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return n;
}

Status bad(const std::string& key, const std::string& message) {
  return Status::invalidArgument(key + ": " + message, key);
}

// Looks a dotted key up in the parsed file.
Poco::Dynamic::Var fileValue(const Poco::JSON::Object::Ptr& root, const std::string& key) {
  auto dot = key.find('.');
  auto section = root->getObject(key.substr(0, dot));
  if (section.isNull() || !section->has(key.substr(dot + 1))) return {};
  return section->get(key.substr(dot + 1));
}

Status parseKeys(const Poco::Dynamic::Var& v, std::vector<server::ApiKey>& out) {
  if (v.type() != typeid(Poco::JSON::Array::Ptr)) return bad("auth.keys", "must be an array");
  auto arr = v.extract<Poco::JSON::Array::Ptr>();
  for (size_t i = 0; i < arr->size(); ++i) {
    auto o = arr->getObject(static_cast<unsigned>(i));
    std::string where = "auth.keys[" + std::to_string(i) + "]";
    if (o.isNull()) return bad(where, "must be an object");
    server::ApiKey k;
    k.name = o->optValue<std::string>("name", "");
    k.sha256 = o->optValue<std::string>("sha256", "");
    if (k.name.empty()) return bad(where, "needs a name");
    if (k.sha256.size() != 64 ||
        k.sha256.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      return bad(where,
                 "sha256 must be 64 hex characters (the SHA-256 of the token, never the token)");
    }
    auto scopes = o->getArray("scopes");
    if (scopes.isNull() || scopes->size() == 0) return bad(where, "needs a non-empty scopes array");
    for (size_t j = 0; j < scopes->size(); ++j) {
      auto s = server::parseScope(scopes->getElement<std::string>(static_cast<unsigned>(j)));
      if (!s) return bad(where, "unknown scope (dialer, agent, auditor, admin)");
      k.scopes.insert(*s);
    }
    out.push_back(std::move(k));
  }
  return Status::ok();
}

std::string resolvePath(const std::string& dir, const std::string& p) {
  if (p.empty() || p.front() == '/' || dir.empty()) return p;
  return Poco::Path(dir).append(Poco::Path(p)).toString();
}

}  // namespace

EnvLookup processEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

const std::vector<ConfigKeyDoc>& configKeyDocs() {
  static const std::vector<ConfigKeyDoc> docs = [] {
    std::vector<ConfigKeyDoc> d;
    for (const auto& k : kKeys) d.push_back({k.key, envName(k.key), k.description});
    return d;
  }();
  return docs;
}

Result<Config> loadConfig(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path);
  if (!in) return Status::ioError("cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  Poco::JSON::Object::Ptr root;
  try {
    Poco::JSON::Parser parser;
    auto v = parser.parse(ss.str());
    if (v.type() != typeid(Poco::JSON::Object::Ptr))
      return Status::invalidArgument("config must be a JSON object");
    root = v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return Status::invalidArgument("config " + path + " is not valid JSON: " + e.displayText());
  }
  // Unknown keys are errors: a misspelt key silently falling back to a default is how a
  // compliance setting gets lost.
  for (const auto& [section, value] : *root) {
    auto obj = root->getObject(section);
    if (obj.isNull()) return bad(section, "must be an object");
    for (const auto& [name, inner] : *obj) {
      std::string full = section + "." + name;
      bool known = false;
      for (const auto& k : kKeys) known = known || full == k.key;
      if (!known) return bad(full, "unknown configuration key");
    }
  }

  Config c;
  c.config_dir = Poco::Path(path).absolute().parent().toString();
  for (const auto& spec : kKeys) {
    const std::string key = spec.key;
    Poco::Dynamic::Var v = fileValue(root, key);
    std::optional<std::string> from_env = env(envName(key));
    try {
      if (from_env) {
        if (spec.kind == Kind::kKeys) {
          v = Poco::JSON::Parser().parse(*from_env);
        } else {
          v = *from_env;
        }
      }
    } catch (const Poco::Exception&) {
      return bad(key, "environment variable " + envName(key) + " is not valid JSON");
    }
    if (v.isEmpty()) continue;
    try {
      switch (spec.kind) {
        case Kind::kString: {
          if (!v.isString()) return bad(key, "must be a string");
          std::string s = v.extract<std::string>();
          if (key == "server.host")
            c.server_host = s;
          else if (key == "store.url")
            c.store_url = s;
          else if (key == "policy.rules")
            c.policy_rules = s;
          else if (key == "twilio.account_sid")
            c.twilio_account_sid = s;
          else if (key == "twilio.auth_token_file")
            c.twilio_auth_token_file = s;
          else if (key == "twilio.base_url")
            c.twilio_base_url = s;
          else if (key == "twilio.public_base_url")
            c.twilio_public_base_url = s;
          else if (key == "audit.dir")
            c.audit_dir = s;
          else if (key == "audit.kek_file")
            c.audit_kek_file = s;
          else if (key == "audit.signing_key_file")
            c.audit_signing_key_file = s;
          else if (key == "log.level")
            c.log_level = s;
          break;
        }
        case Kind::kInt: {
          long long n =
              v.isString() ? std::stoll(v.extract<std::string>()) : v.convert<long long>();
          if (key == "server.port") {
            if (n < 0 || n > 65535) return bad(key, "must be 0 to 65535");
            c.server_port = static_cast<uint16_t>(n);
          } else if (key == "server.max_body_bytes") {
            if (n < 1024 || n > (1LL << 30)) return bad(key, "must be 1024 to 1073741824");
            c.server_max_body_bytes = static_cast<size_t>(n);
          } else if (key == "server.threads") {
            if (n < 1 || n > 1024) return bad(key, "must be 1 to 1024");
            c.server_threads = static_cast<int>(n);
          }
          break;
        }
        case Kind::kBool: {
          bool b;
          if (v.type() == typeid(bool))
            b = v.extract<bool>();
          else if (v.isString() &&
                   (v.extract<std::string>() == "true" || v.extract<std::string>() == "false"))
            b = v.extract<std::string>() == "true";
          else
            return bad(key, "must be true or false");
          if (key == "policy.allow_client_time") c.policy_allow_client_time = b;
          break;
        }
        case Kind::kKeys: {
          Status s = parseKeys(v, c.auth_keys);
          if (!s.isOk()) return s;
          break;
        }
      }
    } catch (const std::exception&) {
      return bad(key, "has the wrong type");
    }
  }
  if (c.store_url.rfind("sqlite:", 0) == 0)
    c.store_url = "sqlite:" + resolvePath(c.config_dir, c.store_url.substr(7));
  c.policy_rules = resolvePath(c.config_dir, c.policy_rules);
  c.twilio_auth_token_file = resolvePath(c.config_dir, c.twilio_auth_token_file);
  c.audit_dir = resolvePath(c.config_dir, c.audit_dir);
  c.audit_kek_file = resolvePath(c.config_dir, c.audit_kek_file);
  c.audit_signing_key_file = resolvePath(c.config_dir, c.audit_signing_key_file);
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" &&
      c.log_level != "error") {
    return bad("log.level", "must be debug, info, warn or error");
  }
  return c;
}

}  // namespace callwarden::app
