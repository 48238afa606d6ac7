#include "audit/AuditLog.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "audit/Checkpoint.h"
#include "audit/FileUtil.h"
#include "audit/Keys.h"
#include "audit/LogScanner.h"
#include "audit/Merkle.h"
#include "audit/RecordCodec.h"
#include "audit/SubjectKeyStore.h"
#include "common/Hex.h"
#include "common/Random.h"
#include "common/SpinThenWaitMutex.h"
#include "common/ThreadName.h"

namespace callwarden::audit {

namespace {

// Whether a whole, checksummed record starts anywhere after `from` in the first `n` bytes.
bool wholeRecordAfter(const uint8_t* data, size_t n, size_t from) {
  Sha256 h;
  RecordView view;
  Hash leaf;
  for (size_t pos = from + 1; pos < n; ++pos) {
    if (decodeFrame(data + pos, n - pos, h, view, leaf) == DecodeResult::kOk) return true;
  }
  return false;
}
int64_t micros(Timestamp t) {
  return t.time_since_epoch().count();
}

// Where a blocking append() waits for its answer, on the appender's stack. Not a
// std::promise: set_value() goes through std::call_once, and glibc's pthread_once ends with a
// futex wake whether or not anyone waits, a system call on every call check.
class Waiter {
 public:
  void set(Result<uint64_t> r) {
    // Notified under the lock: the waiter cannot return (and destroy this) before it has it.
    std::lock_guard lock(mu_);
    result_ = std::move(r);
    cv_.notify_one();
  }
  Result<uint64_t> wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return result_.has_value(); });
    return std::move(*result_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Result<uint64_t>> result_;
};

// One append waiting to be written. Owned by the queue, then by the batch of whichever thread
// writes it (the writer, or a kWritten appender); the appender holds only its Waiter or
// future, so no wake-up is shared between appenders.
struct Request {
  EventType type{};
  std::string clear;
  std::string personal;
  std::optional<SealKey> seal;
  bool ack_on_write = false;  // Ack::kWritten
  Status status;
  uint64_t seq = 0;
  Waiter* waiter = nullptr;                               // append()
  std::optional<std::promise<Result<uint64_t>>> promise;  // appendAsync()

  void finish() {
    Result<uint64_t> r = status.isOk() ? Result<uint64_t>(seq) : Result<uint64_t>(status);
    if (waiter != nullptr) {
      waiter->set(std::move(r));
    } else if (promise) {
      promise->set_value(std::move(r));
    }
  }
};
using RequestPtr = std::unique_ptr<Request>;

// A caller of whenDurable(): told once record `seq` is durable, or the log has failed.
struct DurableWaiter {
  uint64_t seq;
  std::function<void(const Status&)> done;
};

}  // namespace

class AuditLogImpl {
 public:
  AuditLogImpl(const AuditOptions& o, const Clock& c) : options_(o), clock_(c) {}
  ~AuditLogImpl() {
    if (lock_fd_ >= 0) ::close(lock_fd_);
    if (log_fd_ >= 0) ::close(log_fd_);
    if (ckpt_fd_ >= 0) ::close(ckpt_fd_);
  }

  Status open(std::vector<std::string>& repairs);
  Result<uint64_t> append(const AuditEvent& event, Ack ack);
  Result<RequestPtr> makeRequest(const AuditEvent& event, Ack ack);
  std::future<Result<uint64_t>> appendAsync(const AuditEvent& event, Ack ack);
  void whenDurable(uint64_t seq, std::function<void(const Status&)> done);
  /// Waits for `req`'s answer.
  Result<uint64_t> submitAndWait(RequestPtr req);
  /// Queues `req` (or answers it at once if the log is closed or failed) and, for
  /// Ack::kWritten, writes the queue from this thread.
  void submit(RequestPtr req);
  void writeQueuedNow();
  Status shredSubject(const std::string& subject_key, const std::string& request_ref);
  Result<std::string> latestCheckpoint() const;
  Status checkpointNow();
  Status health() const;
  Status close();
  uint64_t size() const {
    std::lock_guard lock(write_mu_);
    return next_seq_;
  }
  void startWriter() {
    {
      std::lock_guard lock(sync_mu_);
      written_ = sync_started_ = durable_ = next_seq_;  // what open() found is on disk
    }
    writer_ = std::thread([this] {
      nameCurrentThread("cw-audit-write");
      writerLoop();
    });
    syncer_ = std::thread([this] {
      nameCurrentThread("cw-audit-sync");
      syncLoop();
    });
  }

 private:
  void writerLoop();
  void processBatch(std::vector<RequestPtr>& batch);
  void handOff(std::vector<RequestPtr>& batch, uint64_t end);
  void syncLoop();
  /// Requires sync_mu_. Moves out the whenDurable() callers a flush has answered: all of them
  /// once the log has failed (or `all`), else those whose record is durable.
  std::vector<DurableWaiter> takeAnsweredWaitersLocked(bool all = false);
  /// Calls each waiter, without a lock held: ok if its record is durable, else the failure.
  void answerWaiters(std::vector<DurableWaiter>& waiters);
  Status drain();  // waits until every written record is durable
  bool checkpointDue() const;
  struct SignedCheckpoint {
    uint64_t size = 0;
    std::string note;
  };
  /// Signs a checkpoint of everything written so far; requires write_mu_.
  Result<SignedCheckpoint> sealCheckpoint();
  /// Appends `cp` to checkpoints.log unless a checkpoint as large is already there.
  Status writeCheckpoint(SignedCheckpoint cp, bool sync);
  void fail(const Status& s);
  /// An fsync'd write to a file nobody can reach any more is not a durable audit record.
  Status checkLinked() const {
    struct stat st {};
    if (::fstat(log_fd_, &st) != 0) return errnoStatus("cannot stat", path("records.log"));
    if (st.st_nlink == 0) return Status::ioError(path("records.log") + " was deleted or replaced");
    return Status::ok();
  }

