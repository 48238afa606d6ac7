// The tamper suite of research/audit-log.md section 4: each case edits the stored log the way
// an attacker with file access could, and the verifier must name what broke.

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "AuditTestSupport.h"
#include "audit/Exporter.h"

namespace callwarden::audit {
namespace {

using testing::AuditEnv;
using testing::buildLog;
using testing::LogMutator;
using testing::slurp;
using testing::spit;

// 40 appends + open + close = 42 records; checkpoints at sizes 0, 1, 11, 21, 31, 41, 42.
constexpr int kAppends = 40;
constexpr uint64_t kRecords = kAppends + 2;

struct TamperCase {
  const char* name;
  std::function<void(AuditEnv&, LogMutator&)> mutate;
  int exit_code;
  const char* kind;  // nullptr: any
  std::optional<uint64_t> first_bad_seq;
  bool with_kek = false;
};

// Drops the last `k` checkpoints, as if the process died before writing them.
void dropCheckpoints(LogMutator& m, size_t k) {
  auto notes = m.checkpointNotes();
  notes.resize(notes.size() - k);
  m.writeCheckpointNotes(notes);
}

NoteKey otherKey() {
  auto k = Ed25519Key::generate();
  return NoteKey{"callwarden-audit", noteKeyId("callwarden-audit", k->publicKey()), std::move(*k)};
}

std::vector<NoteKey> realKey(const AuditEnv& env) {
  std::vector<NoteKey> v;
  v.push_back(std::move(loadSigningKey(env.sk).value()));
  return v;
}

Checkpoint parsed(const AuditEnv& env, const std::string& note) {
  Checkpoint cp;
  EXPECT_EQ(openCheckpoint(note, realKey(env), cp), NoteError::kNone);
  return cp;
}

const std::vector<TamperCase>& cases() {
  static const std::vector<TamperCase> table = {
      {"CleanLogPasses", [](AuditEnv&, LogMutator&) {}, 0, "ok", std::nullopt},
      {"TruncateUnsealedTailWarns",
       [](AuditEnv&, LogMutator& m) {
         dropCheckpoints(m, 2);  // last checkpoint now at 31
         m.truncateRecords(3);   // 39 records left, 8 unsealed
       },
       2, "warnings", std::nullopt},
      {"TruncateBelowCheckpointFails", [](AuditEnv&, LogMutator& m) { m.truncateRecords(15); }, 1,
       "root_mismatch", 27},
      {"TruncateWholeLogFails", [](AuditEnv&, LogMutator& m) { m.truncateRecords(kRecords); }, 1,
       "root_mismatch", 0},
      {"TruncateMidRecordBytesFails", [](AuditEnv&, LogMutator& m) { m.truncateBytes(1); }, 1,
       "decode_error", kRecords - 1},
      {"TruncateManyBytesFails",
       [](AuditEnv&, LogMutator& m) { m.truncateBytes(m.frame(41).size() + 7); }, 1, "decode_error",
       kRecords - 2},
      {"ReorderFails", [](AuditEnv&, LogMutator& m) { m.swap(5, 6); }, 1, "seq_gap", 5},
      {"ReorderAndRechainFailsAtCheckpoint",
       [](AuditEnv&, LogMutator& m) {
         m.swap(5, 6);
         m.rechain();
       },
       1, "root_mismatch", 1},
      {"DeleteMiddleFails", [](AuditEnv&, LogMutator& m) { m.erase(7); }, 1, "seq_gap", 7},
      {"DeleteRenumberRechainFails",
       [](AuditEnv&, LogMutator& m) {
         m.erase(7);
         m.rechain();
       },
       1, "root_mismatch", 1},
      {"DeleteFirstRecordFails", [](AuditEnv&, LogMutator& m) { m.erase(0); }, 1, "seq_gap", 0},
      {"ReplayDuplicateFails", [](AuditEnv&, LogMutator& m) { m.duplicateAtEnd(3); }, 1, "seq_gap",
       kRecords},
      {"DuplicateInPlaceFails", [](AuditEnv&, LogMutator& m) { m.duplicateInPlace(9); }, 1,
       "seq_gap", 10},
      {"ChainEditWithoutRechainFails",
       [](AuditEnv&, LogMutator& m) {
         m.flipBit(m.offsetOf(12) + 45, 0);  // a prev_leaf_hash byte
         m.fixChecks();
       },
       1, "prev_hash_mismatch", 12},
      {"CiphertextTransplantFailsAead",
       // Records 1 and 5 carry personal data of the same length (decisionEvent 0 and 4).
       [](AuditEnv&, LogMutator& m) { m.transplantCiphertext(1, 5); }, 1, "aead_fail", 5, true},
      {"CiphertextTransplantAndRechainFailsAead",
       [](AuditEnv&, LogMutator& m) {
         m.transplantCiphertext(1, 5);
         m.rechain();
       },
       1, "aead_fail", 5, true},
      {"StrippedCheckpointsFail",
       [](AuditEnv& env, LogMutator&) { std::filesystem::remove(env.checkpoints()); }, 1,
       "missing_checkpoint", 0},
      {"DeleteLatestCheckpointWarns", [](AuditEnv&, LogMutator& m) { dropCheckpoints(m, 1); }, 2,
       "warnings", std::nullopt},
      {"CheckpointReorderFails",
       [](AuditEnv&, LogMutator& m) {
         auto n = m.checkpointNotes();
         std::swap(n[1], n[2]);
         m.writeCheckpointNotes(n);
       },
       1, "rollback", std::nullopt},
      {"CheckpointDuplicateFails",
       [](AuditEnv&, LogMutator& m) {
         auto n = m.checkpointNotes();
         n.push_back(n.back());
         m.writeCheckpointNotes(n);
       },
       1, "rollback", std::nullopt},
      {"TornCheckpointFrameFails",
       [](AuditEnv& env, LogMutator&) {
         std::string c = slurp(env.checkpoints());
         spit(env.checkpoints(), c.substr(0, c.size() - 3));
       },
       1, "decode_error", std::nullopt},
      {"ForgedCheckpointFails",
       [](AuditEnv&, LogMutator& m) {
         auto n = m.checkpointNotes();
         auto pos = n[3].find("\n21\n");
         n[3].replace(pos, 4, "\n22\n");  // claim a different size, keep the signature
         m.writeCheckpointNotes(n);
       },
       1, "bad_signature", 11},
      {"UnknownKeyOnlyFails",
       [](AuditEnv& env, LogMutator& m) {
         auto other = otherKey();
         std::vector<std::string> out;
         for (const auto& note : m.checkpointNotes())
           out.push_back(signCheckpoint(parsed(env, note), other).value());
         m.writeCheckpointNotes(out);
       },
       1, "bad_signature", 0},
      {"ForkSameSizeDifferentRootFails",
       [](AuditEnv& env, LogMutator& m) {
         // A3: the host's own key signs a second history of the same size.
         auto notes = m.checkpointNotes();
         Checkpoint cp = parsed(env, notes.back());
         cp.root[0] ^= 1;
         notes.back() = signCheckpoint(cp, realKey(env)[0]).value();
         m.writeCheckpointNotes(notes);
       },
       1, "root_mismatch", 41},
      {"SignedCheckpointBeyondLogFails",
       [](AuditEnv& env, LogMutator& m) {
         auto notes = m.checkpointNotes();
         Checkpoint cp = parsed(env, notes.back());
         cp.size += 5;
         notes.push_back(signCheckpoint(cp, realKey(env)[0]).value());
         m.writeCheckpointNotes(notes);
       },
       1, "root_mismatch", kRecords},
      {"RecordFromAnotherLogFails",
       [](AuditEnv&, LogMutator& m) {
         m.flipBit(m.offsetOf(20) + 9, 0);
         m.rechain();
       },
       1, "decode_error", 20},
  };
  return table;
}

class AuditTamper : public ::testing::TestWithParam<TamperCase> {};

TEST_P(AuditTamper, VerifierReportsTheMutation) {
  const TamperCase& c = GetParam();
  AuditEnv env;
  buildLog(env, kAppends);
  LogMutator m(env);
  ASSERT_EQ(m.count(), kRecords);
  c.mutate(env, m);
  VerifyReport r = verifyLog(env.verifyOptions(c.with_kek));
  EXPECT_EQ(r.exit_code, c.exit_code) << toText(r);
  if (c.kind != nullptr) {
    EXPECT_EQ(r.kind, c.kind) << toText(r);
  }
  if (c.first_bad_seq) {
    ASSERT_TRUE(r.first_bad_seq.has_value()) << toText(r);
    EXPECT_EQ(*r.first_bad_seq, *c.first_bad_seq) << toText(r);
  }
  if (c.exit_code == 1) {
    // The writer refuses such a log too, and does not touch it.
    // (A torn checkpoint frame is what a crash leaves; the writer cuts it and logs that.)
    auto log = AuditLog::open(env.options(), env.clock);
    if (std::string(c.name) != "TornCheckpointFrameFails") {
      EXPECT_FALSE(log.isOk()) << "writer accepted a log the verifier rejects";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Table, AuditTamper, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<TamperCase>& i) {
                           return std::string(i.param.name);
                         });

TEST(AuditTamperDetail, TruncateUnsealedTailCountsRecords) {
  AuditEnv env;
  buildLog(env, kAppends);
  LogMutator m(env);
  dropCheckpoints(m, 2);
  m.truncateRecords(3);
  VerifyReport r = verifyLog(env.verifyOptions());
  EXPECT_EQ(r.unsealed, 8u);
  EXPECT_EQ(r.records, 39u);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0], "8 records not sealed (seq 31..38)");
}

TEST(AuditTamperDetail, TruncateEveryByteCountFails) {
  AuditEnv env;
  buildLog(env, 3);
  const std::string all = slurp(env.records());
  for (size_t cut = 1; cut < all.size(); ++cut) {
    ASSERT_EQ(::truncate(env.records().c_str(), static_cast<off_t>(all.size() - cut)), 0);
    VerifyReport r = verifyLog(env.verifyOptions());
    ASSERT_EQ(r.exit_code, 1) << "cut " << cut << "\n" << toText(r);
    testing::pokeBytes(env.records(), all.size() - cut,
                       std::string_view(all).substr(all.size() - cut));
  }
  EXPECT_EQ(slurp(env.records()), all);
}

TEST(AuditTamperDetail, RollbackToSnapshotFails) {
  AuditEnv env;
  buildLog(env, 10);
  const std::string snap = env.tmp.path() + "/snapshot";
  std::filesystem::copy(env.dir, snap);
  {
    auto log = AuditLog::open(env.options(), env.clock);
    ASSERT_TRUE(log.isOk());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*log)->append(testing::decisionEvent(i, true)).isOk());
    ASSERT_TRUE((*log)->close().isOk());
    spit(env.tmp.path() + "/trusted.note", (*log)->latestCheckpoint().value());
  }
  VerifyOptions v = env.verifyOptions();
  v.trusted_checkpoint_file = env.tmp.path() + "/trusted.note";
  EXPECT_EQ(verifyLog(v).exit_code, 0) << toText(verifyLog(v));
  // Restore the older copy: every file is internally consistent, only the trusted
  // checkpoint kept elsewhere shows that history was cut.
  std::filesystem::remove_all(env.dir);
  std::filesystem::copy(snap, env.dir);
  EXPECT_EQ(verifyLog(env.verifyOptions()).exit_code, 0);
  VerifyReport r = verifyLog(v);
  EXPECT_EQ(r.exit_code, 1) << toText(r);
  EXPECT_EQ(r.kind, "rollback");
  EXPECT_EQ(r.first_bad_seq, std::optional<uint64_t>(12));
}

