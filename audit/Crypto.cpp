#include "audit/Crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdio>
#include <cstdlib>

namespace callwarden::audit {

namespace {

// A fetched SHA-256 implementation, looked up once: EVP_sha256() per call would repeat the
// provider lookup inside EVP_DigestInit_ex for every record.
const EVP_MD* sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

[[noreturn]] void fatal(const char* what) {
  std::fprintf(stderr, "fatal: OpenSSL %s failed\n", what);
  std::abort();
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || sha256Md() == nullptr) fatal("EVP_MD_CTX_new/SHA256");
  reset();
}
Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_);
}
void Sha256::reset() {
  if (EVP_DigestInit_ex(ctx_, sha256Md(), nullptr) != 1) fatal("EVP_DigestInit_ex");
}
void Sha256::update(const void* p, size_t n) {
  if (n != 0 && EVP_DigestUpdate(ctx_, p, n) != 1) fatal("EVP_DigestUpdate");
}
Hash Sha256::finish() {
  Hash h;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, h.data(), &len) != 1) fatal("EVP_DigestFinal_ex");
  reset();
  return h;
}
Hash Sha256::digest(std::string_view a, std::string_view b, std::string_view c) {
  update(a.data(), a.size());
  update(b.data(), b.size());
  update(c.data(), c.size());
  return finish();
}

namespace {
// Fetched once: HMAC() in OpenSSL 3 is EVP_Q_mac, which fetches HMAC and SHA-256 again on
// every call. A fetched EVP_MAC is immutable and may be shared by threads.
EVP_MAC* hmacMac() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}
}  // namespace

HmacSha256::HmacSha256(const uint8_t* key, size_t key_len) : keyed_(nullptr) {
  // EVP_MAC_init reads a null key as "keep the current one"; an empty key is still a key.
  static const uint8_t kNoKey = 0;
  if (key == nullptr) key = &kNoKey;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (hmacMac() == nullptr || (keyed_ = EVP_MAC_CTX_new(hmacMac())) == nullptr ||
      EVP_MAC_init(keyed_, key, key_len, params) != 1) {
    fatal("EVP_MAC_init(HMAC-SHA256)");
  }
}
HmacSha256::~HmacSha256() {
  EVP_MAC_CTX_free(keyed_);  // the HMAC provider wipes the key it holds
}
Hash HmacSha256::mac(std::string_view data) const {
  // Duplicating only reads the keyed context, so concurrent calls need no lock.
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed_);
  Hash h;
  size_t len = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1 &&
      EVP_MAC_final(ctx, h.data(), &len, h.size()) == 1 && len == h.size();
  EVP_MAC_CTX_free(ctx);
  if (!ok) fatal("HMAC-SHA256");
  return h;
}

Hash hmacSha256(const uint8_t* key, size_t key_len, std::string_view data) {
  return HmacSha256(key, key_len).mac(data);
}

namespace {
struct CipherCtx {
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  ~CipherCtx() { EVP_CIPHER_CTX_free(c); }
};
const EVP_CIPHER* aes256Gcm() {
  static EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return c;
}
}  // namespace

Status aesGcmSeal(const Key32& key, const Nonce12& nonce, std::string_view aad,
                  std::string_view plaintext, std::string& out, Tag16& tag) {
  CipherCtx ctx;
  int len = 0;
  out.resize(plaintext.size());
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (ctx.c == nullptr || aes256Gcm() == nullptr ||
      EVP_EncryptInit_ex2(ctx.c, aes256Gcm(), key.data(), nonce.data(), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.c, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.c, o, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.c, o + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.c, EVP_CTRL_GCM_GET_TAG, 16, tag.data()) != 1) {
    return Status::internal("AES-256-GCM seal failed");
  }
  return Status::ok();
}

