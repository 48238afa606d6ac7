// Do-not-call lists, consent revocation and reassigned numbers over HTTP against the assembled
// service (real SQLite, real audit log, shipped rule data): every endpoint and its errors, and
// test vectors TV-22, TV-23 and TV-24 end to end through POST /v1/calls/check.

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <sstream>

#include "TestServer.h"
#include "audit/Exporter.h"

namespace callwarden::testing {
namespace {

// The harness clock is Wed 2026-07-15 16:00Z (11:00 CDT); +1 312 is Chicago.
constexpr const char* kPhone = "+13125550142";

class ListRoutes : public ::testing::Test {
 protected:
  HttpResult importList(const std::string& query, const std::string& body,
                        const std::string& token = kAdminToken,
                        const std::string& type = "text/plain") {
    HttpRequestSpec spec;
    spec.method = "POST";
    spec.path = "/v1/dnc/imports?" + query;
    spec.content_type = type;
    spec.body = body;
    return server_.send(spec, token);
  }
  HttpResult del(const std::string& path, const std::string& token = kAdminToken) {
    HttpRequestSpec spec;
    spec.method = "DELETE";
    spec.path = path;
    return server_.send(spec, token);
  }
  HttpResult check(const std::string& body) {
    return server_.postJson("/v1/calls/check", body, kDialerToken);
  }
  static std::vector<std::string> codes(const HttpResult& r) {
    std::vector<std::string> out;
    auto a = r.json()->getArray("reasons");
    for (size_t i = 0; i < a->size(); ++i)
      out.push_back(a->getObject(static_cast<unsigned>(i))->getValue<std::string>("code"));
    return out;
  }
  static std::string call(const std::string& purpose, const std::string& type,
                          const std::string& at, const std::string& to = kPhone) {
    std::string extra = purpose == "debt_collection" ? R"(,"subject_id":"S-1","debts":["D1"])" : "";
    return R"({"to":")" + to + R"(","purpose":")" + purpose + R"(","call_type":")" + type +
           R"(","at":")" + at + "\"" + extra + "}";
  }
  void freshNationalList() {
    ASSERT_EQ(importList("list=national&obtained=2026-07-01", "2015550100\n").status, 200);
  }

