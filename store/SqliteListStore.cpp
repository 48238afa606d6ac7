#include "store/SqliteListStore.h"

#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Exception.h>
#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "common/Log.h"
#include "common/ThreadName.h"

namespace callwarden::store {
namespace {

// The list tables are read and written through the raw SQLite handle of a pooled Poco session:
// the import binds tens of millions of integers and the gate probes several tables per call,
// and both are several times faster with prepared statements than through Poco's binders.
struct SqlError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
      throw SqlError(std::string("prepare: ") + sqlite3_errmsg(db));
  }
  /// Borrows a statement that another owner prepared and will finalize (the statement cache
  /// of a SqliteConnection).
  Stmt(sqlite3* db, sqlite3_stmt* borrowed) : db_(db), s_(borrowed), owned_(false) {}
  ~Stmt() {
    if (owned_) sqlite3_finalize(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(s_, i, v));
    return *this;
  }
  Stmt& bind(int i, const std::string& v) {
    check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Stmt& bindNull(int i) {
    check(sqlite3_bind_null(s_, i));
    return *this;
  }
  /// True for a row, false when done; throws on error.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw SqlError(sqlite3_errmsg(db_));
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  bool isNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(s_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) throw SqlError(std::string("bind: ") + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  bool owned_ = true;
};

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    throw SqlError(m);
  }
}

// Rolls back whatever transaction is still open when it goes out of scope, so a pooled
// connection never returns to the pool inside a transaction.
class TxnGuard {
 public:
  TxnGuard(sqlite3* db, const char* begin) : db_(db) { exec(db, begin); }
  /// With prepared BEGIN and COMMIT statements: readers open a transaction per call check,
  /// and sqlite3_exec would parse and prepare both statements every time.
  TxnGuard(sqlite3* db, Stmt& begin, Stmt& commit) : db_(db), commit_(&commit) { runOnce(begin); }
  ~TxnGuard() {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    if (commit_ != nullptr)
      runOnce(*commit_);
    else
      exec(db_, "COMMIT");
    open_ = false;
  }
  TxnGuard(const TxnGuard&) = delete;
  TxnGuard& operator=(const TxnGuard&) = delete;

 private:
  static void runOnce(Stmt& s) {
    s.reset();
    s.step();
    s.reset();
  }
  sqlite3* db_;
  Stmt* commit_ = nullptr;
  bool open_ = true;
};

sqlite3* handle(Poco::Data::Session& s) {
  return Poco::Data::SQLite::Utility::dbHandle(s);
}

std::int64_t micros(Timestamp t) {
  return t.time_since_epoch().count();
}
Timestamp fromMicros(std::int64_t m) {
  return Timestamp{std::chrono::microseconds{m}};
}

std::optional<policy::Date> dateOrNull(const std::string& s) {
  auto d = policy::parseDate(s);
  if (!d.isOk()) return std::nullopt;
  return *d;
}

// Runs `fn` and turns storage failures into kUnavailable.
template <typename Fn>
auto guarded(const char* what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const SqlError& e) {
    return Status::unavailable(std::string(what) + ": " + e.what());
  } catch (const Poco::Exception& e) {
    return Status::unavailable(std::string(what) + ": " + e.displayText());
  }
}

// Bulk lists serving now: name, generation, obtained, imported_at, count, and whether
// `number` is on it (when number >= 0).
constexpr const char* kServedLists =
    "SELECT l.name, g.id, g.obtained_on, g.finished_at, g.accepted, "
    "  EXISTS (SELECT 1 FROM dnc_number n WHERE n.generation = l.current_generation "
    "          AND n.number = ?1) "
    "FROM dnc_list l JOIN dnc_generation g ON g.id = l.current_generation ORDER BY l.name";

constexpr const char* kInternalSql = "SELECT added_at, reason FROM dnc_internal WHERE number = ?1";

// No temporary b-tree may appear in this plan: SQLite builds and frees one on every run, and
// that cost more than the rest of a call check (page faults and heap trims each time). So
// UNION ALL over disjoint branches rather than UNION, and `+scope` so that the IN list is
// tested row by row instead of driving the index through an ephemeral table.
constexpr const char* kConsentsSql =
    "SELECT id, subject_id, phone, scope, action, received_at, valid_until, seq "
    "FROM consent WHERE +scope IN ('telemarketing', 'robocall') AND phone = ?1 "
    "UNION ALL SELECT id, subject_id, phone, scope, action, received_at, valid_until, seq "
    "FROM consent WHERE ?2 <> '' AND subject_id = ?2 AND phone <> ?1 "
    "AND +scope IN ('telemarketing', 'robocall')";

