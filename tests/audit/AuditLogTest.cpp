// AuditLog: appends, group commit, checkpoint cadence, reopen, keys at open, fail-closed.

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "AuditTestSupport.h"
#include "audit/Exporter.h"

namespace callwarden::audit {
namespace {

using testing::AuditEnv;
using testing::buildLog;
using testing::decisionEvent;
using testing::LogMutator;
using testing::slurp;

// The size line of the latest checkpoint note (origin, size, root, ...), 0 if none.
uint64_t latestCheckpointSize(AuditLog& log) {
  auto note = log.latestCheckpoint();
  if (!note.isOk()) return 0;
  const size_t a = note->find('\n');
  return std::stoull(note->substr(a + 1, note->find('\n', a + 1) - a - 1));
}

// The writer signs a checkpoint after the syncer has flushed the records it covers, which can
// be just after the append that made it due was answered: give it a moment.
bool waitForCheckpointOfAtLeast(AuditLog& log, uint64_t size) {
  for (int i = 0; i < 100 && latestCheckpointSize(log) < size; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return latestCheckpointSize(log) >= size;
}

TEST(AuditLog, AppendReturnsDenseSequenceNumbers) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(log.isOk()) << log.status().toString();
  // seq 0 is the kAuditOpen record.
  for (uint64_t i = 1; i <= 5; ++i) {
    auto seq = (*log)->append(decisionEvent(static_cast<int>(i), true));
    ASSERT_TRUE(seq.isOk());
    EXPECT_EQ(*seq, i);
  }
  EXPECT_TRUE((*log)->health().isOk());
  ASSERT_TRUE((*log)->close().isOk());
  EXPECT_FALSE((*log)->health().isOk());
  EXPECT_EQ((*log)->append(decisionEvent(1, false)).status().code(),
            ErrorCode::kFailedPrecondition);
  auto report = verifyLog(env.verifyOptions(true));
  EXPECT_EQ(report.exit_code, 0) << toText(report);
  EXPECT_EQ(report.records, 7u);  // open + 5 + close
  EXPECT_EQ(report.decrypted, 5u);
}

// `threads` threads append `per` records each, thread t with ack(t); every append must succeed
// with a distinct, dense seq, and the closed log must verify with all of them.
void appendConcurrentlyAndVerify(int threads, int per, uint64_t checkpoint_every,
                                 const std::function<Ack(int)>& ack) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(checkpoint_every), env.clock);
  ASSERT_TRUE(log.isOk());
  std::vector<std::vector<uint64_t>> seqs(static_cast<size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per; ++i) {
        auto s = (*log)->append(decisionEvent(t * per + i, i % 3 == 0), ack(t));
        if (s.isOk()) seqs[static_cast<size_t>(t)].push_back(*s);
      }
    });
  }
  for (auto& th : pool) th.join();
  std::set<uint64_t> all;
  for (auto& v : seqs) {
    EXPECT_EQ(v.size(), static_cast<size_t>(per));
    all.insert(v.begin(), v.end());
  }
  const auto total = static_cast<uint64_t>(threads * per);
  EXPECT_EQ(all.size(), total);
  EXPECT_EQ(*all.begin(), 1u);
  EXPECT_EQ(*all.rbegin(), total);
  ASSERT_TRUE((*log)->close().isOk());
  auto report = verifyLog(env.verifyOptions(true));
  EXPECT_EQ(report.exit_code, 0) << toText(report);
  EXPECT_EQ(report.records, total + 2);  // + open and close
}

TEST(AuditLog, ConcurrentAppendsAreAllDurableAndDistinct) {
  appendConcurrentlyAndVerify(16, 200, 100, [](int) { return Ack::kDurable; });
}

// Checkpoints are signed while written-but-unflushed records stream in; each must still cover
// a prefix that verifies.
TEST(AuditLog, WrittenAndDurableAcksInterleaveInOneVerifiedChain) {
  appendConcurrentlyAndVerify(8, 150, 50,
                              [](int t) { return t % 2 == 0 ? Ack::kWritten : Ack::kDurable; });
}