  TestServer server_;
};

using Codes = std::vector<std::string>;

TEST_F(ListRoutes, InternalListAddLookupRemove) {
  freshNationalList();
  auto add = server_.postJson("/v1/dnc", R"({"phone":"+13125550142","reason":"asked on call"})",
                              kAgentToken);
  ASSERT_EQ(add.status, 201) << add.body;
  EXPECT_TRUE(add.json()->getValue<bool>("added"));
  EXPECT_EQ(add.json()->getValue<std::string>("since"), "2026-07-15T16:00:00Z");
  auto again = server_.postJson(
      "/v1/dnc", R"({"phone":"+13125550142","list":"internal","reason":"x"})", kAdminToken);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_FALSE(again.json()->getValue<bool>("added"));
  EXPECT_EQ(again.json()->getValue<std::string>("reason"), "asked on call");

  auto get = server_.get("/v1/dnc/%2B13125550142", kDialerToken);
  ASSERT_EQ(get.status, 200) << get.body;
  auto lists = get.json()->getArray("lists");
  ASSERT_EQ(lists->size(), 1u);
  EXPECT_EQ(lists->getObject(0)->getValue<std::string>("list"), "internal");

  // Effective for the very next decision, for every purpose.
  EXPECT_EQ(codes(check(call("telemarketing", "live", "2026-07-15T16:00:00Z"))),
            Codes{"DNC_INTERNAL"});
  EXPECT_EQ(codes(check(call("debt_collection", "live", "2026-07-15T16:00:00Z"))),
            Codes{"DNC_INTERNAL"});
  auto denied = check(call("informational", "live", "2026-07-15T16:00:00Z"));
  EXPECT_TRUE(denied.json()->isNull("next_allowed_at"));

  auto removed = del("/v1/dnc/+13125550142?list=internal");
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(del("/v1/dnc/+13125550142?list=internal").status, 404);
  EXPECT_EQ(server_.get("/v1/dnc/+13125550142", kAdminToken).json()->getArray("lists")->size(), 0u);
  EXPECT_EQ(check(call("informational", "live", "2026-07-15T16:00:00Z"))
                .json()
                ->getValue<std::string>("decision"),
            "allow");
}

TEST_F(ListRoutes, InternalListErrors) {
  auto bad_phone = server_.postJson("/v1/dnc", R"({"phone":"3125550142"})", kAdminToken);
  EXPECT_EQ(bad_phone.status, 422);
  EXPECT_EQ(bad_phone.errorField("field"), "phone");
  auto national =
      server_.postJson("/v1/dnc", R"({"phone":"+13125550142","list":"national"})", kAdminToken);
  EXPECT_EQ(national.status, 422);
  EXPECT_EQ(national.errorField("field"), "list");
  auto unknown = server_.postJson("/v1/dnc", R"({"phone":"+13125550142","why":"x"})", kAdminToken);
  EXPECT_EQ(unknown.status, 422);
  EXPECT_EQ(server_.postJson("/v1/dnc", R"({"phone":"+13125550142"})", kDialerToken).status, 403);
  EXPECT_EQ(server_.postJson("/v1/dnc", R"({"phone":"+13125550142"})").status, 401);
  auto no_list = del("/v1/dnc/+13125550142");
  EXPECT_EQ(no_list.status, 422);
  EXPECT_EQ(no_list.errorField("code"), "MISSING_FIELD");
  EXPECT_EQ(del("/v1/dnc/+13125550142?list=national").status, 422);
  EXPECT_EQ(del("/v1/dnc/+13125550142?list=internal", kAgentToken).status, 403);
  EXPECT_EQ(server_.get("/v1/dnc/12345", kAdminToken).status, 422);
}

TEST_F(ListRoutes, ImportReportsRejectedLinesAndAFailedImportKeepsTheOldList) {
  auto r = importList("list=national&obtained=2026-07-01",
                      "number\r\n3125550142\r\n31255501\r\n\r\n5415550199\r\nabc\r\n");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  EXPECT_EQ(j->getValue<int>("accepted"), 2);
  EXPECT_EQ(j->getValue<int>("rejected"), 2);
  auto lines = j->getArray("rejected_lines");
  ASSERT_EQ(lines->size(), 2u);
  EXPECT_EQ(lines->getElement<int>(0), 3);
  EXPECT_EQ(lines->getElement<int>(1), 6);
  EXPECT_TRUE(j->getValue<bool>("committed"));

  auto failed = importList("list=national&obtained=2026-07-10", "0000000000\ngarbage\n");
  ASSERT_EQ(failed.status, 422) << failed.body;
  EXPECT_EQ(failed.errorField("code"), "IMPORT_REJECTED");
  EXPECT_EQ(failed.json()->getObject("import")->getValue<int>("rejected"), 2);
  // The old copy is still served, with its date.
  auto get = server_.get("/v1/dnc/+13125550142", kAdminToken);
  auto l = get.json()->getArray("lists")->getObject(0);
  EXPECT_EQ(l->getValue<std::string>("list"), "national");
  EXPECT_EQ(l->getValue<std::string>("obtained"), "2026-07-01");
  auto served = server_.get("/v1/dnc/imports", kAuditorToken);
  ASSERT_EQ(served.status, 200) << served.body;
  auto s = served.json()->getArray("lists")->getObject(0);
  EXPECT_EQ(s->getValue<int>("count"), 2);
  EXPECT_EQ(s->getValue<int>("age_days"), 14);
}

TEST_F(ListRoutes, ImportErrors) {
  EXPECT_EQ(importList("list=national&obtained=2026-07-01", "3125550142\n", kAdminToken,
                       "application/json")
                .status,
            415);
  auto no_date = importList("list=national", "3125550142\n");
  EXPECT_EQ(no_date.status, 422);
  EXPECT_EQ(no_date.errorField("field"), "obtained");
  EXPECT_EQ(importList("list=national&obtained=2026-02-30", "3125550142\n").errorField("field"),
            "obtained");
  EXPECT_EQ(importList("list=national&obtained=2026-08-01", "3125550142\n").errorField("field"),
            "obtained");
  EXPECT_EQ(importList("list=internal&obtained=2026-07-01", "3125550142\n").errorField("field"),
            "list");
  EXPECT_EQ(importList("list=Texas&obtained=2026-07-01", "3125550142\n").errorField("field"),
            "list");
  EXPECT_EQ(importList("list=national&obtained=2026-07-01", "3125550142\n", kDialerToken).status,
            403);
  // Bodies larger than server.max_body_bytes are fine: the import is streamed.
  std::string big;
  for (int i = 0; i < 120000; ++i) big += std::to_string(2015550000LL + i) + "\n";
  ASSERT_GT(big.size(), 1048576u);
  auto r = importList("list=US-TX&obtained=2026-07-01", big);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()->getValue<int>("accepted"), 120000);
}

