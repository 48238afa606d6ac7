#pragma once
// Identifiers, nonces and key material come from OpenSSL's CSPRNG, never from rand() or a
// Mersenne twister: request, decision and reservation ids must not be guessable.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace callwarden {

/// Fills `out` with `n` random bytes straight from RAND_bytes. Use it for secrets (keys, DEKs,
/// the KEK). Aborts the process if the CSPRNG fails: nothing safe can be done without
/// randomness.
void randomBytes(uint8_t* out, size_t n);
std::vector<uint8_t> randomBytes(size_t n);

/// Random bytes for values that are unique and unguessable but not secret: ids, AES-GCM
/// nonces. Served from a per-thread buffer of RAND_bytes output refilled 1 KiB at a time, so
/// output waits in memory until used: never use it for key material.
void nonSecretRandomBytes(uint8_t* out, size_t n);

/// A random id with a readable prefix, e.g. "dec_3f9c0a...", 128 bits of entropy.
std::string randomId(const std::string& prefix);

}  // namespace callwarden
