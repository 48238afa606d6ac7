#include "audit/FileUtil.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace callwarden::audit {

Status errnoStatus(const std::string& what, const std::string& path) {
  return Status::ioError(what + " " + path + ": " + std::strerror(errno));
}

Result<std::string> readFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::notFound("no such file " + path);
    return errnoStatus("cannot open", path);
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = errnoStatus("cannot read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status writeAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errnoStatus("cannot write", path);
    if (n == 0) return Status::ioError("write returned 0 for " + path);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

std::string dirName(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool fileExists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Status fsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errnoStatus("cannot open directory", dir);
  int rc = ::fsync(fd);
  Status s = rc == 0 ? Status::ok() : errnoStatus("cannot fsync directory", dir);
  ::close(fd);
  return s;
}

namespace {
Status writeNewFile(const std::string& path, std::string_view data, unsigned mode, int flags) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, mode);
  if (fd < 0) {
    if (errno == EEXIST)
      return Status::conflict(path + " already exists; refusing to overwrite it");
    return errnoStatus("cannot create", path);
  }
  // The umask may have narrowed the mode, never widened it; fchmod makes it exact.
  Status s = ::fchmod(fd, mode) == 0 ? Status::ok() : errnoStatus("cannot chmod", path);
  if (s.isOk()) s = writeAll(fd, data, path);
  if (s.isOk() && ::fsync(fd) != 0) s = errnoStatus("cannot fsync", path);
  if (::close(fd) != 0 && s.isOk()) s = errnoStatus("cannot close", path);
  return s;
}
}  // namespace

Status createFileExclusive(const std::string& path, std::string_view data, unsigned mode) {
  Status s = writeNewFile(path, data, mode, O_EXCL);
  if (!s.isOk()) return s;
  return fsyncDir(dirName(path));
}

Status replaceFileAtomically(const std::string& path, std::string_view data, unsigned mode) {
  const std::string tmp = path + ".tmp";
  Status s = writeNewFile(tmp, data, mode, O_TRUNC);
  if (!s.isOk()) {
    ::unlink(tmp.c_str());
    return s;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    s = errnoStatus("cannot rename over", path);
    ::unlink(tmp.c_str());
    return s;
  }
  return fsyncDir(dirName(path));
}

Result<MappedFile> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::notFound("no such file " + path);
    return errnoStatus("cannot open", path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = errnoStatus("cannot stat", path);
    ::close(fd);
    return s;
  }
  size_t n = static_cast<size_t>(st.st_size);
  if (n == 0) {
    ::close(fd);
    return MappedFile(nullptr, 0);
  }
  void* p = ::mmap(nullptr, n, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return errnoStatus("cannot mmap", path);
  ::madvise(p, n, MADV_SEQUENTIAL);
  return MappedFile(static_cast<const uint8_t*>(p), n);
}

MappedFile::MappedFile(MappedFile&& o) noexcept : data_(o.data_), size_(o.size_) {
  o.data_ = nullptr;
  o.size_ = 0;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace callwarden::audit