// An upload cut short (the client ends before its Content-Length bytes) fails the import like
// any short read: 422, the previous copy stays served, and the failure is audited. (When the
// body stream began to throw for this, the import skipped its clean-up and its audit record.)
TEST_F(ListRoutes, ImportCutShortIsRejectedAndAudited) {
  freshNationalList();
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server_.port()));
  s.setReceiveTimeout(Poco::Timespan(10, 0));
  const std::string request =
      "POST /v1/dnc/imports?list=national&obtained=2026-07-10 HTTP/1.1\r\nHost: t\r\n"
      "Authorization: Bearer " +
      std::string(kAdminToken) +
      "\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n3125550142\n";
  ASSERT_EQ(s.sendBytes(request.data(), static_cast<int>(request.size())),
            static_cast<int>(request.size()));
  s.shutdownSend();
  std::string answer;
  char buf[4096];
  for (int n; (n = s.receiveBytes(buf, sizeof buf)) > 0;)
    answer.append(buf, static_cast<size_t>(n));
  EXPECT_EQ(answer.rfind("HTTP/1.1 422", 0), 0u) << answer;
  EXPECT_NE(answer.find("IMPORT_REJECTED"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Content-Length"), std::string::npos) << answer;  // says why
  auto l = server_.get("/v1/dnc/+13125550142", kAdminToken).json()->getArray("lists");
  EXPECT_EQ(l->size(), 0u);  // the cut-short copy, which listed it, is not served
  auto served = server_.get("/v1/dnc/imports", kAuditorToken).json()->getArray("lists");
  ASSERT_EQ(served->size(), 1u);
  EXPECT_EQ(served->getObject(0)->getValue<std::string>("obtained"), "2026-07-01");
  server_.stop();
  audit::VerifyOptions o;
  o.dir = server_.config().audit_dir;
  o.signing_key_file = server_.config().audit_signing_key_file;
  o.kek_file = server_.config().audit_kek_file;
  std::ostringstream records;
  ASSERT_TRUE(audit::exportRecords(o, Timestamp::min(), Timestamp::max(), records).isOk());
  EXPECT_NE(records.str().find("import_failed"), std::string::npos);
}

TEST_F(ListRoutes, NationalAndStateListsDenyTelemarketingOnly) {
  ASSERT_EQ(importList("list=national&obtained=2026-07-01", "3125550142\n").status, 200);
  ASSERT_EQ(importList("list=US-TX&obtained=2026-07-01", "5125550100\n").status, 200);
  EXPECT_EQ(codes(check(call("telemarketing", "live", "2026-07-15T16:00:00Z"))),
            Codes{"DNC_NATIONAL"});
  EXPECT_EQ(codes(check(call("telemarketing", "live", "2026-07-15T16:00:00Z", "+15125550100"))),
            Codes{"DNC_STATE"});
  EXPECT_TRUE(codes(check(call("debt_collection", "live", "2026-07-15T16:00:00Z"))).empty());
}

TEST_F(ListRoutes, Tv23StaleRegistryCopy) {
  // No copy at all.
  EXPECT_EQ(codes(check(call("telemarketing", "live", "2026-07-02T16:00:00Z"))),
            Codes{"DNC_LIST_STALE"});
  ASSERT_EQ(importList("list=national&obtained=2026-06-01", "2015550100\n").status, 200);
  EXPECT_EQ(check(call("telemarketing", "live", "2026-07-02T16:00:00Z"))
                .json()
                ->getValue<std::string>("decision"),
            "allow");
  auto stale = check(call("telemarketing", "live", "2026-07-03T16:00:00Z"));
  EXPECT_EQ(codes(stale), Codes{"DNC_LIST_STALE"});
  EXPECT_TRUE(stale.json()->isNull("next_allowed_at"));
  // Informational calls do not depend on the registry.
  EXPECT_TRUE(codes(check(call("informational", "live", "2026-07-15T16:00:00Z"))).empty());
}

TEST_F(ListRoutes, Tv22RevocationDeniesRobocallsFromReceipt) {
  freshNationalList();
  auto grant = server_.postJson(
      "/v1/consents",
      R"({"subject_id":"S-1","phone":"+13125550142","scope":"robocall","received_at":"2026-01-10T15:00:00Z"})",
      kAdminToken);
  ASSERT_EQ(grant.status, 201) << grant.body;
  EXPECT_EQ(check(call("informational", "prerecorded", "2026-07-15T16:00:00Z"))
                .json()
                ->getValue<std::string>("decision"),
            "allow");
  auto stop = server_.postJson(
      "/v1/consents",
      R"({"subject_id":"S-1","phone":"+13125550142","scope":"robocall","action":"revoke","channel":"sms","words":"STOP"})",
      kAgentToken);
  ASSERT_EQ(stop.status, 201) << stop.body;
  // An unrelated account's robocall, a telemarketing live call: both blocked at once.
  EXPECT_EQ(codes(check(call("debt_collection", "autodialed", "2026-07-15T16:00:00Z"))),
            Codes{"CONSENT_REVOKED"});
  EXPECT_EQ(codes(check(call("telemarketing", "live", "2026-07-15T16:00:00Z"))),
            Codes{"CONSENT_REVOKED"});
  // Robocalls with no consent at all.
  EXPECT_EQ(
      codes(check(call("informational", "autodialed", "2026-07-15T16:00:00Z", "+15415550199"))),
      Codes{"CONSENT_MISSING"});
}

TEST_F(ListRoutes, AConsentPhoneMustBeTheE164SpellingACheckUses) {
  // A consent is found by the call's `to`, textually: a revocation stored as "3125550142"
  // would never deny a call to +13125550142.
  for (const char* phone : {"3125550142", "+1 312 555 0142", "+1312555014", "+13125550142x",
                            "+10125550142", "+1(312)5550142"}) {
    auto r = server_.postJson("/v1/consents",
                              std::string(R"({"subject_id":"S-1","phone":")") + phone +
                                  R"(","scope":"robocall","action":"revoke"})",
                              kAgentToken);
    EXPECT_EQ(r.status, 422) << phone << ": " << r.body;
    EXPECT_EQ(r.errorField("field"), "phone") << phone;
  }
  EXPECT_EQ(server_
                .postJson("/v1/consents",
                          R"({"subject_id":"S-1","phone":"+13125550142","scope":"robocall",)"
                          R"("action":"revoke"})",
                          kAgentToken)
                .status,
            201);
}