  std::string path(const char* name) const { return options_.dir + "/" + name; }

  // Constant after open().
  const AuditOptions options_;
  const Clock& clock_;
  std::string origin_;
  std::unique_ptr<NoteKey> signer_;
  std::unique_ptr<SubjectKeyStore> subjects_;
  int lock_fd_ = -1;
  int log_fd_ = -1;
  int ckpt_fd_ = -1;

  // Writer state, protected by write_mu_ (held by the writer thread for a whole batch).
  mutable SpinThenWaitMutex write_mu_;
  LogId log_id_{};
  uint64_t next_seq_ = 0;
  Hash prev_{};
  CompactRange range_;
  Sha256 hasher_;
  std::string buffer_;
  uint64_t checkpoint_size_ = 0;  // of the latest checkpoint signed (it may not be written yet)
  Timestamp checkpoint_time_{};

  // checkpoints.log, protected by ckpt_mu_. Its sizes must strictly increase, and the writer
  // (through the syncer) and checkpointNow() both write to it.
  std::mutex ckpt_mu_;
  std::optional<uint64_t> ckpt_written_size_;  // of the last checkpoint in the file

  mutable std::mutex note_mu_;
  std::string latest_note_;  // guarded by note_mu_; the last checkpoint written

  // Queue, protected by q_mu_.
  mutable std::mutex q_mu_;
  std::condition_variable q_cv_;  // writer waits for work
  std::vector<RequestPtr> queue_;
  bool stop_ = false;    // the writer ends once the queue is empty
  bool closed_ = false;  // appends are refused (set when close() begins)
  // Held through close() and through a shred: close() must not release the directory while a
  // shred still rewrites subjects.log, and a second close() returns only once the first is done.
  std::mutex lifecycle_mu_;
  bool checkpoint_wanted_ = false;  // set by writeQueuedNow() for the writer
  std::thread writer_;

  // Sync stage, protected by sync_mu_. The writer seals and write()s batches in order and
  // answers kWritten appends; the syncer fdatasyncs and answers what each flush covered. So
  // the writer never waits for the disk, and a batch written during a flush is in the next.
  struct Unsynced {
    uint64_t end;  // records in the file once this batch is written
    std::vector<RequestPtr> batch;
  };
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::deque<Unsynced> unsynced_;
  std::vector<DurableWaiter> durable_waiters_;  // whenDurable() callers; each wants a flush now
  uint64_t written_ = 0;                        // records written to the file
  uint64_t sync_started_ = 0;                   // records covered by the latest fdatasync begun
  uint64_t durable_ = 0;                        // records covered by a finished fdatasync
  // Group commit (AuditOptions::flush_delay): whether the last flush answered more than one
  // caller waiting for the disk, or more began waiting while it ran (then the next flush is
  // worth delaying), and whether the syncer is waiting for them to join a flush (then nobody
  // needs to wake it: it flushes when done).
  bool waiters_overlap_ = false;
  bool gathering_ = false;
  std::atomic<bool> closing_{false};  // close() has begun: flush at once from here on
  // Signed by the writer; the syncer writes it once a flush covers it, so that a checkpoint
  // never covers a record that is not durable and the writer never waits for the disk.
  std::optional<SignedCheckpoint> pending_checkpoint_;
  bool sync_stop_ = false;
  std::thread syncer_;

  std::atomic<bool> failed_{false};
  mutable std::mutex fail_mu_;
  Status failure_;  // guarded by fail_mu_, first failure only
};

void AuditLogImpl::fail(const Status& s) {
  {
    std::lock_guard lock(fail_mu_);
    if (failed_.load()) return;
    failure_ = Status::unavailable("audit log failed: " + s.message());
    failed_.store(true);
  }
  // The syncer answers whenDurable() callers with the failure; it may be asleep with nothing
  // to flush. (Taking sync_mu_ first means it is either waiting, or will see failed_.)
  { std::lock_guard sync(sync_mu_); }
  sync_cv_.notify_all();
}