TEST(AuditTamperDetail, TrustedCheckpointFromAForkFails) {
  AuditEnv env;
  buildLog(env, 10);
  LogMutator m(env);
  Checkpoint cp = parsed(env, m.checkpointNotes()[1]);
  cp.root[5] ^= 0x40;
  spit(env.tmp.path() + "/trusted.note", signCheckpoint(cp, realKey(env)[0]).value());
  VerifyOptions v = env.verifyOptions();
  v.trusted_checkpoint_file = env.tmp.path() + "/trusted.note";
  VerifyReport r = verifyLog(v);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.kind, "root_mismatch");
  // A trusted checkpoint signed by someone else is not trusted.
  spit(v.trusted_checkpoint_file,
       signCheckpoint(parsed(env, m.checkpointNotes()[1]), otherKey()).value());
  EXPECT_EQ(verifyLog(v).kind, "bad_signature");
}

TEST(AuditTamperDetail, WrongVerifierKeyFails) {
  AuditEnv env;
  buildLog(env, 3);
  AuditEnv other;  // a different key pair
  VerifyOptions v = env.verifyOptions();
  spit(env.tmp.path() + "/other.pub", other.verifier_key + "\n");
  v.signing_key_file = env.tmp.path() + "/other.pub";
  VerifyReport r = verifyLog(v);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.kind, "bad_signature");
  // The real public key alone (no private key) is enough to verify.
  spit(v.signing_key_file, env.verifier_key + "\n");
  EXPECT_EQ(verifyLog(v).exit_code, 0) << toText(verifyLog(v));
}

