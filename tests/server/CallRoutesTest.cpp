// POST /v1/calls/check and /v1/calls/reserve, outcomes, flags and the attempts view, over
// HTTP against the assembled service (real SQLite, real audit log, shipped rule data).

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <thread>

#include "TestServer.h"
#include "common/Rfc3339.h"

namespace callwarden::testing {
namespace {

// 2026-07-15 is a Wednesday; +1 312 is Chicago (CDT, UTC-5).
constexpr const char* kChicago = "+13125550142";

std::string collection(const std::string& at, const std::string& debts = R"(["D1"])",
                       const std::string& subject = "S-1") {
  return R"({"to":")" + std::string(kChicago) + R"(","purpose":"debt_collection","subject_id":")" +
         subject + R"(","debts":)" + debts + (at.empty() ? "" : R"(,"at":")" + at + "\"") + "}";
}

class CallRoutes : public ::testing::Test {
 protected:
  CallRoutes() : server_([](app::Config& c) { c.policy_allow_client_time = true; }) {}
  HttpResult check(const std::string& body) {
    return server_.postJson("/v1/calls/check", body, kDialerToken);
  }
  HttpResult reserve(const std::string& body) {
    return server_.postJson("/v1/calls/reserve", body, kDialerToken);
  }
  HttpResult outcome(const std::string& id, const std::string& body) {
    return server_.postJson("/v1/reservations/" + id + "/outcome", body, kDialerToken);
  }
  // Telemarketing needs a fresh national do-not-call copy (DNC_LIST_STALE otherwise).
  void importNationalList() {
    HttpRequestSpec spec;
    spec.method = "POST";
    spec.path = "/v1/dnc/imports?list=national&obtained=2026-07-01";
    spec.content_type = "text/plain";
    spec.body = "2015550100\n";
    ASSERT_EQ(server_.send(spec, kAdminToken).status, 200);
  }
  TestServer server_;
};

