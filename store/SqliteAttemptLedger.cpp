#include "store/SqliteAttemptLedger.h"

#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Nullable.h>

#include <future>
#include <limits>

namespace callwarden::store {

using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Poco::Data::Keywords::use;

namespace {

using Micros = Poco::Int64;

Micros toMicros(Timestamp t) {
  return t.time_since_epoch().count();
}
Timestamp fromMicros(Micros m) {
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
  explicit SqlTxn(Poco::Data::Session& s) : s_(s) {}

  std::map<std::string, std::string> debtGroups(const std::string& subject_id) override {
    std::vector<std::string> debts, groups;
    std::string subject = subject_id;
    s_ << "SELECT debt, group_id FROM debt_group WHERE subject_id = ?", into(debts), into(groups),
        use(subject), now;
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < debts.size(); ++i) out[debts[i]] = groups[i];
    return out;
  }

  void setDebtGroups(const std::string& subject_id,
                     const std::map<std::string, std::string>& groups) override {
    std::string subject = subject_id;
    s_ << "DELETE FROM debt_group WHERE subject_id = ?", use(subject), now;
    for (const auto& [debt, group] : groups) {
      std::string d = debt, g = group;
      s_ << "INSERT INTO debt_group (subject_id, debt, group_id) VALUES (?, ?, ?)", use(subject),
          use(d), use(g), now;
    }
  }

  std::vector<Timestamp> attempts(const std::string& key, Timestamp since) override {
    std::vector<Micros> at;
    std::string k = key;
    Micros from = toMicros(since);
    s_ << "SELECT a.at FROM attempt a JOIN reservation r ON r.id = a.reservation_id "
          "WHERE a.key = ? AND a.at >= ? AND a.consent_id IS NULL AND r.state <> 'released'",
        into(at), use(k), use(from), now;
    std::vector<Timestamp> out;
    for (auto m : at) out.push_back(fromMicros(m));
    return out;
  }

  std::vector<Timestamp> conversations(const std::string& key, Timestamp since) override {
    std::vector<Micros> at;
    std::string k = key;
    Micros from = toMicros(since);
    s_ << "SELECT at FROM conversation WHERE key = ? AND at >= ?", into(at), use(k), use(from), now;
    std::vector<Timestamp> out;
    for (auto m : at) out.push_back(fromMicros(m));
    return out;
  }

  std::vector<policy::DirectConsent> directConsents(const std::string& key,
                                                    Timestamp since) override {
    std::vector<std::string> ids;
    std::vector<Micros> received;
    std::vector<Poco::Nullable<Micros>> until;
    std::vector<int> max_calls, used;
    std::string k = key;
    Micros from = toMicros(since);
    // A later revoke of the same scope by the same subject ends every earlier grant.
    s_ << "SELECT c.id, c.received_at, c.valid_until, c.max_calls, "
          "  (SELECT COUNT(*) FROM attempt a JOIN reservation r ON r.id = a.reservation_id "
          "   WHERE a.consent_id = c.id AND r.state <> 'released') "
          "FROM consent_key ck JOIN consent c ON c.id = ck.consent_id "
          "WHERE ck.key = ? AND c.scope = 'regf_call' AND c.action = 'grant' AND c.given_to = "
          "'collector' "
          "  AND c.received_at >= ? AND NOT EXISTS (SELECT 1 FROM consent v WHERE v.subject_id = "
          "c.subject_id "
          "  AND v.scope = c.scope AND v.action = 'revoke' AND v.seq > c.seq)",
        into(ids), into(received), into(until), into(max_calls), into(used), use(k), use(from), now;
    std::vector<policy::DirectConsent> out;
    for (size_t i = 0; i < ids.size(); ++i) {
      policy::DirectConsent c;
      c.id = ids[i];
      c.key = key;
      c.received_at = fromMicros(received[i]);
      if (!until[i].isNull()) c.valid_until = fromMicros(until[i].value());
      c.max_calls = max_calls[i];
      c.calls_used = used[i];
      out.push_back(std::move(c));
    }
    return out;
  }

  std::set<std::string> accountFlags(const std::string& subject_id) override {
    std::vector<std::string> flags;
    std::string subject = subject_id;
    s_ << "SELECT flag FROM account_flag WHERE subject_id = ?", into(flags), use(subject), now;
    return {flags.begin(), flags.end()};
  }

