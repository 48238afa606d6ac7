#pragma once
// The port through which the gate and the list administration read and change do-not-call
// lists, consent history and Reassigned Numbers Database answers. store/ implements it on SQL
// (store/SqliteListStore.h); tests substitute fakes (for example one that fails, to prove a
// list outage denies). Declared here, in the module that uses it.
//
// Implementations are thread-safe. Every method returns kUnavailable when the store cannot
// answer; the gate turns that into a deny (STORE_UNAVAILABLE), never an allow.

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "common/Clock.h"
#include "common/Result.h"
#include "policy/ConsentPolicy.h"
#include "policy/ListPolicy.h"

namespace callwarden::dialer {

/// One list holding a number, as served now.
struct DncMembership {
  std::string list;  ///< "internal", "national", "US-TX"
  policy::DncListKind kind = policy::DncListKind::kInternal;
  std::optional<Timestamp> since;        ///< internal: when it was added
  std::string reason;                    ///< internal: why (free text)
  std::optional<policy::Date> obtained;  ///< bulk lists: the served copy's date
  std::optional<Timestamp> imported_at;  ///< bulk lists: when that copy was imported
};

/// Everything the gate needs about one number, read in one consistent snapshot.
struct GateFacts {
  std::vector<DncMembership> memberships;
  std::optional<policy::Date> national_obtained;
  std::vector<policy::ConsentEvent>
      consents;  ///< telemarketing/robocall records, number or subject
  std::vector<policy::RndAnswer> rnd;
};

/// A bulk list as served now.
struct DncListInfo {
  std::string list;
  std::int64_t generation = 0;
  policy::Date obtained{};
  Timestamp imported_at{};
  std::int64_t count = 0;
};

struct ImportRequest {
  std::string list;  ///< "national" or "US-XX"; the internal list takes single numbers only
  policy::Date obtained{};
  std::string api_key;
  Timestamp at{};
  /// Bytes the sender announced (Content-Length); a shorter stream is a failed upload.
  std::optional<std::uint64_t> expected_bytes;
  /// Called every `progress_every` lines with the lines read so far (CLI progress).
  std::function<void(std::uint64_t lines)> progress;
  std::uint64_t progress_every = 1000000;
};

struct ImportReport {
  std::string list;
  policy::Date obtained{};
  std::int64_t generation = 0;
  std::optional<std::int64_t> replaced_generation;
  std::uint64_t lines = 0;
  std::uint64_t accepted = 0;    ///< distinct numbers now served
  std::uint64_t duplicates = 0;  ///< valid lines repeating an earlier number
  std::uint64_t rejected = 0;
  /// The first kMaxRejectedLines rejected line numbers (1-based); `rejected` has the total.
  std::vector<std::uint64_t> rejected_lines;
  static constexpr size_t kMaxRejectedLines = 1000;
  /// True when the new copy is now served. False: the old copy stays; `failure` says why
  /// (empty file, truncated upload, refused by before_swap).
  bool committed = false;
  std::string failure;
};

/// A callback the import runs after the new copy is fully loaded and before it replaces the
/// old one. A non-OK Status aborts the import (the old list stays). Used to write the audit
/// record first, so no list is ever served that the audit log does not know about.
using BeforeSwap = std::function<Status(const ImportReport&)>;

class ListStore {
 public:
  virtual ~ListStore() = default;

  /// The lists holding `to`, the national copy's date, consent history and RND answers, all
  /// from one snapshot: a concurrent import is seen entirely or not at all.
  virtual Result<GateFacts> gateFacts(const std::string& to_e164,
                                      const std::string& subject_id) = 0;
  /// The lists holding a number (GET /v1/dnc/{phone}).
  virtual Result<std::vector<DncMembership>> memberships(policy::NanpNumber number) = 0;
  virtual Result<std::vector<DncListInfo>> lists() = 0;

  /// Adds to the internal list. Returns the stored entry; an existing entry is left as it is
  /// (its `since` is kept) and `added` is false.
  struct AddResult {
    DncMembership entry;
    bool added = false;
  };
  virtual Result<AddResult> addInternal(policy::NanpNumber number, const std::string& reason,
                                        const std::string& api_key, Timestamp at) = 0;
  /// kNotFound when the number is not on the internal list.
  virtual Status removeInternal(policy::NanpNumber number) = 0;

  /// Streams `in` into a new copy of the list and, if the whole stream was read, at least one
  /// number was accepted and `before_swap` agrees, makes it the served copy in one
  /// transaction. Otherwise the old copy stays and nothing of the new one remains.
  /// An upload that cannot become the list (empty, truncated, refused) is a report with
  /// committed == false. Errors: kConflict while another import runs, kUnavailable for store
  /// failures, or before_swap's own Status.
  virtual Result<ImportReport> importList(const ImportRequest& request, std::istream& in,
                                          const BeforeSwap& before_swap) = 0;

  virtual Status recordRnd(policy::NanpNumber number, const policy::RndAnswer& answer,
                           const std::string& api_key) = 0;
};

}  // namespace callwarden::dialer
