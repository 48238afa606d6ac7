#pragma once
// The read side of one HTTP connection: a buffer over the socket that the head parser and the
// body decoders read from. Heads are read without waiting (tryGet); a body's reads wait at
// most until its deadline, which a minimum data rate extends.
//
// Why not Poco's HTTPSession buffer, which this replaces: its refill cannot be hooked, so the
// only bound on a request was the socket's receive timeout, per read. A client sending one
// byte just inside that timeout held a request thread for as long as it cared to (a handful of
// such clients stopped the service).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>

namespace callwarden::server {

/// A read had to wait past the request's deadline, or past the socket's receive timeout.
class ReadTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A failed read (the connection was reset).
class ReadFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ConnectionReader {
 public:
  /// `fd` is a blocking socket whose SO_RCVTIMEO bounds a wait for a new request; it is not
  /// owned.
  explicit ConnectionReader(int fd) : fd_(fd) {}

  /// From now on, a read that has to wait for the network fails with ReadTimeout once the
  /// steady clock passes `at_ms`, extended by one second for every `bytes_per_second` bytes
  /// received after this call (0: no extension). A minimum data rate, not a fixed deadline,
  /// so that a large upload at a fair rate is not cut off.
  void setDeadline(int64_t at_ms, uint64_t bytes_per_second = 0);
  /// Reads wait only for the socket's receive timeout again (between requests).
  void clearDeadline() { deadline_.reset(); }

  static constexpr int kWouldBlock = -2;

  /// The next byte, EOF (-1) once the peer has closed, or kWouldBlock when nothing is buffered
  /// and nothing has arrived. Never waits (a request head is read this way, so that a client
  /// sending it slowly holds no thread). Throws ReadFailed.
  int tryGet();
  /// The next byte, or EOF (-1) once the peer has closed. Throws ReadTimeout or ReadFailed.
  int get() {
    if (pos_ == end_ && !refill()) return -1;
    return static_cast<unsigned char>(buf_[pos_++]);
  }
  /// The next byte without taking it, or EOF.
  int peek() {
    if (pos_ == end_ && !refill()) return -1;
    return static_cast<unsigned char>(buf_[pos_]);
  }
  /// Up to `n` bytes: what is buffered, else what one receive brings. 0 only at EOF.
  size_t read(char* out, size_t n);
  /// Bytes received and not yet read (a pipelined request).
  size_t buffered() const { return end_ - pos_; }

 private:
  bool refill();  // false at EOF

  struct Deadline {
    int64_t at_ms;
    uint64_t bytes_per_second;
    uint64_t received = 0;  // since setDeadline()
  };

  int fd_;
  std::optional<Deadline> deadline_;
  size_t pos_ = 0;
  size_t end_ = 0;
  char buf_[8192];
};

}  // namespace callwarden::server
