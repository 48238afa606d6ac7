#include "policy/ListPolicy.h"

#include <cctype>
#include <cstdio>

namespace callwarden::policy {
namespace {

bool allDigits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::optional<NanpNumber> nanpFromDigits(std::string_view d) {
  // NANP: NPA and NXX both start with 2-9 (N11 codes are still numbers; a list holding one is
  // harmless, so only the structural rule is enforced).
  if (d.size() != 10 || !allDigits(d) || d[0] < '2' || d[3] < '2') return std::nullopt;
  NanpNumber n = 0;
  for (char c : d) n = n * 10 + (c - '0');
  return n;
}

std::optional<NanpNumber> nanpFromE164(std::string_view e164) {
  if (e164.size() != 12 || e164.substr(0, 2) != "+1") return std::nullopt;
  return nanpFromDigits(e164.substr(2));
}

std::string e164FromNanp(NanpNumber n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "+1%010lld", static_cast<long long>(n));
  return buf;
}

std::optional<DncListKind> dncListKind(std::string_view name) {
  if (name == "internal") return DncListKind::kInternal;
  if (name == "national") return DncListKind::kNational;
  if (name.size() == 5 && name.substr(0, 3) == "US-" && std::isupper(name[3]) &&
      std::isupper(name[4])) {
    return DncListKind::kState;
  }
  return std::nullopt;
}

bool dncListApplies(DncListKind kind, Purpose purpose) {
  if (kind == DncListKind::kInternal) return true;
  return purpose == Purpose::kTelemarketing;
}

Result<Date> parseDate(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-' || !allDigits(t.substr(0, 4)) ||
      !allDigits(t.substr(5, 2)) || !allDigits(t.substr(8, 2))) {
    return Status::invalidArgument("a date must be YYYY-MM-DD", "obtained");
  }
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (t[i] - '0');
    return v;
  };
  std::chrono::year_month_day ymd{std::chrono::year{num(0, 4)},
                                  std::chrono::month{static_cast<unsigned>(num(5, 2))},
                                  std::chrono::day{static_cast<unsigned>(num(8, 2))}};
  if (!ymd.ok()) return Status::invalidArgument("no such date", "obtained");
  return Date{ymd};
}

std::string formatDate(Date d) {
  std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

int dncCopyAgeDays(Date obtained, Timestamp at, std::span<const date::time_zone* const> zones) {
  auto call_day = std::chrono::floor<std::chrono::days>(at);
  for (const date::time_zone* z : zones) {
    const auto local = date::floor<date::days>(z->to_local(at)).time_since_epoch();
    call_day = std::max(call_day, Date{local});
  }
  return static_cast<int>((call_day - obtained).count());
}

std::vector<Reason> evaluateDnc(const DncInput& in, const ListOptions& options) {
  std::vector<Reason> out;
  for (const auto& h : in.hits) {
    if (!dncListApplies(h.kind, in.purpose)) continue;
    switch (h.kind) {
      case DncListKind::kInternal:
        out.push_back({ReasonCode::kDncInternal, "US/dnc-internal",
                       "the number is on the company-specific do-not-call list"});
        break;
      case DncListKind::kNational:
        out.push_back({ReasonCode::kDncNational, "US/dnc-national",
                       "the number is on the National Do-Not-Call Registry"});
        break;
      case DncListKind::kState:
        out.push_back({ReasonCode::kDncState, h.list + "/dnc-state",
                       "the number is on the " + h.list + " do-not-call list"});
        break;
    }
  }
  if (in.purpose == Purpose::kTelemarketing) {
    if (!in.national_obtained) {
      out.push_back({ReasonCode::kDncListStale, "US/dnc-scrub-age",
                     "no copy of the National Do-Not-Call Registry has been imported"});
    } else {
      const int age = dncCopyAgeDays(*in.national_obtained, in.at, in.zones);
      if (age > options.dnc_max_age_days) {
        out.push_back({ReasonCode::kDncListStale, "US/dnc-scrub-age",
                       "the registry copy obtained " + formatDate(*in.national_obtained) + " is " +
                           std::to_string(age) + " days old (limit " +
                           std::to_string(options.dnc_max_age_days) + ")"});
      }
    }
  }
  return out;
}

ParsedLine parseDncLine(std::string_view line, std::uint64_t line_no) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
    line.remove_suffix(1);
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  // A UTF-8 byte-order mark some tools write in front of the first line.
  if (line_no == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  if (line.empty()) return {LineKind::kSkip, 0};
  if (auto n = nanpFromDigits(line)) return {LineKind::kNumber, *n};
  if (line_no == 1) {
    for (char c : line)
      if (std::isalpha(static_cast<unsigned char>(c))) return {LineKind::kSkip, 0};
  }
  return {LineKind::kMalformed, 0};
}

}  // namespace callwarden::policy