TEST_F(CallRoutes, CheckAllowsInsideTheWindow) {
  importNationalList();
  auto r = check(R"({"to":"+13125550142","purpose":"telemarketing","at":"2026-07-15T16:00:00Z"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  EXPECT_EQ(j->getValue<std::string>("decision"), "allow");
  EXPECT_EQ(j->getArray("reasons")->size(), 0u);
  EXPECT_EQ(j->getValue<std::string>("next_allowed_at"), "2026-07-15T16:00:00Z");
  EXPECT_EQ(j->getArray("zones")->getElement<std::string>(0), "America/Chicago");
  EXPECT_FALSE(j->getValue<std::string>("policy_version").empty());
  EXPECT_EQ(j->getValue<std::string>("decision_id").rfind("dec_", 0), 0u);
  // Illinois is an all-party-consent state: record in dual channel, with an announcement.
  auto rec = j->getObject("recording");
  ASSERT_FALSE(rec.isNull()) << r.body;
  EXPECT_TRUE(rec->getValue<bool>("record"));
  EXPECT_EQ(rec->getValue<std::string>("channels"), "dual");
}

TEST_F(CallRoutes, CheckDeniesAfterNineWithTheNextAllowedTime) {
  importNationalList();
  // TV-1: 21:00:00 CDT is outside [08:00, 21:00).
  auto r = check(R"({"to":"+13125550142","purpose":"telemarketing","at":"2026-07-16T02:00:00Z"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  EXPECT_EQ(j->getValue<std::string>("decision"), "deny");
  EXPECT_EQ(j->getArray("reasons")->getObject(0)->getValue<std::string>("code"), "CALLING_WINDOW");
  EXPECT_EQ(j->getValue<std::string>("next_allowed_at"), "2026-07-16T13:00:00Z");
}

TEST_F(CallRoutes, ValidationErrorsName422Fields) {
  struct Case {
    const char* body;
    const char* field;
  };
  for (
      const Case& c :
      {Case{R"({"to":"3125550142","purpose":"telemarketing"})", "to"},
       Case{R"({"to":"+1312555","purpose":"telemarketing"})", "to"},
       Case{R"({"to":"+13125550142","purpose":"sales"})", "purpose"},
       Case{R"({"to":"+13125550142"})", "purpose"},
       Case{
           R"({"to":"+13125550142","purpose":"telemarketing","locations":[{"tz":"Mars/Olympus"}]})",
           "locations[0].tz"},
       Case{R"({"to":"+13125550142","purpose":"debt_collection","subject_id":"S-1"})", "debts"},
       Case{R"({"to":"+13125550142","purpose":"debt_collection","subject_id":"S-1","debts":[]})",
            "debts"},
       Case{R"({"to":"+13125550142","purpose":"debt_collection","debts":["D1"]})", "subject_id"},
       Case{
           R"({"to":"+13125550142","purpose":"debt_collection","subject_id":"S|1","debts":["D1"]})",
           "subject_id"},
       Case{R"({"to":"+13125550142","purpose":"telemarketing","at":"yesterday"})", "at"},
       Case{R"({"to":"+13125550142","purpose":"telemarketing","call_type":"robot"})",
            "call_type"}}) {
    auto r = check(c.body);
    EXPECT_EQ(r.status, 422) << c.body << " -> " << r.body;
    EXPECT_EQ(r.errorField("field"), c.field) << c.body << " -> " << r.body;
  }
}

TEST_F(CallRoutes, ChecksNeedTheDialerScope) {
  EXPECT_EQ(
      server_.postJson("/v1/calls/check", R"({"to":"+13125550142","purpose":"telemarketing"})")
          .status,
      401);
  EXPECT_EQ(server_
                .postJson("/v1/calls/check", R"({"to":"+13125550142","purpose":"telemarketing"})",
                          kAgentToken)
                .status,
            403);
}

TEST_F(CallRoutes, SeventhReservationIsTheLastOne) {
  for (int i = 0; i < 7; ++i) {
    auto r = reserve(collection("2026-03-02T15:0" + std::to_string(i) + ":00Z"));
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.json()->getValue<std::string>("decision"), "allow") << i << r.body;
    EXPECT_EQ(r.json()->getValue<std::string>("reservation_id").rfind("res_", 0), 0u);
  }
  auto eighth = reserve(collection("2026-03-04T16:00:00Z"));
  ASSERT_EQ(eighth.status, 200);
  auto j = eighth.json();
  EXPECT_EQ(j->getValue<std::string>("decision"), "deny");
  EXPECT_EQ(j->getArray("reasons")->getObject(0)->getValue<std::string>("code"), "REGF_7_IN_7");
  EXPECT_FALSE(j->has("reservation_id"));
  // Free on Mon Mar 9 in Chicago (day 8 after Mar 2), when the window opens at 08:00 CDT.
  EXPECT_EQ(j->getValue<std::string>("next_allowed_at"), "2026-03-09T13:00:00Z");
  // The check endpoint sees the same ledger and writes nothing.
  EXPECT_EQ(check(collection("2026-03-04T16:00:00Z")).json()->getValue<std::string>("decision"),
            "deny");
}

TEST_F(CallRoutes, BusyOutcomeReleasesTheSlotAndIsIdempotent) {
  std::string last;
  for (int i = 0; i < 7; ++i)
    last = reserve(collection("2026-03-02T15:0" + std::to_string(i) + ":00Z"))
               .json()
               ->getValue<std::string>("reservation_id");
  EXPECT_EQ(reserve(collection("2026-03-02T16:00:00Z")).json()->getValue<std::string>("decision"),
            "deny");
  auto o = outcome(last, R"({"outcome":"busy","call_sid":"CA0123456789abcdef0123456789abcdef"})");
  ASSERT_EQ(o.status, 200) << o.body;
  EXPECT_EQ(o.json()->getValue<std::string>("state"), "released");
  EXPECT_TRUE(o.json()->getValue<bool>("changed"));
  auto again =
      outcome(last, R"({"outcome":"busy","call_sid":"CA0123456789abcdef0123456789abcdef"})");
  EXPECT_EQ(again.status, 200);
  EXPECT_FALSE(again.json()->getValue<bool>("changed"));
  auto conflict = outcome(last, R"({"outcome":"completed"})");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.errorField("code"), "OUTCOME_CONFLICT");
  EXPECT_EQ(reserve(collection("2026-03-02T16:00:00Z")).json()->getValue<std::string>("decision"),
            "allow");
  EXPECT_EQ(outcome("res_nope", R"({"outcome":"busy"})").status, 404);
  EXPECT_EQ(outcome(last, R"({"outcome":"exploded"})").status, 422);
  EXPECT_EQ(outcome(last, R"({"outcome":"busy","conversation":true})").status, 422);
}

