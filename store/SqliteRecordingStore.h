#pragma once
// SQL for recording control (dialer/RecordingStore.h; migration 5): recording_session,
// call_recording, and the `recording` consent lookup on the ledger's consent table.
//
// Thread-safe: one connection behind a mutex (recording control writes a few rows per pause).
// SQL errors become kUnavailable; a second open session for a call becomes kConflict.

#include <memory>
#include <mutex>
#include <string>

#include "dialer/RecordingStore.h"
#include "store/Database.h"
#include "store/SqliteConnection.h"

namespace callwarden::store {

class SqliteRecordingStore final : public dialer::RecordingStore {
 public:
  /// `db` must outlive this object (its file is migrated already).
  explicit SqliteRecordingStore(Database& db);
  ~SqliteRecordingStore() override;

  Status insertSession(const recording::PauseSession& s) override;
  Status updateSession(const recording::PauseSession& s) override;
  Result<std::optional<recording::PauseSession>> session(const std::string& id) override;
  Result<std::optional<recording::PauseSession>> openSession(const std::string& call_sid) override;
  Result<std::vector<recording::PauseSession>> sessionsForCall(
      const std::string& call_sid) override;
  Result<std::vector<recording::PauseSession>> dueSessions(Timestamp now) override;
  Result<std::vector<recording::PauseSession>> pausingSessions() override;
  Result<int> resumeFailedCount() override;
  Status upsertRecording(const recording::TrackedRecording& r) override;
  Result<std::vector<recording::TrackedRecording>> recordings(const std::string& call_sid) override;
  Result<bool> hasRecordingConsent(const std::string& subject_id, const std::string& phone,
                                   Timestamp now) override;

 private:
  template <typename F>
  auto withConnection(F&& f) -> decltype(f(std::declval<SqliteConnection&>()));
  Result<std::vector<recording::PauseSession>> querySessions(const char* sql,
                                                             const std::string& arg,
                                                             std::optional<int64_t> time_arg);

  Database& db_;
  std::mutex mutex_;
  std::unique_ptr<SqliteConnection> conn_;  // guarded by mutex_; opened on first use
  // The consent lookup runs on every check and reserve answer, so it reads from a pool
  // instead of queueing behind the session connection's mutex.
  SqlitePool readers_;
};

}  // namespace callwarden::store
