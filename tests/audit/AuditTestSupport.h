#pragma once
// Fixtures for the audit tests: a scratch directory with keys, a log builder, and LogMutator,
// which edits the stored files the way an attacker with file access but no keys could
// (in the spirit of leveldb's log_test.cc IncrementByte/ShrinkSize/FixChecksum).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "audit/AuditLog.h"
#include "audit/Bytes.h"
#include "audit/Checkpoint.h"
#include "audit/FileUtil.h"
#include "audit/Keys.h"
#include "audit/Merkle.h"
#include "audit/RecordCodec.h"
#include "audit/Verifier.h"
#include "tests/support/FakeClock.h"

namespace callwarden::audit::testing {

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
inline void spit(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

/// Overwrites bytes in place. Unlike rewriting the file (truncate + write, which ext4 flushes
/// on close), this costs no disk I/O, so sweeps over thousands of mutations stay fast.
inline void pokeBytes(const std::string& path, size_t offset, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)),
            static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

/// A fresh directory under $TMPDIR (or /tmp), removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/cw-audit-XXXXXX";
    char* p = ::mkdtemp(tmpl.data());
    if (p == nullptr) std::abort();
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Keys in <tmp>/keys, the log in <tmp>/log.
struct AuditEnv {
  TempDir tmp;
  std::string kek = tmp.path() + "/kek";
  std::string sk = tmp.path() + "/signing.key";
  std::string dir = tmp.path() + "/log";
  std::string verifier_key;
  callwarden::testing::FakeClock clock{"2026-07-15T20:40:00Z"};

  AuditEnv() {
    auto k = initKeys(kek, sk);
    if (!k.isOk()) std::abort();
    verifier_key = *k;
  }
  AuditOptions options(uint64_t every = 10) const {
    AuditOptions o;
    o.dir = dir;
    o.kek_file = kek;
    o.signing_key_file = sk;
    o.checkpoint_every_records = every;
    o.checkpoint_every = std::chrono::seconds(3600);
    return o;
  }
  VerifyOptions verifyOptions(bool with_kek = false) const {
    VerifyOptions v;
    v.dir = dir;
    v.signing_key_file = sk;
    if (with_kek) v.kek_file = kek;
    return v;
  }
  std::string records() const { return dir + "/records.log"; }
  std::string checkpoints() const { return dir + "/checkpoints.log"; }
  std::string subjects() const { return dir + "/subjects.log"; }
};

inline AuditEvent decisionEvent(int i, bool personal) {
  AuditEvent e;
  e.type = EventType::kDecision;
  e.clear = {{"decision", i % 3 == 0 ? "deny" : "allow"},
             {"reason", "R" + std::to_string(i % 5)},
             {"n", std::to_string(i)}};
  if (personal) {
    e.subject_key = "phone:+1541555" + std::to_string(1000 + i % 4);
    e.personal = {{"phone", e.subject_key.substr(6)},
                  {"note", "called at 20:40 #" + std::to_string(i)}};
  }
  return e;
}

/// Writes `n` decision records (every other one personal) and closes the log.
inline void buildLog(AuditEnv& env, int n, uint64_t every = 10) {
  auto log = AuditLog::open(env.options(every), env.clock);
  ASSERT_TRUE(log.isOk()) << log.status().toString();
  for (int i = 0; i < n; ++i) {
    env.clock.advance(std::chrono::seconds(1));
    auto seq = (*log)->append(decisionEvent(i, i % 2 == 0));
    ASSERT_TRUE(seq.isOk()) << seq.status().toString();
  }
  ASSERT_TRUE((*log)->close().isOk());
}

/// Byte-level editing of records.log and checkpoints.log.
class LogMutator {
 public:
  explicit LogMutator(const AuditEnv& env) : env_(env) { load(); }

  size_t count() const { return frames_.size(); }
  size_t offsetOf(size_t i) const { return offsets_[i]; }
  size_t bytes() const {
    size_t n = 0;
    for (auto& f : frames_) n += f.size();
    return n;
  }
  const std::string& frame(size_t i) const { return frames_[i]; }