TEST_F(CallRoutes, UnsettledReservationCountsAfterExpiryAndALateOutcomeStillSettlesIt) {
  // The fake clock decides here, so expiry is real: 10 minutes after the reservation.
  TestServer s;
  std::string last;
  for (int i = 0; i < 7; ++i) {
    last = s.postJson("/v1/calls/reserve", collection(""), kDialerToken)
               .json()
               ->getValue<std::string>("reservation_id");
  }
  s.clock().advance(std::chrono::minutes(11));
  auto view = s.get("/v1/subjects/S-1/attempts?debt=D1", kAuditorToken);
  ASSERT_EQ(view.status, 200) << view.body;
  EXPECT_EQ(view.json()->getArray("counted")->size(), 7u);  // no outcome: when unsure, count
  EXPECT_EQ(view.json()->getArray("pending")->size(), 0u);
  EXPECT_EQ(s.postJson("/v1/calls/reserve", collection(""), kDialerToken)
                .json()
                ->getValue<std::string>("decision"),
            "deny");
  // The dialer's outcome arrives late: a busy signal means the call never connected.
  auto late =
      s.postJson("/v1/reservations/" + last + "/outcome", R"({"outcome":"busy"})", kDialerToken);
  ASSERT_EQ(late.status, 200) << late.body;
  EXPECT_EQ(late.json()->getValue<std::string>("state"), "released");
  EXPECT_EQ(s.postJson("/v1/calls/reserve", collection(""), kDialerToken)
                .json()
                ->getValue<std::string>("decision"),
            "allow");
}

TEST_F(CallRoutes, StoredInconvenientTimesNarrowTheWindow) {
  // The consumer said weekday lunchtimes in Chicago are inconvenient (Reg F 1006.6(b)(1)(i)).
  auto put = server_.putJson(
      "/v1/subjects/S-1/inconvenient-times",
      R"({"intervals":[{"weekdays":["mon","tue","wed","thu","fri"],"start":"12:00",)"
      R"("end":"13:30","tz":"America/Chicago"}]})",
      kAgentToken);
  ASSERT_EQ(put.status, 200) << put.body;
  auto lunch = check(collection("2026-07-15T17:15:00Z"));  // Wed 12:15 CDT
  ASSERT_EQ(lunch.status, 200) << lunch.body;
  EXPECT_EQ(lunch.json()->getValue<std::string>("decision"), "deny");
  EXPECT_EQ(lunch.json()->getArray("reasons")->getObject(0)->getValue<std::string>("code"),
            "INCONVENIENT_TIME");
  EXPECT_EQ(lunch.json()->getValue<std::string>("next_allowed_at"),
            "2026-07-15T18:30:00Z");  // 13:30 CDT
  // Other subjects and the weekend are unaffected.
  EXPECT_EQ(check(collection("2026-07-15T17:15:00Z", R"(["D1"])", "S-2"))
                .json()
                ->getValue<std::string>("decision"),
            "allow");
  EXPECT_EQ(check(collection("2026-07-18T17:15:00Z")).json()->getValue<std::string>("decision"),
            "allow");
  auto got = server_.get("/v1/subjects/S-1/inconvenient-times", kAuditorToken);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json()->getArray("intervals")->getObject(0)->getValue<std::string>("start"),
            "12:00:00");
  struct Bad {
    const char* body;
    const char* field;
  };
  // One more than the policy evaluates (policy::LocalInterval::kMaxPerSubject).
  std::string seventeen = R"({"intervals":[)";
  for (int i = 0; i < 17; ++i)
    seventeen += std::string(i ? "," : "") + R"({"start":"01:00","end":"02:00"})";
  seventeen += "]}";
  for (const Bad& b :
       {Bad{R"({"intervals":[{"start":"12:00","end":"25:00"}]})", "intervals[0].end"},
        Bad{R"({"intervals":[{"start":"12:00","end":"13:00","tz":"Mars/Base"}]})",
            "intervals[0].tz"},
        Bad{R"({"intervals":[{"start":"12:00","end":"12:00"}]})", "intervals[0]"},
        Bad{R"({"intervals":[{"start":"12:00","end":"13:00","weekdays":["mon","xyz"]}]})",
            "intervals[0].weekdays[1]"},
        Bad{seventeen.c_str(), "intervals"}}) {
    auto r = server_.putJson("/v1/subjects/S-1/inconvenient-times", b.body, kAdminToken);
    EXPECT_EQ(r.status, 422) << b.body << r.body;
    EXPECT_EQ(r.errorField("field"), b.field) << b.body << r.body;
  }
}

