// common/JsonEscape: every output is a valid JSON string literal, whatever the input bytes.

#include "common/JsonEscape.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace callwarden {
namespace {

TEST(JsonEscape, EscapesEverythingJsonRequires) {
  const std::pair<std::string, std::string> table[] = {
      {"", "\"\""},
      {"plain", "\"plain\""},
      {"q\"b\\", "\"q\\\"b\\\\\""},
      {"a\nb\tc\r", "\"a\\nb\\tc\\r\""},
      {"\b\f", "\"\\b\\f\""},
      {std::string("\x01\x1f\x7f", 3), "\"\\u0001\\u001f\\u007f\""},
      {std::string("nul\0x", 5), "\"nul\\u0000x\""},
      {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
      {"\xe2\x82\xac and \xf0\x9f\x93\x9e", "\"\xe2\x82\xac and \xf0\x9f\x93\x9e\""},
      {"bad\xff", "\"bad\\ufffd\""},
      {"cut\xe2\x82", "\"cut\\ufffd\\ufffd\""},
      {"overlong\xc0\xaf", "\"overlong\\ufffd\\ufffd\""},
      {"surrogate\xed\xa0\x80", "\"surrogate\\ufffd\\ufffd\\ufffd\""},
      {"past U+10FFFF \xf4\x90\x80\x80", "\"past U+10FFFF \\ufffd\\ufffd\\ufffd\\ufffd\""},
      {"</script>", "\"</script>\""},
  };
  for (const auto& [in, want] : table) EXPECT_EQ(jsonString(in), want) << in;
}

TEST(JsonEscape, AppendsToWhatIsThere) {
  std::string out = "{\"k\":";
  appendJsonString(out, std::string(300, 'x') + "\"" + std::string(300, 'y'));
  EXPECT_EQ(out, "{\"k\":\"" + std::string(300, 'x') + "\\\"" + std::string(300, 'y') + "\"");
}

}  // namespace
}  // namespace callwarden