  void setAccountFlags(const std::string& subject_id, const std::set<std::string>& flags,
                       Timestamp at) override {
    std::string subject = subject_id;
    s_ << "DELETE FROM account_flag WHERE subject_id = ?", use(subject), now;
    Micros m = toMicros(at);
    for (const auto& f : flags) {
      std::string flag = f;
      s_ << "INSERT INTO account_flag (subject_id, flag, set_at) VALUES (?, ?, ?)", use(subject),
          use(flag), use(m), now;
    }
  }

  void insertReservation(const dialer::Reservation& r) override {
    std::string id = r.id, subject = r.subject_id, phone = r.to, purpose = r.purpose,
                decision = r.decision_id, key_name = r.api_key, debt_keys = joinKeys(r.debt_keys);
    Micros created = toMicros(r.created_at), expires = toMicros(r.expires_at);
    s_ << "INSERT INTO reservation (id, subject_id, phone, purpose, decision_id, api_key, "
          "created_at, expires_at, "
          "state, debt_keys) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
        use(id), use(subject), use(phone), use(purpose), use(decision), use(key_name), use(created),
        use(expires), use(debt_keys), now;
    for (const auto& k : r.counted_keys) {
      std::string key = k;
      s_ << "INSERT INTO attempt (reservation_id, key, at) VALUES (?, ?, ?)", use(id), use(key),
          use(created), now;
    }
    for (const auto& [k, consent] : r.excluded_keys) {
      std::string key = k, c = consent;
      s_ << "INSERT INTO attempt (reservation_id, key, at, consent_id) VALUES (?, ?, ?, ?)",
          use(id), use(key), use(created), use(c), now;
    }
  }

  std::optional<dialer::Reservation> reservation(const std::string& id) override {
    auto rows =
        select("WHERE r.id = ? AND r.created_at >= ?", id, std::numeric_limits<Micros>::min());
    if (rows.empty()) return std::nullopt;
    return rows.front();
  }

  void settleReservation(const std::string& id, dialer::ReservationState state,
                         const std::string& outcome, const std::string& call_sid, bool conversation,
                         Timestamp at) override {
    std::string rid = id, st(dialer::reservationStateName(state)), out = outcome, sid = call_sid;
    int conv = conversation ? 1 : 0;
    Micros m = toMicros(at);
    s_ << "UPDATE reservation SET state = ?, outcome = ?, call_sid = ?, conversation = ?, "
          "settled_at = ? "
          "WHERE id = ?",
        use(st), use(out), use(sid), use(conv), use(m), use(rid), now;
  }

  void insertConversation(const std::string& key, Timestamp at, const std::string& source,
                          const std::string& reservation_id) override {
    std::string k = key, src = source, rid = reservation_id;
    Micros m = toMicros(at);
    s_ << "INSERT INTO conversation (key, at, source, reservation_id) VALUES (?, ?, ?, ?)", use(k),
        use(m), use(src), use(rid), now;
  }

  void insertConsent(const dialer::ConsentRecord& c) override {
    std::string id = c.id, subject = c.subject_id, phone = c.phone, scope = c.scope,
                action = c.action, given_to = c.given_to, channel = c.channel, words = c.words,
                key_name = c.api_key;
    Micros received = toMicros(c.received_at);
    Poco::Nullable<Micros> until;
    if (c.valid_until) until = toMicros(*c.valid_until);
    int max_calls = c.max_calls;
    s_ << "INSERT INTO consent (id, subject_id, phone, scope, action, given_to, channel, words, "
          "received_at, "
          "valid_until, max_calls, api_key, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
          "(SELECT COALESCE(MAX(seq), 0) + 1 FROM consent))",
        use(id), use(subject), use(phone), use(scope), use(action), use(given_to), use(channel),
        use(words), use(received), use(until), use(max_calls), use(key_name), now;
    for (const auto& k : c.debt_keys) {
      std::string key = k;
      s_ << "INSERT INTO consent_key (consent_id, key) VALUES (?, ?)", use(id), use(key), now;
    }
  }

  std::vector<dialer::Reservation> reservationsForKey(const std::string& key,
                                                      Timestamp since) override {
    return select("JOIN attempt x ON x.reservation_id = r.id WHERE x.key = ? AND r.created_at >= ?",
                  key, toMicros(since));
  }

