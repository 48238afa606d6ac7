#pragma once
// The audit record format, version 1. docs/audit-format.md is the long form; this comment is
// the normative one, in the manner of SQLite's wal.c.
//
// RECORDS FILE
//   <audit.dir>/records.log is a sequence of frames and nothing else. A frame is one record
//   followed by an 8-byte check value. All integers are big-endian.
//
// RECORD (offsets in bytes; C = 79 + clear_len, P = C + 36 + ct_len)
//      0   4  magic "CWA1" (0x43 0x57 0x41 0x31)
//      4   4  record_len: bytes from offset 0 to the end of the tag (= P + 16)
//      8   1  version = 1
//      9  16  log_id: random, fixed for the life of the log
//     25   8  seq: 0 for the first record, then +1 per record with no gaps
//     33   8  ts_us: signed microseconds since 1970-01-01T00:00:00Z (UTC, injected Clock)
//     41  32  prev_leaf_hash: leaf hash of record seq-1; 32 zero bytes when seq = 0
//     73   2  event_type (audit/AuditEvent.h, values never renumbered)
//     75   4  clear_len
//     79   *  clear: field list (below), NON-personal data only
//      C  16  subject_id: random pseudonym; 16 zero bytes when the record has no personal data
//   C+16   4  dek_version: >= 1 with a subject, 0 without
//   C+20  12  nonce: random AES-GCM nonce; zero without a subject
//   C+32   4  ct_len
//   C+36   *  ciphertext: AES-256-GCM of a field list under the subject's data key
//      P  16  tag: GCM tag; zero without a subject
// The GCM associated data is bytes [0, C+20): the whole header up to and including
// dek_version. Ciphertext copied into another record (or under another subject) fails to open.
//
// FIELD LIST: u16 count, then count times { u16 name_len, name, u32 value_len, value }.
//
// CHECK: the first 8 bytes of the record's leaf hash. It adds no security (anyone can
// recompute it); it lets open() tell a torn, never-acknowledged last write from a whole one.
//
// LEAF HASH = SHA-256(0x00 || record bytes [0, record_len)), RFC 6962 leaf hash.
//
// A record is VALID if and only if: the magic and version match; record_len covers exactly
// the fields it declares (no trailing bytes); both field lists parse exactly; the no-subject
// fields are all zero when subject_id is zero and dek_version >= 1 otherwise; event_type is a
// known value; the check matches; log_id equals the first record's; seq is the previous seq+1;
// and prev_leaf_hash equals the previous record's leaf hash. Nothing is optional, so no bit
// of a record can change without one of these rules or the Merkle root noticing.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "audit/AuditEvent.h"
#include "audit/Crypto.h"
#include "common/Status.h"

namespace callwarden::audit {

constexpr uint32_t kRecordMagic = 0x43574131;  // "CWA1"
constexpr uint8_t kRecordVersion = 1;
constexpr size_t kCheckSize = 8;
constexpr size_t kMinRecordSize = 79 + 36 + 16;
constexpr uint32_t kMaxRecordSize = 64u << 20;
constexpr uint32_t kMaxValueSize = 16u << 20;

using LogId = std::array<uint8_t, 16>;
using SubjectId = std::array<uint8_t, 16>;

/// A decoded record pointing into bytes it does not own (no allocation, for the verifier).
struct RecordView {
  std::string_view bytes;  // [0, record_len)
  const uint8_t* log_id = nullptr;
  uint64_t seq = 0;
  int64_t ts_us = 0;
  const uint8_t* prev_hash = nullptr;
  uint16_t event_type = 0;
  std::string_view clear;
  const uint8_t* subject_id = nullptr;
  uint32_t dek_version = 0;
  const uint8_t* nonce = nullptr;
  std::string_view ciphertext;
  const uint8_t* tag = nullptr;
  size_t aad_len = 0;
  bool has_subject = false;
  size_t frame_len = 0;  // record_len + kCheckSize
};

enum class DecodeResult {
  kOk,
  kIncomplete,  // fewer bytes remain than the frame declares: a torn tail, or truncation
  kMalformed,   // the bytes are there but break a rule above
};

/// Decodes the frame starting at p (avail bytes to the end of the file) and checks everything
/// that needs no context (the seq/prev/log_id rules are the caller's). Also returns the leaf
/// hash, which it must compute anyway to compare the check value.
DecodeResult decodeFrame(const uint8_t* p, size_t avail, Sha256& h, RecordView& out, Hash& leaf,
                         std::string* why = nullptr);

struct RecordHeader {
  LogId log_id{};
  uint64_t seq = 0;
  int64_t ts_us = 0;
  Hash prev{};
  EventType type = EventType::kDecision;
};

struct SealKey {
  SubjectId subject_id{};
  uint32_t dek_version = 0;
  Key32 dek{};
};

/// Appends one frame to `out`. With `seal`, `personal_fields` (an encoded field list) is
/// sealed under seal->dek with a fresh random nonce; without, it must be empty.
Status appendFrame(std::string& out, const RecordHeader& header, std::string_view clear_fields,
                   const SealKey* seal, std::string_view personal_fields, Sha256& h, Hash& leaf);

/// Field list encoding. encodeFields fails on oversized names or values.
Result<std::string> encodeFields(const Fields& fields);
bool validFields(std::string_view encoded);
std::optional<Fields> decodeFields(std::string_view encoded);

/// The subject an erasure record shredded (its clear "subject_id", hex); nullopt for any other
/// record.
std::optional<SubjectId> erasedSubject(const RecordView& r);

}  // namespace callwarden::audit
