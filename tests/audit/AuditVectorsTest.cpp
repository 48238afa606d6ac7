// Known-answer tests: RFC 6962 roots (our own vectors from tools/rfc6962_vectors.py), RFC 8032
// Ed25519 TEST 1-3, AES-256-GCM (McGrew & Viega GCM spec, test cases 13 and 14), HMAC-SHA-256
// (RFC 4231 test cases 1-7).

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

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

struct HmacCase {
  std::string key, data, mac;  // mac may be truncated (test case 5)
};
std::vector<HmacCase> rfc4231() {
  const std::string big_key(131, '\xaa');
  return {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {bytesOf("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(20, '\x0c'), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b"},
      {big_key, "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {big_key,
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}
const uint8_t* keyBytes(const std::string& k) {
  return reinterpret_cast<const uint8_t*>(k.data());
}

TEST(AuditVectors, HmacSha256Rfc4231) {
  for (const auto& c : rfc4231()) {
    EXPECT_EQ(hexOf(hmacSha256(keyBytes(c.key), c.key.size(), c.data)).substr(0, c.mac.size()),
              c.mac);
    // The keyed context is only copied by mac(), so it gives the same answer every time.
    const HmacSha256 keyed(keyBytes(c.key), c.key.size());
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(hexOf(keyed.mac(c.data)).substr(0, c.mac.size()), c.mac) << c.data;
    }
  }
  // Not in RFC 4231: an empty key is a valid HMAC key, not "no key".
  EXPECT_EQ(hexOf(hmacSha256(nullptr, 0, "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(AuditVectors, HmacSha256KeyedIsSafeToShareBetweenThreads) {
  const auto cases = rfc4231();
  const HmacSha256 keyed(keyBytes(cases[6].key), cases[6].key.size());
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < wrong.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) wrong[t] += hexOf(keyed.mac(cases[6].data)) != cases[6].mac;
    });
  }
  for (auto& th : threads) th.join();
  for (int w : wrong) EXPECT_EQ(w, 0);
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
