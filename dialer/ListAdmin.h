#pragma once
// Administration of the do-not-call lists and reassigned-number answers: single numbers on the
// internal list, bulk imports of the national and state lists, RND answers. Every change is
// written to the audit log (kDncChange, kConsentChange): list names, counts, dates and key
// names in the clear part, phone numbers only in the sealed personal part.
//
// Thread-safe: immutable after construction; state lives in the ListStore and the audit log.
// Fails closed: a removal is audited before it is made (an unaudited removal never happens);
// an import is audited before it replaces the served list; an addition that the audit log
// refuses stays in force and is reported as kUnavailable so the caller retries.

#include <istream>
#include <string>
#include <vector>

#include "common/Clock.h"
#include "dialer/AuditTrail.h"
#include "dialer/CallRequest.h"
#include "dialer/ListStore.h"

namespace callwarden::dialer {

class ListAdmin {
 public:
  /// All three must outlive this object.
  ListAdmin(ListStore& store, AuditTrail& audit, const Clock& clock);

  /// `phone` is E.164 (+1 NANP); kInvalidArgument (field "phone") otherwise.
  Result<ListStore::AddResult> addInternal(const std::string& phone, const std::string& reason,
                                           const Caller& caller) const;
  /// kNotFound when the number is not on the internal list.
  Status removeInternal(const std::string& phone, const Caller& caller) const;
  Result<std::vector<DncMembership>> lookup(const std::string& phone) const;
  Result<std::vector<DncListInfo>> lists() const;
  /// `request.list` must be "national" or "US-XX" (field "list"); `obtained` may not be in
  /// the future (field "obtained"). `request.at` and `api_key` are filled here.
  Result<ImportReport> importList(ImportRequest request, std::istream& in,
                                  const Caller& caller) const;
  /// kInvalidArgument: "yes" needs `disconnected_on` (field "disconnected_on").
  Status recordRnd(const std::string& phone, policy::RndAnswer answer, const Caller& caller) const;

 private:
  ListStore& store_;
  AuditTrail& audit_;
  const Clock& clock_;
};

}  // namespace callwarden::dialer
