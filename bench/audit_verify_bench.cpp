// `audit verify` over a 1,000,000-record log: integrity only (no KEK) and with every sealed
// record decrypted (KEK given). The log is generated once per run through AuditLog (half the
// records carry personal data, 5,000 subjects), then verified.
//
//   build-audit/bin/audit_verify_bench --benchmark_counters_tabular=true
// Log location: $CALLWARDEN_BENCH_DIR (default /var/tmp/cw-audit-bench)/verify.

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include "audit/AuditLog.h"
#include "audit/Keys.h"
#include "audit/Verifier.h"

namespace {

using namespace callwarden;
using namespace callwarden::audit;

constexpr uint64_t kRecords = 1000000;

const VerifyOptions& generatedLog() {
  static const VerifyOptions opts = [] {
    const char* d = std::getenv("CALLWARDEN_BENCH_DIR");
    const std::string base = std::string(d != nullptr ? d : "/var/tmp/cw-audit-bench") + "/verify";
    std::filesystem::remove_all(base);
    std::filesystem::create_directories(base);
    AuditOptions o;
    o.dir = base + "/log";
    o.kek_file = base + "/kek";
    o.signing_key_file = base + "/signing.key";
    if (!initKeys(o.kek_file, o.signing_key_file).isOk()) std::abort();
    SystemClock clock;
    auto log = AuditLog::open(o, clock);
    if (!log.isOk()) std::abort();
    std::atomic<uint64_t> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; ++t) {
      pool.emplace_back([&] {
        std::vector<std::future<Result<uint64_t>>> inflight;
        for (uint64_t i = next++; i + 2 < kRecords; i = next++) {  // + open and close records
          AuditEvent e;
          e.type = EventType::kDecision;
          e.clear = {{"decision", (i % 3) != 0 ? "allow" : "deny"},
                     {"reason", "WITHIN_WINDOW"},
                     {"rule_version", "2026-07-01.3"},
                     {"decision_id", "dec_3f9c0a5e" + std::to_string(i)}};
          if (i % 2 == 0) {
            e.subject_key = "phone:+1541555" + std::to_string(1000 + i % 5000);
            e.personal = {{"to", e.subject_key.substr(6)}, {"campaign", "renewals"}};
          }
          inflight.push_back((*log)->appendAsync(e));
          if (inflight.size() >= 2048) {
            for (auto& f : inflight) {
              if (!f.get().isOk()) std::abort();
            }
            inflight.clear();
          }
        }
        for (auto& f : inflight) {
          if (!f.get().isOk()) std::abort();
        }
      });
    }
    for (auto& p : pool) p.join();
    if (!(*log)->close().isOk()) std::abort();
    VerifyOptions v;
    v.dir = o.dir;
    v.signing_key_file = o.signing_key_file;
    v.kek_file = o.kek_file;
    return v;
  }();
  return opts;
}

void runVerify(benchmark::State& state, bool with_kek) {
  VerifyOptions v = generatedLog();
  if (!with_kek) v.kek_file.clear();
  VerifyReport r;
  for (auto _ : state) {
    r = verifyLog(v);
    benchmark::DoNotOptimize(r.records);
  }
  if (r.exit_code != 0 || r.records != kRecords) {
    state.SkipWithError(toText(r).c_str());
    return;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * r.records));
  state.counters["records"] = static_cast<double>(r.records);
  state.counters["decrypted"] = static_cast<double>(r.decrypted);
}

void BM_AuditVerify1M(benchmark::State& state) {
  runVerify(state, false);
}
void BM_AuditVerify1MWithKek(benchmark::State& state) {
  runVerify(state, true);
}

BENCHMARK(BM_AuditVerify1M)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_AuditVerify1MWithKek)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