// What the store holds for a subject and the policy cannot evaluate (more inconvenient intervals
// than it takes, as an older version or a hand edit might leave) fails the decision, not the
// request: 200 with a deny whose only reason is INTERNAL_ERROR, no zones and no recording
// block, for checks and reservations alike; never a 422, a 500 or an allow.
TEST_F(CallRoutes, StoredDataThePolicyCannotEvaluateIsAnInternalErrorDeny) {
  const std::string url = server_.config().store_url;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(url.substr(url.find(':') + 1).c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  std::string sql = "BEGIN;";
  for (int i = 0; i < 17; ++i)
    sql +=
        "INSERT INTO inconvenient_time (subject_id, weekdays, start_s, end_s, tz) "
        "VALUES ('S-1', 127, 3600, 7200, '');";
  sql += "COMMIT;";
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  sqlite3_free(err);
  sqlite3_close(db);
  for (bool reserving : {false, true}) {
    auto r = reserving ? reserve(collection("2026-07-15T16:00:00Z"))
                       : check(collection("2026-07-15T16:00:00Z"));
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.json();
    EXPECT_EQ(j->getValue<std::string>("decision"), "deny");
    ASSERT_EQ(j->getArray("reasons")->size(), 1u) << r.body;
    EXPECT_EQ(j->getArray("reasons")->getObject(0)->getValue<std::string>("code"),
              "INTERNAL_ERROR");
    EXPECT_EQ(j->getArray("reasons")->getObject(0)->getValue<std::string>("rule"),
              "callwarden/gate");
    EXPECT_EQ(j->getArray("zones")->size(), 0u);
    EXPECT_FALSE(j->has("recording")) << r.body;
    EXPECT_FALSE(j->has("reservation_id")) << r.body;
  }
  // Another subject is unaffected.
  EXPECT_EQ(check(collection("2026-07-15T16:00:00Z", R"(["D1"])", "S-2"))
                .json()
                ->getValue<std::string>("decision"),
            "allow");
}

TEST_F(CallRoutes, ConversationReportedAfterTheCallWasSettledStillBlocks) {
  auto r = reserve(collection("2026-03-03T20:10:00Z"));
  auto id = r.json()->getValue<std::string>("reservation_id");
  ASSERT_EQ(outcome(id, R"({"outcome":"completed"})").status, 200);
  auto upgraded = outcome(id, R"({"outcome":"completed","conversation":true})");
  ASSERT_EQ(upgraded.status, 200) << upgraded.body;
  EXPECT_TRUE(upgraded.json()->getValue<bool>("changed"));
  auto later = check(collection("2026-03-05T15:00:00Z"));
  EXPECT_EQ(later.json()->getArray("reasons")->getObject(0)->getValue<std::string>("code"),
            "REGF_POST_CONVERSATION");
  EXPECT_EQ(outcome(id, R"({"outcome":"no-answer","conversation":true})").status, 409);
}

TEST_F(CallRoutes, ConversationOutcomeBlocksTheDebtsOfTheCall) {
  auto r = reserve(collection("2026-03-03T20:10:00Z", R"(["D1","D2"])"));
  auto id = r.json()->getValue<std::string>("reservation_id");
  ASSERT_EQ(outcome(id, R"({"outcome":"completed","conversation":true})").status, 200);
  auto d1 = check(collection("2026-03-09T20:00:00Z", R"(["D1"])"));
  EXPECT_EQ(d1.json()->getArray("reasons")->getObject(0)->getValue<std::string>("code"),
            "REGF_POST_CONVERSATION");
  EXPECT_EQ(d1.json()->getValue<std::string>("next_allowed_at"), "2026-03-10T13:00:00Z");
  EXPECT_EQ(check(collection("2026-03-09T20:00:00Z", R"(["D3"])"))
                .json()
                ->getValue<std::string>("decision"),
            "allow");
}

TEST_F(CallRoutes, ReportedConversationBlocksToo) {
  auto c = server_.postJson("/v1/conversations",
                            R"({"subject_id":"S-1","debts":["D1"],"at":"2026-03-03T20:10:00Z"})",
                            kAgentToken);
  ASSERT_EQ(c.status, 201) << c.body;
  EXPECT_EQ(check(collection("2026-03-05T15:00:00Z")).json()->getValue<std::string>("decision"),
            "deny");
}

TEST_F(CallRoutes, AtIsRefusedOnReservationsUnlessAllowed) {
  TestServer strict;
  auto r = strict.postJson("/v1/calls/reserve", collection("2026-03-02T15:00:00Z"), kDialerToken);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.errorField("field"), "at");
  // Without "at" the fake clock decides (2026-07-15 16:00Z = 11:00 CDT).
  auto ok = strict.postJson("/v1/calls/reserve", collection(""), kDialerToken);
  EXPECT_EQ(ok.json()->getValue<std::string>("decision"), "allow") << ok.body;
}

