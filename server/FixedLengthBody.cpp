#include "server/FixedLengthBody.h"

#include <algorithm>

#include "server/ApiError.h"

namespace callwarden::server {

size_t readBodyBytes(ConnectionReader& reader, char* out, size_t n) {
  try {
    return reader.read(out, n);
  } catch (const ReadTimeout&) {
    throw ApiError(408, "REQUEST_TIMEOUT", "the request body did not arrive in time");
  } catch (const ReadFailed&) {
    throw ApiError(400, "MALFORMED_REQUEST", "the connection failed while the body was read");
  }
}

FixedLengthBodyBuf::int_type FixedLengthBodyBuf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  if (remaining_ == 0) return traits_type::eof();
  if (before_first_read_) {
    auto hook = std::move(before_first_read_);
    before_first_read_ = nullptr;
    hook();
  }
  const size_t want = static_cast<size_t>(std::min<uint64_t>(remaining_, sizeof buf_));
  const size_t n = readBodyBytes(reader_, buf_, want);
  if (n == 0) {
    throw ApiError(400, "MALFORMED_REQUEST",
                   "the connection ended before the body's Content-Length bytes arrived");
  }
  remaining_ -= n;
  setg(buf_, buf_, buf_ + n);
  return traits_type::to_int_type(*gptr());
}

}  // namespace callwarden::server
