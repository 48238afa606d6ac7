#include "twilio/TwilioJson.h"

#include <gtest/gtest.h>

namespace callwarden::twilio {
namespace {

TEST(TwilioJson, ParsesCallWithNullsAndStringNumbers) {
  auto call = parseCall(
      R"({"sid":"CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","status":"in-progress","to":"+14155550100",
    "from":"+14155550199","direction":"outbound-api","answered_by":null,"duration":"15","price":null,
    "date_created":"Tue, 31 Aug 2010 20:36:28 +0000","start_time":null,"parent_call_sid":null})");
  ASSERT_TRUE(call.isOk()) << call.status().toString();
  EXPECT_EQ(call->status, CallStatus::kInProgress);
  EXPECT_EQ(call->duration_seconds, 15);
  EXPECT_EQ(call->answered_by, "");
  EXPECT_FALSE(call->start_time);
  ASSERT_TRUE(call->date_created);
  EXPECT_EQ(call->date_created->time_since_epoch(), std::chrono::seconds(1283286988));
}

TEST(TwilioJson, UnknownStatusIsKeptButNotGuessed) {
  auto call = parseCall(R"({"sid":"CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","status":"initiated"})");
  ASSERT_TRUE(call.isOk());
  EXPECT_EQ(call->status, CallStatus::kUnknown);
  EXPECT_EQ(call->status_text, "initiated");
}

TEST(TwilioJson, RejectsResourcesWithoutAValidSid) {
  EXPECT_FALSE(parseCall(R"({"sid":"CA123","status":"queued"})").isOk());
  EXPECT_FALSE(parseCall("[]").isOk());
  EXPECT_FALSE(parseCall("not json").isOk());
  EXPECT_FALSE(parseRecording(R"({"sid":"CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})").isOk());
}

TEST(TwilioJson, ParsesRecordingWithNumericPriceAndChannels) {
  auto rec = parseRecording(
      R"({"sid":"REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","call_sid":"CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "status":"paused","channels":2,"price":-0.0025,"error_code":null,"source":"StartCallRecordingAPI"})");
  ASSERT_TRUE(rec.isOk());
  EXPECT_EQ(rec->status, RecordingStatus::kPaused);
  EXPECT_EQ(rec->channels, 2);
  EXPECT_FALSE(rec->error_code);
}

TEST(TwilioJson, ParsesPagesAndErrorBodies) {
  auto page =
      parseCallPage(R"({"calls":[{"sid":"CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","status":"queued"}],
    "next_page_uri":"/2010-04-01/Accounts/AC/Calls.json?Page=1","page":0})");
  ASSERT_TRUE(page.isOk());
  EXPECT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->next_page_uri, "/2010-04-01/Accounts/AC/Calls.json?Page=1");
  EXPECT_FALSE(parseCallPage(R"({"recordings":[]})").isOk());

  auto error = parseErrorBody(R"({"code":21211,"message":"Invalid 'To' Phone Number","more_info":
    "https://www.twilio.com/docs/errors/21211","status":400})");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, 21211);
  EXPECT_EQ(error->status, 400);
  // Prism's problem+json and HTML pages are not Twilio errors.
  EXPECT_FALSE(
      parseErrorBody(R"({"type":"https://stoplight.io/prism/errors#UNAUTHORIZED","status":401})"));
  EXPECT_FALSE(parseErrorBody("<html></html>"));
}

TEST(TwilioJson, Rfc2822RoundTrips) {
  auto t = parseRfc2822("Tue, 31 Aug 2010 20:36:28 +0000");
  ASSERT_TRUE(t);
  EXPECT_EQ(formatRfc2822(*t), "Tue, 31 Aug 2010 20:36:28 +0000");
  auto shifted = parseRfc2822("Tue, 31 Aug 2010 22:36:28 +0200");
  ASSERT_TRUE(shifted);
  EXPECT_EQ(*shifted, *t);
  EXPECT_FALSE(parseRfc2822("2010-08-31T20:36:28Z"));
}

}  // namespace
}  // namespace callwarden::twilio
