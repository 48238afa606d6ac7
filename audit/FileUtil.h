#pragma once
// POSIX file helpers for audit/. Every write path here ends in fsync/fdatasync before it
// reports success, because an acknowledged audit record must survive a power cut.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/Result.h"

namespace callwarden::audit {

/// "<what> <path>: <strerror(errno)>" as an IOError.
Status errnoStatus(const std::string& what, const std::string& path);

Result<std::string> readFile(const std::string& path);
/// Writes all of `data` at the current offset, retrying on EINTR and short writes.
Status writeAll(int fd, std::string_view data, const std::string& path);
/// Creates `path` with `mode` (O_EXCL: refuses an existing file), writes, fsyncs file and dir.
Status createFileExclusive(const std::string& path, std::string_view data, unsigned mode);
/// Replaces `path` atomically: write path.tmp, fsync, rename over path, fsync the directory.
/// After it returns, no directory entry refers to the old contents.
Status replaceFileAtomically(const std::string& path, std::string_view data, unsigned mode);
Status fsyncDir(const std::string& dir);
std::string dirName(const std::string& path);
bool fileExists(const std::string& path);

/// A read-only view of a whole file (mmap; empty files map to an empty view).
class MappedFile {
 public:
  static Result<MappedFile> open(const std::string& path);
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&&) = delete;
  ~MappedFile();
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  MappedFile(const uint8_t* d, size_t n) : data_(d), size_(n) {}
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace callwarden::audit
