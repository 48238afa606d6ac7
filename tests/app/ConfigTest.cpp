#include "app/Config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "TempDir.h"

namespace callwarden::app {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  std::string write(const std::string& json) {
    std::string path = dir_.file("c.json");
    std::ofstream(path) << json;
    return path;
  }
  EnvLookup env() {
    return [this](const std::string& n) -> std::optional<std::string> {
      auto it = env_.find(n);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }
  testing::TempDir dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ConfigTest, ShippedSampleLoads) {
  auto c = loadConfig(std::string(CALLWARDEN_SOURCE_DIR) + "/config/callwarden.json", env());
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->server_host, "127.0.0.1");
  EXPECT_EQ(c->server_port, 8080);
  EXPECT_EQ(c->server_max_body_bytes, 1048576);
  EXPECT_FALSE(c->policy_allow_client_time);
  EXPECT_EQ(c->store_url.rfind("sqlite:/", 0), 0u);  // resolved to an absolute path
}

TEST_F(ConfigTest, DefaultsApplyWhenKeysAreAbsent) {
  auto c = loadConfig(write("{}"), env());
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(c->server_max_body_bytes, 1048576);
  EXPECT_EQ(c->twilio_base_url, "https://api.twilio.com");
  EXPECT_EQ(c->audit_check_durability, "flushed");
  EXPECT_EQ(c->server_request_timeout_ms, 10000);
  EXPECT_EQ(c->server_min_body_bytes_per_second, 4096);
  EXPECT_EQ(c->store_sqlite_process_lock, "shared");
  EXPECT_EQ(c->audit_written_flush_interval_ms, 10);
  EXPECT_EQ(c->audit_flush_delay_us, 100);
}

TEST_F(ConfigTest, EnvironmentOverridesFile) {
  env_["CALLWARDEN_SERVER_PORT"] = "9090";
  env_["CALLWARDEN_POLICY_ALLOW_CLIENT_TIME"] = "true";
  env_["CALLWARDEN_AUTH_KEYS"] =
      R"([{"name":"d","sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","scopes":["dialer"]}])";
  auto c = loadConfig(write(R"({"server":{"port":8081}})"), env());
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->server_port, 9090);
  EXPECT_TRUE(c->policy_allow_client_time);
  ASSERT_EQ(c->auth_keys.size(), 1u);
  EXPECT_EQ(c->auth_keys[0].name, "d");
}

TEST_F(ConfigTest, RejectsUnknownKeysAndBadValues) {
  struct Case {
    const char* json;
    const char* field;
  };
  for (
      const Case& k :
      {Case{R"({"server":{"prot":1}})", "server.prot"},
       Case{R"({"server":{"port":70000}})", "server.port"},
       Case{R"({"server":{"port":"x"}})", "server.port"},
       Case{R"({"policy":{"allow_client_time":"yes"}})", "policy.allow_client_time"},
       Case{R"({"auth":{"keys":[{"name":"a","sha256":"short","scopes":["dialer"]}]}})",
            "auth.keys[0]"},
       Case{
           R"({"auth":{"keys":[{"name":"a","sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","scopes":["root"]}]}})",
           "auth.keys[0]"},
       Case{R"({"audit":{"check_durability":"eventually"}})", "audit.check_durability"},
       Case{R"({"audit":{"written_flush_interval_ms":0}})", "audit.written_flush_interval_ms"},
       Case{R"({"store":{"sqlite_process_lock":"mine"}})", "store.sqlite_process_lock"},
       Case{R"({"audit":{"flush_delay_us":-1}})", "audit.flush_delay_us"},
       Case{R"({"server":{"request_timeout_ms":10}})", "server.request_timeout_ms"},
       Case{R"({"server":{"min_body_bytes_per_second":0}})", "server.min_body_bytes_per_second"},
       Case{R"({"log":{"level":"loud"}})", "log.level"}}) {
    auto c = loadConfig(write(k.json), env());
    ASSERT_FALSE(c.isOk()) << k.json;
    EXPECT_EQ(c.status().field(), k.field) << k.json;
  }
  EXPECT_FALSE(loadConfig(write("{not json"), env()).isOk());
  EXPECT_EQ(loadConfig(dir_.file("missing.json"), env()).status().code(), ErrorCode::kIOError);
}

TEST_F(ConfigTest, EveryKeyHasADocumentedEnvironmentVariable) {
  bool found = false;
  for (const auto& d : configKeyDocs()) {
    EXPECT_FALSE(d.description.empty()) << d.key;
    if (d.key == "server.max_body_bytes") {
      EXPECT_EQ(d.env, "CALLWARDEN_SERVER_MAX_BODY_BYTES");
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace callwarden::app
