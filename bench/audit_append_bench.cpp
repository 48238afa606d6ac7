// Durable append throughput of the audit log (group commit). Every counted record was
// acknowledged by append() or its appendAsync() future, i.e. written and fdatasync'd.
//
//   build-audit/bin/audit_append_bench --benchmark_counters_tabular=true
// The log lives in $CALLWARDEN_BENCH_DIR (default /var/tmp/cw-audit-bench); use a real disk,
// not tmpfs, or fdatasync costs nothing and the figure means nothing.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "audit/AuditLog.h"
#include "audit/Keys.h"

namespace {

using namespace callwarden;
using namespace callwarden::audit;

std::string benchDir() {
  const char* d = std::getenv("CALLWARDEN_BENCH_DIR");
  return d != nullptr ? d : "/var/tmp/cw-audit-bench";
}

AuditOptions freshLog(const std::string& name) {
  const std::string base = benchDir() + "/" + name;
  std::filesystem::remove_all(base);
  std::filesystem::create_directories(base);
  AuditOptions o;
  o.dir = base + "/log";
  o.kek_file = base + "/kek";
  o.signing_key_file = base + "/signing.key";
  if (!initKeys(o.kek_file, o.signing_key_file).isOk()) std::abort();
  return o;
}

AuditEvent event(uint64_t i, bool personal) {
  AuditEvent e;
  e.type = EventType::kDecision;
  e.clear = {{"decision", (i % 3) != 0 ? "allow" : "deny"},
             {"reason", "WITHIN_WINDOW"},
             {"rule_version", "2026-07-01.3"},
             {"decision_id", "dec_3f9c0a5e" + std::to_string(i)}};
  if (personal) {
    e.subject_key = "phone:+1541555" + std::to_string(1000 + i % 5000);
    e.personal = {{"to", e.subject_key.substr(6)}, {"campaign", "renewals"}};
  }
  return e;
}

// Arg 0: appending threads; arg 1: percent of records carrying personal data.
void BM_AuditAppendDurable(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  constexpr uint64_t kRecords = 200000;
  SystemClock clock;
  uint64_t total = 0;
  for (auto _ : state) {
    state.PauseTiming();
    AuditOptions o = freshLog("append");
    auto log = AuditLog::open(o, clock);
    if (!log.isOk()) {
      state.SkipWithError(log.status().toString().c_str());
      return;
    }
    std::atomic<uint64_t> next{0};
    std::atomic<bool> failed{false};
    state.ResumeTiming();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (uint64_t i = next++; i < kRecords; i = next++) {
          const bool personal = static_cast<int64_t>(i % 100) < state.range(1);
          if (!(*log)->append(event(i, personal)).isOk()) failed = true;
        }
      });
    }
    for (auto& p : pool) p.join();
    state.PauseTiming();
    if (failed) state.SkipWithError("append failed");
    (void)(*log)->close();
    total += kRecords;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(total));
  state.counters["records_per_s"] =
      benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
}

// Few threads, each keeping `window` appends in flight through appendAsync().
void BM_AuditAppendAsyncDurable(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const size_t window = static_cast<size_t>(state.range(1));
  constexpr uint64_t kRecords = 300000;
  SystemClock clock;
  uint64_t total = 0;
  for (auto _ : state) {
    state.PauseTiming();
    AuditOptions o = freshLog("append-async");
    auto log = AuditLog::open(o, clock);
    if (!log.isOk()) {
      state.SkipWithError(log.status().toString().c_str());
      return;
    }
    std::atomic<uint64_t> next{0};
    std::atomic<bool> failed{false};
    state.ResumeTiming();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        std::vector<std::future<Result<uint64_t>>> inflight;
        size_t head = 0;
        for (uint64_t i = next++; i < kRecords; i = next++) {
          inflight.push_back((*log)->appendAsync(event(i, i % 2 == 0)));
          if (inflight.size() - head >= window && !inflight[head++].get().isOk()) failed = true;
        }
        for (; head < inflight.size(); ++head) {
          if (!inflight[head].get().isOk()) failed = true;
        }
      });
    }
    for (auto& p : pool) p.join();
    state.PauseTiming();
    if (failed) state.SkipWithError("append failed");
    (void)(*log)->close();
    total += kRecords;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(total));
  state.counters["records_per_s"] =
      benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
}

// How long one blocking append() waits for durability with `threads` appending at once (the
// HTTP check at 4 connections waits this long for its record). Reports p50 and p99 in µs.
void BM_AuditAppendLatency(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  constexpr int kPerThread = 2000;
  SystemClock clock;
  std::vector<double> micros;
  for (auto _ : state) {
    state.PauseTiming();
    AuditOptions o = freshLog("latency");
    auto log = AuditLog::open(o, clock);
    if (!log.isOk()) {
      state.SkipWithError(log.status().toString().c_str());
      return;
    }
    std::vector<std::vector<double>> per(static_cast<size_t>(threads));
    std::atomic<bool> failed{false};
    state.ResumeTiming();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const auto t0 = std::chrono::steady_clock::now();
          if (!(*log)->append(event(static_cast<uint64_t>(i), true)).isOk()) failed = true;
          per[static_cast<size_t>(t)].push_back(
              std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                  .count());
        }
      });
    }
    for (auto& p : pool) p.join();
    state.PauseTiming();
    if (failed) state.SkipWithError("append failed");
    (void)(*log)->close();
    for (auto& v : per) micros.insert(micros.end(), v.begin(), v.end());
    state.ResumeTiming();
  }
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros[static_cast<size_t>(q * (micros.size() - 1))]; };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
}

BENCHMARK(BM_AuditAppendLatency)
    ->Arg(1)
    ->Arg(4)
    ->ArgName("threads")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_AuditAppendAsyncDurable)
    ->ArgsProduct({{2, 4}, {512, 2048}})
    ->ArgNames({"threads", "window"})
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_AuditAppendDurable)
    ->ArgsProduct({{1, 64, 512, 1024}, {50}})
    ->ArgNames({"threads", "personal_pct"})
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
