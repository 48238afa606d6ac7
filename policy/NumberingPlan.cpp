#include "policy/NumberingPlan.h"

#include <algorithm>
#include <set>

#include "policy/Jurisdiction.h"

namespace callwarden::policy {

Result<NumberingPlan::Range> NumberingPlan::internList(const std::vector<std::string>& names) {
  std::vector<ZoneId> ids;
  for (const std::string& name : names) {
    ZoneId id;
    if (auto it = zone_ids_.find(name); it != zone_ids_.end()) {
      id = it->second;
    } else {
      const date::time_zone* tz = nullptr;
      try {
        tz = date::locate_zone(name);
      } catch (const std::exception&) {
        return Status::invalidArgument("unknown IANA time zone " + name);
      }
      if (zones_.size() >= 0xffff) return Status::invalidArgument("too many zones");
      id = static_cast<ZoneId>(zones_.size());
      zones_.push_back(tz);
      zone_ids_.emplace(name, id);
    }
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  Range r{static_cast<std::uint32_t>(zone_lists_.size()), static_cast<std::uint32_t>(ids.size())};
  zone_lists_.insert(zone_lists_.end(), ids.begin(), ids.end());
  return r;
}

Result<std::shared_ptr<const NumberingPlan>> NumberingPlan::create(const NumberingPlanData& data) {
  std::shared_ptr<NumberingPlan> plan(new NumberingPlan());
  plan->nxx_validity_.assign(1000 * 1000, static_cast<std::uint8_t>(Validity::kInvalid));
  plan->state_zones_.assign(kJurisdictionCount, Range{});
  plan->known_states_.assign(kJurisdictionCount, false);
  plan->zip3_.fill(-1);

  for (const NumberingPlanData::State& s : data.states) {
    auto code = stateJurisdiction(s.code);
    if (!code) return Status::invalidArgument("bad state code " + s.code);
    auto range = plan->internList(s.zones);
    if (!range) return Status::invalidArgument("state " + s.code + ": " + range.status().message());
    plan->state_zones_[*code] = *range;
    plan->known_states_[*code] = true;
    if (s.kind == "state" || s.kind == "district") plan->all_us_states_.push_back(*code);
  }
  std::set<ZoneId> all;
  for (int code : plan->all_us_states_) {
    for (ZoneId z : plan->slice(plan->state_zones_[code])) all.insert(z);
  }
  plan->all_us_zones_.assign(all.begin(), all.end());

  for (const NumberingPlanData::Npa& n : data.npas) {
    if (n.npa < 200 || n.npa > 999)
      return Status::invalidArgument("bad NPA " + std::to_string(n.npa));
    NpaEntry& e = plan->npas_[n.npa];
    e.geographic = n.geographic;
    if (!n.state.empty()) {
      auto code = stateJurisdiction(n.state);
      if (!code || !plan->known_states_[*code]) {
        return Status::invalidArgument("NPA " + std::to_string(n.npa) + ": unknown state " +
                                       n.state);
      }
      e.state = *code;
    }
    auto mark = [&](const std::vector<std::pair<int, int>>& ranges, Validity v) -> Status {
      for (auto [lo, hi] : ranges) {
        if (lo < 200 || hi > 999 || lo > hi) {
          return Status::invalidArgument("NPA " + std::to_string(n.npa) + ": bad NXX range");
        }
        for (int nxx = lo; nxx <= hi; ++nxx) {
          plan->nxx_validity_[static_cast<std::size_t>(n.npa * 1000 + nxx)] =
              static_cast<std::uint8_t>(v);
        }
      }
      return Status::ok();
    };
    if (Status s = mark(n.valid_nxx, Validity::kValid); !s) return s;
    if (Status s = mark(n.mixed_nxx, Validity::kCheckFully); !s) return s;
  }
  for (const auto& [npa, names] : data.npa_zones) {
    if (npa < 200 || npa > 999) return Status::invalidArgument("bad NPA " + std::to_string(npa));
    // Several rows for one NPA (the generated one and a deployment override) add up.
    std::vector<std::string> merged;
    for (ZoneId z : plan->slice(plan->npas_[npa].zones)) {
      for (const auto& [name, id] : plan->zone_ids_) {
        if (id == z) merged.push_back(name);
      }
    }
    merged.insert(merged.end(), names.begin(), names.end());
    auto range = plan->internList(merged);
    if (!range)
      return Status::invalidArgument("NPA " + std::to_string(npa) + ": " +
                                     range.status().message());
    plan->npas_[npa].zones = *range;
  }
  for (const auto& [key, names] : data.nxx_zones) {
    if (key < 200200 || key > 999999)
      return Status::invalidArgument("bad NPA-NXX " + std::to_string(key));
    auto range = plan->internList(names);
    if (!range)
      return Status::invalidArgument("NPA-NXX " + std::to_string(key) + ": " +
                                     range.status().message());
    plan->nxx_zones_.emplace_back(static_cast<std::uint32_t>(key), *range);
  }
  std::sort(plan->nxx_zones_.begin(), plan->nxx_zones_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [prefix, state] : data.zip_prefixes) {
    auto code = stateJurisdiction(state);
    if (!code || !plan->known_states_[*code]) {
      return Status::invalidArgument("ZIP prefix " + prefix + ": unknown state " + state);
    }
    const bool digits =
        std::all_of(prefix.begin(), prefix.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits && prefix.size() == 3) {
      plan->zip3_[static_cast<std::size_t>(std::stoi(prefix))] = *code;
    } else if (digits && prefix.size() == 5) {
      plan->zip5_[prefix] = *code;
    } else {
      return Status::invalidArgument("ZIP prefix " + prefix + ": must be 3 or 5 digits");
    }
  }
  return std::shared_ptr<const NumberingPlan>(std::move(plan));
}

NumberingPlan::Validity NumberingPlan::nanpValidity(int npa, int nxx) const {
  if (npa < 0 || npa > 999 || nxx < 0 || nxx > 999) return Validity::kInvalid;
  return static_cast<Validity>(nxx_validity_[static_cast<std::size_t>(npa * 1000 + nxx)]);
}

bool NumberingPlan::isGeographic(int npa) const {
  return npa >= 0 && npa < 1000 && npas_[npa].geographic;
}

int NumberingPlan::npaState(int npa) const {
  return npa >= 0 && npa < 1000 ? npas_[npa].state : -1;
}

std::span<const ZoneId> NumberingPlan::npaZones(int npa) const {
  if (npa < 0 || npa > 999) return {};
  return slice(npas_[npa].zones);
}

std::span<const ZoneId> NumberingPlan::nxxZones(int npa, int nxx) const {
  const auto key = static_cast<std::uint32_t>(npa * 1000 + nxx);
  auto it = std::lower_bound(nxx_zones_.begin(), nxx_zones_.end(), key,
                             [](const auto& e, std::uint32_t k) { return e.first < k; });
  if (it == nxx_zones_.end() || it->first != key) return {};
  return slice(it->second);
}

std::optional<int> NumberingPlan::zipState(std::string_view zip5) const {
  if (zip5.size() != 5) return std::nullopt;
  if (!zip5_.empty()) {
    if (auto it = zip5_.find(std::string(zip5)); it != zip5_.end()) return it->second;
  }
  const int p = (zip5[0] - '0') * 100 + (zip5[1] - '0') * 10 + (zip5[2] - '0');
  if (p < 0 || p > 999 || zip3_[static_cast<std::size_t>(p)] < 0) return std::nullopt;
  return zip3_[static_cast<std::size_t>(p)];
}

bool NumberingPlan::knownState(int code) const {
  return code >= 0 && code < kJurisdictionCount && known_states_[static_cast<std::size_t>(code)];
}

std::span<const ZoneId> NumberingPlan::stateZones(int code) const {
  if (!knownState(code)) return {};
  return slice(state_zones_[static_cast<std::size_t>(code)]);
}

std::optional<ZoneId> NumberingPlan::findZone(std::string_view name) const {
  if (auto it = zone_ids_.find(std::string(name)); it != zone_ids_.end()) return it->second;
  return std::nullopt;
}

}  // namespace callwarden::policy
