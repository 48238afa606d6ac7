// Crypto-shredding, the subject key store and what never reaches the disk in clear.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <thread>

#include "AuditTestSupport.h"
#include "audit/Exporter.h"
#include "audit/SubjectKeyStore.h"
#include "common/Sha256.h"

namespace callwarden::audit {
namespace {

using testing::AuditEnv;
using testing::slurp;

AuditEvent callEvent(const std::string& phone, const std::string& note) {
  return AuditEvent{EventType::kCallPlaced,
                    {{"decision", "allow"}},
                    "phone:" + phone,
                    {{"to", phone}, {"note", note}}};
}

std::string exportAll(const AuditEnv& env, bool with_kek) {
  std::ostringstream out;
  Status s = exportRecords(env.verifyOptions(with_kek), Timestamp::min(), Timestamp::max(), out);
  EXPECT_TRUE(s.isOk()) << s.toString();
  return out.str();
}

TEST(AuditKeys, ShreddedSubjectVerifiesUnreadable) {
  AuditEnv env;
  {
    auto log = AuditLog::open(env.options(), env.clock);
    ASSERT_TRUE(log.isOk());
    ASSERT_TRUE((*log)->append(callEvent("+15415550123", "alice")).isOk());
    ASSERT_TRUE((*log)->append(callEvent("+15415550199", "bob")).isOk());
    ASSERT_TRUE((*log)->append(callEvent("+15415550123", "alice again")).isOk());
    const std::string wrapped_before = slurp(env.subjects());
    ASSERT_TRUE((*log)->shredSubject("phone:+15415550123", "erasure-req-7").isOk());
    // The key file was replaced: the old wrapped key bytes are gone from it.
    EXPECT_LT(slurp(env.subjects()).size(), wrapped_before.size());
    ASSERT_TRUE((*log)->close().isOk());
  }
  VerifyReport r = verifyLog(env.verifyOptions(true));
  EXPECT_EQ(r.exit_code, 0) << toText(r);
  EXPECT_EQ(r.shredded, 2u);
  EXPECT_EQ(r.decrypted, 1u);
  VerifyReport no_kek = verifyLog(env.verifyOptions(false));
  EXPECT_EQ(no_kek.exit_code, 0);
  EXPECT_EQ(no_kek.shredded, 2u);
  const std::string out = exportAll(env, true);
  EXPECT_EQ(out.find("alice"), std::string::npos) << out;
  EXPECT_NE(out.find("\"note\":\"bob\""), std::string::npos) << out;
  size_t shredded = 0;
  for (size_t p = out.find("\"personal\":\"shredded\""); p != std::string::npos;
       p = out.find("\"personal\":\"shredded\"", p + 1)) {
    ++shredded;
  }
  EXPECT_EQ(shredded, 2u);
  EXPECT_NE(out.find("\"type\":\"erasure\""), std::string::npos);
  EXPECT_NE(out.find("\"request_ref\":\"erasure-req-7\""), std::string::npos);
  EXPECT_NE(out.find("\"result\":\"shredded\""), std::string::npos);
}

TEST(AuditKeys, AppendAfterShredStartsANewSubject) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(log.isOk());
  ASSERT_TRUE((*log)->append(callEvent("+15415550123", "before")).isOk());
  ASSERT_TRUE((*log)->shredSubject("phone:+15415550123", "req-1").isOk());
  ASSERT_TRUE((*log)->append(callEvent("+15415550123", "after")).isOk());
  ASSERT_TRUE((*log)->close().isOk());
  const std::string out = exportAll(env, true);
  EXPECT_EQ(out.find("before"), std::string::npos);
  EXPECT_NE(out.find("\"note\":\"after\""), std::string::npos);
}

TEST(AuditKeys, AppendForShreddedSubjectRejected) {
  // The store never hands out or recreates a destroyed key (Axon's rule); AuditLog re-reads
  // the key under the writer, so an append racing a shred fails instead of sealing.
  testing::TempDir tmp;
  Key32 kek{};
  kek[0] = 7;
  auto store = SubjectKeyStore::open(tmp.path() + "/subjects.log", kek, true);
  ASSERT_TRUE(store.isOk());
  auto k = (*store)->acquire("phone:+15415550123", 1);
  ASSERT_TRUE(k.isOk());
  ASSERT_TRUE((*store)->keyFor(k->subject_id).isOk());
  ASSERT_TRUE((*store)->markShredded(k->subject_id, 2).isOk());
  auto again = (*store)->keyFor(k->subject_id);
  ASSERT_FALSE(again.isOk());
  EXPECT_EQ(again.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_FALSE((*store)->lookup("phone:+15415550123").has_value());
  ASSERT_TRUE((*store)->flush().isOk());
  ASSERT_TRUE((*store)->persistShreds().isOk());
  // Reloaded from disk: still shredded, and the wrapped key is not in the file.
  store = SubjectKeyStore::open(tmp.path() + "/subjects.log", kek, false);
  ASSERT_TRUE(store.isOk());
  EXPECT_EQ((*store)->keyFor(k->subject_id).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(std::filesystem::file_size(tmp.path() + "/subjects.log"), 4u + 37u + 8u);
}

// Only a torn final append may be cut at start: damage with whole entries after it would
// take their keys (and every record sealed under them) along, so the store refuses to open.
TEST(AuditKeys, DamageBeforeWholeEntriesIsRefusedNotCut) {
  testing::TempDir tmp;
  const std::string path = tmp.path() + "/subjects.log";
  Key32 kek{};
  kek[0] = 9;
  {
    auto store = SubjectKeyStore::open(path, kek, true);
    ASSERT_TRUE(store.isOk());
    for (const char* s : {"phone:+15415550101", "phone:+15415550102", "phone:+15415550103"})
      ASSERT_TRUE((*store)->acquire(s, 1).isOk());
    ASSERT_TRUE((*store)->flush().isOk());
  }
  const auto whole = std::filesystem::file_size(path);
  const auto entry = whole / 3;
  auto flip = [&](std::uintmax_t at) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(at));
    char c = 0;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(at));
    f.put(static_cast<char>(c ^ 0x20));
  };
  flip(entry + 30);  // inside the second of three entries
  std::string repaired;
  auto damaged = SubjectKeyStore::open(path, kek, true, &repaired);
  ASSERT_FALSE(damaged.isOk());
  EXPECT_EQ(damaged.status().code(), ErrorCode::kCorruption);
  EXPECT_TRUE(repaired.empty());
  EXPECT_EQ(std::filesystem::file_size(path), whole);  // nothing cut
  flip(entry + 30);                                    // undone
  flip(2 * entry + 30);                                // now the last entry: a torn tail
  auto torn = SubjectKeyStore::open(path, kek, true, &repaired);
  ASSERT_TRUE(torn.isOk()) << torn.status().message();
  EXPECT_FALSE(repaired.empty());
  EXPECT_EQ(std::filesystem::file_size(path), 2 * entry);
  EXPECT_TRUE((*torn)->lookup("phone:+15415550102").has_value());
}