  void flipBit(size_t byte, int bit) {
    std::string all = slurp(env_.records());
    all[byte] = static_cast<char>(all[byte] ^ (1 << bit));
    spit(env_.records(), all);
    load();
  }
  void truncateBytes(size_t n) {
    std::string all = slurp(env_.records());
    spit(env_.records(), all.substr(0, all.size() - n));
  }
  void truncateRecords(size_t k) {
    frames_.resize(frames_.size() - k);
    save();
  }
  void swap(size_t i, size_t j) {
    std::swap(frames_[i], frames_[j]);
    save();
  }
  void erase(size_t i) {
    frames_.erase(frames_.begin() + static_cast<long>(i));
    save();
  }
  void duplicateAtEnd(size_t i) {
    frames_.push_back(frames_[i]);
    save();
  }
  void duplicateInPlace(size_t i) {
    frames_.insert(frames_.begin() + static_cast<long>(i), frames_[i]);
    save();
  }
  /// Copies nonce, ciphertext and tag of record `from` into record `to` (same ct length).
  void transplantCiphertext(size_t from, size_t to) {
    const std::string& a = frames_[from];
    std::string& b = frames_[to];
    const size_t tail_a = 12 + 4 + ctLen(a) + 16 + kCheckSize;
    const size_t tail_b = 12 + 4 + ctLen(b) + 16 + kCheckSize;
    b = b.substr(0, b.size() - tail_b) + a.substr(a.size() - tail_a);
    fixLength(b);
    fixCheck(b);
    save();
  }
  /// Recomputes the check value of every frame (no renumbering, no chain repair).
  void fixChecks() {
    for (auto& f : frames_) fixCheck(f);
    save();
  }
  /// What an attacker without keys can do after editing: renumber seqs, recompute every
  /// prev_leaf_hash and check value.
  void rechain() {
    Sha256 h;
    Hash prev{};
    for (size_t i = 0; i < frames_.size(); ++i) {
      std::string& f = frames_[i];
      auto* p = reinterpret_cast<uint8_t*>(f.data());
      const uint64_t seq = i;
      for (int k = 0; k < 8; ++k) p[25 + k] = static_cast<uint8_t>(seq >> (56 - 8 * k));
      std::memcpy(p + 41, prev.data(), 32);
      const size_t len = getU32(p + 4);
      prev = leafHash(h, std::string_view(f.data(), len));
      std::memcpy(p + len, prev.data(), kCheckSize);
    }
    save();
  }

  // Checkpoint frames.
  std::vector<std::string> checkpointNotes() const {
    std::vector<std::string_view> v;
    std::string all = slurp(env_.checkpoints());
    size_t good = 0;
    splitCheckpointFrames(all, v, good);
    return {v.begin(), v.end()};
  }
  void writeCheckpointNotes(const std::vector<std::string>& notes) {
    std::string all;
    for (const auto& n : notes) all += checkpointFrame(n);
    spit(env_.checkpoints(), all);
  }

 private:
  // ct_len sits at C+32, C = 79 + clear_len (see RecordCodec.h).
  static size_t ctLen(const std::string& f) {
    const auto* p = reinterpret_cast<const uint8_t*>(f.data());
    const size_t clear_len = getU32(p + 75);
    return getU32(p + 79 + clear_len + 32);
  }
  static void fixCheck(std::string& f) {
    Sha256 h;
    const size_t len = getU32(reinterpret_cast<const uint8_t*>(f.data()) + 4);
    Hash leaf = leafHash(h, std::string_view(f.data(), len));
    std::memcpy(f.data() + len, leaf.data(), kCheckSize);
  }
  static void fixLength(std::string& f) {
    auto* p = reinterpret_cast<uint8_t*>(f.data());
    setU32(p + 4, static_cast<uint32_t>(f.size() - kCheckSize));
  }
  void load() {
    frames_.clear();
    offsets_.clear();
    std::string all = slurp(env_.records());
    size_t off = 0;
    while (off + 8 <= all.size()) {
      size_t len = getU32(reinterpret_cast<const uint8_t*>(all.data() + off + 4)) + kCheckSize;
      if (off + len > all.size()) break;
      offsets_.push_back(off);
      frames_.push_back(all.substr(off, len));
      off += len;
    }
  }
  void save() {
    std::string all;
    for (const auto& f : frames_) all += f;
    spit(env_.records(), all);
    load();
  }

  const AuditEnv& env_;
  std::vector<std::string> frames_;
  std::vector<size_t> offsets_;
};

}  // namespace callwarden::audit::testing
