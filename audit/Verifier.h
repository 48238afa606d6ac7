#pragma once
// `callwarden audit verify`: proves that the stored log is complete, in order and unaltered.
// The CLI is a thin shell over verifyLog(); AuditLog::open runs the same scanner.
//
// Thread-safety: verifyLog reads files only and may run while the service appends (it then
// sees a prefix of the log). Never throws.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace callwarden::audit {

struct VerifyOptions {
  std::string dir;
  /// A signing key file (private, must be 0600/0400) or a file of verifier keys, one per line
  /// ("name+id+base64"); any of them may sign a checkpoint.
  std::string signing_key_file;
  /// Optional: with it, every sealed record is opened (AES-GCM) and must authenticate.
  std::string kek_file;
  /// Optional: a checkpoint note kept outside the host; the log must contain and extend it.
  std::string trusted_checkpoint_file;
};

struct VerifyReport {
  /// 0 intact, 1 integrity failure, 2 intact with warnings, 3 usage or I/O error.
  int exit_code = 3;
  std::optional<uint64_t> first_bad_seq;
  /// seq_gap, prev_hash_mismatch, root_mismatch, bad_signature, aead_fail, decode_error,
  /// rollback, missing_checkpoint (records but no checkpoint at all), unrecorded_shred (a
  /// tombstone in subjects.log without its erasure record); "io_error"/"usage" for 3.
  std::string kind;
  uint64_t records = 0;
  uint64_t checkpoints = 0;
  uint64_t unsealed = 0;   // records after the last checkpoint
  uint64_t shredded = 0;   // records whose subject key has been destroyed
  uint64_t decrypted = 0;  // records opened with the KEK
  std::vector<std::string> warnings;
  std::string message;
};

VerifyReport verifyLog(const VerifyOptions& options);

/// {"exit_code":1,"result":"fail","kind":"seq_gap","first_bad_seq":17,...}
std::string toJson(const VerifyReport& report);
/// Human-readable, one finding per line, journald style for the unsealed tail.
std::string toText(const VerifyReport& report);

}  // namespace callwarden::audit
