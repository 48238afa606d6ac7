// kill -9 during appends: a child process appends from several threads and reports every
// acknowledged seq through a pipe; the parent kills it mid-stream, reopens the log and checks
// that verification passes and every acknowledged record is there with its content. Half the
// threads take Ack::kWritten: a crash of the process must not lose those either.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <thread>

#include "AuditTestSupport.h"
#include "audit/LogScanner.h"

namespace callwarden::audit {
namespace {

using testing::AuditEnv;

struct Acked {
  uint64_t seq;
  uint64_t token;
};

[[noreturn]] void childAppender(const AuditEnv& env, int fd) {
  SystemClock clock;
  AuditOptions o = env.options(500);
  auto log = AuditLog::open(o, clock);
  if (!log.isOk()) ::_exit(3);
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0;; ++i) {
        const uint64_t token = (t << 40) | i;
        AuditEvent e{EventType::kDecision, {{"token", std::to_string(token)}}, "", {}};
        if (t % 2 == 0) {
          e.subject_key = "subject:S-" + std::to_string(i % 50);
          e.personal = {{"token", std::to_string(token)}};
        }
        auto seq = (*log)->append(e, t % 4 < 2 ? audit::Ack::kDurable : audit::Ack::kWritten);
        if (!seq.isOk()) ::_exit(4);
        Acked a{*seq, token};
        // <= PIPE_BUF, so each report is written whole or not at all.
        if (::write(fd, &a, sizeof a) != static_cast<ssize_t>(sizeof a)) ::_exit(5);
      }
    });
  }
  for (auto& th : threads) th.join();
  ::_exit(0);
}

void runCrashRound(AuditEnv& env, std::map<uint64_t, uint64_t>& acked, int round) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    childAppender(env, fds[1]);
  }
  ::close(fds[1]);
  // Let it run until a few thousand acknowledgements, then kill it without warning.
  size_t got = 0;
  const size_t target = 2000 + 1500 * static_cast<size_t>(round);
  Acked a{};
  while (got < target && ::read(fds[0], &a, sizeof a) == static_cast<ssize_t>(sizeof a)) {
    acked[a.seq] = a.token;
    ++got;
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status)) << "child ended on its own, status " << status;
  // Acks already in the pipe were acknowledged before the kill: they count too.
  while (::read(fds[0], &a, sizeof a) == static_cast<ssize_t>(sizeof a)) acked[a.seq] = a.token;
  ::close(fds[0]);
  ASSERT_GE(acked.size(), target);
}

TEST(AuditCrash, KillNineDuringAppendsLosesNoAcknowledgedRecord) {
  AuditEnv env;
  std::map<uint64_t, uint64_t> acked;
  for (int round = 0; round < 3; ++round) {
    runCrashRound(env, acked, round);
    // Restart: open must succeed (repairing at most an unacknowledged torn tail).
    SystemClock clock;  // the child used the real clock too; a fake one would run backwards
    auto log = AuditLog::open(env.options(), clock);
    ASSERT_TRUE(log.isOk()) << "round " << round << ": " << log.status().toString();
    ASSERT_TRUE((*log)->close().isOk());
    VerifyReport r = verifyLog(env.verifyOptions(true));
    ASSERT_EQ(r.exit_code, 0) << "round " << round << "\n" << toText(r);
  }
  // Every acknowledged seq holds the record that was acknowledged for it.
  auto mapped = MappedFile::open(env.records());
  ASSERT_TRUE(mapped.isOk());
  std::map<uint64_t, uint64_t> stored;
  RecordHook hook = [&](const RecordView& rec, ScanFailure&) {
    // A named local, not a range-for over a temporary optional (g++ 12 false positive).
    std::optional<Fields> fields = decodeFields(rec.clear);
    if (!fields) return false;
    for (const auto& kv : *fields) {
      if (kv.first == "token") stored[rec.seq] = std::stoull(kv.second);
    }
    return true;
  };
  ScanState st;
  scanRecords(mapped->data(), mapped->size(), {}, hook, st);
  ASSERT_FALSE(st.failure.has_value());
  size_t missing = 0;
  for (const auto& [seq, token] : acked) {
    auto it = stored.find(seq);
    if (it == stored.end() || it->second != token) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged records";
}

}  // namespace
}  // namespace callwarden::audit
