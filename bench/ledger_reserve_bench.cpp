// Durable reservations per second through the call gate: check-and-reserve in one SQLite
// transaction (WAL, synchronous=FULL), group-committed by SqliteAttemptLedger.
//
//   build/bin/ledger_reserve_bench --benchmark_counters_tabular=true
// The database lives in $CALLWARDEN_BENCH_DIR (default /var/tmp/cw-ledger-bench): use a real
// disk, not tmpfs, or fsync costs nothing and the figure means nothing.
//
// Arg 0: concurrent callers. Arg 1: 0 = a fresh debt per reservation (every one allowed and
// written), 1 = one hot debt (7 allowed, the rest denied inside the same transaction).
// Arg 2: 0 = audit trail discarded (the ledger alone), 1 = the real audit log too (the whole
// durable decision path of POST /v1/calls/reserve minus HTTP).

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "audit/AuditLog.h"
#include "audit/Keys.h"
#include "common/Rfc3339.h"
#include "dialer/CallGate.h"
#include "rules/FrequencyRuleLoader.h"
#include "rules/NumberingPlanLoader.h"
#include "store/Database.h"
#include "store/SqliteAttemptLedger.h"

namespace {

using namespace callwarden;

std::string benchDir() {
  const char* d = std::getenv("CALLWARDEN_BENCH_DIR");
  return d != nullptr ? d : "/var/tmp/cw-ledger-bench";
}

class NullTrail final : public dialer::DurableAuditTrail {
 public:
  Result<uint64_t> append(const audit::AuditEvent&) override { return uint64_t{0}; }
};

class LogTrail final : public dialer::DurableAuditTrail {
 public:
  explicit LogTrail(audit::AuditLog& log) : log_(log) {}
  Result<uint64_t> append(const audit::AuditEvent& e) override { return log_.append(e); }

 private:
  audit::AuditLog& log_;
};

void BM_ReserveDurable(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const bool hot = state.range(1) == 1;
  const bool with_audit = state.range(2) == 1;
  const std::string dir = benchDir() + "/run";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto db = store::Database::open("sqlite:" + dir + "/ledger.db").value();
  store::SqliteAttemptLedger ledger(*db);
  SystemClock clock;
  std::unique_ptr<audit::AuditLog> log;
  std::unique_ptr<dialer::AuditTrail> trail;
  if (with_audit) {
    if (!audit::initKeys(dir + "/kek", dir + "/sk").isOk()) std::abort();
    log = audit::AuditLog::open({dir + "/audit", dir + "/kek", dir + "/sk"}, clock).value();
    trail = std::make_unique<LogTrail>(*log);
  } else {
    trail = std::make_unique<NullTrail>();
  }
  const std::string data = std::string(CALLWARDEN_SOURCE_DIR) + "/data";
  dialer::CallGate gate(rules::loadCallingWindowPolicy(data).value(),
                        rules::loadFrequencyRules(data + "/rules/us.json").value(), ledger, *trail,
                        clock);
  const Timestamp at = parseRfc3339("2026-03-02T15:00:00Z").value();

  for (auto _ : state) {
    constexpr int kPerThread = 400;
    std::atomic<int> allowed{0};
    std::atomic<uint64_t> seq{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (int i = 0; i < kPerThread; ++i) {
          dialer::CallRequest r;
          r.call.to = "+13125550142";
          r.call.purpose = policy::Purpose::kDebtCollection;
          r.call.at = at;
          r.client_time = true;
          const uint64_t n = seq.fetch_add(1);
          r.subject_id = hot ? "S-hot" : "S-" + std::to_string(n % 1000);
          r.debts = {hot ? std::string("HOT") : "D-" + std::to_string(n)};
          auto d = gate.reserve(r, {"bench", "bench"});
          if (d.isOk() && d->allowed) ++allowed;
        }
      });
    }
    for (auto& t : pool) t.join();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(secs);
    state.counters["reservations_per_s"] = threads * kPerThread / secs;
    state.counters["allowed"] = allowed.load();
  }
  if (log) (void)log->close();
}

BENCHMARK(BM_ReserveDurable)
    ->ArgNames({"callers", "hot", "audit"})
    ->Args({1, 0, 0})
    ->Args({64, 0, 0})
    ->Args({256, 0, 0})
    ->Args({256, 1, 0})
    ->Args({256, 0, 1})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
