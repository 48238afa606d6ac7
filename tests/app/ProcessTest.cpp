// The real callwardend binary: two processes sharing one SQLite file never give out more than
// seven slots for one debt, and an acknowledged reservation survives kill -9.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "HttpClient.h"
#include "ServiceProcess.h"
#include "TempDir.h"
#include "app/Config.h"
#include "audit/Keys.h"
#include "common/Sha256.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace callwarden::testing {
namespace {

constexpr const char* kToken = "process-test-token";

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(audit::initKeys(dir_.file("kek.key"), dir_.file("signing.key")).isOk());
    std::ofstream(dir_.file("config.json")) << R"({
      "server": {"host": "127.0.0.1", "port": 0, "threads": 8},
      "store": {"url": "sqlite:callwarden.db"},
      "auth": {"keys": [{"name": "dialer", "sha256": ")" +
                                                   sha256Hex(kToken) +
                                                   R"(", "scopes": ["dialer"]}]},
      "policy": {"rules": ")" + std::string(CALLWARDEN_TEST_SOURCE_DIR) +
                                                   R"(/data/rules/us.json",
                 "data_dir": ")" + std::string(CALLWARDEN_TEST_SOURCE_DIR) +
                                                   R"(/data",
                 "allow_client_time": true},
      "audit": {"kek_file": "kek.key", "signing_key_file": "signing.key"}
    })";
  }
  // Each process keeps its own audit log: one writer per log directory.
  std::map<std::string, std::string> env(const std::string& name) {
    return {{"CALLWARDEN_AUDIT_DIR", dir_.file("audit-" + name)}};
  }
  HttpResult reserve(uint16_t port, const std::string& debt, const std::string& at) {
    HttpRequestSpec spec;
    spec.method = "POST";
    spec.path = "/v1/calls/reserve";
    spec.content_type = "application/json";
    spec.headers["Authorization"] = std::string("Bearer ") + kToken;
    spec.body =
        R"({"to":"+13125550142","purpose":"debt_collection","subject_id":"S-1","debts":[")" + debt +
        R"("],"at":")" + at + "\"}";
    return httpRequest("127.0.0.1", port, spec);
  }
  TempDir dir_;
};