// Ack::kWritten appenders write the queue themselves, taking along whatever other threads
// queued; none may be lost, answered twice or written out of order.
TEST(AuditLog, WrittenAcksFromManyThreadsAreAllWrittenOnce) {
  appendConcurrentlyAndVerify(16, 200, 100, [](int) { return Ack::kWritten; });
}

// A record written into a file nobody can reach is not in the log. Ack::kWritten answers before
// the flush, so such an append may still be acknowledged, like a record that a power loss takes
// before its flush (ADR 0002, addendum 4); but whoever waits for that record's flush is told it
// failed, a durable append is refused, and from then on so is every append.
TEST(AuditLog, WrittenAckFailsLikeADurableOneOnceTheLogFailed) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(log.isOk());
  ASSERT_TRUE((*log)->append(decisionEvent(1, false), Ack::kWritten).isOk());
  std::filesystem::remove_all(env.dir);
  auto seq = (*log)->append(decisionEvent(2, false), Ack::kWritten);
  if (seq.isOk()) {
    std::promise<Status> answer;
    (*log)->whenDurable(*seq, [&](const Status& s) { answer.set_value(s); });
    auto f = answer.get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(f.get().code(), ErrorCode::kUnavailable);
  } else {
    // The interval flush of record 1 found the file gone first.
    EXPECT_EQ(seq.status().code(), ErrorCode::kUnavailable);
  }
  EXPECT_EQ((*log)->append(decisionEvent(3, false)).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ((*log)->append(decisionEvent(4, false), Ack::kWritten).status().code(),
            ErrorCode::kUnavailable);
}

// whenDurable(): every record written with Ack::kWritten is answered exactly once, with ok,
// from whichever thread flushed it, while many threads append.
TEST(AuditLog, WhenDurableAnswersEveryWrittenRecordOnce) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(50), env.clock);
  ASSERT_TRUE(log.isOk());
  constexpr int kThreads = 8, kPer = 150;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> answers(kThreads * kPer + 2, 0);
  int failures = 0, answered = 0;
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        auto seq = (*log)->append(decisionEvent(t * kPer + i, i % 2 == 0), Ack::kWritten);
        ASSERT_TRUE(seq.isOk());
        (*log)->whenDurable(*seq, [&, s = *seq](const Status& st) {
          std::lock_guard lock(mu);
          ++answers[s];
          if (!st.isOk()) ++failures;
          ++answered;
          cv.notify_all();
        });
      }
    });
  }
  for (auto& th : pool) th.join();
  {
    std::unique_lock lock(mu);
    // No close() needed: each caller asked for its flush, which begins at once.
    ASSERT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(20), [&] { return answered == kThreads * kPer; }));
  }
  ASSERT_TRUE((*log)->close().isOk());
  std::lock_guard lock(mu);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(answered, kThreads * kPer);
  for (int s = 1; s <= kThreads * kPer; ++s) EXPECT_EQ(answers[static_cast<size_t>(s)], 1) << s;
}

TEST(AuditLog, WhenDurableRefusesRecordsNeverWritten) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(log.isOk());
  auto seq = (*log)->append(decisionEvent(1, false), Ack::kWritten);
  ASSERT_TRUE(seq.isOk());
  std::optional<Status> got;
  (*log)->whenDurable(*seq + 1, [&](const Status& s) { got = s; });
  ASSERT_TRUE(got.has_value());  // answered before the call returned
  EXPECT_EQ(got->code(), ErrorCode::kInvalidArgument);
}

// A record written, then its flush fails (the file is deleted while the flush is under way):
// the caller waiting for it is told so, never that it is durable; later callers too.
TEST(AuditLog, WhenDurableReportsAFlushThatFails) {
  AuditEnv env;
  auto options = env.options();
  std::atomic<bool> armed{false};
  options.before_flush_for_testing = [&] {
    if (armed.exchange(false)) std::filesystem::remove_all(env.dir);
  };
  auto log = AuditLog::open(options, env.clock);
  ASSERT_TRUE(log.isOk());
  armed = true;  // the flush of the next record finds its file gone
  auto seq = (*log)->append(decisionEvent(1, false), Ack::kWritten);
  ASSERT_TRUE(seq.isOk());
  std::promise<Status> answer;
  (*log)->whenDurable(*seq, [&](const Status& s) { answer.set_value(s); });
  auto f = answer.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const Status s = f.get();
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable) << s.message();
  EXPECT_FALSE(armed.load());  // the failure came from that flush
  std::optional<Status> later;
  (*log)->whenDurable(*seq, [&](const Status& st) { later = st; });
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->code(), ErrorCode::kUnavailable);
}

