#pragma once
// Key files of the audit log. Both are small text files that must be private to the service
// user (0600 or 0400); open() and the verifier refuse anything looser.
//
//   KEK file      one line: "callwarden-kek-v1 " + 64 lowercase hex digits (AES-256 key that
//                 wraps every subject data key and keys the subject-index HMAC)
//   signing key   one line, the signed-note private key format of golang.org/x/mod/sumdb/note:
//                 "PRIVATE+KEY+<name>+<key id, 8 hex>+<base64(0x01 || 32-byte Ed25519 seed)>"
//   verifier key  "<name>+<key id, 8 hex>+<base64(0x01 || 32-byte public key)>", what initKeys
//                 returns and what a checkpoint consumer needs (no secret in it)
// key id = first 4 bytes (big-endian) of SHA-256(name || 0x0A || 0x01 || public key), C2SP.

#include <cstdint>
#include <string>
#include <vector>

#include "audit/Crypto.h"
#include "common/Result.h"

namespace callwarden::audit {

constexpr const char* kDefaultKeyName = "callwarden-audit";

/// Exists, is a regular file, and grants nothing to group or others (0600/0400). The message
/// names the file, what is wrong and how to fix it. NotFound / PermissionDenied / IOError.
Status checkKeyFile(const std::string& path);

/// Creates the KEK file and the signing key file with mode 0600 and returns the verifier key
/// string. Refuses (Conflict) if either file exists: overwriting a KEK would shred every
/// subject at once, and overwriting the signing key would orphan every checkpoint.
Result<std::string> initKeys(const std::string& kek_file, const std::string& signing_key_file);
Result<std::string> initKeys(const std::string& kek_file, const std::string& signing_key_file,
                             const std::string& key_name);

/// Reads a KEK file after checkKeyFile().
Result<Key32> loadKek(const std::string& path);

/// A note signer or verifier: name, C2SP key id and the Ed25519 key.
struct NoteKey {
  std::string name;
  uint32_t key_id = 0;
  Ed25519Key key;
};

uint32_t noteKeyId(const std::string& name, const std::array<uint8_t, 32>& pub);
/// Reads a signing key file after checkKeyFile().
Result<NoteKey> loadSigningKey(const std::string& path);
/// Parses a signing key line or a verifier key line (either yields a verifier).
Result<NoteKey> parseNoteKey(const std::string& text);
std::string verifierKeyString(const NoteKey& key);
/// Loads a file holding one key per line; a private key file must pass checkKeyFile(), a file
/// of verifier keys need not (they are public).
Result<std::vector<NoteKey>> loadVerifierKeys(const std::string& path);

}  // namespace callwarden::audit
