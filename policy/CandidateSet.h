#pragma once
// The zones and jurisdictions a consumer may be in, given the number and the location signals
// on file. Fixed capacity, so resolving it allocates nothing. The Reg F attempt ledger reuses it
// to find the "consumer-local calendar day" in every candidate zone.
// Value type; thread-compatible.

#include <date/tz.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "policy/Jurisdiction.h"

namespace callwarden::policy {

class CandidateSet {
 public:
  static constexpr std::size_t kMaxZones = 48;

  std::span<const date::time_zone* const> zones() const { return {zones_.data(), count_}; }
  const JurisdictionSet& jurisdictions() const { return jurisdictions_; }
  bool hasJurisdiction(int code) const {
    return jurisdictions_.test(static_cast<std::size_t>(code));
  }
  /// No zone signal at all: the number is not geographic and no location is on file.
  bool empty() const { return count_ == 0; }
  /// True when the zones are every US zone because nothing was known (PolicyOptions).
  bool usedAllUsFallback() const { return all_us_fallback_; }

  /// Sorted IANA names.
  std::vector<std::string> zoneNames() const {
    std::vector<std::string> out;
    out.reserve(count_);
    for (std::size_t i = 0; i < count_; ++i) out.emplace_back(zones_[i]->name());
    std::sort(out.begin(), out.end());
    return out;
  }
  /// Sorted: "US", "US-FL", ...
  std::vector<std::string> jurisdictionNames() const {
    std::vector<std::string> out;
    out.reserve(jurisdictions_.count());
    // 64 codes at a time: testing all 677 bits one by one cost as much as an allowed decision.
    const JurisdictionSet low_word{~0ull};
    JurisdictionSet rest = jurisdictions_;
    for (int base = 0; rest.any(); base += 64, rest >>= 64) {
      for (std::uint64_t w = (rest & low_word).to_ullong(); w != 0; w &= w - 1) {
        out.push_back(jurisdictionName(base + std::countr_zero(w)));
      }
    }
    return out;
  }

  /// Adds a zone unless present. False when the set is full.
  bool addZone(const date::time_zone* z) {
    for (std::size_t i = 0; i < count_; ++i) {
      if (zones_[i] == z) return true;
    }
    if (count_ == kMaxZones) return false;
    zones_[count_++] = z;
    return true;
  }
  void addJurisdiction(int code) { jurisdictions_.set(static_cast<std::size_t>(code)); }
  void markAllUsFallback() { all_us_fallback_ = true; }

 private:
  std::array<const date::time_zone*, kMaxZones> zones_{};
  std::size_t count_ = 0;
  JurisdictionSet jurisdictions_;
  bool all_us_fallback_ = false;
};

}  // namespace callwarden::policy
