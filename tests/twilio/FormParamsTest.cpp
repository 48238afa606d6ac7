#include "twilio/FormParams.h"

#include <gtest/gtest.h>

namespace callwarden::twilio {
namespace {

TEST(FormParams, RepeatedKeysStayRepeatedWithoutBrackets) {
  FormParams p{{"To", "+14155550100"},
               {"StatusCallbackEvent", "initiated"},
               {"StatusCallbackEvent", "ringing"},
               {"StatusCallbackEvent", "answered"}};
  EXPECT_EQ(formUrlEncode(p),
            "To=%2B14155550100&StatusCallbackEvent=initiated&StatusCallbackEvent=ringing&"
            "StatusCallbackEvent=answered");
}

TEST(FormParams, EncodesReservedAndNonAsciiBytes) {
  EXPECT_EQ(percentEncode("a b&c=d/é~_.-"), "a%20b%26c%3Dd%2F%C3%A9~_.-");
}

TEST(FormParams, ParsesPlusAsSpaceAndKeepsOrder) {
  auto p = parseFormUrlEncoded("B=x+y&A=%2B1&B=z&Empty=&NoValue");
  ASSERT_TRUE(p);
  FormParams expected{{"B", "x y"}, {"A", "+1"}, {"B", "z"}, {"Empty", ""}, {"NoValue", ""}};
  EXPECT_EQ(*p, expected);
  EXPECT_EQ(formValues(*p, "B"), (std::vector<std::string>{"x y", "z"}));
  EXPECT_EQ(formValue(*p, "A"), "+1");
  EXPECT_FALSE(formValue(*p, "Missing"));
}

TEST(FormParams, RejectsMalformedEscapes) {
  EXPECT_FALSE(parseFormUrlEncoded("a=%"));
  EXPECT_FALSE(parseFormUrlEncoded("a=%4"));
  EXPECT_FALSE(parseFormUrlEncoded("a=%zz"));
  EXPECT_TRUE(parseFormUrlEncoded(""));
}

TEST(FormParams, RoundTrips) {
  FormParams p{{"Twiml", "<Response><Say>It's 5 > 4 & ok</Say></Response>"}, {"K", "ü\n\t"}};
  auto back = parseFormUrlEncoded(formUrlEncode(p));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, p);
}

}  // namespace
}  // namespace callwarden::twilio
