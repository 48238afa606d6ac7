#pragma once
// One pass over records.log that checks every rule of RecordCodec.h in order: framing, strict
// decoding, the check value, log id, dense seq, prev_leaf_hash, and the RFC 6962 root at
// every checkpoint size. AuditLog::open and verifyLog both use it, so the writer never
// accepts a log that `audit verify` would reject (and vice versa).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audit/Checkpoint.h"
#include "audit/Merkle.h"
#include "audit/RecordCodec.h"

namespace callwarden::audit {

/// A root the log must have at `size` (from a checkpoint).
struct RootTarget {
  uint64_t size = 0;
  Hash root{};
};

struct ScanFailure {
  std::string kind;   // decode_error, seq_gap, prev_hash_mismatch, root_mismatch, aead_fail, ...
  uint64_t seq = 0;   // first sequence number that is not proven good
  size_t offset = 0;  // byte offset of the frame at fault (records.log)
  bool incomplete = false;  // the file ends inside a frame (what a crash leaves)
  std::string message;
};

struct ScanState {
  uint64_t records = 0;    // valid records so far (= next seq)
  size_t valid_bytes = 0;  // end offset of the last valid frame
  bool have_log_id = false;
  LogId log_id{};
  Hash prev{};
  CompactRange range;
  int64_t last_ts_us = 0;
  uint64_t ts_regressions = 0;
  std::optional<ScanFailure> failure;
};

/// Called for every valid record; return false and fill the failure to stop the scan.
using RecordHook = std::function<bool(const RecordView&, ScanFailure&)>;

/// Scans data[0, n). `targets` must be sorted by size. Stops at the first failure.
void scanRecords(const uint8_t* data, size_t n, const std::vector<RootTarget>& targets,
                 const RecordHook& hook, ScanState& st);

/// The checkpoints file, parsed and signature-checked.
struct CheckpointSet {
  std::vector<Checkpoint> list;  // file order, sizes strictly increasing
  std::vector<std::string> notes;
  size_t valid_bytes = 0;  // end of the last whole frame
  size_t file_bytes = 0;
};

/// Reads <path> (a missing file is an empty set). On a finding, fills `failure` (kinds
/// decode_error (incomplete = torn last frame), bad_signature, rollback for sizes that do not
/// increase, decode_error for an origin that differs) and stops. Returns non-ok only for I/O.
Status readCheckpoints(const std::string& path, const std::vector<NoteKey>& keys,
                       CheckpointSet& out, std::optional<ScanFailure>& failure);

std::vector<RootTarget> rootTargets(const std::vector<Checkpoint>& cps);

}  // namespace callwarden::audit