Status AuditLogImpl::open(std::vector<std::string>& repairs) {
  if (options_.dir.empty()) return Status::invalidArgument("audit.dir is not set");
  if (options_.checkpoint_every_records == 0)
    return Status::invalidArgument("checkpoint_every_records must be > 0");
  for (const auto* f : {&options_.kek_file, &options_.signing_key_file}) {
    Status s = checkKeyFile(*f);
    if (!s.isOk()) return s;
  }
  auto kek = loadKek(options_.kek_file);
  if (!kek.isOk()) return kek.status();
  auto signer = loadSigningKey(options_.signing_key_file);
  if (!signer.isOk()) return signer.status();
  signer_ = std::make_unique<NoteKey>(std::move(*signer));

  if (::mkdir(options_.dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return errnoStatus("cannot create audit directory", options_.dir);
  }
  lock_fd_ = ::open(path("LOCK").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) return errnoStatus("cannot open", path("LOCK"));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::error(ErrorCode::kFailedPrecondition,
                         "audit directory " + options_.dir + " is in use by another process");
  }

  // Checkpoints: every one must carry our signature. A torn last frame is what a crash
  // during an unsynced checkpoint write leaves; it covers nothing yet, so it may be cut.
  std::vector<NoteKey> keys;
  {
    auto self = parseNoteKey(verifierKeyString(*signer_));
    if (!self.isOk()) return self.status();
    keys.push_back(std::move(*self));
  }
  CheckpointSet cps;
  std::optional<ScanFailure> cp_failure;
  Status s = readCheckpoints(path("checkpoints.log"), keys, cps, cp_failure);
  if (!s.isOk()) return s;
  if (cp_failure && !cp_failure->incomplete) {
    return Status::corruption("audit checkpoints in " + options_.dir + " failed verification (" +
                              cp_failure->kind + ": " + cp_failure->message +
                              "); run `callwarden audit verify`");
  }
  if (cp_failure) {
    if (::truncate(path("checkpoints.log").c_str(), static_cast<off_t>(cps.valid_bytes)) != 0) {
      return errnoStatus("cannot truncate", path("checkpoints.log"));
    }
    repairs.push_back("checkpoints.log: cut torn frame of " +
                      std::to_string(cps.file_bytes - cps.valid_bytes) + " bytes at offset " +
                      std::to_string(cps.valid_bytes));
  }

  std::string subj_repair;
  auto store = SubjectKeyStore::open(path("subjects.log"), *kek, /*repair=*/true, &subj_repair);
  if (!store.isOk()) return store.status();
  subjects_ = std::move(*store);
  if (!subj_repair.empty()) repairs.push_back(subj_repair);

  // Records. Collect erasures to finish shreds a crash may have interrupted (the erasure
  // record is written first; the key file is rewritten after it).
  std::vector<SubjectId> erased;
  RecordHook hook = [&](const RecordView& r, ScanFailure&) {
    if (auto id = erasedSubject(r)) erased.push_back(*id);
    return true;
  };
  ScanState st;
  {
    auto mapped = MappedFile::open(path("records.log"));
    if (!mapped.isOk() && mapped.status().code() != ErrorCode::kNotFound) return mapped.status();
    if (mapped.isOk()) {
      scanRecords(mapped->data(), mapped->size(), rootTargets(cps.list), hook, st);
      const uint64_t covered = cps.list.empty() ? 0 : cps.list.back().size;
      if (st.failure) {
        const auto& f = *st.failure;
        // Only a frame that does not decode can be a crash artifact: whole frames are
        // written in order, so a complete frame breaking a chain rule is tampering.
        if (f.kind != "decode_error" || st.records < covered) {
          return Status::corruption(
              "audit record " + std::to_string(f.seq) + " in " + options_.dir +
              " is covered by a signed checkpoint and failed verification (" + f.kind + ": " +
              f.message + "); refusing to repair it; run `callwarden audit verify`");
        }
        // A crash during a batch write leaves a torn tail and nothing after it. Whole records
        // after the damage were written (and perhaps acknowledged) after it: cutting would
        // lose them, so that is refused like tampering.
        if (wholeRecordAfter(mapped->data(), mapped->size(), st.valid_bytes)) {
          return Status::corruption(
              "audit record " + std::to_string(f.seq) + " in " + options_.dir +
              " does not decode (" + f.message +
              ") and whole records follow it; refusing to cut them; run `callwarden audit "
              "verify`");
        }
        // Not covered by any checkpoint, hence never part of a signed statement: this is
        // what a crash during a batch write leaves. Cut it and say so in the log itself.
        repairs.push_back("records.log: cut " + std::to_string(mapped->size() - st.valid_bytes) +
                          " bytes at offset " + std::to_string(st.valid_bytes) + " (seq " +
                          std::to_string(st.records) + ", " + f.kind + ": " + f.message + ")");
        if (::truncate(path("records.log").c_str(), static_cast<off_t>(st.valid_bytes)) != 0) {
          return errnoStatus("cannot truncate", path("records.log"));
        }
      }
      if (st.records < covered) {
        return Status::corruption("the audit checkpoint covers " + std::to_string(covered) +
                                  " records but only " + std::to_string(st.records) +
                                  " are stored in " + options_.dir + "; refusing to open");
      }
    }
  }
  if (st.records > 0 && cps.list.empty()) {
    // A new log signs a size-0 checkpoint before its first record, so records without any
    // checkpoint are never a crash artifact: the checkpoints were removed (a downgrade).
    return Status::corruption(
        "audit records in " + options_.dir +
        " have no signed checkpoint; refusing to open; run `callwarden audit verify`");
  }
  if (st.have_log_id) {
    log_id_ = st.log_id;
  } else {
    if (!cps.list.empty())
      return Status::corruption("audit checkpoints exist but records.log is empty");
    randomBytes(log_id_.data(), log_id_.size());
  }
  origin_ = options_.origin + "/" + toHex(log_id_.data(), log_id_.size());
  if (!cps.list.empty() && cps.list.back().origin != origin_) {
    return Status::invalidArgument("stored checkpoints name origin " + cps.list.back().origin +
                                   " but the configured origin gives " + origin_);
  }
  next_seq_ = st.records;
  prev_ = st.prev;
  range_ = st.range;
  checkpoint_size_ = cps.list.empty() ? 0 : cps.list.back().size;
  checkpoint_time_ = clock_.now();
  if (!cps.list.empty()) ckpt_written_size_ = cps.list.back().size;
  if (!cps.notes.empty()) latest_note_ = cps.notes.back();

  for (const auto& id : erased) {
    auto state = subjects_->state(id);
    if (state && !state->shredded) {
      Status m = subjects_->markShredded(id, micros(clock_.now()));
      if (!m.isOk()) return m;
      repairs.push_back("subjects.log: completed interrupted shred of subject " +
                        toHex(id.data(), 16));
    }
  }
  s = subjects_->persistShreds();
  if (!s.isOk()) return s;

  log_fd_ = ::open(path("records.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd_ < 0) return errnoStatus("cannot open", path("records.log"));
  ckpt_fd_ =
      ::open(path("checkpoints.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (ckpt_fd_ < 0) return errnoStatus("cannot open", path("checkpoints.log"));
  if (cps.list.empty()) {
    std::lock_guard lock(write_mu_);
    // Size 0: commits to the log id before any record exists.
    auto cp = sealCheckpoint();
    s = cp.isOk() ? writeCheckpoint(std::move(*cp), true) : cp.status();
    if (!s.isOk()) return s;
  }
  return fsyncDir(options_.dir);
}

Result<RequestPtr> AuditLogImpl::makeRequest(const AuditEvent& event, Ack ack) {
  if (!isKnownEventType(static_cast<uint16_t>(event.type))) {
    return Status::invalidArgument("unknown audit event type " +
                                   std::to_string(static_cast<int>(event.type)));
  }
  if (event.subject_key.empty() && !event.personal.empty()) {
    return Status::invalidArgument("personal audit fields need a subject_key");
  }
  auto req = std::make_unique<Request>();
  req->type = event.type;
  req->ack_on_write = ack == Ack::kWritten;
  auto clear = encodeFields(event.clear);
  if (!clear.isOk()) return clear.status();
  req->clear = std::move(*clear);
  if (!event.subject_key.empty()) {
    auto personal = encodeFields(event.personal);
    if (!personal.isOk()) return personal.status();
    req->personal = std::move(*personal);
    if (failed_.load()) return health();
    auto key = subjects_->acquire(event.subject_key, micros(clock_.now()));
    if (!key.isOk()) return key.status();
    req->seal = *key;
  }
  return req;
}

Result<uint64_t> AuditLogImpl::append(const AuditEvent& event, Ack ack) {
  auto req = makeRequest(event, ack);
  if (!req.isOk()) return req.status();
  return submitAndWait(std::move(*req));
}

std::future<Result<uint64_t>> AuditLogImpl::appendAsync(const AuditEvent& event, Ack ack) {
  auto req = makeRequest(event, ack);
  std::promise<Result<uint64_t>> p;
  auto f = p.get_future();
  if (!req.isOk()) {
    p.set_value(req.status());
    return f;
  }
  (*req)->promise.emplace(std::move(p));
  submit(std::move(*req));
  return f;
}

Result<uint64_t> AuditLogImpl::submitAndWait(RequestPtr req) {
  Waiter waiter;
  req->waiter = &waiter;
  submit(std::move(req));
  return waiter.wait();
}

void AuditLogImpl::submit(RequestPtr req) {
  const bool written = req->ack_on_write;
  {
    std::unique_lock lock(q_mu_);
    if (closed_ || stop_) {
      lock.unlock();
      req->status = Status::error(ErrorCode::kFailedPrecondition, "audit log is closed");
      req->finish();
      return;
    }
    if (failed_.load()) {
      lock.unlock();
      req->status = health();
      req->finish();
      return;
    }
    queue_.push_back(std::move(req));
    if (!written) q_cv_.notify_one();
  }
  if (written) writeQueuedNow();
}

// Ack::kWritten appends are written by the appending threads themselves: that saves the two
// thread hand-offs (to the writer and back) that otherwise make up much of a call check's
// latency. An appender that finds write_mu_ taken waits for it rather than waking the writer:
// whoever holds it next writes everything queued by then, its own request and the others'
// (so concurrent checks still share one write()). An appender whose request was taken along
// by another thread, or by the writer, finds the queue empty and returns to wait for the
// answer that thread gives it.
void AuditLogImpl::writeQueuedNow() {
  std::lock_guard write(write_mu_);
  std::vector<RequestPtr> batch;
  {
    std::lock_guard lock(q_mu_);
    batch.swap(queue_);
  }
  if (batch.empty()) return;
  processBatch(batch);
  handOff(batch, next_seq_);
  if (!failed_.load() && checkpointDue()) {
    // A signature costs more than a record; leave it to the writer, not a request thread.
    std::lock_guard lock(q_mu_);
    checkpoint_wanted_ = true;
    q_cv_.notify_one();
  }
}

bool AuditLogImpl::checkpointDue() const {
  const uint64_t pending = next_seq_ - checkpoint_size_;
  if (pending == 0) return false;
  return pending >= options_.checkpoint_every_records ||
         clock_.now() - checkpoint_time_ >= options_.checkpoint_every;
}

void AuditLogImpl::writerLoop() {
  std::vector<RequestPtr> batch;
  for (;;) {
    {
      std::unique_lock lock(q_mu_);
      // The wait bound only paces the time-based checkpoint check; the decision uses clock_.
      q_cv_.wait_for(lock, std::chrono::milliseconds(200),
                     [&] { return !queue_.empty() || stop_ || checkpoint_wanted_; });
      if (queue_.empty() && stop_) return;
    }
    // The queue is taken only under write_mu_, here as in writeQueuedNow(): taking a batch and
    // writing it are one step, so records are written in the order they were queued (the
    // close record last), and batches reach the syncer in the order they were written.
    std::lock_guard lock(write_mu_);
    {
      std::lock_guard queue(q_mu_);
      batch.swap(queue_);
      checkpoint_wanted_ = false;
    }
    if (!batch.empty()) {
      processBatch(batch);
      handOff(batch, next_seq_);
      batch.clear();
    }
    if (!failed_.load() && checkpointDue()) {
      // A checkpoint may only cover durable records. Waiting here for the flush stalled
      // every append for a flush interval plus a flush, each checkpoint (p99 3-5 ms at four
      // connections), so the syncer writes it once its flush covers it.
      auto cp = sealCheckpoint();
      if (!cp.isOk()) {
        fail(cp.status());
      } else {
        {
          std::lock_guard sync(sync_mu_);
          pending_checkpoint_ = std::move(*cp);  // a newer one supersedes an unwritten one
        }
        sync_cv_.notify_all();
      }
    }
  }
}

void AuditLogImpl::handOff(std::vector<RequestPtr>& batch, uint64_t end) {
  std::vector<RequestPtr> answered;
  std::vector<DurableWaiter> waiters;
  bool wake_syncer = true;
  {
    std::lock_guard lock(sync_mu_);
    if (failed_.load()) {
      // Nothing written but not yet flushed can be promised any more.
      for (auto& u : unsynced_)
        for (auto& r : u.batch) answered.push_back(std::move(r));
      unsynced_.clear();
      waiters = takeAnsweredWaitersLocked();
      for (auto& r : batch) answered.push_back(std::move(r));
      for (auto& r : answered) r->status = health();
    } else {
      // The syncer needs waking only for an append waiting for the disk, or when it sleeps
      // with nothing to flush. Otherwise it already waits until its next kWritten flush, or
      // is flushing and looks at written_ again afterwards. (That wake-up on every check was
      // a futex call and a context switch per check.)
      wake_syncer = written_ <= sync_started_;
      written_ = std::max(written_, end);
      std::vector<RequestPtr> waiting;
      for (auto& r : batch) {
        // Refused appends, and kWritten ones now that their record is written, are answered
        // at once; the rest when a flush covers `end`.
        if (!r->status.isOk() || r->ack_on_write || end <= durable_)
          answered.push_back(std::move(r));
        else
          waiting.push_back(std::move(r));
      }
      if (!waiting.empty()) {
        unsynced_.push_back({end, std::move(waiting)});
        wake_syncer = true;
      }
      wake_syncer = wake_syncer && !gathering_;
    }
  }
  if (wake_syncer) sync_cv_.notify_all();
  for (auto& r : answered) r->finish();
  answerWaiters(waiters);
}

std::vector<DurableWaiter> AuditLogImpl::takeAnsweredWaitersLocked(bool all) {
  const bool everyone = all || failed_.load();
  auto waiting =
      std::stable_partition(durable_waiters_.begin(), durable_waiters_.end(),
                            [&](const DurableWaiter& w) { return !everyone && w.seq >= durable_; });
  std::vector<DurableWaiter> out(std::make_move_iterator(waiting),
                                 std::make_move_iterator(durable_waiters_.end()));
  durable_waiters_.erase(waiting, durable_waiters_.end());
  return out;
}

void AuditLogImpl::answerWaiters(std::vector<DurableWaiter>& waiters) {
  if (waiters.empty()) return;
  uint64_t durable;
  {
    std::lock_guard lock(sync_mu_);
    durable = durable_;
  }
  for (auto& w : waiters) w.done(w.seq < durable ? Status::ok() : health());
  waiters.clear();
}

void AuditLogImpl::whenDurable(uint64_t seq, std::function<void(const Status&)> done) {
  bool written;
  {
    std::lock_guard lock(sync_mu_);
    written = seq < written_;
    if (written && !failed_.load() && seq >= durable_ && !sync_stop_) {
      durable_waiters_.push_back({seq, std::move(done)});
      // A caller waiting for the disk starts a flush at once, or joins the one being gathered.
      if (!gathering_) sync_cv_.notify_all();
      return;
    }
  }
  if (!written) {
    // Not a record written by this log: never promise it.
    done(Status::invalidArgument("audit record " + std::to_string(seq) + " was not written"));
    return;
  }
  std::vector<DurableWaiter> now{{seq, std::move(done)}};
  answerWaiters(now);
}

void AuditLogImpl::syncLoop() {
  auto last_flush = std::chrono::steady_clock::now();
  for (;;) {
    uint64_t target = 0;
    std::optional<SignedCheckpoint> checkpoint;
    std::vector<DurableWaiter> failed_waiters;
    {
      std::unique_lock lock(sync_mu_);
      // An append waiting for the disk, or a checkpoint, is flushed at once. Records only
      // written (Ack::kWritten) are flushed at most written_flush_interval apart: back-to-back
      // flushes cost a core's worth of kernel time here and delay the request threads (p99
      // 11 ms at 4 connections).
      bool gathered = false;
      for (;;) {
        if (failed_.load() && !durable_waiters_.empty()) {
          failed_waiters = takeAnsweredWaitersLocked();
          break;
        }
        if (pending_checkpoint_ && pending_checkpoint_->size <= durable_) {
          checkpoint = std::move(pending_checkpoint_);
          pending_checkpoint_.reset();
          break;
        }
        if (sync_stop_ && written_ <= sync_started_) return;  // nothing left to flush
        const bool disk_waiter = !unsynced_.empty() || !durable_waiters_.empty();
        if (written_ > sync_started_ && disk_waiter && !gathered && waiters_overlap_ &&
            !sync_stop_ && !closing_.load() && !pending_checkpoint_ &&
            options_.flush_delay.count() > 0) {
          // Group commit: others wait for the disk too, so let them join this flush rather than
          // each start one of their own. Wake-ups meanwhile are not needed (gathering_).
          gathering_ = true;
          sync_cv_.wait_for(lock, options_.flush_delay,
                            [&] { return sync_stop_ || closing_.load() || failed_.load(); });
          gathering_ = false;
          gathered = true;
          continue;  // a failure, a stop or a checkpoint may have come meanwhile
        }
        if (written_ > sync_started_ &&
            (sync_stop_ || disk_waiter || pending_checkpoint_ ||
             std::chrono::steady_clock::now() >= last_flush + options_.written_flush_interval)) {
          target = sync_started_ = written_;
          break;
        }
        if (written_ > sync_started_)
          sync_cv_.wait_until(lock, last_flush + options_.written_flush_interval);
        else
          sync_cv_.wait(lock);
      }
    }
    if (!failed_waiters.empty()) {
      answerWaiters(failed_waiters);
      continue;
    }
    if (checkpoint) {
      // Not synced itself: losing it in a crash only leaves those records unsealed until the
      // next checkpoint (open() signs one).
      if (!failed_.load()) {
        Status s = writeCheckpoint(std::move(*checkpoint), /*sync=*/false);
        if (!s.isOk()) fail(s);
      }
      continue;
    }
    last_flush = std::chrono::steady_clock::now();
    if (options_.before_flush_for_testing) options_.before_flush_for_testing();
    Status s = ::fdatasync(log_fd_) == 0 ? checkLinked()
                                         : errnoStatus("cannot fdatasync", path("records.log"));
    if (!s.isOk()) fail(s);
    std::vector<RequestPtr> answered;
    std::vector<DurableWaiter> waiters;
    {
      std::lock_guard lock(sync_mu_);
      if (!failed_.load()) durable_ = std::max(durable_, target);
      waiters = takeAnsweredWaitersLocked();
      while (!unsynced_.empty() && (failed_.load() || unsynced_.front().end <= durable_)) {
        for (auto& r : unsynced_.front().batch) {
          if (failed_.load()) r->status = health();
          answered.push_back(std::move(r));
        }
        unsynced_.pop_front();
      }
      // Only callers waiting for the disk count: under Ack::kWritten a flush covers many
      // records that nobody waits for, and a lone state change must not wait for them.
      waiters_overlap_ =
          answered.size() + waiters.size() > 1 || !unsynced_.empty() || !durable_waiters_.empty();
    }
    sync_cv_.notify_all();  // drain() waits for durable_
    for (auto& r : answered) r->finish();
    answerWaiters(waiters);
  }
}

Status AuditLogImpl::drain() {
  std::unique_lock lock(sync_mu_);
  sync_cv_.wait(lock, [&] { return failed_.load() || durable_ >= written_; });
  return failed_.load() ? health() : Status::ok();
}

void AuditLogImpl::processBatch(std::vector<RequestPtr>& batch) {
  if (failed_.load()) {
    for (auto& r : batch) r->status = health();
    return;
  }
  buffer_.clear();
  std::vector<Request*> written;
  written.reserve(batch.size());
  const uint64_t first_seq = next_seq_;
  for (auto& rp : batch) {
    Request* r = rp.get();
    std::optional<SealKey> key;
    if (r->seal) {
      // Re-read under the writer: a shred that won the race must not be undone by sealing
      // new data under the destroyed key.
      auto k = subjects_->keyFor(r->seal->subject_id);
      if (!k.isOk()) {
        r->status = k.status();
        continue;
      }
      key = *k;
    }
    RecordHeader h;
    h.log_id = log_id_;
    h.seq = next_seq_;
    h.ts_us = micros(clock_.now());
    h.prev = prev_;
    h.type = r->type;
    Hash leaf;
    Status s = appendFrame(buffer_, h, r->clear, key ? &*key : nullptr, r->personal, hasher_, leaf);
    if (!s.isOk()) {
      r->status = s;
      continue;
    }
    r->seq = next_seq_++;
    prev_ = leaf;
    range_.append(hasher_, leaf);
    written.push_back(r);
  }
  if (written.empty()) return;
  // New subject keys first: a durable record must never refer to a key that is not.
  Status s = subjects_->flush();
  // Written, not yet durable: the syncers flush it and answer the batch (syncLoop).
  // Whether the file is still linked is checked by the syncer after each flush, not here: an
  // fstat per write cost a check a system call, and a record written to a deleted file is
  // lost like one not yet flushed, which is what Ack::kWritten already allows (ADR 0002).
  if (s.isOk()) s = writeAll(log_fd_, buffer_, path("records.log"));
  if (!s.isOk()) {
    fail(s);
    for (Request* r : written) r->status = health();
    next_seq_ = first_seq;  // nothing more will be written; keep size() honest
    return;
  }
  if (buffer_.capacity() > (8u << 20)) std::string().swap(buffer_);
}

Result<AuditLogImpl::SignedCheckpoint> AuditLogImpl::sealCheckpoint() {
  Checkpoint cp;
  cp.origin = origin_;
  cp.size = next_seq_;
  cp.root = range_.root(hasher_);
  const Timestamp now = clock_.now();
  cp.time_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  auto note = signCheckpoint(cp, *signer_);
  if (!note.isOk()) return note.status();
  checkpoint_size_ = cp.size;
  checkpoint_time_ = now;
  return SignedCheckpoint{cp.size, std::move(*note)};
}

Status AuditLogImpl::writeCheckpoint(SignedCheckpoint cp, bool sync) {
  std::lock_guard lock(ckpt_mu_);
  // checkpointNow() may have written a larger one since the writer signed this.
  if (ckpt_written_size_ && cp.size <= *ckpt_written_size_) return Status::ok();
  Status s = writeAll(ckpt_fd_, checkpointFrame(cp.note), path("checkpoints.log"));
  if (s.isOk() && sync && ::fdatasync(ckpt_fd_) != 0)
    s = errnoStatus("cannot fdatasync", path("checkpoints.log"));
  if (!s.isOk()) return s;
  ckpt_written_size_ = cp.size;
  std::lock_guard note_lock(note_mu_);
  latest_note_ = std::move(cp.note);
  return Status::ok();
}

Status AuditLogImpl::checkpointNow() {
  if (failed_.load()) return health();
  std::lock_guard lock(write_mu_);
  {
    std::lock_guard queue(q_mu_);
    // close() signs the last checkpoint before it sets stop_; none may follow it.
    if (stop_) return Status::error(ErrorCode::kFailedPrecondition, "audit log is closed");
  }
  Status s = drain();
  if (s.isOk()) {
    bool written;
    {
      std::lock_guard ckpt(ckpt_mu_);
      written = ckpt_written_size_ == next_seq_;
    }
    if (!written) {
      auto cp = sealCheckpoint();
      s = cp.isOk() ? writeCheckpoint(std::move(*cp), /*sync=*/true) : cp.status();
    }
  }
  if (!s.isOk()) {
    fail(s);
    return health();
  }
  return s;
}

Result<std::string> AuditLogImpl::latestCheckpoint() const {
  std::lock_guard lock(note_mu_);
  if (latest_note_.empty()) return Status::notFound("no checkpoint signed yet");
  return latest_note_;
}

Status AuditLogImpl::health() const {
  if (failed_.load()) {
    std::lock_guard lock(fail_mu_);
    return failure_;
  }
  {
    std::lock_guard lock(q_mu_);
    if (closed_) return Status::unavailable("audit log is closed");
  }
  if (Status s = checkLinked(); !s.isOk()) return Status::unavailable(s.message());
  if (::access(options_.dir.c_str(), W_OK | X_OK) != 0) {
    return Status::unavailable("audit directory " + options_.dir +
                               " is not writable: " + std::strerror(errno));
  }
  return Status::ok();
}

Status AuditLogImpl::shredSubject(const std::string& subject_key, const std::string& request_ref) {
  if (subject_key.empty()) return Status::invalidArgument("empty subject key");
  std::lock_guard shredding(lifecycle_mu_);
  {
    std::lock_guard lock(q_mu_);
    if (closed_) return Status::error(ErrorCode::kFailedPrecondition, "audit log is closed");
  }
  auto id = subjects_->lookup(subject_key);
  auto req = std::make_unique<Request>();
  req->type = EventType::kErasure;
  Fields clear{{"request_ref", request_ref}};
  if (id) {
    auto st = subjects_->state(*id);
    // Forget the key in memory first, so no append can seal under it from now on.
    Status s = subjects_->markShredded(*id, micros(clock_.now()));
    if (!s.isOk()) return s;
    clear.emplace_back("subject_id", toHex(id->data(), id->size()));
    clear.emplace_back("dek_version", std::to_string(st ? st->dek_version : 0));
    clear.emplace_back("result", "shredded");
  } else {
    clear.emplace_back("result", "no_data");
  }
  auto enc = encodeFields(clear);
  if (!enc.isOk()) return enc.status();
  req->clear = std::move(*enc);
  auto seq = submitAndWait(std::move(req));
  if (!seq.isOk()) return seq.status();
  // The erasure record is durable; now remove the wrapped key from disk. If this fails or the
  // process dies first, open() finishes the job from the erasure record.
  Status s = subjects_->persistShreds();
  if (!s.isOk()) fail(s);
  return s;
}

Status AuditLogImpl::close() {
  std::lock_guard closing(lifecycle_mu_);
  // Appends are refused from here on, so the close record is the last record and the final
  // checkpoint covers every record. (Appends racing close() used to be written after both.)
  Waiter close_written;
  bool write_close_record = false;
  {
    std::lock_guard lock(q_mu_);
    if (closed_) return Status::ok();
    closed_ = true;
    closing_ = true;
    if (!failed_.load()) {
      auto req = std::make_unique<Request>();
      req->type = EventType::kAuditClose;
      req->clear = encodeFields({{"reason", "close"}}).value();
      req->waiter = &close_written;
      queue_.push_back(std::move(req));
      q_cv_.notify_one();
      write_close_record = true;
    }
  }
  {
    std::lock_guard sync(sync_mu_);  // the syncer is either gathering and woken, or sees it
  }
  sync_cv_.notify_all();
  Status result;
  if (write_close_record) {
    auto seq = close_written.wait();
    if (!seq.isOk()) result = seq.status();
    Status s = checkpointNow();
    if (result.isOk()) result = s;
  } else {
    result = health();
  }
  {
    std::lock_guard lock(q_mu_);
    stop_ = true;
  }
  q_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  // The writer left with the queue empty, and nothing can be queued now; but when the log
  // failed before the close record, a kWritten appender may still hold a batch it took from
  // the queue. Wait for it, so that its records reach the syncer before the syncer stops.
  { std::lock_guard wait_for_appenders(write_mu_); }
  {
    std::lock_guard lock(sync_mu_);
    sync_stop_ = true;  // the syncer flushes what the writer wrote last, then ends
  }
  sync_cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  {
    // The syncer's last flush answered every whenDurable() caller it covered; none is left
    // waiting for a flush that will not come.
    std::vector<DurableWaiter> waiters;
    {
      std::lock_guard lock(sync_mu_);
      waiters = takeAnsweredWaitersLocked(/*all=*/true);
    }
    answerWaiters(waiters);
  }
  // Anything that slipped in between is failed, not left waiting.
  {
    std::lock_guard lock(q_mu_);
    for (auto& r : queue_) {
      r->status = Status::error(ErrorCode::kFailedPrecondition, "audit log is closed");
      r->finish();
    }
    queue_.clear();
  }
  if (log_fd_ >= 0 && ::fsync(log_fd_) != 0 && result.isOk())
    result = errnoStatus("cannot fsync", path("records.log"));
  if (ckpt_fd_ >= 0 && ::fsync(ckpt_fd_) != 0 && result.isOk())
    result = errnoStatus("cannot fsync", path("checkpoints.log"));
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the flock
    lock_fd_ = -1;
  }
  return result;
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(const AuditOptions& options, const Clock& clock) {
  auto impl = std::make_unique<AuditLogImpl>(options, clock);
  std::vector<std::string> repairs;
  Status s = impl->open(repairs);
  if (!s.isOk()) return s;
  impl->startWriter();
  std::unique_ptr<AuditLog> log(new AuditLog(std::move(impl)));
  for (const auto& r : repairs) {
    AuditEvent e{EventType::kAuditRepair, {{"action", "repair"}, {"detail", r}}, {}, {}};
    auto seq = log->append(e);
    if (!seq.isOk()) return seq.status();
  }
  AuditEvent opened{EventType::kAuditOpen,
                    {{"records", std::to_string(log->sizeForTesting())},
                     {"repairs", std::to_string(repairs.size())}},
                    {},
                    {}};
  auto seq = log->append(opened);
  if (!seq.isOk()) return seq.status();
  s = log->checkpointNow();
  if (!s.isOk()) return s;
  return log;
}

AuditLog::AuditLog(std::unique_ptr<AuditLogImpl> impl) : impl_(std::move(impl)) {}
AuditLog::~AuditLog() {
  if (impl_) (void)impl_->close();
}
Result<uint64_t> AuditLog::append(const AuditEvent& event, Ack ack) {
  return impl_->append(event, ack);
}
std::future<Result<uint64_t>> AuditLog::appendAsync(const AuditEvent& event, Ack ack) {
  return impl_->appendAsync(event, ack);
}
void AuditLog::whenDurable(uint64_t seq, std::function<void(const Status&)> done) {
  impl_->whenDurable(seq, std::move(done));
}
Status AuditLog::shredSubject(const std::string& subject_key, const std::string& request_ref) {
  return impl_->shredSubject(subject_key, request_ref);
}
Result<std::string> AuditLog::latestCheckpoint() const {
  return impl_->latestCheckpoint();
}
Status AuditLog::checkpointNow() {
  return impl_->checkpointNow();
}
Status AuditLog::health() const {
  return impl_->health();
}
Status AuditLog::close() {
  return impl_->close();
}
uint64_t AuditLog::sizeForTesting() const {
  return impl_->size();
}

}  // namespace callwarden::audit