// Records written with Ack::kWritten wait up to written_flush_interval for their flush (each
// flush costs the whole machine), and then get it without anyone asking.
TEST(AuditLog, WrittenRecordsAreFlushedWithinTheInterval) {
  AuditEnv env;
  auto options = env.options();
  // Counted from the previous flush (of what open() wrote), so long enough that a slow open()
  // under a sanitizer cannot use it up before the check below.
  options.written_flush_interval = std::chrono::seconds(2);
  std::atomic<int> flushes{0};
  options.before_flush_for_testing = [&] { ++flushes; };
  auto log = AuditLog::open(options, env.clock);
  ASSERT_TRUE(log.isOk());
  const int before = flushes.load();
  const auto written = std::chrono::steady_clock::now();
  ASSERT_TRUE((*log)->append(decisionEvent(1, false), Ack::kWritten).isOk());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // Nothing else is appended, so nothing else starts a flush.
  EXPECT_EQ(flushes.load(), before) << "flushed sooner than the interval";
  while (flushes.load() == before &&
         std::chrono::steady_clock::now() - written < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GT(flushes.load(), before) << "never flushed";
}

// Sets up a log whose syncer has just seen callers wait for the disk together: during the
// flush of a first durable append, another caller starts waiting (the hook plays it), so the
// flush for that caller is gathered (AuditOptions::flush_delay). Not from a thread holding
// the write lock (checkpointNow(), close()): the hook's append would wait for it.
struct GatheringLog {
  AuditEnv env;
  std::unique_ptr<AuditLog> log;
  std::atomic<int> flushes{0};
  std::atomic<bool> armed{false};  // for the flush of the first append after open()
  std::promise<Status> hook_waiter;

  explicit GatheringLog(std::chrono::microseconds delay) {
    auto options = env.options();
    options.flush_delay = delay;
    options.written_flush_interval = std::chrono::hours(1);  // only waiters start flushes
    options.before_flush_for_testing = [this] {
      ++flushes;
      if (!armed.exchange(false)) return;
      auto seq = log->append(decisionEvent(9, false), Ack::kWritten);
      if (seq.isOk()) log->whenDurable(*seq, [this](const Status& s) { hook_waiter.set_value(s); });
    };
    auto opened = AuditLog::open(options, env.clock);
    EXPECT_TRUE(opened.isOk());
    log = std::move(opened).value();
    armed = true;
    EXPECT_TRUE(log->append(decisionEvent(1, false)).isOk());  // alone: flushed at once
    EXPECT_FALSE(armed.load());
  }
};

// Group commit: while others wait for the disk too, a flush waits flush_delay for more
// callers to join it, and one flush answers them all.
TEST(AuditLog, ConcurrentWaitersShareOneDelayedFlush) {
  GatheringLog g(std::chrono::seconds(2));
  const int before = g.flushes.load();
  std::promise<Status> first, second;
  auto a = g.log->append(decisionEvent(2, false), Ack::kWritten);
  ASSERT_TRUE(a.isOk());
  g.log->whenDurable(*a, [&](const Status& s) { first.set_value(s); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(g.flushes.load(), before) << "flushed without waiting for others to join";
  auto b = g.log->append(decisionEvent(3, false), Ack::kWritten);
  ASSERT_TRUE(b.isOk());
  g.log->whenDurable(*b, [&](const Status& s) { second.set_value(s); });
  auto fa = first.get_future(), fb = second.get_future(), fh = g.hook_waiter.get_future();
  for (auto* f : {&fa, &fb, &fh}) {
    ASSERT_EQ(f->wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_TRUE(f->get().isOk());
  }
  EXPECT_EQ(g.flushes.load(), before + 1);
}

// A close() during a gather does not wait it out: it flushes what is written and answers
// (close() itself waits for its close record's flush).
TEST(AuditLog, CloseEndsAGatherAtOnce) {
  GatheringLog g(std::chrono::seconds(60));
  auto fh = g.hook_waiter.get_future();  // its flush is being gathered now
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(g.log->close().isOk());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  ASSERT_EQ(fh.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_TRUE(fh.get().isOk());
}

// A writer alone gains nothing by waiting: each of its durable appends is flushed at once.
TEST(AuditLog, ALoneWriterIsFlushedAtOnce) {
  AuditEnv env;
  auto options = env.options();
  options.flush_delay = std::chrono::seconds(2);
  auto log = AuditLog::open(options, env.clock);
  ASSERT_TRUE(log.isOk());
  ASSERT_TRUE((*log)->append(decisionEvent(1, false)).isOk());
  for (int i = 2; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE((*log)->append(decisionEvent(i, false)).isOk());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1)) << i;
  }
}

// A record's flush is begun at once for a whenDurable() caller, and after close() every record
// written is durable: a late caller is answered ok at once.
TEST(AuditLog, WhenDurableAfterCloseAnswersAtOnce) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(log.isOk());
  auto seq = (*log)->append(decisionEvent(1, false), Ack::kWritten);
  ASSERT_TRUE(seq.isOk());
  ASSERT_TRUE((*log)->close().isOk());
  std::optional<Status> got;
  (*log)->whenDurable(*seq, [&](const Status& s) { got = s; });
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->isOk()) << got->message();
}

// close() racing appends of both kinds: every append is answered (written, or refused because
// the log is closed), nothing is written after the close record, and the final checkpoint
// seals every record. Rounds, because the race needs an appender to hold a batch just as
// close() stops the syncer.
TEST(AuditLog, CloseRacingAppendsAnswersEveryAppendAndSealsEveryRecord) {
  for (int round = 0; round < 20; ++round) {
    AuditEnv env;
    auto log = AuditLog::open(env.options(50), env.clock);
    ASSERT_TRUE(log.isOk());
    std::atomic<uint64_t> acked{0};
    std::vector<std::thread> appenders;
    for (int t = 0; t < 6; ++t) {
      appenders.emplace_back([&, t] {
        for (int i = 0;; ++i) {
          const Ack ack = (t + i) % 2 == 0 ? Ack::kWritten : Ack::kDurable;
          auto seq = (*log)->append(decisionEvent(i, i % 4 == 0), ack);
          if (!seq.isOk()) {
            EXPECT_EQ(seq.status().code(), ErrorCode::kFailedPrecondition);
            return;
          }
          acked.fetch_add(1);
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE((*log)->close().isOk());
    for (auto& th : appenders) th.join();
    auto report = verifyLog(env.verifyOptions(true));
    EXPECT_EQ(report.exit_code, 0) << toText(report);
    EXPECT_EQ(report.unsealed, 0u) << toText(report);
    EXPECT_EQ(report.records, acked.load() + 2);  // + open and close
  }
}

// Whichever close() returns, the log is closed by then: the lock is released (a new open()
// succeeds), and no checkpoint or shred can follow the final checkpoint.
TEST(AuditLog, ConcurrentClosesBothReturnAClosedLog) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(log.isOk());
  ASSERT_TRUE((*log)->append(decisionEvent(1, true)).isOk());
  std::thread other([&] {
    EXPECT_TRUE((*log)->close().isOk());
    auto reopened = AuditLog::open(env.options(), env.clock);
    ASSERT_TRUE(reopened.isOk());
    EXPECT_TRUE((*reopened)->close().isOk());
  });
  EXPECT_TRUE((*log)->close().isOk());
  EXPECT_EQ((*log)->checkpointNow().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ((*log)->shredSubject("subject-1", "req-1").code(), ErrorCode::kFailedPrecondition);
  other.join();
  auto report = verifyLog(env.verifyOptions(true));
  EXPECT_EQ(report.exit_code, 0) << toText(report);
  EXPECT_EQ(report.unsealed, 0u);
}

TEST(AuditLog, CheckpointEveryNRecords) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(5), env.clock);
  ASSERT_TRUE(log.isOk());
  for (int i = 0; i < 12; ++i) ASSERT_TRUE((*log)->append(decisionEvent(i, false)).isOk());
  // Sequential appends are batches of one; the writer checkpoints after the batch that
  // reaches N.
  // Blocking appends: each is answered after its flush, and the checkpoint follows it.
  ASSERT_TRUE(waitForCheckpointOfAtLeast(**log, 11));
  EXPECT_EQ(latestCheckpointSize(**log), 11u);  // 1 open + 10 appends
  LogMutator m(env);
  EXPECT_EQ(m.checkpointNotes().size(), 4u);  // sizes 0 (new log), 1 (open), 6, 11
  ASSERT_TRUE((*log)->close().isOk());
}

// Ack::kWritten appends are written by the appending thread; the writer still signs the
// checkpoints they make due.
TEST(AuditLog, CheckpointsFollowAppendsThatOnlyWaitForTheWrite) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(5), env.clock);
  ASSERT_TRUE(log.isOk());
  for (int i = 0; i < 12; ++i)
    ASSERT_TRUE((*log)->append(decisionEvent(i, i % 2 == 0), Ack::kWritten).isOk());
  // Signed by the writer once the records are flushed, so it may cover a few more.
  EXPECT_TRUE(waitForCheckpointOfAtLeast(**log, 11)) << *(*log)->latestCheckpoint();
  ASSERT_TRUE((*log)->close().isOk());
  auto report = verifyLog(env.verifyOptions(true));
  EXPECT_EQ(report.exit_code, 0) << toText(report);
}

// The writer signs checkpoints that the syncer writes later, while checkpointNow() writes its
// own at once: the file must still hold strictly increasing sizes, each covering a prefix that
// verifies, and the last must cover the whole log.
TEST(AuditLog, CheckpointNowRacingTheWritersCheckpointsKeepsSizesIncreasing) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(3), env.clock);
  ASSERT_TRUE(log.isOk());
  std::atomic<bool> done{false};
  std::thread checkpointer([&] {
    while (!done.load()) EXPECT_TRUE((*log)->checkpointNow().isOk());
  });
  std::vector<std::thread> appenders;
  for (int t = 0; t < 4; ++t) {
    appenders.emplace_back([&, t] {
      for (int i = 0; i < 150; ++i) {
        const Ack ack = i % 2 == 0 ? Ack::kWritten : Ack::kDurable;
        EXPECT_TRUE((*log)->append(decisionEvent(t * 1000 + i, i % 5 == 0), ack).isOk());
      }
    });
  }
  for (auto& th : appenders) th.join();
  done.store(true);
  checkpointer.join();
  ASSERT_TRUE((*log)->close().isOk());
  LogMutator m(env);
  EXPECT_GT(m.checkpointNotes().size(), 10u);
  auto report = verifyLog(env.verifyOptions(true));
  EXPECT_EQ(report.exit_code, 0) << toText(report);
  EXPECT_EQ(report.records, 602u);  // + open and close
}

