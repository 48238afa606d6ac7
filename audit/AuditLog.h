#pragma once
// The tamper-evident, encrypted audit log (ADR docs/adr/0001-audit-log.md, byte layout in
// docs/audit-format.md).
//
// Thread-safety: all methods may be called concurrently from any number of threads. append()
// blocks until its record is durable; concurrent appends are committed together (group
// commit: one thread seals and writes each batch while another fdatasyncs the batches before
// it; Ack::kWritten appends are sealed and written by the appending threads themselves, each
// taking along whatever others queued). A checkpoint only ever covers records already durable.
// Ownership: open() returns the only owner; one AuditLog per directory (an flock on
// <dir>/LOCK keeps a second process out). The Clock must outlive the log.
// Failure: any I/O failure is sticky. After it, append() and checkpointNow() return
// Unavailable and health() is not ok until the process reopens the log: the gate must then
// deny (AUDIT_UNAVAILABLE). Nothing here throws.

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include "audit/AuditEvent.h"
#include "common/Clock.h"
#include "common/Result.h"

namespace callwarden::audit {

struct AuditOptions {
  std::string dir;               // created 0700 if missing
  std::string kek_file;          // see audit/Keys.h; must be 0600/0400
  std::string signing_key_file;  // see audit/Keys.h; must be 0600/0400
  /// Checkpoint origin prefix; the origin line is "<origin>/<log id hex>".
  std::string origin = "callwarden/audit";
  uint64_t checkpoint_every_records = 1000;
  std::chrono::seconds checkpoint_every{60};
  /// How far apart flushes of records answered with Ack::kWritten begin, counted from the
  /// previous flush's start (a flush under way finishes first). An append or whenDurable()
  /// waiting for the disk starts one sooner (see flush_delay), and so does a signed
  /// checkpoint. Each flush costs the
  /// whole machine: on the VM measured, 2 ms made p99 at four connections 4.6 ms and 10 ms
  /// made it about 1 ms (docs/PERFORMANCE.md, session 6).
  std::chrono::milliseconds written_flush_interval{10};
  /// Group commit. Once a record waits for the disk (an Ack::kDurable append, or
  /// whenDurable()), its flush waits this long for other waiters to join it, but only when
  /// there are others: the previous flush answered more than one caller waiting for the disk,
  /// or more began waiting while it ran. A lone caller is flushed at once. Fewer flushes is
  /// the point: on the VM measured each costs 0.3-0.9 ms of CPU outside the process, and
  /// 100 µs took a held check's p99 at four connections from 3.6-6.3 to 1.0-1.2 ms
  /// (docs/PERFORMANCE.md, session 6). Zero flushes at once, always.
  std::chrono::microseconds flush_delay{100};
  /// Tests only: runs on the syncer thread before each fdatasync of records.log, so a test
  /// can fail a flush that is known to be under way.
  std::function<void()> before_flush_for_testing{};
};

class AuditLogImpl;

/// When an append is answered.
enum class Ack {
  /// On disk: written and fdatasync'd. The default, and what every state change uses.
  kDurable,
  /// Written to the file (the kernel holds it), not yet flushed: it survives a crash of this
  /// process but not a power loss before its flush, which begins within
  /// AuditOptions::written_flush_interval. If the flush fails, the log fails as with any
  /// append. For records of decisions that change nothing (docs/adr/0002).
  kWritten,
};

class AuditLog {
 public:
  /// Checks and loads the keys, takes the directory lock, verifies everything already stored
  /// (the same checks as verifyLog), repairs a torn tail that no checkpoint covers (and logs
  /// the repair as a kAuditRepair record), completes interrupted shreds, appends a kAuditOpen
  /// record and signs a checkpoint. Fails with a message naming the problem if a key file is
  /// missing or too permissive, the directory is unusable, or stored data covered by a
  /// checkpoint is damaged (that is never repaired: run `callwarden audit verify`).
  static Result<std::unique_ptr<AuditLog>> open(const AuditOptions& options, const Clock& clock);

  /// Calls close() if the owner has not.
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  /// Appends one record and returns its sequence number once it is on disk (fdatasync), or
  /// with Ack::kWritten once it is written to the file.
  /// InvalidArgument for a malformed event (unknown type, personal data without a subject,
  /// oversized field), FailedPrecondition after close() or if the subject was shredded while
  /// the append was in flight, Unavailable once the log has failed.
  Result<uint64_t> append(const AuditEvent& event, Ack ack = Ack::kDurable);

  /// append() without waiting for the disk: the future becomes ready when the record is
  /// durable or has failed, with the same results. For callers that keep many appends in
  /// flight from few threads (importers, benchmarks); group commit batches them like
  /// concurrent append()s. With Ack::kWritten the calling thread writes the record itself
  /// (as append() does), so the call returns once it is written.
  std::future<Result<uint64_t>> appendAsync(const AuditEvent& event, Ack ack = Ack::kDurable);

  /// Calls `done` once record `seq` (from an append with Ack::kWritten) is durable: with ok
  /// once a flush covers it, with Unavailable if the log fails first, InvalidArgument if no
  /// such record was written. It never waits for the disk: `done` runs on the thread that
  /// flushed (or failed), or on this one before the call returns if the answer is already
  /// known, so it must be quick and must not call back into the log. The flush begins as for
  /// an append waiting for the disk (AuditOptions::flush_delay). Lets a server hold an answer until
  /// its record is on disk without holding a thread (docs/adr/0002). Every `done` is called by
  /// close() at the latest.
  void whenDurable(uint64_t seq, std::function<void(const Status&)> done);

  /// Crypto-shredding: destroys the data key of `subject_key` and appends a kErasure record
  /// (clear fields: request_ref, subject_id, dek_version, result). Records sealed under the
  /// key still verify but read as "shredded". A later append for the same subject_key starts
  /// a new subject with a new key. A subject with no data gets an erasure record with
  /// result=no_data. `request_ref` must not be personal data. FailedPrecondition once close()
  /// has begun; close() waits for a shred in progress.
  Status shredSubject(const std::string& subject_key, const std::string& request_ref);

  /// The most recent signed checkpoint note (C2SP format, audit/Checkpoint.h).
  Result<std::string> latestCheckpoint() const;
  /// Signs and durably stores a checkpoint over all records now durable (no-op if none new).
  Status checkpointNow();
  /// Not ok once an append or checkpoint failed, after close(), or if the directory is not
  /// writable.
  Status health() const;
  /// Appends kAuditClose, signs a final checkpoint, stops the writer and releases the lock.
  /// Appends from the moment close() begins are refused (FailedPrecondition), so the close
  /// record is the last record and the final checkpoint covers every record.
  /// Idempotent; returns the first error met.
  Status close();

  uint64_t sizeForTesting() const;

 private:
  explicit AuditLog(std::unique_ptr<AuditLogImpl> impl);
  std::unique_ptr<AuditLogImpl> impl_;
};

}  // namespace callwarden::audit