TEST_F(ListRoutes, Tv24ReassignedNumber) {
  freshNationalList();
  ASSERT_EQ(
      server_
          .postJson(
              "/v1/consents",
              R"({"subject_id":"S-1","phone":"+13125550142","scope":"robocall","received_at":"2026-02-01T15:00:00Z"})",
              kAdminToken)
          .status,
      201);
  auto yes = server_.postJson(
      "/v1/reassigned-numbers",
      R"({"phone":"+13125550142","result":"yes","disconnected_on":"2026-03-15"})", kAdminToken);
  ASSERT_EQ(yes.status, 201) << yes.body;
  EXPECT_EQ(codes(check(call("informational", "prerecorded", "2026-07-15T16:00:00Z"))),
            Codes{"REASSIGNED_NUMBER"});
  ASSERT_EQ(server_
                .postJson("/v1/reassigned-numbers",
                          R"({"phone":"+13125550142","result":"no_data"})", kAdminToken)
                .status,
            201);
  EXPECT_EQ(codes(check(call("informational", "prerecorded", "2026-07-15T16:00:00Z"))),
            Codes{"REASSIGNED_NUMBER"});
  auto missing = server_.postJson("/v1/reassigned-numbers",
                                  R"({"phone":"+13125550142","result":"yes"})", kAdminToken);
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(missing.errorField("field"), "disconnected_on");
  EXPECT_EQ(server_
                .postJson("/v1/reassigned-numbers", R"({"phone":"+13125550142","result":"maybe"})",
                          kAdminToken)
                .errorField("field"),
            "result");
  EXPECT_EQ(server_
                .postJson("/v1/reassigned-numbers", R"({"phone":"+13125550142","result":"no"})",
                          kDialerToken)
                .status,
            403);
}

TEST_F(ListRoutes, UtahSundayWithoutConsentNamesTheMissingConsent) {
  freshNationalList();
  // Sun 2026-07-26 10:00 MDT; +1 801 is Salt Lake City.
  const std::string sunday = call("telemarketing", "live", "2026-07-26T16:00:00Z", "+18015550123");
  auto denied = check(sunday);
  auto c = codes(denied);
  EXPECT_NE(std::find(c.begin(), c.end(), "DAY_BANNED"), c.end()) << denied.body;
  EXPECT_NE(std::find(c.begin(), c.end(), "CONSENT_MISSING"), c.end()) << denied.body;
  ASSERT_EQ(server_
                .postJson("/v1/consents",
                          R"({"subject_id":"S-9","phone":"+18015550123","scope":"telemarketing"})",
                          kAdminToken)
                .status,
            201);
  auto allowed = check(sunday);
  EXPECT_EQ(allowed.json()->getValue<std::string>("decision"), "allow") << allowed.body;
}

}  // namespace
}  // namespace callwarden::testing