 private:
  std::vector<dialer::Reservation> select(const std::string& where, const std::string& param,
                                          Micros since) {
    std::vector<std::string> ids, subjects, phones, purposes, decisions, keys, states, debt_keys;
    std::vector<Poco::Nullable<std::string>> outcomes, sids;
    std::vector<Micros> created, expires;
    std::vector<Poco::Nullable<Micros>> settled;
    std::vector<int> conv;
    std::string p = param;
    std::string sql =
        "SELECT r.id, r.subject_id, r.phone, r.purpose, r.decision_id, r.api_key, r.created_at, "
        "r.expires_at, "
        "r.state, r.outcome, r.call_sid, r.conversation, r.settled_at, r.debt_keys FROM "
        "reservation r " +
        where + " ORDER BY r.created_at DESC";
    s_ << sql, into(ids), into(subjects), into(phones), into(purposes), into(decisions), into(keys),
        into(created), into(expires), into(states), into(outcomes), into(sids), into(conv),
        into(settled), into(debt_keys), use(p), use(since), now;
    std::vector<dialer::Reservation> out;
    for (size_t i = 0; i < ids.size(); ++i) {
      dialer::Reservation r;
      r.id = ids[i];
      r.subject_id = subjects[i];
      r.to = phones[i];
      r.purpose = purposes[i];
      r.decision_id = decisions[i];
      r.api_key = keys[i];
      r.created_at = fromMicros(created[i]);
      r.expires_at = fromMicros(expires[i]);
      r.state = parseState(states[i]);
      r.outcome = outcomes[i].isNull() ? "" : outcomes[i].value();
      r.call_sid = sids[i].isNull() ? "" : sids[i].value();
      r.conversation = conv[i] != 0;
      if (!settled[i].isNull()) r.settled_at = fromMicros(settled[i].value());
      r.debt_keys = splitKeys(debt_keys[i]);
      std::vector<std::string> akeys;
      std::vector<Poco::Nullable<std::string>> consents;
      std::string rid = r.id;
      s_ << "SELECT key, consent_id FROM attempt WHERE reservation_id = ? ORDER BY key",
          into(akeys), into(consents), use(rid), now;
      for (size_t j = 0; j < akeys.size(); ++j) {
        if (consents[j].isNull()) {
          r.counted_keys.push_back(akeys[j]);
        } else {
          r.excluded_keys.emplace_back(akeys[j], consents[j].value());
        }
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  Poco::Data::Session& s_;
};

}  // namespace

struct SqliteAttemptLedger::Job {
  const std::function<Status(dialer::LedgerTxn&)>* fn;
  std::promise<Status> done;
};

SqliteAttemptLedger::SqliteAttemptLedger(Database& db, size_t max_batch)
    : db_(db), max_batch_(max_batch), writer_([this] { writerLoop(); }) {}

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
    auto session = db_.session();
    session << "BEGIN IMMEDIATE", now;
    try {
      SqlTxn txn(session);
      for (size_t i = 0; i < batch.size(); ++i) {
        session << "SAVEPOINT job", now;
        try {
          results[i] = (*batch[i]->fn)(txn);
        } catch (const Poco::Exception& e) {
          results[i] = Status::unavailable("attempt ledger write failed: " + e.displayText());
        } catch (const std::exception& e) {
          results[i] = Status::internal(std::string("attempt ledger job failed: ") + e.what());
        }
        if (!results[i].isOk()) session << "ROLLBACK TO job", now;
        session << "RELEASE job", now;
      }
      session << "COMMIT", now;
    } catch (...) {
      try {
        session << "ROLLBACK", now;
      } catch (const Poco::Exception&) {
        // The connection is already out of its transaction.
      }
      throw;
    }
  } catch (const Poco::Exception& e) {
    // Nothing of this batch is durable: every job fails, whatever it returned.
    for (auto& r : results)
      r = Status::unavailable("attempt ledger commit failed: " + e.displayText());
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i]->done.set_value(results[i]);
}

Status SqliteAttemptLedger::read(const std::function<Status(dialer::LedgerTxn&)>& job) {
  try {
    auto session = db_.session();
    // One deferred transaction: every query in the job sees the same WAL snapshot.
    session << "BEGIN", now;
    Status s;
    try {
      SqlTxn txn(session);
      s = job(txn);
    } catch (...) {
      session << "ROLLBACK", now;
      throw;
    }
    session << "ROLLBACK", now;
    return s;
  } catch (const Poco::Exception& e) {
    return Status::unavailable("attempt ledger read failed: " + e.displayText());
  }
}

}  // namespace callwarden::store
