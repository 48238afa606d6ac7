#include "common/Random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "common/Hex.h"

namespace callwarden {

void randomBytes(uint8_t* out, size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    std::fputs("fatal: OpenSSL RAND_bytes failed\n", stderr);
    std::abort();
  }
}

std::vector<uint8_t> randomBytes(size_t n) {
  std::vector<uint8_t> v(n);
  randomBytes(v.data(), n);
  return v;
}

std::string randomId(const std::string& prefix) {
  uint8_t b[16];
  randomBytes(b, sizeof b);
  return prefix + "_" + toHex(b, sizeof b);
}

}  // namespace callwarden
