#include "common/ConstantTime.h"

#include <openssl/crypto.h>

namespace callwarden {

bool constantTimeEquals(std::string_view a, std::string_view b) {
  // Length is not secret here (hex digests and signatures have fixed lengths).
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace callwarden
