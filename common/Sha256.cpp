#include "common/Sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

#include "common/Hex.h"

namespace callwarden {

namespace {

// Fetched once: EVP_sha256() makes EVP_Digest look the implementation up in the provider
// store on every call, and every HTTP request hashes its bearer token. A function-local static
// is initialised thread-safely; a fetched EVP_MD is immutable and may be shared by threads.
const EVP_MD* sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

Sha256Digest sha256(std::string_view data) {
  Sha256Digest d{};
  unsigned int len = 0;
  const EVP_MD* md = sha256Md();
  // A failed digest must not pass for the all-zero hash of some token.
  if (md == nullptr || EVP_Digest(data.data(), data.size(), d.data(), &len, md, nullptr) != 1) {
    std::fputs("fatal: OpenSSL SHA-256 failed\n", stderr);
    std::abort();
  }
  return d;
}

std::string sha256Hex(std::string_view data) {
  auto d = sha256(data);
  return toHex(d.data(), d.size());
}

}  // namespace callwarden