constexpr const char* kRndSql =
    "SELECT result, disconnected_on, queried_at FROM rnd_answer "
    "WHERE number = ?1 ORDER BY queried_at DESC, id DESC LIMIT 20";

void readMemberships(Stmt& internal, Stmt& lists, policy::NanpNumber number,
                     std::vector<dialer::DncMembership>& out,
                     std::optional<policy::Date>* national) {
  internal.reset();
  lists.reset();
  internal.bind(1, number);
  if (internal.step()) {
    dialer::DncMembership m;
    m.list = "internal";
    m.kind = policy::DncListKind::kInternal;
    m.since = fromMicros(internal.i64(0));
    m.reason = internal.text(1);
    out.push_back(std::move(m));
  }
  lists.bind(1, number);
  while (lists.step()) {
    const std::string name = lists.text(0);
    auto kind = policy::dncListKind(name);
    if (!kind) throw SqlError("unknown list name in dnc_list: " + name);
    if (*kind == policy::DncListKind::kNational && national != nullptr) {
      *national = dateOrNull(lists.text(2));
      if (!*national) throw SqlError("bad obtained_on for the national list");
    }
    if (lists.i64(5) == 0) continue;
    dialer::DncMembership m;
    m.list = name;
    m.kind = *kind;
    m.obtained = dateOrNull(lists.text(2));
    if (!lists.isNull(3)) m.imported_at = fromMicros(lists.i64(3));
    out.push_back(std::move(m));
  }
}

// The gate's per-call read: memberships, the national list's date, consents and RND answers.
// The caller holds one read transaction around it, so every statement sees one snapshot.
void readFacts(Stmt& internal, Stmt& lists, Stmt& consents, Stmt& rnd, const std::string& to,
               const std::string& subject_id, dialer::GateFacts& f) {
  {
    // A number outside the NANP is on no US list; -1 matches no row.
    const policy::NanpNumber number = policy::nanpFromE164(to).value_or(-1);
    readMemberships(internal, lists, number, f.memberships, &f.national_obtained);
    consents.reset();
    consents.bind(1, to).bind(2, subject_id);
    while (consents.step()) {
      policy::ConsentEvent e;
      e.id = consents.text(0);
      e.subject_id = consents.text(1);
      e.phone = consents.text(2);
      e.scope = consents.text(3);
      e.grant = consents.text(4) == "grant";
      e.received_at = fromMicros(consents.i64(5));
      if (!consents.isNull(6)) e.valid_until = fromMicros(consents.i64(6));
      e.seq = consents.i64(7);
      f.consents.push_back(std::move(e));
    }
    rnd.reset();
    rnd.bind(1, number);
    while (rnd.step()) {
      policy::RndAnswer a;
      auto r = policy::parseRndResult(rnd.text(0));
      if (!r) throw SqlError("bad rnd_answer.result");
      a.result = *r;
      if (!rnd.isNull(1)) a.disconnected_on = dateOrNull(rnd.text(1));
      a.queried_at = fromMicros(rnd.i64(2));
      f.rnd.push_back(a);
    }
    // Leave no statement holding its read snapshot open past the transaction.
    internal.reset();
    lists.reset();
    consents.reset();
    rnd.reset();
  }
}

// Reads up to the next '\n' from a buffered stream without ever holding more than one
// bounded line: a 50-million-line upload is never buffered whole.
class LineReader {
 public:
  explicit LineReader(std::istream& in) : in_(in) {}
  /// False at the end. `truncated` is set for a line longer than kMaxLine (it is then
  /// malformed; the rest of it is skipped).
  bool next(std::string& line, bool& truncated) {
    line.clear();
    truncated = false;
    bool any = false;
    for (;;) {
      if (pos_ == len_) {
        if (!fill()) return any;
      }
      any = true;
      const char* start = buf_ + pos_;
      const void* nl = std::memchr(start, '\n', len_ - pos_);
      const size_t n = nl ? static_cast<size_t>(static_cast<const char*>(nl) - start) : len_ - pos_;
      if (line.size() + n <= kMaxLine) {
        line.append(start, n);
      } else {
        truncated = true;
      }
      pos_ += n;
      if (nl) {
        ++pos_;
        return true;
      }
    }
  }
  std::uint64_t bytes() const { return bytes_; }
  bool failed() const { return failed_; }
  /// Why the stream failed, if it said (an HTTP body that timed out or was cut short).
  const std::string& failure() const { return failure_; }

