#include "policy/FrequencyPolicy.h"

#include <algorithm>
#include <array>

namespace callwarden::policy {
namespace {

using std::chrono::hours;

constexpr std::array<std::string_view, 6> kAccountFlags = {
    "cease_communication",   // 15 U.S.C. 1692c(c); 12 CFR 1006.6(c)
    "attorney_represented",  // 12 CFR 1006.6(b)(2)
    "bankruptcy",            // 11 U.S.C. 362 / 524
    "dispute_pending",       // 15 U.S.C. 1692g(b)
    "workplace_prohibits",   // 12 CFR 1006.6(b)(1)(iii)
    "phone_refused",         // 12 CFR 1006.14(h): the person asked not to be called
};

date::local_days localDay(const date::time_zone* z, Timestamp t) {
  return date::floor<date::days>(z->to_local(t));
}

// Local midnight starting `day` in `z`, as an instant. Where midnight does not exist (a DST
// gap at 00:00) the first instant of the day is the transition itself, which choose::latest
// gives; an ambiguous midnight takes the later one so a block is never cut short.
Timestamp startOfDay(const date::time_zone* z, date::local_days day) {
  return std::chrono::time_point_cast<std::chrono::microseconds>(
      z->to_sys(date::local_seconds{day.time_since_epoch()}, date::choose::latest));
}

bool appliesTo(const FrequencyRule& r, const FrequencyInput& in) {
  return r.purpose == in.purpose && in.jurisdictions.test(static_cast<size_t>(r.jurisdiction));
}

bool isRegf(const FrequencyRule& r) {
  return r.code == ReasonCode::kRegf7In7 || r.code == ReasonCode::kRegfPostConversation;
}

// Earliest instant >= at when a count rule lets one more call through, or `at` if it does now.
Timestamp countFreeAt(const FrequencyRule& rule, std::span<const Timestamp> attempts,
                      const FrequencyInput& in, bool rolling) {
  const int limit = std::max(rule.limit, 0);
  if (rolling) {
    const auto window = rule.window == FrequencyRule::Window::kRollingHours
                            ? hours(rule.length)
                            : hours(24 * rule.length);
    // Calls in (t - window, t]; sorted newest first, the call `limit` places back must have
    // left the window: t' = a_limit + window.
    std::vector<Timestamp> recent;
    for (auto a : attempts) {
      if (a > in.at - window) recent.push_back(a);
    }
    if (static_cast<int>(recent.size()) < limit) return in.at;
    if (limit == 0) return Timestamp::max();
    std::nth_element(recent.begin(), recent.begin() + (limit - 1), recent.end(), std::greater<>());
    return std::max(in.at, recent[static_cast<size_t>(limit - 1)] + window);
  }
  // Calendar days in each candidate zone: calls dated D-(n-1) .. D count for a call on day D.
  // Sorted newest first, the `limit`-th call's date d frees the key on day d + n.
  Timestamp latest = in.at;
  for (const date::time_zone* z : in.zones) {
    const date::local_days today = localDay(z, in.at);
    std::vector<date::local_days> days;
    for (auto a : attempts) {
      auto d = localDay(z, a);
      if (d > today - date::days(rule.length)) days.push_back(d);
    }
    if (static_cast<int>(days.size()) < limit) continue;
    if (limit == 0) return Timestamp::max();
    std::nth_element(days.begin(), days.begin() + (limit - 1), days.end(), std::greater<>());
    latest = std::max(
        latest, startOfDay(z, days[static_cast<size_t>(limit - 1)] + date::days(rule.length)));
  }
  return latest;
}

Timestamp conversationFreeAt(const FrequencyRule& rule, const KeyHistory& key,
                             const FrequencyInput& in, bool rolling) {
  Timestamp latest = in.at;
  for (auto c : key.conversations) {
    if (c > in.at) continue;  // a conversation recorded for the future does not block the past
    for (const date::time_zone* z : in.zones) {
      // The conversation's date is day 1, so the first free day is that date + length.
      latest = std::max(latest, startOfDay(z, localDay(z, c) + date::days(rule.length)));
    }
    if (rolling) latest = std::max(latest, c + hours(24 * rule.length));
  }
  return latest;
}

// A consent covers the call when, in every candidate zone, today lies within the 7 days that
// start on the day it was received, before any earlier end, and calls remain.
const DirectConsent* coveringConsent(const KeyHistory& key, const FrequencyInput& in) {
  for (const auto& c : in.consents) {
    if (c.key != key.key || c.received_at > in.at) continue;
    if (c.valid_until && in.at > *c.valid_until) continue;
    if (c.max_calls > 0 && c.calls_used >= c.max_calls) continue;
    bool inside = !in.zones.empty();
    for (const date::time_zone* z : in.zones) {
      const auto first = localDay(z, c.received_at);
      const auto today = localDay(z, in.at);
      inside = inside && today >= first && today < first + date::days(7);
    }
    if (inside) return &c;
  }
  return nullptr;
}

std::string describe(const FrequencyRule& rule, const KeyHistory& key) {
  if (rule.kind == FrequencyRule::Kind::kPostConversation) {
    return "a conversation about " + key.key + " took place within " + std::to_string(rule.length) +
           " days (" + rule.citation + ")";
  }
  std::string window = rule.window == FrequencyRule::Window::kRollingHours
                           ? std::to_string(rule.length) + " hours"
                           : std::to_string(rule.length) + " days";
  return std::to_string(rule.limit) + " calls about " + key.key + " within " + window +
         " already (" + rule.citation + ")";
}

}  // namespace

bool isKnownAccountFlag(std::string_view flag) {
  return std::find(kAccountFlags.begin(), kAccountFlags.end(), flag) != kAccountFlags.end();
}

FrequencyDecision evaluateFrequency(const FrequencyInput& in, std::span<const FrequencyRule> rules,
                                    const FrequencyOptions& options) {
  FrequencyDecision out;
  out.free_at = in.at;
  bool blocked_for_good = false;

  if (in.purpose == Purpose::kDebtCollection) {
    for (const auto& flag : in.account_flags) {
      out.reasons.push_back({ReasonCode::kAccountBlocked, "US/account-flag:" + flag,
                             "the account is flagged " + flag + "; no collection calls"});
      blocked_for_good = true;
    }
  }

  for (const KeyHistory& key : in.keys) {
    const DirectConsent* consent =
        key.scope == FrequencyRule::Scope::kDebt && in.purpose == Purpose::kDebtCollection
            ? coveringConsent(key, in)
            : nullptr;
    if (consent != nullptr) {
      // Excluded from both frequencies (the (b)(3) chapeau refers to all of (b)(2)(i)); state
      // rules are not Reg F and still apply.
      out.excluded_keys.emplace_back(key.key, consent->id);
    } else {
      out.counted_keys.push_back(key.key);
    }
    for (const FrequencyRule& rule : rules) {
      if (rule.scope != key.scope || !appliesTo(rule, in)) continue;
      if (consent != nullptr && isRegf(rule)) continue;
      // With no candidate zone there is no local calendar to count in; the rolling window is
      // never less strict than the calendar one (regulations.md 2.3.5), so fall back to it.
      const bool rolling = (options.regf_rolling_168h || in.zones.empty()) && isRegf(rule);
      Timestamp free_at;
      if (rule.kind == FrequencyRule::Kind::kPostConversation) {
        free_at = conversationFreeAt(rule, key, in, rolling);
      } else {
        std::vector<Timestamp> counted = key.attempts;
        if (!isRegf(rule)) {
          counted.insert(counted.end(), key.consented_attempts.begin(),
                         key.consented_attempts.end());
        }
        free_at = countFreeAt(rule, counted, in,
                              rolling || rule.window == FrequencyRule::Window::kRollingHours);
      }
      if (free_at > in.at) {
        out.reasons.push_back({rule.code, rule.id, describe(rule, key)});
        if (free_at == Timestamp::max()) blocked_for_good = true;
        out.free_at = std::max(*out.free_at, free_at);
      }
    }
  }
  out.allowed = out.reasons.empty();
  if (blocked_for_good) out.free_at.reset();
  return out;
}

}  // namespace callwarden::policy
