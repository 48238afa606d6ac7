// Do-not-call lists on SQLite: import rate (rows/s) of a national-list file, lookup rate of
// the gate's per-call read (lists + consent + RND in one snapshot), and what that read adds to
// a gate decision. Run: build/bin/dnc_import_bench (results in docs/PERFORMANCE.md).

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>

#include "NoHistoryLedger.h"
#include "common/Clock.h"
#include "common/Rfc3339.h"
#include "dialer/CallGate.h"
#include "rules/FrequencyRuleLoader.h"
#include "rules/NumberingPlanLoader.h"
#include "store/Database.h"
#include "store/SqliteAttemptLedger.h"
#include "store/SqliteListStore.h"

namespace cw = callwarden;

namespace {

std::string tempDb(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("callwarden-bench-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return "sqlite:" + (dir / "bench.db").string();
}

// `n` distinct sorted 10-digit numbers, one per line, as the registry files come.
std::string listFile(std::int64_t n) {
  std::string s;
  s.reserve(static_cast<size_t>(n) * 11);
  for (std::int64_t i = 0; i < n; ++i) s += std::to_string(2012000000LL + i * 3) + "\n";
  return s;
}

cw::dialer::ImportReport importInto(cw::store::SqliteListStore& store, const std::string& file,
                                    const char* obtained) {
  cw::dialer::ImportRequest r;
  r.list = "national";
  r.obtained = cw::policy::parseDate(obtained).value();
  std::istringstream in(file);
  return store.importList(r, in, {}).value();
}

void BM_DncImport(benchmark::State& state) {
  const auto n = state.range(0);
  const std::string file = listFile(n);
  auto db = cw::store::Database::open(tempDb("import")).value();
  cw::store::SqliteListStore store(*db);
  for (auto _ : state) {
    auto r = importInto(store, file, "2026-07-01");
    if (!r.committed) state.SkipWithError("import failed");
    state.PauseTiming();
    (void)store.purgeNowForTesting();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_DncImport)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(2);

struct LookupFixture {
  std::unique_ptr<cw::store::Database> db;
  std::unique_ptr<cw::store::SqliteListStore> store;
  explicit LookupFixture(std::int64_t n) {
    db = cw::store::Database::open(tempDb("lookup-" + std::to_string(n))).value();
    store = std::make_unique<cw::store::SqliteListStore>(*db);
    importInto(*store, listFile(n), "2026-07-01");
  }
};

void BM_DncGateFacts(benchmark::State& state) {
  static LookupFixture f(state.range(0));
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> pick(0, state.range(0) * 3);
  std::int64_t hits = 0;
  for (auto _ : state) {
    auto phone = cw::policy::e164FromNanp(2012000000LL + pick(rng));
    auto facts = f.store->gateFacts(phone, "S-1");
    hits += static_cast<std::int64_t>(facts->memberships.size());
    benchmark::DoNotOptimize(facts);
  }
  state.counters["hit_ratio"] = static_cast<double>(hits) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DncGateFacts)->Arg(1000000)->Threads(1)->Threads(2)->UseRealTime();

// The same read against a store imported elsewhere, e.g. the 50-million-number file of
// docs/PERFORMANCE.md: CALLWARDEN_DNC_BENCH_STORE=sqlite:/tmp/dnc50m/cw.db.
void BM_DncGateFactsExternal(benchmark::State& state) {
  const char* url = std::getenv("CALLWARDEN_DNC_BENCH_STORE");
  if (url == nullptr) {
    state.SkipWithError("set CALLWARDEN_DNC_BENCH_STORE=sqlite:PATH");
    return;
  }
  static auto db = cw::store::Database::open(url).value();
  static cw::store::SqliteListStore store(*db);
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::int64_t> pick(2012000000LL, 2649999999LL);
  std::int64_t hits = 0;
  for (auto _ : state) {
    auto facts = store.gateFacts(cw::policy::e164FromNanp(pick(rng)), "S-1");
    hits += static_cast<std::int64_t>(facts->memberships.size());
    benchmark::DoNotOptimize(facts);
  }
  state.counters["hit_ratio"] = static_cast<double>(hits) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DncGateFactsExternal);

// The gate's whole check without HTTP and without the audit fsync, with and without the list
// read (internal list, the 1M-number national list, consent, RND): the list read's share of
// a check. Arg 1: the ledger is the real SQLite one (a collection check reads its Reg F
// history, as POST /v1/calls/check does) or one with no history and no I/O.
using callwarden::testing::NoHistoryLedger;

class NullAudit final : public cw::dialer::DurableAuditTrail {
 public:
  cw::Result<uint64_t> append(const cw::audit::AuditEvent&) override { return uint64_t{1}; }
};

void BM_GateCheck(benchmark::State& state) {
  static LookupFixture f(1000000);
  static cw::store::SqliteAttemptLedger sqlite_ledger(*f.db);
  static bool wired = (sqlite_ledger.readListsToo(), true);  // as app/Service wires it
  (void)wired;
  static auto windows =
      cw::rules::loadCallingWindowPolicy(std::string(CALLWARDEN_SOURCE_DIR) + "/data").value();
  static auto rules =
      cw::rules::loadFrequencyRules(std::string(CALLWARDEN_SOURCE_DIR) + "/data/rules/us.json")
          .value();
  NoHistoryLedger no_history;
  cw::dialer::AttemptLedger& ledger =
      state.range(1) != 0 ? static_cast<cw::dialer::AttemptLedger&>(sqlite_ledger) : no_history;
  NullAudit audit;
  cw::SystemClock clock;
  const bool with_lists = state.range(0) != 0;
  auto gate =
      with_lists
          ? std::make_unique<cw::dialer::CallGate>(windows, rules, ledger, *f.store, audit, clock)
          : std::make_unique<cw::dialer::CallGate>(windows, rules, ledger, audit, clock);
  // The request bench/http_check.sh sends.
  cw::dialer::CallRequest req;
  req.call.to = "+13125550142";
  req.call.purpose = cw::policy::Purpose::kDebtCollection;
  req.subject_id = "S-1";
  req.debts = {"D1"};
  req.call.at = cw::parseRfc3339("2026-07-15T16:00:00Z").value();
  for (auto _ : state) {
    auto d = gate->check(req, {"bench", "bench"});
    if (!d.isOk() || !d->allowed) state.SkipWithError("the check did not allow the call");
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(with_lists ? "with lists" : "without lists") +
                 (state.range(1) != 0 ? ", SQLite ledger" : ", no-history ledger"));
}
BENCHMARK(BM_GateCheck)->ArgsProduct({{0, 1}, {0, 1}})->ArgNames({"lists", "sqlite_ledger"});

}  // namespace

BENCHMARK_MAIN();
