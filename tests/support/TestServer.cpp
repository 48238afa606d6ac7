#include "TestServer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "app/Service.h"
#include "audit/Keys.h"
#include "common/Sha256.h"

namespace callwarden::testing {
namespace {

server::ApiKey key(const char* name, const char* token, std::set<server::Scope> scopes) {
  return server::ApiKey{name, sha256Hex(token), std::move(scopes)};
}

}  // namespace

TestServer::TestServer(std::function<void(app::Config&)> tweak) : clock_("2026-07-15T16:00:00Z") {
  config_.server_host = "127.0.0.1";
  config_.server_port = 0;
  config_.server_threads = 8;
  config_.store_url = "sqlite:" + dir_.file("callwarden.db");
  config_.audit_dir = dir_.file("audit");
  config_.audit_kek_file = dir_.file("keys/audit-kek.key");
  config_.audit_signing_key_file = dir_.file("keys/audit-signing.key");
  config_.policy_rules = std::string(CALLWARDEN_TEST_SOURCE_DIR) + "/data/rules/us.json";
  config_.policy_data_dir = std::string(CALLWARDEN_TEST_SOURCE_DIR) + "/data";
  config_.auth_keys = {key("dialer-1", kDialerToken, {server::Scope::kDialer}),
                       key("agent-1", kAgentToken, {server::Scope::kAgent}),
                       key("auditor-1", kAuditorToken, {server::Scope::kAuditor}),
                       key("admin-1", kAdminToken, {server::Scope::kAdmin})};
  if (tweak) tweak(config_);
  std::filesystem::create_directories(dir_.file("keys"));
  auto keys = audit::initKeys(config_.audit_kek_file, config_.audit_signing_key_file);
  if (!keys.isOk()) throw std::runtime_error("audit keys: " + keys.status().toString());
  start();
}

TestServer::~TestServer() {
  stop();
}

void TestServer::start() {
  auto s = app::Service::start(config_, clock_);
  if (!s.isOk()) throw std::runtime_error("test service did not start: " + s.status().toString());
  service_ = std::move(s).value();
}

void TestServer::stop() {
  if (service_) service_->stop();
  service_.reset();
}

void TestServer::restart() {
  stop();
  start();
}

uint16_t TestServer::port() const {
  return service_ ? service_->port() : 0;
}

HttpResult TestServer::send(HttpRequestSpec spec, const std::string& token) {
  if (!token.empty()) spec.headers["Authorization"] = "Bearer " + token;
  return httpRequest("127.0.0.1", port(), spec);
}

HttpResult TestServer::get(const std::string& path, const std::string& token) {
  HttpRequestSpec spec;
  spec.path = path;
  return send(spec, token);
}

HttpResult TestServer::postJson(const std::string& path, const std::string& json,
                                const std::string& token) {
  return sendJson("POST", path, json, token);
}

HttpResult TestServer::putJson(const std::string& path, const std::string& json,
                               const std::string& token) {
  return sendJson("PUT", path, json, token);
}

HttpResult TestServer::sendJson(const std::string& method, const std::string& path,
                                const std::string& json, const std::string& token) {
  HttpRequestSpec spec;
  spec.method = method;
  spec.path = path;
  spec.body = json;
  spec.content_type = "application/json";
  return send(spec, token);
}

}  // namespace callwarden::testing