 private:
  static constexpr size_t kMaxLine = 64;
  bool fill() {
    if (!in_ || failed_) return false;
    try {
      in_.read(buf_, sizeof buf_);
    } catch (const std::exception& e) {
      // A stream that throws (the server's body streams do, for a body that stops arriving
      // or ends early) fails the import like any short read: the new copy is abandoned and
      // the failure audited, never left half-loaded. (The bytes of this last read are not
      // counted: istream::read reports none when it rethrows.)
      failed_ = true;
      failure_ = e.what();
    }
    len_ = static_cast<size_t>(in_.gcount());
    pos_ = 0;
    bytes_ += len_;
    if (in_.bad()) failed_ = true;
    return len_ > 0;
  }
  std::istream& in_;
  char buf_[1 << 16];
  size_t pos_ = 0, len_ = 0;
  std::uint64_t bytes_ = 0;
  bool failed_ = false;
  std::string failure_;
};

}  // namespace

struct SqliteListStore::Reader {
  sqlite3* db = nullptr;
  std::unique_ptr<Stmt> begin, commit, internal, lists, consents, rnd;
  ~Reader() {
    begin.reset();
    commit.reset();
    internal.reset();
    lists.reset();
    consents.reset();
    rnd.reset();
    if (db != nullptr) sqlite3_close_v2(db);
  }
};

// Returns the reader to the idle list unless it failed (a broken connection is dropped).
struct SqliteListStore::ReaderLease {
  SqliteListStore* owner;
  std::unique_ptr<Reader> reader;
  bool healthy = false;
  ~ReaderLease() {
    if (!reader || !healthy) return;
    std::lock_guard lock(owner->readers_mu_);
    owner->idle_readers_.push_back(std::move(reader));
  }
};

SqliteListStore::ReaderLease SqliteListStore::acquireReader() {
  {
    std::lock_guard lock(readers_mu_);
    if (!idle_readers_.empty()) {
      auto idle = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return ReaderLease{this, std::move(idle)};
    }
  }
  auto r = std::make_unique<Reader>();
  if (sqlite3_open_v2(db_.connectionName().c_str(), &r->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
                      nullptr) != SQLITE_OK) {
    throw SqlError(std::string("open: ") + (r->db ? sqlite3_errmsg(r->db) : "out of memory"));
  }
  exec(r->db, "PRAGMA busy_timeout=10000");
  exec(r->db, "PRAGMA query_only=1");
  // Bulk lists are read at random: through a memory map a cached page costs no pread() call.
  exec(r->db, "PRAGMA mmap_size=1073741824");
  r->begin = std::make_unique<Stmt>(r->db, "BEGIN");
  r->commit = std::make_unique<Stmt>(r->db, "COMMIT");
  r->internal = std::make_unique<Stmt>(r->db, kInternalSql);
  r->lists = std::make_unique<Stmt>(r->db, kServedLists);
  r->consents = std::make_unique<Stmt>(r->db, kConsentsSql);
  r->rnd = std::make_unique<Stmt>(r->db, kRndSql);
  return ReaderLease{this, std::move(r)};
}

SqliteListStore::SqliteListStore(Database& db, size_t batch_rows)
    : db_(db), batch_rows_(batch_rows) {
  // An import that was running when the process stopped never became current: mark it
  // failed so the purge thread removes its rows. No import can be running yet.
  Status s = guarded("list store start", [&]() -> Status {
    auto session = db_.session();
    exec(handle(session), "UPDATE dnc_generation SET state = 'failed' WHERE state = 'loading'");
    return Status::ok();
  });
  if (!s.isOk()) Log::warn("could not mark interrupted imports failed", {{"error", s.message()}});
  purger_ = std::thread([this] {
    nameCurrentThread("cw-dnc-purge");
    purgeLoop();
  });
}

SqliteListStore::~SqliteListStore() {
  {
    std::lock_guard lock(purge_mu_);
    stopping_ = true;
  }
  purge_cv_.notify_all();
  purger_.join();
}

