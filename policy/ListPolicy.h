#pragma once
// Do-not-call lists at the moment of dialing (regulations.md 4.2): which lists apply to which
// call, when the national copy is too old to rely on (TV-23), and how one line of a
// subscriber download file is read. Pure functions over plain values; no I/O.
//
// Thread-safe: stateless. Never throws; malformed input is a value (a rejected line, an
// error Result), never an exception.

#include <date/tz.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/Clock.h"
#include "common/Result.h"
#include "policy/Types.h"

namespace callwarden::policy {

/// A NANP number as a 10-digit integer (NPA NXX XXXX), e.g. 3125550142. Fits in 64 bits and
/// is the key the list store indexes.
using NanpNumber = std::int64_t;

/// "+13125550142" -> 3125550142. nullopt for anything else (non-NANP, wrong length, NPA or
/// NXX starting with 0 or 1).
std::optional<NanpNumber> nanpFromE164(std::string_view e164);
/// "3125550142" -> 3125550142, same validity rules, exactly ten digits.
std::optional<NanpNumber> nanpFromDigits(std::string_view digits);
std::string e164FromNanp(NanpNumber n);

/// The three kinds of list (regulations.md 4.2). Names: "internal", "national", and a state
/// list by its jurisdiction id, "US-TX".
enum class DncListKind : std::uint8_t { kInternal, kNational, kState };
/// nullopt for an unknown name. "US-XX" needs two upper-case letters.
std::optional<DncListKind> dncListKind(std::string_view name);

/// Telemarketing checks every list. Debt collection and informational calls check the
/// internal list only: the national and state registries restrict telephone solicitations,
/// while a company-specific request binds every call the company makes (docs/rules-notes.md).
bool dncListApplies(DncListKind kind, Purpose purpose);

/// A calendar date ("2026-06-01"), as list copies are dated.
using Date = std::chrono::sys_days;
/// Strict "YYYY-MM-DD"; rejects impossible dates. Error field "obtained".
Result<Date> parseDate(std::string_view text);
std::string formatDate(Date d);

/// One list that holds the number being called (as the store serves it now).
struct DncHit {
  std::string list;  ///< "internal", "national", "US-TX"
  DncListKind kind = DncListKind::kInternal;
};

struct DncInput {
  Purpose purpose = Purpose::kTelemarketing;
  Timestamp at{};
  std::span<const date::time_zone* const> zones;  // where the consumer may be
  std::vector<DncHit> hits;
  /// The obtained date of the national copy being served; nullopt when none was imported.
  std::optional<Date> national_obtained;
};

struct ListOptions {
  /// 64.1200(c)(2)(i)(D), 16 CFR 310.4(b)(3)(iv): a copy obtained no more than 31 days before
  /// the call. policy.dnc_max_age_days.
  int dnc_max_age_days = 31;
};

/// Days from the copy's date to the call's date. The call's date is the latest it has in UTC
/// and in any of `zones`: UTC is ahead of the mainland, but Guam and the Northern Marianas
/// (+1 671, +1 670, UTC+10) are ahead of UTC. The latest date makes the 31-day limit bite
/// first (fail closed; docs/lists-and-consent.md).
int dncCopyAgeDays(Date obtained, Timestamp at, std::span<const date::time_zone* const> zones = {});

/// Every failing list rule (DNC_INTERNAL, DNC_NATIONAL, DNC_STATE, DNC_LIST_STALE); empty
/// when the lists allow the call.
std::vector<Reason> evaluateDnc(const DncInput& in, const ListOptions& options);

/// How one line of a list file reads. Files carry one 10-digit number per line; blank lines,
/// a trailing CR and surrounding spaces are tolerated, and a first line with a letter in it
/// is a header.
enum class LineKind { kNumber, kSkip, kMalformed };
struct ParsedLine {
  LineKind kind = LineKind::kSkip;
  NanpNumber number = 0;
};
/// `line_no` is 1-based; only line 1 may be a header.
ParsedLine parseDncLine(std::string_view line, std::uint64_t line_no);

}  // namespace callwarden::policy