TEST_F(CallRoutes, AccountFlagsBlockCollection) {
  auto f = server_.putJson("/v1/subjects/S-1/flags", R"({"flags":["bankruptcy"]})", kAdminToken);
  ASSERT_EQ(f.status, 200) << f.body;
  auto d = check(collection("2026-03-02T15:00:00Z"));
  EXPECT_EQ(d.json()->getArray("reasons")->getObject(0)->getValue<std::string>("code"),
            "ACCOUNT_BLOCKED");
  EXPECT_TRUE(d.json()->isNull("next_allowed_at"));
  auto bad = server_.putJson("/v1/subjects/S-1/flags", R"({"flags":["vip"]})", kAdminToken);
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(server_.putJson("/v1/subjects/S-1/flags", R"({"flags":[]})", kDialerToken).status, 403);
}

// A PUT replaces a stored list: a forgotten or null field must not clear a block.
TEST_F(CallRoutes, SubjectListsAreClearedOnlyByAnExplicitEmptyList) {
  ASSERT_EQ(
      server_.putJson("/v1/subjects/acct%2F7/flags", R"({"flags":["bankruptcy"]})", kAdminToken)
          .status,
      200);
  auto blocked = [&] {
    auto r = check(collection("2026-07-15T16:00:00Z", R"(["D1"])", "acct/7"));
    return r.json()->getValue<std::string>("decision") == "deny";
  };
  EXPECT_TRUE(blocked());
  for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
           {"flags", "{}"},
           {"flags", R"({"flags":null})"},
           {"debt-groups", "{}"},
           {"debt-groups", R"({"groups":null})"},
           {"inconvenient-times", "{}"},
           {"inconvenient-times", R"({"intervals":null})"}}) {
    auto r = server_.putJson("/v1/subjects/acct%2F7/" + path, body, kAdminToken);
    EXPECT_EQ(r.status, 422) << path << " " << body;
    EXPECT_EQ(r.errorField("code"), "MISSING_FIELD") << path << " " << body;
  }
  EXPECT_TRUE(blocked());
  ASSERT_EQ(server_.putJson("/v1/subjects/acct%2F7/flags", R"({"flags":[]})", kAdminToken).status,
            200);
  EXPECT_FALSE(blocked());
}