TEST(AuditLog, CheckpointEveryTSecondsUsesInjectedClock) {
  AuditEnv env;
  AuditOptions o = env.options(1000000);
  o.checkpoint_every = std::chrono::seconds(60);
  auto log = AuditLog::open(o, env.clock);
  ASSERT_TRUE(log.isOk());
  ASSERT_TRUE((*log)->append(decisionEvent(1, false)).isOk());
  env.clock.advance(std::chrono::seconds(59));
  ASSERT_TRUE((*log)->append(decisionEvent(2, false)).isOk());
  EXPECT_NE((*log)->latestCheckpoint()->find("\n1\n"), std::string::npos);
  env.clock.advance(std::chrono::seconds(2));
  // The writer polls the clock; give it a few rounds.
  for (int i = 0; i < 50 && (*log)->latestCheckpoint()->find("\n3\n") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE((*log)->latestCheckpoint()->find("\n3\n"), std::string::npos)
      << *(*log)->latestCheckpoint();
  ASSERT_TRUE((*log)->close().isOk());
}

TEST(AuditLog, CheckpointIsAC2spSignedNote) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(log.isOk());
  auto note = (*log)->latestCheckpoint();
  ASSERT_TRUE(note.isOk());
  auto keys = parseNoteKey(env.verifier_key);
  ASSERT_TRUE(keys.isOk());
  std::vector<NoteKey> trusted;
  trusted.push_back(std::move(*keys));
  Checkpoint cp;
  ASSERT_EQ(openCheckpoint(*note, trusted, cp), NoteError::kNone);
  EXPECT_EQ(cp.size, 1u);
  EXPECT_EQ(cp.origin.rfind("callwarden/audit/", 0), 0u);
  EXPECT_EQ(cp.time_s, 1784148000);  // 2026-07-15T20:40:00Z
  EXPECT_NE(note->find("\n\n\xe2\x80\x94 callwarden-audit "), std::string::npos);
}

