#pragma once
// A raw SQLite connection with a cache of prepared statements, for the hot paths (the attempt
// ledger runs ten statements per reservation; preparing each one every time through
// Poco::Data cost more than the fsync it shares). Schema and migrations stay with
// Poco::Data in Database; this class only runs statements against an already-migrated file.
//
// Not thread-safe: one thread uses a connection at a time (SqlitePool hands them out).
// Errors throw SqliteError; callers at the module boundary turn them into Status.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/Result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace callwarden::store {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class SqliteConnection {
 public:
  /// Opens `name` read-write with the same pragmas as Database (WAL, synchronous=FULL, busy
  /// timeout). `name` is a path or a file: URI, normally Database::connectionName(), so that
  /// the connection locks the file as the Database's own do. kUnavailable when the file
  /// cannot be opened.
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& name);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  /// Runs one or more statements with no parameters and no rows ("BEGIN IMMEDIATE").
  void exec(const char* sql);
  /// The cached prepared statement for `sql` (prepared on first use).
  sqlite3_stmt* statement(const char* sql);
  sqlite3* handle() const { return db_; }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

/// One execution of a cached statement: bind in order, then next() per row or run().
/// Resets the statement when it goes out of scope, so the cache can reuse it.
class Query {
 public:
  Query(SqliteConnection& conn, const char* sql);
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int64_t v);
  Query& bind(std::string_view v);
  Query& bind(std::optional<int64_t> v);
  /// Steps once; true while a row is available.
  bool next();
  /// Steps to the end, for statements without rows.
  void run();
  int64_t int64(int column) const;
  std::string text(int column) const;
  bool isNull(int column) const;

 private:
  SqliteConnection& conn_;
  sqlite3_stmt* stmt_;
  int index_ = 0;
};

/// A small pool of connections to one file. Thread-safe.
class SqlitePool {
 public:
  /// `name` as for SqliteConnection::open.
  explicit SqlitePool(std::string name) : name_(std::move(name)) {}
  class Lease {
   public:
    Lease(SqlitePool& pool, std::unique_ptr<SqliteConnection> c)
        : pool_(pool), conn_(std::move(c)) {}
    ~Lease() { pool_.release(std::move(conn_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    SqliteConnection& operator*() { return *conn_; }

   private:
    SqlitePool& pool_;
    std::unique_ptr<SqliteConnection> conn_;
  };
  /// Throws SqliteError when a new connection cannot be opened.
  Lease acquire();

 private:
  void release(std::unique_ptr<SqliteConnection> c);
  const std::string name_;  // a path or file: URI, as for SqliteConnection::open
  std::mutex mutex_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_;  // guarded by mutex_
};

}  // namespace callwarden::store
