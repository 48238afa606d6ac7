#include "dialer/ListAdmin.h"

#include "common/Log.h"
#include "common/Rfc3339.h"

namespace callwarden::dialer {
namespace {

Result<policy::NanpNumber> number(const std::string& phone) {
  auto n = policy::nanpFromE164(phone);
  if (!n) return Status::invalidArgument("phone must be a +1 NANP number in E.164", "phone");
  return *n;
}

audit::AuditEvent dncEvent(const std::string& action, const std::string& list,
                           const Caller& caller) {
  audit::AuditEvent ev;
  ev.type = audit::EventType::kDncChange;
  ev.clear = {{"action", action},
              {"list", list},
              {"key", caller.key_name},
              {"request_id", caller.request_id}};
  return ev;
}

}  // namespace

ListAdmin::ListAdmin(ListStore& store, AuditTrail& audit, const Clock& clock)
    : store_(store), audit_(audit), clock_(clock) {}

Result<ListStore::AddResult> ListAdmin::addInternal(const std::string& phone,
                                                    const std::string& reason,
                                                    const Caller& caller) const {
  auto n = number(phone);
  if (!n.isOk()) return n.status();
  auto added = store_.addInternal(*n, reason, caller.key_name, clock_.now());
  if (!added.isOk()) return added.status();
  auto ev = dncEvent("add", "internal", caller);
  ev.clear.emplace_back("changed", added->added ? "true" : "false");
  ev.subject_key = "phone:" + phone;
  ev.personal = {{"phone", phone}, {"reason", reason}};
  if (!audit_.append(ev).isOk())
    return Status::unavailable("the number is on the list but the audit log refused it; retry");
  return added;
}

Status ListAdmin::removeInternal(const std::string& phone, const Caller& caller) const {
  auto n = number(phone);
  if (!n.isOk()) return n.status();
  // Audited first: a removal lifts protection, so it must never happen unrecorded. A
  // removal that then fails leaves the number protected, which is the safe side.
  auto ev = dncEvent("remove", "internal", caller);
  ev.subject_key = "phone:" + phone;
  ev.personal = {{"phone", phone}};
  if (!audit_.append(ev).isOk())
    return Status::unavailable("the audit log refused the removal; nothing was changed");
  return store_.removeInternal(*n);
}

Result<std::vector<DncMembership>> ListAdmin::lookup(const std::string& phone) const {
  auto n = number(phone);
  if (!n.isOk()) return n.status();
  return store_.memberships(*n);
}

Result<std::vector<DncListInfo>> ListAdmin::lists() const {
  return store_.lists();
}

Result<ImportReport> ListAdmin::importList(ImportRequest request, std::istream& in,
                                           const Caller& caller) const {
  auto kind = policy::dncListKind(request.list);
  if (!kind || *kind == policy::DncListKind::kInternal) {
    return Status::invalidArgument(
        "list must be national or a state list US-XX; the internal list takes single numbers",
        "list");
  }
  request.at = clock_.now();
  request.api_key = caller.key_name;
  // A copy dated tomorrow would pass the 31-day check for a month longer than it should.
  // One day of slack covers subscribers west of UTC writing their local date.
  if (request.obtained > std::chrono::floor<std::chrono::days>(request.at) + std::chrono::days(1))
    return Status::invalidArgument("obtained is in the future", "obtained");
  auto report = store_.importList(request, in, [&](const ImportReport& r) {
    auto ev = dncEvent("import", r.list, caller);
    ev.clear.emplace_back("obtained", policy::formatDate(r.obtained));
    ev.clear.emplace_back("generation", std::to_string(r.generation));
    ev.clear.emplace_back("lines", std::to_string(r.lines));
    ev.clear.emplace_back("accepted", std::to_string(r.accepted));
    ev.clear.emplace_back("duplicates", std::to_string(r.duplicates));
    ev.clear.emplace_back("rejected", std::to_string(r.rejected));
    if (!audit_.append(ev).isOk())
      return Status::unavailable("the audit log refused the import; the old list stays");
    return Status::ok();
  });
  if (report.isOk() && !report->committed) {
    auto ev = dncEvent("import_failed", report->list, caller);
    ev.clear.emplace_back("obtained", policy::formatDate(report->obtained));
    ev.clear.emplace_back("failure", report->failure);
    if (!audit_.append(ev).isOk()) Log::error("audit append failed for a failed import");
  }
  return report;
}

Status ListAdmin::recordRnd(const std::string& phone, policy::RndAnswer answer,
                            const Caller& caller) const {
  auto n = number(phone);
  if (!n.isOk()) return n.status();
  if (answer.result == policy::RndResult::kYes && !answer.disconnected_on)
    return Status::invalidArgument("a yes answer needs disconnected_on", "disconnected_on");
  if (answer.result != policy::RndResult::kYes && answer.disconnected_on)
    return Status::invalidArgument("only a yes answer has disconnected_on", "disconnected_on");
  // Audited first, like a removal: a "no" answer can lift a reassigned-number block, so it
  // must never take effect unrecorded.
  audit::AuditEvent ev;
  ev.type = audit::EventType::kConsentChange;
  ev.clear = {{"change", "rnd_answer"},
              {"result", std::string(policy::rndResultName(answer.result))},
              {"disconnected_on",
               answer.disconnected_on ? policy::formatDate(*answer.disconnected_on) : ""},
              {"queried_at", formatRfc3339(answer.queried_at)},
              {"key", caller.key_name},
              {"request_id", caller.request_id}};
  ev.subject_key = "phone:" + phone;
  ev.personal = {{"phone", phone}};
  if (!audit_.append(ev).isOk())
    return Status::unavailable("the audit log refused the answer; nothing was changed");
  return store_.recordRnd(*n, answer, caller.key_name);
}

}  // namespace callwarden::dialer