TEST_F(CallRoutes, GroupedDebtsShareOneCount) {
  auto g = server_.putJson("/v1/subjects/S-1/debt-groups",
                           R"({"groups":[{"id":"SL","debts":["SL-A","SL-B"]}]})", kAdminToken);
  ASSERT_EQ(g.status, 200) << g.body;
  for (int i = 0; i < 4; ++i)
    reserve(collection("2026-03-02T15:0" + std::to_string(i) + ":00Z", R"(["SL-A"])"));
  for (int i = 4; i < 7; ++i)
    reserve(collection("2026-03-02T15:0" + std::to_string(i) + ":00Z", R"(["SL-B"])"));
  EXPECT_EQ(check(collection("2026-03-03T15:00:00Z", R"(["SL-A"])"))
                .json()
                ->getValue<std::string>("decision"),
            "deny");
}

// TV-12 when the grouping comes after the calls: the group finds its debts' calls and
// conversations, and a debt leaving the group keeps the group's.
TEST_F(CallRoutes, RegroupingDebtsCarriesTheirCallsAlong) {
  for (int i = 0; i < 4; ++i)
    reserve(collection("2026-03-02T15:0" + std::to_string(i) + ":00Z", R"(["SL-A"])"));
  for (int i = 4; i < 7; ++i)
    reserve(collection("2026-03-02T15:0" + std::to_string(i) + ":00Z", R"(["SL-B"])"));
  auto codes = [&](const char* debts) {
    auto r = check(collection("2026-03-03T15:00:00Z", debts));
    std::vector<std::string> out;
    auto a = r.json()->getArray("reasons");
    for (size_t i = 0; i < a->size(); ++i)
      out.push_back(a->getObject(i)->getValue<std::string>("code"));
    return out;
  };
  using Codes = std::vector<std::string>;
  ASSERT_EQ(codes(R"(["SL-A"])"), Codes{});  // 4 calls: not yet
  ASSERT_EQ(server_
                .putJson("/v1/subjects/S-1/debt-groups",
                         R"({"groups":[{"id":"SL","debts":["SL-A","SL-B"]}]})", kAdminToken)
                .status,
            200);
  EXPECT_EQ(codes(R"(["SL-A"])"), Codes{"REGF_7_IN_7"});
  EXPECT_EQ(codes(R"(["SL-B"])"), Codes{"REGF_7_IN_7"});
  ASSERT_EQ(server_.putJson("/v1/subjects/S-1/debt-groups", R"({"groups":[]})", kAdminToken).status,
            200);
  EXPECT_EQ(codes(R"(["SL-B"])"), Codes{"REGF_7_IN_7"});

  // A conversation about one debt blocks its group once grouped.
  ASSERT_EQ(server_
                .postJson("/v1/conversations",
                          R"({"subject_id":"S-1","debts":["C-1"],"at":"2026-03-02T16:00:00Z"})",
                          kAgentToken)
                .status,
            201);
  EXPECT_EQ(codes(R"(["C-2"])"), Codes{});
  ASSERT_EQ(server_
                .putJson("/v1/subjects/S-1/debt-groups",
                         R"({"groups":[{"id":"C","debts":["C-1","C-2"]}]})", kAdminToken)
                .status,
            200);
  EXPECT_EQ(codes(R"(["C-2"])"), Codes{"REGF_POST_CONVERSATION"});
}

// A call reserved before its debt joined a group, settled with a conversation after: the
// conversation blocks the group, not only the debt's old key.
TEST_F(CallRoutes, ConversationOnACallReservedBeforeARegroupingBlocksTheGroup) {
  auto r = reserve(collection("2026-03-03T15:00:00Z", R"(["D1"])"));
  const std::string id = r.json()->getValue<std::string>("reservation_id");
  ASSERT_EQ(server_
                .putJson("/v1/subjects/S-1/debt-groups",
                         R"({"groups":[{"id":"G","debts":["D1","D2"]}]})", kAdminToken)
                .status,
            200);
  auto o = outcome(id, R"({"outcome":"completed","conversation":true})");
  ASSERT_EQ(o.status, 200) << o.body;
  auto c = check(collection("2026-03-03T17:00:00Z", R"(["D2"])"));
  EXPECT_EQ(c.json()->getValue<std::string>("decision"), "deny") << c.body;
  EXPECT_NE(c.body.find("REGF_POST_CONVERSATION"), std::string::npos) << c.body;
}

