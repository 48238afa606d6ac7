// Known-answer tests: RFC 6962 roots (our own vectors from tools/rfc6962_vectors.py), RFC 8032
// Ed25519 TEST 1-3, AES-256-GCM (McGrew & Viega GCM spec, test cases 13 and 14).

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "audit/Crypto.h"
#include "audit/Merkle.h"
#include "common/Hex.h"

namespace callwarden::audit {
namespace {

std::string testdata(const std::string& name) {
  return std::string(CALLWARDEN_SOURCE_DIR) + "/tests/audit/testdata/" + name;
}

std::vector<std::vector<std::string>> readTable(const std::string& name) {
  std::ifstream in(testdata(name));
  EXPECT_TRUE(in.good()) << name;
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::vector<std::string> cols;
    std::string c;
    while (ss >> c) cols.push_back(c);
    rows.push_back(cols);
  }
  return rows;
}

std::string hexOf(const Hash& h) {
  return toHex(h.data(), h.size());
}
std::string bytesOf(const std::string& hex) {
  auto v = fromHex(hex);
  EXPECT_TRUE(v.has_value()) << hex;
  return v ? std::string(v->begin(), v->end()) : std::string();
}

TEST(AuditVectors, Rfc6962Roots) {
  auto rows = readTable("rfc6962_roots.txt");
  ASSERT_GE(rows.size(), 30u);
  Sha256 h;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 2u);
    const size_t n = std::stoul(row[0]);
    std::vector<Hash> leaves;
    CompactRange range;
    for (size_t i = 0; i < n; ++i) {
      leaves.push_back(leafHash(h, "leaf-" + std::to_string(i)));
      range.append(h, leaves.back());
    }
    EXPECT_EQ(hexOf(range.root(h)), row[1]) << "compact range, n=" << n;
    EXPECT_EQ(hexOf(referenceRoot(h, leaves, 0, n)), row[1]) << "reference, n=" << n;
  }
}

TEST(AuditVectors, CompactRangeRootAtEverySizeMatchesReference) {
  Sha256 h;
  std::vector<Hash> leaves;
  CompactRange range;
  for (size_t n = 1; n <= 300; ++n) {
    leaves.push_back(leafHash(h, std::string(n % 7, 'x') + std::to_string(n)));
    range.append(h, leaves.back());
    ASSERT_EQ(range.root(h), referenceRoot(h, leaves, 0, n)) << n;
  }
}

TEST(AuditVectors, Ed25519Rfc8032) {
  auto rows = readTable("ed25519_rfc8032.txt");
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 4u);
    const std::string seed = bytesOf(row[0]);
    const std::string msg = row[2] == "-" ? std::string() : bytesOf(row[2]);
    auto key = Ed25519Key::fromSeed(reinterpret_cast<const uint8_t*>(seed.data()));
    ASSERT_TRUE(key.isOk());
    auto pub = key->publicKey();
    EXPECT_EQ(toHex(pub.data(), pub.size()), row[1]);
    auto sig = key->sign(msg);
    ASSERT_TRUE(sig.isOk());
    EXPECT_EQ(toHex(sig->data(), sig->size()), row[3]);
    auto verifier = Ed25519Key::fromPublic(pub.data());
    ASSERT_TRUE(verifier.isOk());
    EXPECT_TRUE(verifier->verify(msg, sig->data()));
    auto bad = *sig;
    bad[10] ^= 1;
    EXPECT_FALSE(verifier->verify(msg, bad.data()));
    EXPECT_FALSE(verifier->verify(msg + "x", sig->data()));
  }
}

TEST(AuditVectors, AesGcmKat) {
  // GCM spec test case 13: K = 0^256, IV = 0^96, P = empty.
  Key32 key{};
  Nonce12 nonce{};
  std::string ct;
  Tag16 tag;
  ASSERT_TRUE(aesGcmSeal(key, nonce, "", "", ct, tag).isOk());
  EXPECT_EQ(ct, "");
  EXPECT_EQ(toHex(tag.data(), 16), "530f8afbc74536b9a963b4f1c4cb738b");
  // Test case 14: P = 0^128.
  ASSERT_TRUE(aesGcmSeal(key, nonce, "", std::string(16, '\0'), ct, tag).isOk());
  EXPECT_EQ(toHex(reinterpret_cast<const uint8_t*>(ct.data()), ct.size()),
            "cea7403d4d606b6e074ec5d3baf39d18");
  EXPECT_EQ(toHex(tag.data(), 16), "d0d1c8a799996bf0265b98b5d48ab919");
  std::string plain;
  EXPECT_TRUE(aesGcmOpen(key, nonce, "", ct, tag, plain));
  EXPECT_EQ(plain, std::string(16, '\0'));
  EXPECT_FALSE(aesGcmOpen(key, nonce, "aad", ct, tag, plain));
  tag[0] ^= 1;
  EXPECT_FALSE(aesGcmOpen(key, nonce, "", ct, tag, plain));
}

TEST(AuditVectors, Base64RoundTripAndStrictness) {
  // RFC 4648 section 10.
  const std::pair<const char*, const char*> table[] = {{"", ""},
                                                       {"f", "Zg=="},
                                                       {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},
                                                       {"foob", "Zm9vYg=="},
                                                       {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : table) {
    EXPECT_EQ(base64Encode(plain), enc);
    EXPECT_EQ(base64Decode(enc).value_or("<fail>"), plain);
  }
  for (const char* bad : {"Zg=", "Zh==", "Zm9=", "Z===", "Zm9v\n", "Zm 9", "=Zm9"}) {
    EXPECT_FALSE(base64Decode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace callwarden::audit
