// The service writes every decision, auth failure and its own start-up facts into the audit
// log, serves the latest checkpoint to auditors, and leaves a log that verifies.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "TestServer.h"
#include "audit/Exporter.h"
#include "audit/Verifier.h"

namespace callwarden::testing {
namespace {

audit::VerifyOptions optionsFor(const app::Config& c) {
  audit::VerifyOptions o;
  o.dir = c.audit_dir;
  o.signing_key_file = c.audit_signing_key_file;
  o.kek_file = c.audit_kek_file;
  return o;
}

TEST(AuditWiring, DecisionsAndAuthFailuresAreLoggedAndTheLogVerifies) {
  TestServer s;
  auto r = s.postJson("/v1/calls/check", R"({"to":"+13125550142","purpose":"telemarketing"})",
                      kDialerToken);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string decision_id = r.json()->getValue<std::string>("decision_id");
  EXPECT_EQ(
      s.postJson("/v1/calls/check", R"({"to":"+13125550142","purpose":"telemarketing"})", "bad")
          .status,
      401);
  s.stop();  // writes the final checkpoint

  auto report = audit::verifyLog(optionsFor(s.config()));
  EXPECT_EQ(report.exit_code, 0) << audit::toText(report);

  std::ostringstream out;
  ASSERT_TRUE(
      audit::exportRecords(optionsFor(s.config()), Timestamp::min(), Timestamp::max(), out).isOk());
  const std::string lines = out.str();
  EXPECT_NE(lines.find(decision_id), std::string::npos);
  EXPECT_NE(lines.find("+13125550142"), std::string::npos);  // decrypted for the investigator
  EXPECT_NE(lines.find("auth_failure"), std::string::npos);
  EXPECT_NE(lines.find("config_load"), std::string::npos);
  EXPECT_NE(lines.find("us-2026.12.1"), std::string::npos);  // the rule load names its version
}

TEST(AuditWiring, PhoneNumbersNeverReachTheLogFilesInClear) {
  TestServer s;
  ASSERT_EQ(s.postJson("/v1/calls/check", R"({"to":"+13125550142","purpose":"telemarketing"})",
                       kDialerToken)
                .status,
            200);
  s.stop();
  for (const auto& entry : std::filesystem::recursive_directory_iterator(s.config().audit_dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str().find("3125550142"), std::string::npos) << entry.path();
  }
}

TEST(AuditWiring, AuditorsFetchTheSignedCheckpoint) {
  TestServer s;
  auto r = s.get("/v1/audit/checkpoint", kAuditorToken);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("callwarden/audit/"), std::string::npos);
  EXPECT_NE(r.body.find("\u2014 "), std::string::npos);  // a signature line of the signed note
  EXPECT_EQ(s.get("/v1/audit/checkpoint", kDialerToken).status, 403);
}

TEST(AuditWiring, ReadyzReportsTheAuditLog) {
  TestServer s;
  auto r = s.get("/readyz");
  EXPECT_EQ(r.json()->getObject("checks")->getValue<std::string>("audit"), "ok");
}

}  // namespace
}  // namespace callwarden::testing
