#include "server/ConnectionReader.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <string>

namespace callwarden::server {
namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void ConnectionReader::setDeadline(int64_t at_ms, uint64_t bytes_per_second) {
  deadline_ = Deadline{at_ms, bytes_per_second};
}

int ConnectionReader::tryGet() {
  if (pos_ < end_) return static_cast<unsigned char>(buf_[pos_++]);
  pos_ = end_ = 0;
  for (;;) {
    const ssize_t n = ::recv(fd_, buf_, sizeof buf_, MSG_DONTWAIT);
    if (n > 0) {
      end_ = static_cast<size_t>(n);
      if (deadline_) deadline_->received += end_;
      return static_cast<unsigned char>(buf_[pos_++]);
    }
    if (n == 0) return -1;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return kWouldBlock;
    throw ReadFailed(std::strerror(errno));
  }
}

size_t ConnectionReader::read(char* out, size_t n) {
  if (n == 0) return 0;
  if (pos_ == end_ && !refill()) return 0;
  const size_t k = std::min(n, end_ - pos_);
  std::memcpy(out, buf_ + pos_, k);
  pos_ += k;
  return k;
}

bool ConnectionReader::refill() {
  pos_ = end_ = 0;
  for (bool waited = false;;) {
    // Within a request, try without waiting first: the rest of a request usually is there
    // already, and then this costs no more system calls than a blocking receive.
    const int flags = deadline_ && !waited ? MSG_DONTWAIT : 0;
    const ssize_t n = ::recv(fd_, buf_, sizeof buf_, flags);
    if (n > 0) {
      end_ = static_cast<size_t>(n);
      if (deadline_) deadline_->received += end_;
      return true;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) throw ReadFailed(std::strerror(errno));
    if (!deadline_ || waited) throw ReadTimeout("the client sent nothing within the timeout");
    const int64_t extension =
        deadline_->bytes_per_second == 0
            ? 0
            : static_cast<int64_t>(deadline_->received * 1000 / deadline_->bytes_per_second);
    const int64_t left = deadline_->at_ms + extension - nowMs();
    if (left <= 0) throw ReadTimeout("the request did not arrive in time");
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, INT_MAX)));
    if (r == 0) throw ReadTimeout("the request did not arrive in time");
    if (r < 0 && errno != EINTR) throw ReadFailed(std::strerror(errno));
    // Readable (or hung up, which the receive reports): receive once more. The socket's own
    // receive timeout also still applies, so a wake-up without data cannot block for long.
    waited = r > 0;
  }
}

}  // namespace callwarden::server