Result<dialer::GateFacts> SqliteListStore::gateFacts(const std::string& to,
                                                     const std::string& subject_id) {
  return guarded("list store read", [&]() -> Result<dialer::GateFacts> {
    dialer::GateFacts f;
    auto lease = acquireReader();
    Reader& r = *lease.reader;
    {
      // One read transaction: every query below sees the same WAL snapshot.
      TxnGuard txn(r.db, *r.begin, *r.commit);
      readFacts(*r.internal, *r.lists, *r.consents, *r.rnd, to, subject_id, f);
      // Ending a read transaction with ROLLBACK makes SQLite drop its page cache; COMMIT of
      // a read-only transaction changes nothing and keeps the cache warm.
      txn.commit();
    }
    lease.healthy = true;
    return f;
  });
}

dialer::GateFacts SqliteListStore::gateFactsOn(SqliteConnection& conn, const std::string& to,
                                               const std::string& subject_id) {
  sqlite3* db = conn.handle();
  Stmt internal(db, conn.statement(kInternalSql));
  Stmt lists(db, conn.statement(kServedLists));
  Stmt consents(db, conn.statement(kConsentsSql));
  Stmt rnd(db, conn.statement(kRndSql));
  dialer::GateFacts f;
  try {
    readFacts(internal, lists, consents, rnd, to, subject_id, f);
  } catch (const SqlError& e) {
    throw SqliteError(SQLITE_ERROR, std::string("list store read: ") + e.what());
  }
  return f;
}

Result<std::vector<dialer::DncMembership>> SqliteListStore::memberships(policy::NanpNumber number) {
  return guarded("list store read", [&]() -> Result<std::vector<dialer::DncMembership>> {
    std::vector<dialer::DncMembership> out;
    auto lease = acquireReader();
    Reader& r = *lease.reader;
    {
      TxnGuard txn(r.db, *r.begin, *r.commit);
      readMemberships(*r.internal, *r.lists, number, out, nullptr);
      r.internal->reset();
      r.lists->reset();
      txn.commit();
    }
    lease.healthy = true;
    return out;
  });
}

Result<std::vector<dialer::DncListInfo>> SqliteListStore::lists() {
  return guarded("list store read", [&]() -> Result<std::vector<dialer::DncListInfo>> {
    std::vector<dialer::DncListInfo> out;
    auto session = db_.session();
    sqlite3* db = handle(session);
    Stmt q(db, kServedLists);
    q.bind(1, -1);
    while (q.step()) {
      dialer::DncListInfo i;
      i.list = q.text(0);
      i.generation = q.i64(1);
      i.obtained = dateOrNull(q.text(2)).value_or(policy::Date{});
      i.imported_at = fromMicros(q.i64(3));
      i.count = q.i64(4);
      out.push_back(std::move(i));
    }
    return out;
  });
}

Result<dialer::ListStore::AddResult> SqliteListStore::addInternal(policy::NanpNumber number,
                                                                  const std::string& reason,
                                                                  const std::string& api_key,
                                                                  Timestamp at) {
  return guarded("list store write", [&]() -> Result<AddResult> {
    auto session = db_.session();
    sqlite3* db = handle(session);
    TxnGuard txn(db, "BEGIN IMMEDIATE");
    Stmt ins(db,
             "INSERT INTO dnc_internal (number, added_at, reason, api_key) VALUES (?1, ?2, ?3, "
             "?4) ON CONFLICT (number) DO NOTHING");
    ins.bind(1, number).bind(2, micros(at)).bind(3, reason).bind(4, api_key);
    ins.step();
    AddResult r;
    r.added = sqlite3_changes(db) == 1;
    Stmt q(db, "SELECT added_at, reason FROM dnc_internal WHERE number = ?1");
    q.bind(1, number);
    if (!q.step()) throw SqlError("internal entry vanished");
    r.entry.list = "internal";
    r.entry.since = fromMicros(q.i64(0));
    r.entry.reason = q.text(1);
    txn.commit();
    return r;
  });
}

Status SqliteListStore::removeInternal(policy::NanpNumber number) {
  return guarded("list store write", [&]() -> Status {
    auto session = db_.session();
    sqlite3* db = handle(session);
    Stmt del(db, "DELETE FROM dnc_internal WHERE number = ?1");
    del.bind(1, number);
    del.step();
    if (sqlite3_changes(db) == 0) return Status::notFound("the number is not on the internal list");
    return Status::ok();
  });
}