// subjects.log is protected by a checksum only; the erasure record is in the chain. A
// tombstone without its erasure record fails verification, and a subjects.log restored from
// before an erasure (the key back) is reported.
TEST(AuditKeys, VerifyMatchesTombstonesWithErasureRecords) {
  AuditEnv env;
  {
    auto log = AuditLog::open(env.options(), env.clock);
    ASSERT_TRUE(log.isOk());
    ASSERT_TRUE((*log)->append(callEvent("+15415550123", "a")).isOk());
    ASSERT_TRUE((*log)->append(callEvent("+15415550124", "b")).isOk());
    ASSERT_TRUE((*log)->close().isOk());
  }
  const std::string subjects = env.dir + "/subjects.log";
  std::filesystem::copy_file(subjects, subjects + ".before");
  {
    // A tombstone written straight into subjects.log, as someone with the KEK could.
    auto kek = loadKek(env.kek);
    ASSERT_TRUE(kek.isOk());
    auto store = SubjectKeyStore::open(subjects, *kek, false);
    ASSERT_TRUE(store.isOk());
    auto id = (*store)->lookup("phone:+15415550124");
    ASSERT_TRUE(id.has_value());
    ASSERT_TRUE((*store)->markShredded(*id, 1).isOk());
    ASSERT_TRUE((*store)->persistShreds().isOk());
  }
  VerifyReport forged = verifyLog(env.verifyOptions());
  EXPECT_EQ(forged.exit_code, 1) << toText(forged);
  EXPECT_EQ(forged.kind, "unrecorded_shred");

  // A real erasure, then the old subjects.log put back.
  std::filesystem::copy_file(subjects + ".before", subjects,
                             std::filesystem::copy_options::overwrite_existing);
  {
    auto log = AuditLog::open(env.options(), env.clock);
    ASSERT_TRUE(log.isOk());
    ASSERT_TRUE((*log)->shredSubject("phone:+15415550123", "req-1").isOk());
    ASSERT_TRUE((*log)->close().isOk());
  }
  EXPECT_EQ(verifyLog(env.verifyOptions()).exit_code, 0);
  std::filesystem::copy_file(subjects + ".before", subjects,
                             std::filesystem::copy_options::overwrite_existing);
  VerifyReport restored = verifyLog(env.verifyOptions());
  EXPECT_EQ(restored.exit_code, 2) << toText(restored);
  ASSERT_EQ(restored.warnings.size(), 1u) << toText(restored);
  EXPECT_NE(restored.warnings[0].find("erasure record"), std::string::npos);
}