TEST_F(CallRoutes, DirectConsentExcludesTheCallback) {
  for (int i = 0; i < 7; ++i) reserve(collection("2026-03-02T15:0" + std::to_string(i) + ":00Z"));
  auto c = server_.postJson(
      "/v1/consents",
      R"({"subject_id":"S-1","scope":"regf_call","debts":["D1"],"given_to":"collector",)"
      R"("received_at":"2026-03-05T20:00:00Z","max_calls":1})",
      kAgentToken);
  ASSERT_EQ(c.status, 201) << c.body;
  auto creditor = server_.postJson(
      "/v1/consents",
      R"({"subject_id":"S-1","scope":"regf_call","debts":["D1"],"given_to":"creditor"})",
      kAdminToken);
  ASSERT_EQ(creditor.status, 201);
  EXPECT_EQ(reserve(collection("2026-03-06T16:00:00Z")).json()->getValue<std::string>("decision"),
            "allow");
  EXPECT_EQ(reserve(collection("2026-03-06T21:00:00Z")).json()->getValue<std::string>("decision"),
            "deny");
  server_.clock().set(parseRfc3339("2026-03-06T22:00:00Z").value());
  auto v = server_.get("/v1/subjects/S-1/attempts?debt=D1", kAuditorToken);
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_EQ(v.json()->getArray("excluded")->size(), 1u);
  EXPECT_EQ(v.json()->getArray("counted")->size(),
            7u);  // past their expiry without an outcome: counted
  EXPECT_EQ(v.json()->getArray("pending")->size(), 0u);
  // Mar 2 + 7 days, in Chicago.
  EXPECT_EQ(v.json()->getValue<std::string>("frees_at"), "2026-03-09T05:00:00Z");
  EXPECT_EQ(v.json()->getArray("blocking")->getObject(0)->getValue<std::string>("code"),
            "REGF_7_IN_7");
}

// Fla. Stat. 501.616(6)(b): 3 calls in 24 h to a person on one subject matter. The person is
// the number called and the subject: a call without the subject id, or to the subject's other
// number, finds the calls made the other way.
TEST_F(CallRoutes, FloridaCapCountsTheNumberAndTheSubject) {
  importNationalList();
  auto call = [](const std::string& to, const std::string& subject, const std::string& matter,
                 const std::string& at) {
    return R"({"to":")" + to + R"(","purpose":"telemarketing",)" +
           (subject.empty() ? "" : R"("subject_id":")" + subject + R"(",)") +
           R"("subject_matter":")" + matter + R"(","at":")" + at + R"("})";
  };
  auto decision = [](const HttpResult& r) { return r.json()->getValue<std::string>("decision"); };
  // Wed 2026-07-15 11:00 EDT; +1 305 is Miami.
  for (int i = 0; i < 3; ++i) {
    auto r = reserve(
        call("+13055550142", "S-FL", "solar", "2026-07-15T15:0" + std::to_string(i) + ":00Z"));
    ASSERT_EQ(decision(r), "allow") << r.body;
  }
  for (const auto& body : {call("+13055550142", "", "solar", "2026-07-15T16:00:00Z"),
                           call("+13055550143", "S-FL", "solar", "2026-07-15T16:00:00Z")}) {
    auto r = reserve(body);
    ASSERT_EQ(decision(r), "deny") << body << " " << r.body;
    auto reasons = r.json()->getArray("reasons");
    ASSERT_GE(reasons->size(), 1u);
    for (size_t i = 0; i < reasons->size(); ++i)
      EXPECT_EQ(reasons->getObject(i)->getValue<std::string>("code"), "STATE_FREQUENCY_CAP");
    // 24 h after the first of the three.
    EXPECT_EQ(r.json()->getValue<std::string>("next_allowed_at"), "2026-07-16T15:00:00Z");
  }
  EXPECT_EQ(decision(reserve(call("+13055550142", "S-FL", "roofing", "2026-07-15T16:00:00Z"))),
            "allow");
  EXPECT_EQ(decision(reserve(call("+13055550143", "S-other", "solar", "2026-07-15T16:00:00Z"))),
            "allow");
}