Status SqliteListStore::recordRnd(policy::NanpNumber number, const policy::RndAnswer& a,
                                  const std::string& api_key) {
  return guarded("list store write", [&]() -> Status {
    auto session = db_.session();
    sqlite3* db = handle(session);
    Stmt ins(db,
             "INSERT INTO rnd_answer (number, result, disconnected_on, queried_at, api_key) "
             "VALUES (?1, ?2, ?3, ?4, ?5)");
    ins.bind(1, number).bind(2, std::string(policy::rndResultName(a.result)));
    if (a.disconnected_on) {
      ins.bind(3, policy::formatDate(*a.disconnected_on));
    } else {
      ins.bindNull(3);
    }
    ins.bind(4, micros(a.queried_at)).bind(5, api_key);
    ins.step();
    return Status::ok();
  });
}

Result<dialer::ImportReport> SqliteListStore::importList(const dialer::ImportRequest& req,
                                                         std::istream& in,
                                                         const dialer::BeforeSwap& before_swap) {
  std::unique_lock lock(import_mu_, std::try_to_lock);
  if (!lock.owns_lock()) return Status::conflict("another list import is running");
  dialer::ImportReport report;
  report.list = req.list;
  report.obtained = req.obtained;
  std::int64_t generation = 0;
  std::optional<Poco::Data::Session> session;
  sqlite3* db = nullptr;

  // Marks the new generation failed (its rows are purged later); the old copy stays current.
  auto abandon = [&] {
    if (generation == 0 || db == nullptr) return;
    try {
      Stmt u(db, "UPDATE dnc_generation SET state = 'failed', finished_at = ?2 WHERE id = ?1");
      u.bind(1, generation).bind(2, micros(req.at));
      u.step();
    } catch (const SqlError& e) {
      Log::error("could not mark a failed import", {{"error", e.what()}});
    }
    schedulePurge();
  };

  Status s = guarded("list import", [&]() -> Status {
    session.emplace(db_.session());
    db = handle(*session);
    {
      Stmt g(db,
             "INSERT INTO dnc_generation (list_name, obtained_on, state, started_at, api_key) "
             "VALUES (?1, ?2, 'loading', ?3, ?4)");
      g.bind(1, req.list).bind(2, policy::formatDate(req.obtained)).bind(3, micros(req.at));
      g.bind(4, req.api_key);
      g.step();
      generation = sqlite3_last_insert_rowid(db);
    }
    report.generation = generation;
    // Nobody reads a loading generation, so its batches need not be durable one by one; the
    // swap below runs with synchronous=FULL again and is what makes the copy count.
    exec(db, "PRAGMA synchronous=NORMAL");
    struct RestoreSync {
      sqlite3* db;
      ~RestoreSync() { sqlite3_exec(db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr); }
    } restore{db};

    Stmt ins(db, "INSERT OR IGNORE INTO dnc_number (generation, number) VALUES (?1, ?2)");
    LineReader reader(in);
    std::string line;
    bool too_long = false;
    size_t in_batch = 0;
    std::optional<TxnGuard> batch;
    while (reader.next(line, too_long)) {
      ++report.lines;
      if (req.progress && report.lines % req.progress_every == 0) req.progress(report.lines);
      auto p = too_long ? policy::ParsedLine{policy::LineKind::kMalformed, 0}
                        : policy::parseDncLine(line, report.lines);
      if (p.kind == policy::LineKind::kSkip) continue;
      if (p.kind == policy::LineKind::kMalformed) {
        ++report.rejected;
        if (report.rejected_lines.size() < dialer::ImportReport::kMaxRejectedLines)
          report.rejected_lines.push_back(report.lines);
        continue;
      }
      if (!batch) batch.emplace(db, "BEGIN IMMEDIATE");
      ins.bind(1, generation).bind(2, p.number);
      ins.step();
      ins.reset();
      if (sqlite3_changes(db) == 1) {
        ++report.accepted;
      } else {
        ++report.duplicates;
      }
      if (++in_batch >= batch_rows_) {
        batch->commit();
        batch.reset();
        in_batch = 0;
      }
    }
    if (batch) batch->commit();
    if (req.progress) req.progress(report.lines);

    if (reader.failed()) {
      report.failure = "the upload could not be read to its end";
      if (!reader.failure().empty()) report.failure += ": " + reader.failure();
    } else if (req.expected_bytes && reader.bytes() != *req.expected_bytes) {
      report.failure = "the upload ended after " + std::to_string(reader.bytes()) + " of " +
                       std::to_string(*req.expected_bytes) + " bytes";
    } else if (report.accepted == 0) {
      // An empty registry copy is a failed download, not a list: serving it would clear
      // every number at once.
      report.failure = "the file holds no valid number";
    }
    if (!report.failure.empty()) return Status::ok();

    Status agreed = before_swap ? before_swap(report) : Status::ok();
    if (!agreed.isOk()) return agreed;

    exec(db, "PRAGMA synchronous=FULL");
    TxnGuard swap(db, "BEGIN IMMEDIATE");
    Stmt old(db, "SELECT current_generation FROM dnc_list WHERE name = ?1");
    old.bind(1, req.list);
    if (old.step()) report.replaced_generation = old.i64(0);
    Stmt point(db,
               "INSERT INTO dnc_list (name, current_generation) VALUES (?1, ?2) "
               "ON CONFLICT (name) DO UPDATE SET current_generation = excluded.current_generation");
    point.bind(1, req.list).bind(2, generation);
    point.step();
    Stmt done(db,
              "UPDATE dnc_generation SET state = 'current', finished_at = ?2, accepted = ?3, "
              "rejected = ?4, duplicates = ?5 WHERE id = ?1");
    done.bind(1, generation).bind(2, micros(req.at));
    done.bind(3, static_cast<std::int64_t>(report.accepted));
    done.bind(4, static_cast<std::int64_t>(report.rejected));
    done.bind(5, static_cast<std::int64_t>(report.duplicates));
    done.step();
    if (report.replaced_generation) {
      Stmt retire(db, "UPDATE dnc_generation SET state = 'retired' WHERE id = ?1");
      retire.bind(1, *report.replaced_generation);
      retire.step();
    }
    swap.commit();
    report.committed = true;
    return Status::ok();
  });
  if (!report.committed) abandon();
  if (!s.isOk()) return s;
  if (report.committed) schedulePurge();
  return report;
}

