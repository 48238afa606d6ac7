#pragma once
// Checkpoints: C2SP tlog-checkpoint signed notes over the RFC 6962 root of the records.
//
//   <origin>/<log_id hex>\n          origin line (AuditOptions::origin + log id)
//   <size>\n                         number of records covered, decimal
//   <base64 root>\n                  RFC 6962 root of records [0, size)
//   time <unix seconds>\n            extension line: when it was signed (see ADR 0001)
//   \n
//   — <key name> <base64(key id (4, big-endian) || Ed25519 signature (64))>\n
//
// The signature covers the body (the first four lines, newlines included).
//
// CHECKPOINTS FILE <audit.dir>/checkpoints.log: a sequence of frames
//   { u32 note_len (big-endian), note_len bytes of note text }
// with strictly increasing sizes.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/Crypto.h"
#include "audit/Keys.h"
#include "common/Result.h"

namespace callwarden::audit {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  int64_t time_s = 0;
};

std::string checkpointBody(const Checkpoint& cp);
Result<std::string> signCheckpoint(const Checkpoint& cp, const NoteKey& signer);

enum class NoteError { kNone, kDecode, kBadSignature };
/// Parses a note strictly and checks that at least one of `trusted` signed it. Signature lines
/// from unknown keys are ignored (C2SP); a line that names a trusted key but does not verify
/// is a bad signature.
NoteError openCheckpoint(std::string_view note, const std::vector<NoteKey>& trusted,
                         Checkpoint& out, std::string* why = nullptr);

/// Splits a checkpoints file into notes; false if it ends inside a frame or a frame is absurd.
/// `valid_prefix` receives the byte length of the whole frames (for torn-tail repair).
bool splitCheckpointFrames(std::string_view file, std::vector<std::string_view>& notes,
                           size_t& valid_prefix);
std::string checkpointFrame(std::string_view note);

}  // namespace callwarden::audit
