#pragma once
// The service configuration: one JSON file (--config=PATH), every key overridable by an
// environment variable. The variable for a key is CALLWARDEN_ + the key upper-cased with
// dots as underscores: server.port -> CALLWARDEN_SERVER_PORT, auth.keys -> CALLWARDEN_AUTH_KEYS
// (a JSON array). Relative paths are resolved against the config file's directory.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/Result.h"
#include "server/Auth.h"

namespace callwarden::app {

struct Config {
  // server.*
  std::string server_host = "127.0.0.1";
  int server_port = 8080;
  int server_max_body_bytes = 1048576;
  int server_threads = 16;
  int server_request_timeout_ms = 10000;
  int server_min_body_bytes_per_second = 4096;
  // store.*
  std::string store_url = "sqlite:callwarden.db";
  std::string store_sqlite_process_lock = "shared";  // or "exclusive" (store::ProcessLock)
  // auth.*
  std::vector<server::ApiKey> auth_keys;
  // policy.*
  std::string policy_rules = "data/rules/us.json";
  std::string policy_data_dir = "data";
  std::string policy_zone_overrides;
  bool policy_allow_client_time = false;
  bool policy_unknown_zone_uses_all_us_zones = false;
  bool policy_regf_rolling_168h = false;
  int policy_reservation_ttl_seconds = 600;
  int policy_dnc_max_age_days = 31;
  bool policy_require_written_consent_for_telemarketing = false;
  bool policy_rnd_no_data_denies_robocalls = true;
  // twilio.*
  std::string twilio_account_sid;
  std::string twilio_auth_token_file;
  std::string twilio_base_url = "https://api.twilio.com";
  std::string twilio_public_base_url;
  int twilio_timeout_ms = 30000;               // per socket read/write on a REST request
  int twilio_reconcile_interval_seconds = 60;  // reconciler pass / retry interval
  // recording.* (issue #8, docs/recording.md)
  int recording_resume_deadline_seconds = 180;  // automatic resume after a pause, <= 900
  int recording_pause_timeout_ms = 5000;        // bound on Twilio's answer to a pause
  // audit.*
  std::string audit_dir = "audit";
  std::string audit_kek_file = "keys/audit-kek.key";
  std::string audit_signing_key_file = "keys/audit-signing.key";
  int audit_checkpoint_every_records = 1000;
  int audit_checkpoint_every_seconds = 60;
  std::string audit_check_durability = "flushed";  // or "written" (docs/adr/0002)
  int audit_written_flush_interval_ms = 10;        // docs/adr/0002, addendum 2
  int audit_flush_delay_us = 100;                  // group commit, docs/adr/0002, addendum 3
  // log.*
  std::string log_level = "info";

  std::string config_dir;  // where relative paths were resolved from
};

/// Reads an environment variable; injectable so tests need not touch the real environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup processEnv();

/// Every key with its environment variable and a one-line description, for --help and docs.
struct ConfigKeyDoc {
  std::string key;
  std::string env;
  std::string description;
};
const std::vector<ConfigKeyDoc>& configKeyDocs();

/// Fails with kInvalidArgument naming the key (field) on a wrong type, an unknown key or a
/// bad value, and kIOError when the file cannot be read.
Result<Config> loadConfig(const std::string& path, const EnvLookup& env);

}  // namespace callwarden::app