// 940 CMR 7.04(1)(f): 2 collection calls in 7 days. Direct consent takes a call out of Reg F's
// counts ((b)(3)), not out of the state's.
TEST_F(CallRoutes, MassachusettsCapCountsCallsUnderDirectConsent) {
  auto c = server_.postJson(
      "/v1/consents",
      R"({"subject_id":"S-MA","scope":"regf_call","debts":["D1"],"given_to":"collector",)"
      R"("received_at":"2026-06-01T13:00:00Z","max_calls":5})",
      kAgentToken);
  ASSERT_EQ(c.status, 201) << c.body;
  auto call = [](const std::string& at) {
    return R"({"to":"+16175550142","purpose":"debt_collection","subject_id":"S-MA",)"
           R"("debts":["D1"],"locations":[{"state":"MA"}],"at":")" +
           at + R"("})";
  };
  for (const char* at : {"2026-06-01T14:00:00Z", "2026-06-02T14:00:00Z"}) {
    auto r = reserve(call(at));
    ASSERT_EQ(r.json()->getValue<std::string>("decision"), "allow") << r.body;
  }
  auto third = reserve(call("2026-06-03T14:00:00Z"));
  ASSERT_EQ(third.json()->getValue<std::string>("decision"), "deny") << third.body;
  auto reasons = third.json()->getArray("reasons");
  ASSERT_EQ(reasons->size(), 1u) << third.body;
  EXPECT_EQ(reasons->getObject(0)->getValue<std::string>("rule"), "US-MA/collection-2-per-7");
}

// TV-13's second call: a consent that does not say how many calls it covers covers one.
TEST_F(CallRoutes, DirectConsentWithoutACountCoversOneCall) {
  for (int i = 0; i < 7; ++i) reserve(collection("2026-03-02T15:0" + std::to_string(i) + ":00Z"));
  for (const char* bad : {R"("max_calls":0)", R"("max_calls":false)", R"("max_calls":1.5)"}) {
    auto r = server_.postJson("/v1/consents",
                              std::string(R"({"subject_id":"S-1","scope":"regf_call",)"
                                          R"("debts":["D1"],"given_to":"collector",)") +
                                  bad + "}",
                              kAgentToken);
    EXPECT_EQ(r.status, 422) << bad;
    EXPECT_EQ(r.errorField("field"), "max_calls") << bad;
  }
  auto c = server_.postJson(
      "/v1/consents",
      R"({"subject_id":"S-1","scope":"regf_call","debts":["D1"],"given_to":"collector",)"
      R"("received_at":"2026-03-05T20:00:00Z"})",
      kAgentToken);
  ASSERT_EQ(c.status, 201) << c.body;
  EXPECT_EQ(reserve(collection("2026-03-06T16:00:00Z")).json()->getValue<std::string>("decision"),
            "allow");
  auto second = reserve(collection("2026-03-06T21:00:00Z"));
  EXPECT_EQ(second.json()->getValue<std::string>("decision"), "deny") << second.body;
}

TEST_F(CallRoutes, ConcurrentReservationsTakeExactlySevenSlots) {
  std::atomic<int> allowed{0}, denied{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto r = reserve(collection("2026-03-02T15:00:00Z", R"(["HOT"])", "S-hot"));
        if (r.status != 200) {
          ++errors;
        } else if (r.json()->getValue<std::string>("decision") == "allow") {
          ++allowed;
        } else {
          ++denied;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(allowed.load(), 7);
  EXPECT_EQ(denied.load(), 193);
}

TEST_F(CallRoutes, DecisionsAreCountedInMetrics) {
  check(R"({"to":"+13125550142","purpose":"telemarketing","at":"2026-07-16T02:00:00Z"})");
  auto m = server_.get("/metrics");
  EXPECT_NE(m.body.find("callwarden_decisions_total{result=\"deny\",reason=\"CALLING_WINDOW\"} 1"),
            std::string::npos)
      << m.body;
}

}  // namespace
}  // namespace callwarden::testing
