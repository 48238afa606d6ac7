// Calling-window decisions per second on one core, with the shipped data (docs/PERFORMANCE.md).
// Reproduce: cmake --build build-policy --target policy_decision_bench &&
//            build-policy/bin/policy_decision_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>

#include "common/Rfc3339.h"
#include "rules/NumberingPlanLoader.h"

namespace {

using namespace callwarden;

const policy::CallingWindowPolicy& shipped() {
  static auto p = [] {
    auto r = rules::loadCallingWindowPolicy(std::string(CALLWARDEN_SOURCE_DIR) + "/data");
    if (!r) {
      std::cerr << r.status().toString() << "\n";
      std::abort();
    }
    return *r;
  }();
  return *p;
}

policy::CallContext twoZoneFlorida(const char* when) {
  policy::CallContext c;
  c.to = "+18508721234";  // {America/Chicago, America/New_York}, US-FL 08-20 + TCPA
  c.purpose = policy::Purpose::kTelemarketing;
  c.at = parseRfc3339(when).value();
  return c;
}

void run(benchmark::State& state, const policy::CallContext& c) {
  const auto& p = shipped();
  for (auto _ : state) {
    auto d = p.evaluate(c);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}

// 12:00 EDT: allowed (the common case for a dialer inside its hours).
void BM_TwoZoneFloridaAllowed(benchmark::State& s) {
  run(s, twoZoneFlorida("2026-07-15T16:00:00Z"));
}
// 20:30 EDT: denied by Florida in the Eastern candidate; next_allowed_at computed.
void BM_TwoZoneFloridaDenied(benchmark::State& s) {
  run(s, twoZoneFlorida("2026-07-16T00:30:00Z"));
}
// Saturday evening in Alabama: next allowed is Monday (Sunday ban), across two search days.
void BM_AlabamaWeekendDenied(benchmark::State& s) {
  auto c = twoZoneFlorida("2026-07-19T01:30:00Z");
  c.to = "+12052541234";
  run(s, c);
}
// A mix: one decision in ten is a deny.
void BM_TwoZoneFloridaMix90Allowed(benchmark::State& s) {
  const auto& p = shipped();
  const auto allowed = twoZoneFlorida("2026-07-15T16:00:00Z");
  const auto denied = twoZoneFlorida("2026-07-16T00:30:00Z");
  int i = 0;
  for (auto _ : s) {
    auto d = p.evaluate(++i % 10 == 0 ? denied : allowed);
    benchmark::DoNotOptimize(d);
  }
  s.SetItemsProcessed(s.iterations());
}

BENCHMARK(BM_TwoZoneFloridaAllowed);
BENCHMARK(BM_TwoZoneFloridaDenied);
BENCHMARK(BM_AlabamaWeekendDenied);
BENCHMARK(BM_TwoZoneFloridaMix90Allowed);

}  // namespace

BENCHMARK_MAIN();
