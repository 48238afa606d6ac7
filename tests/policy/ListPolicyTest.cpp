// Do-not-call list rules: which lists apply to which purpose, the 31-day scrub age (TV-23),
// and how list file lines are read.

#include "policy/ListPolicy.h"

#include <gtest/gtest.h>

#include "common/Rfc3339.h"

namespace callwarden::policy {
namespace {

Timestamp at(const char* t) {
  return parseRfc3339(t).value();
}

Date date(const char* d) {
  return parseDate(d).value();
}

std::vector<ReasonCode> codes(const std::vector<Reason>& reasons) {
  std::vector<ReasonCode> out;
  for (const auto& r : reasons) out.push_back(r.code);
  return out;
}

TEST(ListPolicy, NumbersNormaliseToTenDigitIntegers) {
  EXPECT_EQ(nanpFromE164("+13125550142"), 3125550142);
  EXPECT_EQ(nanpFromDigits("3125550142"), 3125550142);
  EXPECT_EQ(e164FromNanp(3125550142), "+13125550142");
  EXPECT_EQ(e164FromNanp(2015550100), "+12015550100");
  for (const char* bad : {"3125550142", "+1312555014", "+131255501423", "+441234567890",
                          "+11125550142", "+13121550142", "+1312555014x", ""}) {
    EXPECT_FALSE(nanpFromE164(bad).has_value()) << bad;
  }
  EXPECT_FALSE(nanpFromDigits("0125550142").has_value());
  EXPECT_FALSE(nanpFromDigits("312-555-0142").has_value());
}

TEST(ListPolicy, ListNames) {
  EXPECT_EQ(dncListKind("internal"), DncListKind::kInternal);
  EXPECT_EQ(dncListKind("national"), DncListKind::kNational);
  EXPECT_EQ(dncListKind("US-TX"), DncListKind::kState);
  for (const char* bad : {"US-tx", "TX", "US-TEX", "state", "", "National"})
    EXPECT_FALSE(dncListKind(bad).has_value()) << bad;
}

TEST(ListPolicy, TelemarketingChecksEveryListOthersOnlyTheInternalOne) {
  for (auto kind : {DncListKind::kInternal, DncListKind::kNational, DncListKind::kState})
    EXPECT_TRUE(dncListApplies(kind, Purpose::kTelemarketing));
  for (auto purpose : {Purpose::kDebtCollection, Purpose::kInformational}) {
    EXPECT_TRUE(dncListApplies(DncListKind::kInternal, purpose));
    EXPECT_FALSE(dncListApplies(DncListKind::kNational, purpose));
    EXPECT_FALSE(dncListApplies(DncListKind::kState, purpose));
  }
}

TEST(ListPolicy, EveryHitIsAReason) {
  DncInput in;
  in.purpose = Purpose::kTelemarketing;
  in.at = at("2026-07-02T16:00:00Z");
  in.national_obtained = date("2026-06-01");
  in.hits = {{"internal", DncListKind::kInternal},
             {"national", DncListKind::kNational},
             {"US-TX", DncListKind::kState}};
  auto r = evaluateDnc(in, {});
  EXPECT_EQ(codes(r), (std::vector<ReasonCode>{ReasonCode::kDncInternal, ReasonCode::kDncNational,
                                               ReasonCode::kDncState}));
  EXPECT_EQ(r[2].rule, "US-TX/dnc-state");
  in.purpose = Purpose::kDebtCollection;
  EXPECT_EQ(codes(evaluateDnc(in, {})), (std::vector<ReasonCode>{ReasonCode::kDncInternal}));
}

TEST(ListPolicy, Tv23ScrubAgeIs31Days) {
  DncInput in;
  in.purpose = Purpose::kTelemarketing;
  in.national_obtained = date("2026-06-01");
  in.at = at("2026-07-02T23:59:59Z");
  EXPECT_TRUE(evaluateDnc(in, {}).empty());
  in.at = at("2026-07-03T00:00:00Z");
  EXPECT_EQ(codes(evaluateDnc(in, {})), (std::vector<ReasonCode>{ReasonCode::kDncListStale}));
  // The UTC date counts: 20:00 EDT on July 2 is already July 3 in UTC (fail closed).
  in.at = at("2026-07-02T20:00:00-04:00");
  EXPECT_EQ(codes(evaluateDnc(in, {})), (std::vector<ReasonCode>{ReasonCode::kDncListStale}));
  ListOptions longer;
  longer.dnc_max_age_days = 40;
  EXPECT_TRUE(evaluateDnc(in, longer).empty());
  // Guam (UTC+10) is ahead of UTC: 08:00 on July 3 there is July 2 in UTC, and stale.
  const date::time_zone* guam = date::locate_zone("Pacific/Guam");
  in.zones = std::span(&guam, 1);
  in.at = at("2026-07-03T08:00:00+10:00");
  EXPECT_EQ(codes(evaluateDnc(in, {})), (std::vector<ReasonCode>{ReasonCode::kDncListStale}));
  in.zones = {};
  EXPECT_TRUE(evaluateDnc(in, {}).empty());
}

TEST(ListPolicy, NoNationalCopyIsStaleForTelemarketingOnly) {
  DncInput in;
  in.at = at("2026-07-02T16:00:00Z");
  in.purpose = Purpose::kTelemarketing;
  EXPECT_EQ(codes(evaluateDnc(in, {})), (std::vector<ReasonCode>{ReasonCode::kDncListStale}));
  in.purpose = Purpose::kInformational;
  EXPECT_TRUE(evaluateDnc(in, {}).empty());
}

TEST(ListPolicy, DatesAreStrict) {
  EXPECT_EQ(formatDate(date("2028-02-29")), "2028-02-29");
  for (const char* bad : {"2026-02-29", "2026-6-01", "2026/06/01", "20260601", "2026-13-01", ""})
    EXPECT_FALSE(parseDate(bad).isOk()) << bad;
}

TEST(ListPolicy, FileLinesToleratesBlankCrlfAndHeader) {
  EXPECT_EQ(parseDncLine("3125550142", 1).kind, LineKind::kNumber);
  EXPECT_EQ(parseDncLine("3125550142\r", 5).number, 3125550142);
  EXPECT_EQ(parseDncLine("  3125550142 \r", 5).kind, LineKind::kNumber);
  EXPECT_EQ(parseDncLine("", 7).kind, LineKind::kSkip);
  EXPECT_EQ(parseDncLine("\r", 7).kind, LineKind::kSkip);
  EXPECT_EQ(parseDncLine("PhoneNumber", 1).kind, LineKind::kSkip);
  EXPECT_EQ(parseDncLine("\xEF\xBB\xBF"
                         "3125550142",
                         1)
                .kind,
            LineKind::kNumber);
  // A header is only ever the first line.
  EXPECT_EQ(parseDncLine("PhoneNumber", 2).kind, LineKind::kMalformed);
  for (const char* bad :
       {"312555014", "31255501420", "312-555-0142", "1125550142", "+13125550142", "3125550142,x"}) {
    EXPECT_EQ(parseDncLine(bad, 3).kind, LineKind::kMalformed) << bad;
  }
}

}  // namespace
}  // namespace callwarden::policy
