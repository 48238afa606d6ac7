#include "app/Config.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace callwarden::app {
namespace {

enum class Kind { kString, kPath, kInt, kBool, kKeys };

// A setter per key: the table below is the single list of keys that loading, unknown-key
// detection and --help all read.
struct KeySpec {
  const char* key;
  Kind kind;
  const char* description;
  std::string Config::*text = nullptr;
  bool Config::*flag = nullptr;
  int Config::*number = nullptr;
  long long min = 0, max = 0;
};

const KeySpec kKeys[] = {
    {"server.host", Kind::kString, "address to listen on (default 127.0.0.1)",
     &Config::server_host},
    {"server.port", Kind::kInt, "TCP port (default 8080; 0 picks a free port)", nullptr, nullptr,
     &Config::server_port, 0, 65535},
    {"server.max_body_bytes", Kind::kInt, "largest accepted request body (default 1048576)",
     nullptr, nullptr, &Config::server_max_body_bytes, 1024, 1LL << 30},
    {"server.threads", Kind::kInt, "threads answering HTTP requests (default 16)", nullptr, nullptr,
     &Config::server_threads, 1, 1024},
    {"server.request_timeout_ms", Kind::kInt,
     "a request head must arrive within this of its first byte, and a body gets this long "
     "before server.min_body_bytes_per_second applies (default 10000)",
     nullptr, nullptr, &Config::server_request_timeout_ms, 100, 600000},
    {"server.min_body_bytes_per_second", Kind::kInt,
     "slowest a request body may arrive after its grace period; slower is 408 (default 4096)",
     nullptr, nullptr, &Config::server_min_body_bytes_per_second, 1, 1 << 30},
    {"store.url", Kind::kString,
     "sqlite:PATH (default sqlite:callwarden.db; relative to the config file)", &Config::store_url},
    {"store.sqlite_process_lock", Kind::kString,
     "shared | exclusive: whether other processes may open the SQLite file while the service "
     "runs (default shared; exclusive makes checks cheaper, and a second process, a new "
     "instance or sqlite3 then gets \"database is locked\")",
     &Config::store_sqlite_process_lock},
    {"auth.keys", Kind::kKeys,
     "API keys: [{\"name\",\"sha256\",\"scopes\":[dialer|agent|auditor|admin]}]"},
    {"policy.rules", Kind::kPath, "rule data file (default data/rules/us.json)",
     &Config::policy_rules},
    {"policy.data_dir", Kind::kPath,
     "numbering data directory: number zones, ZIP prefixes (default data)",
     &Config::policy_data_dir},
    {"policy.zone_overrides", Kind::kPath,
     "optional file adding zones to area codes (docs/rules.md)", &Config::policy_zone_overrides},
    {"policy.allow_client_time", Kind::kBool,
     "accept \"at\" on reservations (replay/tests only; default false)", nullptr,
     &Config::policy_allow_client_time},
    {"policy.unknown_zone_uses_all_us_zones", Kind::kBool,
     "with no location signal, evaluate every US zone instead of denying ZONE_UNKNOWN (default "
     "false)",
     nullptr, &Config::policy_unknown_zone_uses_all_us_zones},
    {"policy.regf_rolling_168h", Kind::kBool,
     "count Reg F 7-in-7 over a rolling 168 h instead of local days", nullptr,
     &Config::policy_regf_rolling_168h},
    {"policy.reservation_ttl_seconds", Kind::kInt,
     "a reservation with no outcome counts as placed after this (600)", nullptr, nullptr,
     &Config::policy_reservation_ttl_seconds, 10, 86400},
    {"policy.dnc_max_age_days", Kind::kInt,
     "telemarketing is denied DNC_LIST_STALE when the national registry copy is older (31)",
     nullptr, nullptr, &Config::policy_dnc_max_age_days, 0, 366},
    {"policy.require_written_consent_for_telemarketing", Kind::kBool,
     "every telemarketing call needs a recorded telemarketing or robocall grant (default false)",
     nullptr, &Config::policy_require_written_consent_for_telemarketing},
    {"policy.rnd_no_data_denies_robocalls", Kind::kBool,
     "an RND no_data answer denies robocalls: no safe harbor (default true)", nullptr,
     &Config::policy_rnd_no_data_denies_robocalls},
    {"twilio.account_sid", Kind::kString, "Twilio Account SID (AC...)",
     &Config::twilio_account_sid},
    {"twilio.auth_token_file", Kind::kPath, "file holding the Twilio auth token (0600)",
     &Config::twilio_auth_token_file},
    {"twilio.base_url", Kind::kString, "Twilio REST base URL (default https://api.twilio.com)",
     &Config::twilio_base_url},
    {"twilio.public_base_url", Kind::kString,
     "URL Twilio uses to reach us, for callbacks and signatures", &Config::twilio_public_base_url},
    {"twilio.timeout_ms", Kind::kInt,
     "socket read timeout of a Twilio REST request in ms (default 30000); a create that times "
     "out counts as placed and is reconciled",
     nullptr, nullptr, &Config::twilio_timeout_ms, 100, 120000},
    {"twilio.reconcile_interval_seconds", Kind::kInt,
     "how often calls without a final status are looked up at Twilio (default 60)", nullptr,
     nullptr, &Config::twilio_reconcile_interval_seconds, 1, 3600},
    {"recording.resume_deadline_seconds", Kind::kInt,
     "automatic resume of a paused recording after this many seconds (default 180, max 900)",
     nullptr, nullptr, &Config::recording_resume_deadline_seconds, 1, 900},
    {"recording.pause_timeout_ms", Kind::kInt,
     "how long a pause or resume waits for Twilio per attempt, in ms (default 5000); no answer "
     "means not paused",
     nullptr, nullptr, &Config::recording_pause_timeout_ms, 100, 60000},
    {"audit.dir", Kind::kPath, "directory of the audit log (default audit)", &Config::audit_dir},
    {"audit.kek_file", Kind::kPath, "audit key-encryption key file (0600)",
     &Config::audit_kek_file},
    {"audit.signing_key_file", Kind::kPath, "audit Ed25519 checkpoint signing key file (0600)",
     &Config::audit_signing_key_file},
    {"audit.checkpoint_every_records", Kind::kInt,
     "sign a checkpoint every N records (default 1000)", nullptr, nullptr,
     &Config::audit_checkpoint_every_records, 1, 10000000},
    {"audit.checkpoint_every_seconds", Kind::kInt, "and at least every T seconds (default 60)",
     nullptr, nullptr, &Config::audit_checkpoint_every_seconds, 1, 86400},
    {"audit.check_durability", Kind::kString,
     "flushed | written: whether POST /v1/calls/check answers after its audit record is "
     "fdatasync'd (default flushed) or once it is written, with the flush following "
     "(docs/adr/0002-check-record-durability.md)",
     &Config::audit_check_durability},
    {"audit.written_flush_interval_ms", Kind::kInt,
     "with check_durability written, how far apart flushes of check records begin, from the "
     "previous one's start: about what a power loss can lose of them (default 10)",
     nullptr, nullptr, &Config::audit_written_flush_interval_ms, 1, 1000},
    {"audit.flush_delay_us", Kind::kInt,
     "group commit: when others wait for the disk too, a flush waits this long for them to "
     "join it; a lone caller is flushed at once; 0: always at once (default 100)",
     nullptr, nullptr, &Config::audit_flush_delay_us, 0, 10000},
    {"log.level", Kind::kString, "debug | info | warn | error (default info)", &Config::log_level},
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
        case Kind::kString:
        case Kind::kPath:
          if (!v.isString()) return bad(key, "must be a string");
          c.*spec.text = v.extract<std::string>();
          break;
        case Kind::kInt: {
          long long n =
              v.isString() ? std::stoll(v.extract<std::string>()) : v.convert<long long>();
          if (n < spec.min || n > spec.max) {
            return bad(key,
                       "must be " + std::to_string(spec.min) + " to " + std::to_string(spec.max));
          }
          c.*spec.number = static_cast<int>(n);
          break;
        }
        case Kind::kBool:
          if (v.type() == typeid(bool)) {
            c.*spec.flag = v.extract<bool>();
          } else if (v.isString() &&
                     (v.extract<std::string>() == "true" || v.extract<std::string>() == "false")) {
            c.*spec.flag = v.extract<std::string>() == "true";
          } else {
            return bad(key, "must be true or false");
          }
          break;
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
  for (const auto& spec : kKeys) {
    if (spec.kind == Kind::kPath) c.*spec.text = resolvePath(c.config_dir, c.*spec.text);
  }
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" &&
      c.log_level != "error") {
    return bad("log.level", "must be debug, info, warn or error");
  }
  if (c.audit_check_durability != "flushed" && c.audit_check_durability != "written")
    return bad("audit.check_durability", "must be flushed or written");
  if (c.store_sqlite_process_lock != "exclusive" && c.store_sqlite_process_lock != "shared")
    return bad("store.sqlite_process_lock", "must be shared or exclusive");
  return c;
}

}  // namespace callwarden::app
