// Known-good vectors from the official SDKs' own tests (twilio.md §4.2), recomputed there.
#include "twilio/WebhookSignature.h"

#include <gtest/gtest.h>

namespace callwarden::twilio {
namespace {

const std::string kToken = "12345";
const std::string kUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";
const FormParams kParams{{"CallSid", "CA1234567890ABCDE"},
                         {"Caller", "+14158675309"},
                         {"Digits", "1234"},
                         {"From", "+14158675309"},
                         {"To", "+18005551212"}};
const std::string kBodySha = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
const std::string kBody = R"({"property": "value", "boolean": true})";

TEST(WebhookSignature, ComputesSdkVector) {
  WebhookSignature sig(kToken);
  EXPECT_EQ(sig.compute(kUrl, kParams), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  EXPECT_TRUE(sig.validate(kUrl, kParams, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
}

TEST(WebhookSignature, ParameterOrderDoesNotMatter) {
  FormParams reversed(kParams.rbegin(), kParams.rend());
  EXPECT_EQ(WebhookSignature(kToken).compute(kUrl, reversed), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
}

TEST(WebhookSignature, AcceptsDefaultPortAddedOrRemoved) {
  WebhookSignature sig(kToken);
  // Signed with :443, request seen without a port, and the other way round.
  EXPECT_TRUE(sig.validate(kUrl, kParams, "kvajT1Ptam85bY51eRf/AJRuM3w="));
  EXPECT_TRUE(sig.validate("https://mycompany.com:443/myapp.php?foo=1&bar=2", kParams,
                           "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
  EXPECT_TRUE(sig.validate("http://mycompany.com/myapp.php?foo=1&bar=2", kParams,
                           "0ZXoZLH/DfblKGATFgpif+LLRf4="));
  EXPECT_EQ(sig.compute("http://mycompany.com:1234/myapp.php?foo=1&bar=2", kParams),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=");
  EXPECT_TRUE(sig.validate("http://mycompany.com:1234/myapp.php?foo=1&bar=2", kParams,
                           "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
  // A non-default port may be dropped by Twilio's signer.
  EXPECT_TRUE(sig.validate("https://mycompany.com:1234/myapp.php?foo=1&bar=2", kParams,
                           "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
}

TEST(WebhookSignature, HostCaseIsNotNormalised) {
  WebhookSignature sig(kToken);
  EXPECT_EQ(sig.compute("https://MyCompany.com/myapp.php?foo=1&bar=2", kParams),
            "g9IN/x4Cft2g517EjYvEvM/W7LU=");
  EXPECT_FALSE(sig.validate(kUrl, kParams, "g9IN/x4Cft2g517EjYvEvM/W7LU="));
}

TEST(WebhookSignature, RepeatedKeysSortValuesAndDropDuplicates) {
  FormParams p{{"Sid", "CA123"},
               {"SidAccount", "AC123"},
               {"Digits", "5678"},
               {"Digits", "1234"},
               {"Digits", "1234"}};
  EXPECT_EQ(WebhookSignature(kToken).compute(kUrl, p), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
}

TEST(WebhookSignature, RepeatedKeysFromNodeSdkTest) {
  FormParams a{{"MessagingBinding.Address", "+1325xxxxxxx"},
               {"MessagingBinding.Address", "+1415xxxxxxx"}};
  FormParams b{{"MessagingBinding.Address", "+1415xxxxxxx"},
               {"MessagingBinding.Address", "+1325xxxxxxx"}};
  WebhookSignature sig(kToken);
  EXPECT_EQ(sig.compute(kUrl, a), "83O6e2vORAoJHUNzJjDWN1jz+BA=");
  EXPECT_EQ(sig.compute(kUrl, b), "83O6e2vORAoJHUNzJjDWN1jz+BA=");
}

TEST(WebhookSignature, QueryStringIsSignedByteForByte) {
  WebhookSignature sig(kToken);
  EXPECT_EQ(sig.compute(kUrl + "&Body=It%27s+amazing", kParams), "TfZzewPq8wqrGlMfyAud8+/IvJ0=");
  EXPECT_NE(sig.compute(kUrl + "&Body=It's+amazing", kParams), "TfZzewPq8wqrGlMfyAud8+/IvJ0=");
}

TEST(WebhookSignature, ValidatesJsonBodyWithBodySha256) {
  WebhookSignature sig(kToken);
  EXPECT_TRUE(sig.validateWithBody(kUrl + "&bodySHA256=" + kBodySha, kBody,
                                   "a9nBmqA0ju/hNViExpshrM61xv4="));
  EXPECT_TRUE(sig.validateWithBody("https://mycompany.com/myapp.php?bodySHA256=" + kBodySha, kBody,
                                   "y77kIzt2vzLz71DgmJGsen2scGs="));
  // Right signature, tampered body.
  EXPECT_FALSE(sig.validateWithBody(kUrl + "&bodySHA256=" + kBodySha, kBody + " ",
                                    "a9nBmqA0ju/hNViExpshrM61xv4="));
  // No bodySHA256 at all.
  EXPECT_FALSE(sig.validateWithBody(kUrl, kBody, "a9nBmqA0ju/hNViExpshrM61xv4="));
}

TEST(WebhookSignature, JsonBodyMatchesOnlyWithDefaultPort) {
  const std::string url =
      "https://mycompany.com:443/myapp.php?foo=1&bar=2&bodySHA256="
      "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
  WebhookSignature sig(kToken);
  EXPECT_TRUE(sig.validateWithBody(url, "{}", "Ldidvp12m26NI7eqEvxnEpkd9Hc="));
  EXPECT_TRUE(
      sig.validateWithBody("https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256="
                           "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                           "{}", "Ldidvp12m26NI7eqEvxnEpkd9Hc="));
}

TEST(WebhookSignature, RejectsTamperingAndEmptyInputs) {
  WebhookSignature sig(kToken);
  const std::string good = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
  FormParams changed = kParams;
  changed[4].second = "+18005551213";
  EXPECT_FALSE(sig.validate(kUrl, changed, good));
  FormParams extra = kParams;
  extra.emplace_back("Extra", "");
  EXPECT_FALSE(sig.validate(kUrl, extra, good));
  EXPECT_FALSE(sig.validate(kUrl + "&x=1", kParams, good));
  EXPECT_FALSE(sig.validate(kUrl, kParams, ""));
  EXPECT_FALSE(sig.validate(kUrl, kParams, good.substr(0, 27)));
  EXPECT_FALSE(WebhookSignature("12346").validate(kUrl, kParams, good));
  EXPECT_FALSE(WebhookSignature("").validate(kUrl, kParams, good));
}

TEST(WebhookSignature, PortVariantsKeepUserInfoAndIpv6) {
  auto [without, with] = WebhookSignature::portVariants("https://u:p@[::1]:8443/cb?a=1");
  EXPECT_EQ(without, "https://u:p@[::1]/cb?a=1");
  EXPECT_EQ(with, "https://u:p@[::1]:8443/cb?a=1");
  auto [w2, p2] = WebhookSignature::portVariants("http://example.com");
  EXPECT_EQ(w2, "http://example.com");
  EXPECT_EQ(p2, "http://example.com:80");
}

}  // namespace
}  // namespace callwarden::twilio
