#pragma once
// A request body of Content-Length bytes, read from the connection.
//
// Why not Poco's HTTPFixedLengthInputStream: it ends the body quietly when the connection
// ends early, so a route importing a list would take a cut-off body for the whole of it. Here
// that is a 400 MALFORMED_REQUEST, and a body that stops arriving is a 408 REQUEST_TIMEOUT,
// thrown out of the read as ApiError (the stream has badbit exceptions on).

#include <cstdint>
#include <functional>
#include <istream>
#include <streambuf>

#include "server/ConnectionReader.h"

namespace callwarden::server {

/// Reads up to `n` bytes of a body; reader failures become ApiError (400 or 408). 0 at EOF.
size_t readBodyBytes(ConnectionReader& reader, char* out, size_t n);

class FixedLengthBodyBuf : public std::streambuf {
 public:
  /// `before_first_read` runs once, before the first byte is read (an interim 100 Continue).
  FixedLengthBodyBuf(ConnectionReader& reader, uint64_t length,
                     std::function<void()> before_first_read)
      : reader_(reader), remaining_(length), before_first_read_(std::move(before_first_read)) {}
  /// Every byte of the body was read.
  bool complete() const { return remaining_ == 0; }

 protected:
  int_type underflow() override;

 private:
  ConnectionReader& reader_;
  uint64_t remaining_;
  std::function<void()> before_first_read_;
  char buf_[8192];
};

class FixedLengthBodyStream : public std::istream {
 public:
  FixedLengthBodyStream(ConnectionReader& reader, uint64_t length,
                        std::function<void()> before_first_read)
      : std::istream(nullptr), buf_(reader, length, std::move(before_first_read)) {
    rdbuf(&buf_);
    exceptions(std::ios::badbit);
  }
  bool complete() const { return buf_.complete(); }

 private:
  FixedLengthBodyBuf buf_;
};

}  // namespace callwarden::server