TEST(AuditKeys, ShredRacingAppendsNeverSealsUnderADestroyedKey) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(1000), env.clock);
  ASSERT_TRUE(log.isOk());
  std::atomic<bool> stop{false};
  std::atomic<int> rejected{0};
  std::thread t([&] {
    while (!stop) {
      auto s = (*log)->append(callEvent("+15415550123", "x"));
      if (!s.isOk()) {
        EXPECT_EQ(s.status().code(), ErrorCode::kFailedPrecondition);
        ++rejected;
      }
    }
  });
  for (int i = 0; i < 20; ++i) ASSERT_TRUE((*log)->shredSubject("phone:+15415550123", "r").isOk());
  stop = true;
  t.join();
  ASSERT_TRUE((*log)->close().isOk());
  // Every record for a shredded subject is counted as shredded, none was decrypted with a
  // key that should be gone: all surviving keys still open their records.
  VerifyReport r = verifyLog(env.verifyOptions(true));
  EXPECT_EQ(r.exit_code, 0) << toText(r);
}

TEST(AuditKeys, MissingKekIntegrityStillPasses) {
  AuditEnv env;
  testing::buildLog(env, 6);
  VerifyReport r = verifyLog(env.verifyOptions(false));
  EXPECT_EQ(r.exit_code, 0) << toText(r);
  EXPECT_EQ(r.decrypted, 0u);
  const std::string out = exportAll(env, false);
  EXPECT_NE(out.find("\"personal\":\"sealed\""), std::string::npos);
  EXPECT_EQ(out.find("called at"), std::string::npos);
  // A KEK that is not the log's: a clean usage error, not an integrity verdict.
  std::filesystem::remove(env.kek);
  ASSERT_TRUE(createFileExclusive(env.kek, "callwarden-kek-v1 " + std::string(64, 'a') + "\n", 0600)
                  .isOk());
  VerifyReport bad = verifyLog(env.verifyOptions(true));
  EXPECT_EQ(bad.exit_code, 3) << toText(bad);
  EXPECT_NE(bad.message.find("KEK"), std::string::npos);
}

TEST(AuditKeys, NoPhoneNumberOrUnkeyedHashOnDisk) {
  AuditEnv env;
  const std::string phone = "+15415550123";
  {
    auto log = AuditLog::open(env.options(), env.clock);
    ASSERT_TRUE(log.isOk());
    ASSERT_TRUE((*log)->append(callEvent(phone, "secret note")).isOk());
    ASSERT_TRUE((*log)->close().isOk());
  }
  const std::string raw_sha = [&] {
    auto d = sha256(phone);
    return std::string(d.begin(), d.end());
  }();
  const std::string raw_sha2 = [&] {
    auto d = sha256("phone:" + phone);
    return std::string(d.begin(), d.end());
  }();
  for (const auto& f : std::filesystem::directory_iterator(env.dir)) {
    const std::string data = slurp(f.path());
    EXPECT_EQ(data.find(phone), std::string::npos) << f.path();
    EXPECT_EQ(data.find("5415550123"), std::string::npos) << f.path();
    EXPECT_EQ(data.find("secret note"), std::string::npos) << f.path();
    EXPECT_EQ(data.find(raw_sha), std::string::npos) << f.path();
    EXPECT_EQ(data.find(raw_sha2), std::string::npos) << f.path();
    EXPECT_EQ(data.find(sha256Hex(phone)), std::string::npos) << f.path();
  }
}

TEST(AuditKeys, InterruptedShredIsCompletedAtOpen) {
  AuditEnv env;
  {
    auto log = AuditLog::open(env.options(), env.clock);
    ASSERT_TRUE(log.isOk());
    ASSERT_TRUE((*log)->append(callEvent("+15415550123", "alice")).isOk());
    const std::string keys_before = slurp(env.subjects());
    ASSERT_TRUE((*log)->shredSubject("phone:+15415550123", "req").isOk());
    ASSERT_TRUE((*log)->close().isOk());
    // Simulate a crash after the erasure record but before the key file was replaced.
    testing::spit(env.subjects(), keys_before);
  }
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(log.isOk()) << log.status().toString();
  ASSERT_TRUE((*log)->close().isOk());
  const std::string out = exportAll(env, true);
  EXPECT_EQ(out.find("alice"), std::string::npos);
  EXPECT_NE(out.find("completed interrupted shred"), std::string::npos);
}

TEST(AuditKeys, ShredOfUnknownSubjectIsRecorded) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(log.isOk());
  ASSERT_TRUE((*log)->shredSubject("phone:+19999999999", "req-9").isOk());
  ASSERT_TRUE((*log)->close().isOk());
  const std::string out = exportAll(env, false);
  EXPECT_NE(out.find("\"result\":\"no_data\""), std::string::npos);
  EXPECT_EQ(out.find("9999999999"), std::string::npos);
}

}  // namespace
}  // namespace callwarden::audit