TEST(AuditLog, ReopenContinuesTheChain) {
  AuditEnv env;
  buildLog(env, 7);
  {
    env.clock.advance(std::chrono::seconds(5));
    auto log = AuditLog::open(env.options(), env.clock);
    ASSERT_TRUE(log.isOk()) << log.status().toString();
    auto seq = (*log)->append(decisionEvent(100, true));
    ASSERT_TRUE(seq.isOk());
    EXPECT_EQ(*seq, 10u);  // open, 7, close, open
    ASSERT_TRUE((*log)->close().isOk());
  }
  auto report = verifyLog(env.verifyOptions(true));
  EXPECT_EQ(report.exit_code, 0) << toText(report);
  EXPECT_EQ(report.records, 12u);
}

TEST(AuditLog, SecondOpenOfSameDirectoryIsRefused) {
  AuditEnv env;
  auto a = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(a.isOk());
  auto b = AuditLog::open(env.options(), env.clock);
  ASSERT_FALSE(b.isOk());
  EXPECT_EQ(b.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(b.status().message().find("in use"), std::string::npos);
}

TEST(AuditLog, RejectsMalformedEvents) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(log.isOk());
  AuditEvent no_subject{EventType::kDecision, {}, "", {{"phone", "+15415550123"}}};
  EXPECT_EQ((*log)->append(no_subject).status().code(), ErrorCode::kInvalidArgument);
  AuditEvent bad_type{static_cast<EventType>(999), {}, "", {}};
  EXPECT_EQ((*log)->append(bad_type).status().code(), ErrorCode::kInvalidArgument);
  AuditEvent huge{EventType::kDecision, {{"x", std::string(17u << 20, 'a')}}, "", {}};
  EXPECT_EQ((*log)->append(huge).status().code(), ErrorCode::kInvalidArgument);
  // A rejected event does not use up a sequence number or hurt health.
  EXPECT_EQ((*log)->append(decisionEvent(1, false)).value(), 1u);
  EXPECT_TRUE((*log)->health().isOk());
}

