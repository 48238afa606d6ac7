// What one fdatasync costs the whole machine, beyond the thread that waits for it.
//
//   flush_stall [DIR] [SECONDS_PER_PHASE] [INTERVAL_US] [prealloc]  (defaults: /var/tmp 3 2000)
//
// With "prealloc" the file's blocks are allocated up front (fallocate with KEEP_SIZE, so its
// size still grows with each append): does a flush cost less when it need not allocate?
//
// One thread per CPU spins reading the clock; any gap longer than 20 µs between two reads is
// time that thread did not run. Alongside them, an I/O thread wakes every INTERVAL_US and
// appends 512 bytes to a file in DIR: in the "write" phase that is all, in the "flush" phase
// it also fdatasyncs. The phases alternate three times. The difference in lost CPU time
// between them, divided by the number of flushes, is what a flush takes from the other threads:
// on a bare-metal machine close to nothing, since the flushing thread only sleeps; on some
// virtual machines a great deal, because the hypervisor stops the virtual CPUs while the host
// flushes, and the guest kernel does not even count it as steal time.
//
// This is why callwarden's audit flushes (docs/adr/0002) show up in the latency of requests
// that never wait for them; docs/PERFORMANCE.md has the figures.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {
using Clock = std::chrono::steady_clock;

struct Lost {
  double lost_us = 0;  // summed over the spinning threads
  double max_gap_us = 0;
};

struct Phase {
  Lost lost;
  long flushes = 0;
  double flush_p50_us = 0;
  double flush_p99_us = 0;
};

Phase runPhase(int fd, bool flush, std::chrono::seconds length, std::chrono::microseconds every,
               unsigned spinners) {
  std::atomic<bool> stop{false};
  std::vector<Lost> lost(spinners);
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < spinners; ++i) {
    threads.emplace_back([&, i] {
      auto last = Clock::now();
      while (!stop.load(std::memory_order_relaxed)) {
        const auto now = Clock::now();
        const double gap = std::chrono::duration<double, std::micro>(now - last).count();
        if (gap > 20) {
          lost[i].lost_us += gap;
          lost[i].max_gap_us = std::max(lost[i].max_gap_us, gap);
        }
        last = now;
      }
    });
  }
  std::vector<double> flush_us;
  std::thread io([&] {
    const std::string record(512, 'r');
    auto next = Clock::now();
    while (!stop.load()) {
      next += every;
      std::this_thread::sleep_until(next);
      if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
        std::perror("write");
        std::exit(1);
      }
      if (flush) {
        const auto t0 = Clock::now();
        if (::fdatasync(fd) != 0) {
          std::perror("fdatasync");
          std::exit(1);
        }
        flush_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
    }
  });
  std::this_thread::sleep_for(length);
  stop.store(true);
  for (auto& t : threads) t.join();
  io.join();
  Phase p;
  for (const auto& l : lost) {
    p.lost.lost_us += l.lost_us;
    p.lost.max_gap_us = std::max(p.lost.max_gap_us, l.max_gap_us);
  }
  p.flushes = static_cast<long>(flush_us.size());
  if (!flush_us.empty()) {
    std::sort(flush_us.begin(), flush_us.end());
    p.flush_p50_us = flush_us[flush_us.size() / 2];
    p.flush_p99_us = flush_us[flush_us.size() * 99 / 100];
  }
  return p;
}
}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/var/tmp";
  const std::chrono::seconds length{argc > 2 ? std::atoi(argv[2]) : 3};
  const std::chrono::microseconds every{argc > 3 ? std::atoi(argv[3]) : 2000};
  const unsigned spinners = std::max(1u, std::thread::hardware_concurrency());
  const bool prealloc = argc > 4 && std::string(argv[4]) == "prealloc";
  const std::string path = dir + "/flush_stall." + std::to_string(::getpid());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::perror(path.c_str());
    return 1;
  }
  if (prealloc && ::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 256L << 20) != 0) {
    std::perror("fallocate");
    return 1;
  }
  const double available_us =
      static_cast<double>(spinners) * std::chrono::duration<double, std::micro>(length).count();
  std::printf("%u spinning threads, one 512-byte append every %ld µs, %lld s per phase%s\n",
              spinners, static_cast<long>(every.count()), static_cast<long long>(length.count()),
              prealloc ? ", blocks preallocated" : "");
  std::printf("%-6s %12s %14s %9s %16s\n", "phase", "CPU lost", "longest gap", "flushes",
              "flush p50 / p99");
  double write_lost = 0, flush_lost = 0;
  long flushes = 0;
  for (int round = 0; round < 3; ++round) {
    for (bool flush : {false, true}) {
      const Phase p = runPhase(fd, flush, length, every, spinners);
      std::printf("%-6s %11.1f%% %11.0f µs %9ld", flush ? "flush" : "write",
                  100 * p.lost.lost_us / available_us, p.lost.max_gap_us, p.flushes);
      if (flush) std::printf("   %4.0f / %5.0f µs", p.flush_p50_us, p.flush_p99_us);
      std::printf("\n");
      (flush ? flush_lost : write_lost) += p.lost.lost_us;
      flushes += p.flushes;
    }
  }
  ::close(fd);
  ::unlink(path.c_str());
  if (flushes > 0) {
    std::printf("CPU time lost per fdatasync, summed over all CPUs: %.0f µs\n",
                (flush_lost - write_lost) / static_cast<double>(flushes));
  }
  return 0;
}
