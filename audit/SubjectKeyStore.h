#pragma once
// Per-subject data keys (DEKs), wrapped under the KEK, in <audit.dir>/subjects.log.
//
// FILE: a sequence of entries, all integers big-endian:
//      0   4  entry_len: bytes from offset 4 to the end of the entry, excluding the check
//      4   1  kind: 1 = active, 2 = shredded (tombstone)
//      5  16  subject_id
//     21   4  dek_version
//     25   8  created_us
//   active:   33 32 index = HMAC-SHA256(index key, subject_key)
//             65 12 wrap nonce, 77 32 wrapped DEK, 109 16 wrap tag
//             (AES-256-GCM under the KEK, AAD = "CWSK1" || subject_id || dek_version)
//   shredded: 33  8 shredded_us
//   then       8  check: SHA-256(entry bytes before it)[0..8), to spot a torn tail
// New subjects are appended (and fdatasync'd before any record that uses them). Shredding
// rewrites the whole file without that subject's index and wrapped DEK and renames it into
// place, so no live file holds the key any more. index key = HMAC-SHA256(KEK,
// "callwarden/audit/subject-index/v1"): the phone number is never stored, not even hashed
// without a key, and lookup needs the KEK.
//
// Thread-safe: every method takes the internal mutex.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "audit/Crypto.h"
#include "audit/RecordCodec.h"
#include "common/Result.h"

namespace callwarden::audit {

/// What anyone can learn from the file without the KEK.
struct SubjectState {
  bool shredded = false;
  uint32_t dek_version = 0;
  int64_t created_us = 0;
  int64_t shredded_us = 0;
};
using SubjectStates = std::map<SubjectId, SubjectState>;

/// Reads subject states without the KEK (for the verifier). A missing file is an empty map.
Result<SubjectStates> readSubjectStates(const std::string& path);

class SubjectKeyStore {
 public:
  /// Loads the file. With `repair`, a torn last entry is cut off; otherwise it is an error.
  /// `repaired` (optional) is set when something was cut.
  /// With `read_only` (verifier, exporter) nothing is created, repaired or written.
  static Result<std::unique_ptr<SubjectKeyStore>> open(const std::string& path, const Key32& kek,
                                                       bool repair, std::string* repaired = nullptr,
                                                       bool read_only = false);
  ~SubjectKeyStore();
  SubjectKeyStore(const SubjectKeyStore&) = delete;
  SubjectKeyStore& operator=(const SubjectKeyStore&) = delete;

  /// The active key for subject_key, creating subject id and DEK if there is none. A new
  /// entry is only buffered; flush() makes it durable.
  Result<SealKey> acquire(const std::string& subject_key, int64_t now_us);
  /// The key for a subject id; FailedPrecondition once shredded (a shredded key is never
  /// recreated or used again), NotFound if unknown.
  Result<SealKey> keyFor(const SubjectId& id) const;
  std::optional<SubjectId> lookup(const std::string& subject_key) const;
  std::optional<SubjectState> state(const SubjectId& id) const;

  /// Appends buffered new entries and fdatasyncs. Called by the writer before it writes
  /// records that may refer to them.
  Status flush();
  /// Forgets the DEK and the index in memory at once; persistShreds() makes it durable.
  Status markShredded(const SubjectId& id, int64_t now_us);
  /// Rewrites the file atomically if anything was shredded since the last call.
  Status persistShreds();

 private:
  struct Entry {
    SubjectState st;
    Hash index{};
    Key32 dek{};
    std::string wrapped;  // nonce || ct || tag, as stored
  };
  SubjectKeyStore(std::string path, const Key32& kek);
  Hash indexOf(const std::string& subject_key) const;
  std::string encodeEntry(const SubjectId& id, const Entry& e) const;

  const std::string path_;
  Key32 kek_;
  const HmacSha256 index_mac_;  // keyed with the index key; every check looks a subject up
  mutable std::mutex mu_;
  std::map<SubjectId, Entry> entries_;
  std::map<Hash, SubjectId> by_index_;
  std::string pending_;  // encoded new entries not yet written
  bool dirty_shreds_ = false;
  int fd_ = -1;
};

}  // namespace callwarden::audit