// appendAsync() keeps many appends in flight from one thread; each future gets its own seq,
// a malformed event's future is ready at once, and after close() they fail.
TEST(AuditLog, AsyncAppendsEachGetTheirOwnSeqAndMalformedOnesFailAtOnce) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(log.isOk());
  std::vector<std::future<Result<uint64_t>>> inflight;
  for (int i = 0; i < 50; ++i)
    inflight.push_back((*log)->appendAsync(decisionEvent(i, i % 2 == 0),
                                           i % 3 == 0 ? Ack::kWritten : Ack::kDurable));
  auto bad = (*log)->appendAsync(AuditEvent{static_cast<EventType>(999), {}, "", {}});
  ASSERT_EQ(bad.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(bad.get().status().code(), ErrorCode::kInvalidArgument);
  std::set<uint64_t> seqs;
  for (auto& f : inflight) {
    auto seq = f.get();
    ASSERT_TRUE(seq.isOk()) << seq.status().toString();
    seqs.insert(*seq);
  }
  EXPECT_EQ(seqs.size(), 50u);
  EXPECT_EQ(*seqs.begin(), 1u);
  EXPECT_EQ(*seqs.rbegin(), 50u);
  ASSERT_TRUE((*log)->close().isOk());
  EXPECT_EQ((*log)->appendAsync(decisionEvent(1, false)).get().status().code(),
            ErrorCode::kFailedPrecondition);
}

