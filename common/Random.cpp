#include "common/Random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

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

namespace {

// The next `n` bytes (n <= kPoolSize) of this thread's buffer of CSPRNG output.
//
// A RAND_bytes call costs microseconds (DRBG locking and a fork check), and every request
// draws two ids and a GCM nonce. The bytes are still OpenSSL DRBG output, each handed out
// once; what an id or a nonce needs is to be unique (a repeated GCM nonce under one key
// breaks GCM), not secret, as both are stored in the clear. Buffering gives up RAND_bytes'
// fork detection, which callwarden does not need: it never forks after start, and each
// thread has its own buffer.
constexpr size_t kPoolSize = 1024;
const uint8_t* takeBuffered(size_t n) {
  thread_local uint8_t pool[kPoolSize];
  thread_local size_t used = kPoolSize;
  if (kPoolSize - used < n) {
    randomBytes(pool, kPoolSize);  // the unused tail is dropped, never handed out
    used = 0;
  }
  const uint8_t* p = pool + used;
  used += n;
  return p;
}

}  // namespace

void nonSecretRandomBytes(uint8_t* out, size_t n) {
  if (n > kPoolSize) {
    randomBytes(out, n);
    return;
  }
  std::memcpy(out, takeBuffered(n), n);
}

std::string randomId(const std::string& prefix) {
  constexpr size_t kIdBytes = 16;
  const uint8_t* b = takeBuffered(kIdBytes);
  std::string id;
  id.reserve(prefix.size() + 1 + 2 * kIdBytes);
  id.append(prefix).push_back('_');
  id.append(toHex(b, kIdBytes));
  return id;
}

}  // namespace callwarden
