#include "app/Service.h"

#include "common/Log.h"
#include "server/HealthRoutes.h"
#include "server/HttpServer.h"
#include "store/Database.h"

namespace callwarden::app {

struct Service::Parts {
  Config config;
  const Clock* clock = nullptr;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<server::Authenticator> authenticator;
  server::Metrics metrics;
  server::Router router;
  server::ServerContext context;
  std::unique_ptr<server::HttpServer> http;
};

Service::Service(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Service::~Service() {
  stop();
}

Result<std::unique_ptr<Service>> Service::start(const Config& config, const Clock& clock) {
  auto p = std::make_unique<Parts>();
  p->config = config;
  p->clock = &clock;

  auto db = store::Database::open(config.store_url);
  if (!db.isOk()) return db.status();
  p->db = std::move(db).value();

  p->authenticator = std::make_unique<server::Authenticator>(config.auth_keys);
  store::Database* database = p->db.get();
  std::vector<server::ReadinessCheck> checks = {{"store", [database] { return database->ping(); }}};
  server::addHealthRoutes(p->router, std::move(checks), {config.policy_allow_client_time, ""},
                          p->metrics);

  p->context.router = &p->router;
  p->context.authenticator = p->authenticator.get();
  p->context.metrics = &p->metrics;
  p->context.max_body_bytes = config.server_max_body_bytes;

  server::HttpServerOptions http_options;
  http_options.host = config.server_host;
  http_options.port = config.server_port;
  http_options.threads = config.server_threads;
  p->http = std::make_unique<server::HttpServer>(p->context, http_options);
  Status s = p->http->start();
  if (!s.isOk()) return s;
  Log::info("callwardend listening",
            {{"host", config.server_host}, {"port", std::to_string(p->http->port())}});
  return std::unique_ptr<Service>(new Service(std::move(p)));
}

void Service::stop() {
  if (!parts_) return;
  if (parts_->http) parts_->http->stop();
  parts_->http.reset();
  parts_->db.reset();
}

uint16_t Service::port() const {
  return parts_->http ? parts_->http->port() : 0;
}

}  // namespace callwarden::app
