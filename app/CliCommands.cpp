#include "app/CliCommands.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "app/AuditLogTrail.h"
#include "app/Config.h"
#include "audit/AuditLog.h"
#include "audit/Exporter.h"
#include "audit/Keys.h"
#include "audit/Verifier.h"
#include "common/Hex.h"
#include "common/Random.h"
#include "common/Rfc3339.h"
#include "common/Sha256.h"
#include "dialer/ListAdmin.h"
#include "store/Database.h"
#include "store/SqliteListStore.h"

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

// Loads --config and reports a usage error (exit 3) when it is missing or bad.
std::optional<Config> configFrom(const CliArgs& args, std::ostream& err) {
  if (!args.has("config")) {
    err << "callwarden: --config=PATH is required\n";
    return std::nullopt;
  }
  auto c = loadConfig(args.get("config"), processEnv());
  if (!c.isOk()) {
    err << "callwarden: " << c.status().toString() << "\n";
    return std::nullopt;
  }
  return *c;
}

audit::VerifyOptions verifyOptions(const Config& c, const CliArgs& args) {
  audit::VerifyOptions o;
  o.dir = c.audit_dir;
  o.signing_key_file = c.audit_signing_key_file;
  o.kek_file = c.audit_kek_file;
  o.trusted_checkpoint_file = args.get("trusted-checkpoint");
  return o;
}

int keysInit(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parseCliArgs(argv, {"config"}, {}, err);
  if (!args) return 3;
  auto c = configFrom(*args, err);
  if (!c) return 3;
  // The key directory is created private; an existing one is left as it is.
  for (const auto& f : {c->audit_kek_file, c->audit_signing_key_file}) {
    std::filesystem::path dir = std::filesystem::path(f).parent_path();
    std::error_code ec;
    if (!dir.empty() && std::filesystem::create_directories(dir, ec)) {
      std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    }
  }
  auto pub = audit::initKeys(c->audit_kek_file, c->audit_signing_key_file);
  if (!pub.isOk()) {
    err << "callwarden keys init: " << pub.status().message() << "\n";
    return 1;
  }
  out << "created " << c->audit_kek_file << " and " << c->audit_signing_key_file
      << " (mode 0600)\n";
  out << "checkpoint verifier key (keep a copy outside this host):\n" << *pub << "\n";
  return 0;
}

int auditVerify(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parseCliArgs(argv, {"config", "trusted-checkpoint"}, {"json"}, err);
  if (!args) return 3;
  auto c = configFrom(*args, err);
  if (!c) return 3;
  auto report = audit::verifyLog(verifyOptions(*c, *args));
  out << (args->has("json") ? audit::toJson(report) : audit::toText(report));
  return report.exit_code;
}

int auditExport(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parseCliArgs(argv, {"config", "from", "to"}, {}, err);
  if (!args) return 3;
  auto c = configFrom(*args, err);
  if (!c) return 3;
  auto from = parseRfc3339(args->get("from", "1970-01-01T00:00:00Z"));
  auto to = parseRfc3339(args->get("to", "9999-12-31T23:59:59Z"));
  if (!from.isOk() || !to.isOk()) {
    err << "callwarden audit export: --from and --to take RFC 3339 date-times\n";
    return 3;
  }
  Status s = audit::exportRecords(verifyOptions(*c, *args), *from, *to, out);
  if (!s.isOk()) {
    err << "callwarden audit export: " << s.message() << "\n";
    return s.code() == ErrorCode::kCorruption ? 1 : 3;
  }
  return 0;
}

