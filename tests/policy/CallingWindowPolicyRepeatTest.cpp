// CallingWindowPolicy keeps per-decision zone clocks (ZoneClock); a shared policy must still give
// the same answer to the same question however calls are repeated, interleaved across DST
// changes and zones, or made from several threads at once. Built on a small in-code rule set so
// that the policy tests need no data files.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "policy/CallingWindowPolicy.h"

namespace callwarden::policy {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using namespace date::literals;

DayWindow window(int from_h, int to_h) {
  return {true, from_h * 3600, to_h * 3600};
}

Rule rule(std::string id, std::string jurisdiction, DayWindow w, std::string citation) {
  Rule r;
  r.id = std::move(id);
  r.jurisdiction = std::move(jurisdiction);
  r.purposes = purposeBit(Purpose::kTelemarketing);
  r.days.fill(w);
  r.citation = std::move(citation);
  return r;
}

std::shared_ptr<const CallingWindowPolicy> makePolicy() {
  NumberingPlanData data;
  data.states = {{"FL", "state", {"America/Chicago", "America/New_York"}},
                 {"AL", "state", {"America/Chicago"}}};
  data.npas = {{850, "US", "FL", true, {{200, 999}}, {}},
               {205, "US", "AL", true, {{200, 999}}, {}}};
  data.npa_zones = {{850, {"America/Chicago", "America/New_York"}}, {205, {"America/Chicago"}}};
  auto plan = NumberingPlan::create(data);
  EXPECT_TRUE(plan.isOk()) << plan.status().toString();

  HolidayRule independence{HolidayRule::Kind::kFixed, "Independence Day", 7, 4};
  auto calendar =
      HolidayCalendar::create("US-AL", 2026, 2027, ObservedRule{-1, 1, true}, {independence}, {});
  EXPECT_TRUE(calendar.isOk()) << calendar.status().toString();

  Rule alabama = rule("US-AL/telemarketing-hours", "US-AL", window(8, 20), "Ala. Code 1-3-8");
  alabama.days[0].open = false;  // Sunday
  alabama.holiday_calendar = "US-AL";
  Rule fixed = rule("US-AL/fixed-clock", "US-AL", window(7, 21), "");
  fixed.fixed_utc_offset = hours{-6};
  auto rules = RuleSet::create(
      "test-1",
      {rule("US/tcpa-hours", "US", window(8, 21), "47 CFR 64.1200(c)(1)"),
       rule("US-FL/telemarketing-hours", "US-FL", window(8, 20), "Fla. Stat. 501.059"),
       std::move(alabama), std::move(fixed)},
      {*calendar}, {}, {});
  EXPECT_TRUE(rules.isOk()) << rules.status().toString();
  return std::make_shared<CallingWindowPolicy>(*rules, *plan);
}

Timestamp utc(date::sys_days day, hours h, minutes m = minutes{0}) {
  return std::chrono::time_point_cast<std::chrono::microseconds>(day + h + m);
}

// Everything a caller can see of a decision, as one comparable string.
std::string render(const Result<WindowDecision>& d) {
  if (!d) return "error " + d.status().toString();
  std::string out = d->allowed ? "allow" : "deny";
  out += " next=" + (d->next_allowed_at
                         ? std::to_string(d->next_allowed_at->time_since_epoch().count())
                         : std::string("none"));
  for (const auto& z : d->zones) out += " " + z;
  for (const auto& j : d->jurisdictions) out += " " + j;
  for (const auto& r : d->reasons) {
    out += "\n" + std::string(reasonCodeName(r.code)) + "|" + r.rule + "|" + r.message;
  }
  return out;
}

// Two numbers, three sets of locations, with and without an inconvenient time in another zone,
// every 37 minutes for three days around US spring-forward, US fall-back, Lord Howe's half-hour
// fall-back and a Saturday holiday.
std::vector<CallContext> questions() {
  const std::vector<date::sys_days> starts = {
      date::sys_days{2026_y / 3 / 7}, date::sys_days{2026_y / 10 / 31},
      date::sys_days{2026_y / 4 / 4}, date::sys_days{2026_y / 7 / 2}};
  const std::vector<std::vector<Location>> places = {
      {}, {{"", "", "America/St_Johns"}}, {{"", "", "Australia/Lord_Howe"}}};
  std::vector<CallContext> out;
  for (date::sys_days start : starts) {
    for (minutes m{0}; m < hours{72}; m += minutes{37}) {
      for (const char* to : {"+18508721234", "+12052541234"}) {
        for (const auto& where : places) {
          CallContext c;
          c.to = to;
          c.locations = where;
          c.at = utc(start, hours{0}, m);
          if (m.count() % 2 == 0) c.inconvenient = {{0x7f, hours{12}, hours{13}, "Europe/London"}};
          out.push_back(std::move(c));
        }
      }
    }
  }
  return out;
}

const CallingWindowPolicy& policy() {
  static const std::shared_ptr<const CallingWindowPolicy> p = makePolicy();
  return *p;
}

std::vector<std::string> answersInOrder(const std::vector<CallContext>& qs,
                                        const std::vector<std::size_t>& order) {
  std::vector<std::string> out(qs.size());
  for (std::size_t i : order) out[i] = render(policy().evaluate(qs[i]));
  return out;
}

std::vector<std::size_t> identity(std::size_t n) {
  std::vector<std::size_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

TEST(CallingWindowPolicyRepeat, KnownAnswersAroundDstAndHolidays) {
  CallContext c;
  c.to = "+18508721234";  // {America/Chicago, America/New_York}, US + US-FL
  // Sunday 2026-03-08 00:30 CST / 01:30 EST; the clocks spring forward at 02:00, so 08:00 CDT
  // (13:00Z) is the first instant with both zones at 08:00 or later.
  c.at = utc(date::sys_days{2026_y / 3 / 8}, hours{6}, minutes{30});
  auto d = policy().evaluate(c);
  ASSERT_TRUE(d.isOk());
  EXPECT_FALSE(d->allowed);
  ASSERT_TRUE(d->next_allowed_at.has_value());
  EXPECT_EQ(*d->next_allowed_at, utc(date::sys_days{2026_y / 3 / 8}, hours{13}));

  // 2026-11-01 00:30 CDT / 01:30 EDT (the first 01:30): 08:00 CST is 14:00Z.
  c.at = utc(date::sys_days{2026_y / 11 / 1}, hours{5}, minutes{30});
  d = policy().evaluate(c);
  ASSERT_TRUE(d.isOk());
  ASSERT_TRUE(d->next_allowed_at.has_value());
  EXPECT_EQ(*d->next_allowed_at, utc(date::sys_days{2026_y / 11 / 1}, hours{14}));

  // Alabama, Friday 2026-07-03 10:00 CDT: Independence Day falls on Saturday and is observed on
  // Friday; both days are banned, then Sunday, so the next call is Monday 08:00 CDT.
  c.to = "+12052541234";
  c.at = utc(date::sys_days{2026_y / 7 / 3}, hours{15});
  d = policy().evaluate(c);
  ASSERT_TRUE(d.isOk());
  ASSERT_EQ(d->reasons.size(), 1u);
  EXPECT_EQ(d->reasons[0].rule, "US-AL/telemarketing-hours");
  EXPECT_EQ(d->reasons[0].message,
            "no calls on legal holidays: Independence Day (observed) (calendar US-AL) (Ala. Code "
            "1-3-8); it "
            "is on 2026-07-03 at 10:00 America/Chicago");
  ASSERT_TRUE(d->next_allowed_at.has_value());
  EXPECT_EQ(*d->next_allowed_at, utc(date::sys_days{2026_y / 7 / 6}, hours{13}));
}

TEST(CallingWindowPolicyRepeat, SameAnswersRepeatedReversedAndInterleaved) {
  const std::vector<CallContext> qs = questions();
  const std::vector<std::size_t> forward = identity(qs.size());
  const std::vector<std::string> expected = answersInOrder(qs, forward);
  ASSERT_GT(std::count_if(expected.begin(), expected.end(),
                          [](const std::string& a) { return a.rfind("deny", 0) == 0; }),
            100);

  EXPECT_EQ(answersInOrder(qs, forward), expected);
  std::vector<std::size_t> reversed(forward.rbegin(), forward.rend());
  EXPECT_EQ(answersInOrder(qs, reversed), expected);
  // A large odd stride hops between DST weekends, numbers and zones on every call.
  std::vector<std::size_t> strided;
  for (std::size_t k = 0, i = 0; k < qs.size(); ++k, i = (i + 7919) % qs.size()) {
    strided.push_back(i);
  }
  std::vector<std::size_t> sorted = strided;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_EQ(sorted, forward);  // the stride visits every question once
  EXPECT_EQ(answersInOrder(qs, strided), expected);
}

TEST(CallingWindowPolicyRepeat, SameAnswersFromConcurrentThreads) {
  const std::vector<CallContext> qs = questions();
  const std::vector<std::string> expected = answersInOrder(qs, identity(qs.size()));
  constexpr std::size_t kThreads = 4;
  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread starts at a different place so different zones are in flight together.
      std::vector<std::size_t> order(qs.size());
      for (std::size_t k = 0; k < qs.size(); ++k)
        order[k] = (k + t * qs.size() / kThreads) % qs.size();
      for (int round = 0; round < 3; ++round) got[t] = answersInOrder(qs, order);
    });
  }
  for (auto& th : threads) th.join();
  for (std::size_t t = 0; t < kThreads; ++t) EXPECT_EQ(got[t], expected) << "thread " << t;
}

}  // namespace
}  // namespace callwarden::policy
