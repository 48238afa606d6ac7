#include "audit/LogScanner.h"

#include <cstring>

namespace callwarden::audit {

void scanRecords(const uint8_t* data, size_t n, const std::vector<RootTarget>& targets,
                 const RecordHook& hook, ScanState& st) {
  Sha256 h;
  size_t target = 0;
  auto fail = [&](const char* kind, size_t offset, std::string message, bool incomplete = false) {
    st.failure = ScanFailure{kind, st.records, offset, incomplete, std::move(message)};
  };
  while (target < targets.size() && targets[target].size == 0) {
    if (targets[target].root != emptyRoot()) {
      fail("root_mismatch", 0, "checkpoint of size 0 has a wrong root");
      return;
    }
    ++target;
  }
  size_t off = 0;
  RecordView rec;
  Hash leaf;
  std::string why;
  while (off < n) {
    DecodeResult r = decodeFrame(data + off, n - off, h, rec, leaf, &why);
    if (r != DecodeResult::kOk) {
      fail("decode_error", off, "record at byte " + std::to_string(off) + ": " + why,
           r == DecodeResult::kIncomplete);
      return;
    }
    if (!st.have_log_id) {
      std::memcpy(st.log_id.data(), rec.log_id, 16);
      st.have_log_id = true;
    } else if (std::memcmp(st.log_id.data(), rec.log_id, 16) != 0) {
      fail("decode_error", off, "record belongs to another log (log id differs)");
      return;
    }
    if (rec.seq != st.records) {
      fail("seq_gap", off,
           "expected seq " + std::to_string(st.records) + ", found " + std::to_string(rec.seq));
      return;
    }
    if (std::memcmp(rec.prev_hash, st.prev.data(), 32) != 0) {
      fail("prev_hash_mismatch", off,
           "previous-record hash does not match record " + std::to_string(rec.seq) +
               "'s predecessor");
      return;
    }
    if (hook) {
      ScanFailure f;
      f.seq = rec.seq;
      f.offset = off;
      if (!hook(rec, f)) {
        st.failure = std::move(f);
        return;
      }
    }
    if (st.records > 0 && rec.ts_us < st.last_ts_us) ++st.ts_regressions;
    st.last_ts_us = rec.ts_us;
    st.prev = leaf;
    st.range.append(h, leaf);
    st.records++;
    off += rec.frame_len;
    st.valid_bytes = off;
    while (target < targets.size() && targets[target].size == st.records) {
      if (st.range.root(h) != targets[target].root) {
        // Every record from the previous proven size on is suspect.
        const uint64_t from = target > 0 ? targets[target - 1].size : 0;
        st.failure = ScanFailure{"root_mismatch", from, off, false,
                                 "Merkle root of the first " + std::to_string(st.records) +
                                     " records does not match the signed checkpoint"};
        return;
      }
      ++target;
    }
  }
}

}  // namespace callwarden::audit

#include "audit/FileUtil.h"

namespace callwarden::audit {

Status readCheckpoints(const std::string& path, const std::vector<NoteKey>& keys,
                       CheckpointSet& out, std::optional<ScanFailure>& failure) {
  auto text = readFile(path);
  if (!text.isOk()) {
    if (text.status().code() == ErrorCode::kNotFound) return Status::ok();
    return text.status();
  }
  out.file_bytes = text->size();
  std::vector<std::string_view> notes;
  const bool whole = splitCheckpointFrames(*text, notes, out.valid_bytes);
  auto provenSize = [&] { return out.list.empty() ? uint64_t{0} : out.list.back().size; };
  for (size_t i = 0; i < notes.size(); ++i) {
    Checkpoint cp;
    std::string why;
    NoteError e = openCheckpoint(notes[i], keys, cp, &why);
    if (e != NoteError::kNone) {
      failure =
          ScanFailure{e == NoteError::kBadSignature ? "bad_signature" : "decode_error",
                      provenSize(), 0, false, "checkpoint #" + std::to_string(i + 1) + ": " + why};
      return Status::ok();
    }
    if (!out.list.empty() && cp.origin != out.list.front().origin) {
      failure =
          ScanFailure{"decode_error", provenSize(), 0, false,
                      "checkpoint #" + std::to_string(i + 1) + " names another log: " + cp.origin};
      return Status::ok();
    }
    if (!out.list.empty() && cp.size <= out.list.back().size) {
      failure =
          ScanFailure{"rollback", provenSize(), 0, false,
                      "checkpoint #" + std::to_string(i + 1) + " (size " + std::to_string(cp.size) +
                          ") does not extend the one before it (size " +
                          std::to_string(out.list.back().size) + ")"};
      return Status::ok();
    }
    out.list.push_back(std::move(cp));
    out.notes.emplace_back(notes[i]);
  }
  if (!whole) {
    failure = ScanFailure{
        "decode_error", provenSize(), out.valid_bytes, true,
        "checkpoints file ends inside a frame at byte " + std::to_string(out.valid_bytes)};
  }
  return Status::ok();
}

std::vector<RootTarget> rootTargets(const std::vector<Checkpoint>& cps) {
  std::vector<RootTarget> t;
  t.reserve(cps.size());
  for (const auto& c : cps) t.push_back(RootTarget{c.size, c.root});
  return t;
}

}  // namespace callwarden::audit