// Imports a national or state do-not-call file straight into the store, with the same rules
// and audit record as POST /v1/dnc/imports. It opens the audit log, which allows one writer:
// while callwardend runs, use the HTTP endpoint instead.
int dncImport(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parseCliArgs(argv, {"config", "list", "obtained"}, {}, err);
  if (!args) return 3;
  auto c = configFrom(*args, err);
  if (!c) return 3;
  if (!args->has("list") || !args->has("obtained") || args->positional.size() != 1) {
    err << "callwarden dnc import: --list, --obtained and one FILE are required\n";
    return 3;
  }
  auto obtained = policy::parseDate(args->get("obtained"));
  if (!obtained.isOk()) {
    err << "callwarden dnc import: --obtained must be YYYY-MM-DD\n";
    return 3;
  }
  std::ifstream file(args->positional[0], std::ios::binary);
  if (!file) {
    err << "callwarden dnc import: cannot open " << args->positional[0] << "\n";
    return 3;
  }
  SystemClock clock;
  audit::AuditOptions ao;
  ao.dir = c->audit_dir;
  ao.kek_file = c->audit_kek_file;
  ao.signing_key_file = c->audit_signing_key_file;
  auto log = audit::AuditLog::open(ao, clock);
  if (!log.isOk()) {
    err << "callwarden dnc import: audit log: " << log.status().message()
        << " (while callwardend runs, use POST /v1/dnc/imports)\n";
    return 1;
  }
  auto db =
      store::Database::open(c->store_url, store::processLockNamed(c->store_sqlite_process_lock));
  if (!db.isOk()) {
    err << "callwarden dnc import: store: " << db.status().message() << "\n";
    return 1;
  }
  AuditLogTrail trail(**log);
  int rc = 0;
  {
    store::SqliteListStore lists(**db);
    dialer::ListAdmin admin(lists, trail, clock);
    dialer::ImportRequest req;
    req.list = args->get("list");
    req.obtained = *obtained;
    // Progress only on a terminal: a log file should not fill with carriage returns.
    if (::isatty(STDERR_FILENO) == 1) {
      req.progress_every = 500000;
      req.progress = [&err](std::uint64_t lines) {
        err << "\r" << lines << " lines" << std::flush;
      };
    }
    auto report = admin.importList(req, file, {"cli", "cli"});
    if (req.progress) err << "\n";
    if (!report.isOk()) {
      err << "callwarden dnc import: " << report.status().message() << "\n";
      rc = 1;
    } else {
      out << (report->committed ? "imported " : "NOT imported ") << report->list << " obtained "
          << policy::formatDate(report->obtained) << ": " << report->lines << " lines, "
          << report->accepted << " numbers, " << report->duplicates << " duplicates, "
          << report->rejected << " rejected\n";
      if (!report->rejected_lines.empty()) {
        out << "rejected lines:";
        for (auto l : report->rejected_lines) out << " " << l;
        if (report->rejected > report->rejected_lines.size()) out << " ...";
        out << "\n";
      }
      if (!report->committed) {
        err << "callwarden dnc import: " << report->failure << "; the previous list stays\n";
        rc = 1;
      }
    }
  }
  Status closed = (*log)->close();
  if (!closed.isOk()) {
    err << "callwarden dnc import: audit log close: " << closed.message() << "\n";
    rc = 1;
  }
  return rc;
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
      {{"keys", "init"},
       "callwarden keys init --config=PATH",
       "create the audit key-encryption key and Ed25519 signing key (0600) and print the verifier "
       "key",
       "  --config=PATH    the configuration naming audit.kek_file and audit.signing_key_file\n"
       "  Existing key files are never overwritten.\n",
       keysInit},
      {{"audit", "verify"},
       "callwarden audit verify --config=PATH [--trusted-checkpoint FILE] [--json]",
       "check the audit log's chain, Merkle checkpoints, signatures and encryption",
       "  --config=PATH               the service configuration (audit.dir and key files)\n"
       "  --trusted-checkpoint FILE   a checkpoint saved earlier (GET /v1/audit/checkpoint); "
       "detects rollback\n"
       "  --json                      machine-readable report\n"
       "  Exit: 0 intact; 1 integrity failure (first bad seq and kind: seq_gap, "
       "prev_hash_mismatch,\n"
       "  root_mismatch, bad_signature, aead_fail, decode_error, rollback); 2 intact with "
       "warnings\n"
       "  (records after the last checkpoint); 3 usage or I/O error.\n",
       auditVerify},
      {{"audit", "export"},
       "callwarden audit export --config=PATH [--from T1] [--to T2]",
       "write decrypted audit records in [T1, T2] as JSON lines (shredded subjects read "
       "\"shredded\")",
       "  --config=PATH    the service configuration\n"
       "  --from T1        RFC 3339 instant (default: the beginning)\n"
       "  --to T2          RFC 3339 instant (default: the end)\n",
       auditExport},
      {{"dnc", "import"},
       "callwarden dnc import --config=PATH --list national|US-XX --obtained YYYY-MM-DD FILE",
       "replace a national or state do-not-call list with a downloaded file (one 10-digit number "
       "per line)",
       "  --config=PATH    the service configuration (store.url, audit.*)\n"
       "  --list NAME      national, or a state list as US-XX (US-TX)\n"
       "  --obtained DATE  the date the file was downloaded (the 31-day scrub age counts from it)\n"
       "  Malformed lines are reported by number and skipped; an empty or unreadable file keeps\n"
       "  the previous list. Opens the audit log, so stop callwardend first or use\n"
       "  POST /v1/dnc/imports. Progress goes to stderr on a terminal. Exit: 0 imported, 1 not\n"
       "  imported, 3 usage error.\n",
       dncImport},
  };
  return commands;
}

}  // namespace callwarden::app
