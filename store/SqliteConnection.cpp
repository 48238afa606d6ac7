#include "store/SqliteConnection.h"

#include <sqlite3.h>

#include <cstring>

namespace callwarden::store {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc, const std::string& what) {
  throw SqliteError(rc, what + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::string& name) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(name.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::unavailable("cannot open " + name + ": " + msg);
  }
  std::unique_ptr<SqliteConnection> c(new SqliteConnection(db));
  try {
    // The same guarantees as Database's connections: durable commits, waiting on writers.
    c->exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA "
        "foreign_keys=ON");
  } catch (const SqliteError& e) {
    return Status::unavailable(e.what());
  }
  return c;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

void SqliteConnection::exec(const char* sql) {
  // BEGIN, COMMIT and SAVEPOINT run on every request: a single statement is prepared once
  // and cached like any query. Only scripts of several statements go through sqlite3_exec.
  if (std::strchr(sql, ';') == nullptr) {
    Query(*this, sql).run();
    return;
  }
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqliteError(rc, std::string(sql) + ": " + msg);
  }
}

sqlite3_stmt* SqliteConnection::statement(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, "prepare");
  cache_.emplace(sql, stmt);
  return stmt;
}

Query::Query(SqliteConnection& conn, const char* sql) : conn_(conn), stmt_(conn.statement(sql)) {}

Query::~Query() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Query& Query::bind(int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, ++index_, v);
  if (rc != SQLITE_OK) fail(conn_.handle(), rc, "bind");
  return *this;
}

Query& Query::bind(std::string_view v) {
  int rc =
      sqlite3_bind_text(stmt_, ++index_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(conn_.handle(), rc, "bind");
  return *this;
}

Query& Query::bind(std::optional<int64_t> v) {
  if (v) return bind(*v);
  int rc = sqlite3_bind_null(stmt_, ++index_);
  if (rc != SQLITE_OK) fail(conn_.handle(), rc, "bind");
  return *this;
}

bool Query::next() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(conn_.handle(), rc, "step");
}

void Query::run() {
  while (next()) {
  }
}

int64_t Query::int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Query::text(int column) const {
  const unsigned char* t = sqlite3_column_text(stmt_, column);
  return t == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(t),
                                    static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Query::isNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

SqlitePool::Lease SqlitePool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(c));
    }
  }
  auto c = SqliteConnection::open(name_);
  if (!c.isOk()) throw SqliteError(0, c.status().message());
  return Lease(*this, std::move(c).value());
}

void SqlitePool::release(std::unique_ptr<SqliteConnection> c) {
  if (!c) return;
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(c));
}

}  // namespace callwarden::store
