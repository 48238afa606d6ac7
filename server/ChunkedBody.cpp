#include "server/ChunkedBody.h"

#include <algorithm>
#include <string>

#include "server/ApiError.h"

namespace callwarden::server {
namespace {
constexpr int kEof = std::char_traits<char>::eof();
// A chunk size of up to 15 hex digits; extensions and trailers are read but bounded, since
// nothing here uses them.
constexpr int kMaxSizeDigits = 15;
constexpr size_t kMaxExtensionBytes = 1024;
// In all, per body: the minimum data rate counts bytes on the wire, so a body of one-byte
// chunks each carrying a long extension must not stretch its deadline a thousandfold.
constexpr size_t kMaxExtensionBytesPerBody = 64 * 1024;
constexpr size_t kMaxTrailerBytes = 8192;

int hexValue(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

void ChunkedBodyBuf::malformed(const char* what) {
  throw ApiError(400, "MALFORMED_REQUEST", std::string("malformed chunked body: ") + what);
}

void ChunkedBodyBuf::readSizeLine() {
  if (started_ && (get() != '\r' || get() != '\n')) malformed("chunk data is not followed by CRLF");
  started_ = true;
  uint64_t size = 0;
  int digits = 0;
  int c = get();
  for (int v; (v = hexValue(c)) >= 0; c = get()) {
    if (++digits > kMaxSizeDigits) malformed("chunk size too large");
    size = size * 16 + static_cast<uint64_t>(v);
  }
  if (digits == 0) malformed("chunk size is not a hex number");
  if (c == ';') {  // chunk extensions: ignored
    for (size_t n = 0; (c = get()) != '\r'; ++n) {
      if (c == kEof || c == '\n' || n > kMaxExtensionBytes) malformed("bad chunk extension");
      if (++extension_bytes_ > kMaxExtensionBytesPerBody) malformed("chunk extensions too large");
    }
  }
  if (c != '\r' || get() != '\n') malformed("chunk size line does not end in CRLF");
  remaining_ = size;
  if (size == 0) readTrailers();
}

void ChunkedBodyBuf::readTrailers() {
  // Trailer fields are ignored; the section ends with an empty line.
  size_t total = 0;
  for (;;) {
    size_t line = 0;
    int c;
    while ((c = get()) != '\r') {
      if (c == kEof || c == '\n') malformed("bad trailer section");
      if (++total > kMaxTrailerBytes) malformed("trailer section too large");
      ++line;
    }
    if (get() != '\n') malformed("trailer line does not end in CRLF");
    if (line == 0) break;
  }
  done_ = true;
}

ChunkedBodyBuf::int_type ChunkedBodyBuf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  if (done_) return traits_type::eof();
  if (remaining_ == 0) {
    readSizeLine();
    if (done_) return traits_type::eof();
  }
  const size_t want = static_cast<size_t>(std::min<uint64_t>(remaining_, sizeof buf_));
  for (size_t i = 0; i < want; ++i) {
    const int c = get();
    if (c == kEof) malformed("the connection ended inside a chunk");
    buf_[i] = static_cast<char>(c);
  }
  remaining_ -= want;
  setg(buf_, buf_, buf_ + want);
  return traits_type::to_int_type(buf_[0]);
}

}  // namespace callwarden::server
