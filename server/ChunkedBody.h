#pragma once
// A strict decoder for a chunked request body (RFC 9112 §7.1), read byte by byte from the
// connection's buffer.
//
// Why not Poco's HTTPChunkedInputStream: on a malformed chunk-size line it reports a normal end
// of body, so the bytes after it were read as the next request on the connection (request
// smuggling), and a route importing a list would take a cut-off body for the whole of it.
// Here a malformed body throws ApiError 400 MALFORMED_REQUEST out of the read (the stream has
// badbit exceptions on), and the connection ends.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <streambuf>

namespace callwarden::server {

class ChunkedBodyBuf : public std::streambuf {
 public:
  /// `next_byte` returns the next byte of the connection, or EOF.
  explicit ChunkedBodyBuf(std::function<int()> next_byte) : next_(std::move(next_byte)) {}
  /// The last chunk and the trailer section were read: the connection may carry on.
  bool complete() const { return done_; }

 protected:
  int_type underflow() override;

 private:
  int get() { return next_(); }
  [[noreturn]] void malformed(const char* what);
  void readSizeLine();
  void readTrailers();

  std::function<int()> next_;
  size_t extension_bytes_ = 0;  // in all chunk extensions so far
  uint64_t remaining_ = 0;      // bytes left in the current chunk
  bool started_ = false;        // a chunk was read, so its CRLF comes next
  bool done_ = false;
  char buf_[4096];
};

/// The body as an istream whose reads throw ApiError on a malformed body.
class ChunkedBodyStream : public std::istream {
 public:
  explicit ChunkedBodyStream(std::function<int()> next_byte)
      : std::istream(nullptr), buf_(std::move(next_byte)) {
    rdbuf(&buf_);
    exceptions(std::ios::badbit);
  }
  bool complete() const { return buf_.complete(); }

 private:
  ChunkedBodyBuf buf_;
};

}  // namespace callwarden::server
