#pragma once
// Thin wrappers over OpenSSL 3 EVP for the primitives the audit log uses: SHA-256, HMAC-SHA256,
// AES-256-GCM and Ed25519. Nothing here chooses parameters; RecordCodec, SubjectKeyStore and
// Checkpoint do. All functions are thread-safe (OpenSSL 3 contexts are per call or per object).

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/Result.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;
typedef struct evp_mac_ctx_st EVP_MAC_CTX;
typedef struct evp_pkey_st EVP_PKEY;

namespace callwarden::audit {

using Hash = std::array<uint8_t, 32>;
using Key32 = std::array<uint8_t, 32>;
using Nonce12 = std::array<uint8_t, 12>;
using Tag16 = std::array<uint8_t, 16>;

/// Incremental SHA-256 that reuses one EVP_MD_CTX, so hashing a million records costs no
/// allocation per record. Not thread-safe: one per thread.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void reset();
  void update(const void* p, size_t n);
  Hash finish();
  /// One-shot convenience: SHA-256(a || b || c).
  Hash digest(std::string_view a, std::string_view b = {}, std::string_view c = {});

 private:
  EVP_MD_CTX* ctx_;
};

/// HMAC-SHA256 under one fixed key, for callers that MAC many messages with it. The key is
/// set up (padded and hashed) once; mac() works on a copy of that keyed context, so mac() is
/// const and may be called from several threads at once.
class HmacSha256 {
 public:
  HmacSha256(const uint8_t* key, size_t key_len);
  ~HmacSha256();
  HmacSha256(HmacSha256&& o) noexcept : keyed_(o.keyed_) { o.keyed_ = nullptr; }
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;
  HmacSha256& operator=(HmacSha256&&) = delete;
  Hash mac(std::string_view data) const;

 private:
  EVP_MAC_CTX* keyed_;
};

/// One-off HMAC-SHA256; use HmacSha256 when the same key MACs many messages.
Hash hmacSha256(const uint8_t* key, size_t key_len, std::string_view data);

/// AES-256-GCM with a 96-bit nonce and a 128-bit tag. `out` receives the ciphertext (same
/// length as the plaintext). Fails only if OpenSSL fails.
Status aesGcmSeal(const Key32& key, const Nonce12& nonce, std::string_view aad,
                  std::string_view plaintext, std::string& out, Tag16& tag);
/// Returns false if the tag does not authenticate (ciphertext, AAD, nonce or key wrong).
bool aesGcmOpen(const Key32& key, const Nonce12& nonce, std::string_view aad,
                std::string_view ciphertext, const Tag16& tag, std::string& out);

/// An Ed25519 key pair or public key. Owns its EVP_PKEY. Sign and verify are const and
/// thread-safe (each call makes its own EVP_MD_CTX).
class Ed25519Key {
 public:
  static Result<Ed25519Key> generate();
  static Result<Ed25519Key> fromSeed(const uint8_t seed[32]);
  static Result<Ed25519Key> fromPublic(const uint8_t pub[32]);
  Ed25519Key(Ed25519Key&&) noexcept;
  Ed25519Key& operator=(Ed25519Key&&) noexcept;
  ~Ed25519Key();

  bool hasPrivate() const { return has_private_; }
  std::array<uint8_t, 32> publicKey() const;
  std::optional<std::array<uint8_t, 32>> seed() const;
  /// PureEdDSA: OpenSSL's one-shot EVP_DigestSign with md = NULL (Ed25519 cannot stream).
  Result<std::array<uint8_t, 64>> sign(std::string_view message) const;
  bool verify(std::string_view message, const uint8_t sig[64]) const;

 private:
  Ed25519Key(EVP_PKEY* k, bool priv) : pkey_(k), has_private_(priv) {}
  EVP_PKEY* pkey_ = nullptr;
  bool has_private_ = false;
};

std::string base64Encode(std::string_view data);
/// Strict standard base64 with padding; nullopt on any other character or bad length.
std::optional<std::string> base64Decode(std::string_view text);

inline std::string_view asView(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}
template <size_t N>
std::string_view asView(const std::array<uint8_t, N>& a) {
  return asView(a.data(), N);
}

}  // namespace callwarden::audit
