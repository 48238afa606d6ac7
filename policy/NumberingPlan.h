#pragma once
// Where a NANP number (and a ZIP code, and a state) may be, in IANA zones: the tables that
// tools/gen_number_zones.py derives from libphonenumber's data, indexed for the decision path.
// Zone names are resolved to date::time_zone pointers once, at construction.
//
// Immutable after construction; thread-safe. Construction reads the system tz database
// (date::locate_zone); nothing else touches the file system.

#include <date/tz.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/Result.h"

namespace callwarden::policy {

/// The plain tables, as the loaders read them. Zone lists are IANA names.
struct NumberingPlanData {
  struct Npa {
    int npa = 0;
    std::string region;      ///< libphonenumber region: "US", "CA", "PR", "JM".
    std::string state;       ///< "FL"; empty outside the US and its territories.
    bool geographic = true;  ///< false: toll-free, premium, personal (500s): no location.
    std::vector<std::pair<int, int>> valid_nxx;  ///< Inclusive NXX ranges that are valid.
    std::vector<std::pair<int, int>> mixed_nxx;  ///< Validity depends on later digits.
  };
  struct State {
    std::string code;  ///< "FL".
    std::string kind;  ///< "state", "district", "territory".
    std::vector<std::string> zones;
  };
  std::vector<Npa> npas;
  std::vector<std::pair<int, std::vector<std::string>>> npa_zones;  ///< 850 -> zones.
  std::vector<std::pair<int, std::vector<std::string>>> nxx_zones;  ///< 850872 -> zones.
  std::vector<State> states;
  /// "967" -> "HI"; five-digit keys ("96799" -> "AS") override their three-digit prefix.
  std::vector<std::pair<std::string, std::string>> zip_prefixes;
};

/// Index of a zone inside one NumberingPlan.
using ZoneId = std::uint16_t;

class NumberingPlan {
 public:
  enum class Validity : std::uint8_t { kInvalid = 0, kValid = 1, kCheckFully = 2 };

  /// Error kInvalidArgument when a zone name is unknown to the tz database, a state code is
  /// malformed, or a row references an unknown state.
  static Result<std::shared_ptr<const NumberingPlan>> create(const NumberingPlanData& data);

  /// Validity of +1 NPA NXX xxxx per libphonenumber's data, at NPA-NXX granularity.
  Validity nanpValidity(int npa, int nxx) const;
  bool isGeographic(int npa) const;
  /// Jurisdiction code of the NPA's US state or territory, or -1.
  int npaState(int npa) const;
  std::span<const ZoneId> npaZones(int npa) const;
  std::span<const ZoneId> nxxZones(int npa, int nxx) const;
  /// Jurisdiction code for a five-digit ZIP, or nullopt when the prefix is not assigned.
  std::optional<int> zipState(std::string_view zip5) const;
  /// Whether `code` (jurisdiction code) is a US state, district or territory in the tables.
  bool knownState(int code) const;
  std::span<const ZoneId> stateZones(int code) const;
  /// The 50 states and DC: used when the location is unknown and the deployment opted in.
  std::span<const ZoneId> allUsZones() const { return all_us_zones_; }
  const std::vector<int>& allUsStates() const { return all_us_states_; }

  const date::time_zone* zone(ZoneId id) const { return zones_[id]; }
  /// ZoneId of an IANA name already in the plan.
  std::optional<ZoneId> findZone(std::string_view name) const;

 private:
  NumberingPlan() = default;
  struct Range {
    std::uint32_t begin = 0;
    std::uint32_t count = 0;
  };
  std::span<const ZoneId> slice(Range r) const { return {zone_lists_.data() + r.begin, r.count}; }
  Result<Range> internList(const std::vector<std::string>& names);

  std::vector<const date::time_zone*> zones_;
  std::unordered_map<std::string, ZoneId> zone_ids_;
  std::vector<ZoneId> zone_lists_;

  struct NpaEntry {
    bool geographic = false;
    int state = -1;
    Range zones;
  };
  std::array<NpaEntry, 1000> npas_{};
  std::vector<std::uint8_t> nxx_validity_;                  ///< npa * 1000 + nxx -> Validity.
  std::vector<std::pair<std::uint32_t, Range>> nxx_zones_;  ///< Sorted by key npa*1000+nxx.
  std::vector<Range> state_zones_;                          ///< Indexed by jurisdiction code.
  std::vector<bool> known_states_;                          ///< Indexed by jurisdiction code.
  std::array<int, 1000> zip3_{};                            ///< Jurisdiction code or -1.
  std::unordered_map<std::string, int> zip5_;
  std::vector<ZoneId> all_us_zones_;
  std::vector<int> all_us_states_;
};

}  // namespace callwarden::policy