// Every bit of the stored records and checkpoints: flipping it must never verify as intact.
// By default one bit per byte (rotating position) plus every bit of two whole records, to
// stay fast in CI; CALLWARDEN_FULL_SWEEP=1 flips every bit of both files (nightly).
TEST(AuditTamperDetail, BitFlipSweepDetectsEveryBit) {
  AuditEnv env;
  buildLog(env, 20, 5);
  LogMutator m(env);
  const bool full = std::getenv("CALLWARDEN_FULL_SWEEP") != nullptr;
  for (const std::string& file : {env.records(), env.checkpoints()}) {
    const std::string orig = slurp(file);
    const size_t rec_lo = m.offsetOf(3), rec_hi = m.offsetOf(5);
    size_t tried = 0;
    for (size_t byte = 0; byte < orig.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        const bool in_window = file == env.records() && byte >= rec_lo && byte < rec_hi;
        if (!full && !in_window && bit != static_cast<int>(byte % 8)) continue;
        const char flipped = static_cast<char>(orig[byte] ^ (1 << bit));
        testing::pokeBytes(file, byte, std::string_view(&flipped, 1));
        VerifyReport r = verifyLog(env.verifyOptions(true));
        testing::pokeBytes(file, byte, std::string_view(orig).substr(byte, 1));
        ASSERT_EQ(r.exit_code, 1) << file << " byte " << byte << " bit " << bit << " undetected\n"
                                  << toText(r);
        ++tried;
      }
    }
    EXPECT_EQ(slurp(file), orig);
    EXPECT_GT(tried, orig.size() - 1);
  }
  EXPECT_EQ(verifyLog(env.verifyOptions(true)).exit_code, 0);
}

TEST(AuditTamperDetail, MissingKeyFileIsUsageError) {
  AuditEnv env;
  buildLog(env, 2);
  VerifyOptions v = env.verifyOptions();
  v.signing_key_file = env.tmp.path() + "/missing";
  VerifyReport r = verifyLog(v);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.message.find("missing"), std::string::npos);
  v = env.verifyOptions();
  v.dir = env.tmp.path() + "/nolog";
  EXPECT_EQ(verifyLog(v).exit_code, 3);
  v = env.verifyOptions(true);
  ASSERT_EQ(::chmod(env.kek.c_str(), 0644), 0);
  r = verifyLog(v);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.message.find("chmod 600"), std::string::npos);
}

}  // namespace
}  // namespace callwarden::audit
