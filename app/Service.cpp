#include "app/Service.h"

#include "app/AuditLogTrail.h"
#include "app/TwilioTelephony.h"
#include "audit/AuditLog.h"
#include "audit/Keys.h"
#include "common/Log.h"
#include "dialer/CallGate.h"
#include "dialer/CallPlacer.h"
#include "dialer/CallPlacerWorker.h"
#include "dialer/ListAdmin.h"
#include "dialer/RecordingControl.h"
#include "dialer/RecordingWorker.h"
#include "rules/FrequencyRuleLoader.h"
#include "rules/NumberingPlanLoader.h"
#include "rules/RecordingRuleLoader.h"
#include "rules/RuleFileLoader.h"
#include "server/AuditRoutes.h"
#include "server/CallRoutes.h"
#include "server/GatewayRoutes.h"
#include "server/HealthRoutes.h"
#include "server/HttpServer.h"
#include "server/ListRoutes.h"
#include "server/RecordingRoutes.h"
#include "store/Database.h"
#include "store/SqliteAttemptLedger.h"
#include "store/SqliteListStore.h"
#include "store/SqliteRecordingStore.h"

namespace callwarden::app {

// Declaration order is construction order; members are destroyed in reverse, so the HTTP
// server stops before anything it calls into goes away.
struct Service::Parts {
  Config config;
  const Clock* clock = nullptr;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<AuditLogTrail> trail;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::SqliteAttemptLedger> ledger;
  std::unique_ptr<store::SqliteListStore> lists;  // do-not-call lists, consent, RND answers
  std::unique_ptr<dialer::ListAdmin> list_admin;
  std::shared_ptr<const policy::CallingWindowPolicy> windows;
  std::unique_ptr<dialer::CallGate> gate;
  std::unique_ptr<TwilioTelephony> telephony;  // null when twilio.account_sid is empty
  std::unique_ptr<dialer::CallPlacer> placer;
  std::unique_ptr<dialer::CallPlacerWorker> placer_worker;
  // Recording control (issue #8, docs/recording.md).
  std::unique_ptr<store::SqliteRecordingStore> recording_store;
  std::unique_ptr<dialer::RecordingControl> recording;
  std::unique_ptr<dialer::RecordingWorker> recording_worker;
  std::unique_ptr<server::Authenticator> authenticator;
  server::Metrics metrics;
  server::Router router;
  server::ServerContext context;
  std::unique_ptr<server::HttpServer> http;
};

namespace {

Status openAudit(Service::Parts& p) {
  for (const auto& f : {p.config.audit_kek_file, p.config.audit_signing_key_file}) {
    Status s = audit::checkKeyFile(f);
    if (!s.isOk())
      return Status::error(s.code(),
                           s.message() + " (create keys with: callwarden keys init --config=PATH)");
  }
  audit::AuditOptions o;
  o.dir = p.config.audit_dir;
  o.kek_file = p.config.audit_kek_file;
  o.signing_key_file = p.config.audit_signing_key_file;
  o.checkpoint_every_records = static_cast<uint64_t>(p.config.audit_checkpoint_every_records);
  o.checkpoint_every = std::chrono::seconds(p.config.audit_checkpoint_every_seconds);
  o.written_flush_interval = std::chrono::milliseconds(p.config.audit_written_flush_interval_ms);
  o.flush_delay = std::chrono::microseconds(p.config.audit_flush_delay_us);
  auto log = audit::AuditLog::open(o, *p.clock);
  if (!log.isOk()) return log.status();
  p.audit = std::move(log).value();
  p.trail = std::make_unique<AuditLogTrail>(*p.audit);
  // What the service runs with, minus secrets (key names only, never hashes or tokens).
  audit::AuditEvent ev;
  ev.type = audit::EventType::kConfigLoad;
  std::string keys;
  for (const auto& k : p.config.auth_keys) keys += (keys.empty() ? "" : ",") + k.name;
  ev.clear = {{"store", p.config.store_url.substr(0, p.config.store_url.find(':'))},
              {"api_keys", keys},
              {"allow_client_time", p.config.policy_allow_client_time ? "true" : "false"},
              {"unknown_zone_uses_all_us_zones",
               p.config.policy_unknown_zone_uses_all_us_zones ? "true" : "false"},
              {"regf_rolling_168h", p.config.policy_regf_rolling_168h ? "true" : "false"},
              {"reservation_ttl_seconds", std::to_string(p.config.policy_reservation_ttl_seconds)},
              {"dnc_max_age_days", std::to_string(p.config.policy_dnc_max_age_days)},
              {"require_written_consent_for_telemarketing",
               p.config.policy_require_written_consent_for_telemarketing ? "true" : "false"},
              {"rnd_no_data_denies_robocalls",
               p.config.policy_rnd_no_data_denies_robocalls ? "true" : "false"}};
  auto r = p.audit->append(ev);
  return r.isOk() ? Status::ok() : r.status();
}

Status loadPolicy(Service::Parts& p) {
  auto rules = rules::loadRuleSet(p.config.policy_rules);
  if (!rules.isOk()) return rules.status();
  auto paths = rules::NumberingDataPaths::inDirectory(p.config.policy_data_dir);
  if (!p.config.policy_zone_overrides.empty()) paths.overrides = p.config.policy_zone_overrides;
  auto plan = rules::loadNumberingPlan(paths);
  if (!plan.isOk()) return plan.status();
  auto frequency = rules::loadFrequencyRules(p.config.policy_rules);
  if (!frequency.isOk()) return frequency.status();
  policy::PolicyOptions options;
  options.unknown_zone_uses_all_us_zones = p.config.policy_unknown_zone_uses_all_us_zones;
  p.windows = std::make_shared<policy::CallingWindowPolicy>(*rules, *plan, options);

  dialer::CallGateOptions gate_options;
  gate_options.reservation_ttl = std::chrono::seconds(p.config.policy_reservation_ttl_seconds);
  gate_options.frequency.regf_rolling_168h = p.config.policy_regf_rolling_168h;
  gate_options.lists.dnc_max_age_days = p.config.policy_dnc_max_age_days;
  gate_options.consent.require_written_consent_for_telemarketing =
      p.config.policy_require_written_consent_for_telemarketing;
  gate_options.consent.rnd_no_data_denies_robocalls = p.config.policy_rnd_no_data_denies_robocalls;
  gate_options.flush_check_records = p.config.audit_check_durability == "flushed";
  const size_t frequency_rule_count = frequency->size();
  p.ledger = std::make_unique<store::SqliteAttemptLedger>(*p.db);
  p.lists = std::make_unique<store::SqliteListStore>(*p.db);
  p.ledger->readListsToo();  // same database: a check reads history and lists in one go
  p.list_admin = std::make_unique<dialer::ListAdmin>(*p.lists, *p.trail, *p.clock);
  p.gate = std::make_unique<dialer::CallGate>(p.windows, std::move(frequency).value(), *p.ledger,
                                              *p.lists, *p.trail, *p.clock, gate_options);
  audit::AuditEvent ev;
  ev.type = audit::EventType::kRuleLoad;
  ev.clear = {{"policy_version", p.windows->version()},
              {"rules", p.config.policy_rules},
              {"frequency_rules", std::to_string(frequency_rule_count)}};
  auto r = p.audit->append(ev);
  return r.isOk() ? Status::ok() : r.status();
}

// Recording control (docs/recording.md): the all-party-consent rules from the rule file, a
// Twilio client of its own with short timeouts (a pause must be answered quickly or not at
// all), the session store and the use case. The worker starts with the gateway.
Status openRecording(Service::Parts& p, const std::string& public_base_url) {
  const Config& c = p.config;
  auto rules = rules::loadRecordingRules(c.policy_rules);
  if (!rules.isOk()) return rules.status();
  if (p.telephony) {
    auto token = TwilioTelephony::readAuthTokenFile(c.twilio_auth_token_file);
    if (!token.isOk()) return token.status();
    twilio::TwilioClientOptions o;
    o.base_url = c.twilio_base_url;
    o.credentials = twilio::TwilioCredentials::authToken(c.twilio_account_sid, *token);
    o.read_timeout = std::chrono::milliseconds(c.recording_pause_timeout_ms);
    o.connect_timeout = std::min(o.read_timeout, std::chrono::milliseconds(5000));
    o.retry.max_attempts = 2;
    o.retry.initial_backoff = std::chrono::milliseconds(100);
    o.retry.max_retry_after = std::chrono::milliseconds(1000);
    auto client = twilio::TwilioClient::create(o);
    if (!client.isOk()) return client.status();
    p.telephony->setRecordingClient(std::move(client).value());
  }
  p.recording_store = std::make_unique<store::SqliteRecordingStore>(*p.db);
  std::shared_ptr<const policy::CallingWindowPolicy> windows = p.windows;
  dialer::JurisdictionResolver resolver =
      [windows](
          const std::string& to,
          const std::vector<policy::Location>& locations) -> Result<std::vector<std::string>> {
    auto candidates = windows->resolveCandidates(to, locations);
    if (!candidates.isOk()) return candidates.status();
    return candidates->jurisdictionNames();
  };
  dialer::RecordingControlOptions options;
  options.resume_deadline = std::chrono::seconds(c.recording_resume_deadline_seconds);
  options.public_base_url = public_base_url;
  p.recording = std::make_unique<dialer::RecordingControl>(
      *p.recording_store, *p.trail, p.telephony.get(), *p.clock,
      recording::RecordingPolicy(std::move(rules).value()), std::move(resolver), options);
  server::Metrics* metrics = &p.metrics;
  p.recording->setCounter([metrics](const std::string& name) { metrics->increment(name); });
  return Status::ok();
}

// The call gateway (docs/gateway.md). Without twilio.account_sid the service still runs: the
// placer then answers "not configured". With it, a missing or unsafe token file is an error.
Status openGateway(Service::Parts& p) {
  const Config& c = p.config;
  if (!c.twilio_account_sid.empty()) {
    auto token = TwilioTelephony::readAuthTokenFile(c.twilio_auth_token_file);
    if (!token.isOk()) return token.status();
    if (c.twilio_public_base_url.empty())
      return Status::invalidArgument("twilio.public_base_url is required with twilio.account_sid",
                                     "twilio.public_base_url");
    twilio::TwilioClientOptions o;
    o.base_url = c.twilio_base_url;
    o.credentials = twilio::TwilioCredentials::authToken(c.twilio_account_sid, *token);
    o.read_timeout = std::chrono::milliseconds(c.twilio_timeout_ms);
    o.connect_timeout = std::min(o.read_timeout, std::chrono::milliseconds(5000));
    auto client = twilio::TwilioClient::create(o);
    if (!client.isOk()) return client.status();
    p.telephony = std::make_unique<TwilioTelephony>(std::move(client).value(), *token);
  }
  dialer::CallPlacerOptions options;
  options.public_base_url = c.twilio_public_base_url;
  while (!options.public_base_url.empty() && options.public_base_url.back() == '/')
    options.public_base_url.pop_back();
  options.reconcile_interval = std::chrono::seconds(c.twilio_reconcile_interval_seconds);
  Status rs = openRecording(p, options.public_base_url);
  if (!rs.isOk()) return rs;
  dialer::RecordingControl* recording = p.recording.get();
  options.recording_policy = [recording](const dialer::CallRequest& request,
                                         const dialer::GateDecision& decision) {
    return recording->decide(request.call.to, request.subject_id, request.call.locations,
                             decision.jurisdictions);
  };
  p.placer = std::make_unique<dialer::CallPlacer>(*p.gate, *p.ledger, *p.trail, p.telephony.get(),
                                                  *p.clock, options);
  if (p.telephony) {
    p.placer_worker =
        std::make_unique<dialer::CallPlacerWorker>(*p.placer, *p.clock, options.reconcile_interval);
    p.placer->setEventObserver(p.recording.get());
    p.recording_worker = std::make_unique<dialer::RecordingWorker>(*p.recording, *p.clock,
                                                                   std::chrono::milliseconds(1000));
  }
  Log::info("call gateway", {{"twilio", p.telephony ? "configured" : "not configured"}});
  return Status::ok();
}

void addRoutes(Service::Parts& p) {
  store::Database* database = p.db.get();
  audit::AuditLog* audit_log = p.audit.get();
  std::vector<server::ReadinessCheck> checks = {
      {"store", [database] { return database->ping(); }},
      {"audit", [audit_log] { return audit_log->health(); }}};
  server::addHealthRoutes(p.router, std::move(checks),
                          {p.config.policy_allow_client_time, p.windows->version()}, p.metrics);
  server::addCallRoutes(p.router, {p.gate.get(), &p.metrics, p.clock,
                                   p.config.policy_allow_client_time, p.recording.get()});
  server::addListRoutes(p.router, {p.list_admin.get(), p.clock});
  server::addGatewayRoutes(p.router,
                           {p.placer.get(), &p.metrics, p.clock, p.config.policy_allow_client_time,
                            p.config.twilio_public_base_url});
  server::addRecordingRoutes(p.router, {p.recording.get(), &p.metrics, p.clock});
  server::addAuditRoutes(p.router, [audit_log] { return audit_log->latestCheckpoint(); });
}

}  // namespace

Service::Service(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Service::~Service() {
  stop();
}

Result<std::unique_ptr<Service>> Service::start(const Config& config, const Clock& clock) {
  auto p = std::make_unique<Parts>();
  p->config = config;
  p->clock = &clock;

  Status s = openAudit(*p);
  if (!s.isOk()) return Status::error(s.code(), "audit log: " + s.message());
  auto db = store::Database::open(config.store_url,
                                  store::processLockNamed(config.store_sqlite_process_lock));
  if (!db.isOk())
    return Status::error(db.status().code(), "store: " + db.status().message(),
                         db.status().field());
  p->db = std::move(db).value();
  s = loadPolicy(*p);
  if (!s.isOk()) return Status::error(s.code(), "policy: " + s.message());
  s = openGateway(*p);
  if (!s.isOk()) return Status::error(s.code(), "twilio: " + s.message(), s.field());

  p->authenticator = std::make_unique<server::Authenticator>(config.auth_keys);
  addRoutes(*p);
  p->context.router = &p->router;
  p->context.authenticator = p->authenticator.get();
  p->context.metrics = &p->metrics;
  p->context.max_body_bytes = static_cast<size_t>(config.server_max_body_bytes);
  audit::AuditLog* audit_log = p->audit.get();
  p->context.on_auth_failure = [audit_log](const server::ApiRequest& r, std::string_view reason) {
    audit::AuditEvent ev;
    ev.type = audit::EventType::kAuthFailure;
    ev.clear = {{"route", r.route},
                {"reason", std::string(reason)},
                {"request_id", r.request_id},
                {"key", r.principal ? r.principal->key_name : ""}};
    if (!audit_log->append(ev).isOk())
      Log::error("audit append failed for an auth failure", {{"request_id", r.request_id}});
  };

  server::HttpServerOptions http_options;
  http_options.host = config.server_host;
  http_options.port = static_cast<uint16_t>(config.server_port);
  http_options.threads = config.server_threads;
  http_options.request_timeout = std::chrono::milliseconds(config.server_request_timeout_ms);
  http_options.min_body_bytes_per_second =
      static_cast<uint64_t>(config.server_min_body_bytes_per_second);
  p->http = std::make_unique<server::HttpServer>(p->context, http_options);
  s = p->http->start();
  if (!s.isOk()) return s;
  Log::info("callwardend listening", {{"host", config.server_host},
                                      {"port", std::to_string(p->http->port())},
                                      {"policy_version", p->windows->version()}});
  return std::unique_ptr<Service>(new Service(std::move(p)));
}

void Service::stop() {
  if (!parts_) return;
  if (parts_->http) parts_->http->stop();
  parts_->http.reset();
  parts_->recording_worker.reset();
  parts_->placer_worker.reset();
  if (parts_->placer) parts_->placer->setEventObserver(nullptr);
  parts_->recording.reset();
  parts_->recording_store.reset();
  parts_->placer.reset();
  parts_->gate.reset();
  parts_->ledger.reset();
  parts_->list_admin.reset();
  parts_->lists.reset();
  if (parts_->audit) {
    Status s = parts_->audit->close();
    if (!s.isOk()) Log::error("audit log close failed", {{"error", s.message()}});
  }
  parts_->db.reset();
  parts_.reset();
}

uint16_t Service::port() const {
  return parts_ && parts_->http ? parts_->http->port() : 0;
}

}  // namespace callwarden::app