bool aesGcmOpen(const Key32& key, const Nonce12& nonce, std::string_view aad,
                std::string_view ciphertext, const Tag16& tag, std::string& out) {
  CipherCtx ctx;
  int len = 0;
  out.resize(ciphertext.size());
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  Tag16 t = tag;
  return ctx.c != nullptr && aes256Gcm() != nullptr &&
         EVP_DecryptInit_ex2(ctx.c, aes256Gcm(), key.data(), nonce.data(), nullptr) == 1 &&
         EVP_DecryptUpdate(ctx.c, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                           static_cast<int>(aad.size())) == 1 &&
         EVP_DecryptUpdate(ctx.c, o, &len,
                           reinterpret_cast<const unsigned char*>(ciphertext.data()),
                           static_cast<int>(ciphertext.size())) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx.c, EVP_CTRL_GCM_SET_TAG, 16, t.data()) == 1 &&
         EVP_DecryptFinal_ex(ctx.c, o + len, &len) == 1;
}

Result<Ed25519Key> Ed25519Key::generate() {
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (k == nullptr) return Status::internal("Ed25519 key generation failed");
  return Ed25519Key(k, true);
}
Result<Ed25519Key> Ed25519Key::fromSeed(const uint8_t seed[32]) {
  EVP_PKEY* k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed, 32);
  if (k == nullptr) return Status::invalidArgument("bad Ed25519 private key");
  return Ed25519Key(k, true);
}
Result<Ed25519Key> Ed25519Key::fromPublic(const uint8_t pub[32]) {
  EVP_PKEY* k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub, 32);
  if (k == nullptr) return Status::invalidArgument("bad Ed25519 public key");
  return Ed25519Key(k, false);
}
Ed25519Key::Ed25519Key(Ed25519Key&& o) noexcept : pkey_(o.pkey_), has_private_(o.has_private_) {
  o.pkey_ = nullptr;
}
Ed25519Key& Ed25519Key::operator=(Ed25519Key&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(pkey_);
    pkey_ = o.pkey_;
    has_private_ = o.has_private_;
    o.pkey_ = nullptr;
  }
  return *this;
}
Ed25519Key::~Ed25519Key() {
  EVP_PKEY_free(pkey_);
}

std::array<uint8_t, 32> Ed25519Key::publicKey() const {
  std::array<uint8_t, 32> p{};
  size_t len = p.size();
  if (EVP_PKEY_get_raw_public_key(pkey_, p.data(), &len) != 1 || len != 32) {
    fatal("EVP_PKEY_get_raw_public_key");
  }
  return p;
}
std::optional<std::array<uint8_t, 32>> Ed25519Key::seed() const {
  if (!has_private_) return std::nullopt;
  std::array<uint8_t, 32> s{};
  size_t len = s.size();
  if (EVP_PKEY_get_raw_private_key(pkey_, s.data(), &len) != 1 || len != 32) return std::nullopt;
  return s;
}

Result<std::array<uint8_t, 64>> Ed25519Key::sign(std::string_view message) const {
  if (!has_private_) return Status::error(ErrorCode::kFailedPrecondition, "no Ed25519 private key");
  std::array<uint8_t, 64> sig{};
  size_t len = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pkey_) == 1 &&
      EVP_DigestSign(ctx, sig.data(), &len, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) == 1 &&
      len == 64;
  EVP_MD_CTX_free(ctx);
  if (!ok) return Status::internal("Ed25519 signing failed");
  return sig;
}

bool Ed25519Key::verify(std::string_view message, const uint8_t sig[64]) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey_) == 1 &&
            EVP_DigestVerify(ctx, sig, 64, reinterpret_cast<const unsigned char*>(message.data()),
                             message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
int b64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string base64Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = byte(i) << 16;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = 0;
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        ++pad;
        v <<= 6;
        continue;
      }
      int x = b64Value(c);
      if (x < 0 || pad > 0) return std::nullopt;
      v = (v << 6) | static_cast<uint32_t>(x);
    }
    out += static_cast<char>(v >> 16);
    if (pad < 2) out += static_cast<char>(v >> 8);
    if (pad < 1) out += static_cast<char>(v);
    // Canonical encoding only: the bits dropped by padding must be zero, otherwise two
    // different texts would decode to the same signature and a bit flip would go unnoticed.
    if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0)) return std::nullopt;
  }
  return out;
}

}  // namespace callwarden::audit
