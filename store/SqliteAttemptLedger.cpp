#include "store/SqliteAttemptLedger.h"

#include <algorithm>
#include <future>
#include <limits>

#include "common/ThreadName.h"
#include "store/SqliteConnection.h"
#include "store/SqliteListStore.h"
#include "store/SqliteTwilioLedger.h"

namespace callwarden::store {

namespace {

int64_t toMicros(Timestamp t) {
  return t.time_since_epoch().count();
}
Timestamp fromMicros(int64_t m) {
  return Timestamp{std::chrono::microseconds{m}};
}

std::string joinKeys(const std::vector<std::string>& keys) {
  std::string s;
  for (const auto& k : keys) s += (s.empty() ? "" : "\n") + k;
  return s;
}

std::vector<std::string> splitKeys(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

dialer::ReservationState parseState(const std::string& s) {
  if (s == "counted") return dialer::ReservationState::kCounted;
  if (s == "released") return dialer::ReservationState::kReleased;
  return dialer::ReservationState::kPending;
}

class SqlTxn final : public dialer::LedgerTxn {
 public:
  explicit SqlTxn(SqliteConnection& c, bool lists = false) : c_(c), lists_(lists) {}

  std::optional<dialer::GateFacts> gateFacts(const std::string& to,
                                             const std::string& subject_id) override {
    if (!lists_) return std::nullopt;
    return SqliteListStore::gateFactsOn(c_, to, subject_id);
  }

  std::map<std::string, std::string> debtGroups(const std::string& subject_id) override {
    std::map<std::string, std::string> out;
    Query q(c_, "SELECT debt, group_id FROM debt_group WHERE subject_id = ?");
    q.bind(subject_id);
    while (q.next()) out[q.text(0)] = q.text(1);
    return out;
  }

  void setDebtGroups(const std::string& subject_id,
                     const std::map<std::string, std::string>& groups) override {
    Query(c_, "DELETE FROM debt_group WHERE subject_id = ?").bind(subject_id).run();
    for (const auto& [debt, group] : groups) {
      Query(c_, "INSERT INTO debt_group (subject_id, debt, group_id) VALUES (?, ?, ?)")
          .bind(subject_id)
          .bind(debt)
          .bind(group)
          .run();
    }
  }

  void copyHistory(const std::string& from, const std::string& to) override {
    // A reservation that already has a row under `to` keeps it, unless the row was excluded
    // by consent and the call counts under `from`: then it counts under `to` too.
    Query(c_,
          "INSERT INTO attempt (reservation_id, key, at, consent_id) "
          "SELECT reservation_id, ?, at, NULL FROM attempt WHERE key = ? "
          "ON CONFLICT (reservation_id, key) DO UPDATE SET consent_id = NULL "
          "WHERE (SELECT s.consent_id FROM attempt s WHERE s.reservation_id = "
          "excluded.reservation_id AND s.key = ?) IS NULL")
        .bind(to)
        .bind(from)
        .bind(from)
        .run();
    std::vector<std::pair<std::string, std::vector<std::string>>> moved;
    {
      Query q(c_,
              "SELECT r.id, r.debt_keys FROM attempt a JOIN reservation r ON r.id = "
              "a.reservation_id WHERE a.key = ?");
      q.bind(from);
      while (q.next()) moved.emplace_back(q.text(0), splitKeys(q.text(1)));
    }
    for (auto& [id, keys] : moved) {
      if (std::find(keys.begin(), keys.end(), from) == keys.end() ||
          std::find(keys.begin(), keys.end(), to) != keys.end())
        continue;
      keys.push_back(to);
      Query(c_, "UPDATE reservation SET debt_keys = ? WHERE id = ?")
          .bind(joinKeys(keys))
          .bind(id)
          .run();
    }
    Query(c_,
          "INSERT INTO conversation (key, at, source, reservation_id) "
          "SELECT ?, c.at, c.source, c.reservation_id FROM conversation c WHERE c.key = ? "
          "AND NOT EXISTS (SELECT 1 FROM conversation d WHERE d.key = ? AND d.at = c.at "
          "AND d.reservation_id IS c.reservation_id)")
        .bind(to)
        .bind(from)
        .bind(to)
        .run();
  }

  dialer::AttemptTimes attempts(const std::string& key, Timestamp since) override {
    Query q(c_,
            "SELECT a.at, a.consent_id IS NOT NULL FROM attempt a "
            "JOIN reservation r ON r.id = a.reservation_id "
            "WHERE a.key = ? AND a.at >= ? AND r.state <> 'released'");
    q.bind(key).bind(toMicros(since));
    dialer::AttemptTimes out;
    while (q.next())
      (q.int64(1) != 0 ? out.consented : out.counted).push_back(fromMicros(q.int64(0)));
    return out;
  }

  std::vector<Timestamp> conversations(const std::string& key, Timestamp since) override {
    Query q(c_, "SELECT at FROM conversation WHERE key = ? AND at >= ?");
    q.bind(key).bind(toMicros(since));
    std::vector<Timestamp> out;
    while (q.next()) out.push_back(fromMicros(q.int64(0)));
    return out;
  }

  std::vector<policy::DirectConsent> directConsents(const std::string& key,
                                                    Timestamp since) override {
    // A later revoke of the same scope by the same subject ends every earlier grant.
    Query q(c_,
            "SELECT c.id, c.received_at, c.valid_until, c.max_calls, "
            "  (SELECT COUNT(*) FROM attempt a JOIN reservation r ON r.id = a.reservation_id "
            "   WHERE a.consent_id = c.id AND r.state <> 'released') "
            "FROM consent_key ck JOIN consent c ON c.id = ck.consent_id "
            "WHERE ck.key = ? AND c.scope = 'regf_call' AND c.action = 'grant' AND c.given_to = "
            "'collector' "
            "  AND c.received_at >= ? AND NOT EXISTS (SELECT 1 FROM consent v WHERE v.subject_id = "
            "c.subject_id "
            "  AND v.scope = c.scope AND v.action = 'revoke' AND v.seq > c.seq)");
    q.bind(key).bind(toMicros(since));
    std::vector<policy::DirectConsent> out;
    while (q.next()) {
      policy::DirectConsent c;
      c.id = q.text(0);
      c.key = key;
      c.received_at = fromMicros(q.int64(1));
      if (!q.isNull(2)) c.valid_until = fromMicros(q.int64(2));
      c.max_calls = static_cast<int>(q.int64(3));
      c.calls_used = static_cast<int>(q.int64(4));
      out.push_back(std::move(c));
    }
    return out;
  }

  std::set<std::string> accountFlags(const std::string& subject_id) override {
    Query q(c_, "SELECT flag FROM account_flag WHERE subject_id = ?");
    q.bind(subject_id);
    std::set<std::string> out;
    while (q.next()) out.insert(q.text(0));
    return out;
  }

  void setAccountFlags(const std::string& subject_id, const std::set<std::string>& flags,
                       Timestamp at) override {
    Query(c_, "DELETE FROM account_flag WHERE subject_id = ?").bind(subject_id).run();
    for (const auto& f : flags) {
      Query(c_, "INSERT INTO account_flag (subject_id, flag, set_at) VALUES (?, ?, ?)")
          .bind(subject_id)
          .bind(f)
          .bind(toMicros(at))
          .run();
    }
  }

  void insertReservation(const dialer::Reservation& r) override {
    Query(c_,
          "INSERT INTO reservation (id, subject_id, phone, purpose, decision_id, api_key, "
          "created_at, expires_at, "
          "state, debt_keys) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)")
        .bind(r.id)
        .bind(r.subject_id)
        .bind(r.to)
        .bind(r.purpose)
        .bind(r.decision_id)
        .bind(r.api_key)
        .bind(toMicros(r.created_at))
        .bind(toMicros(r.expires_at))
        .bind(joinKeys(r.debt_keys))
        .run();
    for (const auto& k : r.counted_keys) {
      Query(c_, "INSERT INTO attempt (reservation_id, key, at) VALUES (?, ?, ?)")
          .bind(r.id)
          .bind(k)
          .bind(toMicros(r.created_at))
          .run();
    }
    for (const auto& [k, consent] : r.excluded_keys) {
      Query(c_, "INSERT INTO attempt (reservation_id, key, at, consent_id) VALUES (?, ?, ?, ?)")
          .bind(r.id)
          .bind(k)
          .bind(toMicros(r.created_at))
          .bind(consent)
          .run();
    }
  }

  std::optional<dialer::Reservation> reservation(const std::string& id) override {
    auto rows = select(
        "SELECT r.id, r.subject_id, r.phone, r.purpose, r.decision_id, r.api_key, r.created_at, "
        "r.expires_at, "
        "r.state, r.outcome, r.call_sid, r.conversation, r.settled_at, r.debt_keys FROM "
        "reservation r "
        "WHERE r.id = ? AND r.created_at >= ?",
        id, std::numeric_limits<int64_t>::min());
    if (rows.empty()) return std::nullopt;
    return rows.front();
  }

  void settleReservation(const std::string& id, dialer::ReservationState state,
                         const std::string& outcome, const std::string& call_sid, bool conversation,
                         Timestamp at) override {
    Query(c_,
          "UPDATE reservation SET state = ?, outcome = ?, call_sid = ?, conversation = ?, "
          "settled_at = ? "
          "WHERE id = ?")
        .bind(dialer::reservationStateName(state))
        .bind(outcome)
        .bind(call_sid)
        .bind(int64_t{conversation ? 1 : 0})
        .bind(toMicros(at))
        .bind(id)
        .run();
  }

  void insertConversation(const std::string& key, Timestamp at, const std::string& source,
                          const std::string& reservation_id) override {
    Query(c_, "INSERT INTO conversation (key, at, source, reservation_id) VALUES (?, ?, ?, ?)")
        .bind(key)
        .bind(toMicros(at))
        .bind(source)
        .bind(reservation_id)
        .run();
  }

  void insertConsent(const dialer::ConsentRecord& c) override {
    std::optional<int64_t> until;
    if (c.valid_until) until = toMicros(*c.valid_until);
    Query(c_,
          "INSERT INTO consent (id, subject_id, phone, scope, action, given_to, channel, words, "
          "received_at, "
          "valid_until, max_calls, api_key, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
          "(SELECT COALESCE(MAX(seq), 0) + 1 FROM consent))")
        .bind(c.id)
        .bind(c.subject_id)
        .bind(c.phone)
        .bind(c.scope)
        .bind(c.action)
        .bind(c.given_to)
        .bind(c.channel)
        .bind(c.words)
        .bind(toMicros(c.received_at))
        .bind(until)
        .bind(int64_t{c.max_calls})
        .bind(c.api_key)
        .run();
    for (const auto& k : c.debt_keys) {
      Query(c_, "INSERT INTO consent_key (consent_id, key) VALUES (?, ?)").bind(c.id).bind(k).run();
    }
  }

  std::vector<policy::LocalInterval> inconvenientTimes(const std::string& subject_id) override {
    Query q(c_,
            "SELECT weekdays, start_s, end_s, tz FROM inconvenient_time WHERE subject_id = ? ORDER "
            "BY rowid");
    q.bind(subject_id);
    std::vector<policy::LocalInterval> out;
    while (q.next()) {
      policy::LocalInterval i;
      i.weekdays = static_cast<uint8_t>(q.int64(0));
      i.start = std::chrono::seconds(q.int64(1));
      i.end = std::chrono::seconds(q.int64(2));
      i.tz = q.text(3);
      out.push_back(std::move(i));
    }
    return out;
  }

  void setInconvenientTimes(const std::string& subject_id,
                            const std::vector<policy::LocalInterval>& intervals) override {
    Query(c_, "DELETE FROM inconvenient_time WHERE subject_id = ?").bind(subject_id).run();
    for (const auto& i : intervals) {
      Query(c_,
            "INSERT INTO inconvenient_time (subject_id, weekdays, start_s, end_s, tz) VALUES (?, "
            "?, ?, ?, ?)")
          .bind(subject_id)
          .bind(int64_t{i.weekdays})
          .bind(static_cast<int64_t>(i.start.count()))
          .bind(static_cast<int64_t>(i.end.count()))
          .bind(i.tz)
          .run();
    }
  }

  std::vector<dialer::Reservation> reservationsForKey(const std::string& key,
                                                      Timestamp since) override {
    return select(
        "SELECT r.id, r.subject_id, r.phone, r.purpose, r.decision_id, r.api_key, r.created_at, "
        "r.expires_at, "
        "r.state, r.outcome, r.call_sid, r.conversation, r.settled_at, r.debt_keys FROM "
        "reservation r "
        "JOIN attempt x ON x.reservation_id = r.id WHERE x.key = ? AND r.created_at >= ? "
        "ORDER BY r.created_at DESC",
        key, toMicros(since));
  }

  // The call gateway's tables (store/SqliteTwilioLedger.cpp), in this same transaction.
  void insertPlacedCall(const dialer::PlacedCall& p) override {
    twilio_ledger::insertPlacedCall(c_, p);
  }
  void updatePlacedCall(const dialer::PlacedCall& p) override {
    twilio_ledger::updatePlacedCall(c_, p);
  }
  std::optional<dialer::PlacedCall> placedCall(const std::string& reservation_id) override {
    return twilio_ledger::placedCall(c_, reservation_id);
  }
  std::optional<dialer::PlacedCall> placedCallBySid(const std::string& call_sid) override {
    return twilio_ledger::placedCallBySid(c_, call_sid);
  }
  std::vector<dialer::PlacedCall> unknownPlacedCalls(const std::string& to, const std::string& from,
                                                     Timestamp since) override {
    return twilio_ledger::unknownPlacedCalls(c_, to, from, since);
  }
  std::vector<dialer::PlacedCall> placedCallsDue(Timestamp now, int limit) override {
    return twilio_ledger::placedCallsDue(c_, now, limit);
  }
  bool insertTelephonyEvent(const dialer::TelephonyEvent& e, int64_t* id) override {
    return twilio_ledger::insertTelephonyEvent(c_, e, id);
  }
  std::vector<dialer::TelephonyEvent> unprocessedTelephonyEvents(int limit) override {
    return twilio_ledger::unprocessedTelephonyEvents(c_, limit);
  }
  std::vector<dialer::TelephonyEvent> telephonyEventsForCall(const std::string& sid) override {
    return twilio_ledger::telephonyEventsForCall(c_, sid);
  }
  void markTelephonyEventProcessed(int64_t id, const std::string& result, Timestamp at) override {
    twilio_ledger::markTelephonyEventProcessed(c_, id, result, at);
  }

 private:
  std::vector<dialer::Reservation> select(const char* sql, const std::string& param,
                                          int64_t since) {
    std::vector<dialer::Reservation> out;
    {
      Query q(c_, sql);
      q.bind(param).bind(since);
      while (q.next()) {
        dialer::Reservation r;
        r.id = q.text(0);
        r.subject_id = q.text(1);
        r.to = q.text(2);
        r.purpose = q.text(3);
        r.decision_id = q.text(4);
        r.api_key = q.text(5);
        r.created_at = fromMicros(q.int64(6));
        r.expires_at = fromMicros(q.int64(7));
        r.state = parseState(q.text(8));
        r.outcome = q.text(9);
        r.call_sid = q.text(10);
        r.conversation = q.int64(11) != 0;
        if (!q.isNull(12)) r.settled_at = fromMicros(q.int64(12));
        r.debt_keys = splitKeys(q.text(13));
        out.push_back(std::move(r));
      }
    }
    for (auto& r : out) {
      Query q(c_, "SELECT key, consent_id FROM attempt WHERE reservation_id = ? ORDER BY key");
      q.bind(r.id);
      while (q.next()) {
        if (q.isNull(1)) {
          r.counted_keys.push_back(q.text(0));
        } else {
          r.excluded_keys.emplace_back(q.text(0), q.text(1));
        }
      }
    }
    return out;
  }

  SqliteConnection& c_;
  const bool lists_;  // SqliteAttemptLedger::readListsToo()
};

}  // namespace

struct SqliteAttemptLedger::Job {
  const std::function<Status(dialer::LedgerTxn&)>* fn;
  std::promise<Status> done;
};

SqliteAttemptLedger::SqliteAttemptLedger(Database& db, size_t max_batch)
    : db_(db), max_batch_(max_batch), readers_(db.connectionName()), writer_([this] {
        nameCurrentThread("cw-ledger");
        writerLoop();
      }) {}

SqliteAttemptLedger::~SqliteAttemptLedger() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

Status SqliteAttemptLedger::write(const std::function<Status(dialer::LedgerTxn&)>& job) {
  auto j = std::make_shared<Job>();
  j->fn = &job;
  auto result = j->done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return Status::unavailable("attempt ledger is shutting down");
    queue_.push_back(j);
  }
  cv_.notify_one();
  return result.get();
}

void SqliteAttemptLedger::writerLoop() {
  for (;;) {
    std::vector<std::shared_ptr<Job>> batch;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    runBatch(batch);
  }
}

void SqliteAttemptLedger::runBatch(std::vector<std::shared_ptr<Job>>& batch) {
  std::vector<Status> results(batch.size());
  try {
    if (!writer_conn_) {
      auto c = SqliteConnection::open(db_.connectionName());
      if (!c.isOk()) throw SqliteError(0, c.status().message());
      writer_conn_ = std::move(c).value();
    }
    SqliteConnection& conn = *writer_conn_;
    Query(conn, "BEGIN IMMEDIATE").run();
    try {
      SqlTxn txn(conn);
      for (size_t i = 0; i < batch.size(); ++i) {
        Query(conn, "SAVEPOINT job").run();
        try {
          results[i] = (*batch[i]->fn)(txn);
        } catch (const SqliteError& e) {
          results[i] = Status::unavailable(std::string("attempt ledger write failed: ") + e.what());
        } catch (const std::exception& e) {
          results[i] = Status::internal(std::string("attempt ledger job failed: ") + e.what());
        }
        if (!results[i].isOk()) Query(conn, "ROLLBACK TO job").run();
        Query(conn, "RELEASE job").run();
      }
      Query(conn, "COMMIT").run();
    } catch (...) {
      try {
        conn.exec("ROLLBACK");
      } catch (const SqliteError&) {
        // The connection is already out of its transaction.
      }
      throw;
    }
  } catch (const SqliteError& e) {
    // Nothing of this batch is durable: every job fails, whatever it returned. A broken
    // connection is replaced on the next batch.
    writer_conn_.reset();
    for (auto& r : results)
      r = Status::unavailable(std::string("attempt ledger commit failed: ") + e.what());
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i]->done.set_value(results[i]);
}

Status SqliteAttemptLedger::read(const std::function<Status(dialer::LedgerTxn&)>& job) {
  try {
    auto lease = readers_.acquire();
    SqliteConnection& conn = *lease;
    // One deferred transaction: every query in the job sees the same WAL snapshot.
    conn.exec("BEGIN");
    Status s;
    try {
      SqlTxn txn(conn, lists_in_reads_);
      s = job(txn);
    } catch (...) {
      conn.exec("ROLLBACK");
      throw;
    }
    conn.exec("COMMIT");  // of a read transaction: ends it and keeps the page cache warm
    return s;
  } catch (const SqliteError& e) {
    return Status::unavailable(std::string("attempt ledger read failed: ") + e.what());
  } catch (const std::exception& e) {
    // As in write(): a job's own failure is kInternal, the store's kUnavailable.
    return Status::internal(std::string("attempt ledger job failed: ") + e.what());
  }
}

}  // namespace callwarden::store