void SqliteListStore::schedulePurge() {
  {
    std::lock_guard lock(purge_mu_);
    purge_wanted_ = true;
  }
  purge_cv_.notify_all();
}

Status SqliteListStore::purgeOnce(bool* more) {
  return guarded("list purge", [&]() -> Status {
    *more = false;
    auto session = db_.session();
    sqlite3* db = handle(session);
    Stmt pick(db,
              "SELECT id FROM dnc_generation WHERE state IN ('retired', 'failed') ORDER BY id "
              "LIMIT 1");
    if (!pick.step()) return Status::ok();
    const std::int64_t g = pick.i64(0);
    pick.reset();
    // Small batches keep each write transaction short (the attempt ledger shares the lock).
    Stmt del(db,
             "DELETE FROM dnc_number WHERE generation = ?1 AND number IN "
             "(SELECT number FROM dnc_number WHERE generation = ?1 LIMIT ?2)");
    del.bind(1, g).bind(2, static_cast<std::int64_t>(batch_rows_));
    del.step();
    if (sqlite3_changes(db) == 0) {
      Stmt u(db, "UPDATE dnc_generation SET state = 'purged' WHERE id = ?1");
      u.bind(1, g);
      u.step();
    }
    *more = true;
    return Status::ok();
  });
}

void SqliteListStore::purgeLoop() {
  for (;;) {
    {
      std::unique_lock lock(purge_mu_);
      purge_cv_.wait(lock, [this] { return stopping_ || purge_wanted_; });
      if (stopping_) return;
      purge_wanted_ = false;
    }
    bool more = true;
    while (more) {
      {
        std::lock_guard lock(purge_mu_);
        if (stopping_) return;
      }
      Status s = purgeOnce(&more);
      if (!s.isOk()) {
        // Leftover rows cost space, not correctness; try again on the next import.
        Log::warn("list purge failed", {{"error", s.message()}});
        break;
      }
    }
  }
}

Status SqliteListStore::purgeNowForTesting() {
  bool more = true;
  while (more) {
    Status s = purgeOnce(&more);
    if (!s.isOk()) return s;
  }
  return Status::ok();
}

}  // namespace callwarden::store