TEST_F(ProcessTest, TwoProcessesOnOneFileGiveOutSevenSlots) {
  ServiceProcess a(dir_.file("config.json"), env("a"), dir_.file("a.log"));
  ServiceProcess b(dir_.file("config.json"), env("b"), dir_.file("b.log"));
  std::atomic<int> allowed{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto r = reserve(t % 2 ? a.port() : b.port(), "HOT", "2026-03-02T15:00:00Z");
        if (r.status == 200 && r.body.find("\"decision\":\"allow\"") != std::string::npos) {
          ++allowed;
        } else if (r.status != 200) {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(allowed.load(), 7);
}

// store.sqlite_process_lock: with "exclusive" the WAL index is in the dead process's memory
// only, so the next start must rebuild it from the WAL file.
class KillNineTest : public ProcessTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(KillNineTest, AcknowledgedReservationSurvives) {
  auto with_lock = [&](const std::string& name) {
    auto e = env(name);
    e["CALLWARDEN_STORE_SQLITE_PROCESS_LOCK"] = GetParam();
    return e;
  };
  {
    ServiceProcess p(dir_.file("config.json"), with_lock("a"), dir_.file("a.log"));
    for (int i = 0; i < 7; ++i) {
      auto r = reserve(p.port(), "D1", "2026-03-02T15:00:00Z");
      ASSERT_EQ(r.status, 200);
      ASSERT_NE(r.body.find("\"decision\":\"allow\""), std::string::npos) << r.body;
    }
    p.kill9();  // the moment after the seventh answer
  }
  // Only a shared WAL index lives in a -shm file: proof that the setting took effect.
  EXPECT_EQ(::access(dir_.file("callwarden.db-shm").c_str(), F_OK) == 0,
            std::string(GetParam()) == "shared");
  ServiceProcess again(dir_.file("config.json"), with_lock("a"), dir_.file("a2.log"));
  auto r = reserve(again.port(), "D1", "2026-03-02T16:00:00Z");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("REGF_7_IN_7"), std::string::npos) << r.body;
}

INSTANTIATE_TEST_SUITE_P(ProcessLock, KillNineTest, ::testing::Values("shared", "exclusive"));

// An exclusive process keeps a second one out, which says why after the 10 s busy timeout
// (Poco alone would retry for a minute, past ServiceProcess's 20 s).
TEST_F(ProcessTest, ExclusiveProcessKeepsASecondOneOutAndItSaysWhy) {
  auto exclusive = env("a");
  exclusive["CALLWARDEN_STORE_SQLITE_PROCESS_LOCK"] = "exclusive";
  ServiceProcess a(dir_.file("config.json"), exclusive, dir_.file("a.log"));
  const auto started = std::chrono::steady_clock::now();
  try {
    ServiceProcess b(dir_.file("config.json"), env("b"), dir_.file("b.log"));
    ADD_FAILURE() << "a second process started on a file held exclusively";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("store.sqlite_process_lock"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  auto r = reserve(a.port(), "D1", "2026-03-02T15:00:00Z");  // the first one still serves
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(ProcessTest, RefusesToStartWithoutKeys) {
  std::remove(dir_.file("kek.key").c_str());
  EXPECT_THROW(ServiceProcess(dir_.file("config.json"), env("a"), dir_.file("a.log")),
               std::runtime_error);
  std::ifstream log(dir_.file("a.log"));
  std::stringstream ss;
  ss << log.rdbuf();
  EXPECT_NE(ss.str().find("keys init"), std::string::npos) << ss.str();
}

}  // namespace
}  // namespace callwarden::testing

namespace callwarden::testing {
namespace {

int runCli(const std::string& args, std::string* output) {
  const std::string out_file = "/tmp/cw-cli-" + std::to_string(::getpid()) + ".out";
  int rc = std::system((binaryPath("callwarden") + " " + args + " >" + out_file + " 2>&1").c_str());
  std::ifstream in(out_file);
  std::stringstream ss;
  ss << in.rdbuf();
  if (output) *output = ss.str();
  std::remove(out_file.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST_F(ProcessTest, CliKeysInitAndAuditVerify) {
  std::string out;
  // The fixture created keys already: init refuses to overwrite them.
  EXPECT_EQ(runCli("keys init --config=" + dir_.file("config.json"), &out), 1) << out;
  {
    ServiceProcess p(dir_.file("config.json"), {}, dir_.file("a.log"));
    ASSERT_EQ(reserve(p.port(), "D1", "2026-03-02T15:00:00Z").status, 200);
  }  // SIGTERM: a clean shutdown signs a final checkpoint
  EXPECT_EQ(runCli("audit verify --config=" + dir_.file("config.json"), &out), 0) << out;
  EXPECT_EQ(runCli("audit verify --json --config=" + dir_.file("config.json"), &out), 0) << out;
  EXPECT_NE(out.find("\"exit_code\""), std::string::npos) << out;
  EXPECT_EQ(runCli("audit export --config=" + dir_.file("config.json"), &out), 0) << out;
  EXPECT_NE(out.find("reservation"), std::string::npos);
  EXPECT_EQ(runCli("audit verify", &out), 3);
}

TEST_F(ProcessTest, RefusesToStartWithAKeyReadableByOthers) {
  ::chmod(dir_.file("signing.key").c_str(), 0644);
  EXPECT_THROW(ServiceProcess(dir_.file("config.json"), env("a"), dir_.file("a.log")),
               std::runtime_error);
}

TEST(Cli, HelpDescribesEveryCommand) {
  std::string out;
  EXPECT_EQ(runCli("--help", &out), 0);
  for (const char* c : {"token new", "config check", "keys init", "audit verify", "audit export"}) {
    EXPECT_NE(out.find(c), std::string::npos) << c;
  }
  EXPECT_EQ(runCli("audit verify --help", &out), 0);
  EXPECT_NE(out.find("--trusted-checkpoint"), std::string::npos);
  EXPECT_EQ(runCli("nonsense", &out), 3);
}

TEST(Cli, DaemonHelpListsEveryConfigurationKey) {
  std::string out;
  int rc = std::system((binaryPath("callwardend") + " --help > /tmp/cwd-help.txt 2>&1").c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 0);
  std::ifstream in("/tmp/cwd-help.txt");
  std::stringstream ss;
  ss << in.rdbuf();
  for (const auto& d : app::configKeyDocs())
    EXPECT_NE(ss.str().find(d.key), std::string::npos) << d.key;
  EXPECT_NE(ss.str().find("--config"), std::string::npos);
}

}  // namespace
}  // namespace callwarden::testing
