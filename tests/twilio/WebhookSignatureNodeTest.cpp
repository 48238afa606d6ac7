// Cross-checks WebhookSignature against the official twilio npm package on random inputs:
// our compute() must equal getExpectedTwilioSignature(), and validateRequest() must accept our
// signature. The package is pinned in tools/prism/twilio-node (installed by tools/prism/install).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "twilio/WebhookSignature.h"

namespace callwarden::twilio {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string token;
  std::string url;
  FormParams params;
};

std::string randomText(std::mt19937& rng, size_t max_len) {
  // ASCII incl. characters that need escaping, plus BMP letters below U+D800 (JS sorts UTF-16
  // code units, we sort bytes: both agree there).
  static const std::vector<std::string> kPieces = {"a", "Z", "0",  "9", " ", "+",  "&",  "=",
                                                   "%", "'", "\"", "/", "?", "#",  "-",  "_",
                                                   ".", "~", "é",  "ü", "ß", "中", "\t", "<"};
  std::uniform_int_distribution<size_t> len(0, max_len);
  std::uniform_int_distribution<size_t> pick(0, kPieces.size() - 1);
  std::string s;
  for (size_t n = len(rng); n > 0; --n) s += kPieces[pick(rng)];
  return s;
}

std::vector<Case> randomCases(size_t count) {
  std::mt19937 rng(20260715);
  static const std::vector<std::string> kNames = {
      "CallSid",        "Caller",       "CallStatus", "Digits", "From", "To",
      "SequenceNumber", "RecordingSid", "A",          "a",      "a1",   "Body"};
  static const std::vector<std::string> kHosts = {
      "https://gate.example.com", "https://gate.example.com:8443", "http://127.0.0.1:8080",
      "https://gate.example.com:443"};
  std::vector<Case> cases;
  for (size_t i = 0; i < count; ++i) {
    Case c;
    c.token = "tok" + std::to_string(i) + randomText(rng, 8);
    c.url = kHosts[i % kHosts.size()] + "/twilio/status";
    if (i % 3 == 0) c.url += "?gw=1&attempt=" + std::to_string(i);
    std::uniform_int_distribution<size_t> nparams(0, 10);
    std::uniform_int_distribution<size_t> name(0, kNames.size() - 1);
    for (size_t n = nparams(rng); n > 0; --n)
      c.params.emplace_back(kNames[name(rng)], randomText(rng, 12));
    cases.push_back(std::move(c));
  }
  return cases;
}

TEST(WebhookSignatureNode, MatchesOfficialTwilioPackageOnRandomInputs) {
  const fs::path package =
      fs::path(CALLWARDEN_SOURCE_DIR) / "tools/prism/twilio-node/node_modules/twilio";
  if (!fs::exists(package)) {
    GTEST_SKIP() << "twilio npm package not installed at " << package
                 << "; run tools/prism/install";
  }
  if (std::system("node --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "node is not on PATH";

  const auto cases = randomCases(300);
  Poco::JSON::Array input;
  for (const auto& c : cases) {
    Poco::JSON::Object o;
    o.set("token", c.token);
    o.set("url", c.url);
    Poco::JSON::Array params;
    for (const auto& [n, v] : c.params) {
      Poco::JSON::Array pair;
      pair.add(n);
      pair.add(v);
      params.add(pair);
    }
    o.set("params", params);
    o.set("signature", WebhookSignature(c.token).compute(c.url, c.params));
    input.add(o);
  }
  const fs::path dir = fs::path(CALLWARDEN_BINARY_DIR) / "twilio-node-oracle";
  fs::create_directories(dir);
  {
    std::ofstream f(dir / "cases.json");
    input.stringify(f);
  }
  const fs::path script = fs::path(CALLWARDEN_SOURCE_DIR) / "tests/twilio/signature_oracle.js";
  const std::string command = "node '" + script.string() + "' '" + package.string() + "' '" +
                              (dir / "cases.json").string() + "' '" + (dir / "out.json").string() +
                              "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  std::ifstream f(dir / "out.json");
  std::stringstream text;
  text << f.rdbuf();
  Poco::JSON::Parser parser;
  auto out = parser.parse(text.str()).extract<Poco::JSON::Array::Ptr>();
  ASSERT_EQ(out->size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    auto o = out->getObject(static_cast<unsigned>(i));
    const auto& c = cases[i];
    EXPECT_EQ(WebhookSignature(c.token).compute(c.url, c.params),
              o->getValue<std::string>("expected"))
        << "case " << i << " url " << c.url;
    EXPECT_TRUE(o->getValue<bool>("valid")) << "node rejected our signature, case " << i;
  }
}

}  // namespace
}  // namespace callwarden::twilio
