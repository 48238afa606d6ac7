#include "rules/NumberingPlanLoader.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "rules/RuleFileLoader.h"

namespace callwarden::rules {

namespace {

using policy::NumberingPlanData;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

bool digits(const std::string& s, std::size_t n) {
  return s.size() == n &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Calls `row(fields, where)` for each non-comment, non-blank line; `row` returns an error text
// or empty. Stops at the first error, reported as "<path>:<line>: <text>".
Status forEachRow(const std::string& path, std::size_t min_fields,
                  const std::function<std::string(const std::vector<std::string>&)>& row) {
  std::ifstream in(path);
  if (!in) return Status::ioError(path + ": cannot open");
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto fields = split(line, '\t');
    std::string err;
    if (fields.size() < min_fields) {
      err = "expected at least " + std::to_string(min_fields) + " tab-separated fields";
    } else {
      err = row(fields);
    }
    if (!err.empty()) return Status::invalidArgument(path + ":" + std::to_string(n) + ": " + err);
  }
  if (in.bad()) return Status::ioError(path + ": read error");
  return Status::ok();
}

std::string parseRanges(const std::string& text, std::vector<std::pair<int, int>>& out) {
  if (text == "-") return {};
  for (const std::string& part : split(text, ',')) {
    const auto dash = part.find('-');
    const std::string lo = dash == std::string::npos ? part : part.substr(0, dash);
    const std::string hi = dash == std::string::npos ? part : part.substr(dash + 1);
    if (!digits(lo, 3) || !digits(hi, 3) || std::stoi(lo) > std::stoi(hi))
      return "bad NXX range \"" + part + "\"";
    out.emplace_back(std::stoi(lo), std::stoi(hi));
  }
  return {};
}

Status readZoneRows(const std::string& path, NumberingPlanData& data) {
  return forEachRow(path, 3, [&](const std::vector<std::string>& f) -> std::string {
    auto zones = split(f[2], ',');
    if (zones.empty() ||
        std::any_of(zones.begin(), zones.end(), [](const std::string& z) { return z.empty(); })) {
      return "empty zone list";
    }
    if (f[0] == "npa") {
      if (!digits(f[1], 3)) return "NPA must be 3 digits, got \"" + f[1] + "\"";
      data.npa_zones.emplace_back(std::stoi(f[1]), std::move(zones));
    } else if (f[0] == "nxx") {
      if (!digits(f[1], 6)) return "NPA-NXX must be 6 digits, got \"" + f[1] + "\"";
      data.nxx_zones.emplace_back(std::stoi(f[1]), std::move(zones));
    } else {
      return "kind must be npa or nxx, got \"" + f[0] + "\"";
    }
    return {};
  });
}

}  // namespace

NumberingDataPaths NumberingDataPaths::inDirectory(const std::string& dir) {
  return {dir + "/number-zones.tsv", dir + "/npa-states.tsv",  dir + "/state-zones.tsv",
          dir + "/nanp-numbers.tsv", dir + "/zip3-states.tsv", std::nullopt};
}

Result<std::shared_ptr<const policy::NumberingPlan>> loadNumberingPlan(
    const NumberingDataPaths& paths) {
  NumberingPlanData data;
  Status s =
      forEachRow(paths.state_zones, 3, [&](const std::vector<std::string>& f) -> std::string {
        if (f[1] != "state" && f[1] != "district" && f[1] != "territory")
          return "kind must be state, district or territory";
        data.states.push_back({f[0], f[1], split(f[2], ',')});
        return {};
      });
  if (!s) return s;

  std::map<int, NumberingPlanData::Npa> npas;
  s = forEachRow(paths.nanp_numbers, 5, [&](const std::vector<std::string>& f) -> std::string {
    if (!digits(f[0], 3)) return "NPA must be 3 digits";
    NumberingPlanData::Npa n;
    n.npa = std::stoi(f[0]);
    n.region = f[1];
    if (f[2] != "geographic" && f[2] != "non_geographic")
      return "category must be geographic or non_geographic";
    n.geographic = f[2] == "geographic";
    if (auto e = parseRanges(f[3], n.valid_nxx); !e.empty()) return e;
    if (auto e = parseRanges(f[4], n.mixed_nxx); !e.empty()) return e;
    npas[n.npa] = std::move(n);
    return {};
  });
  if (!s) return s;
  s = forEachRow(paths.npa_states, 3, [&](const std::vector<std::string>& f) -> std::string {
    if (!digits(f[0], 3)) return "NPA must be 3 digits";
    auto it = npas.find(std::stoi(f[0]));
    if (it == npas.end()) return "NPA " + f[0] + " is not in " + paths.nanp_numbers;
    it->second.state = f[2];
    return {};
  });
  if (!s) return s;
  for (auto& [npa, n] : npas) data.npas.push_back(std::move(n));

  if (s = readZoneRows(paths.number_zones, data); !s) return s;
  if (paths.overrides) {
    if (s = readZoneRows(*paths.overrides, data); !s) return s;
  }
  s = forEachRow(paths.zip_states, 2, [&](const std::vector<std::string>& f) -> std::string {
    if (!digits(f[0], 3) && !digits(f[0], 5)) return "prefix must be 3 or 5 digits";
    data.zip_prefixes.emplace_back(f[0], f[1]);
    return {};
  });
  if (!s) return s;
  auto plan = policy::NumberingPlan::create(data);
  if (!plan) return Status::invalidArgument("numbering data: " + plan.status().message());
  return plan;
}

Result<std::shared_ptr<const policy::CallingWindowPolicy>> loadCallingWindowPolicy(
    const std::string& data_dir, policy::PolicyOptions options,
    std::optional<std::string> zone_overrides) {
  auto rules = loadRuleSet(data_dir + "/rules/us.json");
  if (!rules) return rules.status();
  auto paths = NumberingDataPaths::inDirectory(data_dir);
  paths.overrides = std::move(zone_overrides);
  auto plan = loadNumberingPlan(paths);
  if (!plan) return plan.status();
  return std::make_shared<const policy::CallingWindowPolicy>(*rules, *plan, options);
}

}  // namespace callwarden::rules
