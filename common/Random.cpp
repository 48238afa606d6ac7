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
  // Ids come from a per-thread buffer of CSPRNG output, refilled 64 ids at a time: a
  // RAND_bytes call costs microseconds (DRBG locking and a fork check), and every request
  // draws two ids. Ids are public, so keeping unread output in memory reveals nothing secret;
  // key material never comes from here (randomBytes above).
  constexpr size_t kIdBytes = 16;
  thread_local uint8_t pool[64 * kIdBytes];
  thread_local size_t used = sizeof pool;
  if (used == sizeof pool) {
    randomBytes(pool, sizeof pool);
    used = 0;
  }
  const uint8_t* b = pool + used;
  used += kIdBytes;
  std::string id;
  id.reserve(prefix.size() + 1 + 2 * kIdBytes);
  id.append(prefix).push_back('_');
  id.append(toHex(b, kIdBytes));
  return id;
}

}  // namespace callwarden
