// What one system call costs on this machine: the unit in which the per-check savings of
// docs/PERFORMANCE.md (session 7) are counted. On the paravirtualised benchmark VM even a call
// that does nothing (getppid) costs about a microsecond, so every call a check makes matters.
//
//   build/bin/syscall_cost_bench
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace {

// A file to stat and lock, removed at exit.
class ScratchFile {
 public:
  ScratchFile() : path_("/tmp/syscall_cost." + std::to_string(::getpid())) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  }
  ~ScratchFile() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// The cheapest real system call (glibc does not cache it).
void BM_Getppid(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(::syscall(SYS_getppid));
}
BENCHMARK(BM_Getppid);

// What the audit log did after every write to see whether records.log was still linked.
void BM_Fstat(benchmark::State& state) {
  ScratchFile f;
  struct stat st {};
  for (auto _ : state) benchmark::DoNotOptimize(::fstat(f.fd(), &st));
}
BENCHMARK(BM_Fstat);

// What SQLite's unix VFS does around a WAL read transaction in another process's view (a
// shared lock on a read mark, then its release): store.sqlite_process_lock = shared.
void BM_FcntlReadLockAndUnlock(benchmark::State& state) {
  ScratchFile f;
  struct flock fl {};
  fl.l_whence = SEEK_SET;
  fl.l_start = 120;
  fl.l_len = 1;
  for (auto _ : state) {
    fl.l_type = F_RDLCK;
    benchmark::DoNotOptimize(::fcntl(f.fd(), F_SETLK, &fl));
    fl.l_type = F_UNLCK;
    benchmark::DoNotOptimize(::fcntl(f.fd(), F_SETLK, &fl));
  }
}
BENCHMARK(BM_FcntlReadLockAndUnlock);

}  // namespace

BENCHMARK_MAIN();