TEST(AuditLog, RefusesToOpenWithMissingKeyFile) {
  AuditEnv env;
  AuditOptions o = env.options();
  o.kek_file = env.tmp.path() + "/nope";
  auto log = AuditLog::open(o, env.clock);
  ASSERT_FALSE(log.isOk());
  EXPECT_EQ(log.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(log.status().message().find(o.kek_file), std::string::npos);
  EXPECT_NE(log.status().message().find("keys init"), std::string::npos);
}

TEST(AuditLog, RefusesToOpenWithGroupOrOtherReadableKeyFile) {
  const struct {
    const char* name;
    mode_t mode;
    bool ok;
  } cases[] = {{"0600", 0600, true},  {"0400", 0400, true},  {"0640", 0640, false},
               {"0604", 0604, false}, {"0620", 0620, false}, {"0666", 0666, false}};
  for (const auto& c : cases) {
    AuditEnv env;
    ASSERT_EQ(::chmod(env.sk.c_str(), c.mode), 0);
    Status s = checkKeyFile(env.sk);
    EXPECT_EQ(s.isOk(), c.ok) << c.name << ": " << s.toString();
    auto log = AuditLog::open(env.options(), env.clock);
    EXPECT_EQ(log.isOk(), c.ok) << c.name;
    if (!c.ok) {
      EXPECT_EQ(log.status().code(), ErrorCode::kPermissionDenied);
      EXPECT_NE(log.status().message().find("chmod 600"), std::string::npos)
          << log.status().message();
      EXPECT_NE(log.status().message().find(c.name), std::string::npos) << log.status().message();
    }
  }
}

TEST(AuditLog, InitKeysCreatesPrivateFilesAndRefusesOverwrite) {
  testing::TempDir tmp;
  const std::string kek = tmp.path() + "/kek", sk = tmp.path() + "/sk";
  auto pub = initKeys(kek, sk);
  ASSERT_TRUE(pub.isOk()) << pub.status().toString();
  EXPECT_EQ(pub->rfind("callwarden-audit+", 0), 0u) << *pub;
  EXPECT_EQ(pub->find("PRIVATE"), std::string::npos);
  for (const auto& p : {kek, sk}) {
    struct stat st {};
    ASSERT_EQ(::stat(p.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << p;
  }
  const std::string before = slurp(kek);
  auto again = initKeys(kek, tmp.path() + "/sk2");
  ASSERT_FALSE(again.isOk());
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(slurp(kek), before);
  EXPECT_FALSE(fileExists(tmp.path() + "/sk2"));
  // The returned verifier key verifies what the signing key signs.
  auto signer = loadSigningKey(sk);
  auto verifier = parseNoteKey(*pub);
  ASSERT_TRUE(signer.isOk() && verifier.isOk());
  EXPECT_EQ(signer->key_id, verifier->key_id);
  auto sig = signer->key.sign("hello");
  EXPECT_TRUE(verifier->key.verify("hello", sig->data()));
}

TEST(AuditLog, DeletedDirectoryFailsClosed) {
  AuditEnv env;
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(log.isOk());
  ASSERT_TRUE((*log)->append(decisionEvent(1, false)).isOk());
  std::filesystem::remove_all(env.dir);
  EXPECT_FALSE((*log)->health().isOk());
  auto seq = (*log)->append(decisionEvent(2, false));
  ASSERT_FALSE(seq.isOk());
  EXPECT_EQ(seq.status().code(), ErrorCode::kUnavailable);
  // Sticky: it stays failed.
  EXPECT_EQ((*log)->append(decisionEvent(3, false)).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ((*log)->health().code(), ErrorCode::kUnavailable);
}

// A real write failure (EFBIG from RLIMIT_FSIZE) in a child process, so the limit cannot
// affect the rest of the test binary. The child reports through its exit status.
TEST(AuditLog, WriteFailureMakesAppendFailAndHealthBad) {
  AuditEnv env;
  {
    auto log = AuditLog::open(env.options(), env.clock);
    ASSERT_TRUE(log.isOk());
  }
  const off_t size = static_cast<off_t>(std::filesystem::file_size(env.records()));
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    auto log = AuditLog::open(env.options(), env.clock);
    if (!log.isOk()) ::_exit(10);
    struct rlimit rl {};
    rl.rlim_cur = rl.rlim_max = static_cast<rlim_t>(size + 4096);
    if (::setrlimit(RLIMIT_FSIZE, &rl) != 0) ::_exit(11);
    AuditEvent big{EventType::kDecision, {{"pad", std::string(1500, 'p')}}, "", {}};
    int ok = 0;
    for (int i = 0; i < 20; ++i) {
      auto s = (*log)->append(big);
      if (!s.isOk()) {
        if (s.status().code() != ErrorCode::kUnavailable) ::_exit(12);
        if ((*log)->health().isOk()) ::_exit(13);
        if ((*log)->append(decisionEvent(1, false)).isOk()) ::_exit(14);
        ::_exit(ok > 0 ? 0 : 15);
      }
      ++ok;
    }
    ::_exit(16);  // never failed
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // The torn, unacknowledged tail is repaired at the next open, and the repair is logged.
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(log.isOk()) << log.status().toString();
  ASSERT_TRUE((*log)->close().isOk());
  auto report = verifyLog(env.verifyOptions(true));
  EXPECT_EQ(report.exit_code, 0) << toText(report);
  std::ostringstream out;
  ASSERT_TRUE(
      exportRecords(env.verifyOptions(true), Timestamp::min(), Timestamp::max(), out).isOk());
  EXPECT_NE(out.str().find("\"type\":\"audit_repair\""), std::string::npos);
}

TEST(AuditLog, TornTailIsRepairedAndLogged) {
  AuditEnv env;
  buildLog(env, 5);
  // A crash in the middle of a batch write: half a frame after the last checkpoint.
  std::string all = slurp(env.records());
  LogMutator m(env);
  testing::spit(env.records(), all + m.frame(2).substr(0, 40));
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_TRUE(log.isOk()) << log.status().toString();
  ASSERT_TRUE((*log)->close().isOk());
  auto report = verifyLog(env.verifyOptions());
  EXPECT_EQ(report.exit_code, 0) << toText(report);
  std::ostringstream out;
  ASSERT_TRUE(exportRecords(env.verifyOptions(), Timestamp::min(), Timestamp::max(), out).isOk());
  EXPECT_NE(out.str().find("records.log: cut 40 bytes"), std::string::npos) << out.str();
}

// A torn batch write leaves nothing after the damage. Whole records after it were written
// later, perhaps acknowledged: the log refuses to open rather than cut them.
TEST(AuditLog, DamageFollowedByWholeRecordsIsRefusedNotCut) {
  AuditEnv env;
  buildLog(env, 5);
  LogMutator m(env);
  const std::string damaged = slurp(env.records()) + m.frame(2).substr(0, 40) + m.frame(3);
  testing::spit(env.records(), damaged);
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_FALSE(log.isOk());
  EXPECT_EQ(log.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(log.status().message().find("whole records follow"), std::string::npos)
      << log.status().message();
  EXPECT_EQ(slurp(env.records()), damaged);  // untouched
}

TEST(AuditLog, DamageCoveredByCheckpointIsNeverRepaired) {
  AuditEnv env;
  buildLog(env, 5);
  LogMutator m(env);
  m.flipBit(m.offsetOf(3) + 60, 2);
  const std::string before = slurp(env.records());
  auto log = AuditLog::open(env.options(), env.clock);
  ASSERT_FALSE(log.isOk());
  EXPECT_EQ(log.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(log.status().message().find("audit verify"), std::string::npos);
  EXPECT_EQ(slurp(env.records()), before);  // untouched
}

TEST(AuditLog, ChangedOriginIsRefused) {
  AuditEnv env;
  buildLog(env, 2);
  AuditOptions o = env.options();
  o.origin = "other/origin";
  auto log = AuditLog::open(o, env.clock);
  ASSERT_FALSE(log.isOk());
  EXPECT_NE(log.status().message().find("origin"), std::string::npos);
}

}  // namespace
}  // namespace callwarden::audit
