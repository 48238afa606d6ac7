#pragma once
// The policy built from the shipped data/ files, loaded once per test binary: the tests exercise
// exactly what deployments load.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "common/Rfc3339.h"
#include "policy/CallingWindowPolicy.h"
#include "rules/NumberingPlanLoader.h"

namespace callwarden::testing {

inline std::string dataDir() {
  return std::string(CALLWARDEN_SOURCE_DIR) + "/data";
}

inline std::shared_ptr<const policy::CallingWindowPolicy> shippedPolicy(
    policy::PolicyOptions options = {}) {
  auto p = rules::loadCallingWindowPolicy(dataDir(), options);
  if (!p) ADD_FAILURE() << p.status().toString();
  return p ? *p : nullptr;
}

inline const policy::CallingWindowPolicy& defaultPolicy() {
  static const std::shared_ptr<const policy::CallingWindowPolicy> p = shippedPolicy();
  return *p;
}

inline Timestamp at(const char* rfc3339) {
  auto t = parseRfc3339(rfc3339);
  EXPECT_TRUE(t.isOk()) << rfc3339;
  return t.isOk() ? *t : Timestamp{};
}

/// A telemarketing call to `to` at `when` (the purpose of every state row in the research).
inline policy::CallContext telemarketingCall(const char* to, Timestamp when,
                                             policy::CallType type = policy::CallType::kLive,
                                             bool prior_express_consent = false) {
  policy::CallContext c;
  c.to = to;
  c.purpose = policy::Purpose::kTelemarketing;
  c.call_type = type;
  c.prior_express_consent = prior_express_consent;
  c.at = when;
  return c;
}

inline std::vector<std::string> codes(const policy::WindowDecision& d) {
  std::vector<std::string> out;
  for (const auto& r : d.reasons) out.emplace_back(policy::reasonCodeName(r.code));
  return out;
}

inline std::vector<std::string> ruleIds(const policy::WindowDecision& d) {
  std::vector<std::string> out;
  for (const auto& r : d.reasons) out.push_back(r.rule);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace callwarden::testing
